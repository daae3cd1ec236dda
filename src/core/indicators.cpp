#include "core/indicators.hpp"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "core/error.hpp"
#include "kernels/circular.hpp"
#include "kernels/decay.hpp"
#include "kernels/edt.hpp"

namespace leefbaar {

void BlockInputs::add_points(const std::string& type, std::span<const double> xs, std::span<const double> ys) {
    points_[type] = xs.empty() ? nullptr : std::make_unique<kernels::PointIndex>(xs, ys);
}

const Raster<std::int32_t>& BlockInputs::layer(const std::string& name) const {
    const auto it = layers_.find(name);
    if (it == layers_.end())
        throw Error("kernels", "layer '" + name + "' year " + std::to_string(year_) + " was not read");
    return it->second;
}

const kernels::RowPrefix& BlockInputs::prefix(const std::string& name) {
    auto it = prefixes_.find(name);
    if (it == prefixes_.end()) {
        const auto& r = layer(name);
        it = prefixes_.emplace(name, kernels::build_row_prefix(r.tile(grid_), r.span())).first;
    }
    return it->second;
}

const std::pair<kernels::RowPrefix, kernels::RowPrefix>& BlockInputs::pair_prefix(const std::string& a,
                                                                                  const std::string& b) {
    auto key = std::make_pair(a, b);
    auto it = pairs_.find(key);
    if (it == pairs_.end()) {
        const auto& ra = layer(a);
        const auto& rb = layer(b);
        it = pairs_.emplace(key, kernels::build_row_prefix_pair(ra.tile(grid_), ra.span(), rb.span())).first;
    }
    return it->second;
}

void BlockInputs::evaluate(const IndicatorSpec& ind, std::span<double> out) {
    try {
        evaluate_kernel(ind.kernel, out);
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        throw Error("kernels", "indicator '" + ind.name + "' (op " + ind.kernel.op + ") year " +
                                   std::to_string(year_) + ": " + e.what());
    }
}

void BlockInputs::evaluate_kernel(const KernelSpec& k, std::span<double> out) {
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
        if (op == "share") kernels::circular_share(p.first, p.second, w, out);
        else kernels::circular_rate(p.first, p.second, w, out);
        return;
    }
    if (op == "sum" || op == "mean" || op == "density" || op == "annulus_sum") {
        const auto w = op == "annulus_sum" ? kernels::make_annulus_window(k.inner_radius, k.radius, cell)
                                           : kernels::make_circular_window(k.radius, cell);
        const auto& p = prefix(k.layers[0]);
        if (op == "mean") kernels::circular_mean(p, w, out);
        else if (op == "density") kernels::circular_density(p, w, kernels::DensityArea::kValid, out);
        else kernels::circular_sum(p, w, out);
        return;
    }
    if (op == "min" || op == "max") {
        const auto& r = layer(k.layers[0]);
        const auto w = kernels::make_circular_window(k.radius, cell);
        std::vector<std::int32_t> tmp(out.size());
        if (op == "min") kernels::circular_min(r.tile(grid_), r.span(), w, tmp);
        else kernels::circular_max(r.tile(grid_), r.span(), w, tmp);
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = tmp[i] == kernels::kNodataI32 ? std::nan("") : double(tmp[i]);
        return;
    }
    if (op == "gaussian" || op == "exponential" || op == "linear") {
        const auto& r = layer(k.layers[0]);
        const auto dk = op == "gaussian"      ? kernels::make_gaussian_kernel(k.sigma, cell)
                        : op == "exponential" ? kernels::make_exponential_kernel(k.length, k.radius, cell)
                                              : kernels::make_linear_kernel(k.radius, cell);
        kernels::decay_sum(r.tile(grid_), r.span(), dk, out);
        return;
    }
    if (op == "distance") {
        const auto& r = layer(k.layers[0]);
        kernels::distance_to_nonzero(r.tile(grid_), r.span(), out,
                                     kernels::DistanceCap{k.max_distance, kernels::CapPolicy::kClamp});
        return;
    }
    if (k.uses_points()) {
        const auto it = points_.find(k.point_type);
        // Any layer gives the block's tile; the scoring layer is always read.
        const auto& any = layers_.begin()->second;
        kernels::TileDesc t = any.tile(grid_);
        t.halo = 0;
        if (it == points_.end() || !it->second) {
            // No point of this type anywhere: every distance is the cap, every count zero.
            const double v = op == "point_count" ? 0.0 : k.max_distance;
            std::fill(out.begin(), out.end(), v);
            return;
        }
        if (op == "point_distance") {
            kernels::nearest_point_distance(t, *it->second, out,
                                            kernels::DistanceCap{k.max_distance, kernels::CapPolicy::kClamp});
        } else if (op == "kth_point_distance") {
            kernels::kth_nearest_point_distance(t, *it->second, k.k, out);
            for (auto& v : out) v = std::min(v, k.max_distance);
        } else {
            std::vector<std::int32_t> tmp(out.size());
            kernels::count_points_within(t, *it->second, k.radius, tmp);
            for (std::size_t i = 0; i < out.size(); ++i) out[i] = double(tmp[i]);
        }
        return;
    }
    throw Error("kernels", "operation '" + op + "' is not implemented");
}

}  // namespace leefbaar
