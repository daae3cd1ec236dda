#pragma once
// `leefbaar run`: the national recompute, stage by stage.
//
//   plan       parse run config, model and dataset manifest; decompose the grid
//   fingerprint hash config and every input (refuses --resume after a change)
//   kernels/Y  per year: read layers (block + halo), evaluate every indicator kernel,
//              keep the scored cells; checkpointed to <out>/checkpoints/kernels-Y.h5
//   reference  resident-weighted reference-year statistics (exact global reductions)
//   model      standardised values, contributions, dimension scores, deviation, classes
//   deltas     per period: differences, development classes (exact decomposition)
//   write      <out>/leefbaar.h5 (parallel HDF5, CF georeferenced) + <out>/run.json

#include <mpi.h>

#include <string>

namespace leefbaar::app {

struct RunOptions {
    std::string config;
    std::string out;  // overrides run.out
    bool resume = false;
    bool force = false;              // overwrite an existing finished run
    bool indicator_grids = false;    // also write one grid per indicator and year
    MPI_Comm comm = MPI_COMM_WORLD;  // the ranks that run it (tests use sub-communicators)
};

void run_pipeline(const RunOptions& options);

// File names inside the output folder.
inline constexpr const char* kResultsFile = "leefbaar.h5";
inline constexpr const char* kRunManifest = "run.json";

}  // namespace leefbaar::app
