// `leefbaar synth` end to end: the small preset under 1, 2 and 3 ranks, zones, rasters, points,
// real boundaries, and every kind of bad input.
#include <gdal.h>
#include <ogr_api.h>

#include <toml++/toml.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "core/grid.hpp"
#include "io/gdal_raster.hpp"
#include "io/zones.hpp"
#include "synth_test_util.hpp"

namespace fs = std::filesystem;
using namespace synth_test;

namespace {

// The small dataset, generated once with one rank and shared by the tests below.
const std::string& small_dataset() {
    static const std::string dir = [] {
        const std::string d = scratch("small-np1") + "/out";
        REQUIRE(run_cli(1, "--preset small --out " + d) == 0);
        return d;
    }();
    return dir;
}

leefbaar::GridSpec manifest_grid(const std::string& dir) {
    const auto t = toml::parse_file(dir + "/manifest.toml");
    leefbaar::GridSpec g;
    g.epsg = t["grid"]["epsg"].value_or(0);
    g.xmin = t["grid"]["xmin"].value_or(0.0);
    g.ymax = t["grid"]["ymax"].value_or(0.0);
    g.cell = t["grid"]["cell"].value_or(0.0);
    g.nx = t["grid"]["nx"].value_or(0);
    g.ny = t["grid"]["ny"].value_or(0);
    return g;
}

bool no_partial_left(const std::string& parent) {
    for (const auto& e : fs::directory_iterator(parent))
        if (e.path().filename().string().find(".partial-") != std::string::npos) return false;
    return true;
}

}  // namespace

TEST_CASE("small preset: identical files with 1, 2 and 3 ranks", "[synth][cli][mpi]") {
    const auto& d1 = small_dataset();
    const auto h1 = tree_hashes(d1);
    REQUIRE(h1.size() == 4 * (33 + 1) + 2);  // 33 rasters + points per year, zones, manifest
    for (int np : {2, 3}) {
        const std::string d = scratch("small-np" + std::to_string(np)) + "/out";
        REQUIRE(run_cli(np, "--preset small --out " + d) == 0);
        // Whole files (rasters, GeoPackages, manifest) are byte-identical...
        CHECK(tree_hashes(d) == h1);
        // ...and so, explicitly, are the pixels of every layer and the zone tables.
        for (const auto& e : fs::directory_iterator(d1 + "/2018"))
            if (e.path().extension() == ".tif")
                CHECK(raster_checksum(e.path().string()) ==
                      raster_checksum(d + "/2018/" + e.path().filename().string()));
        for (const char* lvl : {"buurt", "wijk", "gemeente", "coropplus", "corop"})
            CHECK(table_checksum(read_layer(d1 + "/zones.gpkg", lvl, "")) ==
                  table_checksum(read_layer(d + "/zones.gpkg", lvl, "")));
        fs::remove_all(fs::path(d).parent_path());
    }
}

TEST_CASE("small preset: rasters lie on the grid in EPSG:28992", "[synth][cli]") {
    const auto& d = small_dataset();
    const auto g = manifest_grid(d);
    CHECK(g.nx == 400);
    CHECK(g.ny == 300);
    const auto t = toml::parse_file(d + "/manifest.toml");
    int n = 0;
    for (const auto& [name, layer] : *t["layers"].as_table()) {
        for (int year : {2012, 2018}) {
            std::string file = *layer.as_table()->get("file")->value<std::string>();
            file.replace(file.find("{year}"), 6, std::to_string(year));
            const auto info = leefbaar::io::probe_raster(d + "/" + file);
            CHECK_NOTHROW(leefbaar::io::check_on_grid(info, g, std::string(name.str()),
                                                      leefbaar::io::Coverage::full));
            CHECK(info.epsg == 28992);
            CHECK(info.is_integer);
            CHECK(info.data_type == *layer.as_table()->get("type")->value<std::string>());
            ++n;
        }
    }
    CHECK(n == 2 * 33);
}

