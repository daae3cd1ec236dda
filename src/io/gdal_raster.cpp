#include "io/gdal_raster.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <gdal.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <mutex>
#include <type_traits>

#include "core/error.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace leefbaar::io {

namespace {

int compression_threads() {
#ifdef _OPENMP
    return std::max(1, omp_get_max_threads());
#else
    return 1;
#endif
}

template <class T>
GDALDataType gdal_type() {
    if constexpr (std::is_same_v<T, std::uint8_t>)
        return GDT_Byte;
    else if constexpr (std::is_same_v<T, std::int16_t>)
        return GDT_Int16;
    else if constexpr (std::is_same_v<T, std::uint16_t>)
        return GDT_UInt16;
    else if constexpr (std::is_same_v<T, std::int32_t>)
        return GDT_Int32;
    else if constexpr (std::is_same_v<T, float>)
        return GDT_Float32;
    else if constexpr (std::is_same_v<T, double>)
        return GDT_Float64;
    else
        static_assert(sizeof(T) == 0, "unsupported raster cell type");
}

std::string num(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.10g", v);
    return b;
}

bool near(double a, double b, double tol) {
    return std::abs(a - b) <= tol;
}

struct Dataset {
    GDALDatasetH h = nullptr;
    ~Dataset() {
        if (h) GDALClose(h);
    }
};

}  // namespace

void gdal_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        GDALAllRegister();
        CPLPushErrorHandler(CPLQuietErrorHandler);
    });
}

std::string gdal_last_error() {
    std::string m = CPLGetLastErrorMsg();
    CPLErrorReset();
    return m;
}

RasterInfo probe_raster(const std::string& path) {
    gdal_init();
    if (!std::filesystem::exists(path)) throw Error("ingest", "file " + path + " does not exist");
    CPLErrorReset();
    Dataset ds{
        GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)};
    if (!ds.h) {
        const std::string why = gdal_last_error();
        throw Error("ingest",
                    "file " + path + " is not a readable raster" + (why.empty() ? "" : ": " + why));
    }
    RasterInfo info;
    info.path = path;
    info.nx = GDALGetRasterXSize(ds.h);
    info.ny = GDALGetRasterYSize(ds.h);
    info.bands = GDALGetRasterCount(ds.h);
    if (info.bands < 1) throw Error("ingest", "file " + path + " has no raster band");
    if (GDALGetGeoTransform(ds.h, info.geotransform.data()) != CE_None)
        info.geotransform = {0, 0, 0, 0, 0, 0};
    info.crs_name = "none";
    if (OGRSpatialReferenceH srs = GDALGetSpatialRef(ds.h)) {
        if (const char* n = OSRGetName(srs)) info.crs_name = n;
        OGRSpatialReferenceH clone = OSRClone(srs);
        if (OSRAutoIdentifyEPSG(clone) == OGRERR_NONE) {
            const char* auth = OSRGetAuthorityName(clone, nullptr);
            const char* code = OSRGetAuthorityCode(clone, nullptr);
            if (auth && code && std::string(auth) == "EPSG") info.epsg = std::atoi(code);
        }
        OSRDestroySpatialReference(clone);
    }
    GDALRasterBandH band = GDALGetRasterBand(ds.h, 1);
    int has = 0;
    info.nodata = GDALGetRasterNoDataValue(band, &has);
    info.has_nodata = has != 0;
    const GDALDataType t = GDALGetRasterDataType(band);
    info.data_type = GDALGetDataTypeName(t);
    info.is_integer = !GDALDataTypeIsFloating(t) && !GDALDataTypeIsComplex(t);
    return info;
}

