// Zone adjacency (the input of the cluster variant of type 1, kwetsbare wijken) across rank
// boundaries: zones that touch only where one rank's block meets another's are found adjacent
// on every rank count, and a cluster of such zones is one cluster.
#include <mpi.h>

#include <catch2/catch.hpp>
#include <set>

#include "app/aggregate_stage.hpp"
#include "core/typology.hpp"
#include "dist/decomposition.hpp"

using namespace leefbaar;

namespace {
// Index of the block that holds cell (col, row).
int owner(const dist::Decomposition& d, std::int64_t col, std::int64_t row) {
    for (int r = 0; r < d.size(); ++r) {
        const Window& b = d.block(r);
        if (col >= b.col0 && col < b.col1() && row >= b.row0 && row < b.row1()) return r;
    }
    return -1;
}
}  // namespace

TEST_CASE("zones split exactly at rank boundaries are adjacent and form one cluster",
          "[aggregate][typology][mpi]") {
    const GridSpec g = GridSpec::from_extent(0, 300000, 3100, 302300, 100);  // 31 x 23
    const dist::Decomposition d(g, MPI_COMM_WORLD);
    // Zone of a cell = 1 + the rank owning it; row 11 is outside every zone except in column 0,
    // so blocks above and below it touch only through that column.
    auto zone = [&](std::int64_t col, std::int64_t row) -> std::int32_t {
        if (col < 0 || row < 0 || col >= g.nx || row >= g.ny) return 0;
        if (row == 11 && col > 0) return 0;
        return owner(d, col, row) + 1;
    };
    Raster<std::int32_t> ids(d.block(), 1, 0);
    for (auto row = d.block().row0 - 1; row <= d.block().row1(); ++row)
        for (auto col = d.block().col0 - 1; col <= d.block().col1(); ++col)
            ids.at(col, row) = zone(col, row);
    const auto adj = app::zone_adjacency(ids, d.block(), d.comm());

    // Expected: every pair of distinct zones with 4-neighbouring cells, by brute force.
    std::set<std::pair<std::int32_t, std::int32_t>> want;
    for (std::int64_t row = 0; row < g.ny; ++row)
        for (std::int64_t col = 0; col < g.nx; ++col)
            for (const auto& [dc, dr] : {std::pair{1, 0}, std::pair{0, 1}}) {
                const auto a = zone(col, row), b = zone(col + dc, row + dr);
                if (a > 0 && b > 0 && a != b) want.insert({std::min(a, b) - 1, std::max(a, b) - 1});
            }
    CHECK(std::set<std::pair<std::int32_t, std::int32_t>>(adj.begin(), adj.end()) == want);
    if (d.size() > 1) CHECK_FALSE(adj.empty());
    // Every rank sees the same list.
    std::int64_t n = std::int64_t(adj.size()), lo = n, hi = n;
    MPI_Allreduce(&n, &lo, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&n, &hi, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    CHECK(lo == hi);

    // All zones flagged: one cluster spanning every rank's block (the blocks tile the grid).
    const std::vector<std::uint8_t> all(std::size_t(d.size()), 1);
    const auto cl = clusters(all, adj);
    for (const auto c : cl) CHECK(c == 0);
    // One flagged zone among unflagged neighbours is a cluster of its own.
    std::vector<std::uint8_t> one(std::size_t(d.size()), 0);
    one.back() = 1;
    const auto single = clusters(one, adj);
    CHECK(single.back() == d.size() - 1);
    for (int r = 0; r + 1 < d.size(); ++r) CHECK(single[std::size_t(r)] == -1);
}
