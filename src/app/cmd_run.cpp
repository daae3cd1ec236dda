// `leefbaar run CONFIG [--out DIR] [--resume] [--force]`

#include "app/commands.hpp"
#include "app/run_pipeline.hpp"

namespace leefbaar::app {

Command add_run_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand(
        "run", "National recompute: kernels, model, deltas -> <out>/leefbaar.h5 and run.json");
    auto opt = std::make_shared<RunOptions>();
    sub->add_option("CONFIG", opt->config, "run config (TOML), e.g. configs/nl-synthetic.toml")
        ->required()
        ->check(CLI::ExistingFile);
    sub->add_option("--out", opt->out, "output folder (overrides run.out in the config)");
    sub->add_flag(
        "--resume", opt->resume,
        "continue an interrupted run from its checkpoints; refuses when config or inputs changed");
    sub->add_flag("--force", opt->force, "overwrite a finished run in the output folder");
    sub->add_flag("--indicator-grids", opt->indicator_grids,
                  "also write every indicator's raw and standardised value as a grid per year");
    sub->footer(
        "Outputs: <out>/leefbaar.h5 (grids per year and period, the indicator matrix), "
        "<out>/run.json "
        "(inputs, timings, memory), <out>/checkpoints/ (per-year kernel results for --resume).");
    return {sub, [opt] { run_pipeline(*opt); }};
}

}  // namespace leefbaar::app
