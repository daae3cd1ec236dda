// Row prefix sums: exact integer sums, fixed-point conversion and wrap-around safety.
#include <catch2/catch.hpp>

#include "kernels/row_prefix.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

TEST_CASE("row prefixes skip nodata and stay exact when they wrap", "[row_prefix]") {
    TileDesc t{3, 1, 0, 100.0};
    const std::vector<std::int32_t> in{2147483647, kNodataI32, 2147483647};
    const RowPrefix p = build_row_prefix(t, std::span<const std::int32_t>(in));
    const std::uint64_t* s = p.sum_row(0);
    CHECK(std::int64_t(s[3] - s[0]) == 2 * std::int64_t(2147483647));
    CHECK(p.count_row(0)[3] == 2);
    // Fixed point: a long row of large values; window differences are exact.
    TileDesc big{40000, 1, 0, 100.0};
    std::vector<float> f(big.padded_size(), 1.6e7f);
    const RowPrefix q = build_row_prefix(big, std::span<const float>(f));
    const std::uint64_t* qs = q.sum_row(0);
    CHECK(q.to_value(std::int64_t(qs[40000] - qs[39990])) == 10 * 1.6e7);
    CHECK(to_fixed_point(1.5f, 16) == 98304);
    CHECK(to_fixed_point(-0.0f, 16) == 0);
    CHECK_THROWS_AS(to_fixed_point(std::nanf(""), 16), std::invalid_argument);
}

TEST_CASE("prefix pairs count only cells valid in both rasters", "[row_prefix]") {
    TileDesc t{4, 1, 0, 100.0};
    const std::vector<std::int32_t> a{1, kNodataI32, 3, 4};
    const std::vector<std::int32_t> b{10, 20, kNodataI32, 40};
    const auto [pa, pb] = build_row_prefix_pair(t, std::span<const std::int32_t>(a),
                                                std::span<const std::int32_t>(b));
    CHECK(pa.count_row(0)[4] == 2);
    CHECK(std::int64_t(pa.sum_row(0)[4]) == 5);
    CHECK(std::int64_t(pb.sum_row(0)[4]) == 50);
    const std::vector<std::int32_t> c{1, 2};
    CHECK_THROWS_WITH(build_row_prefix_pair(t, std::span<const std::int32_t>(a),
                                            std::span<const std::int32_t>(c)),
                      Catch::Contains("second input span has 2 cells"));
}
