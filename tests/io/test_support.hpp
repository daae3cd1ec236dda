#pragma once
// Small helpers for I/O tests: scratch folders and GDAL rasters with chosen georeferencing.

#include <gdal.h>
#include <ogr_srs_api.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace leefbaar::testing {

// A fresh scratch folder, removed on destruction.
struct ScratchDir {
    std::filesystem::path path;
    explicit ScratchDir(const std::string& name) {
        path = std::filesystem::temp_directory_path() / ("leefbaar-" + name);
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
    ~ScratchDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string file(const std::string& f) const { return (path / f).string(); }
};

// Writes an Int32 GeoTIFF with an arbitrary geotransform and EPSG code (0 = no CRS).
inline void write_test_raster(const std::string& file, int nx, int ny, const double gt[6], int epsg,
                              const std::vector<std::int32_t>& values, bool float_type = false) {
    GDALAllRegister();
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    GDALDatasetH ds = GDALCreate(drv, file.c_str(), nx, ny, 1, float_type ? GDT_Float32 : GDT_Int32, nullptr);
    GDALSetGeoTransform(ds, const_cast<double*>(gt));
    if (epsg) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, epsg);
        GDALSetSpatialRef(ds, srs);
        OSRDestroySpatialReference(srs);
    }
    std::vector<float> f(values.begin(), values.end());
    const CPLErr err = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, nx, ny,
                 float_type ? static_cast<void*>(f.data()) : const_cast<std::int32_t*>(values.data()), nx, ny,
                 float_type ? GDT_Float32 : GDT_Int32, 0, 0);
    GDALClose(ds);
    if (err != CE_None) throw std::runtime_error("test raster " + file + " not written");
}

}  // namespace leefbaar::testing
