#pragma once
// Parameter validation shared by the kernels: every failure is a std::invalid_argument whose
// message names the kernel and the offending value, so a bad configuration is easy to trace.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// Formats a double compactly ("500", "0.25") for error messages.
std::string format_number(double v);

// Throws unless nx, ny, halo >= 0 and cell_size is finite and > 0.
void check_tile(const TileDesc& tile, std::string_view kernel);

// Throws unless an input span holds exactly the padded tile.
void check_padded_span(const TileDesc& tile, std::size_t size, std::string_view kernel,
                       std::string_view name);

// Throws unless an output span holds exactly the interior (an empty optional output is allowed
// when `optional` is true).
void check_interior_span(const TileDesc& tile, std::size_t size, std::string_view kernel,
                         std::string_view name, bool optional = false);

// Throws unless a cell mask is empty (every cell) or holds exactly the interior.
inline void check_mask(const TileDesc& tile, const CellMask& need, std::string_view kernel) {
    if (!need.all()) check_interior_span(tile, need.cells.size(), kernel, "cell mask");
}

// Throws unless a window reaching `reach` cells fits inside the tile's halo.
void check_reach(const TileDesc& tile, std::int64_t reach, std::string_view kernel,
                 std::string_view what);

// Throws unless `radius_m` is finite and > 0 ("<kernel>: <what> -5 m must be > 0").
void check_radius(double radius_m, std::string_view kernel, std::string_view what);

}  // namespace leefbaar::kernels
