#pragma once
// GDAL raster input and output on the national grid.

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/grid.hpp"
#include "core/raster.hpp"

namespace leefbaar::io {

// Registers GDAL's drivers once and routes its messages into our exceptions.
void gdal_init();
// The last GDAL error message (empty if none), cleared after reading.
std::string gdal_last_error();

struct RasterInfo {
    std::string path;
    std::int64_t nx = 0, ny = 0;
    int bands = 0;
    std::array<double, 6> geotransform{};
    int epsg = 0;          // 0 when the CRS has no EPSG code
    std::string crs_name;  // e.g. "Amersfoort / RD New", or "none"
    bool has_nodata = false;
    double nodata = 0.0;
    std::string data_type;  // GDAL name: Int32, Float32, ...
    bool is_integer = false;
};

// Opens `path` and describes band 1; throws Error("ingest", ...) naming the file when it is
// missing, unreadable or not a raster.
RasterInfo probe_raster(const std::string& path);

enum class Coverage {
    full,     // the raster must cover the whole grid
    partial,  // cells of the grid outside the raster are nodata
};

// Checks that the raster lies on `grid`: same CRS (EPSG), same cell size, no rotation,
// origin on the grid's cell boundaries, and (for Coverage::full) covering the grid.
// `what` names the input in messages, e.g. "layer 'dwellings' year 2016".
void check_on_grid(const RasterInfo& info, const GridSpec& grid, const std::string& what,
                   Coverage coverage);

// Reads the padded window of `out` (its interior plus halo) from band 1 with one windowed
// read. Raster nodata and cells outside the raster become out.nodata. Integer T refuses a
// floating-point raster (exact integer kernels need integer input).
template <class T>
void read_window(const std::string& path, const GridSpec& grid, Raster<T>& out,
                 const std::string& what, Coverage coverage = Coverage::full);

struct GeoTiffOptions {
    std::map<std::string, std::string> metadata;  // written as GDAL metadata items
    std::string description;                      // band description
};

// Writes a whole-grid array as a tiled, DEFLATE-compressed GeoTIFF in the grid's CRS,
// first to "<path>.partial" and renamed when complete.
template <class T>
void write_geotiff(const std::string& path, const GridSpec& grid, std::span<const T> values,
                   T nodata, const GeoTiffOptions& options = {});

}  // namespace leefbaar::io
