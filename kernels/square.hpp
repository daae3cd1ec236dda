#pragma once
// Square-window statistics in O(1) per cell from summed-area tables. The window around a cell
// is the (2k+1) x (2k+1) block of cells with |dx|, |dy| <= k (k = half_cells >= 0; k = 0 is the
// cell itself). Tables are integer (int32 exact, float in the fixed point of row_prefix.hpp)
// and wrap modulo 2^64, so each window sum, a difference of four entries, is exact and
// independent of where the tile starts. Nodata cells are skipped; a window without valid cells
// yields nodata; out_count optionally receives the number of valid cells.

#include <cstdint>
#include <span>

#include "kernels/row_prefix.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// Exact square-window sum of an int32 raster; kNodataI64 where no cell is valid.
void square_sum(const TileDesc& tile, std::span<const std::int32_t> in, std::int64_t half_cells,
                std::span<std::int64_t> out, std::span<std::int32_t> out_count = {});

// Square-window sum of a float raster (fixed point); NaN where no cell is valid.
void square_sum(const TileDesc& tile, std::span<const float> in, std::int64_t half_cells,
                std::span<double> out, std::span<std::int32_t> out_count = {},
                int frac_bits = kDefaultFracBits);

// Square-window mean of the valid cells of an int32 raster; NaN where none is valid.
void square_mean(const TileDesc& tile, std::span<const std::int32_t> in, std::int64_t half_cells,
                 std::span<double> out, std::span<std::int32_t> out_count = {});

// Square-window mean of the valid cells of a float raster (fixed point); NaN where none valid.
void square_mean(const TileDesc& tile, std::span<const float> in, std::int64_t half_cells,
                 std::span<double> out, std::span<std::int32_t> out_count = {},
                 int frac_bits = kDefaultFracBits);

}  // namespace leefbaar::kernels
