#include "kernels/circular.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/checks.hpp"

namespace leefbaar::kernels {

namespace {

void check_window(const TileDesc& tile, const CircularWindow& w, const char* kernel) {
    check_tile(tile, kernel);
    if (w.outer_half.empty())
        throw std::invalid_argument(std::string(kernel) +
                                    ": window is empty; build it with make_circular_window");
    if (w.cell_size != tile.cell_size)
        throw std::invalid_argument(std::string(kernel) + ": window was built for cell size " +
                                    format_number(w.cell_size) + " m but the tile has " +
                                    format_number(tile.cell_size) + " m");
    check_reach(tile, w.reach, kernel, "radius " + format_number(w.outer_m) + " m");
}

void check_prefix(const RowPrefix& p, const CircularWindow& w, const char* kernel, bool need_sum) {
    check_window(p.tile, w, kernel);
    const std::size_t n = p.stride() * std::size_t(p.tile.padded_ny());
    if (p.count.size() != n)
        throw std::invalid_argument(std::string(kernel) + ": row prefix does not match its tile");
    if (need_sum && p.sum.size() != n)
        throw std::invalid_argument(
            std::string(kernel) + ": row prefix holds counts only; build it with build_row_prefix");
}

// acc[x] += sum of the chord |dx| <= wo (minus the hole |dx| <= wi) around column x.
template <class A, class P>
inline void add_chord(A* __restrict acc, const P* p, std::int64_t nx, std::int64_t wo,
                      std::int64_t wi) {
    const P* hi = p + wo + 1;
    const P* lo = p - wo;
    for (std::int64_t x = 0; x < nx; ++x) acc[x] += A(hi[x] - lo[x]);
    if (wi >= 0) {
        hi = p + wi + 1;
        lo = p - wi;
        for (std::int64_t x = 0; x < nx; ++x) acc[x] -= A(hi[x] - lo[x]);
    }
}

// Runs the chord accumulation for every interior row and hands each finished row to `fn`
// (row, counts, sums of value prefix 0, sums of value prefix 1). Sums are wrapping uint64 that
// the caller reinterprets as int64 (exact, see row_prefix.hpp).
template <int NV, class Fn>
void for_each_window_row(const RowPrefix& counts, const std::array<const RowPrefix*, NV>& vals,
                         const CircularWindow& w, Fn&& fn) {
    const std::int64_t nx = counts.tile.nx;
    const std::int64_t ny = counts.tile.ny;
    const std::int64_t reach = w.reach;
#pragma omp parallel
    {
        std::vector<std::int32_t> cnt(static_cast<std::size_t>(nx));
        std::vector<std::uint64_t> acc(std::size_t(nx) * (NV > 0 ? NV : 1));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < ny; ++y) {
            std::fill(cnt.begin(), cnt.end(), 0);
            std::fill(acc.begin(), acc.end(), 0);
            for (std::int64_t dy = -reach; dy <= reach; ++dy) {
                const std::int64_t wo = w.outer_half[std::size_t(dy + reach)];
                const std::int64_t wi = w.inner_half[std::size_t(dy + reach)];
                add_chord(cnt.data(), counts.count_row(y + dy), nx, wo, wi);
                for (int v = 0; v < NV; ++v)
                    add_chord(acc.data() + std::size_t(v) * std::size_t(nx),
                              vals[std::size_t(v)]->sum_row(y + dy), nx, wo, wi);
            }
            fn(y, cnt.data(), acc.data(), acc.data() + std::size_t(nx) * (NV > 1 ? 1 : 0));
        }
    }
}

inline std::int64_t as_i64(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}

void write_count(std::span<std::int32_t> out_count, std::int64_t y, std::int64_t nx,
                 const std::int32_t* cnt) {
    if (out_count.empty()) return;
    std::copy(cnt, cnt + nx, out_count.data() + std::size_t(y) * std::size_t(nx));
}

template <class Ratio>
void ratio_kernel(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                  std::span<double> out, std::span<std::int32_t> out_count, const char* kernel,
                  Ratio ratio) {
    check_prefix(a, w, kernel, true);
    check_prefix(b, w, kernel, true);
    const TileDesc& t = a.tile;
    if (b.tile.nx != t.nx || b.tile.ny != t.ny || b.tile.halo != t.halo)
        throw std::invalid_argument(std::string(kernel) +
                                    ": the two prefixes cover different tiles");
    if (a.frac_bits != b.frac_bits)
        throw std::invalid_argument(std::string(kernel) +
                                    ": the two prefixes use different fixed-point scales");
    check_interior_span(t, out.size(), kernel, "output");
    check_interior_span(t, out_count.size(), kernel, "count output", true);
    const std::int64_t nx = t.nx;
    for_each_window_row<2>(a, {&a, &b}, w,
                           [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t* sa,
                               const std::uint64_t* sb) {
                               double* o = out.data() + std::size_t(y) * std::size_t(nx);
                               for (std::int64_t x = 0; x < nx; ++x) {
                                   const std::int64_t den = as_i64(sb[x]);
                                   o[x] = (cnt[x] == 0 || den == 0)
                                              ? kNodataF64
                                              : ratio(double(as_i64(sa[x])), double(den));
                               }
                               write_count(out_count, y, nx, cnt);
                           });
}

// Extremum over valid cells of a disc, van Herk / Gil-Werman per chord.
template <class T, bool kMin>
void extremum_kernel(const TileDesc& tile, std::span<const T> in, const CircularWindow& w,
                     std::span<T> out, std::span<std::int32_t> out_count, const char* kernel) {
    check_window(tile, w, kernel);
    if (w.is_annulus())
        throw std::invalid_argument(std::string(kernel) + ": annulus windows are not supported");
    check_padded_span(tile, in.size(), kernel, "input");
    check_interior_span(tile, out.size(), kernel, "output");
    check_interior_span(tile, out_count.size(), kernel, "count output", true);
    const RowPrefix counts = build_count_prefix<T>(tile, in);

    // Nodata becomes the identity of the extremum; -0.0f becomes +0.0f so that ties resolve to
    // the same bits whatever the block alignment (which depends on the tile's origin).
    constexpr T kIdentity = [] {
        if constexpr (std::is_same_v<T, float>)
            return kMin ? std::numeric_limits<float>::infinity()
                        : -std::numeric_limits<float>::infinity();
        else
            return kMin ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
    }();
    const auto map = [](T v) -> T {
        if (is_nodata(v)) return kIdentity;
        if constexpr (std::is_same_v<T, float>) {
            if (v == 0.0f) return 0.0f;
        }
        return v;
    };
    const auto pick = [](T a, T b) -> T {
        if constexpr (kMin)
            return b < a ? b : a;
        else
            return a < b ? b : a;
    };
    const T nodata = [] {
        if constexpr (std::is_same_v<T, float>)
            return std::numeric_limits<float>::quiet_NaN();
        else
            return kNodataI32;
    }();

    const std::int64_t nx = tile.nx;
    const std::int64_t ny = tile.ny;
    const std::int64_t pnx = tile.padded_nx();
    const std::int64_t reach = w.reach;
#pragma omp parallel
    {
        std::vector<T> g(static_cast<std::size_t>(nx + 2 * reach + 1));
        std::vector<T> h(g.size());
        std::vector<T> best(static_cast<std::size_t>(nx));
        std::vector<std::int32_t> cnt(static_cast<std::size_t>(nx));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < ny; ++y) {
            std::fill(best.begin(), best.end(), kIdentity);
            std::fill(cnt.begin(), cnt.end(), 0);
            for (std::int64_t dy = -reach; dy <= reach; ++dy) {
                const std::int64_t wo = w.outer_half[std::size_t(dy + reach)];
                add_chord(cnt.data(), counts.count_row(y + dy), nx, wo, std::int64_t(-1));
                const T* row = in.data() + std::size_t(y + dy + tile.halo) * std::size_t(pnx) +
                               std::size_t(tile.halo);
                if (wo == 0) {
                    for (std::int64_t x = 0; x < nx; ++x) best[x] = pick(best[x], map(row[x]));
                    continue;
                }
                const T* s = row - wo;  // segment of nx + 2 wo cells
                const std::int64_t len = nx + 2 * wo;
                const std::int64_t k = 2 * wo + 1;
                for (std::int64_t b = 0; b < len; b += k) {
                    const std::int64_t e = std::min(b + k, len);
                    g[b] = map(s[b]);
                    for (std::int64_t i = b + 1; i < e; ++i) g[i] = pick(g[i - 1], map(s[i]));
                    h[e - 1] = map(s[e - 1]);
                    for (std::int64_t i = e - 2; i >= b; --i) h[i] = pick(h[i + 1], map(s[i]));
                }
                for (std::int64_t x = 0; x < nx; ++x)
                    best[x] = pick(best[x], pick(h[x], g[x + k - 1]));
            }
            T* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x) o[x] = cnt[x] == 0 ? nodata : best[x];
            write_count(out_count, y, nx, cnt.data());
        }
    }
}

}  // namespace

