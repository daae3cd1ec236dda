// Circular-window statistics against brute-force references, split/thread invariance and
// parameter checks.
#include <catch2/catch.hpp>
#include <cstring>
#include <limits>

#include "kernels/circular.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

namespace {

// Brute-force window statistics of an int32 padded tile over the window `w`.
struct BruteI32 {
    std::vector<std::int64_t> sum;
    std::vector<std::int32_t> count, mn, mx;
};

BruteI32 brute_i32(const TileDesc& t, const std::vector<std::int32_t>& in,
                   const CircularWindow& w) {
    BruteI32 b;
    const std::size_t n = t.interior_size();
    b.sum.assign(n, 0);
    b.count.assign(n, 0);
    b.mn.assign(n, std::numeric_limits<std::int32_t>::max());
    b.mx.assign(n, std::numeric_limits<std::int32_t>::min());
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx; ++x) {
            const std::size_t i = t.interior_index(x, y);
            for (std::int64_t dy = -w.reach; dy <= w.reach; ++dy)
                for (std::int64_t dx = -w.reach; dx <= w.reach; ++dx) {
                    const double r2 = w.outer_m;
                    bool inside = kt::in_disc(dx, dy, r2, t.cell_size);
                    if (w.is_annulus() && kt::in_disc(dx, dy, w.inner_m, t.cell_size))
                        inside = false;
                    if (!inside) continue;
                    const std::int32_t v = in[t.padded_index(x + dx, y + dy)];
                    if (is_nodata(v)) continue;
                    b.sum[i] += v;
                    b.count[i] += 1;
                    b.mn[i] = std::min(b.mn[i], v);
                    b.mx[i] = std::max(b.mx[i], v);
                }
        }
    return b;
}

// Brute-force sums of two rasters over the cells of a disc valid in both (shares and rates).
struct BrutePair {
    std::vector<std::int64_t> sa, sb, count;
};

BrutePair brute_pair(const TileDesc& t, const std::vector<std::int32_t>& in,
                     const std::vector<std::int32_t>& in_b, const CircularWindow& w) {
    BrutePair b;
    const std::size_t n = t.interior_size();
    b.sa.assign(n, 0);
    b.sb.assign(n, 0);
    b.count.assign(n, 0);
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx; ++x) {
            const std::size_t i = t.interior_index(x, y);
            for (std::int64_t dy = -w.reach; dy <= w.reach; ++dy)
                for (std::int64_t dx = -w.reach; dx <= w.reach; ++dx) {
                    if (!w.contains(dx, dy)) continue;
                    const auto a = in[t.padded_index(x + dx, y + dy)];
                    const auto d = in_b[t.padded_index(x + dx, y + dy)];
                    if (is_nodata(a) || is_nodata(d)) continue;
                    b.sa[i] += a;
                    b.sb[i] += d;
                    ++b.count[i];
                }
        }
    return b;
}

void check_all_ops_i32(const kt::World<std::int32_t>& world, const kt::World<std::int32_t>& den,
                       double radius) {
    const CircularWindow w = make_circular_window(radius, world.cell);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const auto in_b = kt::cut(den, t);
    const BruteI32 b = brute_i32(t, in, w);
    const std::size_t n = t.interior_size();
    const RowPrefix p = build_row_prefix(t, std::span<const std::int32_t>(in));

    std::vector<std::int64_t> sum(n);
    std::vector<std::int32_t> count(n), count2(n), mn(n), mx(n);
    std::vector<double> mean(n), dens_valid(n), dens_nominal(n), share(n), rate(n);
    circular_sum(p, w, std::span(sum), std::span(count));
    circular_count(p, w, std::span(count2));
    circular_mean(p, w, std::span(mean));
    circular_density(p, w, DensityArea::kValid, std::span(dens_valid));
    circular_density(p, w, DensityArea::kNominal, std::span(dens_nominal));
    circular_min(t, std::span<const std::int32_t>(in), w, std::span(mn));
    circular_max(t, std::span<const std::int32_t>(in), w, std::span(mx));
    const auto [pa, pb] = build_row_prefix_pair(t, std::span<const std::int32_t>(in),
                                                std::span<const std::int32_t>(in_b));
    circular_share(pa, pb, w, std::span(share));
    circular_rate(pa, pb, w, std::span(rate));

    const double km2 = t.cell_size * t.cell_size / 1e6;
    for (std::size_t i = 0; i < n; ++i) {
        INFO("radius " << radius << " cell " << i);
        REQUIRE(count[i] == b.count[i]);
        REQUIRE(count2[i] == b.count[i]);
        if (b.count[i] == 0) {
            REQUIRE(sum[i] == kNodataI64);
            REQUIRE(std::isnan(mean[i]));
            REQUIRE(std::isnan(dens_valid[i]));
            REQUIRE(std::isnan(dens_nominal[i]));
            REQUIRE(mn[i] == kNodataI32);
            REQUIRE(mx[i] == kNodataI32);
            continue;
        }
        REQUIRE(sum[i] == b.sum[i]);
        REQUIRE(mean[i] == double(b.sum[i]) / double(b.count[i]));
        REQUIRE(dens_valid[i] == double(b.sum[i]) / (double(b.count[i]) * km2));
        REQUIRE(dens_nominal[i] == double(b.sum[i]) / (double(w.cells) * km2));
        REQUIRE(mn[i] == b.mn[i]);
        REQUIRE(mx[i] == b.mx[i]);
    }
    // Share and rate use cells valid in both rasters.
    const BrutePair bp = brute_pair(t, in, in_b, w);
    for (std::size_t i = 0; i < n; ++i) {
        const double sa = double(bp.sa[i]), sb = double(bp.sb[i]);
        if (bp.count[i] == 0 || bp.sb[i] == 0) {
            REQUIRE(std::isnan(share[i]));
            REQUIRE(std::isnan(rate[i]));
        } else {
            REQUIRE(share[i] == sa / sb);
            REQUIRE(rate[i] == 1000.0 * sa / sb);
        }
    }
}

}  // namespace

