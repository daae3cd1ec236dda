#pragma once
// Evaluates an indicator's kernel on a block: the bridge from model config to kernels.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
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
// by every indicator and radius over that layer (streaming prefixes, see
// kernels/row_prefix.hpp: each kernel call builds only the rows it needs).
class BlockInputs {
  public:
    BlockInputs(const GridSpec& grid, std::int64_t year) : grid_(grid), year_(year) {}
    void add_layer(const std::string& name, Raster<std::int32_t> r) {
        forget_prefixes();
        layers_[name] = std::move(r);
    }
    // A float layer (fixed-point exact sums, see kernels/row_prefix.hpp). Every op except
    // "distance" and "cell" accepts it; share and rate need both layers of the same type.
    void add_layer(const std::string& name, Raster<float> r) {
        forget_prefixes();
        float_layers_[name] = std::move(r);
    }
    // Drops a layer (and every prefix over it) once no later kernel reads it.
    void remove_layer(const std::string& name) {
        forget_prefixes();
        layers_.erase(name);
        float_layers_.erase(name);
    }
    bool has_layer(const std::string& name) const {
        return layers_.count(name) != 0 || float_layers_.count(name) != 0;
    }
    // The block for point operations when no layer is read (e.g. `leefbaar focal --like`).
    void set_block(const Window& interior) { block_ = interior; }
    void add_points(const std::string& type, std::span<const double> xs,
                    std::span<const double> ys);
    const Raster<std::int32_t>& layer(const std::string& name) const;
    const GridSpec& grid() const { return grid_; }
    std::int64_t year() const { return year_; }

    // Raw indicator values on the block interior (row-major), NaN where there is no value.
    // Errors name the indicator, its operation and the year. `need`: the interior cells the
    // caller reads (kernels::CellMask; the run passes its scored cells): they get the same
    // bits as without a mask, other cells may be skipped (their values are then unspecified).
    void evaluate(const IndicatorSpec& ind, std::span<double> out,
                  const kernels::CellMask& need = {});

    // One kernel outside any indicator (used by `leefbaar focal`). Besides the config ops it
    // knows "count" (valid cells in the disc), "square_sum" and "square_mean" (square of
    // half-width floor(radius / cell)); point ops with an infinite max_distance are uncapped.
    void evaluate_kernel(const KernelSpec& k, std::span<double> out,
                         const kernels::CellMask& need = {});
    // Whether evaluate_kernel skips cells outside a mask for this op (circular sums, means,
    // densities, shares, rates, decay sums and the point ops); the others compute every cell.
    static bool honours_mask(const KernelSpec& k);

    // Exact integer results on int32 layers for sum, annulus_sum, count, square_sum, min, max
    // and point_count: kNodataI64 where a window holds no valid cell (count: 0).
    void evaluate_exact(const KernelSpec& k, std::span<std::int64_t> out);
    // Int32 form of evaluate_exact for circular sums ("sum", "annulus_sum") straight from the
    // kernel: false if the op has no such form or a result does not fit Int32 (then use
    // evaluate_exact); `out` is unspecified after false.
    bool evaluate_exact_i32(const KernelSpec& k, std::span<std::int32_t> out);

  private:
    // Streaming prefixes point into the layers: drop them before a layer is replaced.
    void forget_prefixes() {
        prefixes_.clear();
        pairs_.clear();
    }
    const kernels::RowPrefix& prefix(const std::string& layer);
    const std::pair<kernels::RowPrefix, kernels::RowPrefix>& pair_prefix(const std::string& a,
                                                                         const std::string& b);
    const Raster<float>* float_layer(const std::string& name) const;
    kernels::TileDesc block_tile() const;

    GridSpec grid_;
    std::int64_t year_;
    std::map<std::string, Raster<std::int32_t>> layers_;
    std::map<std::string, Raster<float>> float_layers_;
    std::optional<Window> block_;
    std::map<std::string, std::unique_ptr<kernels::PointIndex>> points_;
    std::map<std::string, kernels::RowPrefix> prefixes_;
    std::map<std::pair<std::string, std::string>, std::pair<kernels::RowPrefix, kernels::RowPrefix>>
        pairs_;
};

}  // namespace leefbaar
