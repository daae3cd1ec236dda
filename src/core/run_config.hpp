#pragma once
// A run: the input dataset (its manifest), the model, years, periods and output folder.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/grid.hpp"
#include "core/model_config.hpp"

namespace leefbaar {

struct LayerInfo {
    std::string name;
    std::string file;  // relative to the dataset folder; "{year}" is replaced by the year
    std::string unit;
    std::string type;
    std::string description;
};

struct ZoneLevel {
    std::string name;         // buurt, wijk, gemeente, ...
    std::string layer;        // layer in the zones file
    std::string code_field;
    std::string name_field;
    std::string parent_field; // "" for the top level
};

// The dataset's manifest.toml, as written by `leefbaar synth` (or by hand for real data).
struct DatasetManifest {
    std::string dir;
    GridSpec grid;
    std::vector<std::int64_t> years;
    std::map<std::string, LayerInfo> layers;
    std::string zones_file;               // absolute path; empty if none
    std::vector<ZoneLevel> levels;        // finest first
    std::string points_file;              // pattern with {year}, absolute; empty if none
    std::string points_layer = "amenities";
    std::string points_type_field = "type";

    std::string layer_path(const std::string& layer, std::int64_t year) const;
    std::string points_path(std::int64_t year) const;
    bool has_year(std::int64_t y) const;
};

DatasetManifest parse_manifest(const std::string& dir);

struct RunConfig {
    std::string file;
    std::string model_file;
    ModelConfig model;
    std::string data_dir;
    std::string out_dir;
    DatasetManifest dataset;
    std::vector<std::int64_t> years;                              // sorted
    std::vector<std::pair<std::int64_t, std::int64_t>> periods;   // (from, to)
    std::string decomposition = "space";                          // space | years
    std::string lang = "nl";
};

// Parses the run config, the model it names and the dataset manifest, and checks them
// against each other (years, layers, points). UsageError naming file, line and key.
RunConfig parse_run_config(const std::string& file);

}  // namespace leefbaar
