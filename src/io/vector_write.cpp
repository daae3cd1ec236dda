#include "io/vector_write.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <filesystem>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"

namespace leefbaar::io {

namespace {

// GeoPackages record "last change" timestamps; a fixed date keeps their bytes reproducible.
struct FixedDate {
    FixedDate() { CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", "2018-01-01T00:00:00.000Z"); }
    ~FixedDate() { CPLSetThreadLocalConfigOption("OGR_CURRENT_DATE", nullptr); }
};

struct Ds {
    GDALDatasetH h = nullptr;
    ~Ds() {
        if (h) GDALClose(h);
    }
};

OGRSpatialReferenceH make_srs(int epsg) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, epsg);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

GDALDatasetH create_gpkg(const std::string& path) {
    gdal_init();
    std::error_code ec;
    std::filesystem::remove(path, ec);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    if (!drv) throw Error("vector", "GDAL has no GPKG driver");
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!ds) throw Error("vector", "cannot create " + path + ": " + gdal_last_error());
    return ds;
}

}  // namespace

std::vector<Wkb> polygonize_ids(const GridSpec& grid, std::span<const std::int32_t> ids,
                                std::int32_t n) {
    gdal_init();
    if (ids.size() != std::size_t(grid.cells()))
        throw Error("vector", "polygonize: " + std::to_string(ids.size()) + " ids for a grid of " +
                                  std::to_string(grid.cells()) + " cells");
    // Wrap the ids without copying: a MEM raster over our buffer.
    const std::string name =
        "MEM:::DATAPOINTER=" + std::to_string(reinterpret_cast<std::uintptr_t>(ids.data())) +
        ",PIXELS=" + std::to_string(grid.nx) + ",LINES=" + std::to_string(grid.ny) +
        ",BANDS=1,DATATYPE=Int32";
    Ds src{GDALOpen(name.c_str(), GA_ReadOnly)};
    if (!src.h)
        throw Error("vector", "polygonize: cannot wrap the id raster: " + gdal_last_error());
    auto gt = grid.geotransform();
    GDALSetGeoTransform(src.h, gt.data());
    GDALRasterBandH band = GDALGetRasterBand(src.h, 1);

    GDALDriverH mem = GDALGetDriverByName("Memory");
    Ds out{GDALCreate(mem, "polygons", 0, 0, 0, GDT_Unknown, nullptr)};
    OGRLayerH layer = GDALDatasetCreateLayer(out.h, "p", nullptr, wkbPolygon, nullptr);
    OGRFieldDefnH fd = OGR_Fld_Create("id", OFTInteger);
    OGR_L_CreateField(layer, fd, 1);
    OGR_Fld_Destroy(fd);
    // The band is its own mask: cells with id 0 produce no polygon.
    if (GDALPolygonize(band, band, layer, 0, nullptr, nullptr, nullptr) != CE_None)
        throw Error("vector", "polygonize failed: " + gdal_last_error());

    std::vector<OGRGeometryH> multi(std::size_t(n), nullptr);
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        const int id = OGR_F_GetFieldAsInteger(f, 0);
        if (id >= 1 && id <= n) {
            auto& m = multi[std::size_t(id - 1)];
            if (!m) m = OGR_G_CreateGeometry(wkbMultiPolygon);
            OGR_G_AddGeometry(m, OGR_F_GetGeometryRef(f));
        }
        OGR_F_Destroy(f);
    }
    std::vector<Wkb> wkb(static_cast<std::size_t>(n));
    for (std::size_t i = 0; i < multi.size(); ++i) {
        if (!multi[i]) continue;
        wkb[i].resize(std::size_t(OGR_G_WkbSize(multi[i])));
        OGR_G_ExportToIsoWkb(multi[i], wkbNDR, wkb[i].data());
        OGR_G_DestroyGeometry(multi[i]);
    }
    return wkb;
}

