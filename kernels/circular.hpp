#pragma once
// Circular-window (and annulus) statistics over a padded tile.
//
// Sums, counts and everything derived from them use RowPrefix: for each row offset dy the
// window adds one chord P[x + w + 1] - P[x - w] with w = the exact chord half-width, so a cell
// costs O(radius) integer operations, the x loop vectorises, and one prefix pass serves every
// radius. Large discs (streaming prefixes, RowPrefix::square_min_reach) are split into a
// central square read from 2-D running sums, row chords for the top and bottom caps and column
// chords for the side caps (2 + 4 (reach - s) terms instead of 2 reach + 1), with int32 sums
// and uint16 counts where the sums provably fit. Min and max use the van Herk / Gil-Werman running
// extremum per chord (O(radius) per cell as well). Nodata policy for every op: nodata cells are
// skipped; the optional out_count receives the number of valid cells in each window; a window
// without valid cells yields nodata (kNodataI64 / kNodataI32 / NaN); a zero denominator yields NaN,
// never inf. Windows must fit in the halo (reach <= halo) and share the tile's cell size.
// `need` (sums, means, densities, shares and rates): the cells the caller reads (CellMask); the
// streaming kernels skip the chords of 32-128-cell row segments without a needed cell, whose
// outputs (and counts) are then unspecified; needed cells get the same bits as without a mask.

#include <cstdint>
#include <span>

#include "kernels/circle.hpp"
#include "kernels/row_prefix.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// Which area a density divides by.
enum class DensityArea {
    kValid,    // area of the window's valid cells: coasts and borders are not diluted by nodata
    kNominal,  // full area of the window, valid or not
};

// Exact window sum of an int32 raster (frac_bits 0); kNodataI64 where no cell is valid.
void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<std::int64_t> out,
                  std::span<std::int32_t> out_count = {}, const CellMask& need = {});

// Exact window sum of an int32 raster written as Int32 (kNodataI32 where no cell is valid),
// without an int64 intermediate. Throws std::overflow_error (nothing else changes meaning) if
// some window sum does not fit (-2^31, 2^31); the int64 overload then gives the exact values.
void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<std::int32_t> out,
                  std::span<std::int32_t> out_count = {}, const CellMask& need = {});

// Window sum in input units (fixed point scaled back for float rasters); NaN where none valid.
void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                  std::span<std::int32_t> out_count = {}, const CellMask& need = {});

// Number of valid cells in each window (0, not nodata, when there are none).
void circular_count(const RowPrefix& p, const CircularWindow& w, std::span<std::int32_t> out);

// Mean of the valid cells in each window; NaN where none is valid.
void circular_mean(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                   std::span<std::int32_t> out_count = {}, const CellMask& need = {});

// Window sum per km2 of the valid (or nominal) window area; NaN where no cell is valid.
void circular_density(const RowPrefix& p, const CircularWindow& w, DensityArea area,
                      std::span<double> out, std::span<std::int32_t> out_count = {},
                      const CellMask& need = {});

// Share sum(A) / sum(B) over cells valid in both (build with build_row_prefix_pair); NaN where
// no cell is valid or sum(B) == 0.
void circular_share(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                    std::span<double> out, std::span<std::int32_t> out_count = {},
                    const CellMask& need = {});

// Rate: sum(A) per 1,000 of sum(B), same validity rules as circular_share.
void circular_rate(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                   std::span<double> out, std::span<std::int32_t> out_count = {},
                   const CellMask& need = {});

// Minimum of the valid cells in a disc (annuli are rejected); nodata where none is valid.
void circular_min(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count = {});
void circular_min(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count = {});

// Maximum of the valid cells in a disc (annuli are rejected); nodata where none is valid.
void circular_max(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count = {});
void circular_max(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count = {});

}  // namespace leefbaar::kernels
