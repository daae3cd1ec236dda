// Exact cell-centre rule and chord tables of circular windows and annuli.
#include <catch2/catch.hpp>

#include "kernels/circle.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

TEST_CASE("cell-centre rule is exact at the boundary", "[circle]") {
    CHECK(offset_within(3, 4, 500.0, 100.0));  // 300^2 + 400^2 == 500^2
    CHECK(offset_within(5, 0, 500.0, 100.0));
    CHECK_FALSE(offset_within(4, 4, 500.0, 100.0));
    CHECK_FALSE(offset_within(3, 4, 499.99999999999994, 100.0));
    CHECK(offset_within(3, 4, 125.0, 25.0));
    // 0.1 is not representable; the rule is exact on the doubles given: fl(0.1) > 0.1.
    CHECK_FALSE(offset_within(3, 4, 0.5, 0.1));
    CHECK(offset_within(3, 4, 0.625, 0.125));
    CHECK_FALSE(offset_within(3, 4, 0.6249999999999999, 0.125));
    CHECK(window_reach(500.0, 100.0) == 5);
    CHECK(window_reach(499.9, 100.0) == 4);
    CHECK(window_reach(99.0, 100.0) == 0);
    CHECK(max_squared_cells_within(500.0, 100.0) == 25);
    CHECK(max_squared_cells_within(707.2, 100.0) == 50);
}

TEST_CASE("chord tables match the predicate for radii 0-60 cells", "[circle]") {
    for (double r : {1.0, 50.0, 99.5, 100.0, 141.5, 250.5, 500.0, 1234.5, 3000.0, 6000.0}) {
        const CircularWindow w = make_circular_window(r, 100.0);
        CHECK(w.reach == std::int64_t(std::floor(r / 100.0)));
        std::int64_t cells = 0;
        for (std::int64_t dy = -w.reach - 2; dy <= w.reach + 2; ++dy)
            for (std::int64_t dx = -w.reach - 2; dx <= w.reach + 2; ++dx) {
                const bool want = kt::in_disc(dx, dy, r, 100.0);
                cells += want;
                REQUIRE(w.contains(dx, dy) == want);
            }
        CHECK(w.cells == cells);
    }
}

TEST_CASE("radius below one cell is the cell itself; zero and negative radii throw", "[circle]") {
    const CircularWindow w = make_circular_window(50.0, 100.0);
    CHECK(w.reach == 0);
    CHECK(w.cells == 1);
    CHECK_THROWS_WITH(make_circular_window(-5.0, 100.0),
                      "circular window: radius -5 m must be > 0");
    CHECK_THROWS_WITH(make_circular_window(0.0, 100.0), "circular window: radius 0 m must be > 0");
    CHECK_THROWS_AS(make_circular_window(std::nan(""), 100.0), std::invalid_argument);
    CHECK_THROWS_AS(make_circular_window(100.0, 0.0), std::invalid_argument);
    CHECK_THROWS_AS(make_circular_window(1e12, 100.0), std::invalid_argument);
}

TEST_CASE("annulus excludes the inner disc and keeps the outer rim", "[circle]") {
    const CircularWindow a = make_annulus_window(200.0, 500.0, 100.0);
    std::int64_t cells = 0;
    for (std::int64_t dy = -6; dy <= 6; ++dy)
        for (std::int64_t dx = -6; dx <= 6; ++dx) {
            const bool want =
                kt::in_disc(dx, dy, 500.0, 100.0) && !kt::in_disc(dx, dy, 200.0, 100.0);
            cells += want;
            REQUIRE(a.contains(dx, dy) == want);
        }
    CHECK(a.cells == cells);
    const CircularWindow ring0 = make_annulus_window(0.0, 100.0, 100.0);
    CHECK(ring0.cells == 4);
    CHECK_FALSE(ring0.contains(0, 0));
    CHECK_THROWS_WITH(make_annulus_window(500.0, 500.0, 100.0),
                      "annulus window: inner radius 500 m must be smaller than the outer radius "
                      "500 m");
    CHECK_THROWS_AS(make_annulus_window(-1.0, 500.0, 100.0), std::invalid_argument);
}
