// The pure parts of sweeps: the kernel's rounding equals contribution_fixed bit for bit
// (halves included), Monte-Carlo members are pure functions of (seed, member), grids enumerate
// last-axis-fastest, Spearman's rho.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/model.hpp"
#include "core/sweep.hpp"

using namespace leefbaar;

TEST_CASE("the kernel's rounding equals contribution_fixed", "[sweep]") {
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> uw(-0.2, 0.2), uz(-8, 8);
    for (int k = 0; k < 200000; ++k) {
        const double w = uw(rng);
        const float z = float(uz(rng));
        REQUIRE(contribution_fixed_fast(w, z) == contribution_fixed(w, z));
    }
    // Exact halves (x = n + 0.5 in 2^-32 units) and their neighbours, both signs.
    for (double w : {0.5, -0.5, 0.25, 1.0, -1.0})
        for (int n = -50; n <= 50; ++n)
            for (double d : {0.0, 1.0, -1.0}) {
                const float z = float((double(n) + 0.5 + d * 0x1.0p-20) * 0x1.0p-32 / w);
                REQUIRE(contribution_fixed_fast(w, z) == contribution_fixed(w, z));
            }
    CHECK(contribution_fixed_fast(0.0, 3.0f) == 0);
    CHECK(contribution_fixed_fast(0.5, 0.0f) == 0);
}

TEST_CASE("Monte-Carlo and grid members", "[sweep]") {
    const auto dir = std::filesystem::temp_directory_path() / "leefbaar-sweep-core";
    std::filesystem::create_directories(dir);
    const std::vector<std::string> ind{"a", "b", "c"}, idim{"d1", "d1", "d2"}, dims{"d1", "d2"};
    const std::vector<double> base{0.1, -0.2, 0.3};
    std::ofstream(dir / "mc.toml")
        << "[sweep]\nkind = \"montecarlo\"\nmembers = 100\nseed = 9\n"
           "[sweep.scale_dimension]\nd2 = 0.0\n[sweep.scale_indicator]\nb = 0.5\n";
    const auto s = parse_sweep_spec((dir / "mc.toml").string(), ind, idim, dims, base);
    CHECK(s.size() == 100);
    double sa = 0, sb = 0;
    for (int m = 0; m < 100; ++m) {
        const auto w = member_weights(s, m);
        CHECK(w == member_weights(s, m));  // pure
        CHECK(w[2] == 0.3);                // scale 0 for dimension d2
        sa += std::pow(w[0] / 0.1 - 1, 2), sb += std::pow(w[1] / -0.2 - 1, 2);
    }
    CHECK(std::sqrt(sa / 100) == Approx(0.1).epsilon(0.3));  // default scale 0.1
    CHECK(std::sqrt(sb / 100) == Approx(0.5).epsilon(0.3));
    CHECK(member_weights(s, 3) != member_weights(s, 4));
    std::ofstream(dir / "grid.toml")
        << "[sweep]\nkind = \"grid\"\n[[sweep.axis]]\ndimension = \"d1\"\nvalues = [0.0, 2.0]\n"
           "[[sweep.axis]]\nindicator = \"c\"\nvalues = [1.0, 2.0, 3.0]\n";
    const auto g = parse_sweep_spec((dir / "grid.toml").string(), ind, idim, dims, base);
    REQUIRE(g.size() == 6);
    CHECK(member_weights(g, 0) == std::vector<double>{0.0, -0.0, 1.0});
    CHECK(member_weights(g, 2) == std::vector<double>{0.0, -0.0, 3.0});
    CHECK(member_weights(g, 4) == std::vector<double>{0.2, -0.4, 2.0});
    std::filesystem::remove_all(dir);
}

TEST_CASE("Spearman's rho", "[sweep]") {
    CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
    CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
    CHECK(spearman({1, 2, 3, NAN}, {1, 3, 2, 7}) == Approx(0.5));
    CHECK(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
}
