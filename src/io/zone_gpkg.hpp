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
    std::map<std::string, std::vector<std::string>> values;  // code -> field values (text)
};

// Creates `path` (via "<path>.partial" + rename) with one polygon layer per entry.
void write_zone_gpkg(const std::string& path, const std::vector<ZoneLayerOut>& layers);

}  // namespace leefbaar::io
