// A tiny hand-computable country through the whole `run` pipeline: 3 x 2 cells, two years,
// two indicators. Expected scores, classes and deltas are worked out below by hand; the run
// on all ranks must equal the run on one rank (and on one thread) to the bit.

#include <hdf5.h>
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <nlohmann/json.hpp>
#include "../support/dataset_bytes.hpp"
#include "../support/tiny_country.hpp"
#include "app/aggregate_stage.hpp"
#include "app/run_pipeline.hpp"
#include "core/error.hpp"
#include "dist/comm.hpp"
#include "io/gdal_raster.hpp"
#include "io/hdf5.hpp"

using namespace leefbaar;
namespace fs = std::filesystem;

namespace {

using leefbaar::testing::kGrid;
const auto all_bytes = leefbaar::testing::dataset_bytes;
using leefbaar::testing::write_country;

std::vector<double> grid_f64(const std::string& file, const std::string& ds) {
    io::H5File f(file, MPI_COMM_SELF, io::H5File::Mode::read_only);
    return f.read_grid<double>(ds, kGrid.window());
}
std::vector<std::uint8_t> grid_u8(const std::string& file, const std::string& ds) {
    io::H5File f(file, MPI_COMM_SELF, io::H5File::Mode::read_only);
    return f.read_grid<std::uint8_t>(ds, kGrid.window());
}

std::string scratch() {
    const auto dir =
        fs::temp_directory_path() / ("leefbaar-tiny-np" + std::to_string(dist::size()));
    if (dist::rank() == 0) {
        fs::remove_all(dir);
        write_country(dir);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    return dir.string();
}

}  // namespace

TEST_CASE("the tiny country's scores, classes and deltas are as worked out by hand",
          "[model][run]") {
    const std::string dir = scratch();
    app::RunOptions opt;
    opt.config = dir + "/run.toml";
    app::run_pipeline(opt);
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() != 0) return;
    const std::string h5 = dir + "/out/leefbaar.h5";
    REQUIRE(fs::exists(h5));
    REQUIRE(fs::exists(dir + "/out/run.json"));
    // Scored: residents >= 5 or dwellings >= 5 -> cells (0,0), (1,0), (2,0), (1,1).
    // Reference 2016, weights = residents (10, 0, 20, 10; W = 40):
    //   mean x = (10*1 + 20*3 + 10*2) / 40 = 2.25
    //   y = residents within 100 m (cell + 4 neighbours): 10, 40, 20, 10 -> mean y = 600/40 = 15
    // afw 2016 = 0.5 (x - 2.25) - 0.01 (y - 15):
    //   (0,0): -0.625 + 0.05 = -0.575   (1,0): -1.125 - 0.25 = -1.375
    //   (2,0):  0.375 - 0.05 =  0.325   (1,1): -0.125 + 0.05 = -0.075
    // 2018: only (0,0) changes: x = 2 -> afw -0.075; delta +0.5, all from d1.
    // Contributions are products of the quantised weight (2^-20 grid) and z (2^-12 grid,
    // model.hpp): 0.5 and the z values are exact, -0.01 becomes wy = -10486 / 2^20, so the
    // y terms are wy * (y - 15) (-0.0500011 instead of -0.05).
    const double nd = -9999.0;
    const double wy = std::round(-0.01 * 0x1.0p20) * 0x1.0p-20;
    CHECK(wy == -10486 * 0x1.0p-20);
    const auto dev16 = grid_f64(h5, "/2016/deviation");
    const std::vector<double> want16{
        -0.625 + wy * -5, -1.125 + wy * 25, 0.375 + wy * 5, nd, -0.125 + wy * -5, nd};
    for (std::size_t i = 0; i < 6; ++i) CHECK(dev16[i] == Approx(want16[i]).margin(1e-12));
    const auto score16 = grid_f64(h5, "/2016/score");
    CHECK(score16[0] == Approx(4.0 + want16[0]).margin(1e-12));
    CHECK(score16[3] == nd);
    CHECK(grid_u8(h5, "/2016/class") == std::vector<std::uint8_t>{2, 1, 4, 0, 3, 0});
    CHECK(grid_u8(h5, "/2018/class") == std::vector<std::uint8_t>{3, 1, 4, 0, 3, 0});
    const auto delta = grid_f64(h5, "/delta/2016-2018/score");
    CHECK(delta[0] == Approx(0.5).margin(1e-9));
    CHECK(delta[1] == 0.0);
    CHECK(delta[3] == nd);
    CHECK(grid_f64(h5, "/delta/2016-2018/dimension/d1")[0] == Approx(0.5).margin(1e-9));
    CHECK(grid_f64(h5, "/delta/2016-2018/dimension/d2")[0] == 0.0);
    CHECK(grid_u8(h5, "/delta/2016-2018/class") == std::vector<std::uint8_t>{3, 2, 2, 0, 2, 0});
    // The decomposition adds up exactly: d1 + d2 == deviation, bit for bit, in every cell.
    const auto d1 = grid_f64(h5, "/2016/dimension/d1"), d2 = grid_f64(h5, "/2016/dimension/d2");
    for (std::size_t i = 0; i < 6; ++i)
        if (dev16[i] != nd) CHECK(d1[i] + d2[i] == dev16[i]);
    // Aggregates by hand. 2016: BU01 = cell (0,0): 10 residents, deviation -0.575.
    // BU02 = (1,0) 0 res -1.375, (2,0) 20 res 0.325, (1,1) 10 res -0.075 -> mean 5.75 / 30;
    // dwellings of its scored cells 6 + 8 + 5 = 19.
    // Nation: (10 * -0.575 + 5.75) / 40 = 0 exactly: the reference year's mean is the reference.
    std::ifstream sj(dir + "/out/summary.json");
    const auto sum = nlohmann::json::parse(sj);
    const auto& n16 = sum["national"][0];
    CHECK(n16["year"] == 2016);
    CHECK(n16["residents"] == 40);
    CHECK(n16["mean_deviation"].get<double>() == Approx(0.0).margin(1e-12));
    CHECK(n16["residents_per_class"] == std::vector<int>{0, 10, 10, 20, 0});
    CHECK(n16["share_residents_onvoldoende"].get<double>() == Approx(0.5));
    // 2016-2018: only (0,0) changes, +0.5 with 10 of 40 residents: national mean +0.125, all d1 /
    // x.
    const auto& ch = sum["national_change"][0];
    CHECK(ch["mean_delta"].get<double>() == Approx(0.125));
    CHECK(ch["by_dimension"]["d1"].get<double>() == Approx(0.125));
    CHECK(ch["by_dimension"]["d2"].get<double>() == 0.0);
    CHECK(ch["by_indicator"]["x"].get<double>() == Approx(0.125));
    CHECK(ch["change_residents_per_class"] == std::vector<int>{0, -10, 10, 0, 0});
    CHECK(sum["typology"]["applied"] == false);  // two measurements: the typology needs three
    std::ifstream csv(dir + "/out/aggregates/buurt.csv");
    std::string header, bu01, bu02;
    std::getline(csv, header);
    std::getline(csv, bu01);
    std::getline(csv, bu02);
    CHECK_THAT(
        header,
        Catch::StartsWith(
            "code,name,parent,residents_2016,dwellings_2016,cells_2016,score_2016,deviation_2016"));
    auto field = [](const std::string& line, int k) {
        std::size_t pos = 0;
        for (int i = 0; i < k; ++i) pos = line.find(',', pos) + 1;
        return std::stod(line.substr(pos, line.find(',', pos) - pos));
    };
    CHECK_THAT(bu01, Catch::StartsWith("BU01,West,WK01,10,5,1,"));
    CHECK(field(bu01, 6) == Approx(4.0 - 0.575).margin(1e-9));  // score_2016
    CHECK(field(bu01, 7) == Approx(-0.575).margin(1e-9));       // deviation_2016
    CHECK_THAT(bu02, Catch::StartsWith("BU02,Oost,WK01,30,19,3,"));
    CHECK(field(bu02, 7) == Approx(5.75 / 30).margin(1e-9));
    // The GeoPackage reads back through GDAL/OGR: every level a polygon layer in EPSG:28992
    // whose attributes equal the CSV, geometries valid.
    io::gdal_init();
    GDALDatasetH gpkg = GDALOpenEx((dir + "/out/aggregates/zones.gpkg").c_str(), GDAL_OF_VECTOR,
                                   nullptr, nullptr, nullptr);
    REQUIRE(gpkg != nullptr);
    CHECK(std::string(GDALGetDriverShortName(GDALGetDatasetDriver(gpkg))) == "GPKG");
    for (const char* level : {"buurt", "wijk"}) {
        INFO("layer " << level);
        OGRLayerH layer = GDALDatasetGetLayerByName(gpkg, level);
        REQUIRE(layer != nullptr);
        OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer);
        REQUIRE(srs != nullptr);
        CHECK(std::string(OSRGetAuthorityCode(srs, nullptr)) == "28992");
        CHECK(OGR_L_GetFeatureCount(layer, 1) == (std::string(level) == "buurt" ? 2 : 1));
    }
    OGRLayerH buurt = GDALDatasetGetLayerByName(gpkg, "buurt");
    OGR_L_SetAttributeFilter(buurt, "code = 'BU02'");
    OGRFeatureH bu = OGR_L_GetNextFeature(buurt);
    REQUIRE(bu != nullptr);
    const auto fget = [&](const char* name) {
        const int i = OGR_F_GetFieldIndex(bu, name);
        REQUIRE(i >= 0);
        return i;
    };
    CHECK(std::string(OGR_F_GetFieldAsString(bu, fget("name"))) == "Oost");
    CHECK(OGR_F_GetFieldAsInteger64(bu, fget("residents_2016")) == 30);
    CHECK(OGR_F_GetFieldAsInteger64(bu, fget("dwellings_2016")) == 19);
    CHECK(OGR_F_GetFieldAsDouble(bu, fget("deviation_2016")) == Approx(5.75 / 30).margin(1e-9));
    OGRGeometryH geom = OGR_F_GetGeometryRef(bu);
    REQUIRE(geom != nullptr);
    CHECK(OGR_G_IsValid(geom));
    // BU02's polygon is columns 1-2 of the 3 x 2 grid: 200 m x 200 m.
    CHECK(OGR_G_Area(geom) == Approx(40000.0));
    OGR_F_Destroy(bu);
    GDALClose(gpkg);
    io::H5File f(h5, MPI_COMM_SELF, io::H5File::Mode::read_only);
    CHECK(f.read_georeference() == kGrid);
    CHECK(f.attribute("/", "status") == std::optional<std::string>("complete"));
}

