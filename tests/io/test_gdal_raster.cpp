#include <omp.h>
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <numeric>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"
#include "test_support.hpp"

using namespace leefbaar;
using leefbaar::testing::ScratchDir;
using leefbaar::testing::write_test_raster;

namespace {
GridSpec test_grid() {
    return GridSpec::from_extent(100000, 400000, 102000, 401500, 100);
}  // 20 x 15
std::vector<std::int32_t> ramp(int n) {
    std::vector<std::int32_t> v(static_cast<std::size_t>(n));
    std::iota(v.begin(), v.end(), 0);
    return v;
}
template <class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.what();
    }
    return "(no error)";
}
}  // namespace

TEST_CASE("a raster on the grid reads into a tile with halo; outside cells are nodata",
          "[io][gdal]") {
    ScratchDir dir("gdal-read");
    const GridSpec g = test_grid();
    const double gt[6] = {g.xmin, 100, 0, g.ymax, 0, -100};
    write_test_raster(dir.file("a.tif"), 20, 15, gt, 28992, ramp(300));
    Raster<std::int32_t> r(Window{0, 0, 20, 15}, 2, -1);
    io::read_window(dir.file("a.tif"), g, r, "layer 'a'");
    CHECK(r.at(0, 0) == 0);
    CHECK(r.at(19, 14) == 299);
    CHECK(r.at(-1, 0) == -1);  // outside the grid: nodata, not zero
    CHECK(r.at(20, 14) == -1);
    // Written through io::write_geotiff and read back: same values and georeferencing.
    const auto vals = ramp(300);
    io::write_geotiff<std::int32_t>(dir.file("b.tif"), g, vals, -7);
    CHECK_FALSE(std::filesystem::exists(dir.file("b.tif.partial")));
    const auto info = io::probe_raster(dir.file("b.tif"));
    CHECK(info.epsg == 28992);
    CHECK(info.geotransform == g.geotransform());
    CHECK(info.has_nodata);
    CHECK(info.nodata == -7);
    Raster<std::int32_t> b(Window{3, 4, 5, 6}, 1, -1);
    io::read_window(dir.file("b.tif"), g, b, "layer 'b'");
    CHECK(b.at(3, 4) == 4 * 20 + 3);
    CHECK(b.at(2, 3) == 3 * 20 + 2);  // halo cells come from the file too
}

TEST_CASE("a partial raster leaves uncovered cells nodata", "[io][gdal]") {
    ScratchDir dir("gdal-partial");
    const GridSpec g = test_grid();
    const double gt[6] = {g.xmin + 500, 100, 0, g.ymax - 300, 0, -100};  // starts at col 5, row 3
    write_test_raster(dir.file("p.tif"), 4, 4, gt, 28992, std::vector<std::int32_t>(16, 9));
    Raster<std::int32_t> r(g.window(), 0, -1);
    io::read_window(dir.file("p.tif"), g, r, "layer 'p'", io::Coverage::partial);
    CHECK(r.at(5, 3) == 9);
    CHECK(r.at(8, 6) == 9);
    CHECK(r.at(4, 3) == -1);
    CHECK(r.at(9, 6) == -1);
    CHECK_THROWS_WITH(io::read_window(dir.file("p.tif"), g, r, "layer 'p'", io::Coverage::full),
                      Catch::Contains("does not cover the grid") && Catch::Contains("p.tif"));
}