TEST_CASE("small preset: zones nest, are valid and disjoint, and cover populated cells",
          "[synth][cli][zones]") {
    const auto& d = small_dataset();
    const std::string gpkg = d + "/zones.gpkg";
    const auto bu = read_layer(gpkg, "buurt", "wijk_code");
    const auto wk = read_layer(gpkg, "wijk", "gemeente_code");
    const auto gm = read_layer(gpkg, "gemeente", "coropplus_code");
    const auto cp = read_layer(gpkg, "coropplus", "corop_code");
    const auto cr = read_layer(gpkg, "corop", "");
    CHECK(bu.size() >= 80);
    CHECK(bu.size() <= 120);
    auto codes = [](const std::vector<ZoneRow>& rows) {
        std::map<std::string, const ZoneRow*> m;
        for (const auto& r : rows) m[r.code] = &r;
        return m;
    };
    const auto wkc = codes(wk), gmc = codes(gm), cpc = codes(cp), crc = codes(cr);
    CHECK(codes(bu).size() == bu.size());  // unique codes
    const std::regex bu_re("BU[0-9]{8}"), wk_re("WK[0-9]{6}"), gm_re("GM[0-9]{4}"),
        cp_re("CP[0-9]{4}"), cr_re("CR[0-9]{2}");
    // Each zone names exactly one existing parent (one parent per feature = nesting).
    for (const auto& r : bu) {
        CHECK(std::regex_match(r.code, bu_re));
        CHECK(wkc.count(r.parent) == 1);
    }
    for (const auto& r : wk) {
        CHECK(std::regex_match(r.code, wk_re));
        CHECK(gmc.count(r.parent) == 1);
    }
    std::set<std::string> groups;
    for (const auto& r : gm) {
        CHECK(std::regex_match(r.code, gm_re));
        REQUIRE(cpc.count(r.parent) == 1);
        CHECK(r.extra.at("corop_code") == cpc.at(r.parent)->parent);
        groups.insert(r.extra.at("group"));
        CHECK((r.extra.at("declining") == "0" || r.extra.at("declining") == "1"));
    }
    CHECK(groups.count("G4") == 1);
    CHECK(groups.count("other") == 1);
    for (const auto& r : cp) {
        CHECK(std::regex_match(r.code, cp_re));
        CHECK(crc.count(r.parent) == 1);
    }
    for (const auto& r : cr) CHECK(std::regex_match(r.code, cr_re));

    // Geometry: valid, and disjoint within a level (interiors never overlap).
    for (const auto* rows : {&bu, &wk, &gm}) {
        std::vector<OGRGeometryH> geoms;
        for (const auto& r : *rows) {
            OGRGeometryH g = nullptr;
            REQUIRE(OGR_G_CreateFromWkb(r.wkb.data(), nullptr, &g, int(r.wkb.size())) ==
                    OGRERR_NONE);
            CHECK(OGR_G_IsValid(g));
            geoms.push_back(g);
        }
        for (std::size_t i = 0; i < geoms.size(); ++i) {
            OGREnvelope a;
            OGR_G_GetEnvelope(geoms[i], &a);
            for (std::size_t k = i + 1; k < geoms.size(); ++k) {
                OGREnvelope b;
                OGR_G_GetEnvelope(geoms[k], &b);
                if (a.MaxX <= b.MinX || b.MaxX <= a.MinX || a.MaxY <= b.MinY || b.MaxY <= a.MinY)
                    continue;
                OGRGeometryH x = OGR_G_Intersection(geoms[i], geoms[k]);
                const double area = x ? OGR_G_Area(x) : 0.0;
                if (x) OGR_G_DestroyGeometry(x);
                CHECK(area < 1e-6);
            }
        }
        for (auto g : geoms) OGR_G_DestroyGeometry(g);
    }

    // Every populated cell lies in a buurt (rasterised back by the cell-centre rule).
    const auto grid = manifest_grid(d);
    const auto rz = leefbaar::io::rasterise_zones({gpkg, "buurt", "code", "name", "wijk_code"},
                                                  grid, grid.window(), 0);
    CHECK(rz.overlapping_cells == 0);
    std::int64_t nx, ny, populated = 0;
    for (int year : {2012, 2018}) {
        const auto res = read_raster(d + "/" + std::to_string(year) + "/residents.tif", nx, ny);
        for (std::size_t i = 0; i < res.size(); ++i)
            if (res[i] > 0) {
                ++populated;
                REQUIRE(rz.ids.data[i] > 0);
            }
    }
    CHECK(populated > 1000);
}

TEST_CASE("small preset: points match the amenity rasters", "[synth][cli][points]") {
    const auto& d = small_dataset();
    const auto g = manifest_grid(d);
    leefbaar::io::gdal_init();
    GDALDatasetH ds = GDALOpenEx((d + "/2018/points.gpkg").c_str(),
                                 GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    REQUIRE(ds);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, "amenities");
    REQUIRE(l);
    std::map<std::string, std::map<std::int64_t, int>> counts;
    OGR_L_ResetReading(l);
    const int ti = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "type");
    REQUIRE(ti >= 0);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        OGRGeometryH p = OGR_F_GetGeometryRef(f);
        const double x = OGR_G_GetX(p, 0), y = OGR_G_GetY(p, 0);
        const auto c = std::int64_t(std::floor((x - g.xmin) / g.cell)),
                   r = std::int64_t(std::floor((g.ymax - y) / g.cell));
        counts[OGR_F_GetFieldAsString(f, ti)][r * g.nx + c]++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    CHECK(counts.size() == 8);
    for (const auto& [type, cells] : counts) {
        std::int64_t nx, ny;
        const auto ras = read_raster(d + "/2018/am_" + type + ".tif", nx, ny);
        std::int64_t total = 0;
        for (std::size_t i = 0; i < ras.size(); ++i) {
            total += ras[i];
            const auto it = cells.find(std::int64_t(i));
            REQUIRE(ras[i] == (it == cells.end() ? 0 : it->second));
        }
        CHECK(total > 0);
    }
}