TEST_CASE("circular ops match brute force for every radius 0-60 cells on small grids",
          "[circular]") {
    for (const auto& [nx, ny] : {std::pair{13, 11}, std::pair{2, 3}, std::pair{1, 1}}) {
        const auto a = kt::random_i32(nx * 100 + ny, nx, ny, 0, -1000, 100000, 0.2);
        const auto b = kt::random_i32(nx * 100 + ny + 1, nx, ny, 0, 0, 2, 0.1);
        for (int cells = 0; cells <= 60; ++cells) {
            check_all_ops_i32(a, b, cells == 0 ? 50.0 : cells * 100.0);
            if (cells % 7 == 3) check_all_ops_i32(a, b, cells * 100.0 + 50.5);
        }
    }
}

TEST_CASE("circular ops match brute force on odd, even and prime grids", "[circular]") {
    for (const auto& [nx, ny] : {std::pair{37, 23}, std::pair{32, 18}, std::pair{41, 29}}) {
        const auto a = kt::random_i32(nx * 7 + ny, nx, ny, 0, -2147483647, 2147483647, 0.15);
        const auto b = kt::random_i32(nx * 7 + ny + 5, nx, ny, 0, -3, 3, 0.3);
        for (double r : {50.0, 100.0, 141.5, 250.5, 500.0, 750.0, 1234.5})
            check_all_ops_i32(a, b, r);
    }
}

TEST_CASE("an all-nodata raster gives nodata and zero counts", "[circular]") {
    const auto a = kt::random_i32(3, 9, 8, 0, 0, 10, 1.0);
    check_all_ops_i32(a, a, 300.0);
}

TEST_CASE("annulus sums and counts match brute force", "[circular]") {
    const auto world = kt::random_i32(99, 29, 31, 0, -50, 5000, 0.2);
    for (const auto& [ri, ro] : {std::pair{0.0, 100.0}, std::pair{200.0, 500.0},
                                 std::pair{450.5, 1200.0}, std::pair{99.0, 100.0}}) {
        const CircularWindow w = make_annulus_window(ri, ro, 100.0);
        const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
        const auto in = kt::cut(world, t);
        const BruteI32 b = brute_i32(t, in, w);
        const RowPrefix p = build_row_prefix(t, std::span<const std::int32_t>(in));
        std::vector<std::int64_t> sum(t.interior_size());
        std::vector<std::int32_t> count(t.interior_size());
        circular_sum(p, w, std::span(sum), std::span(count));
        for (std::size_t i = 0; i < sum.size(); ++i) {
            REQUIRE(count[i] == b.count[i]);
            REQUIRE(sum[i] == (b.count[i] == 0 ? kNodataI64 : b.sum[i]));
        }
    }
}

TEST_CASE("float rasters are summed exactly in fixed point", "[circular]") {
    const auto world = kt::random_f32(5, 31, 19, 0, -1000.0f, 1000.0f, 0.2);
    const CircularWindow w = make_circular_window(650.0, 100.0);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const RowPrefix p = build_row_prefix(t, std::span<const float>(in));
    std::vector<double> sum(t.interior_size()), mean(t.interior_size());
    std::vector<float> mn(t.interior_size()), mx(t.interior_size());
    std::vector<std::int32_t> count(t.interior_size());
    circular_sum(p, w, std::span(sum), std::span(count));
    circular_mean(p, w, std::span(mean));
    circular_min(t, std::span<const float>(in), w, std::span(mn));
    circular_max(t, std::span<const float>(in), w, std::span(mx));
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx; ++x) {
            std::int64_t q = 0, c = 0;
            float lo = INFINITY, hi = -INFINITY;
            double plain = 0.0;
            for (std::int64_t dy = -w.reach; dy <= w.reach; ++dy)
                for (std::int64_t dx = -w.reach; dx <= w.reach; ++dx) {
                    const float v = in[t.padded_index(x + dx, y + dy)];
                    if (!w.contains(dx, dy) || std::isnan(v)) continue;
                    q += to_fixed_point(v, kDefaultFracBits);
                    plain += v;
                    lo = std::min(lo, v);
                    hi = std::max(hi, v);
                    ++c;
                }
            const std::size_t i = t.interior_index(x, y);
            REQUIRE(count[i] == c);
            REQUIRE(sum[i] == std::ldexp(double(q), -kDefaultFracBits));
            REQUIRE(std::fabs(sum[i] - plain) <= 1e-5 * double(c));  // fixed-point resolution
            REQUIRE(mean[i] == std::ldexp(double(q), -kDefaultFracBits) / double(c));
            REQUIRE(mn[i] == lo);
            REQUIRE(mx[i] == hi);
        }
    CHECK_THROWS_WITH(to_fixed_point(3e7f, 16), Catch::Contains("exceeds |v| * 2^16 <= 2^40"));
    std::vector<float> big(in.size(), 3e7f);
    CHECK_THROWS_WITH(build_row_prefix(t, std::span<const float>(big)),
                      Catch::Contains("does not fit the fixed-point range"));
    CHECK_NOTHROW(build_row_prefix(t, std::span<const float>(big), 8));
}

