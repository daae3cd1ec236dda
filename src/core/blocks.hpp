#pragma once
// Pure block arithmetic behind the MPI decomposition (testable without MPI).

#include <array>
#include <cstdint>
#include <vector>

#include "core/grid.hpp"

namespace leefbaar {

// Splits n items into `parts` contiguous ranges whose sizes differ by at most one; the
// first n % parts ranges get the extra item. Returns parts+1 offsets. parts may exceed n
// (then some ranges are empty).
std::vector<std::int64_t> balanced_offsets(std::int64_t n, int parts);

// The px x py blocks of `grid`, in row-major rank order (rank = by * px + bx, by = 0 north).
std::vector<Window> block_windows(const GridSpec& grid, int px, int py);

// A process grid px x py for `ranks` ranks that keeps blocks close to square for this grid
// (minimises the halo perimeter). Deterministic.
std::array<int, 2> choose_process_grid(const GridSpec& grid, int ranks);

}  // namespace leefbaar
