// Catch2 v2 main for MPI tests: every rank runs every test case; a failure on any rank
// makes every rank exit non-zero, so mpiexec reports it whichever rank saw it.
#define CATCH_CONFIG_RUNNER
#include <mpi.h>

#include <catch2/catch.hpp>

#include "dist/comm.hpp"

int main(int argc, char** argv) {
    leefbaar::dist::prefer_romio();
    int provided = 0;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    Catch::Session session;
    // Only rank 0 reports successes; every rank reports its own failures.
    int rc = session.applyCommandLine(argc, argv);
    if (rc == 0) rc = session.run();
    int worst = 0;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return worst == 0 ? 0 : 1;
}
