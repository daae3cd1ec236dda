#pragma once
// The tiny hand-computable country (3 x 2 cells, two years,
// two indicators, buurten BU01 / BU02 in wijk WK01) of the run, aggregation and sweep tests;
// the expected values are worked out in tests/model/test_run_tiny.cpp.

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "../io/test_support.hpp"
#include "core/grid.hpp"
#include "io/gdal_raster.hpp"

namespace leefbaar::testing {

namespace fs = std::filesystem;

inline const GridSpec kGrid = GridSpec::from_extent(100000, 400800, 100300, 401000, 100);  // 3 x 2

// Inputs (row 0 = north):       residents        dwellings       a (2016)     a (2018)
//                               10  0 20          5  6  8         1 0 3        2 0 3
//                                0 10  0          0  5  1         0 2 0        0 2 0
inline void write_country(const fs::path& dir) {
    fs::create_directories(dir / "2016");
    fs::create_directories(dir / "2018");
    const std::vector<std::int32_t> res{10, 0, 20, 0, 10, 0}, dw{5, 6, 8, 0, 5, 1};
    const std::vector<std::int32_t> a16{1, 0, 3, 0, 2, 0}, a18{2, 0, 3, 0, 2, 0};
    for (const char* y : {"2016", "2018"}) {
        io::write_geotiff<std::int32_t>((dir / y / "residents.tif").string(), kGrid, res, -1);
        io::write_geotiff<std::int32_t>((dir / y / "dwellings.tif").string(), kGrid, dw, -1);
        io::write_geotiff<std::int32_t>((dir / y / "a.tif").string(), kGrid,
                                        std::string(y) == "2016" ? a16 : a18, -1);
    }
    std::ofstream(dir / "manifest.toml") << R"([dataset]
years = [2016, 2018]
[grid]
epsg = 28992
xmin = 100000.0
ymax = 401000.0
cell = 100.0
nx = 3
ny = 2
[layers.residents]
file = "{year}/residents.tif"
[layers.dwellings]
file = "{year}/dwellings.tif"
[layers.a]
file = "{year}/a.tif"
[zones]
file = "zones.gpkg"
levels = ["buurt", "wijk"]
[zones.buurt]
layer = "buurt"
code = "code"
name = "name"
parent = "wijk_code"
[zones.wijk]
layer = "wijk"
code = "code"
name = "name"
parent = ""
)";
    // Buurt BU01 = column 0 (x 100000-100100), BU02 = columns 1-2; both in wijk WK01.
    leefbaar::testing::write_zone_layer(
        (dir / "zones.gpkg").string(), "buurt", {"code", "name", "wijk_code"},
        {{"BU01", "West", "WK01",
          "POLYGON((100000 400800,100100 400800,100100 401000,100000 401000,100000 400800))"},
         {"BU02", "Oost", "WK01",
          "POLYGON((100100 400800,100300 400800,100300 401000,100100 401000,100100 400800))"}});
    leefbaar::testing::write_zone_layer(
        (dir / "zones.gpkg").string(), "wijk", {"code", "name"},
        {{"WK01", "Wijk",
          "POLYGON((100000 400800,100300 400800,100300 401000,100000 401000,100000 400800))"}});
    std::ofstream(dir / "model.toml") << R"([model]
name = "tiny"
reference_year = 2016
reference_level = 4.0
dimensions = ["d1", "d2"]
[classes]
limits = [-1.0, -0.5, 0.0, 0.5]
labels = ["1", "2", "3", "4", "5"]
[development]
limits = [-0.1, 0.1]
labels = ["down", "stable", "up"]
[[indicator]]
name = "x"
dimension = "d1"
weight = 0.5
kernel = { op = "cell", layers = ["a"] }
[[indicator]]
name = "y"
dimension = "d2"
weight = -0.01
kernel = { op = "sum", layers = ["residents"], radius = 100 }
)";
    std::ofstream(dir / "run.toml")
        << "[run]\nmodel = \"model.toml\"\ndata = \".\"\nout = \"out\"\n";
}

}  // namespace leefbaar::testing
