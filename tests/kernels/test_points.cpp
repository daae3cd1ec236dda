// Point-feature distances through the R-tree against brute force; splits; checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <optional>

#include "kernels/points.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

namespace {

struct Pts {
    std::vector<double> x, y;
};

Pts random_points(std::uint64_t seed, std::size_t n, double x0, double x1, double y0, double y1) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> ux(x0, x1), uy(y0, y1);
    Pts p;
    for (std::size_t i = 0; i < n; ++i) {
        p.x.push_back(ux(rng));
        p.y.push_back(uy(rng));
    }
    return p;
}

}  // namespace

TEST_CASE("nearest, k-th nearest and counts match brute force", "[points]") {
    const auto world = kt::random_i32(1, 37, 29, 0, 0, 1, 0.0);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, 0);
    // Points spread over and beyond the grid (x 13000-16700, y 609100-612000).
    for (std::size_t npts : {1u, 7u, 300u}) {
        const Pts p = random_points(npts, npts, 12000.0, 18000.0, 608000.0, 613000.0);
        const PointIndex index(p.x, p.y);
        REQUIRE(index.size() == npts);
        const std::size_t n = t.interior_size();
        std::vector<double> nearest(n), kth(n), capped(n);
        std::vector<std::int32_t> within(n);
        const std::int64_t k = std::min<std::int64_t>(3, std::int64_t(npts));
        nearest_point_distance(t, index, std::span(nearest));
        kth_nearest_point_distance(t, index, k, std::span(kth));
        count_points_within(t, index, 750.0, std::span(within));
        nearest_point_distance(t, index, std::span(capped), {400.0, CapPolicy::kClamp});
        for (std::int64_t y = 0; y < t.ny; ++y)
            for (std::int64_t x = 0; x < t.nx; ++x) {
                const double cx = t.centre_x(x), cy = t.centre_y(y);
                std::vector<double> d2;
                for (std::size_t j = 0; j < npts; ++j) {
                    const double dx = p.x[j] - cx, dy = p.y[j] - cy;
                    d2.push_back(dx * dx + dy * dy);
                }
                std::sort(d2.begin(), d2.end());
                const std::size_t i = t.interior_index(x, y);
                REQUIRE(nearest[i] == std::sqrt(d2[0]));
                REQUIRE(kth[i] == std::sqrt(d2[std::size_t(k - 1)]));
                REQUIRE(within[i] == std::count_if(d2.begin(), d2.end(),
                                                   [](double v) { return v <= 750.0 * 750.0; }));
                REQUIRE(capped[i] == std::min(std::sqrt(d2[0]), 400.0));
            }
    }
}

TEST_CASE("points on the radius count, points just beyond do not", "[points]") {
    TileDesc t{1, 1, 0, 100.0};
    t.grid_xmin = 1000.0;
    t.grid_ymax = 2000.0;  // centre (1050, 1950)
    const std::vector<double> xs{1050.0 + 300.0, 1050.0 - 500.0, 1050.0, 1050.0 + 1e-9};
    const std::vector<double> ys{1950.0 + 400.0, 1950.0, 1950.0 - 500.0 - 1e-10, 1950.0 + 500.0};
    const PointIndex index(xs, ys);
    std::vector<std::int32_t> n(1);
    count_points_within(t, index, 500.0, std::span(n));
    CHECK(n[0] == 2);
    CHECK(point_within_exact(1350.0, 2350.0, 1050.0, 1950.0, 500.0));
    CHECK_FALSE(point_within_exact(1050.0 + 1e-9, 2450.0, 1050.0, 1950.0, 500.0));
    std::vector<double> d(1);
    nearest_point_distance(t, index, std::span(d), {499.0});
    CHECK(std::isnan(d[0]));
    nearest_point_distance(t, index, std::span(d), {500.0});
    CHECK(d[0] == 500.0);
}

TEST_CASE("point kernels are bit-identical across splits and threads", "[points][determinism]") {
    const auto world = kt::random_i32(2, 41, 23, 0, 0, 1, 0.0);
    const Pts p = random_points(99, 200, 12000.0, 18000.0, 608000.0, 613000.0);
    const PointIndex index(p.x, p.y);
    kt::require_split_invariant<double>(world, 0,
                                        [&](const TileDesc& t, const std::vector<std::int32_t>&) {
                                            std::vector<double> out(t.interior_size());
                                            kth_nearest_point_distance(t, index, 4, std::span(out));
                                            return out;
                                        });
    kt::require_split_invariant<std::int32_t>(
        world, 0, [&](const TileDesc& t, const std::vector<std::int32_t>&) {
            std::vector<std::int32_t> out(t.interior_size());
            count_points_within(t, index, 333.3, std::span(out));
            return out;
        });
}

