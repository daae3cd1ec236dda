#include <catch2/catch.hpp>
#include <cmath>

#include "core/model.hpp"

using namespace leefbaar;

namespace {
ModelConfig two_indicator_model() {
    ModelConfig m;
    m.name = "hand";
    m.reference_year = 2016;
    m.reference_level = 4.0;
    m.dimensions = {"a", "b"};
    m.classes.limits = {-0.5, 0.0, 0.5};
    m.classes.labels = {"1", "2", "3", "4"};
    IndicatorSpec x;
    x.name = "x";
    x.dimension = "a";
    x.weight = 0.25;
    IndicatorSpec y;
    y.name = "y";
    y.dimension = "b";
    y.weight = -1.0;
    y.transform.kind = TransformSpec::Kind::sqrt;
    m.indicators = {x, y};
    return m;
}
}  // namespace

TEST_CASE("reference statistics are resident-weighted and skip missing values", "[model]") {
    const auto m = two_indicator_model();
    YearCells c;
    c.cell = {0, 1, 2};
    c.residents = {10, 30, 0};  // the third cell has no residents: no weight
    c.dwellings = {5, 5, 5};
    c.raw = {1.0, 4.0, 3.0, std::nan(""), 100.0, 100.0};
    const auto sums = reference_partial_sums(m, c);
    const auto ref = reference_stats(m, sums);
    CHECK(ref.mean[0] == Approx((10 * 1.0 + 30 * 3.0) / 40));  // 2.5
    CHECK(ref.mean[1] == Approx(2.0));                         // sqrt(4) over the only valid cell
    const auto z = standardise(m, ref, c);
    CHECK(z[0] == Approx(-1.5f));
    CHECK(z[1] == Approx(0.0f));
    CHECK(z[2] == Approx(0.5f));
    CHECK(z[3] == 0.0f);  // missing value: the reference average, no contribution
    const auto s = score_cells(m, model_weights(m), z, 3);
    // Cell 0: a = 0.25 * -1.5 = -0.375, b = -1 * 0 = 0, afw = -0.375 -> class 2 (limits -0.5, 0,
    // 0.5)
    CHECK(fixed_to_double(s.dimension[0]) == -0.375);
    CHECK(fixed_to_double(s.dimension[1]) == 0.0);
    CHECK(fixed_to_double(s.deviation[0]) == -0.375);
    CHECK(int(s.cls[0]) == 2);
    // Cell 1: a = 0.125, b = 0 -> class 3.
    CHECK(fixed_to_double(s.deviation[1]) == 0.125);
    CHECK(int(s.cls[1]) == 3);
    // Decomposition is exact: dimensions add up to the deviation bit for bit.
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(fixed_to_double(s.dimension[2 * i]) + fixed_to_double(s.dimension[2 * i + 1]) ==
              fixed_to_double(s.deviation[i]));
}

TEST_CASE("transforms", "[model]") {
    TransformSpec t;
    t.kind = TransformSpec::Kind::piecewise;
    t.points = {{0, 0}, {10, 1}, {20, 1.5}};
    CHECK(t.apply(-5) == 0);
    CHECK(t.apply(5) == 0.5);
    CHECK(t.apply(15) == 1.25);
    CHECK(t.apply(99) == 1.5);
    CHECK(std::isnan(t.apply(std::nan(""))));
    t.kind = TransformSpec::Kind::clamp;
    t.lo = 1;
    t.hi = 2;
    CHECK(t.apply(0.5) == 1);
    CHECK(t.apply(3) == 2);
    t.kind = TransformSpec::Kind::log1p;
    CHECK(t.apply(std::exp(1.0) - 1) == Approx(1.0));
}
