// Kernels given a cell mask (CellMask: the cells the caller reads) against the same call
// without one: every needed cell must get the same bits, whatever the masks' shape, the stream
// form the kernel picks (packed, narrow, separate, lazily switched), the disc decomposition,
// row blocking, strips and threads.
#include <catch2/catch.hpp>

#include <limits>
#include <random>

#include "kernels/checks.hpp"
#include "kernels/circular.hpp"
#include "kernels/decay.hpp"
#include "kernels/points.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

namespace {

// Masks over an nx x ny interior: none needed, all needed, a sparse random scatter (about the
// run's 5 %), clusters (towns: whole 32-cell segments needed next to empty ones), one column
// and the last cell alone (segment and strip edges).
std::vector<std::vector<std::uint8_t>> masks_for(std::int64_t nx, std::int64_t ny,
                                                 std::uint64_t seed) {
    const std::size_t n = std::size_t(nx * ny);
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<std::vector<std::uint8_t>> out;
    out.emplace_back(n, 0);
    out.emplace_back(n, 1);
    std::vector<std::uint8_t> sparse(n, 0), towns(n, 0), column(n, 0), last(n, 0);
    for (auto& v : sparse) v = u(rng) < 0.05;
    for (int c = 0; c < 4; ++c) {
        const std::int64_t cx = std::int64_t(rng() % std::uint64_t(nx));
        const std::int64_t cy = std::int64_t(rng() % std::uint64_t(ny));
        for (std::int64_t y = std::max<std::int64_t>(0, cy - 3); y < std::min(ny, cy + 4); ++y)
            for (std::int64_t x = std::max<std::int64_t>(0, cx - 5); x < std::min(nx, cx + 6); ++x)
                towns[std::size_t(y * nx + x)] = u(rng) < 0.7;
    }
    for (std::int64_t y = 0; y < ny; ++y) column[std::size_t(y * nx + nx / 2)] = 1;
    last.back() = 1;
    out.push_back(sparse);
    out.push_back(towns);
    out.push_back(column);
    out.push_back(last);
    return out;
}

// Requires a[i] and b[i] to be the same bits wherever mask[i] is set.
template <class T>
void require_needed_equal(const std::vector<T>& a, const std::vector<T>& b,
                          const std::vector<std::uint8_t>& mask) {
    REQUIRE(a.size() == b.size());
    std::size_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (mask[i] != 0) diff += std::memcmp(&a[i], &b[i], sizeof(T)) != 0;
    REQUIRE(diff == 0);
}

struct Forms {
    std::int64_t strip = 0;
    std::int64_t row_block_min_reach = 25;
    std::int64_t square_min_reach = 8;
    bool narrow = true;
};

void apply_forms(RowPrefix& p, const Forms& f) {
    p.strip_cols = f.strip;
    p.row_block_min_reach = f.row_block_min_reach;
    p.square_min_reach = f.square_min_reach;
    p.narrow_square = f.narrow;
}

// Every masked circular op against its unmasked call, on streaming prefixes of `world` (and
// `den` for shares and rates).
template <class T>
void check_circular(const kt::World<T>& world, const kt::World<T>& den, const CircularWindow& w,
                    const Forms& f, std::uint64_t seed) {
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const auto in_b = kt::cut(den, t);
    RowPrefix p = stream_row_prefix(t, std::span<const T>(in));
    apply_forms(p, f);
    auto [pa, pb] = stream_row_prefix_pair(t, std::span<const T>(in), std::span<const T>(in_b));
    apply_forms(pa, f);
    apply_forms(pb, f);
    const std::size_t n = t.interior_size();
    std::vector<double> full(n), masked(n);
    std::vector<std::int32_t> cf(n), cm(n);
    for (const auto& m : masks_for(t.nx, t.ny, seed)) {
        const CellMask need{m};
        circular_sum(p, w, std::span(full));
        circular_sum(p, w, std::span(masked), {}, need);
        require_needed_equal(full, masked, m);
        circular_sum(p, w, std::span(full), std::span(cf));
        circular_sum(p, w, std::span(masked), std::span(cm), need);
        require_needed_equal(full, masked, m);
        require_needed_equal(cf, cm, m);
        if (!w.is_annulus()) {
            circular_mean(p, w, std::span(full));
            circular_mean(p, w, std::span(masked), {}, need);
            require_needed_equal(full, masked, m);
            for (const DensityArea a : {DensityArea::kValid, DensityArea::kNominal}) {
                circular_density(p, w, a, std::span(full));
                circular_density(p, w, a, std::span(masked), {}, need);
                require_needed_equal(full, masked, m);
            }
        }
        circular_share(pa, pb, w, std::span(full));
        circular_share(pa, pb, w, std::span(masked), {}, need);
        require_needed_equal(full, masked, m);
        circular_rate(pa, pb, w, std::span(full), std::span(cf));
        circular_rate(pa, pb, w, std::span(masked), std::span(cm), need);
        require_needed_equal(full, masked, m);
        require_needed_equal(cf, cm, m);
        if constexpr (std::is_same_v<T, std::int32_t>) {
            std::vector<std::int64_t> f64(n), m64(n);
            circular_sum(p, w, std::span(f64));
            circular_sum(p, w, std::span(m64), {}, need);
            require_needed_equal(f64, m64, m);
        }
    }
}

}  // namespace