TEST_CASE("every dataset is identical for this rank count, one rank, and one thread",
          "[model][run][determinism]") {
    const std::string dir = scratch();
    app::RunOptions opt;
    opt.config = dir + "/run.toml";
    opt.out = dir + "/all";
    app::run_pipeline(opt);
    if (dist::rank() == 0) {
        app::RunOptions one = opt;
        one.out = dir + "/one";
        one.comm = MPI_COMM_SELF;
        const int threads = omp_get_max_threads();
        omp_set_num_threads(1);
        app::run_pipeline(one);
        omp_set_num_threads(threads);
        const auto a = all_bytes(dir + "/all/leefbaar.h5"), b = all_bytes(dir + "/one/leefbaar.h5");
        REQUIRE(a.size() == b.size());
        REQUIRE(a.size() > 20);
        for (const auto& [name, bytes] : a) {
            INFO(name);
            REQUIRE(b.count(name));
            CHECK(bytes == b.at(name));
        }
        // Aggregates too: summary and every level's table.
        auto slurp = [](const std::string& p) {
            std::ifstream in(p);
            return std::string(std::istreambuf_iterator<char>(in), {});
        };
        for (const char* f : {"/summary.json", "/aggregates/buurt.csv", "/aggregates/wijk.csv"}) {
            INFO(f);
            const auto x = slurp(dir + "/all" + f);
            CHECK(!x.empty());
            CHECK(x == slurp(dir + "/one" + f));
        }
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

TEST_CASE("resume after an interruption equals an uninterrupted run; a changed input refuses",
          "[model][run][resume]") {
    const std::string dir = scratch();
    app::RunOptions opt;
    opt.config = dir + "/run.toml";
    opt.out = dir + "/r";
    app::run_pipeline(opt);
    MPI_Barrier(MPI_COMM_WORLD);
    // Simulate a crash after the first year's kernels: drop the later checkpoint and the results.
    if (dist::rank() == 0) {
        fs::copy_file(dir + "/r/leefbaar.h5", dir + "/reference.h5");
        fs::remove(dir + "/r/leefbaar.h5");
        fs::remove(dir + "/r/checkpoints/kernels-2018.h5");
        std::ofstream(dir + "/r/leefbaar.h5.partial") << "half-written";
    }
    MPI_Barrier(MPI_COMM_WORLD);
    opt.resume = true;
    app::run_pipeline(opt);
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() == 0) {
        CHECK_FALSE(fs::exists(dir + "/r/leefbaar.h5.partial"));
        CHECK(all_bytes(dir + "/r/leefbaar.h5") == all_bytes(dir + "/reference.h5"));
        // A changed input: the 2018 layer 'a' is rewritten with other values.
        io::write_geotiff<std::int32_t>(dir + "/2018/a.tif", kGrid,
                                        std::vector<std::int32_t>{9, 0, 3, 0, 2, 0}, -1);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    try {
        app::run_pipeline(opt);
        FAIL("resume after a changed input was accepted");
    } catch (const UsageError& e) {
        if (dist::rank() == 0)
            CHECK_THAT(e.what(), Catch::Contains("changed: ") && Catch::Contains("2018/a.tif"));
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

TEST_CASE("zone layers a user adds need not nest: polygons and a zone-id raster",
          "[model][run][aggregate]") {
    const std::string dir = scratch();
    if (dist::rank() == 0) {
        // "pc": PC1 = the north row (crosses BU01 / BU02), PC2 = the two eastern cells of the
        // south row. "ring": zone ids 7 and 3 on the corners, id 0 in the middle column.
        leefbaar::testing::write_zone_layer(
            dir + "/pc.gpkg", "pc4", {"postcode", "label"},
            {{"PC1", "Noord",
              "POLYGON((100000 400900,100300 400900,100300 401000,100000 401000,100000 400900))"},
             {"PC2", "Zuid",
              "POLYGON((100100 400800,100300 400800,100300 400900,100100 400900,100100 "
              "400800))"}});
        const std::vector<std::int32_t> ring{7, 0, 7, 3, 0, 3};
        io::write_geotiff<std::int32_t>(dir + "/ring.tif", kGrid, ring, -1);
        std::ofstream(dir + "/run.toml", std::ios::app)
            << "[[aggregation.zones]]\nname = \"pc\"\nfile = \"pc.gpkg\"\nlayer = \"pc4\"\n"
               "code = \"postcode\"\nname_field = \"label\"\n"
               "[[aggregation.zones]]\nname = \"ring\"\nraster = \"ring.tif\"\n";
    }
    MPI_Barrier(MPI_COMM_WORLD);
    app::RunOptions opt;
    opt.config = dir + "/run.toml";
    app::run_pipeline(opt);
    MPI_Barrier(MPI_COMM_WORLD);
    // `leefbaar aggregate` on the finished run reproduces every aggregation output to the byte.
    app::AggregateOptions ao;
    ao.run_dir = dir + "/out";
    ao.config = opt.config;
    ao.out = dir + "/reaggregated";
    app::aggregate_finished_run(ao);
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() != 0) return;
    auto bytes = [](const fs::path& p) {
        std::ifstream f(p, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(f), {});
    };
    int compared = 0;
    for (const auto& e : fs::directory_iterator(dir + "/out/aggregates")) {
        const fs::path again = fs::path(ao.out) / "aggregates" / e.path().filename();
        INFO(e.path().filename().string());
        REQUIRE(fs::exists(again));
        CHECK(bytes(e.path()) == bytes(again));
        ++compared;
    }
    CHECK(compared == 5);  // buurt, wijk, pc and ring CSVs and zones.gpkg
    CHECK(bytes(dir + "/out/summary.json") == bytes(ao.out + "/summary.json"));
    auto lines = [&](const std::string& level) {
        std::ifstream f(dir + "/out/aggregates/" + level + ".csv");
        std::vector<std::string> out;
        for (std::string l; std::getline(f, l);) out.push_back(l);
        return out;
    };
    auto field = [](const std::string& line, int k) {
        std::size_t pos = 0;
        for (int i = 0; i < k; ++i) pos = line.find(',', pos) + 1;
        return line.substr(pos, line.find(',', pos) - pos);
    };
    // 2016 deviations: (0,0) -0.575 (10 res), (1,0) -1.375 (0), (2,0) 0.325 (20), (1,1) -0.075
    // (10). PC1 = the north row: (10 * -0.575 + 20 * 0.325) / 30 = 0.025; PC2 = (1,1) alone.
    // With the quantised weight of y (see the first test case): -0.01 -> wy.
    const double wy = std::round(-0.01 * 0x1.0p20) * 0x1.0p-20;
    const double pc1 = (10 * (-0.625 + wy * -5) + 20 * (0.375 + wy * 5)) / 30,
                 pc2 = -0.125 + wy * -5;
    const auto pc = lines("pc");
    REQUIRE(pc.size() == 3);
    CHECK_THAT(pc[1], Catch::StartsWith("PC1,Noord,,30,19,3,"));
    CHECK(std::stod(field(pc[1], 7)) == Approx(pc1).margin(1e-12));
    CHECK_THAT(pc[2], Catch::StartsWith("PC2,Zuid,,10,5,1,"));
    CHECK(std::stod(field(pc[2], 7)) == Approx(pc2).margin(1e-12));
    // ring: zone "3" holds no scored cell (statistics empty, not NaN); zone "7" = (0,0) + (2,0).
    const auto ring = lines("ring");
    REQUIRE(ring.size() == 3);
    CHECK_THAT(ring[1], Catch::StartsWith("3,3,,0,0,0,,,,"));
    CHECK_THAT(ring[2], Catch::StartsWith("7,7,,30,13,2,"));
    CHECK(std::stod(field(ring[2], 7)) == Approx(pc1).margin(1e-12));
    // Residents outside every zone are reported per year: (1,1) with 10 residents is outside
    // "ring" (and (1,0), with none, as a scored cell).
    std::ifstream sj(dir + "/out/summary.json");
    const auto sum = nlohmann::json::parse(sj);
    const auto& extra = sum["extra_zone_levels"];
    REQUIRE(extra.size() == 2);
    CHECK(extra[0]["name"] == "pc");
    CHECK(extra[0]["unassigned_residents"] == std::vector<int>{0, 0});
    CHECK(extra[0]["geopackage"] == true);
    CHECK(extra[1]["name"] == "ring");
    CHECK(extra[1]["zones"] == 2);
    CHECK(extra[1]["unassigned_residents"] == std::vector<int>{10, 10});
    CHECK(extra[1]["unassigned_scored_cells"] == std::vector<int>{2, 2});
    // The polygon level is a layer of the GeoPackage, next to the dataset's levels.
    io::gdal_init();
    GDALDatasetH gpkg = GDALOpenEx((dir + "/out/aggregates/zones.gpkg").c_str(), GDAL_OF_VECTOR,
                                   nullptr, nullptr, nullptr);
    REQUIRE(gpkg != nullptr);
    OGRLayerH layer = GDALDatasetGetLayerByName(gpkg, "pc");
    REQUIRE(layer != nullptr);
    CHECK(OGR_L_GetFeatureCount(layer, 1) == 2);
    CHECK(GDALDatasetGetLayerByName(gpkg, "ring") == nullptr);
    GDALClose(gpkg);
}

TEST_CASE("a user zone layer with overlapping zones or a bad key is refused", "[model][run]") {
    const std::string dir = scratch();
    if (dist::rank() == 0) {
        leefbaar::testing::write_zone_layer(
            dir + "/pc.gpkg", "pc4", {"postcode"},
            {{"PC1",
              "POLYGON((100000 400800,100300 400800,100300 401000,100000 401000,100000 "
              "400800))"},
             {"PC2",
              "POLYGON((100000 400800,100200 400800,100200 401000,100000 401000,100000 "
              "400800))"}});
        std::ofstream(dir + "/run.toml", std::ios::app)
            << "[[aggregation.zones]]\nname = \"pc\"\nfile = \"pc.gpkg\"\nlayer = \"pc4\"\n"
               "code = \"postcode\"\n";
        std::ofstream(dir + "/bad.toml")
            << "[run]\nmodel = \"model.toml\"\ndata = \".\"\nout = \"out\"\n"
               "[[aggregation.zones]]\nname = \"buurt\"\nraster = \"none.tif\"\n";
    }
    MPI_Barrier(MPI_COMM_WORLD);
    app::RunOptions opt;
    opt.config = dir + "/run.toml";
    try {
        app::run_pipeline(opt);
        FAIL("overlapping zones were accepted");
    } catch (const Error& e) {
        CHECK_THAT(e.what(), Catch::Contains("zone level 'pc'") && Catch::Contains("overlap"));
    }
    opt.config = dir + "/bad.toml";
    try {
        app::run_pipeline(opt);
        FAIL("a zone level named like a dataset level was accepted");
    } catch (const UsageError& e) {
        CHECK_THAT(e.what(), Catch::Contains("bad.toml") && Catch::Contains("defined twice"));
    }
}
