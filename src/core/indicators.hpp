#pragma once
// Evaluates an indicator's kernel on a block: the bridge from model config to kernels.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>

#include "core/grid.hpp"
#include "core/model_config.hpp"
#include "core/raster.hpp"
#include "kernels/points.hpp"
#include "kernels/row_prefix.hpp"

namespace leefbaar {

// Everything the kernels of one block and year read: integer layers with a halo as wide as
// the largest reach, and point sets by type. Prefix sums are built once per layer and reused
// by every indicator and radius over that layer.
class BlockInputs {
public:
    BlockInputs(const GridSpec& grid, std::int64_t year) : grid_(grid), year_(year) {}
    void add_layer(const std::string& name, Raster<std::int32_t> r) { layers_[name] = std::move(r); }
    void add_points(const std::string& type, std::span<const double> xs, std::span<const double> ys);
    const Raster<std::int32_t>& layer(const std::string& name) const;
    const GridSpec& grid() const { return grid_; }
    std::int64_t year() const { return year_; }

    // Raw indicator values on the block interior (row-major), NaN where there is no value.
    // Errors name the indicator, its operation and the year.
    void evaluate(const IndicatorSpec& ind, std::span<double> out);

private:
    const kernels::RowPrefix& prefix(const std::string& layer);
    const std::pair<kernels::RowPrefix, kernels::RowPrefix>& pair_prefix(const std::string& a, const std::string& b);
    void evaluate_kernel(const KernelSpec& k, std::span<double> out);

    GridSpec grid_;
    std::int64_t year_;
    std::map<std::string, Raster<std::int32_t>> layers_;
    std::map<std::string, std::unique_ptr<kernels::PointIndex>> points_;
    std::map<std::string, kernels::RowPrefix> prefixes_;
    std::map<std::pair<std::string, std::string>, std::pair<kernels::RowPrefix, kernels::RowPrefix>> pairs_;
};

}  // namespace leefbaar
