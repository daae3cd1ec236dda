// `leefbaar focal --op OP [parameters] INPUT... OUTPUT`: one kernel over GDAL rasters or points.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/focal.hpp"

namespace leefbaar::app {

Command add_focal_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand(
        "focal",
        "Apply one kernel (circular/square window, decay, distance, points) to rasters -> GeoTIFF");
    auto opt = std::make_shared<FocalOptions>();
    std::vector<std::string> names;
    for (const auto& o : focal_ops()) names.push_back(o.name);
    sub->add_option("--op", opt->op, "operation (see the list below)")
        ->required()
        ->check(CLI::IsMember(names));
    sub->add_option("FILES", opt->files,
                    "input raster(s) then the output GeoTIFF (point ops: the output only)")
        ->required();
    auto* radius =
        sub->add_option("--radius", "window radius, cutoff or half-width in metres (> 0)");
    auto* inner = sub->add_option("--inner", "annulus inner radius in metres (>= 0, < --radius)");
    auto* sigma = sub->add_option("--sigma", "Gaussian sigma in metres (> 0)");
    auto* length = sub->add_option("--length", "exponential decay length in metres (> 0)");
    auto* maxd = sub->add_option("--max", "distance cap in metres (> 0; distance: default 5000)");
    auto* k = sub->add_option("--k", "kth-point-distance: rank of the neighbour (>= 1)");
    sub->add_option("--points", opt->points, "point ops: vector file (GeoPackage, shapefile, ...)");
    sub->add_option("--layer", opt->layer, "point ops: layer name (default: the first layer)");
    sub->add_option("--where", opt->where,
                    "point ops: OGR SQL attribute filter, e.g. \"type='supermarket'\"");
    sub->add_option("--like", opt->like, "point ops: raster whose grid the output takes");
    sub->add_flag("--float32", opt->float32,
                  "write Float32 instead of Float64 for non-integer results");
    sub->footer(focal_help());
    for (auto* o : {radius, inner, sigma, length, maxd}) o->type_name("METRES")->check(CLI::Number);
    k->type_name("INT")->check(CLI::TypeValidator<std::int64_t>());
    return {sub, [=] {
                auto get = [](CLI::Option* o) {
                    return o->count() ? std::optional<double>(o->as<double>()) : std::nullopt;
                };
                opt->radius = get(radius);
                opt->inner = get(inner);
                opt->sigma = get(sigma);
                opt->length = get(length);
                opt->max_distance = get(maxd);
                if (k->count()) opt->k = k->as<std::int64_t>();
                run_focal(*opt);
            }};
}

}  // namespace leefbaar::app