TEST_CASE("circular kernels are bit-identical across tile splits and thread counts",
          "[circular][determinism]") {
    const auto wi = kt::random_i32(11, 47, 31, 9, -100000, 100000, 0.15);
    const auto wb = kt::random_i32(12, 47, 31, 9, 0, 3, 0.15);
    const auto wf = kt::random_f32(13, 47, 31, 9, -50.0f, 300.0f, 0.15);
    const CircularWindow w = make_circular_window(750.0, 100.0);  // reach 7
    const CircularWindow ring = make_annulus_window(250.0, 750.0, 100.0);
    for (std::int64_t halo : {7, 9}) {
        kt::require_split_invariant<std::int64_t>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<std::int64_t> out(t.interior_size());
                circular_sum(build_row_prefix(t, std::span<const std::int32_t>(in)), ring,
                             std::span(out));
                return out;
            });
        kt::require_split_invariant<double>(
            wf, halo, [&](const TileDesc& t, const std::vector<float>& in) {
                std::vector<double> out(t.interior_size());
                circular_mean(build_row_prefix(t, std::span<const float>(in)), w, std::span(out));
                return out;
            });
        kt::require_split_invariant<double>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                // Rate of the raster against a second one cut from the same tile geometry.
                const auto den = kt::cut(wb, t);
                const auto [pa, pb] = build_row_prefix_pair(t, std::span<const std::int32_t>(in),
                                                            std::span<const std::int32_t>(den));
                std::vector<double> out(t.interior_size());
                circular_rate(pa, pb, w, std::span(out));
                return out;
            });
        kt::require_split_invariant<float>(
            wf, halo, [&](const TileDesc& t, const std::vector<float>& in) {
                std::vector<float> out(t.interior_size());
                circular_min(t, std::span<const float>(in), w, std::span(out));
                return out;
            });
        kt::require_split_invariant<std::int32_t>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<std::int32_t> out(t.interior_size());
                circular_max(t, std::span<const std::int32_t>(in), w, std::span(out));
                return out;
            });
    }
}

TEST_CASE("circular kernels reject bad parameters with clear messages", "[circular]") {
    const auto world = kt::random_i32(1, 10, 8, 0, 0, 9, 0.0);
    const TileDesc t = kt::tile_of(world, 0, 0, 10, 8, 3);
    const auto in = kt::cut(world, t);
    const RowPrefix p = build_row_prefix(t, std::span<const std::int32_t>(in));
    std::vector<std::int64_t> sum(t.interior_size());
    std::vector<double> out(t.interior_size());
    std::vector<std::int32_t> iout(t.interior_size());
    CHECK_THROWS_WITH(circular_sum(p, make_circular_window(400.0, 100.0), std::span(sum)),
                      "circular sum: radius 400 m reaches 4 cells but the tile halo is only 3 "
                      "cells");
    CHECK_NOTHROW(circular_sum(p, make_circular_window(399.0, 100.0), std::span(sum)));
    std::vector<double> short_out(5);
    CHECK_THROWS_WITH(circular_mean(p, make_circular_window(200.0, 100.0), std::span(short_out)),
                      Catch::Contains("circular mean: output span has 5 cells, expected the "
                                      "interior 10 x 8 = 80"));
    std::vector<std::int32_t> short_in(7);
    CHECK_THROWS_WITH(build_row_prefix(t, std::span<const std::int32_t>(short_in)),
                      Catch::Contains("input span has 7 cells, expected the padded tile 16 x 14"));
    CHECK_THROWS_WITH(
        circular_mean(p, make_circular_window(200.0, 50.0), std::span(out)),
        Catch::Contains("window was built for cell size 50 m but the tile has 100 m"));
    CHECK_THROWS_WITH(circular_min(t, std::span<const std::int32_t>(in),
                                   make_annulus_window(100.0, 200.0, 100.0), std::span(iout)),
                      "circular min: annulus windows are not supported");
    const auto pf =
        build_row_prefix(t, std::span<const float>(std::vector<float>(in.size(), 1.0f)));
    CHECK_THROWS_WITH(circular_sum(pf, make_circular_window(200.0, 100.0), std::span(sum)),
                      Catch::Contains("use the double overload"));
    CHECK_THROWS_AS(build_row_prefix(t, std::span<const float>(std::vector<float>(in.size())), 31),
                    std::invalid_argument);
}

