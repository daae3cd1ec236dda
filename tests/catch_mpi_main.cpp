// Catch2 v2 main for MPI tests: every rank runs every test case; a failure on any rank
// makes every rank exit non-zero, so mpiexec reports it whichever rank saw it. The ranks share
// a private TMPDIR named after rank 0's pid.
#define CATCH_CONFIG_RUNNER
#include <mpi.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "dist/comm.hpp"
#include "private_tmp.hpp"

namespace {

// Runs the Catch session; the worst result over the ranks.
int run_tests(int argc, char** argv) {
    Catch::Session session;
    // Only rank 0 reports successes; every rank reports its own failures.
    int rc = session.applyCommandLine(argc, argv);
    if (rc == 0) rc = session.run();
    int worst = 0;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

}  // namespace

int main(int argc, char** argv) {
    leefbaar::dist::prefer_romio();
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    long tag = long(::getpid());
    MPI_Bcast(&tag, 1, MPI_LONG, 0, MPI_COMM_WORLD);
    int worst = 0;
    {
        const leefbaar::testing::PrivateTmp tmp(tag, rank == 0);
        MPI_Barrier(MPI_COMM_WORLD);
        tmp.enter();
        worst = run_tests(argc, argv);
        MPI_Barrier(MPI_COMM_WORLD);  // every rank done with the folder before rank 0 removes it
    }
    MPI_Finalize();
    return worst == 0 ? 0 : 1;
}
