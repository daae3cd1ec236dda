#include "kernels/points.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>

#include "kernels/checks.hpp"

// cpp_int's small-buffer union trips a known GCC false positive at -O3.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/multiprecision/cpp_int.hpp>

namespace leefbaar::kernels {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;
using Point = bg::model::point<double, 2, bg::cs::cartesian>;
using Box = bg::model::box<Point>;

struct PointIndex::Impl {
    bgi::rtree<Point, bgi::rstar<16>> tree;
};

PointIndex::PointIndex(std::span<const double> xs, std::span<const double> ys) {
    if (xs.size() != ys.size())
        throw std::invalid_argument("point index: " + std::to_string(xs.size()) +
                                    " x coordinates but " + std::to_string(ys.size()) +
                                    " y coordinates");
    std::vector<Point> pts;
    pts.reserve(xs.size());
    for (std::size_t i = 0; i < xs.size(); ++i) {
        if (!std::isfinite(xs[i]) || !std::isfinite(ys[i]))
            throw std::invalid_argument("point index: point " + std::to_string(i) + " (" +
                                        format_number(xs[i]) + ", " + format_number(ys[i]) +
                                        ") is not finite");
        pts.emplace_back(xs[i], ys[i]);
    }
    impl_ = std::make_unique<Impl>(Impl{{pts.begin(), pts.end()}});  // packed bulk load
    size_ = pts.size();
}

PointIndex::~PointIndex() = default;
PointIndex::PointIndex(PointIndex&&) noexcept = default;
PointIndex& PointIndex::operator=(PointIndex&&) noexcept = default;

namespace {

using boost::multiprecision::cpp_int;

struct Dyadic {
    cpp_int m;
    int e = 0;
};

Dyadic to_dyadic(double v) {
    int e = 0;
    const double frac = std::frexp(v, &e);
    return {cpp_int(static_cast<std::int64_t>(std::ldexp(frac, 53))), e - 53};
}

// Exact a - b as a dyadic rational.
Dyadic exact_diff(double a, double b) {
    Dyadic x = to_dyadic(a);
    Dyadic y = to_dyadic(b);
    const int e = std::min(x.e, y.e);
    x.m <<= (x.e - e);
    y.m <<= (y.e - e);
    return {x.m - y.m, e};
}

inline double dist2(const Point& p, double cx, double cy) {
    const double dx = bg::get<0>(p) - cx;
    const double dy = bg::get<1>(p) - cy;
    return dx * dx + dy * dy;
}

void check_out(const TileDesc& t, std::size_t n, const char* kernel) {
    check_tile(t, kernel);
    check_interior_span(t, n, kernel, "output");
}

// Arguments of the nearest distance kernels (the block kernel and its R-tree oracle).
void check_nearest(const TileDesc& tile, std::size_t n, const PointIndex& points,
                   const DistanceCap& cap) {
    const char* kernel = "nearest point distance";
    check_out(tile, n, kernel);
    if (points.size() == 0)
        throw std::invalid_argument("nearest point distance: the point set is empty");
    if (cap.cap_m) check_radius(*cap.cap_m, kernel, "cap");
}

// Arguments of the k-th nearest distance kernels (the block kernel and its R-tree oracle).
void check_kth(const TileDesc& tile, std::size_t n, const PointIndex& points, std::int64_t k) {
    check_out(tile, n, "k-th nearest point distance");
    if (points.size() == 0)
        throw std::invalid_argument("k-th nearest point distance: the point set is empty");
    if (k < 1 || std::uint64_t(k) > points.size())
        throw std::invalid_argument("k-th nearest point distance: k = " + std::to_string(k) +
                                    " must be in [1, " + std::to_string(points.size()) + "]");
}

}  // namespace

bool point_within_exact(double px, double py, double cx, double cy, double radius_m) {
    const double dx = px - cx;
    const double dy = py - cy;
    const double d2 = dx * dx + dy * dy;
    const double r2 = radius_m * radius_m;
    // Each rounded quantity is within a few ulps; only near-ties need the exact test.
    if (d2 < r2 * (1 - 1e-12)) return true;
    if (d2 > r2 * (1 + 1e-12)) return false;
    Dyadic ex = exact_diff(px, cx);
    Dyadic ey = exact_diff(py, cy);
    Dyadic er = to_dyadic(radius_m);
    const int e = std::min({ex.e, ey.e, er.e});
    ex.m <<= (ex.e - e);
    ey.m <<= (ey.e - e);
    er.m <<= (er.e - e);
    return ex.m * ex.m + ey.m * ey.m <= er.m * er.m;
}

void nearest_point_distance_rtree(const TileDesc& tile, const PointIndex& points,
                                  std::span<double> out, const DistanceCap& cap) {
    check_nearest(tile, out.size(), points, cap);
    const auto& tree = points.impl().tree;
#pragma omp parallel
    {
        std::vector<Point> hits;
        hits.reserve(1);
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < tile.ny; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = 0; x < tile.nx; ++x) {
                const double cx = tile.centre_x(x);
                hits.clear();
                tree.query(bgi::nearest(Point(cx, cy), 1), std::back_inserter(hits));
                double d = std::sqrt(dist2(hits[0], cx, cy));
                if (cap.cap_m) {
                    if (!point_within_exact(bg::get<0>(hits[0]), bg::get<1>(hits[0]), cx, cy,
                                            *cap.cap_m))
                        d = cap.beyond == CapPolicy::kClamp ? *cap.cap_m : kNodataF64;
                    else
                        d = std::min(d, *cap.cap_m);
                }
                out[tile.interior_index(x, y)] = d;
            }
        }
    }
}

