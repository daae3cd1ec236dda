#include <catch2/catch.hpp>
#include <cmath>

#include "../support/simd_levels.hpp"
#include "core/aggregate.hpp"
#include "core/model.hpp"
#include "core/typology.hpp"

using namespace leefbaar;

namespace {
std::int64_t fx(double v) {
    return std::int64_t(std::llround(v * 0x1.0p32));
}

// Four cells in three buurten (buurt 2 has none; the fourth cell has no zone), two dimensions,
// classes 2, 4, 5 and 9.
struct HandCells {
    std::vector<std::int32_t> zone{0, 0, 1, -1}, res{10, 30, 5, 7}, dw{4, 12, 3, 2};
    std::vector<std::int64_t> dev{fx(-0.2), fx(0.2), fx(0.5), fx(1.0)};
    std::vector<std::int64_t> dim{fx(-0.1), fx(-0.1), fx(0.1), fx(0.1),
                                  fx(0.25), fx(0.25), fx(0.5), fx(0.5)};
    std::vector<std::uint8_t> cls{2, 4, 5, 9};
    YearZoneStats stats(std::size_t zones) const {
        YearZoneStats s;
        s.resize(zones, 2, 9);
        accumulate_year(s, zone, res, dw, dev, dim, cls);
        return s;
    }
};
}  // namespace

TEST_CASE("zone statistics by hand, and roll-up equals direct accumulation", "[aggregate]") {
    // Four cells in three buurten (buurt 2 has none); buurten 0,1 in wijk 0, buurt 2 in wijk 1.
    const HandCells h;
    const auto& [zone, res, dw, dev, dim, cls] = h;
    const YearZoneStats s = h.stats(3);
    CHECK(s.residents == std::vector<std::int64_t>{40, 5, 0});
    CHECK(s.cells == std::vector<std::int64_t>{2, 1, 0});
    // Resident-weighted mean: (10 * -0.2 + 30 * 0.2) / 40 = 0.1
    CHECK(s.mean_deviation(0) == Approx(0.1));
    CHECK(s.mean_dimension(0, 1) == Approx((10 * -0.1 + 30 * 0.1) / 40.0));
    CHECK(std::isnan(s.mean_deviation(2)));  // zero residents: nodata, not a division by zero
    CHECK(s.residents_in_classes(0, 1, 3) == 10);
    CHECK(s.cells_in_classes(0, 4, 9) == 1);
    const std::vector<std::int32_t> parent{0, 0, 1};
    const auto w = roll_up(s, parent, 2);
    CHECK(w.residents == std::vector<std::int64_t>{45, 0});
    YearZoneStats direct;
    direct.resize(2, 2, 9);
    const std::vector<std::int32_t> wz{0, 0, 0, -1};
    accumulate_year(direct, wz, res, dw, dev, dim, cls);
    CHECK(w.wsum_dev == direct.wsum_dev);
    CHECK(w.wsum_dim == direct.wsum_dim);
    CHECK(w.res_class == direct.res_class);
    // Packing for reductions round-trips.
    YearZoneStats copy;
    copy.resize(3, 2, 9);
    unpack(copy, pack_ints(s), pack_wide(s));
    CHECK(copy.wsum_dev == s.wsum_dev);
    CHECK(copy.res_class == s.res_class);
}

