// Zone adjacency (the input of the cluster variant of type 1, kwetsbare wijken) across rank
// boundaries: zones that touch only where one rank's block meets another's are found adjacent
// on every rank count, and a cluster of such zones is one cluster.
#include <mpi.h>

#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "../support/simd_levels.hpp"
#include "app/aggregate_stage.hpp"
#include "core/typology.hpp"
#include "dist/decomposition.hpp"
#include "kernels/tile.hpp"

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
// Every pair (a < b) of distinct zone indices (id - 1) with 4-neighbouring cells, by brute
// force over the whole grid; zone(col, row) is 0 outside every zone and outside the grid.
template <class Zone>
std::set<std::pair<std::int32_t, std::int32_t>> brute_force_pairs(const GridSpec& g, Zone&& zone) {
    std::set<std::pair<std::int32_t, std::int32_t>> want;
    for (std::int64_t row = 0; row < g.ny; ++row)
        for (std::int64_t col = 0; col < g.nx; ++col)
            for (const auto& [dc, dr] : {std::pair{1, 0}, std::pair{0, 1}}) {
                const auto a = zone(col, row), b = zone(col + dc, row + dr);
                if (a > 0 && b > 0 && a != b) want.insert({std::min(a, b) - 1, std::max(a, b) - 1});
            }
    return want;
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
    const auto want = brute_force_pairs(g, zone);
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

TEST_CASE("adjacency of a many-zone raster is the same on every vector path", "[aggregate][mpi]") {
    const GridSpec g = GridSpec::from_extent(0, 300000, 6100, 304700, 100);  // 61 x 47
    const dist::Decomposition d(g, MPI_COMM_WORLD);
    // Zones as runs of 1-13 cells along bands of 1-2 rows, with cells of no zone (0) between.
    auto hash = [](std::uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        return x ^ (x >> 29);
    };
    auto zone = [&](std::int64_t col, std::int64_t row) -> std::int32_t {
        if (col < 0 || row < 0 || col >= g.nx || row >= g.ny) return 0;
        const std::int64_t band = row % 7 == 0 ? 1000 + row : row / 2;
        const std::int64_t width = 1 + std::int64_t(hash(std::uint64_t(band)) % 13);
        const std::uint64_t h = hash(std::uint64_t(band * 1000 + col / width));
        return h % 9 == 0 ? 0 : std::int32_t(1 + h % 200);
    };
    Raster<std::int32_t> ids(d.block(), 1, 0);
    for (auto row = d.block().row0 - 1; row <= d.block().row1(); ++row)
        for (auto col = d.block().col0 - 1; col <= d.block().col1(); ++col)
            ids.at(col, row) = zone(col, row);
    const auto want = brute_force_pairs(g, zone);
    REQUIRE(want.size() > 300);
    for (const auto lvl : test::simd_levels()) {  // the same levels on every rank (one machine)
        const simd::ScopedLevelCap cap(lvl);
        INFO("vector level " << simd::level_name(lvl));
        const auto adj = app::zone_adjacency(ids, d.block(), d.comm());
        CHECK(std::set<std::pair<std::int32_t, std::int32_t>>(adj.begin(), adj.end()) == want);
    }
}

TEST_CASE("zone sums of a raster row are the same on every vector path", "[aggregate]") {
    // Runs of one zone longer and shorter than a vector, zones changing inside a vector, cells
    // of no zone, values that are nodata, 0, negative or large, and a length that is not a
    // multiple of the vector width.
    std::mt19937 rng(5);
    const std::int64_t n = 2 * 16 * 37 + 13;
    std::vector<std::int32_t> zid(std::size_t(n + 1)), v(std::size_t(n + 1));
    std::int32_t z = 1;
    for (std::int64_t c = 0; c < n; ++c) {
        if (rng() % 23 == 0) z = std::int32_t(rng() % 12) - 1;  // -1 and 0: no zone
        zid[std::size_t(c)] = z;
        const auto k = rng() % 10;
        v[std::size_t(c)] = k < 4    ? 0
                            : k == 4 ? kernels::kNodataI32
                            : k == 5 ? -std::int32_t(rng() % 1000)
                            : k == 6 ? std::int32_t(2000000000)
                                     : std::int32_t(rng() % 500);
    }
    for (std::int64_t c = 100; c < 180; ++c) v[std::size_t(c)] = 0;  // a run without values
    for (const auto lvl : test::simd_levels()) {
        const simd::ScopedLevelCap cap(lvl);
        INFO("vector level " << simd::level_name(lvl));
        for (const std::int64_t len : {n, n - 5, std::int64_t(7)}) {
            std::vector<std::int64_t> got(11, 0), ref(11, 0);
            app::add_by_zone(zid.data(), v.data(), len, got.data());
            for (std::int64_t c = 0; c < len; ++c)
                if (zid[std::size_t(c)] > 0 && v[std::size_t(c)] != kernels::kNodataI32)
                    ref[std::size_t(zid[std::size_t(c)] - 1)] += v[std::size_t(c)];
            CHECK(got == ref);
        }
    }
}
