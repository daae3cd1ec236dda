#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/model_config.hpp"

using namespace leefbaar;
namespace fs = std::filesystem;

namespace {

const char* kValid = R"(
[model]
name = "t"
reference_year = 2016
reference_level = 4.1
dimensions = ["wonen", "veiligheid"]

[classes]
limits = [-0.2, 0.0, 0.2]
labels = ["slecht", "matig", "goed", "zeer goed"]

[development]
limits = [-0.05, 0.05]
labels = ["achteruit", "stabiel", "vooruit"]

[[indicator]]
name = "social"
dimension = "wonen"
weight = -0.5
kernel = { op = "share", layers = ["dw_social_rent", "dwellings"], radius = 200 }

[[indicator]]
name = "nuisance"
dimension = "veiligheid"
weight = -0.1
kernel = { op = "rate", layers = ["inc_nuisance", "residents"], radius = 500 }
transform = { type = "log1p", standardise = true }
)";

std::string write(const std::string& name, const std::string& text) {
    const auto p = fs::temp_directory_path() / ("leefbaar-model-" + name + ".toml");
    std::ofstream(p) << text;
    return p.string();
}

std::string with(const std::string& from, const std::string& to) {
    std::string s = kValid;
    const auto pos = s.find(from);
    REQUIRE(pos != std::string::npos);
    s.replace(pos, from.size(), to);
    return s;
}

std::string error_of(const std::string& text) {
    const auto f = write("bad", text);
    try {
        parse_model_config(f);
    } catch (const UsageError& e) {
        CHECK(e.exit_code() == 2);
        return e.what();
    }
    return "(accepted)";
}

}  // namespace

TEST_CASE("a valid model parses", "[model][config]") {
    const auto m = parse_model_config(write("ok", kValid));
    CHECK(m.name == "t");
    CHECK(m.reference_year == 2016);
    CHECK(m.dimensions.size() == 2);
    REQUIRE(m.indicators.size() == 2);
    CHECK(m.indicators[1].transform.kind == TransformSpec::Kind::log1p);
    CHECK(m.indicators[1].transform.standardise);
    CHECK(m.input_layers() ==
          std::vector<std::string>{"dw_social_rent", "dwellings", "inc_nuisance", "residents"});
    CHECK(m.max_reach_cells(100) == 5);
    CHECK(m.classes.classify(-0.3) == 1);
    CHECK(m.classes.classify(-0.2) == 2);  // a limit belongs to the class above it
    CHECK(m.classes.classify(0.25) == 4);
    // The same answer as upper_bound over the limits, everywhere (NaN and infinities included).
    std::vector<double> probe{std::nan(""), -INFINITY, INFINITY, -0.0, 0.0};
    for (const double l : m.classes.limits)
        probe.insert(probe.end(), {l, std::nextafter(l, -INFINITY), std::nextafter(l, INFINITY)});
    for (int i = -400; i <= 400; ++i) probe.push_back(i * 0.0025);
    for (const double v : probe) {
        INFO(v);
        const auto& L = m.classes.limits;
        CHECK(m.classes.classify(v) ==
              1 + int(std::upper_bound(L.begin(), L.end(), v) - L.begin()));
    }
}

TEST_CASE("invalid models are rejected naming the key and its line", "[model][config][bad-input]") {
    CHECK_THAT(error_of(with("name = \"t\"", "name = \"t\"\ncolour = \"red\"")),
               Catch::Contains("key 'model.colour'") && Catch::Contains("line 4") &&
                   Catch::Contains("not a known key"));
    CHECK_THAT(error_of(with("reference_year = 2016", "reference_year = \"2016\"")),
               Catch::Contains("key 'model.reference_year'") &&
                   Catch::Contains("must be an integer, not a string"));
    CHECK_THAT(
        error_of(with("dimension = \"wonen\"", "dimension = \"woning\"")),
        Catch::Contains("indicator[0].dimension") && Catch::Contains("unknown dimension 'woning'"));
    CHECK_THAT(
        error_of(with("op = \"share\"", "op = \"shares\"")),
        Catch::Contains("indicator[0].kernel.op") && Catch::Contains("unknown operation 'shares'"));
    CHECK_THAT(error_of(with("name = \"nuisance\"", "name = \"social\"")),
               Catch::Contains("indicator[1].name") && Catch::Contains("defined twice"));
    CHECK_THAT(error_of(with("limits = [-0.2, 0.0, 0.2]", "limits = [-0.2, 0.2, 0.0]")),
               Catch::Contains("classes.limits") && Catch::Contains("strictly increasing"));
    CHECK_THAT(error_of(with("labels = [\"slecht\", \"matig\", \"goed\", \"zeer goed\"]",
                             "labels = [\"slecht\"]")),
               Catch::Contains("classes.labels") && Catch::Contains("needs 4 labels"));
    CHECK_THAT(error_of(with("radius = 200", "radius = -200")),
               Catch::Contains("indicator[0].kernel.radius") && Catch::Contains("must be > 0"));
    CHECK_THAT(error_of(with("layers = [\"dw_social_rent\", \"dwellings\"]",
                             "layers = [\"dw_social_rent\"]")),
               Catch::Contains("needs 2 layers"));
    CHECK_THAT(error_of(with("weight = -0.5", "")),
               Catch::Contains("indicator[0].weight") && Catch::Contains("missing"));
    CHECK_THAT(error_of(with("type = \"log1p\"", "type = \"cube\"")),
               Catch::Contains("unknown transform 'cube'"));
    CHECK_THAT(error_of("[model\nname="), Catch::Contains("line"));
    CHECK_THAT(error_of(with("dimensions = [\"wonen\", \"veiligheid\"]",
                             "dimensions = [\"wonen\", \"wonen\"]")),
               Catch::Contains("appears twice"));
}
