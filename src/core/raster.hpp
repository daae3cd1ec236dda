#pragma once
// A rank's piece of a national raster: an interior window plus a halo, owning its memory.

#include <cstdint>
#include <span>
#include <vector>

#include "core/grid.hpp"
#include "kernels/tile.hpp"

namespace leefbaar {

// Cells are stored for the padded window (interior grown by `halo`), row-major, row 0 = north.
// Halo cells outside the national grid hold `nodata`.
template <class T>
struct Raster {
    Window interior;
    std::int64_t halo = 0;
    T nodata{};
    std::vector<T> data;

    Raster() = default;
    Raster(const Window& w, std::int64_t h, T nd)
        : interior(w), halo(h), nodata(nd), data(std::size_t(w.grown(h).cells()), nd) {}

    Window padded() const { return interior.grown(halo); }
    std::int64_t stride() const { return interior.ncols + 2 * halo; }
    // Index of a cell given in national grid coordinates (must lie in the padded window).
    std::size_t index(std::int64_t col, std::int64_t row) const {
        return std::size_t(row - interior.row0 + halo) * std::size_t(stride()) +
               std::size_t(col - interior.col0 + halo);
    }
    T& at(std::int64_t col, std::int64_t row) { return data[index(col, row)]; }
    const T& at(std::int64_t col, std::int64_t row) const { return data[index(col, row)]; }
    // The kernel tile descriptor of this raster on `grid` (cell centres from the grid origin).
    kernels::TileDesc tile(const GridSpec& grid) const {
        kernels::TileDesc t;
        t.nx = interior.ncols;
        t.ny = interior.nrows;
        t.halo = halo;
        t.cell_size = grid.cell;
        t.grid_xmin = grid.xmin;
        t.grid_ymax = grid.ymax;
        t.col0 = interior.col0;
        t.row0 = interior.row0;
        return t;
    }
    std::span<T> span() { return data; }
    std::span<const T> span() const { return data; }
    // The interior cells, copied out row by row (halo dropped).
    std::vector<T> interior_copy() const {
        std::vector<T> out(std::size_t(interior.cells()));
        for (std::int64_t r = 0; r < interior.nrows; ++r)
            for (std::int64_t c = 0; c < interior.ncols; ++c)
                out[std::size_t(r * interior.ncols + c)] = at(interior.col0 + c, interior.row0 + r);
        return out;
    }
};

}  // namespace leefbaar
