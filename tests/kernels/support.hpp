#pragma once
// Shared helpers for the kernel tests: seeded random rasters on a small "national" grid,
// tiles cut from it with halos, and a bit-for-bit split/thread invariance check.

#include <omp.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "kernels/tile.hpp"

namespace kt {

using namespace leefbaar::kernels;

// A whole grid NX x NY stored with a margin of H nodata cells (the "outside the country").
template <class T>
struct World {
    std::int64_t nx = 0, ny = 0, margin = 0;
    double cell = 100.0;
    std::vector<T> data;  // (nx + 2 margin) x (ny + 2 margin)

    std::int64_t stride() const { return nx + 2 * margin; }
    T& at(std::int64_t c, std::int64_t r) {
        return data[std::size_t((r + margin) * stride() + c + margin)];
    }
    const T& at(std::int64_t c, std::int64_t r) const {
        return data[std::size_t((r + margin) * stride() + c + margin)];
    }
    bool inside(std::int64_t c, std::int64_t r) const {
        return c >= -margin && c < nx + margin && r >= -margin && r < ny + margin;
    }
};

template <class T>
T nodata_of() {
    if constexpr (std::is_same_v<T, float>)
        return std::numeric_limits<float>::quiet_NaN();
    else
        return kNodataI32;
}

// Random int32 grid: values uniform in [lo, hi], a fraction `holes` of nodata inside.
inline World<std::int32_t> random_i32(std::uint64_t seed, std::int64_t nx, std::int64_t ny,
                                      std::int64_t margin, std::int32_t lo, std::int32_t hi,
                                      double holes, double cell = 100.0) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::int32_t> val(lo, hi);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    World<std::int32_t> w{nx, ny, margin, cell, {}};
    w.data.assign(std::size_t((nx + 2 * margin) * (ny + 2 * margin)), kNodataI32);
    for (std::int64_t r = 0; r < ny; ++r)
        for (std::int64_t c = 0; c < nx; ++c) w.at(c, r) = u(rng) < holes ? kNodataI32 : val(rng);
    return w;
}

// Random float grid: values uniform in [lo, hi), a fraction `holes` of NaN inside.
inline World<float> random_f32(std::uint64_t seed, std::int64_t nx, std::int64_t ny,
                               std::int64_t margin, float lo, float hi, double holes) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> val(lo, hi);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    World<float> w{nx, ny, margin, 100.0, {}};
    w.data.assign(std::size_t((nx + 2 * margin) * (ny + 2 * margin)),
                  std::numeric_limits<float>::quiet_NaN());
    for (std::int64_t r = 0; r < ny; ++r)
        for (std::int64_t c = 0; c < nx; ++c)
            w.at(c, r) = u(rng) < holes ? std::numeric_limits<float>::quiet_NaN() : val(rng);
    return w;
}

// Tile descriptor for interior [c0, c0 + nx) x [r0, r0 + ny) of a world, halo h.
template <class T>
TileDesc tile_of(const World<T>& w, std::int64_t c0, std::int64_t r0, std::int64_t nx,
                 std::int64_t ny, std::int64_t h) {
    TileDesc t{nx, ny, h, w.cell};
    t.grid_xmin = 13000.0;
    t.grid_ymax = 612000.0;
    t.col0 = c0;
    t.row0 = r0;
    return t;
}

// Padded input buffer of a tile cut from the world (cells beyond the margin are nodata).
template <class T>
std::vector<T> cut(const World<T>& w, const TileDesc& t) {
    std::vector<T> out(t.padded_size(), nodata_of<T>());
    for (std::int64_t r = -t.halo; r < t.ny + t.halo; ++r)
        for (std::int64_t c = -t.halo; c < t.nx + t.halo; ++c) {
            const std::int64_t gc = t.col0 + c, gr = t.row0 + r;
            if (w.inside(gc, gr)) out[t.padded_index(c, r)] = w.at(gc, gr);
        }
    return out;
}

template <class T>
bool bits_equal(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() &&
           (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

// Uneven cut points splitting [0, n) into `parts` pieces.
inline std::vector<std::int64_t> cuts(std::int64_t n, int parts, std::uint64_t seed) {
    std::vector<std::int64_t> c{0};
    std::mt19937_64 rng(seed);
    for (int i = 1; i < parts; ++i) {
        const std::int64_t base = n * i / parts;
        const std::int64_t jitter = std::int64_t(rng() % 3) - 1;
        c.push_back(std::clamp<std::int64_t>(base + jitter, c.back() + 1, n - (parts - i)));
    }
    c.push_back(n);
    return c;
}

// Runs `compute(tile, padded input) -> interior output` on the whole grid and on several tile
// splits (tiles cut from the same world with halo h) and with 1 and 2 threads; all bit-equal.
template <class Out, class T, class F>
void require_split_invariant(const World<T>& w, std::int64_t h, F&& compute) {
    const TileDesc whole_t = tile_of(w, 0, 0, w.nx, w.ny, h);
    const std::vector<T> whole_in = cut(w, whole_t);
    omp_set_num_threads(2);
    const std::vector<Out> whole = compute(whole_t, whole_in);
    REQUIRE(whole.size() == std::size_t(w.nx * w.ny));
    omp_set_num_threads(1);
    const std::vector<Out> serial = compute(whole_t, whole_in);
    omp_set_num_threads(2);
    REQUIRE(bits_equal(whole, serial));
    const std::pair<int, int> layouts[] = {{2, 1}, {1, 3}, {3, 2}, {4, 4}};
    std::uint64_t seed = 7;
    for (const auto& [px, py] : layouts) {
        if (px > w.nx || py > w.ny) continue;
        const auto cx = cuts(w.nx, px, ++seed);
        const auto cy = cuts(w.ny, py, ++seed);
        std::vector<Out> assembled(whole.size());
        for (std::size_t j = 0; j + 1 < cy.size(); ++j)
            for (std::size_t i = 0; i + 1 < cx.size(); ++i) {
                const TileDesc t =
                    tile_of(w, cx[i], cy[j], cx[i + 1] - cx[i], cy[j + 1] - cy[j], h);
                const std::vector<Out> part = compute(t, cut(w, t));
                for (std::int64_t r = 0; r < t.ny; ++r)
                    for (std::int64_t c = 0; c < t.nx; ++c)
                        assembled[std::size_t((t.row0 + r) * w.nx + t.col0 + c)] =
                            part[t.interior_index(c, r)];
            }
        INFO("split " << px << " x " << py);
        REQUIRE(bits_equal(whole, assembled));
    }
}

// Exact cell-centre rule for radii that are multiples of 0.5 m and integer cell sizes.
inline bool in_disc(std::int64_t dx, std::int64_t dy, double r, double cell) {
    const auto twice_r = std::int64_t(std::llround(2 * r));
    const auto c = std::int64_t(cell);
    return 4 * (dx * dx + dy * dy) * c * c <= twice_r * twice_r;
}

}  // namespace kt
