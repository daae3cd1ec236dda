#pragma once
// Vector output through GDAL/OGR: zone polygons from id rasters, and point layers, written as
// GeoPackages whose bytes depend only on their content (fixed timestamps), so checksums of
// files from different runs match.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/grid.hpp"

namespace leefbaar::io {

using Wkb = std::vector<unsigned char>;

// Polygonises an id raster on `grid` (ids 1..n, 0 = no zone) into one (Multi)Polygon per id,
// returned as ISO WKB in id order (element i = id i + 1; empty when the id has no cell).
// Polygons follow cell edges, so zones are disjoint and cover exactly their cells.
std::vector<Wkb> polygonize_ids(const GridSpec& grid, std::span<const std::int32_t> ids,
                                std::int32_t n);

struct VectorField {
    std::string name;
    bool integer = false;
    std::vector<std::string> text;      // when !integer
    std::vector<std::int64_t> numbers;  // when integer
};

struct PolygonLayer {
    std::string name;
    std::vector<VectorField> fields;  // each with one value per feature
    std::vector<Wkb> geometries;      // MultiPolygon WKB per feature (may be empty: no geometry)
};

// Writes the layers (in order) to a new GeoPackage at `path` (replaced if it exists).
void write_polygon_layers(const std::string& path, int epsg,
                          const std::vector<PolygonLayer>& layers);

// Writes a point layer with fields `type_field` (text), x and y (metres) to a new GeoPackage.
void write_points(const std::string& path, int epsg, const std::string& layer,
                  const std::string& type_field, const std::vector<std::string>& type_names,
                  std::span<const std::int32_t> types, std::span<const double> xs,
                  std::span<const double> ys);

}  // namespace leefbaar::io
