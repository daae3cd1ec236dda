#include <catch2/catch.hpp>
#include <vector>

#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/reduce.hpp"

using namespace leefbaar;

TEST_CASE("the decomposition covers every cell exactly once", "[dist][decomposition]") {
    for (auto [nx, ny] : {std::pair{2800, 3250}, {5, 3}, {1, 1}, {2, 7}, {31, 1}}) {
        GridSpec g;
        g.nx = nx;
        g.ny = ny;
        dist::Decomposition d(g, MPI_COMM_WORLD);
        CHECK(d.px() * d.py() == dist::size());
        // Every rank marks its own block; the element-wise sum over ranks must be 1 everywhere.
        std::vector<std::int64_t> hits(std::size_t(g.cells()), 0);
        const auto& b = d.block();
        for (auto r = b.row0; r < b.row1(); ++r)
            for (auto c = b.col0; c < b.col1(); ++c) hits[std::size_t(r * nx + c)] = 1;
        dist::allreduce_sum(hits, MPI_COMM_WORLD);
        std::int64_t wrong = 0;
        for (auto h : hits) wrong += h != 1;
        CHECK(wrong == 0);
    }
}

TEST_CASE("an explicit process grid that does not match the ranks is refused",
          "[dist][decomposition]") {
    GridSpec g;
    CHECK_THROWS_WITH(dist::Decomposition(g, MPI_COMM_WORLD, dist::size() + 1, 1),
                      Catch::Contains("does not match"));
}
