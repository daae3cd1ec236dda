#include <catch2/catch.hpp>
#include <filesystem>

#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/halo.hpp"
#include "io/gdal_raster.hpp"

using namespace leefbaar;

TEST_CASE("a windowed GDAL read equals the same window of a whole read", "[io][gdal]") {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("leefbaar-gdalwin-np" + std::to_string(dist::size()));
    const std::string file = (dir / "v.tif").string();
    const GridSpec g = GridSpec::from_extent(50000, 350000, 81700, 377100, 100);  // 317 x 271
    std::vector<std::int32_t> all(std::size_t(g.cells()));
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = std::int32_t((i * 2654435761u) % 100000) - 5;
    if (dist::rank() == 0) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
        io::write_geotiff<std::int32_t>(file, g, all, -5);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    dist::Decomposition d(g, MPI_COMM_WORLD);
    for (std::int64_t halo : {0, 1, 7, 60}) {
        Raster<std::int32_t> r(d.block(), halo, std::numeric_limits<std::int32_t>::min());
        io::read_window(file, g, r, "layer 'v'");
        // Compare against the whole array: halo cells in the grid from the file, others nodata;
        // cells equal to the file's nodata (-5) read as our nodata.
        std::int64_t wrong = 0;
        const Window p = r.padded();
        for (auto row = p.row0; row < p.row1(); ++row)
            for (auto col = p.col0; col < p.col1(); ++col) {
                std::int32_t want = r.nodata;
                if (g.window().contains(col, row)) {
                    const auto v = all[std::size_t(row * g.nx + col)];
                    want = v == -5 ? r.nodata : v;
                }
                wrong += r.at(col, row) != want;
            }
        INFO("halo " << halo);
        CHECK(wrong == 0);
        // The same result as reading the interior and exchanging halos between ranks.
        Raster<std::int32_t> x(d.block(), halo, std::numeric_limits<std::int32_t>::min());
        Raster<std::int32_t> interior(d.block(), 0, x.nodata);
        io::read_window(file, g, interior, "layer 'v'");
        for (auto row = d.block().row0; row < d.block().row1(); ++row)
            for (auto col = d.block().col0; col < d.block().col1(); ++col)
                x.at(col, row) = interior.at(col, row);
        dist::exchange_halo(d, x);
        CHECK(x.data == r.data);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() == 0) std::filesystem::remove_all(dir);
}