TEST_CASE("compact zone statistics: class bands and kept dimensions", "[aggregate]") {
    // The cells of the test above: classes 2, 4, 5 (buurt 0: 2 and 4; buurt 1: 5).
    const YearZoneStats full = HandCells{}.stats(3);
    // Bands 1-3, 4-5, 6-7, 8-9; dimension 1 kept.
    const auto c = compact(full, {1}, {3, 5, 7, 9});
    CHECK(c.banded());
    CHECK(c.classes == 4);
    CHECK(c.dims == 1);
    CHECK(c.res_class == std::vector<std::int64_t>{10, 30, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0});
    CHECK(c.cells_class == std::vector<std::int64_t>{1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0});
    CHECK(c.total_res_class == std::vector<std::int64_t>{0, 10, 0, 30, 5, 0, 0, 0, 0});
    CHECK(c.total_cells_class == std::vector<std::int64_t>{0, 1, 0, 1, 1, 0, 0, 0, 0});
    // Whole bands: the same answers as the full statistics.
    for (std::size_t z = 0; z < 3; ++z) {
        CHECK(c.residents_in_classes(z, 1, 3) == full.residents_in_classes(z, 1, 3));
        CHECK(c.residents_in_classes(z, 1, 5) == full.residents_in_classes(z, 1, 5));
        CHECK(c.residents_in_classes(z, 0, 99) == full.residents_in_classes(z, 0, 99));
        CHECK(c.cells_in_classes(z, 8, 99) == full.cells_in_classes(z, 8, 99));
        CHECK(c.cells_in_classes(z, 4, 7) == full.cells_in_classes(z, 4, 7));
    }
    CHECK(c.residents_in_classes(0, 4, 5) == 30);
    CHECK(c.residents_in_classes(0, 10, 12) == 0);  // beyond the classes: none
    // A range that cuts a band cannot be answered: an error, not a wrong number.
    CHECK_THROWS_WITH(c.residents_in_classes(0, 1, 4), Catch::Contains("cut the class band 4..5"));
    CHECK_THROWS(c.cells_in_classes(0, 2, 3));
    // The kept dimension by its model index; another one is an error.
    CHECK(c.mean_dimension(0, 1) == full.mean_dimension(0, 1));
    CHECK_THROWS_WITH(c.mean_dimension(0, 0), Catch::Contains("not kept"));
    // Roll-up keeps the layout (not the totals) and equals the compact roll-up of the full stats.
    const std::vector<std::int32_t> parent{0, 0, 1};
    const auto rc = roll_up(c, parent, 2);
    const auto want = compact(roll_up(full, parent, 2), {1}, {3, 5, 7, 9});
    CHECK(rc.band_top == c.band_top);
    CHECK(rc.dim_ids == c.dim_ids);
    CHECK(rc.res_class == want.res_class);
    CHECK(rc.cells_class == want.cells_class);
    CHECK(rc.wsum_dim == want.wsum_dim);
    CHECK(rc.total_res_class.empty());
    // Adding stats of another layout is refused; resize() goes back to the full layout.
    YearZoneStats other;
    other.resize_compact(3, {1}, {4, 9});
    CHECK_THROWS(other.add(c));
    other.resize(3, 2, 9);
    CHECK_FALSE(other.banded());
    CHECK(other.dim_ids.empty());
    CHECK_THROWS(YearZoneStats{}.resize_compact(3, {}, {3, 2}));
}

TEST_CASE("lowest-percent selection and clusters", "[aggregate][typology]") {
    const std::vector<double> v{5, 1, 3, 2, 4, std::nan(""), 0};
    const std::vector<std::int64_t> res{1, 1, 1, 1, 1, 1, 0};  // the last zone has no residents
    // 5 eligible zones (NaN and zero residents excluded): 20% = the lowest one.
    CHECK(in_lowest_percent(v, res, 20) == std::vector<std::uint8_t>{0, 1, 0, 0, 0, 0, 0});
    CHECK(in_lowest_percent(v, res, 40) == std::vector<std::uint8_t>{0, 1, 0, 1, 0, 0, 0});
    CHECK(in_lowest_percent(v, res, 21) ==
          std::vector<std::uint8_t>{0, 1, 0, 1, 0, 0, 0});  // ceil(1.05) = 2
    const std::vector<std::uint8_t> flagged{1, 1, 0, 1, 1, 1};
    const auto c = clusters(flagged, {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {4, 5}});
    // Zone 2 is not flagged, so it splits {0,1} from {3,4,5}.
    CHECK(c == std::vector<std::int32_t>{0, 0, -1, 3, 3, 3});
}

