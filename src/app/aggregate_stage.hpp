#pragma once
// The aggregation stage of `leefbaar run`: zone statistics for every level, the typology,
// the national summary and breakdowns -> <out>/aggregates/{<level>.csv, zones.gpkg},
// <out>/summary.json.

#include <mpi.h>

#include <functional>
#include <map>
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

// What the stage reads from the zone file, prepared once per run. Not collective and no MPI
// inside, so `leefbaar run` prepares it on a second thread while the results file is written.
struct ZonePrep {
    std::vector<ZoneLevelTable> levels;  // load_zone_levels
    io::RasterisedZones finest;          // the finest level on the block + a 1-cell halo
    // Attributes of the municipality level used by the breakdowns: field -> code -> value.
    std::map<std::string, std::map<std::string, std::string>> attributes;
    // With read_layers: the latest year's share-bin layers on the block (interior).
    std::map<std::string, Raster<std::int32_t>> layers;
    double seconds = 0;  // wall time of the preparation
};
ZonePrep prepare_zones(const RunConfig& rc, const Window& block, bool read_layers = false);

struct AggregateInputs {
    const RunConfig* rc = nullptr;
    const dist::Decomposition* d = nullptr;
    const std::vector<YearCells>* years = nullptr;
    const std::vector<CellScores>* scores = nullptr;  // with zq (the quantised z values)
    std::vector<double> weights;
    // Optional: the zones prepared beforehand (else the stage prepares them), and the layers of
    // the latest year that the share bins need, kept from the kernel stage (interior of the
    // block; else the stage reads them from the dataset).
    const ZonePrep* zones = nullptr;
    const std::map<std::string, Raster<std::int32_t>>* layers = nullptr;
    // When set: wall seconds of the stage's sections on this rank, and a baseline measured in
    // the same run: one streaming pass over the per-cell bytes the stage reads (bench/).
    std::vector<std::pair<std::string, double>>* timings = nullptr;
    // When set: called on every rank once every statistic is computed (and reduced), before
    // any output is written (`leefbaar run` times the statistics and the outputs as two stages).
    std::function<void()> statistics_done;
    // When set: called with the seconds the stage spent measuring its baseline (with timings),
    // which are not the stage's own time.
    std::function<void(double)> untimed;
};

// The dataset's zone levels, finest first, with each zone's parent index in the next level
// (Error naming the zone when its parent code is unknown). Used by aggregation and sweeps.
std::vector<ZoneLevelTable> load_zone_levels(const DatasetManifest& ds);
// The OGR source of one zone level of a dataset.
io::ZoneSource zone_source(const DatasetManifest& ds, const ZoneLevel& l);

// acc[zid[c] - 1] += v[c] for the cells c < n of a raster row with a zone (zid > 0) and a value
// (not nodata): the share-bin sums of the aggregation (the vector paths skip runs of cells
// without a value and add runs of one zone at once; integer sums, so the same result).
void add_by_zone(const std::int32_t* zid, const std::int32_t* v, std::int64_t n, std::int64_t* acc);

// Collective. Pairs (a < b) of zone indices (id - 1) that share a cell edge anywhere in the
// grid, the same on every rank. `ids` holds zone ids (0 = none) on `block` plus a halo of at
// least one cell, so edges across rank boundaries are found by the rank west or north of them.
std::vector<std::pair<std::int32_t, std::int32_t>> zone_adjacency(const Raster<std::int32_t>& ids,
                                                                  const Window& block,
                                                                  MPI_Comm comm);

// `leefbaar aggregate`: the stage alone on a finished run (collective): the scored cells of
// every year are read back from <run_dir>/leefbaar.h5 (/matrix/<year>/, any decomposition)
// and the outputs written to `out` (default run_dir) exactly as `leefbaar run` writes them.
struct AggregateOptions {
    std::string run_dir;
    std::string config;   // default: the one named in <run_dir>/run.json
    std::string out;      // default run_dir
    std::string timings;  // optional JSON file of the stage's sections (rank 0)
};
void aggregate_finished_run(const AggregateOptions& opt);

// Collective. Writes the outputs on rank 0; returns the summary JSON text (on every rank).
std::string aggregate_stage(const AggregateInputs& in, const std::string& out_dir);

}  // namespace leefbaar::app