void check_on_grid(const RasterInfo& info, const GridSpec& grid, const std::string& what,
                   Coverage coverage) {
    const std::string who = "ingest: " + what + ": file " + info.path;
    auto fail = [&](const std::string& msg) {
        throw Error("ingest", what + ": file " + info.path + " " + msg);
    };
    (void)who;
    if (info.epsg != grid.epsg)
        fail("is " +
             (info.epsg ? "EPSG:" + std::to_string(info.epsg) : "in CRS '" + info.crs_name + "'") +
             ", expected EPSG:" + std::to_string(grid.epsg));
    const auto& g = info.geotransform;
    if (g[2] != 0.0 || g[4] != 0.0) fail("is rotated (geotransform terms 2 and 4 are not zero)");
    const double tol = grid.cell * 1e-6;
    if (!near(g[1], grid.cell, tol) || !near(g[5], -grid.cell, tol))
        fail("has cells of " + num(g[1]) + " x " + num(-g[5]) + " m, expected " + num(grid.cell) +
             " x " + num(grid.cell) + " m (north-up)");
    const double fc = (g[0] - grid.xmin) / grid.cell, fr = (grid.ymax - g[3]) / grid.cell;
    if (!near(fc, std::round(fc), 1e-6) || !near(fr, std::round(fr), 1e-6))
        fail("has its origin at (" + num(g[0]) + ", " + num(g[3]) + "), not on the grid's " +
             num(grid.cell) + " m cell boundaries (grid origin " + num(grid.xmin) + ", " +
             num(grid.ymax) + ")");
    if (coverage == Coverage::full) {
        const auto c0 = std::llround(fc), r0 = std::llround(fr);
        if (c0 > 0 || r0 > 0 || c0 + info.nx < grid.nx || r0 + info.ny < grid.ny)
            fail("covers x " + num(g[0]) + "-" + num(g[0] + g[1] * double(info.nx)) + ", y " +
                 num(g[3] + g[5] * double(info.ny)) + "-" + num(g[3]) +
                 ", which does not cover the grid (x " + num(grid.xmin) + "-" + num(grid.xmax()) +
                 ", y " + num(grid.ymin()) + "-" + num(grid.ymax) + ")");
    }
}

template <class T>
void read_window(const std::string& path, const GridSpec& grid, Raster<T>& out,
                 const std::string& what, Coverage coverage) {
    const RasterInfo info = probe_raster(path);
    check_on_grid(info, grid, what, coverage);
    if (std::is_integral_v<T> && !info.is_integer)
        throw Error(
            "ingest",
            what + ": file " + info.path + " holds " + info.data_type +
                " values, expected an integer raster (counts and areas are exact integers)");
    // The raster's own window in grid coordinates, and its overlap with what we need.
    const auto rc0 = std::int64_t(std::llround((info.geotransform[0] - grid.xmin) / grid.cell));
    const auto rr0 = std::int64_t(std::llround((grid.ymax - info.geotransform[3]) / grid.cell));
    const Window in_file{rc0, rr0, info.nx, info.ny};
    const Window pad = out.padded();
    const Window need = pad.intersect(grid.window()).intersect(in_file);
    // Nodata wherever the file gives no value: the padded rows above and below the window read,
    // and the columns either side of it (the window itself is overwritten below).
    const auto fill_rows = [&](std::int64_t r0, std::int64_t r1) {
        if (r0 < r1)
            std::fill(out.data.begin() + std::ptrdiff_t(out.index(pad.col0, r0)),
                      out.data.begin() + std::ptrdiff_t(out.index(pad.col0, r1 - 1)) +
                          std::ptrdiff_t(pad.ncols),
                      out.nodata);
    };
    if (need.empty()) {
        fill_rows(pad.row0, pad.row1());
        return;
    }
    fill_rows(pad.row0, need.row0);
    fill_rows(need.row1(), pad.row1());
    for (std::int64_t r = need.row0; r < need.row1(); ++r) {
        std::fill(&out.at(pad.col0, r), &out.at(need.col0, r), out.nodata);
        std::fill(&out.at(need.col0, r) + need.ncols, &out.at(pad.col0, r) + pad.ncols, out.nodata);
    }
    Dataset ds{
        GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr)};
    if (!ds.h)
        throw Error("ingest",
                    what + ": file " + path + " could not be reopened: " + gdal_last_error());
    GDALRasterBandH band = GDALGetRasterBand(ds.h, 1);
    // Straight into the padded raster (its row stride as the line spacing): no staging copy.
    CPLErrorReset();
    const CPLErr err = GDALRasterIO(band, GF_Read, int(need.col0 - rc0), int(need.row0 - rr0),
                                    int(need.ncols), int(need.nrows), &out.at(need.col0, need.row0),
                                    int(need.ncols), int(need.nrows), gdal_type<T>(),
                                    int(sizeof(T)), GSpacing(out.stride()) * GSpacing(sizeof(T)));
    if (err != CE_None)
        throw Error("ingest",
                    what + ": file " + path + ": reading window cols " + std::to_string(need.col0) +
                        "-" + std::to_string(need.col1() - 1) + ", rows " +
                        std::to_string(need.row0) + "-" + std::to_string(need.row1() - 1) +
                        " failed (truncated or corrupt file?): " + gdal_last_error());
    // The file's nodata (and NaN) to ours. For integers a value is missing iff it equals the
    // file's nodata, which only an integral nodata within T's range can: one integer
    // comparison per cell (vectorised), none at all when the two nodata values agree.
    const bool has_nd = info.has_nodata;
    const double nd = info.nodata;
    if constexpr (std::is_integral_v<T>) {
        if (!has_nd || std::trunc(nd) != nd || nd < double(std::numeric_limits<T>::min()) ||
            nd > double(std::numeric_limits<T>::max()))
            return;
        const T file_nd = T(nd);
        if (file_nd == out.nodata) return;
        const T ours = out.nodata;
        for (std::int64_t r = need.row0; r < need.row1(); ++r) {
            T* dst = &out.at(need.col0, r);
            for (std::int64_t c = 0; c < need.ncols; ++c)
                dst[c] = dst[c] == file_nd ? ours : dst[c];
        }
    } else {
        for (std::int64_t r = need.row0; r < need.row1(); ++r) {
            T* dst = &out.at(need.col0, r);
            for (std::int64_t c = 0; c < need.ncols; ++c) {
                const T v = dst[c];
                dst[c] = std::isnan(v) || (has_nd && double(v) == nd) ? out.nodata : v;
            }
        }
    }
}

