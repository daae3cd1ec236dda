#pragma once
// Per-row prefix sums of a padded tile: the shared first pass of every circular-window kernel.
// One RowPrefix serves any number of radii (and annuli) over the same raster.
//
// Exactness: int32 input is summed exactly. Float input is first converted to a fixed-point
// int64, q = llrint(v * 2^frac_bits) (round half to even), with |q| <= 2^40; the per-cell
// conversion does not depend on the tile, and all later arithmetic is integer, so window sums
// are bit-identical for every tile split and thread count. Prefix sums are stored as uint64 and
// allowed to wrap: a window sum is a difference of prefix sums and is exact modulo 2^64, hence
// exact whenever the true window sum fits in int64 (always for int32 input; for fixed-point
// input whenever the window holds fewer than 2^22 cells).

#include <cmath>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// Default fixed-point resolution for float rasters: 2^-16 ~ 1.5e-5, range |v| <= 2^24 ~ 1.7e7.
inline constexpr int kDefaultFracBits = 16;
// Largest allowed |fixed-point value| of one cell.
inline constexpr std::int64_t kMaxFixedMagnitude = std::int64_t(1) << 40;

// Prefix sums of values and of valid-cell counts, one row of padded_nx + 1 entries per padded
// row (entry 0 is zero). Nodata cells contribute nothing to either.
//
// Two forms: a stored prefix (build_row_prefix: `sum` and `count` hold every row) and a
// streaming one (stream_row_prefix: nothing stored; each thread of a circular-window kernel
// builds only the prefix rows of its own row band, in a ring of 2 * reach + 1 rows that it
// reuses, so no tile-sized allocation or zero fill sits in the hot path). Both give the same
// window sums to the bit. A streaming prefix points into the raster(s) it was made from, which
// must outlive it.
struct RowPrefix {
    TileDesc tile;
    int frac_bits = 0;                // values are stored as v * 2^frac_bits (0: exact int32)
    std::vector<std::uint64_t> sum;   // wrapping prefix sums of the (fixed-point) values
    std::vector<std::int32_t> count;  // prefix counts of valid cells

    // Streaming form: the padded source raster (exactly one of the two) and an optional mask
    // raster of the same type (a cell counts only where the mask is valid too).
    const std::int32_t* src_i32 = nullptr;
    const float* src_f32 = nullptr;
    const void* mask = nullptr;
    bool with_sum = true;
    // Largest |fixed-point value| of a counted cell (streaming form): decides whether window
    // sums fit the packed 32+32-bit form that the kernels use when they can. -1 (int32 streams
    // unless scanned): not known in advance; the kernels start packed and bound every window
    // from the largest |value| of the rows they build, switching a column strip to separate
    // count and sum streams where the bound fails (same bits either way).
    std::int64_t max_abs = 0;

    // Column-strip width of the streaming kernels (0: sized for the cache; tests set it small
    // to exercise many strips on small grids).
    std::int64_t strip_cols = 0;
    // Disc kernels whose reach is at least this many cells accumulate several output rows per
    // pass over the prefix rows (measured faster at 5 km, slower at 1 km on 100 m cells; see
    // bench/RESULTS.md); smaller ones take one row at a time. Same bits either way: tests set 0
    // (always) or a huge value (never).
    std::int64_t row_block_min_reach = 25;
    // Disc kernels whose reach is at least this many cells (and at least 1) split the disc into
    // a central square (2-D running sums: 2 chords), top and bottom caps (row chords) and left
    // and right caps (column chords): 2 + 4 (reach - s) chords per cell instead of 2 reach + 1,
    // s = the largest half side with (s, s) in the disc (r = 50: 62 instead of 101). Same bits
    // either way (tests set 0 or a huge value); the default is where it was measured faster
    // (bench/RESULTS.md).
    std::int64_t square_min_reach = 8;
    // Square-decomposed discs whose window sums fit the packed form (and reach <= 127) keep
    // int32 sums and uint16 counts in separate streams (16 and 32 lanes per 64-byte vector
    // instead of 8) and skip the count chords of 32-cell blocks whose bounding squares hold no
    // nodata (count = the window's cells). Same bits either way; tests set both.
    bool narrow_square = true;
    // Int32 streams build packed and narrow prefix rows with a vectorised in-register scan
    // (false: the scalar loop; same values, tests set both).
    bool vector_fill = true;

    bool streaming() const { return src_i32 != nullptr || src_f32 != nullptr; }

