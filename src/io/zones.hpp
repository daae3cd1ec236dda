#pragma once
// Vector zones (any OGR polygon source) rasterised onto the grid by the cell-centre rule.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/grid.hpp"
#include "core/raster.hpp"

namespace leefbaar::io {

struct ZoneSource {
    std::string path;          // any OGR data source (GeoPackage, shapefile, ...)
    std::string layer;         // layer name; empty = the first layer
    std::string code_field;    // unique code, e.g. "statcode"
    std::string name_field;    // display name; empty = use the code
    std::string parent_field;  // code of the enclosing zone at the next level; may be empty
};

// Integer zone id (1-based index into these vectors; 0 = no zone) to the source's
// attributes. Zones are sorted by code, so ids are the same whatever reads them.
struct ZoneTable {
    std::vector<std::string> codes;
    std::vector<std::string> names;
    std::vector<std::string> parents;
    std::int32_t id_of(const std::string& code) const;  // 0 if absent
    std::size_t size() const { return codes.size(); }
};

struct RasterisedZones {
    ZoneTable table;
    Raster<std::int32_t> ids;            // the requested window; 0 outside every zone
    std::int64_t overlapping_cells = 0;  // cells of the window whose centre lies in 2+ zones
};

// Reads the zone table of `src` (throws Error naming the file, layer and field when the
// layer or a field is missing, or a code is duplicated or empty).
ZoneTable read_zone_table(const ZoneSource& src);

// One attribute of every zone, by code (for example a municipality's group).
std::map<std::string, std::string> read_zone_attribute(const ZoneSource& src,
                                                       const std::string& field);

// Rasterises the zones onto `window` (e.g. a rank's block grown by a halo) of `grid`.
// A cell belongs to a zone when its centre lies inside the polygon (GDAL's default rule).
// count_overlaps = false: overlapping_cells is not counted (half the rasterising, and no count
// raster), for readers of zones the run has already checked.
RasterisedZones rasterise_zones(const ZoneSource& src, const GridSpec& grid, const Window& block,
                                std::int64_t halo, bool count_overlaps = true);

}  // namespace leefbaar::io
