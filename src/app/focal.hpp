#pragma once
// `leefbaar focal`: one kernel applied to GDAL rasters (or a point layer), written as a GeoTIFF.
// The driver reads like the algorithm: grid from the first input, each rank reads its block plus
// a halo as wide as the kernel's reach, computes its interior through BlockInputs (the same
// dispatch the model uses), the blocks are gathered and rank 0 writes (temporary name + rename).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace leefbaar::app {

// One operation of `leefbaar focal`.
struct FocalOp {
    std::string name;            // CLI name, e.g. "square-sum"
    std::string kernel_op;       // BlockInputs op, e.g. "square_sum"
    int rasters = 1;             // input rasters (0 for point operations)
    std::string params;          // parameters for --help, e.g. "--radius R"
    std::string summary;         // one line for --help
    bool integer_only = false;   // refuses a floating-point input raster
    bool exact_integer = false;  // Int32 output for integer input
};

// Every operation, in --help order.
const std::vector<FocalOp>& focal_ops();

// The help text listing every operation with its parameters, output type and nodata.
std::string focal_help();

struct FocalOptions {
    std::string op;
    std::vector<std::string> files;  // input rasters then the output GeoTIFF
    std::optional<double> radius, inner, sigma, length, max_distance;
    std::optional<std::int64_t> k;
    std::string points, layer, where, like;
    bool float32 = false;
};

// Runs the operation on every rank (collective). Throws UsageError for bad options and Error
// for bad data, in both cases before any output file exists.
void run_focal(const FocalOptions& opt);

}  // namespace leefbaar::app
