#include <catch2/catch.hpp>
#include <vector>

#include "core/blocks.hpp"

using namespace leefbaar;

TEST_CASE("balanced offsets split n items into near-equal ranges", "[core][blocks]") {
    CHECK(balanced_offsets(10, 3) == std::vector<std::int64_t>{0, 4, 7, 10});
    CHECK(balanced_offsets(2, 4) == std::vector<std::int64_t>{0, 1, 2, 2, 2});
    CHECK(balanced_offsets(0, 1) == std::vector<std::int64_t>{0, 0});
}

TEST_CASE("block windows cover every cell exactly once", "[core][blocks]") {
    for (auto [nx, ny] : {std::pair{7, 5}, {2800, 3250}, {3, 2}, {1, 1}, {13, 17}}) {
        GridSpec g;
        g.nx = nx;
        g.ny = ny;
        for (int ranks : {1, 2, 3, 4, 5, 7, 12, 13}) {
            const auto pg = choose_process_grid(g, ranks);
            REQUIRE(pg[0] * pg[1] == ranks);
            const auto blocks = block_windows(g, pg[0], pg[1]);
            REQUIRE(blocks.size() == std::size_t(ranks));
            std::vector<int> hits(std::size_t(nx * ny), 0);
            for (const auto& b : blocks)
                for (auto r = b.row0; r < b.row1(); ++r)
                    for (auto c = b.col0; c < b.col1(); ++c) ++hits[std::size_t(r * nx + c)];
            for (int h : hits) REQUIRE(h == 1);
        }
    }
}

TEST_CASE("the process grid keeps blocks near square", "[core][blocks]") {
    GridSpec g;  // 2800 x 3250
    CHECK(choose_process_grid(g, 4) == std::array<int, 2>{2, 2});
    CHECK(choose_process_grid(g, 2) == std::array<int, 2>{1, 2});
    CHECK(choose_process_grid(g, 7) == std::array<int, 2>{1, 7});
}