void kth_nearest_point_distance_rtree(const TileDesc& tile, const PointIndex& points,
                                      std::int64_t k, std::span<double> out) {
    check_kth(tile, out.size(), points, k);
    const auto& tree = points.impl().tree;
#pragma omp parallel
    {
        std::vector<Point> hits;
        hits.reserve(std::size_t(k));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < tile.ny; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = 0; x < tile.nx; ++x) {
                const double cx = tile.centre_x(x);
                hits.clear();
                tree.query(bgi::nearest(Point(cx, cy), unsigned(k)), std::back_inserter(hits));
                double worst = 0.0;
                for (const Point& p : hits) worst = std::max(worst, dist2(p, cx, cy));
                out[tile.interior_index(x, y)] = std::sqrt(worst);
            }
        }
    }
}

void count_points_within_rtree(const TileDesc& tile, const PointIndex& points, double radius_m,
                               std::span<std::int32_t> out) {
    const char* kernel = "count points within";
    check_out(tile, out.size(), kernel);
    check_radius(radius_m, kernel, "radius");
    const auto& tree = points.impl().tree;
    // The query box is widened a little so that rounding of its corners never drops a point
    // on the circle; the exact test decides.
    const double pad = radius_m * (1 + 1e-9);
#pragma omp parallel
    {
        std::vector<Point> hits;
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < tile.ny; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = 0; x < tile.nx; ++x) {
                const double cx = tile.centre_x(x);
                hits.clear();
                const Box box(Point(cx - pad, cy - pad), Point(cx + pad, cy + pad));
                tree.query(bgi::intersects(box), std::back_inserter(hits));
                std::int32_t n = 0;
                for (const Point& p : hits)
                    n += point_within_exact(bg::get<0>(p), bg::get<1>(p), cx, cy, radius_m);
                out[tile.interior_index(x, y)] = n;
            }
        }
    }
}

