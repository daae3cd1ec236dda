#pragma once
// Point features (amenities) from any OGR source, grouped by a type attribute.

#include <map>
#include <string>
#include <vector>

#include "core/run_config.hpp"

namespace leefbaar::io {

struct PointSet {
    std::vector<double> x, y;
};

// Reads every point of `layer` in `path` into sets keyed by the `type_field` value. Only
// the types in `wanted` are kept (all when empty). Errors name the file, layer and field.
std::map<std::string, PointSet> read_points(const std::string& path, const std::string& layer,
                                            const std::string& type_field,
                                            const std::vector<std::string>& wanted = {});

// The point sets of one year that the run's model reads (the point types of its point
// indicators, from the dataset's points file); empty when the model has no point indicator.
std::map<std::string, PointSet> read_model_points(const RunConfig& rc, std::int64_t year);

}  // namespace leefbaar::io
