#include "core/indicators.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"
#include "kernels/circular.hpp"
#include "kernels/decay.hpp"
#include "kernels/edt.hpp"
#include "kernels/square.hpp"

namespace leefbaar {

void BlockInputs::add_points(const std::string& type, std::span<const double> xs,
                             std::span<const double> ys) {
    points_[type] = xs.empty() ? nullptr : std::make_unique<kernels::PointIndex>(xs, ys);
}

const Raster<std::int32_t>& BlockInputs::layer(const std::string& name) const {
    const auto it = layers_.find(name);
    if (it == layers_.end())
        throw Error("kernels",
                    "layer '" + name + "' year " + std::to_string(year_) + " was not read");
    return it->second;
}

const kernels::RowPrefix& BlockInputs::prefix(const std::string& name) {
    auto it = prefixes_.find(name);
    if (it == prefixes_.end()) {
        if (const auto* f = float_layer(name)) {
            it = prefixes_.emplace(name, kernels::stream_row_prefix(f->tile(grid_), f->span()))
                     .first;
        } else {
            const auto& r = layer(name);
            it = prefixes_.emplace(name, kernels::stream_row_prefix(r.tile(grid_), r.span())).first;
        }
    }
    return it->second;
}

const std::pair<kernels::RowPrefix, kernels::RowPrefix>& BlockInputs::pair_prefix(
    const std::string& a, const std::string& b) {
    auto key = std::make_pair(a, b);
    auto it = pairs_.find(key);
    if (it == pairs_.end() && float_layer(a) && float_layer(b)) {
        const auto *fa = float_layer(a), *fb = float_layer(b);
        it = pairs_
                 .emplace(key,
                          kernels::stream_row_prefix_pair(fa->tile(grid_), fa->span(), fb->span()))
                 .first;
    }
    if (it == pairs_.end()) {
        const auto& ra = layer(a);
        const auto& rb = layer(b);
        it =
            pairs_
                .emplace(key, kernels::stream_row_prefix_pair(ra.tile(grid_), ra.span(), rb.span()))
                .first;
    }
    return it->second;
}

const Raster<float>* BlockInputs::float_layer(const std::string& name) const {
    const auto it = float_layers_.find(name);
    return it == float_layers_.end() ? nullptr : &it->second;
}

kernels::TileDesc BlockInputs::block_tile() const {
    kernels::TileDesc t;
    if (!layers_.empty())
        t = layers_.begin()->second.tile(grid_);
    else if (!float_layers_.empty())
        t = float_layers_.begin()->second.tile(grid_);
    else if (block_) {
        t.nx = block_->ncols;
        t.ny = block_->nrows;
        t.cell_size = grid_.cell;
        t.grid_xmin = grid_.xmin;
        t.grid_ymax = grid_.ymax;
        t.col0 = block_->col0;
        t.row0 = block_->row0;
    } else
        throw Error("kernels", "no layer read and no block set for year " + std::to_string(year_));
    t.halo = 0;
    return t;
}

void BlockInputs::evaluate(const IndicatorSpec& ind, std::span<double> out,
                           const kernels::CellMask& need) {
    try {
        evaluate_kernel(ind.kernel, out, need);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("kernels", "indicator '" + ind.name + "' (op " + ind.kernel.op + ") year " +
                                   std::to_string(year_) + ": " + e.what());
    }
}

bool BlockInputs::honours_mask(const KernelSpec& k) {
    const std::string& op = k.op;
    return op == "share" || op == "rate" || op == "sum" || op == "mean" || op == "density" ||
           op == "annulus_sum" || op == "gaussian" || op == "exponential" || op == "linear" ||
           k.uses_points();
}

void BlockInputs::evaluate_kernel(const KernelSpec& k, std::span<double> out,
                                  const kernels::CellMask& need) {
    const double cell = grid_.cell;
    const std::string& op = k.op;
    if (op == "cell") {
        const auto& r = layer(k.layers[0]);
        std::size_t i = 0;
        for (auto row = r.interior.row0; row < r.interior.row1(); ++row)
            for (auto col = r.interior.col0; col < r.interior.col1(); ++col) {
                const auto v = r.at(col, row);
                out[i++] = v == r.nodata ? std::nan("") : double(v);
            }
        return;
    }
    if (op == "share" || op == "rate") {
        const auto w = kernels::make_circular_window(k.radius, cell);
        const auto& p = pair_prefix(k.layers[0], k.layers[1]);
        if (op == "share")
            kernels::circular_share(p.first, p.second, w, out, {}, need);
        else
            kernels::circular_rate(p.first, p.second, w, out, {}, need);
        return;
    }
    if (op == "sum" || op == "mean" || op == "density" || op == "annulus_sum") {
        const auto w = op == "annulus_sum"
                           ? kernels::make_annulus_window(k.inner_radius, k.radius, cell)
                           : kernels::make_circular_window(k.radius, cell);
        const auto& p = prefix(k.layers[0]);
        if (op == "mean")
            kernels::circular_mean(p, w, out, {}, need);
        else if (op == "density")
            kernels::circular_density(p, w, kernels::DensityArea::kValid, out, {}, need);
        else
            kernels::circular_sum(p, w, out, {}, need);
        return;
    }
    if ((op == "min" || op == "max") && float_layer(k.layers[0])) {
        const auto& r = *float_layer(k.layers[0]);
        const auto w = kernels::make_circular_window(k.radius, cell);
        std::vector<float> tmp(out.size());
        if (op == "min")
            kernels::circular_min(r.tile(grid_), r.span(), w, tmp);
        else
            kernels::circular_max(r.tile(grid_), r.span(), w, tmp);
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(tmp[i]);  // NaN stays NaN
        return;
    }
    if (op == "count") {
        const auto w = kernels::make_circular_window(k.radius, cell);
        std::vector<std::int32_t> tmp(out.size());
        kernels::circular_count(prefix(k.layers[0]), w, tmp);
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(tmp[i]);
        return;
    }
    if (op == "square_sum" || op == "square_mean") {
        const auto half = kernels::window_reach(k.radius, cell);
        if (const auto* f = float_layer(k.layers[0])) {
            if (op == "square_sum")
                kernels::square_sum(f->tile(grid_), f->span(), half, out);
            else
                kernels::square_mean(f->tile(grid_), f->span(), half, out);
            return;
        }
        const auto& r = layer(k.layers[0]);
        if (op == "square_mean") {
            kernels::square_mean(r.tile(grid_), r.span(), half, out);
            return;
        }
        std::vector<std::int64_t> tmp(out.size());
        kernels::square_sum(r.tile(grid_), r.span(), half, tmp);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = tmp[i] == kernels::kNodataI64 ? std::nan("") : double(tmp[i]);
        return;
    }
    if (op == "min" || op == "max") {
        const auto& r = layer(k.layers[0]);
        const auto w = kernels::make_circular_window(k.radius, cell);
        std::vector<std::int32_t> tmp(out.size());
        if (op == "min")
            kernels::circular_min(r.tile(grid_), r.span(), w, tmp);
        else
            kernels::circular_max(r.tile(grid_), r.span(), w, tmp);
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = tmp[i] == kernels::kNodataI32 ? std::nan("") : double(tmp[i]);
        return;
    }
    if (op == "gaussian" || op == "exponential" || op == "linear") {
        const auto dk = op == "gaussian" ? kernels::make_gaussian_kernel(k.sigma, cell)
                        : op == "exponential"
                            ? kernels::make_exponential_kernel(k.length, k.radius, cell)
                            : kernels::make_linear_kernel(k.radius, cell);
        if (const auto* f = float_layer(k.layers[0])) {
            kernels::decay_sum(f->tile(grid_), f->span(), dk, out, need);
            return;
        }
        const auto& r = layer(k.layers[0]);
        kernels::decay_sum(r.tile(grid_), r.span(), dk, out, need);
        return;
    }
    if (op == "distance") {
        const auto& r = layer(k.layers[0]);
        // An infinite max_distance (leefbaar focal without --max) means uncapped: exact only when
        // the block is the whole grid (see kernels/edt.hpp).
        const auto cap =
            std::isfinite(k.max_distance) ? std::optional<double>(k.max_distance) : std::nullopt;
        kernels::distance_to_nonzero(r.tile(grid_), r.span(), out,
                                     kernels::DistanceCap{cap, kernels::CapPolicy::kClamp});
        return;
    }
    if (k.uses_points()) {
        const auto it = points_.find(k.point_type);
        // Any layer gives the block's tile; the scoring layer is always read.
        const kernels::TileDesc t = block_tile();
        // An infinite max_distance (leefbaar focal without --max) means uncapped.
        const auto cap =
            std::isfinite(k.max_distance) ? std::optional<double>(k.max_distance) : std::nullopt;
        if (it == points_.end() || !it->second) {
            // No point of this type anywhere: every distance is the cap, every count zero.
            const double v = op == "point_count" ? 0.0 : k.max_distance;
            std::fill(out.begin(), out.end(), v);
            return;
        }
        if (op == "point_distance") {
            kernels::nearest_point_distance(
                t, *it->second, out, kernels::DistanceCap{cap, kernels::CapPolicy::kClamp}, need);
        } else if (op == "kth_point_distance") {
            kernels::kth_nearest_point_distance(t, *it->second, k.k, out, need);
            for (auto& v : out) v = std::min(v, k.max_distance);
        } else {
            std::vector<std::int32_t> tmp(out.size());
            kernels::count_points_within(t, *it->second, k.radius, tmp, need);
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(tmp[i]);
        }
        return;
    }
    throw Error("kernels", "operation '" + op + "' is not implemented");
}

bool BlockInputs::evaluate_exact_i32(const KernelSpec& k, std::span<std::int32_t> out) {
    const std::string& op = k.op;
    if (op != "sum" && op != "annulus_sum") return false;
    const double cell = grid_.cell;
    const auto w = op == "annulus_sum"
                       ? kernels::make_annulus_window(k.inner_radius, k.radius, cell)
                       : kernels::make_circular_window(k.radius, cell);
    layer(k.layers[0]);  // int32 layers only: throws naming the layer otherwise
    try {
        kernels::circular_sum(prefix(k.layers[0]), w, out);
    } catch (const std::overflow_error&) {
        return false;
    }
    return true;
}

void BlockInputs::evaluate_exact(const KernelSpec& k, std::span<std::int64_t> out) {
    const double cell = grid_.cell;
    const std::string& op = k.op;
    auto widen = [&](const std::vector<std::int32_t>& tmp, bool nodata_passes) {
        for (std::size_t i = 0; i < out.size(); ++i)
            out[i] = nodata_passes && tmp[i] == kernels::kNodataI32 ? kernels::kNodataI64
                                                                    : std::int64_t(tmp[i]);
    };
    if (op == "sum" || op == "annulus_sum") {
        const auto w = op == "annulus_sum"
                           ? kernels::make_annulus_window(k.inner_radius, k.radius, cell)
                           : kernels::make_circular_window(k.radius, cell);
        layer(k.layers[0]);  // int32 layers only: throws naming the layer otherwise
        kernels::circular_sum(prefix(k.layers[0]), w, out);
        return;
    }
    if (op == "count") {
        layer(k.layers[0]);
        std::vector<std::int32_t> tmp(out.size());
        kernels::circular_count(prefix(k.layers[0]), kernels::make_circular_window(k.radius, cell),
                                tmp);
        widen(tmp, false);
        return;
    }
    if (op == "square_sum") {
        const auto& r = layer(k.layers[0]);
        kernels::square_sum(r.tile(grid_), r.span(), kernels::window_reach(k.radius, cell), out);
        return;
    }
    if (op == "min" || op == "max") {
        const auto& r = layer(k.layers[0]);
        const auto w = kernels::make_circular_window(k.radius, cell);
        std::vector<std::int32_t> tmp(out.size());
        if (op == "min")
            kernels::circular_min(r.tile(grid_), r.span(), w, tmp);
        else
            kernels::circular_max(r.tile(grid_), r.span(), w, tmp);
        widen(tmp, true);
        return;
    }
    if (op == "point_count") {
        const auto it = points_.find(k.point_type);
        std::vector<std::int32_t> tmp(out.size(), 0);
        if (it != points_.end() && it->second)
            kernels::count_points_within(block_tile(), *it->second, k.radius, tmp);
        widen(tmp, false);
        return;
    }
    throw Error("kernels", "operation '" + op + "' has no exact integer form");
}

}  // namespace leefbaar