TEST_CASE("float shares use cells valid in both rasters, in fixed point", "[circular]") {
    const auto wa = kt::random_f32(31, 23, 17, 0, 0.0f, 10.0f, 0.2);
    const auto wb = kt::random_f32(32, 23, 17, 0, 0.0f, 20.0f, 0.2);
    const CircularWindow w = make_circular_window(300.0, 100.0);
    const TileDesc t = kt::tile_of(wa, 0, 0, wa.nx, wa.ny, w.reach);
    const auto a = kt::cut(wa, t);
    const auto b = kt::cut(wb, t);
    const auto [pa, pb] =
        build_row_prefix_pair(t, std::span<const float>(a), std::span<const float>(b));
    std::vector<double> share(t.interior_size());
    std::vector<std::int32_t> count(t.interior_size());
    circular_share(pa, pb, w, std::span(share), std::span(count));
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx; ++x) {
            std::int64_t qa = 0, qb = 0, c = 0;
            for (std::int64_t dy = -w.reach; dy <= w.reach; ++dy)
                for (std::int64_t dx = -w.reach; dx <= w.reach; ++dx) {
                    const float va = a[t.padded_index(x + dx, y + dy)];
                    const float vb = b[t.padded_index(x + dx, y + dy)];
                    if (!w.contains(dx, dy) || std::isnan(va) || std::isnan(vb)) continue;
                    qa += to_fixed_point(va, kDefaultFracBits);
                    qb += to_fixed_point(vb, kDefaultFracBits);
                    ++c;
                }
            const std::size_t i = t.interior_index(x, y);
            REQUIRE(count[i] == c);
            if (c == 0 || qb == 0)
                REQUIRE(std::isnan(share[i]));
            else
                REQUIRE(share[i] == double(qa) / double(qb));
        }
}

TEST_CASE("min and max of signed zeros do not depend on the tile origin",
          "[circular][determinism]") {
    // Van Herk blocks start at the tile edge; -0.0 and +0.0 compare equal, so a tie could pick
    // either sign bit unless zeros are canonicalised.
    auto world = kt::random_f32(41, 29, 19, 5, 0.0f, 1.0f, 0.1);
    for (float& v : world.data)
        if (!std::isnan(v)) v = v < 0.45f ? -0.0f : (v < 0.9f ? 0.0f : 1.0f);
    const CircularWindow w = make_circular_window(400.0, 100.0);
    for (bool is_min : {true, false}) {
        kt::require_split_invariant<float>(
            world, 4, [&](const TileDesc& t, const std::vector<float>& in) {
                std::vector<float> out(t.interior_size());
                if (is_min)
                    circular_min(t, std::span<const float>(in), w, std::span(out));
                else
                    circular_max(t, std::span<const float>(in), w, std::span(out));
                return out;
            });
    }
}

namespace {

// Every prefix-based op through a stored prefix and through a streaming one, bit for bit, at
// `threads` threads (more threads than rows leaves some threads without a band).
template <class T>
void require_stream_equals_stored(const kt::World<T>& world, const kt::World<T>& den,
                                  const CircularWindow& w, int threads, std::int64_t strip = 0) {
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const auto in_b = kt::cut(den, t);
    const std::size_t n = t.interior_size();
    omp_set_num_threads(threads);
    const RowPrefix stored = build_row_prefix(t, std::span<const T>(in));
    RowPrefix streamed = stream_row_prefix(t, std::span<const T>(in));
    streamed.strip_cols = strip;
    const auto [sa, sb] =
        build_row_prefix_pair(t, std::span<const T>(in), std::span<const T>(in_b));
    auto [ta, tb] = stream_row_prefix_pair(t, std::span<const T>(in), std::span<const T>(in_b));
    ta.strip_cols = strip;
    tb.strip_cols = strip;
    REQUIRE(streamed.streaming());
    REQUIRE(streamed.sum.empty());
    const auto both = [&](auto&& run) {
        const auto a = run(stored, sa, sb);
        const auto b = run(streamed, ta, tb);
        REQUIRE(kt::bits_equal(a.first, b.first));
        REQUIRE(kt::bits_equal(a.second, b.second));
    };
    both([&](const RowPrefix& p, const RowPrefix&, const RowPrefix&) {
        std::vector<double> out(n);
        std::vector<std::int32_t> c(n);
        circular_sum(p, w, std::span(out), std::span(c));
        return std::pair{out, c};
    });
    if constexpr (std::is_same_v<T, std::int32_t>) {
        both([&](const RowPrefix& p, const RowPrefix&, const RowPrefix&) {
            std::vector<std::int64_t> out(n);
            std::vector<std::int32_t> c(n);
            circular_sum(p, w, std::span(out), std::span(c));
            return std::pair{out, c};
        });
    }
    if (w.is_annulus()) return;
    both([&](const RowPrefix& p, const RowPrefix&, const RowPrefix&) {
        std::vector<double> out(n);
        std::vector<std::int32_t> c(n);
        circular_mean(p, w, std::span(out));
        circular_count(p, w, std::span(c));
        return std::pair{out, c};
    });
    both([&](const RowPrefix& p, const RowPrefix&, const RowPrefix&) {
        std::vector<double> out(n), out2(n);
        circular_density(p, w, DensityArea::kValid, std::span(out));
        circular_density(p, w, DensityArea::kNominal, std::span(out2));
        return std::pair{out, out2};
    });
    both([&](const RowPrefix&, const RowPrefix& a, const RowPrefix& b) {
        std::vector<double> out(n), out2(n);
        std::vector<std::int32_t> c(n);
        circular_share(a, b, w, std::span(out), std::span(c));
        circular_rate(a, b, w, std::span(out2));
        out.insert(out.end(), out2.begin(), out2.end());
        return std::pair{out, c};
    });
    RowPrefix counts_only = stream_count_prefix(t, std::span<const T>(in));
    counts_only.strip_cols = strip;
    std::vector<std::int32_t> c1(n), c2(n);
    circular_count(stored, w, std::span(c1));
    circular_count(counts_only, w, std::span(c2));
    REQUIRE(kt::bits_equal(c1, c2));
    std::vector<double> tmp(n);
    CHECK_THROWS_WITH(circular_sum(counts_only, w, std::span(tmp)),
                      Catch::Contains("holds counts only"));
}

}  // namespace

