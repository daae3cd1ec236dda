#pragma once
// Distance-decay weighted sums: out(c) = sum over offsets d of w(|d|) * v(c + d), with the
// weight peaking at w(0) = 1 (unnormalised), nodata cells contributing nothing.
//
// Determinism: every path is a finite-impulse-response filter whose taps depend only on the
// kernel parameters and which adds the same inputs in the same order for every cell, so results
// are bit-identical across tile splits and thread counts (no recursive IIR that starts at the
// tile edge, no FFT). The kernels library is compiled with -ffp-contract=off for the same reason.
//
// Accuracy: the weight matrix W over the support is replaced by a low-rank separable sum
// W_K = sum_k lambda_k u_k u_k^T (symmetric eigendecomposition, largest |lambda| first), with
// the smallest K such that max |W_K - W| <= tolerance; the resulting error of a sum is at most
// max_weight_error * sum |v| over the support. A Gaussian is exactly rank 1 on its square
// support. When K separable passes would cost more than the direct sum over the support the
// kernel is evaluated directly instead (exact weights, max_weight_error = 0).

#include <cstdint>
#include <span>
#include <vector>

#include "kernels/tile.hpp"

namespace leefbaar::kernels {

enum class DecayShape {
    kGaussian,     // exp(-d^2 / (2 sigma^2)) on the square |dx|, |dy| <= floor(truncate*sigma/cell)
    kExponential,  // exp(-d / length) for d <= cutoff (cell-centre rule), else 0
    kLinear,       // 1 - d / radius for d <= radius, else 0
};

// A precomputed decay filter (data independent; build once, apply to many tiles).
struct DecayKernel {
    DecayShape shape = DecayShape::kGaussian;
    double scale_m = 0.0;   // sigma, decay length or cutoff radius
    double cutoff_m = 0.0;  // support radius (Gaussian: truncate * sigma, square support)
    double cell_size = 0.0;
    std::int64_t reach = 0;  // support half-width in cells (must fit in the tile halo)

    int rank = 0;                // separable terms; 0 = direct evaluation
    std::vector<double> lambda;  // rank weights
    std::vector<double> taps;    // rank x (2 reach + 1) taps, index dx + reach

    std::vector<std::int32_t> direct_dx;  // direct form: offsets with non-zero weight, in the
    std::vector<std::int32_t> direct_dy;  // fixed summation order (dy, then dx, ascending)
    std::vector<double> direct_w;

    double max_weight_error = 0.0;  // max |W_used - W| over the support; weights peak at 1

    // The sums of values (not the weights of a mean) take a sparse form when at most this
    // share of the input cells around the tile is non-zero (point counts such as incidents or
    // amenities): each non-zero cell scatters its weighted value over the support, visited in
    // row order, which adds the same products to every output cell in the same order as the
    // dense form minus its exact zeros, so both give the same bits. 0 = always dense.
    double sparse_density = 0.1;
};

// Exact (unapproximated) weight of offset (dx, dy) cells under the kernel's definition.
double decay_weight(const DecayKernel& k, std::int64_t dx, std::int64_t dy);

// Gaussian, sigma_m > 0, truncated to the square of half-width floor(truncate * sigma / cell).
DecayKernel make_gaussian_kernel(double sigma_m, double cell_size, double truncate = 4.0);

// Exponential exp(-d / length_m), cut at cutoff_m; separable approximation within tolerance.
DecayKernel make_exponential_kernel(double length_m, double cutoff_m, double cell_size,
                                    double tolerance = 1e-4);

// Linear cone 1 - d / radius_m; separable approximation within tolerance.
DecayKernel make_linear_kernel(double radius_m, double cell_size, double tolerance = 1e-4);

// Weighted sum of the valid cells (nodata counts as 0); nodata input cells still get a value.
// `need`: the cells the caller reads (CellMask): they get the same bits as without a mask; the
// dense and separable output passes skip 32-cell runs without one (their cells are then
// unspecified); the sparse scatter of the direct form computes every cell.
void decay_sum(const TileDesc& tile, std::span<const float> in, const DecayKernel& k,
               std::span<double> out, const CellMask& need = {});
void decay_sum(const TileDesc& tile, std::span<const std::int32_t> in, const DecayKernel& k,
               std::span<double> out, const CellMask& need = {});

// Weighted mean of the valid cells, sum(w v) / sum(w); NaN where sum(w) over valid cells is
// below min_weight (default: a thousandth of the centre weight).
void decay_mean(const TileDesc& tile, std::span<const float> in, const DecayKernel& k,
                std::span<double> out, double min_weight = 1e-3);
void decay_mean(const TileDesc& tile, std::span<const std::int32_t> in, const DecayKernel& k,
                std::span<double> out, double min_weight = 1e-3);

}  // namespace leefbaar::kernels