// Block-candidate kernels. The interior is cut into blocks of kBlock x kBlock cells. For a
// block with cell-centre box of half-diagonal hd around its centre c, the k-th nearest point
// of any cell z in the block is within hd + d_k(c) of z (triangle inequality), so every point
// that can be among z's k nearest lies within 2 hd + d_k(c) of c. Those candidates (one R-tree
// query per block) are then scanned by every cell of the block with exactly the reference
// formula dist2, so the minimum (k-th smallest, count) is the reference's to the bit; the
// radii are widened by a relative 1e-9 and 1 mm so that rounding can only add candidates.
namespace {

constexpr std::int64_t kBlock = 16;

struct Candidates {
    std::vector<double> x, y;
    void clear() {
        x.clear();
        y.clear();
    }
};

struct BlockGeom {
    std::int64_t x0, x1, y0, y1;  // interior cells [x0, x1) x [y0, y1)
    double cx, cy, hd;            // centre and half-diagonal of the cell-centre box (metres)
};

BlockGeom block_geom(const TileDesc& t, std::int64_t bx, std::int64_t by) {
    BlockGeom g;
    g.x0 = bx * kBlock;
    g.x1 = std::min(g.x0 + kBlock, t.nx);
    g.y0 = by * kBlock;
    g.y1 = std::min(g.y0 + kBlock, t.ny);
    const double xa = t.centre_x(g.x0), xb = t.centre_x(g.x1 - 1);
    const double ya = t.centre_y(g.y0), yb = t.centre_y(g.y1 - 1);
    g.cx = 0.5 * (xa + xb);
    g.cy = 0.5 * (ya + yb);
    g.hd = 0.5 * std::sqrt((xb - xa) * (xb - xa) + (ya - yb) * (ya - yb));
    return g;
}

inline double widen(double r) {
    return r * (1 + 1e-9) + 1e-3;
}

// Points within `radius` of (cx, cy) (a superset: box query, then a widened distance filter).
void gather(const bgi::rtree<Point, bgi::rstar<16>>& tree, double cx, double cy, double radius,
            std::vector<Point>& hits, Candidates& c) {
    hits.clear();
    c.clear();
    const Box box(Point(cx - radius, cy - radius), Point(cx + radius, cy + radius));
    tree.query(bgi::intersects(box), std::back_inserter(hits));
    const double r2 = radius * radius * (1 + 1e-9);
    for (const Point& p : hits) {
        if (dist2(p, cx, cy) > r2) continue;
        c.x.push_back(bg::get<0>(p));
        c.y.push_back(bg::get<1>(p));
    }
}

// Distance from (cx, cy) to its k-th nearest point (the R-tree's own k nearest).
double kth_distance(const bgi::rtree<Point, bgi::rstar<16>>& tree, double cx, double cy, unsigned k,
                    std::vector<Point>& hits) {
    hits.clear();
    tree.query(bgi::nearest(Point(cx, cy), k), std::back_inserter(hits));
    double worst = 0.0;
    for (const Point& p : hits) worst = std::max(worst, dist2(p, cx, cy));
    return std::sqrt(worst);
}

// Whether block g holds a needed cell.
bool block_needed(const TileDesc& t, const BlockGeom& g, const CellMask& need) {
    if (need.all()) return true;
    for (std::int64_t y = g.y0; y < g.y1; ++y)
        if (any_needed(need.row(y, t.nx) + g.x0, g.x1 - g.x0)) return true;
    return false;
}

// Runs fn on every block that holds a needed cell. A block's candidates depend on its geometry
// alone, so a cell gets the same value whatever the mask.
template <class Fn>
void for_each_block(const TileDesc& t, const CellMask& need, Fn&& fn) {
    const std::int64_t nbx = (t.nx + kBlock - 1) / kBlock;
    const std::int64_t nby = (t.ny + kBlock - 1) / kBlock;
#pragma omp parallel
    {
        std::vector<Point> hits;
        Candidates c;
#pragma omp for schedule(dynamic, 4)
        for (std::int64_t b = 0; b < nbx * nby; ++b) {
            const BlockGeom g = block_geom(t, b % nbx, b / nbx);
            if (block_needed(t, g, need)) fn(g, hits, c);
        }
    }
}

// Whether interior cell (x, y) is needed.
inline bool needed(const TileDesc& t, const CellMask& need, std::int64_t x, std::int64_t y) {
    return need.all() || need.cells[t.interior_index(x, y)] != 0;
}

}  // namespace

void nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::span<double> out,
                            const DistanceCap& cap, const CellMask& need) {
    check_nearest(tile, out.size(), points, cap);
    check_mask(tile, need, "nearest point distance");
    const auto& tree = points.impl().tree;
    for_each_block(tile, need, [&](const BlockGeom& g, std::vector<Point>& hits, Candidates& c) {
        double radius = 2 * g.hd + kth_distance(tree, g.cx, g.cy, 1, hits);
        // With a cap, a cell only needs its nearest point when that is within the cap.
        if (cap.cap_m) radius = std::min(radius, *cap.cap_m + g.hd);
        gather(tree, g.cx, g.cy, widen(radius), hits, c);
        const std::size_t m = c.x.size();
        for (std::int64_t y = g.y0; y < g.y1; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = g.x0; x < g.x1; ++x) {
                if (!needed(tile, need, x, y)) continue;
                const double cx = tile.centre_x(x);
                double best = std::numeric_limits<double>::infinity();
                std::size_t arg = m;
                for (std::size_t i = 0; i < m; ++i) {
                    const double dx = c.x[i] - cx;
                    const double dy = c.y[i] - cy;
                    const double d2 = dx * dx + dy * dy;
                    if (d2 < best) {
                        best = d2;
                        arg = i;
                    }
                }
                double d = std::sqrt(best);
                if (cap.cap_m) {
                    if (arg == m || !point_within_exact(c.x[arg], c.y[arg], cx, cy, *cap.cap_m))
                        d = cap.beyond == CapPolicy::kClamp ? *cap.cap_m : kNodataF64;
                    else
                        d = std::min(d, *cap.cap_m);
                }
                out[tile.interior_index(x, y)] = d;
            }
        }
    });
}

void kth_nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::int64_t k,
                                std::span<double> out, const CellMask& need) {
    check_kth(tile, out.size(), points, k);
    check_mask(tile, need, "k-th nearest point distance");
    const auto& tree = points.impl().tree;
    for_each_block(tile, need, [&](const BlockGeom& g, std::vector<Point>& hits, Candidates& c) {
        const double radius = 2 * g.hd + kth_distance(tree, g.cx, g.cy, unsigned(k), hits);
        gather(tree, g.cx, g.cy, widen(radius), hits, c);
        const std::size_t m = c.x.size();
        std::vector<double> top(static_cast<std::size_t>(k));  // k smallest, ascending
        for (std::int64_t y = g.y0; y < g.y1; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = g.x0; x < g.x1; ++x) {
                if (!needed(tile, need, x, y)) continue;
                const double cx = tile.centre_x(x);
                std::fill(top.begin(), top.end(), std::numeric_limits<double>::infinity());
                for (std::size_t i = 0; i < m; ++i) {
                    const double dx = c.x[i] - cx;
                    const double dy = c.y[i] - cy;
                    const double d2 = dx * dx + dy * dy;
                    if (!(d2 < top.back())) continue;
                    std::size_t j = top.size() - 1;
                    while (j > 0 && top[j - 1] > d2) {
                        top[j] = top[j - 1];
                        --j;
                    }
                    top[j] = d2;
                }
                out[tile.interior_index(x, y)] = std::sqrt(top.back());
            }
        }
    });
}

void count_points_within(const TileDesc& tile, const PointIndex& points, double radius_m,
                         std::span<std::int32_t> out, const CellMask& need) {
    const char* kernel = "count points within";
    check_out(tile, out.size(), kernel);
    check_mask(tile, need, kernel);
    check_radius(radius_m, kernel, "radius");
    const auto& tree = points.impl().tree;
    const double r2 = radius_m * radius_m;
    const double lo2 = r2 * (1 - 1e-12), hi2 = r2 * (1 + 1e-12);
    for_each_block(tile, need, [&](const BlockGeom& g, std::vector<Point>& hits, Candidates& c) {
        gather(tree, g.cx, g.cy, widen(radius_m + g.hd), hits, c);
        const std::size_t m = c.x.size();
        for (std::int64_t y = g.y0; y < g.y1; ++y) {
            const double cy = tile.centre_y(y);
            for (std::int64_t x = g.x0; x < g.x1; ++x) {
                if (!needed(tile, need, x, y)) continue;
                const double cx = tile.centre_x(x);
                std::int32_t n = 0;
                bool near_tie = false;
                for (std::size_t i = 0; i < m; ++i) {
                    const double dx = c.x[i] - cx;
                    const double dy = c.y[i] - cy;
                    const double d2 = dx * dx + dy * dy;
                    n += d2 < lo2;
                    near_tie |= !(d2 < lo2) && !(d2 > hi2);
                }
                if (near_tie) {  // the same exact decision as point_within_exact
                    n = 0;
                    for (std::size_t i = 0; i < m; ++i)
                        n += point_within_exact(c.x[i], c.y[i], cx, cy, radius_m);
                }
                out[tile.interior_index(x, y)] = n;
            }
        }
    });
}

}  // namespace leefbaar::kernels

#pragma GCC diagnostic pop
