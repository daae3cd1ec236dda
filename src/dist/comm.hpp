#pragma once
// The MPI environment: initialisation, rank identity, and failure that stops every rank.

#include <mpi.h>

#include <string>

namespace leefbaar::dist {

// Selects the ROMIO MPI-IO component of Open MPI unless the environment chose one; must run
// before MPI_Init (MpiSession does it).
void prefer_romio();

// RAII MPI_Init_thread / MPI_Finalize (funneled: only the main thread calls MPI; OpenMP
// threads compute). Constructing it twice is allowed (the second is a no-op).
class MpiSession {
  public:
    MpiSession(int* argc, char*** argv);
    ~MpiSession();
    MpiSession(const MpiSession&) = delete;
    MpiSession& operator=(const MpiSession&) = delete;

  private:
    bool owns_ = false;
};

int rank(MPI_Comm comm = MPI_COMM_WORLD);
int size(MPI_Comm comm = MPI_COMM_WORLD);

// Throws leefbaar::Error naming `what` and the MPI error string when rc != MPI_SUCCESS.
void check(int rc, const char* what);

// Collective agreement on failure: every rank passes whether it failed locally; returns the
// lowest failing rank, or -1 when all succeeded. Used around stages whose failure on one rank
// must not leave the others waiting in a later collective.
int first_failed_rank(bool failed, MPI_Comm comm = MPI_COMM_WORLD);

// Prints "leefbaar: <message> [rank R]" to stderr and aborts every rank with `exit_code`.
// The one place that calls MPI_Abort; numerics never do.
[[noreturn]] void abort_all(const std::string& message, int exit_code,
                            MPI_Comm comm = MPI_COMM_WORLD);

}  // namespace leefbaar::dist
