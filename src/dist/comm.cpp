#include "dist/comm.hpp"

#include <cstdio>
#include <cstdlib>

#include "core/error.hpp"

namespace leefbaar::dist {

void prefer_romio() {
    // Open MPI 4.1's default MPI-IO component (OMPIO) intermittently loses part of a collective
    // write when several ranks write disjoint rows of one unfiltered HDF5 chunk (seen as rows of
    // zeros in /matrix tables, about 1 run in 8 at 4 ranks; tests/io/test_hdf5_mpi.cpp). ROMIO
    // writes them correctly. A user's explicit OMPI_MCA_io is respected.
    setenv("OMPI_MCA_io", "romio321", /*overwrite=*/0);
}

MpiSession::MpiSession(int* argc, char*** argv) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) return;
    prefer_romio();
    int provided = 0;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    // Errors come back as codes so that they become exceptions with context.
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    owns_ = true;
}

MpiSession::~MpiSession() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owns_ && !finalized) MPI_Finalize();
}

int rank(MPI_Comm comm) {
    int r = 0;
    MPI_Comm_rank(comm, &r);
    return r;
}

int size(MPI_Comm comm) {
    int s = 1;
    MPI_Comm_size(comm, &s);
    return s;
}

void check(int rc, const char* what) {
    if (rc == MPI_SUCCESS) return;
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(rc, msg, &len);
    throw Error("mpi", std::string(what) + " failed: " + std::string(msg, std::size_t(len)));
}

int first_failed_rank(bool failed, MPI_Comm comm) {
    int mine = failed ? rank(comm) : size(comm);
    int lowest = 0;
    check(MPI_Allreduce(&mine, &lowest, 1, MPI_INT, MPI_MIN, comm), "MPI_Allreduce(failure)");
    return lowest == size(comm) ? -1 : lowest;
}

void abort_all(const std::string& message, int exit_code, MPI_Comm comm) {
    std::fprintf(stderr, "leefbaar: %s [rank %d]\n", message.c_str(), rank(comm));
    std::fflush(stderr);
    int initialized = 0, finalized = 0;
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized && size(comm) > 1) MPI_Abort(comm, exit_code);
    std::exit(exit_code);
}

}  // namespace leefbaar::dist
