#pragma once
// Distances from cell centres to point features (schools, stations, GP practices) through a
// Boost.Geometry R-tree, queried once per 16 x 16-cell block for the candidate points that can
// matter to the block (see points.cpp); each cell then scans only those candidates. Point kernels
// need no halo: the index holds every point of the country, and cell centres come from
// TileDesc::centre_x / centre_y, whose integer-offset form gives the same coordinates for a cell in
// every tile split. Distances are sqrt(dx^2 + dy^2) in metres, computed identically for every cell;
// "within r" is decided exactly (rational arithmetic on the doubles), like the cell-centre rule of
// the circular windows.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "kernels/edt.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// Immutable spatial index over point coordinates (metres); safe to query from many threads.
class PointIndex {
  public:
    // Bulk-loads the points; throws on mismatched spans or non-finite coordinates.
    PointIndex(std::span<const double> xs, std::span<const double> ys);
    ~PointIndex();
    PointIndex(PointIndex&&) noexcept;
    PointIndex& operator=(PointIndex&&) noexcept;

    // Number of points in the index.
    std::size_t size() const { return size_; }

    struct Impl;
    // The R-tree behind the index (defined in points.cpp, where Boost.Geometry is included).
    const Impl& impl() const { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
    std::size_t size_ = 0;
};

// Distance from each interior cell centre to the nearest point; optional cap as for the EDT
// (cells farther than the cap get NaN or the cap). Throws if the index is empty.
// `need`: the cells the caller reads (see CellMask); the others are left as they were.
void nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::span<double> out,
                            const DistanceCap& cap = {}, const CellMask& need = {});

// Distance from each interior cell centre to its k-th nearest point (k = 1: the nearest).
// Throws unless 1 <= k <= number of points.
void kth_nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::int64_t k,
                                std::span<double> out, const CellMask& need = {});

// Number of points within radius_m (d <= r, exact) of each interior cell centre.
void count_points_within(const TileDesc& tile, const PointIndex& points, double radius_m,
                         std::span<std::int32_t> out, const CellMask& need = {});

// The per-cell R-tree forms of the three kernels above (one R-tree query per cell): slower,
// kept as the reference the tests compare the block-candidate kernels with, bit for bit.
void nearest_point_distance_rtree(const TileDesc& tile, const PointIndex& points,
                                  std::span<double> out, const DistanceCap& cap = {});
void kth_nearest_point_distance_rtree(const TileDesc& tile, const PointIndex& points,
                                      std::int64_t k, std::span<double> out);
void count_points_within_rtree(const TileDesc& tile, const PointIndex& points, double radius_m,
                               std::span<std::int32_t> out);

// Exact test (px - cx)^2 + (py - cy)^2 <= r^2 on the given doubles (no rounding).
bool point_within_exact(double px, double py, double cx, double cy, double radius_m);

}  // namespace leefbaar::kernels
