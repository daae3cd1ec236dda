#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"
#include "io/zones.hpp"
#include "test_support.hpp"

using namespace leefbaar;
using leefbaar::testing::ScratchDir;

namespace {

// A GeoPackage layer "zones" with fields code, name, parent and the given WKT polygons.
void write_zones(const std::string& file, const std::vector<std::array<std::string, 4>>& rows,
                 int epsg = 28992) {
    std::vector<std::vector<std::string>> r;
    for (const auto& x : rows) r.push_back({x[0], x[1], x[2], x[3]});
    leefbaar::testing::write_zone_layer(file, "zones", {"code", "name", "parent"}, r, epsg);
}

}  // namespace

TEST_CASE("zones are rasterised by the cell-centre rule with a stable id table", "[io][zones]") {
    ScratchDir dir("zones");
    const GridSpec g = GridSpec::from_extent(0, 0, 1000, 1000, 100);  // 10 x 10
    // B: x 0-420 (centres 50..350 inside, 450 not), y 0-1000. A: x 420-1000.
    write_zones(dir.file("z.gpkg"),
                {{"B", "Bee", "P1", "POLYGON((0 0,420 0,420 1000,0 1000,0 0))"},
                 {"A", "Ay", "P1", "POLYGON((420 0,1000 0,1000 1000,420 1000,420 0))"}});
    const io::ZoneSource src{dir.file("z.gpkg"), "zones", "code", "name", "parent"};
    const auto t = io::read_zone_table(src);
    REQUIRE(t.size() == 2);
    CHECK(t.codes == std::vector<std::string>{"A", "B"});  // sorted: ids independent of file order
    CHECK(t.names == std::vector<std::string>{"Ay", "Bee"});
    CHECK(t.id_of("B") == 2);
    CHECK(t.id_of("nope") == 0);
    const auto z = io::rasterise_zones(src, g, Window{2, 0, 5, 10}, 1);
    CHECK(z.overlapping_cells == 0);
    CHECK(z.ids.at(3, 5) == 2);   // centre x 350 < 420: B
    CHECK(z.ids.at(4, 5) == 1);   // centre x 450 > 420: A
    CHECK(z.ids.at(1, 0) == 2);   // halo cell
    CHECK(z.ids.at(1, -1) == 0);  // outside the grid and every zone
}

TEST_CASE("overlapping zones are counted", "[io][zones]") {
    ScratchDir dir("zones-overlap");
    const GridSpec g = GridSpec::from_extent(0, 0, 1000, 1000, 100);
    write_zones(dir.file("o.gpkg"),
                {{"A", "a", "", "POLYGON((0 0,600 0,600 1000,0 1000,0 0))"},
                 {"B", "b", "", "POLYGON((400 0,1000 0,1000 1000,400 1000,400 0))"}});
    const auto z =
        io::rasterise_zones({dir.file("o.gpkg"), "zones", "code", "name", ""}, g, g.window(), 0);
    CHECK(z.overlapping_cells == 20);  // columns with centres 450 and 550
    // Without the overlap count: the same ids (the later zone wins), nothing counted.
    const auto q = io::rasterise_zones({dir.file("o.gpkg"), "zones", "code", "name", ""}, g,
                                       g.window(), 0, false);
    CHECK(q.overlapping_cells == 0);
    CHECK(q.ids.data == z.ids.data);
    CHECK(q.ids.at(4, 3) == 2);
    CHECK(q.ids.at(3, 3) == 1);
    CHECK(q.ids.at(6, 3) == 2);
}

TEST_CASE("bad zone layers are refused naming file, layer and attribute",
          "[io][zones][bad-input]") {
    ScratchDir dir("zones-bad");
    write_zones(dir.file("z.gpkg"),
                {{"A", "a", "", "POLYGON((0 0,600 0,600 1000,0 1000,0 0))"},
                 {"A", "b", "", "POLYGON((400 0,1000 0,1000 1000,400 1000,400 0))"}});
    CHECK_THROWS_WITH(io::read_zone_table({dir.file("z.gpkg"), "zones", "statcode", "name", ""}),
                      Catch::Contains("z.gpkg") && Catch::Contains("layer 'zones'") &&
                          Catch::Contains("no attribute 'statcode'") &&
                          Catch::Contains("code, name, parent"));
    CHECK_THROWS_WITH(io::read_zone_table({dir.file("z.gpkg"), "wijken", "code", "name", ""}),
                      Catch::Contains("layer 'wijken'") && Catch::Contains("no such layer"));
    CHECK_THROWS_WITH(io::read_zone_table({dir.file("z.gpkg"), "zones", "code", "name", ""}),
                      Catch::Contains("'A'") && Catch::Contains("not unique"));
    CHECK_THROWS_WITH(io::read_zone_table({dir.file("none.gpkg"), "zones", "code", "", ""}),
                      Catch::Contains("none.gpkg") && Catch::Contains("does not exist"));
    write_zones(dir.file("wgs.gpkg"), {{"A", "a", "", "POLYGON((0 0,1 0,1 1,0 1,0 0))"}}, 4326);
    const GridSpec g = GridSpec::from_extent(0, 0, 1000, 1000, 100);
    CHECK_THROWS_WITH(
        io::rasterise_zones({dir.file("wgs.gpkg"), "zones", "code", "", ""}, g, g.window(), 0),
        Catch::Contains("EPSG:4326") && Catch::Contains("expected EPSG:28992"));
}

TEST_CASE("real 2018 municipalities rasterise onto the national grid", "[io][zones][real-data]") {
    const std::string dir = LEEFBAAR_BOUNDARIES_DIR;
    if (!std::filesystem::exists(dir + "/gemeente_2018.gpkg")) {
        WARN("skipped: real boundaries not found at " << dir);
        return;
    }
    const GridSpec g;  // national
    const io::ZoneSource src{dir + "/gemeente_2018.gpkg", "gemeente_2018", "statcode", "statnaam",
                             ""};
    const auto t = io::read_zone_table(src);
    CHECK(t.size() == 380);
    // Amsterdam's centre (Dam square, about x 121400, y 487400) lies in GM0363.
    const auto cr = parse_cell_code(g, "E1214N4874");
    const auto z = io::rasterise_zones(src, g, Window{cr[0] - 5, cr[1] - 5, 11, 11}, 0);
    REQUIRE(t.codes[std::size_t(z.ids.at(cr[0], cr[1]) - 1)] == "GM0363");
    CHECK(t.names[std::size_t(z.ids.at(cr[0], cr[1]) - 1)] == "Amsterdam");
    CHECK(z.overlapping_cells == 0);
}