TEST_CASE("bad rasters are refused with the file and what was expected", "[io][gdal][bad-input]") {
    ScratchDir dir("gdal-bad");
    const GridSpec g = test_grid();
    Raster<std::int32_t> r(g.window(), 0, -1);
    const auto read = [&](const std::string& f) {
        return message_of([&] { io::read_window(dir.file(f), g, r, "layer 'x' year 2016"); });
    };

    const double ok[6] = {g.xmin, 100, 0, g.ymax, 0, -100};
    write_test_raster(dir.file("wgs84.tif"), 20, 15, ok, 4326, ramp(300));
    CHECK_THAT(read("wgs84.tif"), Catch::Contains("wgs84.tif") && Catch::Contains("EPSG:4326") &&
                                      Catch::Contains("expected EPSG:28992") &&
                                      Catch::Contains("year 2016"));

    const double shifted[6] = {g.xmin + 50, 100, 0, g.ymax, 0, -100};
    write_test_raster(dir.file("shifted.tif"), 21, 15, shifted, 28992, ramp(315));
    CHECK_THAT(read("shifted.tif"),
               Catch::Contains("shifted.tif") && Catch::Contains("not on the grid"));

    const double fine[6] = {g.xmin, 50, 0, g.ymax, 0, -50};
    write_test_raster(dir.file("fine.tif"), 40, 30, fine, 28992, ramp(1200));
    CHECK_THAT(read("fine.tif"), Catch::Contains("fine.tif") &&
                                     Catch::Contains("cells of 50 x 50 m") &&
                                     Catch::Contains("expected 100 x 100 m"));

    CHECK_THAT(read("missing.tif"),
               Catch::Contains("missing.tif") && Catch::Contains("does not exist"));

    const double small[6] = {g.xmin, 100, 0, g.ymax, 0, -100};
    write_test_raster(dir.file("small.tif"), 10, 15, small, 28992, ramp(150));
    CHECK_THAT(read("small.tif"),
               Catch::Contains("small.tif") && Catch::Contains("does not cover the grid"));

    write_test_raster(dir.file("float.tif"), 20, 15, ok, 28992, ramp(300), /*float_type=*/true);
    CHECK_THAT(read("float.tif"), Catch::Contains("float.tif") && Catch::Contains("Float32") &&
                                      Catch::Contains("expected an integer raster"));

    { std::ofstream(dir.file("garbage.tif")) << "this is not a raster"; }
    CHECK_THAT(read("garbage.tif"),
               Catch::Contains("garbage.tif") && Catch::Contains("not a readable raster"));

    // A truncated GeoTIFF: the header opens, the pixel data is gone.
    std::vector<std::int32_t> noise(300);
    for (std::size_t i = 0; i < noise.size(); ++i) noise[i] = std::int32_t(i * 2654435761u);
    write_test_raster(dir.file("cut.tif"), 20, 15, ok, 28992, noise);
    const auto full = std::filesystem::file_size(dir.file("cut.tif"));
    std::filesystem::resize_file(dir.file("cut.tif"), full / 2);
    const std::string cut = read("cut.tif");
    CHECK_THAT(cut, Catch::Contains("cut.tif"));
    CHECK(cut != "(no error)");
}

TEST_CASE("a GeoTIFF's bytes do not depend on the thread count (tiles compressed in parallel)",
          "[io][gdal]") {
    // 700 x 600 cells: 3 x 3 tiles of 256 cells, compressed by 1 and by 3 GDAL worker threads
    // (NUM_THREADS follows the OpenMP thread count).
    ScratchDir dir("gdal-threads");
    const GridSpec g = GridSpec::from_extent(100000, 400000, 170000, 460000, 100);
    REQUIRE(g.nx == 700);
    REQUIRE(g.ny == 600);
    std::vector<std::int32_t> v(std::size_t(g.cells()));
    std::uint32_t state = 7;
    for (auto& x : v) {
        state = state * 1664525u + 1013904223u;
        x = (state >> 28) == 0 ? -1 : std::int32_t(state >> 20);
    }
    const auto bytes = [](const std::string& f) {
        std::ifstream in(f, std::ios::binary);
        return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const int before = omp_get_max_threads();
    omp_set_num_threads(1);
    io::write_geotiff<std::int32_t>(dir.file("one.tif"), g, v, -1);
    omp_set_num_threads(3);
    io::write_geotiff<std::int32_t>(dir.file("three.tif"), g, v, -1);
    omp_set_num_threads(before);
    const std::string a = bytes(dir.file("one.tif"));
    REQUIRE(a.size() > 1000);
    CHECK(a == bytes(dir.file("three.tif")));
    Raster<std::int32_t> r(Window{0, 0, g.nx, g.ny}, 0, -1);
    io::read_window(dir.file("three.tif"), g, r, "layer 'three'");
    CHECK(std::equal(v.begin(), v.end(), r.span().begin()));
}