namespace {

ModelConfig typology_model() {
    ModelConfig m;
    m.name = "t";
    m.dimensions = {"wonen", "veiligheid"};
    m.classes.limits = {-0.3, -0.2, -0.1, -0.05, 0.0, 0.05, 0.1, 0.2};
    m.classes.labels = std::vector<std::string>(9, "c");
    return m;
}

// A buurt level of 10 zones, with chosen mean deviation, safety and residents per year.
struct Fixture {
    ModelConfig m = typology_model();
    ZoneLevelTable level;
    std::vector<YearZoneStats> years;
    Fixture(int nyears) {
        for (int z = 0; z < 10; ++z) {
            level.codes.push_back("BU" + std::to_string(z));
            level.names.push_back("b" + std::to_string(z));
            level.parent.push_back(-1);
        }
        years.resize(std::size_t(nyears));
        for (auto& y : years) {
            y.resize(10, 2, 9);
            for (std::size_t z = 0; z < 10; ++z) set(y, z, 0.1, 0.1 * double(z + 1), 2000, 0);
        }
    }
    // Mean deviation dev, safety dim, residents r, of which `weak` in class 1.
    static void set(YearZoneStats& y, std::size_t z, double dev, double safety, std::int64_t r,
                    std::int64_t weak) {
        y.residents[z] = r;
        y.cells[z] = 10;
        y.wsum_dev[z] = Wide(r) * fx(dev);
        y.wsum_dim[z * 2 + 1] = Wide(r) * fx(safety);
        y.wsum_dim[z * 2] = Wide(r) * (fx(dev) - fx(safety));
        for (std::size_t c = 0; c < 9; ++c) y.res_class[z * 9 + c] = 0;
        y.res_class[z * 9 + 0] = weak;
        y.res_class[z * 9 + 4] = r - weak;
    }
    LevelSeries series() {
        LevelSeries s;
        s.level = &level;
        for (auto& y : years) s.years.push_back(&y);
        return s;
    }
};

}  // namespace

TEST_CASE("aandachtsbuurten at each rule's boundary", "[typology]") {
    TypologyRules r;  // defaults: 3 measurements, class <= 4, lowest 20% safety, >= 1000 residents
    SECTION("qualifies: weak in three measurements, unsafe, onvoldoende cells, 1,000 residents") {
        Fixture f(3);
        for (auto& y : f.years)
            Fixture::set(y, 0, -0.08, -0.5, 1000, 50);  // class 4, lowest safety
        const auto t = aandachtsbuurten(r, f.m, f.series());
        CHECK(t.member[0] == 1);
        CHECK(std::count(t.member.begin(), t.member.end(), 1) == 1);
    }
    SECTION("999 residents misses the size rule, and is reported as a near miss") {
        Fixture f(3);
        for (auto& y : f.years) Fixture::set(y, 0, -0.08, -0.5, 999, 50);
        const auto t = aandachtsbuurten(r, f.m, f.series());
        CHECK(t.member[0] == 0);
        CHECK_THAT(t.missed[0], Catch::Contains("1000 residents"));
    }
    SECTION("weak in only two of three measurements") {
        Fixture f(3);
        for (auto& y : f.years) Fixture::set(y, 0, -0.08, -0.5, 1000, 50);
        Fixture::set(f.years[0], 0, 0.01, -0.5, 1000, 50);  // class 6 in the first year
        const auto t = aandachtsbuurten(r, f.m, f.series());
        CHECK(t.member[0] == 0);
        CHECK_THAT(t.missed[0], Catch::Contains("3 measurements"));
    }
    SECTION("only two measurements in the run") {
        Fixture f(2);
        for (auto& y : f.years) Fixture::set(y, 0, -0.08, -0.5, 1000, 50);
        CHECK(aandachtsbuurten(r, f.m, f.series()).member[0] == 0);
    }
    SECTION(
        "the 20th percentile: of 10 buurten, the 2 lowest on safety qualify, the 3rd does not") {
        Fixture f(3);
        // Safety values: zone 1: 0.05, zone 0: 0.15, zone 2: 0.16, others 0.4 .. 1.0.
        for (auto& y : f.years) {
            Fixture::set(y, 0, -0.08, 0.15, 1000, 50);
            Fixture::set(y, 1, -0.08, 0.05, 1000, 50);
            Fixture::set(y, 2, -0.08, 0.16, 1000, 50);
        }
        const auto t = aandachtsbuurten(r, f.m, f.series());
        CHECK(t.member[1] == 1);
        CHECK(t.member[0] == 1);
        CHECK(t.member[2] == 0);
        CHECK_THAT(t.missed[2], Catch::Contains("safety among the lowest 20%"));
        // Without explanations (as a sweep asks, per member): the same members, no texts.
        LevelSeries quiet = f.series();
        quiet.explain = false;
        const auto q = aandachtsbuurten(r, f.m, quiet);
        CHECK(q.member == t.member);
        CHECK(q.missed.empty());
    }
    SECTION("no onvoldoende cells") {
        Fixture f(3);
        for (auto& y : f.years) Fixture::set(y, 0, -0.08, -0.5, 1000, 0);
        const auto t = aandachtsbuurten(r, f.m, f.series());
        CHECK(t.member[0] == 0);
        CHECK_THAT(t.missed[0], Catch::Contains("onvoldoende"));
    }
}