TEST_CASE("streaming prefixes give the stored prefixes' results bit for bit", "[circular]") {
    // Small values: window sums fit the packed 32+32-bit form. Large values: they do not, and
    // the kernels fall back to separate count and sum streams. Grid sizes odd, even and prime,
    // some smaller than the window.
    const auto small = kt::random_i32(21, 41, 37, 12, -30, 200, 0.2);
    const auto small_b = kt::random_i32(22, 41, 37, 12, 0, 50, 0.1);
    const auto large = kt::random_i32(23, 30, 17, 12, -2000000000, 2000000000, 0.2);
    const auto large_b = kt::random_i32(24, 30, 17, 12, 0, 2000000000, 0.1);
    const auto tiny = kt::random_i32(25, 3, 2, 12, 0, 9, 0.3);
    const auto fl = kt::random_f32(26, 29, 23, 12, -1000.0f, 1000.0f, 0.2);
    const auto fl_small = kt::random_f32(27, 29, 23, 12, 0.0f, 0.01f, 0.2);
    const auto fl_b = kt::random_f32(28, 29, 23, 12, 0.0f, 500.0f, 0.1);
    std::vector<CircularWindow> windows;
    for (const double r : {50.0, 100.0, 250.0, 500.0, 1100.0})
        windows.push_back(make_circular_window(r, 100.0));
    windows.push_back(make_annulus_window(200.0, 700.0, 100.0));
    windows.push_back(make_annulus_window(0.0, 100.0, 100.0));
    for (const auto& w : windows)
        for (const int threads : {1, 2, 5})
            for (const std::int64_t strip : {0, 1, 7}) {  // 0: automatic (one strip here)
                INFO("radius " << w.outer_m << " inner " << w.inner_m << " threads " << threads
                               << " strip " << strip);
                require_stream_equals_stored(small, small_b, w, threads, strip);
                require_stream_equals_stored(large, large_b, w, threads, strip);
                require_stream_equals_stored(tiny, tiny, w, threads, strip);
                require_stream_equals_stored(fl, fl_b, w, threads, strip);
                require_stream_equals_stored(fl_small, fl_b, w, threads, strip);
            }
    // A wide grid and a large radius: the automatic strip width (cache-sized) splits the rows.
    const auto wide = kt::random_i32(30, 700, 3, 61, 0, 40, 0.1);
    for (const int threads : {1, 2})
        require_stream_equals_stored(wide, wide, make_circular_window(6000.0, 100.0), threads);
    omp_set_num_threads(2);
    // Packed and unpacked paths against brute force, and the packing bound at its edge.
    const auto edge = kt::random_i32(29, 13, 11, 5, 0, 0, 0.0);
    auto big = edge;
    for (auto& v : big.data)
        if (!is_nodata(v)) v = 2147483647 / 9;  // 9-cell disc sums exactly fit in 31 bits
    const CircularWindow w1 = make_circular_window(100.0, 100.0);
    for (const std::int32_t bump : {0, 1}) {
        auto b2 = big;
        b2.at(6, 5) += bump;  // one cell over the bound: the unpacked path must take over
        const TileDesc t = kt::tile_of(b2, 0, 0, b2.nx, b2.ny, w1.reach);
        const auto in = kt::cut(b2, t);
        const RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in));
        std::vector<std::int64_t> out(t.interior_size());
        circular_sum(p, w1, std::span(out));
        const BruteI32 b = brute_i32(t, in, w1);
        for (std::size_t i = 0; i < out.size(); ++i) REQUIRE(out[i] == b.sum[i]);
    }
}

