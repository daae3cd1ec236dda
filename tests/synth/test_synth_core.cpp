// The synthetic generator without MPI or files: determinism, split independence, layer
// consistency, zone nesting and the manifest.
#include <toml++/toml.h>
#include <catch2/catch.hpp>

#include <set>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/synth.hpp"

using namespace leefbaar;
using namespace leefbaar::synth;

namespace {
SynthOptions tiny() {
    SynthOptions o;
    o.preset = Preset::tiny;
    return o;
}
int li(const char* n) {
    const int i = layer_index(n);
    REQUIRE(i >= 0);
    return i;
}
}  // namespace

TEST_CASE("Philox streams and quantiles are pure and monotone", "[synth][random]") {
    const rnd::Stream a(7, 1, 2, 3), b(7, 1, 2, 3), c(8, 1, 2, 3);
    CHECK(a.uniform(5) == b.uniform(5));
    CHECK(a.uniform(5) != c.uniform(5));
    CHECK(a.uniform(0) != a.uniform(1));
    for (double u : {0.01, 0.3, 0.5, 0.9, 0.999}) {
        std::int32_t prev = 0;
        for (double m : {0.1, 1.0, 5.0, 39.0, 41.0, 200.0, 5000.0}) {
            const auto k = rnd::poisson_quantile(m, u);
            CHECK(k >= prev);  // monotone in the mean
            prev = k;
        }
        CHECK(rnd::binomial_quantile(10, 0.5, u) <= 10);
        CHECK(rnd::binomial_quantile(1000, 0.3, u) <= 1000);
    }
    CHECK(rnd::poisson_quantile(0.0, 0.9) == 0);
    CHECK(rnd::binomial_quantile(5, 1.0, 0.2) == 5);
}

TEST_CASE("option validation", "[synth][usage]") {
    SynthOptions o = tiny();
    o.years = {2014, 2012};
    CHECK_THROWS_AS(make_grid(o), UsageError);
    o.years = {2012, 2012};
    CHECK_THROWS_AS(make_grid(o), UsageError);
    o.years = {2012};
    o.cell = 0;
    CHECK_THROWS_AS(make_grid(o), UsageError);
    o.cell = 100;
    o.extent = std::array<double, 4>{100000, 450000, 100050, 450100};  // not whole cells
    CHECK_THROWS_AS(make_grid(o), UsageError);
    o.extent = std::array<double, 4>{101000, 450000, 100000, 451000};  // empty
    CHECK_THROWS_AS(make_grid(o), UsageError);
    CHECK_THROWS_AS(parse_preset("huge"), UsageError);
    o.extent.reset();
    const GridSpec g = make_grid(o);
    CHECK(g.nx == 40);
    CHECK(g.ny == 30);
}

TEST_CASE("tiny world: zones nest and every land cell is in a buurt", "[synth][zones]") {
    const World w(tiny());
    CHECK(w.zones(gemeente).size() == 2);
    CHECK(w.zones(corop).size() == 1);
    for (int l = 0; l + 1 < kLevels; ++l)
        for (const auto& z : w.zones(Level(l))) {
            CHECK(z.parent >= 0);
            CHECK(z.parent < int(w.zones(Level(l + 1)).size()));
        }
    // Codes follow the CBS patterns and embed their parent's digits.
    for (const auto& b : w.zones(buurt)) {
        CHECK(b.code.size() == 10);
        CHECK(b.code.substr(0, 2) == "BU");
        CHECK(b.code.substr(2, 6) == w.zones(wijk)[std::size_t(b.parent)].code.substr(2, 6));
    }
    const auto& g = w.grid();
    const auto ids = w.buurt_ids(g.window());
    Generator gen(w, g.window());
    const auto l = gen.generate(2018);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const bool land = l[std::size_t(li("land"))].data[i] == 1;
        CHECK(land == (ids[i] >= 0));
        // Each cell's chain is consistent with the parent links (nesting per cell).
        const auto c =
            w.locate(g.centre_x(std::int64_t(i) % g.nx), g.centre_y(std::int64_t(i) / g.nx));
        if (c[buurt] >= 0) {
            CHECK(w.zones(buurt)[std::size_t(c[buurt])].parent == c[wijk]);
            CHECK(w.zones(wijk)[std::size_t(c[wijk])].parent == c[gemeente]);
            CHECK(w.zones(gemeente)[std::size_t(c[gemeente])].parent == c[coropplus]);
            CHECK(w.zones(coropplus)[std::size_t(c[coropplus])].parent == c[corop]);
        }
    }
    std::vector<std::int64_t> cells(w.zones(buurt).size(), 0);
    for (auto b : ids)
        if (b >= 0) ++cells[std::size_t(b)];
    for (auto n : cells) CHECK(n > 0);  // seeds keep their own cells
}

