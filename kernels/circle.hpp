#pragma once
// Discrete circular windows under the "cell centre within the radius" rule (GRASS r.neighbors -c):
// offset (dx, dy) belongs to a disc of radius r iff (dx*cell)^2 + (dy*cell)^2 <= r^2, evaluated
// in exact rational arithmetic so boundary offsets (r = 500 m, cell 100 m, (3, 4)) never flip
// with floating-point fuzz. A window is stored as one chord half-width per row offset, the form
// the prefix-sum kernels consume.

#include <cstdint>
#include <vector>

namespace leefbaar::kernels {

// Exact test (dx*cell)^2 + (dy*cell)^2 <= radius^2 for finite radius >= 0 and cell > 0.
bool offset_within(std::int64_t dx, std::int64_t dy, double radius_m, double cell_size);

// Exact test n * cell^2 <= radius^2 for an integer squared distance n in cells.
bool squared_cells_within(std::int64_t n, double radius_m, double cell_size);

// Largest integer n with n * cell^2 <= radius^2 (exact), for per-cell distance caps.
std::int64_t max_squared_cells_within(double radius_m, double cell_size);

// Largest w >= 0 with offset (w, dy) within the radius, or -1 if row dy holds no cell.
std::int64_t chord_half_width(std::int64_t dy, double radius_m, double cell_size);

// Reach of a radius in cells: floor(radius / cell), computed exactly.
std::int64_t window_reach(double radius_m, double cell_size);

// A disc, or an annulus inner < d <= outer, as chord half-widths per row offset dy.
struct CircularWindow {
    double inner_m = -1.0;  // < 0: a full disc; otherwise cells with d <= inner_m are excluded
    double outer_m = 0.0;
    double cell_size = 0.0;
    std::int64_t reach = 0;                // floor(outer / cell)
    std::vector<std::int32_t> outer_half;  // index dy + reach: cells |dx| <= outer_half
    std::vector<std::int32_t> inner_half;  // index dy + reach: hole |dx| <= inner_half (-1: none)
    std::int64_t cells = 0;                // nominal number of cells in the window

    // True for an annulus (cells within inner_m are excluded).
    bool is_annulus() const { return inner_m >= 0.0; }
    // Membership of offset (dx, dy), consistent with the chord tables.
    bool contains(std::int64_t dx, std::int64_t dy) const;
};

// Disc of radius `radius_m` (> 0; a radius below one cell gives the single centre cell).
CircularWindow make_circular_window(double radius_m, double cell_size);

// Annulus inner_m < d <= outer_m with 0 <= inner_m < outer_m (inner 0 drops only the centre).
CircularWindow make_annulus_window(double inner_m, double outer_m, double cell_size);

}  // namespace leefbaar::kernels
