#include <gdal.h>
#include <ogr_srs_api.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>

#include <zlib.h>

#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "io/gdal_raster.hpp"
#include "io/hdf5.hpp"
#include "io/rle_deflate.hpp"

using namespace leefbaar;

namespace {

float value_at(std::int64_t col, std::int64_t row) {
    return (col * 31 + row * 17) % 11 == 0 ? -9999.f : float(col) * 0.5f - float(row) * 0.25f;
}

std::string scratch(const std::string& name) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("leefbaar-" + name + "-np" + std::to_string(dist::size()));
    if (dist::rank() == 0) {
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    return dir.string();
}

}  // namespace

TEST_CASE("a grid written by n ranks reads back bit for bit, collectively", "[io][hdf5]") {
    const std::string dir = scratch("h5");
    const std::string file = dir + "/run.h5";
    const GridSpec g = GridSpec::from_extent(120000, 480000, 157300, 512900, 100);  // 373 x 329
    dist::Decomposition d(g, MPI_COMM_WORLD);
    const Window b = d.block();
    std::vector<float> vals(std::size_t(b.cells()));
    std::vector<std::int32_t> ivals(std::size_t(b.cells()));
    for (std::int64_t r = 0; r < b.nrows; ++r)
        for (std::int64_t c = 0; c < b.ncols; ++c) {
            vals[std::size_t(r * b.ncols + c)] = value_at(b.col0 + c, b.row0 + r);
            ivals[std::size_t(r * b.ncols + c)] = std::int32_t((b.col0 + c) * 1000 + b.row0 + r);
        }
    {
        io::H5File f(file, d.comm(), io::H5File::Mode::create);
        f.write_georeference(g);
        f.write_grid<float>("/2018/score", g, b, vals, -9999.f, "liveability score", "1");
        const auto mode = f.last_io_mode();
        INFO("io mode " << io::to_string(mode));
        CHECK((mode == io::IoMode::collective_chunk || mode == io::IoMode::collective_contiguous));
        f.write_grid<std::int32_t>("/2018/class", g, b, ivals, -1);
        CHECK((f.last_io_mode() == io::IoMode::collective_chunk ||
               f.last_io_mode() == io::IoMode::collective_contiguous));
        // Rows of a table: rank r contributes r+1 rows.
        std::int64_t before = 0;
        for (int p = 0; p < d.rank(); ++p) before += p + 1;
        const std::int64_t total = std::int64_t(d.size()) * (d.size() + 1) / 2;
        std::vector<double> rows(std::size_t(d.rank() + 1) * 3);
        for (std::size_t i = 0; i < rows.size(); ++i)
            rows[i] = double(before * 3 + std::int64_t(i)) + 0.5;
        f.write_rows<double>("/matrix/2018/values", total, before, 3, rows);
        // A table of 0/1 flags, deflated: mostly zeros, rank r's rows flag column r.
        std::vector<std::uint8_t> flags(std::size_t(d.rank() + 1) * 500, 0);
        for (int k = 0; k <= d.rank(); ++k) flags[std::size_t(k) * 500 + std::size_t(d.rank())] = 1;
        f.write_rows<std::uint8_t>("/flags", total, before, 500, flags, true);
        f.set_string_list("/", "stages_completed", {"ingest", "kernels"});
    }
    {
        // Read back on every rank: the whole grid, compared bit for bit.
        io::H5File f(file, d.comm(), io::H5File::Mode::read_only);
        CHECK(f.read_georeference() == g);
        const auto all = f.read_grid<float>("/2018/score", g.window());
        std::int64_t wrong = 0;
        for (std::int64_t r = 0; r < g.ny; ++r)
            for (std::int64_t c = 0; c < g.nx; ++c) {
                const float want = value_at(c, r);
                wrong += std::memcmp(&all[std::size_t(r * g.nx + c)], &want, sizeof want) != 0;
            }
        CHECK(wrong == 0);
        const auto mine = f.read_grid<std::int32_t>("/2018/class", b);
        CHECK(mine == ivals);
        const std::int64_t total = std::int64_t(d.size()) * (d.size() + 1) / 2;
        const auto rows = f.read_rows<double>("/matrix/2018/values", 0, total);
        for (std::size_t i = 0; i < rows.size(); ++i) REQUIRE(rows[i] == double(i) + 0.5);
        const auto flags = f.read_rows<std::uint8_t>("/flags", 0, total);
        REQUIRE(flags.size() == std::size_t(total) * 500);
        for (std::int64_t row = 0, r = 0; r < d.size(); ++r)
            for (int k = 0; k <= r; ++k, ++row)
                for (std::size_t c = 0; c < 500; ++c)
                    REQUIRE(int(flags[std::size_t(row) * 500 + c]) == int(c == std::size_t(r)));
        CHECK(f.string_list("/", "stages_completed") ==
              std::vector<std::string>{"ingest", "kernels"});
        CHECK(f.shape("/2018/score") == std::vector<std::int64_t>{g.ny, g.nx});
        CHECK_FALSE(f.shape("/2016/score").has_value());
    }
    {
        // The flags carry the deflate filter; the float table none.
        const hid_t fh = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
        REQUIRE(fh >= 0);
        auto filters_of = [&](const char* name) {
            const hid_t ds = H5Dopen2(fh, name, H5P_DEFAULT);
            const hid_t dcpl = H5Dget_create_plist(ds);
            std::vector<int> out;
            for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
                unsigned fl = 0, cd[4] = {0, 0, 0, 0};
                std::size_t ncd = 4;
                out.push_back(
                    int(H5Pget_filter2(dcpl, unsigned(i), &fl, &ncd, cd, 0, nullptr, nullptr)));
            }
            H5Pclose(dcpl);
            H5Dclose(ds);
            return out;
        };
        CHECK(filters_of("/flags") == std::vector<int>{H5Z_FILTER_DEFLATE});
        CHECK(filters_of("/matrix/2018/values").empty());
        H5Fclose(fh);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (d.rank() == 0) {
        // GDAL (netCDF driver) opens the grid with EPSG:28992 and the exact geotransform.
        io::gdal_init();
        const std::string name = "NETCDF:\"" + file + "\":/2018/score";
        GDALDatasetH ds = GDALOpen(name.c_str(), GA_ReadOnly);
        INFO(io::gdal_last_error());
        REQUIRE(ds != nullptr);
        double gt[6];
        REQUIRE(GDALGetGeoTransform(ds, gt) == CE_None);
        const auto want = g.geotransform();
        for (int i = 0; i < 6; ++i) CHECK(gt[i] == want[std::size_t(i)]);
        OGRSpatialReferenceH srs = OSRClone(GDALGetSpatialRef(ds));
        REQUIRE(srs != nullptr);
        REQUIRE(OSRAutoIdentifyEPSG(srs) == OGRERR_NONE);
        CHECK(std::string(OSRGetAuthorityCode(srs, nullptr)) == "28992");
        OSRDestroySpatialReference(srs);
        CHECK(GDALGetRasterXSize(ds) == g.nx);
        CHECK(GDALGetRasterYSize(ds) == g.ny);
        std::vector<float> row(std::size_t(g.nx));
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 7, int(g.nx), 1, row.data(),
                             int(g.nx), 1, GDT_Float32, 0, 0) == CE_None);
        for (std::int64_t c = 0; c < g.nx; ++c) REQUIRE(row[std::size_t(c)] == value_at(c, 7));
        int has = 0;
        CHECK(GDALGetRasterNoDataValue(GDALGetRasterBand(ds, 1), &has) == -9999.0);
        CHECK(has == 1);
        GDALClose(ds);
        std::filesystem::remove_all(dir);
    }
}