TEST_CASE("layers are consistent and independent of the split", "[synth][layers]") {
    const World w(tiny());
    const auto& g = w.grid();
    const Generator whole(w, g.window());
    const Window top{0, 0, g.nx, 13}, bottom{0, 13, g.nx, g.ny - 13}, left{0, 13, 17, g.ny - 13},
        right{17, 13, g.nx - 17, g.ny - 13};
    for (int year : {2012, 2018}) {
        const auto all = whole.generate(year);
        for (const auto& win : {top, left, right}) {
            const Generator part(w, win);
            const auto p = part.generate(year);
            for (std::size_t l = 0; l < all.size(); ++l)
                for (std::int64_t r = 0; r < win.nrows; ++r)
                    for (std::int64_t c = 0; c < win.ncols; ++c)
                        REQUIRE(p[l].data[std::size_t(r * win.ncols + c)] ==
                                all[l].data[std::size_t((win.row0 + r) * g.nx + win.col0 + c)]);
        }
        (void)bottom;
        const auto D = all[std::size_t(li("dwellings"))].data;
        std::int64_t residents = 0, amen = 0;
        for (std::size_t i = 0; i < D.size(); ++i) {
            auto v = [&](const char* n) { return all[std::size_t(li(n))].data[i]; };
            CHECK(v("dw_social_rent") + v("dw_private_cheap") + v("dw_private_other") +
                      v("dw_owner") ==
                  D[i]);
            CHECK(v("dw_single_family") + v("dw_multi_family") == D[i]);
            CHECK(v("dw_pre1945") + v("dw_1945_1990") + v("dw_post1990") == D[i]);
            CHECK(v("vacant_dwellings") <= D[i]);
            CHECK(v("area_green") + v("area_water") + v("area_industry") + v("area_agriculture") <=
                  10000);
            for (const auto& L : layers()) CHECK(all[std::size_t(li(L.name.c_str()))].data[i] >= 0);
            residents += v("residents");
            for (const auto& t : amenity_types())
                amen += all[std::size_t(li(("am_" + t).c_str()))].data[i];
        }
        CHECK(residents > 5000);  // the tiny world's town
        const auto pts = whole.points(year, all);
        CHECK(std::int64_t(pts.size()) == amen);
        for (const auto& p : pts) {
            CHECK(p.x > g.xmin + double(p.col) * g.cell);
            CHECK(p.x < g.xmin + double(p.col + 1) * g.cell);
            CHECK(p.y < g.ymax - double(p.row) * g.cell);
            CHECK(p.y > g.ymax - double(p.row + 1) * g.cell);
        }
    }
}

TEST_CASE("nuisance declines and problem areas have more social rent", "[synth][structure]") {
    SynthOptions o;
    o.preset = Preset::small;
    const World w(o);
    const auto& g = w.grid();
    const Generator gen(w, g.window());
    const auto a = gen.generate(2016), b = gen.generate(2018);
    std::int64_t n16 = 0, n18 = 0;
    for (auto v : a[std::size_t(li("inc_nuisance"))].data) n16 += v;
    for (auto v : b[std::size_t(li("inc_nuisance"))].data) n18 += v;
    CHECK(n18 < n16);
    CHECK(!w.problem_districts().empty());
    // Social-rent share ranges from 0 to over 60% of a cell's dwellings somewhere.
    const auto& D = b[std::size_t(li("dwellings"))].data;
    const auto& S = b[std::size_t(li("dw_social_rent"))].data;
    double mx = 0;
    for (std::size_t i = 0; i < D.size(); ++i)
        if (D[i] >= 50) mx = std::max(mx, double(S[i]) / D[i]);
    CHECK(mx > 0.6);
}

TEST_CASE("manifest parses as TOML with the documented keys", "[synth][manifest]") {
    const World w(tiny());
    const auto text = manifest_toml(w);
    toml::table t;
    REQUIRE_NOTHROW(t = toml::parse(text));
    CHECK(t["dataset"]["generator"].value<std::string>() == std::string(kGenerator));
    CHECK(t["dataset"]["preset"].value<std::string>() == std::string("tiny"));
    CHECK(t["grid"]["epsg"].value<int>() == 28992);
    CHECK(t["grid"]["nx"].value<int>() == 40);
    CHECK(t["grid"]["cell"].value<double>() == 100.0);
    CHECK(t["layers"]["residents"]["file"].value<std::string>() ==
          std::string("{year}/residents.tif"));
    CHECK(t["layers"]["land"]["type"].value<std::string>() == std::string("Byte"));
    CHECK(t["zones"]["levels"].as_array()->size() == 5);
    CHECK(t["zones"]["buurt"]["parent"].value<std::string>() == std::string("wijk_code"));
    CHECK(t["zones"]["corop"]["parent"].value<std::string>() == std::string(""));
    CHECK(t["points"]["layer"].value<std::string>() == std::string("amenities"));
}
