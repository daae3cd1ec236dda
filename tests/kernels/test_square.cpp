// Square windows from summed-area tables against brute force; split invariance; checks.
#include <catch2/catch.hpp>

#include "kernels/square.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

TEST_CASE("square sums and means match brute force", "[square]") {
    for (const auto& [nx, ny] : {std::pair{37, 23}, std::pair{32, 18}, std::pair{3, 2}}) {
        const auto world = kt::random_i32(nx + ny, nx, ny, 0, -2147483647, 2147483647, 0.2);
        const auto wf = kt::random_f32(nx + ny + 1, nx, ny, 0, -10.0f, 10.0f, 0.2);
        for (std::int64_t k : {0, 1, 2, 5, 13, 40}) {
            const TileDesc t = kt::tile_of(world, 0, 0, nx, ny, k);
            const auto in = kt::cut(world, t);
            const auto inf = kt::cut(wf, t);
            const std::size_t n = t.interior_size();
            std::vector<std::int64_t> sum(n);
            std::vector<std::int32_t> count(n);
            std::vector<double> mean(n), fmean(n), fsum(n);
            square_sum(t, std::span<const std::int32_t>(in), k, std::span(sum), std::span(count));
            square_mean(t, std::span<const std::int32_t>(in), k, std::span(mean));
            square_sum(t, std::span<const float>(inf), k, std::span(fsum));
            square_mean(t, std::span<const float>(inf), k, std::span(fmean));
            for (std::int64_t y = 0; y < ny; ++y)
                for (std::int64_t x = 0; x < nx; ++x) {
                    std::int64_t s = 0, c = 0, q = 0, cf = 0;
                    for (std::int64_t dy = -k; dy <= k; ++dy)
                        for (std::int64_t dx = -k; dx <= k; ++dx) {
                            const auto v = in[t.padded_index(x + dx, y + dy)];
                            if (!is_nodata(v)) s += v, ++c;
                            const float f = inf[t.padded_index(x + dx, y + dy)];
                            if (!std::isnan(f)) q += to_fixed_point(f, kDefaultFracBits), ++cf;
                        }
                    const std::size_t i = t.interior_index(x, y);
                    REQUIRE(count[i] == c);
                    REQUIRE(sum[i] == (c == 0 ? kNodataI64 : s));
                    if (c == 0)
                        REQUIRE(std::isnan(mean[i]));
                    else
                        REQUIRE(mean[i] == double(s) / double(c));
                    if (cf == 0) {
                        REQUIRE(std::isnan(fsum[i]));
                        REQUIRE(std::isnan(fmean[i]));
                    } else {
                        REQUIRE(fsum[i] == std::ldexp(double(q), -kDefaultFracBits));
                        REQUIRE(fmean[i] == std::ldexp(double(q), -kDefaultFracBits) / double(cf));
                    }
                }
        }
    }
}

TEST_CASE("square windows are bit-identical across splits and threads", "[square][determinism]") {
    const auto wf = kt::random_f32(21, 53, 29, 6, -1000.0f, 1000.0f, 0.1);
    for (std::int64_t halo : {4, 6}) {
        kt::require_split_invariant<double>(
            wf, halo, [](const TileDesc& t, const std::vector<float>& in) {
                std::vector<double> out(t.interior_size());
                square_mean(t, std::span<const float>(in), 4, std::span(out));
                return out;
            });
    }
}

TEST_CASE("square windows reject bad parameters", "[square]") {
    TileDesc t{5, 4, 2, 100.0};
    std::vector<std::int32_t> in(t.padded_size(), 1);
    std::vector<std::int64_t> out(t.interior_size());
    CHECK_THROWS_WITH(square_sum(t, std::span<const std::int32_t>(in), -1, std::span(out)),
                      "square sum: half width -1 cells must be >= 0");
    CHECK_THROWS_WITH(square_sum(t, std::span<const std::int32_t>(in), 3, std::span(out)),
                      "square sum: square half width 3 reaches 3 cells but the tile halo is only "
                      "2 cells");
    std::vector<std::int64_t> bad(3);
    CHECK_THROWS_WITH(square_sum(t, std::span<const std::int32_t>(in), 1, std::span(bad)),
                      Catch::Contains("output span has 3 cells"));
}