TEST_CASE("streaming circular kernels are bit-identical across tile splits", "[circular]") {
    const auto wi = kt::random_i32(31, 47, 31, 9, -100, 100, 0.15);
    const CircularWindow w = make_circular_window(750.0, 100.0);
    const CircularWindow ring = make_annulus_window(250.0, 750.0, 100.0);
    for (std::int64_t halo : {7, 9}) {
        kt::require_split_invariant<std::int64_t>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<std::int64_t> out(t.interior_size());
                circular_sum(stream_row_prefix(t, std::span<const std::int32_t>(in)), ring,
                             std::span(out));
                return out;
            });
        kt::require_split_invariant<double>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<double> out(t.interior_size());
                circular_mean(stream_row_prefix(t, std::span<const std::int32_t>(in)), w,
                              std::span(out));
                return out;
            });
    }
}

TEST_CASE("row-blocked discs equal one row at a time; Int32 sums equal int64 sums", "[circular]") {
    // Grid heights that leave partial row groups at every thread band's end; small values
    // (packed path) and large ones (separate count and sum streams); strips of 1 and 7 columns.
    const auto small = kt::random_i32(41, 37, 23, 12, -30, 200, 0.2);
    const auto large = kt::random_i32(42, 19, 29, 12, -2000000, 2000000, 0.2);
    for (const auto* world : {&small, &large})
        for (const double r : {50.0, 100.0, 300.0, 1200.0})
            for (const int threads : {1, 2, 3})
                for (const std::int64_t strip : {0, 1, 7}) {
                    INFO("radius " << r << " threads " << threads << " strip " << strip);
                    omp_set_num_threads(threads);
                    const CircularWindow w = make_circular_window(r, 100.0);
                    const TileDesc t = kt::tile_of(*world, 0, 0, world->nx, world->ny, w.reach);
                    const auto in = kt::cut(*world, t);
                    RowPrefix blocked = stream_row_prefix(t, std::span<const std::int32_t>(in));
                    blocked.strip_cols = strip;
                    blocked.row_block_min_reach = 0;
                    blocked.square_min_reach = std::numeric_limits<std::int64_t>::max();
                    RowPrefix one = blocked;
                    one.row_block_min_reach = std::numeric_limits<std::int64_t>::max();
                    const std::size_t n = t.interior_size();
                    std::vector<std::int64_t> a(n), b(n);
                    std::vector<std::int32_t> ca(n), cb(n), s32(n), c32(n);
                    circular_sum(blocked, w, std::span(a), std::span(ca));
                    circular_sum(one, w, std::span(b), std::span(cb));
                    REQUIRE(kt::bits_equal(a, b));
                    REQUIRE(kt::bits_equal(ca, cb));
                    circular_sum(blocked, w, std::span(s32), std::span(c32));
                    REQUIRE(kt::bits_equal(ca, c32));
                    for (std::size_t i = 0; i < n; ++i)
                        REQUIRE(std::int64_t(s32[i]) ==
                                (a[i] == kNodataI64 ? std::int64_t(kNodataI32) : a[i]));
                    const BruteI32 ref = brute_i32(t, in, w);
                    for (std::size_t i = 0; i < n; ++i)
                        REQUIRE(a[i] == (ref.count[i] == 0 ? kNodataI64 : ref.sum[i]));
                }
    omp_set_num_threads(2);
    // A window sum beyond Int32: the Int32 overload refuses, the int64 one is exact.
    auto big = kt::random_i32(43, 9, 8, 3, 0, 0, 0.0);
    for (auto& v : big.data)
        if (!is_nodata(v)) v = 1000000000;
    const CircularWindow w1 = make_circular_window(100.0, 100.0);
    const TileDesc t = kt::tile_of(big, 0, 0, big.nx, big.ny, w1.reach);
    const auto in = kt::cut(big, t);
    const RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in));
    std::vector<std::int32_t> o32(t.interior_size());
    CHECK_THROWS_AS(circular_sum(p, w1, std::span(o32)), std::overflow_error);
    std::vector<std::int64_t> o64(t.interior_size());
    circular_sum(p, w1, std::span(o64));
    REQUIRE(o64[t.interior_index(4, 4)] == 5000000000LL);
    // The same below Int32 (and the nodata value itself, -2^31, is never a valid sum).
    for (const std::int32_t v : {-1000000000, -1073741824}) {
        auto neg = big;
        for (auto& c : neg.data)
            if (!is_nodata(c)) c = 0;
        neg.at(4, 4) = v;
        neg.at(5, 4) = v;  // two cells: -2e9 fits, -2^31 does not
        const auto nin = kt::cut(neg, t);
        const RowPrefix np = stream_row_prefix(t, std::span<const std::int32_t>(nin));
        if (v == -1000000000) {
            circular_sum(np, w1, std::span(o32));
            REQUIRE(o32[t.interior_index(4, 4)] == -2000000000);
        } else {
            CHECK_THROWS_AS(circular_sum(np, w1, std::span(o32)), std::overflow_error);
        }
    }
}

