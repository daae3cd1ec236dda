#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>

#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/reduce.hpp"

using namespace leefbaar;

namespace {
// A value per cell with a wide dynamic range, so that a plain double sum depends on order.
double cell_value(std::int64_t i) {
    const std::uint64_t h = std::uint64_t(i) * 0x9E3779B97F4A7C15ull;
    const double u = double(h >> 11) * 0x1.0p-53;
    return (u - 0.5) * std::pow(10.0, double(h % 13) - 4.0);
}
}  // namespace

TEST_CASE("reductions are exact and independent of the split", "[dist][reduce]") {
    GridSpec g;
    g.nx = 301;
    g.ny = 199;
    // Reference: the same fixed-point sum in one pass, on every rank.
    ExactSum ref;
    std::int64_t ref_count = 0;
    for (std::int64_t i = 0; i < g.cells(); ++i) {
        ref.add(cell_value(i));
        ref_count += i % 3;
    }
    dist::Decomposition d(g, MPI_COMM_WORLD);
    ExactSum mine;
    std::int64_t count = 0;
    const auto& b = d.block();
    for (auto r = b.row0; r < b.row1(); ++r)
        for (auto c = b.col0; c < b.col1(); ++c) {
            mine.add(cell_value(r * g.nx + c));
            count += (r * g.nx + c) % 3;
        }
    const ExactSum total = dist::allreduce_sum(mine, d.comm());
    CHECK(total.raw() == ref.raw());
    CHECK(total.value() == ref.value());
    CHECK(dist::allreduce_sum(count, d.comm()) == ref_count);

    std::vector<double> mm{double(d.rank()), -double(d.rank())};
    dist::allreduce_max(std::span<double>(mm.data(), 1), d.comm());
    dist::allreduce_min(std::span<double>(mm.data() + 1, 1), d.comm());
    CHECK(mm[0] == double(dist::size() - 1));
    CHECK(mm[1] == -double(dist::size() - 1));
}

TEST_CASE("first_failed_rank names the lowest failing rank", "[dist][comm]") {
    CHECK(dist::first_failed_rank(false) == -1);
    const int last = dist::size() - 1;
    CHECK(dist::first_failed_rank(dist::rank() == last) == last);
}
