#pragma once
// Tile descriptor shared by every kernel: an interior block plus a halo on each side.

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <span>

namespace leefbaar::kernels {

// Nodata for integer rasters (counts, areas, codes). Float rasters use quiet NaN.
inline constexpr std::int32_t kNodataI32 = std::numeric_limits<std::int32_t>::min();
// Nodata for int64 outputs (exact window sums of int32 rasters).
inline constexpr std::int64_t kNodataI64 = std::numeric_limits<std::int64_t>::min();
// Nodata for floating-point outputs.
inline constexpr double kNodataF64 = std::numeric_limits<double>::quiet_NaN();

// A tile of nx x ny interior cells with `halo` cells of context on every side.
// Input buffers are padded, (nx + 2*halo) x (ny + 2*halo), row-major, row 0 = north;
// halo cells outside the national grid hold nodata. Output buffers hold the interior only.
//
// Point kernels also need cell-centre coordinates. They are derived from the national grid's
// north-west corner and the tile's integer offset in that grid, never from a per-tile float
// origin: centre_x(c) = grid_xmin + (col0 + c + 0.5) * cell_size uses the same integer column
// whatever the split, so every tile computes bit-identical coordinates for a given cell (and
// the same ones as leefbaar::GridSpec::centre_x).
struct TileDesc {
    std::int64_t nx = 0;
    std::int64_t ny = 0;
    std::int64_t halo = 0;
    double cell_size = 100.0;  // metres

    double grid_xmin = 0.0;  // west edge of the national grid, metres
    double grid_ymax = 0.0;  // north edge of the national grid, metres
    std::int64_t col0 = 0;   // national column of interior column 0
    std::int64_t row0 = 0;   // national row of interior row 0 (rows grow southwards)

    std::int64_t padded_nx() const { return nx + 2 * halo; }
    std::int64_t padded_ny() const { return ny + 2 * halo; }
    std::size_t padded_size() const { return std::size_t(padded_nx()) * std::size_t(padded_ny()); }
    std::size_t interior_size() const { return std::size_t(nx) * std::size_t(ny); }
    // Index into a padded buffer of interior coordinates (col, row); -halo <= col < nx + halo.
    std::size_t padded_index(std::int64_t col, std::int64_t row) const {
        return std::size_t(row + halo) * std::size_t(padded_nx()) + std::size_t(col + halo);
    }
    std::size_t interior_index(std::int64_t col, std::int64_t row) const {
        return std::size_t(row) * std::size_t(nx) + std::size_t(col);
    }
    // Centre of interior column `col` (may be in the halo), metres east.
    double centre_x(std::int64_t col) const {
        return grid_xmin + (double(col0 + col) + 0.5) * cell_size;
    }
    // Centre of interior row `row` (may be in the halo), metres north; decreases with row.
    double centre_y(std::int64_t row) const {
        return grid_ymax - (double(row0 + row) + 0.5) * cell_size;
    }
};

// The interior cells a caller reads from a kernel's output: one byte per interior cell of the
// tile, row-major, nonzero = needed. Kernels that take a mask compute every needed cell exactly
// as without it (the same bits) and may skip the others, whose output is then unspecified (left
// as it was, or nodata). An empty mask needs every cell. The run needs only its scored cells,
// about 5 % of the national grid, in 30 % of its 32-cell row segments (bench/RESULTS.md).
struct CellMask {
    std::span<const std::uint8_t> cells;  // empty: every cell

    bool all() const { return cells.empty(); }
    // Row `y` from column 0 (nullptr when every cell is needed).
    const std::uint8_t* row(std::int64_t y, std::int64_t nx) const {
        return cells.empty() ? nullptr : cells.data() + std::size_t(y) * std::size_t(nx);
    }
};

// Whether any of the n mask bytes at m is set (true for a null row: every cell needed).
inline bool any_needed(const std::uint8_t* m, std::int64_t n) {
    if (m == nullptr) return true;
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, m + i, sizeof w);
        if (w != 0) return true;
    }
    for (; i < n; ++i)
        if (m[i] != 0) return true;
    return false;
}

// Calls f(a, e) for each maximal run [a, e) of `block`-cell blocks of the n cells at m that
// hold a needed cell (e clipped to n); once with (0, n) when m is null (every cell needed).
template <class F>
void for_each_needed_run(const std::uint8_t* m, std::int64_t n, std::int64_t block, F&& f) {
    if (m == nullptr) {
        if (n > 0) f(std::int64_t(0), n);
        return;
    }
    for (std::int64_t a = 0; a < n;) {
        while (a < n && !any_needed(m + a, std::min(block, n - a))) a += block;
        if (a >= n) return;
        std::int64_t e = a;
        while (e < n && any_needed(m + e, std::min(block, n - e))) e += block;
        e = std::min(e, n);
        f(a, e);
        a = e + block;  // the block at e (if any) was just found without a needed cell
    }
}

inline bool is_nodata(std::int32_t v) {
    return v == kNodataI32;
}
inline bool is_nodata(float v) {
    return std::isnan(v);
}
inline bool is_nodata(double v) {
    return std::isnan(v);
}

}  // namespace leefbaar::kernels