namespace {

// A sparse double grid as the results file holds them: ~5% of cells scored, the rest nodata.
double sparse_value(std::int64_t col, std::int64_t row) {
    const std::uint64_t h = std::uint64_t(col * 73856093) ^ std::uint64_t(row * 19349663);
    return h % 19 == 0 ? double(col) * 1e-3 - double(row) * 7e-4 + 0.125 : -9999.0;
}

}  // namespace

TEST_CASE("grids are stored as standard shuffle + deflate chunks that stock zlib decodes",
          "[io][hdf5][deflate]") {
    // The fast deflate filter must be in place on this HDF5 (else the writes are only slower).
    REQUIRE(io::register_fast_deflate_filter());
    const std::string dir = scratch("h5-deflate");
    const std::string file = dir + "/grids.h5";
    // 975 x 1200 cells: chunks of 325 x 400 tile it exactly (grid_chunk_extent).
    const GridSpec g = GridSpec::from_extent(0, 400000, 120000, 497500, 100);
    REQUIRE(g.nx == 1200);
    REQUIRE(g.ny == 975);
    dist::Decomposition d(g, MPI_COMM_WORLD);
    const Window b = d.block();
    std::vector<double> vals(std::size_t(b.cells()));
    for (std::int64_t r = 0; r < b.nrows; ++r)
        for (std::int64_t c = 0; c < b.ncols; ++c)
            vals[std::size_t(r * b.ncols + c)] = sparse_value(b.col0 + c, b.row0 + r);
    {
        io::H5File f(file, d.comm(), io::H5File::Mode::create);
        f.write_georeference(g);
        f.write_grid<double>("/2018/score", g, b, vals, -9999.0, "liveability score", "1");
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() != 0) return;
    // Rank 0 alone, through the stock library calls: every stored chunk, raw, inflated by zlib
    // (what any HDF5 reader's deflate filter does) and unshuffled, equals the grid's cells.
    const hid_t fh = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    REQUIRE(fh >= 0);
    const hid_t ds = H5Dopen2(fh, "/2018/score", H5P_DEFAULT);
    REQUIRE(ds >= 0);
    const hid_t dcpl = H5Dget_create_plist(ds);
    hsize_t chunk[2] = {0, 0};
    REQUIRE(H5Pget_chunk(dcpl, 2, chunk) == 2);
    CHECK(chunk[0] == 325);
    CHECK(chunk[1] == 400);
    REQUIRE(H5Pget_nfilters(dcpl) == 2);
    unsigned flags = 0, cd[4] = {0, 0, 0, 0};
    std::size_t ncd = 4;
    CHECK(H5Pget_filter2(dcpl, 0, &flags, &ncd, cd, 0, nullptr, nullptr) == H5Z_FILTER_SHUFFLE);
    ncd = 4;
    CHECK(H5Pget_filter2(dcpl, 1, &flags, &ncd, cd, 0, nullptr, nullptr) == H5Z_FILTER_DEFLATE);
    const hid_t space = H5Dget_space(ds);
    hsize_t nchunks = 0;
    REQUIRE(H5Dget_num_chunks(ds, space, &nchunks) >= 0);
    REQUIRE(nchunks == 9);
    const std::size_t cells = std::size_t(chunk[0] * chunk[1]);
    std::int64_t wrong = 0, stored_bytes = 0;
    for (hsize_t k = 0; k < nchunks; ++k) {
        hsize_t offset[2] = {0, 0}, size = 0;
        unsigned mask = 0;
        haddr_t addr = 0;
        REQUIRE(H5Dget_chunk_info(ds, space, k, offset, &mask, &addr, &size) >= 0);
        CHECK(mask == 0);  // both filters applied
        std::vector<std::uint8_t> raw(size), shuffled(cells * 8);
        std::uint32_t filters = 0;
        REQUIRE(H5Dread_chunk(ds, H5P_DEFAULT, offset, &filters, raw.data()) >= 0);
        uLongf n = uLongf(shuffled.size());
        REQUIRE(uncompress(shuffled.data(), &n, raw.data(), uLong(raw.size())) == Z_OK);
        REQUIRE(n == shuffled.size());
        stored_bytes += std::int64_t(size);
        // Written by leefbaar's encoder, not HDF5's stock zlib call: the stored stream is
        // exactly rle_deflate's stream of these bytes.
        std::vector<std::uint8_t> ours(shuffled.size());
        CHECK(io::rle_deflate(shuffled.data(), shuffled.size(), ours.data(), ours.size()) == size);
        for (std::size_t i = 0; i < cells; ++i) {
            std::uint8_t bytes[8];
            for (std::size_t j = 0; j < 8; ++j) bytes[j] = shuffled[j * cells + i];
            double v = 0;
            std::memcpy(&v, bytes, 8);
            const double want = sparse_value(std::int64_t(offset[1] + i % chunk[1]),
                                             std::int64_t(offset[0] + i / chunk[1]));
            wrong += std::memcmp(&v, &want, 8) != 0;
        }
    }
    CHECK(wrong == 0);
    CHECK(stored_bytes < g.cells() * 8 / 4);  // compressed
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(ds);
    H5Fclose(fh);
}