template <class T>
void write_geotiff(const std::string& path, const GridSpec& grid, std::span<const T> values,
                   T nodata, const GeoTiffOptions& options) {
    gdal_init();
    if (values.size() != std::size_t(grid.cells()))
        throw Error("geotiff", path + ": " + std::to_string(values.size()) +
                                   " values for a grid of " + std::to_string(grid.cells()) +
                                   " cells");
    const std::string tmp = path + ".partial";
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    if (!drv) throw Error("geotiff", "GDAL has no GTiff driver");
    // Tiles are compressed by GDAL's worker threads, as many as this process's OpenMP threads
    // (each tile alone, written in tile order: the file does not depend on the count).
    // DEFLATE without a predictor: on the synthetic Netherlands' count layers (mostly zeros and
    // small integers) horizontal differencing (PREDICTOR=2) made most files larger, not smaller,
    // and libtiff's undoing of it took 35-50 % of a layer's read time (bench/RESULTS.md).
    const std::string threads = "NUM_THREADS=" + std::to_string(compression_threads());
    const char* opts[] = {
        "TILED=YES",        "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE",
        "BIGTIFF=IF_SAFER", threads.c_str(),  nullptr};
    {
        Dataset ds{GDALCreate(drv, tmp.c_str(), int(grid.nx), int(grid.ny), 1, gdal_type<T>(),
                              const_cast<char**>(opts))};
        if (!ds.h) throw Error("geotiff", "cannot create " + tmp + ": " + gdal_last_error());
        auto gt = grid.geotransform();
        GDALSetGeoTransform(ds.h, gt.data());
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, grid.epsg);
        GDALSetSpatialRef(ds.h, srs);
        OSRDestroySpatialReference(srs);
        GDALRasterBandH band = GDALGetRasterBand(ds.h, 1);
        GDALSetRasterNoDataValue(band, double(nodata));
        if (!options.description.empty()) GDALSetDescription(band, options.description.c_str());
        for (const auto& [k, v] : options.metadata)
            GDALSetMetadataItem(ds.h, k.c_str(), v.c_str(), nullptr);
        if (GDALRasterIO(band, GF_Write, 0, 0, int(grid.nx), int(grid.ny),
                         const_cast<T*>(values.data()), int(grid.nx), int(grid.ny), gdal_type<T>(),
                         0, 0) != CE_None)
            throw Error("geotiff", "writing " + tmp + " failed: " + gdal_last_error());
    }  // closed (flushed) here
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) throw Error("geotiff", "renaming " + tmp + " to " + path + ": " + ec.message());
}

#define LEEFBAAR_GDAL_INSTANTIATE(T)                                                           \
    template void read_window<T>(const std::string&, const GridSpec&, Raster<T>&,              \
                                 const std::string&, Coverage);                                \
    template void write_geotiff<T>(const std::string&, const GridSpec&, std::span<const T>, T, \
                                   const GeoTiffOptions&);
LEEFBAAR_GDAL_INSTANTIATE(std::uint8_t)
LEEFBAAR_GDAL_INSTANTIATE(std::int16_t)
LEEFBAAR_GDAL_INSTANTIATE(std::int32_t)
LEEFBAAR_GDAL_INSTANTIATE(float)
LEEFBAAR_GDAL_INSTANTIATE(double)
#undef LEEFBAAR_GDAL_INSTANTIATE

}  // namespace leefbaar::io
