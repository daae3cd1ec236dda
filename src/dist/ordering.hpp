#pragma once
// Global cell order for tables of selected cells (scored cells): rows of the table are sorted
// by cell id (row * nx + col) whatever the decomposition, so files are identical for any rank
// count. With 2-D blocks a rank's cells interleave with its neighbours' row by row; this
// computes where each of its row runs lands.

#include <cstdint>
#include <utility>
#include <vector>

#include "dist/decomposition.hpp"

namespace leefbaar::dist {

struct GlobalRows {
    std::int64_t total = 0;                                   // rows over all ranks
    std::vector<std::pair<std::int64_t, std::int64_t>> runs;  // (offset, count) of this rank's rows
    std::vector<std::int64_t> row_start;  // grid row -> first table row (ny + 1)
};

// `cells` are this rank's selected cell ids, increasing, all inside its block. Collective.
GlobalRows global_rows(const Decomposition& d, const std::vector<std::int64_t>& cells);

}  // namespace leefbaar::dist
