#pragma once
// Small helpers for I/O tests: scratch folders and GDAL rasters with chosen georeferencing.

#include <gdal.h>
#include <ogr_api.h>
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
    GDALDatasetH ds =
        GDALCreate(drv, file.c_str(), nx, ny, 1, float_type ? GDT_Float32 : GDT_Int32, nullptr);
    GDALSetGeoTransform(ds, const_cast<double*>(gt));
    if (epsg) {
        OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
        OSRImportFromEPSG(srs, epsg);
        GDALSetSpatialRef(ds, srs);
        OSRDestroySpatialReference(srs);
    }
    std::vector<float> f(values.begin(), values.end());
    const CPLErr err = GDALRasterIO(
        GDALGetRasterBand(ds, 1), GF_Write, 0, 0, nx, ny,
        float_type ? static_cast<void*>(f.data()) : const_cast<std::int32_t*>(values.data()), nx,
        ny, float_type ? GDT_Float32 : GDT_Int32, 0, 0);
    GDALClose(ds);
    if (err != CE_None) throw std::runtime_error("test raster " + file + " not written");
}

// Adds a polygon layer with string fields to a GeoPackage (created if absent). Each row holds
// the field values followed by the WKT geometry.
inline void write_zone_layer(const std::string& file, const std::string& layer_name,
                             const std::vector<std::string>& fields,
                             const std::vector<std::vector<std::string>>& rows, int epsg = 28992) {
    GDALAllRegister();
    GDALDatasetH ds =
        GDALOpenEx(file.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr, nullptr);
    if (!ds)
        ds = GDALCreate(GDALGetDriverByName("GPKG"), file.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, epsg);
    OGRLayerH layer = GDALDatasetCreateLayer(ds, layer_name.c_str(), srs, wkbPolygon, nullptr);
    OSRDestroySpatialReference(srs);
    for (const auto& f : fields) {
        OGRFieldDefnH fd = OGR_Fld_Create(f.c_str(), OFTString);
        OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    for (const auto& r : rows) {
        OGRFeatureH feat = OGR_F_Create(OGR_L_GetLayerDefn(layer));
        for (std::size_t i = 0; i < fields.size(); ++i)
            OGR_F_SetFieldString(feat, int(i), r[i].c_str());
        OGRGeometryH g = nullptr;
        char* wkt = const_cast<char*>(r.back().c_str());
        OGR_G_CreateFromWkt(&wkt, nullptr, &g);
        OGR_F_SetGeometryDirectly(feat, g);
        const OGRErr err = OGR_L_CreateFeature(layer, feat);
        OGR_F_Destroy(feat);
        if (err != OGRERR_NONE)
            throw std::runtime_error("test zone layer " + file + " not written");
    }
    GDALClose(ds);
}

}  // namespace leefbaar::testing