TEST_CASE("zone classes of many zones equal the class of each zone's mean", "[typology]") {
    // Sums of every size (also beyond int64, which the vector path leaves to the scalar one),
    // zones without residents, means exactly on a class limit, and a count of zones that is not
    // a multiple of the vector width.
    Fixture f(1);
    ZoneLevelTable level;
    const std::size_t nz = 1003;
    YearZoneStats y;
    y.resize(nz, 2, 9);
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> dev(-0.4, 0.4);
    for (std::size_t z = 0; z < nz; ++z) {
        level.codes.push_back("Z" + std::to_string(z));
        level.names.push_back("z");
        level.parent.push_back(-1);
        const std::int64_t r = z % 17 == 0 ? 0 : std::int64_t(rng() % 5000) + 1;
        y.residents[z] = r;
        y.wsum_dev[z] = Wide(r) * fx(dev(rng));
        if (z % 3 == 0)  // a sum whose mean may round to a class limit exactly
            y.wsum_dev[z] = std::llround(
                std::ldexp(f.m.classes.limits[z % f.m.classes.limits.size()], 32) * double(r));
        if (z % 101 == 7) y.wsum_dev[z] = Wide(r) * (Wide(1) << 70);  // beyond int64
    }
    LevelSeries s;
    s.level = &level;
    s.years = {&y};
    for (const auto lvl : test::simd_levels()) {
        const simd::ScopedLevelCap cap(lvl);
        INFO("vector level " << simd::level_name(lvl));
        const auto got = zone_classes(f.m, s);
        REQUIRE(got.size() == 1);
        std::size_t onlimit = 0;
        for (std::size_t z = 0; z < nz; ++z) {
            const double v = y.mean_deviation(z);
            const int want = std::isnan(v) ? 0 : f.m.classes.classify(v);
            INFO("zone " << z << " mean " << v);
            REQUIRE(int(got[0][z]) == want);
            onlimit += y.residents[z] > 0 &&
                       std::find(f.m.classes.limits.begin(), f.m.classes.limits.end(), v) !=
                           f.m.classes.limits.end();
        }
        CHECK(onlimit > 20);
        CHECK(std::count(got[0].begin(), got[0].end(), 0) >= 50);
    }
}