void write_polygon_layers(const std::string& path, int epsg,
                          const std::vector<PolygonLayer>& layers) {
    FixedDate fixed;
    Ds ds{create_gpkg(path)};
    OGRSpatialReferenceH srs = make_srs(epsg);
    for (const auto& pl : layers) {
        OGRLayerH layer =
            GDALDatasetCreateLayer(ds.h, pl.name.c_str(), srs, wkbMultiPolygon, nullptr);
        if (!layer) {
            OSRDestroySpatialReference(srs);
            throw Error("vector",
                        path + ": cannot create layer '" + pl.name + "': " + gdal_last_error());
        }
        for (const auto& f : pl.fields) {
            OGRFieldDefnH fd = OGR_Fld_Create(f.name.c_str(), f.integer ? OFTInteger : OFTString);
            OGR_L_CreateField(layer, fd, 1);
            OGR_Fld_Destroy(fd);
        }
        GDALDatasetStartTransaction(ds.h, 0);
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        for (std::size_t i = 0; i < pl.geometries.size(); ++i) {
            OGRFeatureH f = OGR_F_Create(defn);
            for (std::size_t k = 0; k < pl.fields.size(); ++k) {
                const auto& fld = pl.fields[k];
                if (fld.integer)
                    OGR_F_SetFieldInteger64(f, int(k), fld.numbers[i]);
                else
                    OGR_F_SetFieldString(f, int(k), fld.text[i].c_str());
            }
            if (!pl.geometries[i].empty()) {
                OGRGeometryH g = nullptr;
                if (OGR_G_CreateFromWkb(pl.geometries[i].data(), srs, &g,
                                        int(pl.geometries[i].size())) == OGRERR_NONE)
                    OGR_F_SetGeometryDirectly(f, g);
            }
            const OGRErr e = OGR_L_CreateFeature(layer, f);
            OGR_F_Destroy(f);
            if (e != OGRERR_NONE) {
                OSRDestroySpatialReference(srs);
                throw Error("vector", path + ": writing layer '" + pl.name +
                                          "' failed: " + gdal_last_error());
            }
        }
        GDALDatasetCommitTransaction(ds.h);
    }
    OSRDestroySpatialReference(srs);
}

void write_points(const std::string& path, int epsg, const std::string& layer_name,
                  const std::string& type_field, const std::vector<std::string>& type_names,
                  std::span<const std::int32_t> types, std::span<const double> xs,
                  std::span<const double> ys) {
    FixedDate fixed;
    Ds ds{create_gpkg(path)};
    OGRSpatialReferenceH srs = make_srs(epsg);
    OGRLayerH layer = GDALDatasetCreateLayer(ds.h, layer_name.c_str(), srs, wkbPoint, nullptr);
    OSRDestroySpatialReference(srs);
    if (!layer)
        throw Error("vector",
                    path + ": cannot create layer '" + layer_name + "': " + gdal_last_error());
    for (const char* nm : {type_field.c_str(), "x", "y"}) {
        OGRFieldDefnH fd = OGR_Fld_Create(nm, nm == type_field.c_str() ? OFTString : OFTReal);
        OGR_L_CreateField(layer, fd, 1);
        OGR_Fld_Destroy(fd);
    }
    GDALDatasetStartTransaction(ds.h, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
    for (std::size_t i = 0; i < types.size(); ++i) {
        OGRFeatureH f = OGR_F_Create(defn);
        OGR_F_SetFieldString(f, 0, type_names.at(std::size_t(types[i])).c_str());
        OGR_F_SetFieldDouble(f, 1, xs[i]);
        OGR_F_SetFieldDouble(f, 2, ys[i]);
        OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(p, 0, xs[i], ys[i]);
        OGR_F_SetGeometryDirectly(f, p);
        const OGRErr e = OGR_L_CreateFeature(layer, f);
        OGR_F_Destroy(f);
        if (e != OGRERR_NONE)
            throw Error("vector", path + ": writing points failed: " + gdal_last_error());
    }
    GDALDatasetCommitTransaction(ds.h);
}

}  // namespace leefbaar::io
