#include <catch2/catch.hpp>

#include "dist/comm.hpp"
#include "dist/halo.hpp"

using namespace leefbaar;

namespace {
std::int32_t value_at(std::int64_t col, std::int64_t row) {
    return std::int32_t(col * 100003 + row * 7 + 1);
}
}  // namespace

TEST_CASE("halo exchange fills every halo width, also wider than a neighbour's block",
          "[dist][halo]") {
    // A small grid so that, at 3-4 ranks, blocks are narrower than the wider halos.
    for (auto [nx, ny] : {std::pair{11, 9}, {2, 3}, {40, 23}}) {
        GridSpec g;
        g.nx = nx;
        g.ny = ny;
        dist::Decomposition d(g, MPI_COMM_WORLD);
        for (std::int64_t h : {0, 1, 2, 3, 5, 8, 13, 50}) {
            Raster<std::int32_t> r(d.block(), h, -1);
            for (auto row = d.block().row0; row < d.block().row1(); ++row)
                for (auto col = d.block().col0; col < d.block().col1(); ++col)
                    r.at(col, row) = value_at(col, row);
            dist::exchange_halo(d, r);
            std::int64_t wrong = 0;
            const Window p = r.padded();
            for (auto row = p.row0; row < p.row1(); ++row)
                for (auto col = p.col0; col < p.col1(); ++col) {
                    const bool inside = g.window().contains(col, row);
                    const std::int32_t want = inside ? value_at(col, row) : -1;
                    wrong += r.at(col, row) != want;
                }
            INFO("grid " << nx << "x" << ny << " halo " << h << " rank " << d.rank());
            CHECK(wrong == 0);
        }
    }
}

TEST_CASE("gather_grid assembles the whole grid on the root", "[dist][halo]") {
    GridSpec g;
    g.nx = 37;
    g.ny = 29;
    dist::Decomposition d(g, MPI_COMM_WORLD);
    Raster<float> r(d.block(), 2, -9.f);
    for (auto row = d.block().row0; row < d.block().row1(); ++row)
        for (auto col = d.block().col0; col < d.block().col1(); ++col)
            r.at(col, row) = float(value_at(col, row));
    const auto all = dist::gather_grid(d, r, 0);
    if (d.rank() == 0) {
        REQUIRE(all.size() == std::size_t(g.cells()));
        std::int64_t wrong = 0;
        for (std::int64_t row = 0; row < g.ny; ++row)
            for (std::int64_t col = 0; col < g.nx; ++col)
                wrong += all[std::size_t(row * g.nx + col)] != float(value_at(col, row));
        CHECK(wrong == 0);
    } else {
        CHECK(all.empty());
    }
}