TEST_CASE("wide_to_double rounds as the 128-bit conversion does", "[aggregate]") {
    const Wide two63 = Wide(1) << 63;
    std::vector<Wide> vs{
        0,      1,     -1,         (Wide(1) << 53) + 1, -(Wide(1) << 53) - 1, two63 - 1,
        -two63, two63, -two63 - 1, two63 * 5 + 12345,   -(two63 * 7) - 1};
    std::uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int i = 0; i < 1000; ++i) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        vs.push_back(Wide(std::int64_t(x)) >> (i % 64));
        vs.push_back(Wide(std::int64_t(x)) * (i + 1) * 1000003);  // beyond int64 as well
    }
    for (const Wide v : vs) {
        INFO(double(v));
        CHECK(wide_to_double(v) == double(v));
    }
}

TEST_CASE("roll_up_scores equals roll_up when the member-independent fields are the same",
          "[aggregate]") {
    // Two "members": the same cells, residents and zones, other scores and classes.
    const std::vector<std::int32_t> zone{0, 0, 1, 2, 2, 3}, res{10, 30, 5, 7, 0, 12},
        dw{4, 12, 3, 2, 1, 5};
    const std::vector<std::int32_t> parent{1, 0, 1, -1};
    auto stats = [&](double shift) {
        std::vector<std::int64_t> dev, dim;
        std::vector<std::uint8_t> cls;
        for (std::size_t c = 0; c < zone.size(); ++c) {
            const double v = 0.1 * double(c) - 0.3 + shift;
            dev.push_back(fx(v));
            dim.push_back(fx(v / 2));
            dim.push_back(fx(-v));
            cls.push_back(std::uint8_t(1 + (c * 3 + std::size_t(shift * 10)) % 9));
        }
        YearZoneStats s;
        s.resize(4, 2, 9);
        accumulate_year(s, zone, res, dw, dev, dim, cls);
        return compact(s, {1}, {3, 5, 7, 9});
    };
    const auto a = stats(0.0), b = stats(0.45);
    YearZoneStats out = roll_up(a, parent, 2);
    roll_up_scores(b, parent, out);
    const YearZoneStats want = roll_up(b, parent, 2);
    CHECK(out.residents == want.residents);
    CHECK(out.cells == want.cells);
    CHECK(out.wsum_dev == want.wsum_dev);
    CHECK(out.wsum_dim == want.wsum_dim);
    CHECK(out.res_class == want.res_class);
    CHECK(out.cells_class == want.cells_class);
    CHECK(out.wsum_dev != roll_up(a, parent, 2).wsum_dev);  // b's scores, not a's
    YearZoneStats full;
    full.resize(2, 2, 9);
    CHECK_THROWS(roll_up_scores(b, parent, full));  // another layout
}

namespace {
// Random scored cells of several years on a small grid, for accumulate_cells.
struct CellYears {
    std::int64_t nx = 37;
    std::size_t nd, ni, nc = 9, zones = 23;
    Raster<std::int32_t> ids;  // zone ids (0 = none) on rows 2..27, columns 1..34, halo 1
    struct Year {
        std::vector<std::int64_t> cell, dev, dim;
        std::vector<std::int32_t> res, dw, zq;
        std::vector<std::uint8_t> cls;
    };
    std::vector<Year> ys;
    // dim_scale: magnitude of the scores (2^40 forces the 128-bit path); negative: some cells
    // get negative residents.
    CellYears(std::size_t dims, std::size_t indicators, std::int64_t dim_scale, bool negative,
              std::uint32_t seed)
        : nd(dims), ni(indicators), ids(Window{1, 2, 34, 26}, 1, 0) {
        std::uint64_t s = seed;
        auto next = [&s] {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            return std::uint32_t(s >> 33);
        };
        for (auto& v : ids.data) v = next() % 7 == 0 ? 0 : std::int32_t(next() % zones) + 1;
        for (int k = 0; k < 4; ++k) {
            Year y;
            for (std::int64_t c = 0; c < nx * 32; ++c) {  // rows 0..31: some outside the raster
                if (next() % 3 == 0) continue;
                y.cell.push_back(c);
                y.res.push_back(std::int32_t(next() % 60) - (negative && next() % 9 == 0 ? 70 : 0));
                y.dw.push_back(std::int32_t(next() % 40));
                std::int64_t sum = 0;
                for (std::size_t d = 0; d < nd; ++d) {
                    const std::int64_t v =
                        std::int64_t(next() % 2001) * (dim_scale / 1000) - dim_scale;
                    y.dim.push_back(v);
                    sum += v / 8;
                }
                y.dev.push_back(sum);
                y.cls.push_back(std::uint8_t(next() % (nc + 2)));  // 0 and nc + 1: no class
                for (std::size_t i = 0; i < ni; ++i)
                    y.zq.push_back(std::int32_t(next() % 4000001) - 2000000);
            }
            ys.push_back(std::move(y));
        }
    }
    std::vector<YearCellsView> views() const {
        std::vector<YearCellsView> v;
        for (const auto& y : ys) v.push_back({y.cell, y.res, y.dw, y.dev, y.dim, y.cls, y.zq});
        return v;
    }
    std::int32_t zone_of(std::int64_t c) const {
        const std::int64_t col = c % nx, row = c / nx;
        return ids.padded().contains(col, row) ? ids.at(col, row) - 1 : -1;
    }
};
}  // namespace

