#include <catch2/catch.hpp>

#include "core/error.hpp"
#include "core/grid.hpp"

using namespace leefbaar;

TEST_CASE("national grid geometry", "[core][grid]") {
    const GridSpec g;  // RD New national default
    CHECK(g.nx == 2800);
    CHECK(g.ny == 3250);
    CHECK(g.cells() == 9100000);
    CHECK(g.xmax() == 280000.0);
    CHECK(g.ymin() == 300000.0);
    CHECK(g.centre_x(0) == 50.0);
    CHECK(g.centre_y(0) == 624950.0);
    const auto gt = g.geotransform();
    CHECK(gt == std::array<double, 6>{0.0, 100.0, 0.0, 625000.0, 0.0, -100.0});
}

TEST_CASE("CBS cell codes name the lower-left corner in hectometres, both ways", "[core][grid]") {
    const GridSpec g;
    // E1213N4879 = x 121300, y 487900: column 1213, and the row whose bottom edge is 487900.
    const auto cr = parse_cell_code(g, "E1213N4879");
    CHECK(cr[0] == 1213);
    CHECK(cr[1] == (625000 - 487900) / 100 - 1);
    CHECK(cell_code(g, cr[0], cr[1]) == "E1213N4879");
    CHECK(cell_code(g, 0, g.ny - 1) == "E0000N3000");
    CHECK(cell_code(g, g.nx - 1, 0) == "E2799N6249");
    for (std::int64_t col : {0, 1, 999, 2799})
        for (std::int64_t row : {0, 7, 1624, 3249}) {
            const auto back = parse_cell_code(g, cell_code(g, col, row));
            CHECK(back[0] == col);
            CHECK(back[1] == row);
        }
    CHECK_THROWS_WITH(parse_cell_code(g, "X1213N4879"), Catch::Contains("expected E<x hm>N<y hm>"));
    CHECK_THROWS_WITH(parse_cell_code(g, "E1213N48a9"), Catch::Contains("E1213N48a9"));
    CHECK_THROWS_WITH(parse_cell_code(g, "E9999N4879"), Catch::Contains("outside the grid"));
    GridSpec fine = g;
    fine.cell = 50;
    fine.nx *= 2;
    fine.ny *= 2;
    CHECK_THROWS_WITH(cell_code(fine, 1, 0), Catch::Contains("no CBS code"));
}

TEST_CASE("grids from extents, crops and windows", "[core][grid]") {
    const auto g = GridSpec::from_extent(100000, 400000, 140000, 430000, 100);
    CHECK(g.nx == 400);
    CHECK(g.ny == 300);
    CHECK(g.xmin == 100000);
    CHECK(g.ymax == 430000);
    CHECK_THROWS_AS(GridSpec::from_extent(0, 0, 150, 100, 100), UsageError);
    CHECK_THROWS_WITH(GridSpec::from_extent(0, 0, 100, 100, -5),
                      Catch::Contains("must be positive"));
    CHECK_THROWS_WITH(GridSpec::from_extent(10, 0, 0, 100, 100), Catch::Contains("is empty"));
    const auto c = g.crop({10, 20, 30, 40});
    CHECK(c.xmin == 101000);
    CHECK(c.ymax == 428000);
    CHECK(c.nx == 30);
    CHECK(c.ny == 40);
    const Window a{0, 0, 10, 10}, b{5, 8, 10, 10};
    CHECK(a.intersect(b) == Window{5, 8, 5, 2});
    CHECK(a.intersect(Window{20, 20, 5, 5}).empty());
    CHECK(a.grown(3) == Window{-3, -3, 16, 16});
}
