// leefbaar: the command-line entry point. Every rank runs the same subcommand; an error on any
// rank prints its message (with the rank) and stops all ranks with the documented exit code.

#include <omp.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <vector>

#include "app/commands.hpp"
#include "app/log.hpp"
#include "app/memory.hpp"
#include "core/error.hpp"
#include "core/simd.hpp"
#include "dist/comm.hpp"

namespace {

const char* kExitCodes =
    "Exit codes: 0 success; 1 runtime failure (bad input data, I/O, MPI); 2 usage or "
    "configuration error. Under mpirun an error on any rank stops every rank.";

}  // namespace

int main(int argc, char** argv) {
    using namespace leefbaar;
    app::use_huge_page_malloc(argv);  // may re-execute this binary: before MPI starts
    dist::MpiSession mpi(&argc, &argv);
    CLI::App cli{"leefbaar " LEEFBAAR_VERSION
                 ": national 100 m liveability recompute (MPI + OpenMP, GDAL, parallel HDF5)"};
    cli.footer(kExitCodes);
    cli.set_version_flag("--version", "leefbaar " LEEFBAAR_VERSION);
    cli.require_subcommand(1);
    bool quiet = false;
    cli.add_flag("-q,--quiet", quiet, "print no progress messages");

    const std::vector<app::Command> commands = {
        app::add_info_command(cli),      app::add_run_command(cli),    app::add_synth_command(cli),
        app::add_focal_command(cli),     app::add_report_command(cli), app::add_sweep_command(cli),
        app::add_aggregate_command(cli),
    };

    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // Help and version print on rank 0 only and succeed; parse errors exit 2 on all ranks.
        const int r = dist::rank();
        if (e.get_exit_code() == 0) {
            if (r == 0) cli.exit(e);
            return 0;
        }
        if (r == 0) {
            cli.exit(e);
        }
        return kExitUsage;
    }
    app::set_quiet(quiet);
    app::keep_freed_memory();
    try {
        simd::level();  // a bad LEEFBAAR_SIMD fails here, before any work
        for (const auto& c : commands)
            if (c.sub->parsed()) c.action();
    } catch (const Error& e) {
        dist::abort_all(e.what(), e.exit_code());
    } catch (const std::exception& e) {
        dist::abort_all(std::string("internal error: ") + e.what(), kExitRuntime);
    }
    return kExitOk;
}
