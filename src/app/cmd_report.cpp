// `leefbaar report RUN_DIR [--lang nl|en] [--sweep DIR]`: regenerates the HTML report of a finished
// run from its leefbaar.h5, summary.json and aggregates, without recomputing. Rank 0 does the work.

#include <memory>
#include <string>

#include "app/commands.hpp"
#include "app/report.hpp"
#include "dist/comm.hpp"

namespace leefbaar::app {

Command add_report_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand(
        "report",
        "HTML report of a finished run: maps, charts and tables -> <run>/report/index.html");
    auto dir = std::make_shared<std::string>();
    auto lang = std::make_shared<std::string>();
    auto sweep = std::make_shared<std::string>();
    sub->add_option("RUN_DIR", *dir,
                    "output folder of `leefbaar run` (holds leefbaar.h5 and summary.json)")
        ->required();
    sub->add_option("--lang", *lang,
                    "language of the labels: nl (default, or run.lang of the run config) or en")
        ->check(CLI::IsMember({"nl", "en"}));
    sub->add_option("--sweep", *sweep,
                    "output folder of `leefbaar sweep` for the sweep section (default: "
                    "<RUN_DIR>/sweep when it holds a finished sweep; none otherwise)");
    sub->footer(
        "Writes <RUN_DIR>/report/index.html with the maps as PNG files beside it (written as "
        "report.partial-<pid> and "
        "renamed when complete). With a sweep (--sweep DIR, or <RUN_DIR>/sweep) the report gains a "
        "sweep section: the national figures over the members and a map of the probability of "
        "being onvoldoende per buurt. Exit code 2 when RUN_DIR is not a finished run.");
    return {sub, [dir, lang, sweep] {
                if (dist::rank() != 0) return;
                write_report(*dir, lang->empty() ? report_lang_of_run(*dir) : *lang, *sweep);
            }};
}

}  // namespace leefbaar::app