TEST_CASE("bad input: clear error, non-zero exit, no dataset left", "[synth][cli][usage]") {
    const std::string root = scratch("bad");
    const std::string out = root + "/out";
    const std::string log = root + "/log.txt";
    struct Case {
        std::string args, message;
    };
    const std::string emptydir = root + "/no-boundaries";
    fs::create_directories(emptydir);
    { std::ofstream(root + "/afile") << "x"; }
    const std::vector<Case> cases = {
        {"--preset tiny --extent 1,2,3", "XMIN,YMIN,XMAX,YMAX"},
        {"--preset tiny --extent 104000,450000,100000,453000", "is empty"},
        {"--preset tiny --extent 100000,450000,100050,450500", "whole number"},
        {"--preset tiny --extent 0,0,1000,1000", "does not overlap"},
        {"--preset tiny --cell 0", "cell size"},
        {"--preset tiny --cell -100", "cell size"},
        {"--preset tiny --cell 30", "whole number"},
        {"--preset tiny --years 2014,2012", "sorted"},
        {"--preset tiny --years 2012,2012", "duplicates"},
        {"--preset tiny --years 2012,abc", "not a number"},
        {"--preset huge", "unknown preset"},
        {"--preset tiny --boundaries " + emptydir, "gemeente_2018.gpkg"},
        {"--preset tiny --boundaries " + root + "/missing", "not a folder"},
    };
    for (const auto& c : cases) {
        INFO(c.args);
        CHECK(run_cli(0, c.args + " --out " + out, log) == 2);
        CHECK(slurp(log).find(c.message) != std::string::npos);
        CHECK(!fs::exists(out));
    }
    // Unwritable output folders (root ignores permissions, so use impossible paths).
    for (const std::string& bad : {root + "/afile/out", std::string("/proc/leefbaar-synth-out")}) {
        INFO(bad);
        CHECK(run_cli(0, "--preset tiny --out " + bad, log) != 0);
        CHECK(slurp(log).find("output folder") != std::string::npos);
        CHECK(!fs::exists(bad));
    }
    // An existing folder without --force is refused and left alone; with --force it is replaced.
    fs::create_directories(out);
    { std::ofstream(out + "/keep.txt") << "mine"; }
    CHECK(run_cli(2, "--preset tiny --out " + out, log) == 2);
    CHECK(slurp(log).find("already exists") != std::string::npos);
    CHECK(fs::exists(out + "/keep.txt"));
    CHECK(run_cli(2, "--preset tiny --years 2018 --out " + out + " --force", log) == 0);
    CHECK(!fs::exists(out + "/keep.txt"));
    CHECK(fs::exists(out + "/manifest.toml"));
    CHECK(no_partial_left(root));
    fs::remove_all(root);
}

TEST_CASE("--boundaries: real municipalities on a small extent", "[synth][cli][boundaries]") {
    const std::string dir = LEEFBAAR_BOUNDARIES_DIR;
    if (!fs::exists(dir + "/gemeente_2018.gpkg")) {
        WARN("SKIPPED: real 2018 boundaries not found at " + dir + " (see tests/CMakeLists.txt)");
        return;
    }
    const std::string out = scratch("boundaries") + "/out";
    // Amsterdam and its neighbours: 24 x 16 km.
    REQUIRE(run_cli(2, "--years 2016,2018 --extent 110000,476000,134000,492000 --boundaries " +
                           dir + " --out " + out) == 0);
    const auto gm = read_layer(out + "/zones.gpkg", "gemeente", "coropplus_code");
    std::set<std::string> real;
    for (const auto& r : read_layer(dir + "/gemeente_2018.gpkg", "gemeente_2018", ""))
        real.insert(r.extra.at("statcode"));
    bool amsterdam = false;
    for (const auto& r : gm) {
        CHECK(real.count(r.code) == 1);
        if (r.code == "GM0363") {
            amsterdam = true;
            CHECK(r.name == "Amsterdam");
            CHECK(r.extra.at("group") == "G4");
        }
    }
    CHECK(amsterdam);
    CHECK(gm.size() >= 5);
    const auto cp = read_layer(out + "/zones.gpkg", "coropplus", "corop_code");
    for (const auto& r : cp) CHECK(r.code.substr(0, 2) == "CP");
    const auto bu = read_layer(out + "/zones.gpkg", "buurt", "wijk_code");
    CHECK(bu.size() > 100);
    fs::remove_all(fs::path(out).parent_path());
}