TEST_CASE("accumulate_cells equals per-year and per-period sums cell by cell", "[aggregate]") {
    struct Case {
        std::size_t nd, ni;
        std::int64_t scale;
        bool negative;
    };
    // The vector paths (5 dimensions, scores of a few units, up to 64 indicators), and each
    // condition that sends a part to the 128-bit or scalar path: scores too large for int64
    // products, more than 5 dimensions, more than 64 indicators, negative residents.
    const Case cases[] = {{5, 39, std::int64_t(1) << 34, false},
                          {5, 17, std::int64_t(1) << 60, false},
                          {7, 70, std::int64_t(1) << 33, false},
                          {2, 64, std::int64_t(1) << 35, true}};
    for (const auto& cs : cases)
        for (const auto lvl : test::simd_levels()) {
            const simd::ScopedLevelCap cap(lvl);
            INFO("vector level " << simd::level_name(lvl));
            CAPTURE(cs.nd, cs.ni, cs.scale, cs.negative);
            const CellYears cy(cs.nd, cs.ni, cs.scale, cs.negative, 7 + std::uint32_t(cs.nd));
            const auto views = cy.views();
            const std::vector<std::pair<std::size_t, std::size_t>> periods{
                {0, 1}, {1, 2}, {2, 3}, {0, 3}};
            const CellPassStats got = accumulate_cells(views, periods, cy.ids, cy.nx, cy.zones,
                                                       cy.nd, cy.nc, cy.ni, true);
            for (std::size_t k = 0; k < 4; ++k) {
                const auto& y = cy.ys[k];
                std::vector<std::int32_t> zone;
                std::int64_t ures = 0, ucells = 0;
                for (std::size_t i = 0; i < y.cell.size(); ++i) {
                    zone.push_back(cy.zone_of(y.cell[i]));
                    if (zone.back() < 0) ures += y.res[i], ucells += 1;
                }
                YearZoneStats want;
                want.resize(cy.zones, cy.nd, cy.nc);
                accumulate_year(want, zone, y.res, y.dw, y.dev, y.dim, y.cls);
                const YearZoneStats& s = got.years[k];
                CHECK(s.residents == want.residents);
                CHECK(s.dwellings == want.dwellings);
                CHECK(s.cells == want.cells);
                CHECK(s.res_class == want.res_class);
                CHECK(s.cells_class == want.cells_class);
                CHECK((s.wsum_dev == want.wsum_dev));
                CHECK((s.wsum_dim == want.wsum_dim));
                CHECK(got.unassigned_residents[k] == ures);
                CHECK(got.unassigned_cells[k] == ucells);
            }
            for (std::size_t p = 0; p < periods.size(); ++p) {
                const auto& A = cy.ys[periods[p].first];
                const auto& B = cy.ys[periods[p].second];
                PeriodZoneStats want, cls;
                want.resize(cy.zones, cy.nd, 0);
                cls.resize(cy.nc, 0, 0);
                std::vector<Wide> ind(cy.ni, 0);
                std::size_t i = 0;
                for (std::size_t j = 0; j < B.cell.size(); ++j) {
                    while (i < A.cell.size() && A.cell[i] < B.cell[j]) ++i;
                    if (i == A.cell.size() || A.cell[i] != B.cell[j]) continue;
                    const Wide r = B.res[j];
                    const std::int32_t z = cy.zone_of(B.cell[j]);
                    if (A.cls[i] >= 1 && A.cls[i] <= cy.nc) {
                        cls.residents[A.cls[i] - 1] += B.res[j];
                        cls.cells[A.cls[i] - 1] += 1;
                        cls.wsum_delta[A.cls[i] - 1] += r * (B.dev[j] - A.dev[i]);
                    }
                    if (z < 0) continue;
                    const auto zi = std::size_t(z);
                    want.residents[zi] += B.res[j];
                    want.cells[zi] += 1;
                    want.wsum_delta[zi] += r * (B.dev[j] - A.dev[i]);
                    for (std::size_t d = 0; d < cy.nd; ++d)
                        want.wsum_ddim[zi * cy.nd + d] +=
                            r * (B.dim[j * cy.nd + d] - A.dim[i * cy.nd + d]);
                    for (std::size_t x = 0; x < cy.ni; ++x)
                        ind[x] += r * (Wide(B.zq[j * cy.ni + x]) - A.zq[i * cy.ni + x]);
                }
                const PeriodZoneStats& t = got.periods[p];
                CHECK(t.residents == want.residents);
                CHECK(t.cells == want.cells);
                CHECK((t.wsum_delta == want.wsum_delta));
                CHECK((t.wsum_ddim == want.wsum_ddim));
                CHECK(got.by_start_class[p].residents == cls.residents);
                CHECK(got.by_start_class[p].cells == cls.cells);
                CHECK((got.by_start_class[p].wsum_delta == cls.wsum_delta));
                CHECK((got.indicator_delta_q[p] == ind));
            }
        }
}

