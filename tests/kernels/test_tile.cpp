// Tile geometry: padded indexing and split-independent cell-centre coordinates.
#include <catch2/catch.hpp>

#include "kernels/tile.hpp"

using namespace leefbaar::kernels;

TEST_CASE("tile indexing and cell centres", "[tile]") {
    TileDesc t{4, 3, 2, 100.0};
    CHECK(t.padded_nx() == 8);
    CHECK(t.padded_size() == 56);
    CHECK(t.padded_index(-2, -2) == 0);
    CHECK(t.padded_index(0, 0) == 18);
    CHECK(t.interior_index(3, 2) == 11);
    t.grid_xmin = 0.0;
    t.grid_ymax = 625000.0;
    t.col0 = 10;
    t.row0 = 20;
    CHECK(t.centre_x(0) == 1050.0);
    CHECK(t.centre_y(0) == 625000.0 - 2050.0);
    CHECK(t.centre_y(1) < t.centre_y(0));
    // The same national cell seen from two tiles has bit-identical coordinates.
    TileDesc u = t;
    u.col0 = 7;
    u.row0 = 1;
    CHECK(u.centre_x(3) == t.centre_x(0));
    CHECK(u.centre_y(19) == t.centre_y(0));
}
