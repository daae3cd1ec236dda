#pragma once
// The liveability model as data: indicators (kernel, transform, weight), dimensions,
// reference year and level, scoring rule, class limits. Parsed strictly from TOML.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace leefbaar {

// How an indicator's raw value is computed from input layers (see `leefbaar focal --help`).
struct KernelSpec {
    std::string op;                   // cell, sum, mean, share, rate, density, count_nonzero,
                                      // min, max, annulus_sum, gaussian, exponential, linear,
                                      // distance, point_distance, point_count, kth_point_distance
    std::vector<std::string> layers;  // input raster layers (1, or 2 for share/rate)
    double radius = 0;                // metres (window ops, point_count)
    double inner_radius = 0;          // metres (annulus_sum)
    double sigma = 0;                 // metres (gaussian)
    double length = 0;                // metres (exponential decay length)
    double max_distance = 0;          // metres: cap for distance ops (0 = 5,000 m default)
    std::string point_type;           // point ops: amenity type in the points layer
    int k = 1;                        // kth_point_distance
    // Cells of context the kernel needs around a block (its reach).
    std::int64_t reach_cells(double cell) const;
    bool uses_points() const { return op.rfind("point", 0) == 0 || op == "kth_point_distance"; }
};

struct TransformSpec {
    enum class Kind { identity, log1p, sqrt, clamp, piecewise };
    Kind kind = Kind::identity;
    double lo = 0, hi = 0;                          // clamp
    std::vector<std::pair<double, double>> points;  // piecewise linear (x increasing)
    bool standardise = false;                       // divide by the reference-year sd
    double apply(double x) const;                   // NaN stays NaN
};

struct IndicatorSpec {
    std::string name;
    std::string dimension;
    std::string description;
    KernelSpec kernel;
    TransformSpec transform;
    double weight = 0;
};

struct ClassScheme {
    std::vector<double> limits;       // increasing; n limits give n+1 classes
    std::vector<std::string> labels;  // n+1 labels
    // 1-based class of a value: 1 + the number of limits <= v; the position upper_bound would
    // give on the increasing limits (NaN: all of them, as upper_bound), counted without branches
    // (a binary search over 8 limits mispredicts on every other step). Inline: it runs per
    // cell and per zone and member of a sweep.
    int classify(double v) const {
        int n = 1;
        for (const double l : limits) n += !(v < l);
        return n;
    }
};

struct ScoringRule {
    std::string residents_layer = "residents";
    std::string dwellings_layer = "dwellings";
    std::int64_t min_residents = 5;
    std::int64_t min_dwellings = 5;
    bool scored(std::int64_t residents, std::int64_t dwellings) const {
        return residents >= min_residents || dwellings >= min_dwellings;
    }
};

struct ModelConfig {
    std::string file;
    std::string name;
    std::int64_t reference_year = 0;
    double reference_level = 0;
    std::vector<std::string> dimensions;
    ScoringRule scoring;
    ClassScheme classes;
    ClassScheme development;
    std::vector<IndicatorSpec> indicators;

    int dimension_index(const std::string& d) const;  // -1 if unknown
    // Every raster layer the model reads (scoring layers included), sorted, unique.
    std::vector<std::string> input_layers() const;
    std::int64_t max_reach_cells(double cell) const;
    bool uses_points() const;
};

// Parses and validates a model file; UsageError naming file, line and key on any problem.
ModelConfig parse_model_config(const std::string& file);

// The operations a KernelSpec may name, with their parameters, for help texts.
const std::vector<std::pair<std::string, std::string>>& kernel_ops();

}  // namespace leefbaar