namespace {

// Every streaming op with the disc's square decomposition forced on (square_min_reach 0) and
// off, against brute force: sums (int64, Int32, double), counts, count-only prefixes, means
// and pair shares (two value streams); sums, shares and nominal densities also without a count
// output (the kernels then skip the count chords of blocks whose centre cells are all valid).
void require_square_matches_brute(const kt::World<std::int32_t>& world,
                                  const kt::World<std::int32_t>& den, double radius, int threads,
                                  std::int64_t strip) {
    const CircularWindow w = make_circular_window(radius, world.cell);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const auto in_b = kt::cut(den, t);
    const BruteI32 ref = brute_i32(t, in, w);
    const std::size_t n = t.interior_size();
    omp_set_num_threads(threads);
    // Square with narrow streams, square with packed / separate 64-bit streams, no square;
    // each with the value bound found by the kernels (lazy) and scanned first (modes 3-5);
    // vectorised prefix rows in even modes, scalar ones in odd modes.
    // Modes 6 and 7: row chords (no square) in narrow streams.
    for (const int mode : {0, 1, 2, 3, 4, 5, 6, 7}) {
        const std::int64_t min_reach =
            mode % 3 < 2 && mode < 6 ? 0 : std::numeric_limits<std::int64_t>::max();
        const bool narrow = mode % 3 == 0 || mode >= 6;
        const bool scan = (mode >= 3 && mode < 6) || mode == 7;
        INFO("radius " << radius << " threads " << threads << " strip " << strip << " mode "
                       << mode);
        RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in), scan);
        REQUIRE((p.max_abs < 0) == !scan);
        p.strip_cols = strip;
        p.square_min_reach = min_reach;
        p.narrow_square = narrow;
        p.vector_fill = mode % 2 == 0;  // vectorised or scalar prefix rows, across the modes
        std::vector<std::int64_t> s64(n);
        std::vector<std::int32_t> c(n), c2(n), cd(n), s32(n);
        std::vector<std::int64_t> s64p(n);
        std::vector<double> sd(n), mean(n), share(n), sharep(n), dens(n), densc(n);
        circular_sum(p, w, std::span(s64), std::span(c));
        circular_sum(p, w, std::span(s64p));
        circular_density(p, w, DensityArea::kNominal, std::span(dens));
        circular_density(p, w, DensityArea::kNominal, std::span(densc), std::span(cd));
        circular_sum(p, w, std::span(sd));
        circular_mean(p, w, std::span(mean));
        bool int32_ok = true;
        try {
            circular_sum(p, w, std::span(s32));
        } catch (const std::overflow_error&) {
            int32_ok = false;
        }
        RowPrefix counts_only = stream_count_prefix(t, std::span<const std::int32_t>(in));
        counts_only.strip_cols = strip;
        counts_only.square_min_reach = min_reach;
        counts_only.narrow_square = narrow;
        circular_count(counts_only, w, std::span(c2));
        for (std::size_t i = 0; i < n; ++i) REQUIRE(c2[i] == ref.count[i]);
        auto [pa, pb] = stream_row_prefix_pair(t, std::span<const std::int32_t>(in),
                                               std::span<const std::int32_t>(in_b), scan);
        pa.strip_cols = pb.strip_cols = strip;
        pa.square_min_reach = pb.square_min_reach = min_reach;
        pa.narrow_square = pb.narrow_square = narrow;
        pa.vector_fill = pb.vector_fill = mode % 2 == 0;
        std::vector<std::int32_t> cp(n);
        circular_share(pa, pb, w, std::span(share), std::span(cp));
        circular_share(pa, pb, w, std::span(sharep));
        bool fits = true;
        for (std::size_t i = 0; i < n; ++i) {
            INFO("cell " << i);
            REQUIRE(c[i] == ref.count[i]);
            REQUIRE(cd[i] == ref.count[i]);
            REQUIRE(s64p[i] == s64[i]);
            REQUIRE(std::memcmp(&dens[i], &densc[i], sizeof(double)) == 0);
            if (ref.count[i] == 0) {
                REQUIRE(s64[i] == kNodataI64);
                REQUIRE(std::isnan(dens[i]));
                REQUIRE(std::isnan(sd[i]));
                REQUIRE(std::isnan(mean[i]));
                if (int32_ok) REQUIRE(s32[i] == kNodataI32);
                continue;
            }
            REQUIRE(s64[i] == ref.sum[i]);
            REQUIRE(sd[i] == double(ref.sum[i]));
            REQUIRE(mean[i] == double(ref.sum[i]) / double(ref.count[i]));
            fits = fits && ref.sum[i] > std::int64_t(kNodataI32) && ref.sum[i] <= 2147483647;
            if (int32_ok) REQUIRE(s32[i] == ref.sum[i]);
        }
        REQUIRE(int32_ok == fits);
        const BrutePair bp = brute_pair(t, in, in_b, w);
        for (std::size_t i = 0; i < n; ++i) {
            REQUIRE(cp[i] == bp.count[i]);
            if (bp.count[i] == 0 || bp.sb[i] == 0) {
                REQUIRE(std::isnan(share[i]));
                REQUIRE(std::isnan(sharep[i]));
            } else {
                REQUIRE(share[i] == double(bp.sa[i]) / double(bp.sb[i]));
                REQUIRE(sharep[i] == share[i]);
            }
        }
    }
}

}  // namespace

