#pragma once
// The aggregation stage of `leefbaar run`: zone statistics for every level, the typology,
// the national summary and breakdowns -> <out>/aggregates/{<level>.csv, zones.gpkg},
// <out>/summary.json.

#include <mpi.h>

#include <string>
#include <utility>
#include <vector>

#include "core/aggregate.hpp"
#include "core/model.hpp"
#include "core/raster.hpp"
#include "core/run_config.hpp"
#include "dist/decomposition.hpp"
#include "io/zones.hpp"

namespace leefbaar::app {

struct AggregateInputs {
    const RunConfig* rc = nullptr;
    const dist::Decomposition* d = nullptr;
    const std::vector<YearCells>* years = nullptr;
    const std::vector<CellScores>* scores = nullptr;
    const std::vector<std::vector<float>>* z = nullptr;  // standardised values per year
    std::vector<double> weights;
    // When set: wall seconds of the stage's sections on this rank, and a baseline measured in
    // the same run: one streaming pass over the per-cell bytes the stage reads (bench/).
    std::vector<std::pair<std::string, double>>* timings = nullptr;
};

// The dataset's zone levels, finest first, with each zone's parent index in the next level
// (Error naming the zone when its parent code is unknown). Used by aggregation and sweeps.
std::vector<ZoneLevelTable> load_zone_levels(const DatasetManifest& ds);
// The OGR source of one zone level of a dataset.
io::ZoneSource zone_source(const DatasetManifest& ds, const ZoneLevel& l);

// Collective. Pairs (a < b) of zone indices (id - 1) that share a cell edge anywhere in the
// grid, the same on every rank. `ids` holds zone ids (0 = none) on `block` plus a halo of at
// least one cell, so edges across rank boundaries are found by the rank west or north of them.
std::vector<std::pair<std::int32_t, std::int32_t>> zone_adjacency(const Raster<std::int32_t>& ids,
                                                                  const Window& block,
                                                                  MPI_Comm comm);

// Collective. Writes the outputs on rank 0; returns the summary JSON text (on every rank).
std::string aggregate_stage(const AggregateInputs& in, const std::string& out_dir);

}  // namespace leefbaar::app
