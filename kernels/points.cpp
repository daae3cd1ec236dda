#include "kernels/points.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
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

void nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::span<double> out,
                            const DistanceCap& cap) {
    const char* kernel = "nearest point distance";
    check_out(tile, out.size(), kernel);
    if (points.size() == 0)
        throw std::invalid_argument("nearest point distance: the point set is empty");
    if (cap.cap_m) check_radius(*cap.cap_m, kernel, "cap");
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

void kth_nearest_point_distance(const TileDesc& tile, const PointIndex& points, std::int64_t k,
                                std::span<double> out) {
    const char* kernel = "k-th nearest point distance";
    check_out(tile, out.size(), kernel);
    if (points.size() == 0)
        throw std::invalid_argument("k-th nearest point distance: the point set is empty");
    if (k < 1 || std::uint64_t(k) > points.size())
        throw std::invalid_argument("k-th nearest point distance: k = " + std::to_string(k) +
                                    " must be in [1, " + std::to_string(points.size()) + "]");
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

void count_points_within(const TileDesc& tile, const PointIndex& points, double radius_m,
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

}  // namespace leefbaar::kernels

#pragma GCC diagnostic pop