TEST_CASE("point kernels reject bad parameters", "[points]") {
    TileDesc t{3, 2, 0, 100.0};
    std::vector<double> out(t.interior_size());
    const PointIndex empty(std::span<const double>{}, std::span<const double>{});
    CHECK_THROWS_WITH(nearest_point_distance(t, empty, std::span(out)),
                      "nearest point distance: the point set is empty");
    const std::vector<double> xs{1.0, 2.0}, ys{1.0};
    CHECK_THROWS_WITH(PointIndex(xs, ys), "point index: 2 x coordinates but 1 y coordinates");
    const std::vector<double> bad{std::nan("")};
    CHECK_THROWS_AS(PointIndex(bad, bad), std::invalid_argument);
    const std::vector<double> one{5.0};
    const PointIndex index(one, one);
    CHECK_THROWS_WITH(kth_nearest_point_distance(t, index, 2, std::span(out)),
                      "k-th nearest point distance: k = 2 must be in [1, 1]");
    CHECK_THROWS_AS(kth_nearest_point_distance(t, index, 0, std::span(out)), std::invalid_argument);
    std::vector<std::int32_t> cnt(t.interior_size());
    CHECK_THROWS_WITH(count_points_within(t, index, 0.0, std::span(cnt)),
                      "count points within: radius 0 m must be > 0");
    std::vector<double> small(1);
    CHECK_THROWS_AS(nearest_point_distance(t, index, std::span(small)), std::invalid_argument);
}

TEST_CASE("block-candidate point kernels equal the per-cell R-tree reference bit for bit",
          "[points]") {
    // A larger grid (several 16 x 16 blocks, ragged edges), clustered points, duplicates, points
    // on cell centres and far outside the grid, and sparse sets where candidates come from far.
    const auto world = kt::random_i32(3, 83, 61, 0, 0, 1, 0.0);
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, 0);
    std::mt19937_64 rng(5);
    std::normal_distribution<double> jitter(0.0, 150.0);
    Pts clustered;
    for (int c = 0; c < 12; ++c) {
        const double x0 = 13000.0 + double(rng() % 8300), y0 = 606000.0 + double(rng() % 6000);
        for (int i = 0; i < 40; ++i) {
            clustered.x.push_back(x0 + jitter(rng));
            clustered.y.push_back(y0 + jitter(rng));
        }
    }
    clustered.x.push_back(t.centre_x(10));  // exactly on a cell centre, twice
    clustered.y.push_back(t.centre_y(20));
    clustered.x.push_back(t.centre_x(10));
    clustered.y.push_back(t.centre_y(20));
    const Pts sparse = random_points(8, 3, 13000.0, 21300.0, 606000.0, 612000.0);
    const Pts far = random_points(9, 2, 60000.0, 61000.0, 500000.0, 501000.0);
    const Pts uniform = random_points(10, 2000, 12000.0, 22000.0, 605000.0, 613000.0);
    const Pts* sets[] = {&clustered, &sparse, &far, &uniform};
    for (const Pts* p : sets) {
        const PointIndex index(p->x, p->y);
        const std::size_t n = t.interior_size();
        for (const int threads : {1, 2}) {
            omp_set_num_threads(threads);
            std::vector<double> a(n), b(n);
            for (const std::optional<double> cap :
                 {std::optional<double>{}, std::optional<double>{450.0},
                  std::optional<double>{5000.0}}) {
                for (const CapPolicy pol : {CapPolicy::kClamp, CapPolicy::kNodata}) {
                    nearest_point_distance(t, index, std::span(a), {cap, pol});
                    nearest_point_distance_rtree(t, index, std::span(b), {cap, pol});
                    REQUIRE(kt::bits_equal(a, b));
                }
            }
            for (const std::int64_t k : {1, 2, 3}) {
                if (std::size_t(k) > p->x.size()) continue;
                kth_nearest_point_distance(t, index, k, std::span(a));
                kth_nearest_point_distance_rtree(t, index, k, std::span(b));
                REQUIRE(kt::bits_equal(a, b));
            }
            std::vector<std::int32_t> ca(n), cb(n);
            for (const double r : {100.0, 250.0, 1000.0, 3000.0}) {
                count_points_within(t, index, r, std::span(ca));
                count_points_within_rtree(t, index, r, std::span(cb));
                REQUIRE(kt::bits_equal(ca, cb));
            }
        }
    }
    omp_set_num_threads(2);
}
