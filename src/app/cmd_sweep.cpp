// `leefbaar sweep RUN_DIR --weights SPEC [--members A:B] [--out DIR]` and
// `leefbaar sweep merge OUT DIR...`: sensitivity sweeps over indicator weights.

#include <memory>
#include <string>
#include <vector>

#include "app/commands.hpp"
#include "app/sweep.hpp"
#include "core/error.hpp"

namespace leefbaar::app {

Command add_sweep_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand(
        "sweep",
        "sensitivity sweep over indicator weights on a finished run: per member class shares, "
        "onvoldoende buurten, typology and zone scores; across members probabilities, spreads, "
        "rank correlations and sensitivities");
    auto opt = std::make_shared<SweepOptions>();
    auto members = std::make_shared<std::string>();
    auto merge_out = std::make_shared<std::string>();
    auto merge_dirs = std::make_shared<std::vector<std::string>>();
    sub->add_option(
        "RUN_DIR", opt->run_dir,
        "output folder of a finished `leefbaar run` (leefbaar.h5, summary.json, run.json)");
    sub->add_option("--weights", opt->weights,
                    "weight spec: a TOML file with a [sweep] table or a CSV list (format below)");
    sub->add_option("--members", *members,
                    "compute members A:B of the spec only (0-based, B exclusive; default all)");
    sub->add_option("--out", opt->out, "output folder (default RUN_DIR/sweep)");
    sub->add_option("--config", opt->config,
                    "run config (default: the one named in RUN_DIR/run.json)");
    sub->add_option("--tile", opt->tile,
                    "members per OpenMP task (default 16; the kernel scores 16 at a time)")
        ->check(CLI::Range(1, 1024));
    auto* merge =
        sub->add_subcommand("merge", "merge sweep slices: leefbaar sweep merge OUT DIR...");
    merge->add_option("OUT", *merge_out, "output folder of the merged sweep")->required();
    merge->add_option("DIR", *merge_dirs, "slice folders (each holds sweep.h5)")->required();
    sub->require_subcommand(0, 1);
    sub->footer(
        std::string(
            "Outputs in --out: sweep.h5 (members x zones: weights, national class residents per "
            "year, onvoldoende "
            "buurten, typology flags, mean deviation per zone of every level in the latest year, "
            "and the same for "
            "the base weights under /base), members.csv, zones.csv (spread of zone scores and "
            "classes, probability of "
            "onvoldoende / aandachtsbuurt / kwetsbare wijk / aandachtsregio), sensitivity.csv "
            "(change of the outcomes "
            "per unit of weight), summary.json, timing.json. Members are split over MPI ranks; "
            "results are identical "
            "for any ranks, threads and --members slicing (merge slices with `sweep merge`).\n\n") +
        kSweepSpecHelp +
        "\nExit code 2: unknown indicator names or a wrong count, a malformed spec, a run folder "
        "that is not finished.");
    return {sub, [sub, merge, opt, members, merge_out, merge_dirs] {
                if (merge->parsed()) {
                    merge_sweeps(*merge_out, *merge_dirs, opt->config);
                    return;
                }
                if (opt->run_dir.empty())
                    throw UsageError(
                        "sweep", "RUN_DIR is required (or use `leefbaar sweep merge OUT DIR...`)");
                if (opt->weights.empty()) throw UsageError("sweep", "--weights SPEC is required");
                if (!members->empty()) parse_member_range(*members, opt->first, opt->last);
                (void)sub;
                run_sweep(*opt);
            }};
}

}  // namespace leefbaar::app