void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<std::int64_t> out,
                  std::span<std::int32_t> out_count) {
    const char* kernel = "circular sum";
    check_prefix(p, w, kernel, true);
    if (p.frac_bits != 0)
        throw std::invalid_argument(
            "circular sum: int64 output needs an exact int32 prefix; use the double overload");
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w,
        [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t* s, const std::uint64_t*) {
            std::int64_t* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x) o[x] = cnt[x] == 0 ? kNodataI64 : as_i64(s[x]);
            write_count(out_count, y, nx, cnt);
        });
}

void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                  std::span<std::int32_t> out_count) {
    const char* kernel = "circular sum";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w,
        [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t* s, const std::uint64_t*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x)
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x]));
            write_count(out_count, y, nx, cnt);
        });
}

void circular_count(const RowPrefix& p, const CircularWindow& w, std::span<std::int32_t> out) {
    const char* kernel = "circular count";
    check_prefix(p, w, kernel, false);
    check_interior_span(p.tile, out.size(), kernel, "output");
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<0>(p, {}, w,
                           [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t*,
                               const std::uint64_t*) { write_count(out, y, nx, cnt); });
}

void circular_mean(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                   std::span<std::int32_t> out_count) {
    const char* kernel = "circular mean";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w,
        [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t* s, const std::uint64_t*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x)
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x])) / double(cnt[x]);
            write_count(out_count, y, nx, cnt);
        });
}