TEST_CASE("disc square decomposition matches brute force at every radius 0-60 cells",
          "[circular]") {
    // Small values (packed count + sum stream), large ones (separate count and sum streams,
    // and sums beyond Int32); odd, even and prime grid sizes, grids smaller than the window,
    // nodata; strips of 1 and 7 columns and the automatic width; 1-3 threads.
    const auto small = kt::random_i32(61, 13, 11, 0, -30, 200, 0.2);
    const auto small_b = kt::random_i32(62, 13, 11, 0, 0, 50, 0.1);
    const auto large = kt::random_i32(63, 8, 9, 0, -2000000000, 2000000000, 0.2);
    const auto large_b = kt::random_i32(64, 8, 9, 0, 0, 2000000000, 0.1);
    for (int cells = 0; cells <= 60; ++cells) {
        const double r = cells == 0 ? 50.0 : cells * 100.0 + (cells % 5 == 2 ? 50.5 : 0.0);
        const int threads = 1 + cells % 3;
        require_square_matches_brute(small, small_b, r, threads, cells % 2 == 0 ? 0 : 7);
        require_square_matches_brute(large, large_b, r, threads, cells % 4 == 1 ? 1 : 0);
    }
    for (const auto& [nx, ny] : {std::pair{32, 18}, std::pair{41, 29}, std::pair{2, 3}}) {
        const auto a = kt::random_i32(nx * 3 + ny, nx, ny, 4, -1000, 100000, 0.15);
        const auto b = kt::random_i32(nx * 3 + ny + 1, nx, ny, 4, -3, 3, 0.3);
        for (const double r : {100.0, 141.5, 300.0, 707.5, 1234.5, 2500.0})
            for (const int threads : {1, 2, 3})
                for (const std::int64_t strip : {0, 1, 7})
                    require_square_matches_brute(a, b, r, threads, strip);
    }
    // All nodata: zero counts, nodata sums.
    const auto none = kt::random_i32(65, 9, 7, 2, 0, 9, 1.0);
    require_square_matches_brute(none, none, 500.0, 2, 0);
    // Small values but for one or two huge cells: under a lazy bound the rows far from them
    // run packed (or narrow) and each column strip switches to separate streams at the first
    // row group whose window reaches one, rebuilding its ring (also mid-band, mid-strip).
    for (const std::int32_t huge : {2000000000, -2000000000, 300000000}) {
        auto spike = kt::random_i32(68, 37, 41, 3, -20, 300, 0.1);
        spike.at(20, 25) = huge;
        if (huge > 0) spike.at(3, 38) = huge / 2;
        for (const double r : {100.0, 400.0, 900.0, 1500.5})
            for (const int threads : {1, 2, 3})
                for (const std::int64_t strip : {0, 7})
                    require_square_matches_brute(spike, spike, r, threads, strip);
        // The same switch in annuli and in 4-row blocks.
        for (const auto& w :
             {make_annulus_window(200.0, 900.0, 100.0), make_circular_window(600.0, 100.0)}) {
            const TileDesc t = kt::tile_of(spike, 0, 0, spike.nx, spike.ny, w.reach);
            const auto in = kt::cut(spike, t);
            const BruteI32 ref = brute_i32(t, in, w);
            for (const int threads : {1, 2, 3}) {
                omp_set_num_threads(threads);
                RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in));
                p.square_min_reach = std::numeric_limits<std::int64_t>::max();
                p.row_block_min_reach = 0;
                std::vector<std::int64_t> out(t.interior_size());
                std::vector<std::int32_t> c(t.interior_size());
                circular_sum(p, w, std::span(out), std::span(c));
                for (std::size_t i = 0; i < out.size(); ++i) {
                    REQUIRE(c[i] == ref.count[i]);
                    REQUIRE(out[i] == (ref.count[i] == 0 ? kNodataI64 : ref.sum[i]));
                }
            }
        }
    }
    // Wide grids valid far beyond the windows (no halo nodata): whole 32-cell blocks skip their
    // count chords (bounding squares all valid); a few nodata cells make other blocks count.
    for (const int holes : {0, 3}) {
        auto full = kt::random_i32(67 + holes, 90, 12, 40, -50, 500, 0.0);
        std::mt19937_64 rng(99);
        for (auto& v : full.data)
            if (is_nodata(v)) v = std::int32_t(rng() % 500);
        for (int i = 0; i < holes; ++i)
            full.at(std::int64_t(rng() % 90), std::int64_t(rng() % 12)) = kNodataI32;
        for (const double r : {800.0, 1500.5, 4000.0})
            for (const int threads : {1, 2})
                for (const std::int64_t strip : {0, 33})
                    require_square_matches_brute(full, full, r, threads, strip);
    }
    omp_set_num_threads(2);
}

TEST_CASE("disc square decomposition is bit-identical across tile splits", "[circular]") {
    const auto wi = kt::random_i32(66, 47, 31, 9, -100, 100, 0.15);
    const CircularWindow w = make_circular_window(850.0, 100.0);
    for (std::int64_t halo : {8, 10}) {
        kt::require_split_invariant<std::int64_t>(
            wi, halo, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<std::int64_t> out(t.interior_size());
                RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in));
                p.square_min_reach = 0;
                circular_sum(p, w, std::span(out));
                return out;
            });
    }
}
