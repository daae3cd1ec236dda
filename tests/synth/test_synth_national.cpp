// The national preset (one run, ~1-2 minutes on 2 cores): zone counts and national totals.
#include <toml++/toml.h>
#include <catch2/catch.hpp>
#include <filesystem>

#include "synth_test_util.hpp"

using namespace synth_test;

TEST_CASE("national preset: counts like the Netherlands in 2018", "[synth][national]") {
    const std::string out = scratch("national") + "/out";
    REQUIRE(run_cli(2, "--years 2018 --out " + out) == 0);
    const auto t = toml::parse_file(out + "/manifest.toml");
    const auto n = [&](const char* table, const char* key) {
        return t[table][key].value<std::int64_t>().value_or(-1);
    };
    const std::int64_t buurten = t["zones"]["counts"]["buurt"].value<std::int64_t>().value_or(-1);
    CHECK(buurten >= 11050);
    CHECK(buurten <= 14950);
    CHECK(t["zones"]["counts"]["gemeente"].value<std::int64_t>() == 380);
    CHECK(t["zones"]["counts"]["coropplus"].value<std::int64_t>() == 52);
    CHECK(t["zones"]["counts"]["corop"].value<std::int64_t>() == 40);
    const auto residents = t["totals"]["2018"]["residents"].value<std::int64_t>().value_or(-1);
    CHECK(residents >= 16684000);
    CHECK(residents <= 17716000);
    const auto populated =
        t["totals"]["2018"]["populated_cells"].value<std::int64_t>().value_or(-1);
    CHECK(populated >= 304000);
    CHECK(populated <= 456000);
    (void)n;
    // The zone file agrees with the manifest.
    CHECK(std::int64_t(read_layer(out + "/zones.gpkg", "buurt", "wijk_code").size()) == buurten);
    CHECK(std::int64_t(read_layer(out + "/zones.gpkg", "gemeente", "coropplus_code").size()) ==
          380);
    std::filesystem::remove_all(std::filesystem::path(out).parent_path());
}