void circular_density(const RowPrefix& p, const CircularWindow& w, DensityArea area,
                      std::span<double> out, std::span<std::int32_t> out_count) {
    const char* kernel = "circular density";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    const std::int64_t nx = p.tile.nx;
    const double cell_km2 = p.tile.cell_size * p.tile.cell_size / 1e6;
    const double nominal_km2 = double(w.cells) * cell_km2;
    for_each_window_row<1>(
        p, {&p}, w,
        [&](std::int64_t y, const std::int32_t* cnt, const std::uint64_t* s, const std::uint64_t*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x) {
                const double km2 =
                    area == DensityArea::kValid ? double(cnt[x]) * cell_km2 : nominal_km2;
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x])) / km2;
            }
            write_count(out_count, y, nx, cnt);
        });
}

void circular_share(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                    std::span<double> out, std::span<std::int32_t> out_count) {
    ratio_kernel(a, b, w, out, out_count, "circular share",
                 [](double num, double den) { return num / den; });
}

void circular_rate(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                   std::span<double> out, std::span<std::int32_t> out_count) {
    ratio_kernel(a, b, w, out, out_count, "circular rate",
                 [](double num, double den) { return 1000.0 * num / den; });
}

void circular_min(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count) {
    extremum_kernel<std::int32_t, true>(tile, in, w, out, out_count, "circular min");
}
void circular_min(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count) {
    extremum_kernel<float, true>(tile, in, w, out, out_count, "circular min");
}
void circular_max(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count) {
    extremum_kernel<std::int32_t, false>(tile, in, w, out, out_count, "circular max");
}
void circular_max(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count) {
    extremum_kernel<float, false>(tile, in, w, out, out_count, "circular max");
}

}  // namespace leefbaar::kernels
