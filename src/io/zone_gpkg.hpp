#pragma once
// Writes zone polygons with their statistics to a GeoPackage (one layer per level).

#include <map>
#include <string>
#include <vector>

#include "io/zones.hpp"

namespace leefbaar::io {

struct ZoneLayerOut {
    ZoneSource source;                // polygons are copied from here
    std::string name;                 // output layer name
    std::vector<std::string> fields;  // attribute names
    std::vector<char> types;          // 'r' real, 'i' integer, 's' string, per field
    // Values per zone: row_of[code] is the zone's row; numbers holds its 'r' and 'i' fields
    // (rows x numeric fields, in field order; NaN = null) and texts its 's' fields.
    std::map<std::string, std::size_t> row_of;
    std::vector<double> numbers;
    std::vector<std::string> texts;
};

// Creates `path` (via "<path>.partial" + rename) with one polygon layer per entry.
void write_zone_gpkg(const std::string& path, const std::vector<ZoneLayerOut>& layers);

}  // namespace leefbaar::io
