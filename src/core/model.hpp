#pragma once
// The additive liveability model on the scored cells of a block: reference statistics,
// standardised indicator values, fixed-point contributions, dimension scores and classes.
//
// Exactness: every indicator value is first rounded to float32 (z, the value stored in the
// indicator matrix that sweeps reuse). A contribution weight * z is the exact integer product
// of two quantised values: z on a grid of 2^-12 (int32) and the weight on a grid of 2^-20
// (int32), so the product is a multiple of 2^-32 held in an int64. Dimension scores, the
// deviation and deltas are integer sums of those. Their decompositions therefore add up
// exactly, in any order, and a sweep member with the base weights reproduces the base run to
// the bit. Because every contribution is an integer product, a sweep can score many members
// as a (blocked, vectorised) matrix product whose partial sums are all exact integers, which
// is what makes the result independent of the blocking (see core/sweep.hpp). The grid steps
// keep the rounding far below the data's noise: 2^-12 = 0.00024 of a standard deviation, and
// 2^-20 = 1e-6 on weights of size 0.004-0.03 (at most 1.2e-4 relative).
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/exact_sum.hpp"
#include "core/model_config.hpp"

namespace leefbaar {

inline constexpr int kScoreFracBits = 32;
inline constexpr int kZFracBits = 12;                                // z grid 2^-12
inline constexpr int kWeightFracBits = kScoreFracBits - kZFracBits;  // weight grid 2^-20
inline double fixed_to_double(std::int64_t v) {
    return double(v) * 0x1.0p-32;
}
// The quantised standardised value: round(z * 2^12), halves away from zero; |z| must stay
// below 2^19 standard deviations (checked by the callers that build matrices).
inline std::int32_t quantise_z(float z) {
    const double x = double(z) * 0x1.0p12;
    // x has at most 24 significant bits, so for |x| < 2^29 x +- 0.5 is exact and truncating it
    // is llround (halves away from zero), without the library call; NaN and large values take
    // llround itself.
    if (std::fabs(x) < 0x1.0p29) return std::int32_t(std::trunc(x + std::copysign(0.5, x)));
    return std::int32_t(std::llround(x));
}
// The quantised weight: round(w * 2^20), halves away from zero (|w| < 2^11).
inline std::int32_t quantise_weight(double w) {
    return std::int32_t(std::llround(w * 0x1.0p20));
}
// One contribution, fixed point 2^-32: the exact product of the quantised weight and z.
inline std::int64_t contribution_q(std::int32_t wq, std::int32_t zq) {
    return std::int64_t(wq) * std::int64_t(zq);
}
inline std::int64_t contribution_fixed(double weight, float z) {
    return contribution_q(quantise_weight(weight), quantise_z(z));
}

// The scored cells of one block in one year: ids and raw indicator values.
struct YearCells {
    std::int64_t year = 0;
    std::vector<std::int64_t> cell;  // global id row * nx + col, increasing
    std::vector<std::int32_t> residents;
    std::vector<std::int32_t> dwellings;
    std::vector<double> raw;  // cells x indicators, row-major; NaN = no value
    std::size_t size() const { return cell.size(); }
};

// Resident-weighted reference statistics of each transformed indicator.
struct ReferenceStats {
    std::vector<double> mean;  // per indicator
    std::vector<double> sd;    // per indicator (1 where not standardised)
};

// Partial sums over this block's cells: for each indicator [sum w, sum w t, sum w t^2] as
// fixed-point raws (w = residents, t = transformed raw value; cells without a value skipped).
std::vector<ExactSum::Raw> reference_partial_sums(const ModelConfig& m, const YearCells& cells);
// Statistics from the sums over all blocks (identical on every rank and split).
ReferenceStats reference_stats(const ModelConfig& m, std::span<const ExactSum::Raw> sums);

// Standardised indicator values z = (t - mean) / sd as float32, cells x indicators; a cell
// without a value gets 0 (the national reference average, contributing nothing).
std::vector<float> standardise(const ModelConfig& m, const ReferenceStats& ref,
                               const YearCells& cells);

// quantise_z of every value of z (AVX-512, 16 values at a time, where the CPU has it; rows of
// up to 64 values outside quantise_z's fast range take the scalar path).
std::vector<std::int32_t> quantise_rows(std::span<const float> z, std::size_t row_length);

// Scores of cells from z values and weights (one per indicator).
struct CellScores {
    std::vector<std::int64_t> dimension;  // cells x dimensions, fixed point 2^-32
    std::vector<std::int64_t> deviation;  // cells, fixed point (afw)
    std::vector<std::uint8_t> cls;        // 1-based class of the deviation
    // cells x indicators: quantise_z(z), the factors of the contributions (kept for the
    // aggregation's decomposition of change by indicator).
    std::vector<std::int32_t> zq;
};
CellScores score_cells(const ModelConfig& m, std::span<const double> weights,
                       std::span<const float> z, std::size_t ncells);

std::vector<double> model_weights(const ModelConfig& m);

}  // namespace leefbaar