TEST_CASE("masked circular kernels give every needed cell the bits of the full call",
          "[circular][mask]") {
    // Small values (packed and narrow streams), large ones (separate streams, switched to
    // lazily), floats (fixed point); a grid wider than a 128-lane block with ragged ends.
    const auto small = kt::random_i32(61, 150, 23, 12, -30, 200, 0.2);
    const auto small_b = kt::random_i32(62, 150, 23, 12, 0, 50, 0.1);
    const auto large = kt::random_i32(63, 140, 19, 12, -2000000000, 2000000000, 0.2);
    const auto large_b = kt::random_i32(64, 140, 19, 12, 0, 2000000000, 0.1);
    const auto fl = kt::random_f32(65, 135, 17, 12, -1000.0f, 1000.0f, 0.2);
    const auto fl_b = kt::random_f32(66, 135, 17, 12, 0.0f, 500.0f, 0.1);
    std::vector<CircularWindow> windows;
    for (const double r : {50.0, 200.0, 500.0, 1100.0})
        windows.push_back(make_circular_window(r, 100.0));
    windows.push_back(make_annulus_window(200.0, 700.0, 100.0));
    const std::int64_t never = std::numeric_limits<std::int64_t>::max();
    const Forms forms[] = {
        {},                         // the defaults
        {7, 0, never, true},        // row-blocked discs, narrow strips
        {0, never, 0, true},        // square decomposition at every radius
        {0, never, 0, false},       // square decomposition, wide streams
        {33, never, never, false},  // one row at a time, wide streams, odd strips
    };
    std::uint64_t seed = 100;
    for (const auto& w : windows)
        for (const Forms& f : forms)
            for (const int threads : {1, 3}) {
                INFO("radius " << w.outer_m << " inner " << w.inner_m << " strip " << f.strip
                               << " row block " << f.row_block_min_reach << " square "
                               << f.square_min_reach << " narrow " << f.narrow << " threads "
                               << threads);
                omp_set_num_threads(threads);
                check_circular(small, small_b, w, f, ++seed);
                check_circular(large, large_b, w, f, ++seed);
                check_circular(fl, fl_b, w, f, ++seed);
            }
    omp_set_num_threads(2);
}

TEST_CASE("masked circular kernels skip segments without needed cells and check the mask",
          "[circular][mask]") {
    const auto world = kt::random_i32(71, 200, 9, 3, 1, 9, 0.0);
    const CircularWindow w = make_circular_window(200.0, 100.0);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, w.reach);
    const auto in = kt::cut(world, t);
    const RowPrefix p = stream_row_prefix(t, std::span<const std::int32_t>(in));
    const std::size_t n = t.interior_size();
    // Nothing needed: every output cell untouched or nodata, never a value.
    const std::vector<std::uint8_t> none(n, 0);
    std::vector<double> out(n, -7.0);
    circular_sum(p, w, std::span(out), {}, CellMask{none});
    for (const double v : out) REQUIRE((v == -7.0 || std::isnan(v)));
    // One needed cell: it gets its value, rows without a needed cell are not written at all.
    std::vector<std::uint8_t> one(n, 0);
    one[t.interior_index(5, 4)] = 1;
    std::fill(out.begin(), out.end(), -7.0);
    circular_sum(p, w, std::span(out), {}, CellMask{one});
    std::vector<double> full(n);
    circular_sum(p, w, std::span(full));
    REQUIRE(out[t.interior_index(5, 4)] == full[t.interior_index(5, 4)]);
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx && y != 4; ++x)
            REQUIRE(out[t.interior_index(x, y)] == -7.0);
    // A mask of the wrong size is an error naming the kernel.
    const std::vector<std::uint8_t> short_mask(n - 1, 1);
    CHECK_THROWS_WITH(circular_sum(p, w, std::span(out), {}, CellMask{short_mask}),
                      Catch::Contains("circular sum") && Catch::Contains("cell mask"));
}