    std::size_t stride() const { return std::size_t(tile.padded_nx()) + 1; }
    // Pointer to the prefix row of interior row `row`, offset so that p[col] is the sum of the
    // padded columns strictly west of interior column `col` (-halo <= col <= nx + halo).
    const std::uint64_t* sum_row(std::int64_t row) const {
        return sum.data() + std::size_t(row + tile.halo) * stride() + std::size_t(tile.halo);
    }
    const std::int32_t* count_row(std::int64_t row) const {
        return count.data() + std::size_t(row + tile.halo) * stride() + std::size_t(tile.halo);
    }
    // Converts a fixed-point window sum back to the input's units.
    double to_value(std::int64_t fixed_sum) const {
        return std::ldexp(double(fixed_sum), -frac_bits);
    }
};

// Converts one float to the fixed-point representation; throws if NaN, infinite or out of range.
std::int64_t to_fixed_point(float v, int frac_bits);

// Row prefix sums of an int32 raster (exact).
RowPrefix build_row_prefix(const TileDesc& tile, std::span<const std::int32_t> values);

// Row prefix sums of a float raster in fixed point (frac_bits in [0, 30]).
RowPrefix build_row_prefix(const TileDesc& tile, std::span<const float> values,
                           int frac_bits = kDefaultFracBits);

// Prefix sums of two rasters over their common valid cells (a cell counts only where both are
// valid), as needed for ratios of window sums such as shares and rates.
std::pair<RowPrefix, RowPrefix> build_row_prefix_pair(const TileDesc& tile,
                                                      std::span<const std::int32_t> a,
                                                      std::span<const std::int32_t> b);
std::pair<RowPrefix, RowPrefix> build_row_prefix_pair(const TileDesc& tile,
                                                      std::span<const float> a,
                                                      std::span<const float> b,
                                                      int frac_bits = kDefaultFracBits);

// Streaming prefixes (see RowPrefix): validate the input (float values must fit the fixed-point
// range, as for build_row_prefix) and record max_abs, but store no prefix rows.
// Int32: scan_bound false (default) leaves max_abs to the kernels (-1, no pass over the
// input); true scans the input for it first (the previous behaviour, a same-run baseline).
RowPrefix stream_row_prefix(const TileDesc& tile, std::span<const std::int32_t> values,
                            bool scan_bound = false);
RowPrefix stream_row_prefix(const TileDesc& tile, std::span<const float> values,
                            int frac_bits = kDefaultFracBits);
std::pair<RowPrefix, RowPrefix> stream_row_prefix_pair(const TileDesc& tile,
                                                       std::span<const std::int32_t> a,
                                                       std::span<const std::int32_t> b,
                                                       bool scan_bound = false);
std::pair<RowPrefix, RowPrefix> stream_row_prefix_pair(const TileDesc& tile,
                                                       std::span<const float> a,
                                                       std::span<const float> b,
                                                       int frac_bits = kDefaultFracBits);
// Counts only (with_sum false).
RowPrefix stream_count_prefix(const TileDesc& tile, std::span<const std::int32_t> values);
RowPrefix stream_count_prefix(const TileDesc& tile, std::span<const float> values);

// Fills the prefix of padded row `r` over padded columns [c0, c1) of a streaming prefix:
// count[0..c1-c0] and, if sum != nullptr, sum[0..c1-c0] (entry 0 is zero; differences equal
// those of the stored form).
void fill_prefix_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                     std::int32_t* count, std::uint64_t* sum);
// The same in the packed form: packed[x] = count * 2^32 + sum (wrapping), usable when every
// window sum of the kernel satisfies |sum| < 2^31 (see max_abs).
// Returns the largest |(fixed-point) value| of a counted cell of the segment.
std::int64_t fill_packed_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                             std::uint64_t* packed);

// The same split in two narrow streams: sum[x] = the prefix sum modulo 2^32 and, if count is
// not null, count[x] = the prefix count modulo 2^16; usable when every window sum satisfies
// |sum| < 2^31 and every window count (and bounding-square count) is below 2^16.
// Returns the largest |(fixed-point) value| of a counted cell of the segment.
std::int64_t fill_split_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                            std::uint32_t* sum, std::uint16_t* count);

// Whether fill_split_pair_row serves the pair (a, b): Int32 streams made together by
// stream_row_prefix_pair (each source the other's mask), vectorised fill.
bool split_pair_fusable(const RowPrefix& a, const RowPrefix& b);
// fill_split_row of a (sums into sa, counts into count if not null) and of b (sums into sb) in
// one pass over the two source rows; the same values. Returns the largest |value| of each.
std::pair<std::int64_t, std::int64_t> fill_split_pair_row(const RowPrefix& a, const RowPrefix& b,
                                                          std::int64_t r, std::int64_t c0,
                                                          std::int64_t c1, std::uint32_t* sa,
                                                          std::uint32_t* sb, std::uint16_t* count);

// Prefix counts of valid cells only (sum left empty), for kernels that need just the count.
template <class T>
RowPrefix build_count_prefix(const TileDesc& tile, std::span<const T> values);

}  // namespace leefbaar::kernels
