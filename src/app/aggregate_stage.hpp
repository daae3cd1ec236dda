#pragma once
// The aggregation stage of `leefbaar run`: zone statistics for every level, the typology,
// the national summary and breakdowns -> <out>/aggregates/{<level>.csv, zones.gpkg},
// <out>/summary.json.

#include <string>
#include <vector>

#include "core/model.hpp"
#include "core/run_config.hpp"
#include "dist/decomposition.hpp"

namespace leefbaar::app {

struct AggregateInputs {
    const RunConfig* rc = nullptr;
    const dist::Decomposition* d = nullptr;
    const std::vector<YearCells>* years = nullptr;
    const std::vector<CellScores>* scores = nullptr;
    const std::vector<std::vector<float>>* z = nullptr;  // standardised values per year
    std::vector<double> weights;
};

// Collective. Writes the outputs on rank 0; returns the summary JSON text (on every rank).
std::string aggregate_stage(const AggregateInputs& in, const std::string& out_dir);

}  // namespace leefbaar::app