TEST_CASE("masked point kernels give needed cells the full call's bits, others untouched",
          "[points][mask]") {
    const auto world = kt::random_i32(81, 77, 45, 0, 0, 1, 0.0);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, 0);
    std::mt19937_64 rng(82);
    std::uniform_real_distribution<double> ux(12000.0, 22000.0), uy(606000.0, 613000.0);
    std::vector<double> xs, ys;
    for (int i = 0; i < 300; ++i) {
        xs.push_back(ux(rng));
        ys.push_back(uy(rng));
    }
    const PointIndex index(xs, ys);
    const std::size_t n = t.interior_size();
    std::uint64_t seed = 90;
    for (const int threads : {1, 2}) {
        omp_set_num_threads(threads);
        for (const auto& m : masks_for(t.nx, t.ny, ++seed)) {
            const CellMask need{m};
            std::vector<double> full(n), masked(n, -1.0);
            for (const std::optional<double> cap :
                 {std::optional<double>{}, std::optional<double>{250.0}}) {
                nearest_point_distance(t, index, std::span(full), {cap, CapPolicy::kNodata});
                std::fill(masked.begin(), masked.end(), -1.0);
                nearest_point_distance(t, index, std::span(masked), {cap, CapPolicy::kNodata},
                                       need);
                require_needed_equal(full, masked, m);
                for (std::size_t i = 0; i < n; ++i)
                    if (m[i] == 0) REQUIRE(masked[i] == -1.0);
            }
            kth_nearest_point_distance(t, index, 2, std::span(full));
            std::fill(masked.begin(), masked.end(), -1.0);
            kth_nearest_point_distance(t, index, 2, std::span(masked), need);
            require_needed_equal(full, masked, m);
            for (std::size_t i = 0; i < n; ++i)
                if (m[i] == 0) REQUIRE(masked[i] == -1.0);
            std::vector<std::int32_t> cf(n), cm(n, -1);
            count_points_within(t, index, 700.0, std::span(cf));
            count_points_within(t, index, 700.0, std::span(cm), need);
            require_needed_equal(cf, cm, m);
            for (std::size_t i = 0; i < n; ++i)
                if (m[i] == 0) REQUIRE(cm[i] == -1);
        }
    }
    omp_set_num_threads(2);
    const std::vector<std::uint8_t> short_mask(n + 1, 1);
    std::vector<double> out(n);
    CHECK_THROWS_WITH(nearest_point_distance(t, index, std::span(out), {}, CellMask{short_mask}),
                      Catch::Contains("nearest point distance") && Catch::Contains("cell mask"));
}

TEST_CASE("masked decay sums give needed cells the full call's bits", "[decay][mask]") {
    // Dense values (the dense direct and separable passes) and sparse ones (the scatter and the
    // sparse separable pass); a Gaussian (rank 1), an exponential (direct form) and a linear
    // cone (low rank or direct); the grid wider than several 32-cell runs.
    const auto dense = kt::random_i32(91, 130, 21, 9, 0, 50, 0.1);
    auto sparse = kt::random_i32(92, 130, 21, 9, 0, 0, 0.05);
    std::mt19937_64 rng(93);
    for (auto& v : sparse.data)
        if (!is_nodata(v) && rng() % 40 == 0) v = std::int32_t(1 + rng() % 9);
    const DecayKernel kernels[] = {make_gaussian_kernel(200.0, 100.0),
                                   make_exponential_kernel(150.0, 600.0, 100.0),
                                   make_linear_kernel(500.0, 100.0)};
    std::uint64_t seed = 200;
    for (const kt::World<std::int32_t>* world :
         {&dense, static_cast<const kt::World<std::int32_t>*>(&sparse)})
        for (const DecayKernel& k : kernels)
            for (const int threads : {1, 3}) {
                INFO("shape " << int(k.shape) << " rank " << k.rank << " threads " << threads
                              << (world == &sparse ? " sparse" : " dense"));
                omp_set_num_threads(threads);
                const TileDesc t = kt::tile_of(*world, 0, 0, world->nx, world->ny, k.reach);
                const auto in = kt::cut(*world, t);
                std::vector<double> full(t.interior_size()), masked(full.size());
                decay_sum(t, std::span<const std::int32_t>(in), k, std::span(full));
                for (const auto& m : masks_for(t.nx, t.ny, ++seed)) {
                    decay_sum(t, std::span<const std::int32_t>(in), k, std::span(masked),
                              CellMask{m});
                    require_needed_equal(full, masked, m);
                }
            }
    omp_set_num_threads(2);
}