TEST_CASE("quantise_rows equals quantise_z value by value", "[model]") {
    // Halves on both sides of zero, the values next to them, -0, the fast range's edge, NaN and
    // values beyond it (the scalar path), in rows of 8, 39 and 64 (full and partial vectors)
    // and of 70 (beyond the vector width), at every vector level.
    std::vector<float> vals{-0.0f,
                            0.0f,
                            0x1.0p-149f,
                            -0x1.0p-149f,
                            0x1.0p17f,
                            -0x1.0p17f,
                            0x1.0p17f - 0x1.0p-7f,
                            0x1.0p18f,
                            -0x1.0p18f,
                            1e6f,
                            -1e6f};
    for (int k = -40000; k <= 40000; ++k) {
        const float h = (float(k) + 0.5f) / 4096.0f;
        vals.insert(vals.end(), {h, std::nextafter(h, 1e30f), std::nextafter(h, -1e30f)});
    }
    for (const auto lvl : test::simd_levels())
        for (const std::size_t ni :
             {std::size_t(8), std::size_t(39), std::size_t(64), std::size_t(70)}) {
            const simd::ScopedLevelCap cap(lvl);
            INFO("vector level " << simd::level_name(lvl) << ", " << ni << " per row");
            std::vector<float> z(vals.begin(), vals.end());
            while (z.size() % ni) z.push_back(0.25f);
            const auto q = quantise_rows(z, ni);
            REQUIRE(q.size() == z.size());
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < z.size(); ++i) wrong += q[i] != quantise_z(z[i]);
            CHECK(wrong == 0);
        }
}
