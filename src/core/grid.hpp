#pragma once
// Grid geometry value types: the national grid (GridSpec), windows and tiles within it.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace leefbaar {

// A window of cells in grid coordinates (col grows east, row grows south; row 0 = north).
struct Window {
    std::int64_t col0 = 0;
    std::int64_t row0 = 0;
    std::int64_t ncols = 0;
    std::int64_t nrows = 0;

    std::int64_t col1() const { return col0 + ncols; }  // one past the last column
    std::int64_t row1() const { return row0 + nrows; }  // one past the last row
    std::int64_t cells() const { return ncols * nrows; }
    bool empty() const { return ncols <= 0 || nrows <= 0; }
    bool contains(std::int64_t col, std::int64_t row) const {
        return col >= col0 && col < col1() && row >= row0 && row < row1();
    }
    // This window grown by `h` cells on every side (may extend outside the grid).
    Window grown(std::int64_t h) const {
        return {col0 - h, row0 - h, ncols + 2 * h, nrows + 2 * h};
    }
    // The overlap of two windows (empty if they do not overlap).
    Window intersect(const Window& o) const;
    bool operator==(const Window&) const = default;
};

// A regular north-up grid in a projected CRS: origin at the north-west corner.
// Default: RD New (EPSG:28992), 100 m cells, x 0-280 km, y 300-625 km.
struct GridSpec {
    double xmin = 0.0;       // west edge, metres
    double ymax = 625000.0;  // north edge, metres
    double cell = 100.0;     // cell size, metres
    std::int64_t nx = 2800;
    std::int64_t ny = 3250;
    int epsg = 28992;

    double xmax() const { return xmin + cell * double(nx); }
    double ymin() const { return ymax - cell * double(ny); }
    std::int64_t cells() const { return nx * ny; }
    Window window() const { return {0, 0, nx, ny}; }
    // Cell centre coordinates.
    double centre_x(std::int64_t col) const { return xmin + (double(col) + 0.5) * cell; }
    double centre_y(std::int64_t row) const { return ymax - (double(row) + 0.5) * cell; }
    // GDAL geotransform: {xmin, cell, 0, ymax, 0, -cell}.
    std::array<double, 6> geotransform() const { return {xmin, cell, 0.0, ymax, 0.0, -cell}; }
    // The grid restricted to a window (same cell size and CRS).
    GridSpec crop(const Window& w) const;
    // Grid built from a bounding box; throws UsageError unless the box is a whole
    // number of cells and cell > 0.
    static GridSpec from_extent(double xmin, double ymin, double xmax, double ymax, double cell,
                                int epsg = 28992);
    // "28992 xmin=0 ymax=625000 cell=100 nx=2800 ny=3250", for messages and manifests.
    std::string describe() const;
    bool operator==(const GridSpec&) const = default;
};

// CBS cell code of a 100 m cell: lower-left corner in hectometres, e.g. "E1213N4879" is
// x 121300, y 487900. Needs a grid whose corners fall on whole hectometres.
std::string cell_code(const GridSpec& grid, std::int64_t col, std::int64_t row);

// Parses a CBS cell code into (col, row) on `grid`; throws Error for a malformed code or a
// cell outside the grid.
std::array<std::int64_t, 2> parse_cell_code(const GridSpec& grid, std::string_view code);

}  // namespace leefbaar
