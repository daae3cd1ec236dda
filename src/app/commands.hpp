#pragma once
// Each subcommand registers itself on the CLI; this is the list `main` builds.

#include <CLI/CLI.hpp>

#include <functional>

namespace leefbaar::app {

// A subcommand's action, run after parsing, on every rank. Throws leefbaar::Error.
using Action = std::function<void()>;

struct Command {
    CLI::App* sub = nullptr;
    Action action;
};

// Registration functions, one per subcommand (each in its own cmd_*.cpp). They add the
// subcommand with its options to `cli` and return it with the action to run when chosen.
Command add_info_command(CLI::App& cli);
Command add_run_command(CLI::App& cli);
Command add_synth_command(CLI::App& cli);
Command add_focal_command(CLI::App& cli);
Command add_report_command(CLI::App& cli);
Command add_sweep_command(CLI::App& cli);
Command add_aggregate_command(CLI::App& cli);

}  // namespace leefbaar::app
