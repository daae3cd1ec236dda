#pragma once
// A run: the input dataset (its manifest), the model, years, periods and output folder.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/grid.hpp"
#include "core/model_config.hpp"
#include "core/typology.hpp"

namespace leefbaar {

struct LayerInfo {
    std::string name;
    std::string file;  // relative to the dataset folder; "{year}" is replaced by the year
    std::string unit;
    std::string type;
    std::string description;
};

struct ZoneLevel {
    std::string name;   // buurt, wijk, gemeente, ...
    std::string layer;  // layer in the zones file
    std::string code_field;
    std::string name_field;
    std::string parent_field;     // "" for the top level
    std::string group_field;      // optional municipality group attribute (G4 / G40 / other)
    std::string declining_field;  // optional 0/1 attribute: region with population decline
};

// The dataset's manifest.toml, as written by `leefbaar synth` (or by hand for real data).
struct DatasetManifest {
    std::string dir;
    GridSpec grid;
    std::vector<std::int64_t> years;
    std::map<std::string, LayerInfo> layers;
    std::string zones_file;         // absolute path; empty if none
    std::vector<ZoneLevel> levels;  // finest first
    std::string points_file;        // pattern with {year}, absolute; empty if none
    std::string points_layer = "amenities";
    std::string points_type_field = "type";

    std::string layer_path(const std::string& layer, std::int64_t year) const;
    std::string points_path(std::int64_t year) const;
    bool has_year(std::int64_t y) const;
};

DatasetManifest parse_manifest(const std::string& dir);

// Binned response curve of score and change against a buurt-level share (e.g. social rent).
struct ShareBins {
    std::string name;
    std::string numerator, denominator;  // layers
    std::vector<double> edges;           // increasing, first 0
};

// A zone layer the user adds that need not nest in the dataset's levels (postcode areas,
// service areas, ...): aggregated directly from the cells (cell-centre rule), no typology.
// Either an OGR polygon layer (file + layer + code field) or a GeoTIFF of integer zone ids on
// the run's grid (0 and nodata = no zone; the id is the code).
struct ExtraZoneLevel {
    std::string name;
    std::string file;  // OGR data source, absolute ("" for a raster)
    std::string layer;
    std::string code_field;
    std::string name_field;
    std::string raster;  // zone-id GeoTIFF, absolute ("" for a polygon layer)
};

struct AggregationConfig {
    bool enabled = true;
    std::vector<std::string> levels;               // default: every level of the dataset
    std::int64_t onvoldoende_min_residents = 100;  // onvoldoende buurt: >= 100 residents ...
    int onvoldoende_max_class = 3;                 // ... in cells of class 1..3
    TypologyRules typology;
    std::vector<ShareBins> share_bins;
    int worst_safety_buurten = 25;             // length of the ranked list
    std::vector<ExtraZoneLevel> extra_levels;  // [[aggregation.zones]]
};

struct RunConfig {
    std::string file;
    std::string model_file;
    ModelConfig model;
    std::string data_dir;
    std::string out_dir;
    DatasetManifest dataset;
    std::vector<std::int64_t> years;                             // sorted
    std::vector<std::pair<std::int64_t, std::int64_t>> periods;  // (from, to)
    std::string lang = "nl";
    AggregationConfig aggregation;
};

// Parses the run config, the model it names and the dataset manifest, and checks them
// against each other (years, layers, points). UsageError naming file, line and key.
RunConfig parse_run_config(const std::string& file);

}  // namespace leefbaar
