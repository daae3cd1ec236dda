#include "io/zone_gpkg.hpp"

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"

namespace leefbaar::io {

void write_zone_gpkg(const std::string& path, const std::vector<ZoneLayerOut>& layers) {
    gdal_init();
    // Fixed timestamps so that the same results give the same bytes.
    CPLSetConfigOption("OGR_CURRENT_DATE", "2000-01-01T00:00:00.000Z");
    const std::string tmp = path + ".partial";
    std::filesystem::remove(tmp);
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    GDALDatasetH out = GDALCreate(drv, tmp.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    if (!out) throw Error("gpkg", "cannot create " + tmp + ": " + gdal_last_error());
    try {
        for (const auto& L : layers) {
            const std::size_t n_txt = std::size_t(std::count(L.types.begin(), L.types.end(), 's')),
                              n_num = L.types.size() - n_txt;
            if (L.numbers.size() != L.row_of.size() * n_num ||
                L.texts.size() != L.row_of.size() * n_txt)
                throw Error("gpkg", "layer '" + L.name + "': values do not match the fields");
            GDALDatasetH src = GDALOpenEx(L.source.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                          nullptr, nullptr, nullptr);
            if (!src) throw Error("gpkg", "cannot open " + L.source.path);
            OGRLayerH in = GDALDatasetGetLayerByName(src, L.source.layer.c_str());
            if (!in) {
                GDALClose(src);
                throw Error("gpkg",
                            "file " + L.source.path + ": no layer '" + L.source.layer + "'");
            }
            const char* lco[] = {"SPATIAL_INDEX=YES", nullptr};
            OGRLayerH o = GDALDatasetCreateLayer(out, L.name.c_str(), OGR_L_GetSpatialRef(in),
                                                 wkbMultiPolygon, const_cast<char**>(lco));
            auto add_field = [&](const std::string& n, OGRFieldType t) {
                OGRFieldDefnH f = OGR_Fld_Create(n.c_str(), t);
                OGR_L_CreateField(o, f, 1);
                OGR_Fld_Destroy(f);
            };
            add_field("code", OFTString);
            add_field("name", OFTString);
            for (std::size_t i = 0; i < L.fields.size(); ++i)
                add_field(L.fields[i], L.types[i] == 'r'   ? OFTReal
                                       : L.types[i] == 'i' ? OFTInteger64
                                                           : OFTString);
            const int ci =
                OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(in), L.source.code_field.c_str());
            const int ni =
                L.source.name_field.empty()
                    ? -1
                    : OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(in), L.source.name_field.c_str());
            OGR_L_StartTransaction(o);
            OGR_L_ResetReading(in);
            while (OGRFeatureH f = OGR_L_GetNextFeature(in)) {
                const std::string code = OGR_F_GetFieldAsString(f, ci);
                OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(o));
                OGR_F_SetFieldString(g, 0, code.c_str());
                OGR_F_SetFieldString(g, 1, ni >= 0 ? OGR_F_GetFieldAsString(f, ni) : code.c_str());
                // The source feature is dropped after this: its geometry is moved, not copied.
                if (OGRGeometryH geom = OGR_F_StealGeometry(f))
                    OGR_F_SetGeometryDirectly(g, OGR_G_ForceToMultiPolygon(geom));
                const auto it = L.row_of.find(code);
                if (it != L.row_of.end()) {
                    const double* num = L.numbers.data() + it->second * n_num;
                    const std::string* txt = L.texts.data() + it->second * n_txt;
                    // Every field set (null where there is no value): each feature then has
                    // the same fields, and GDAL reuses one prepared INSERT for all of them
                    // instead of preparing a statement per pattern of set fields.
                    for (std::size_t i = 0; i < L.fields.size(); ++i) {
                        const int fi = int(i) + 2;
                        if (L.types[i] == 's') {
                            if (txt->empty())
                                OGR_F_SetFieldNull(g, fi);
                            else
                                OGR_F_SetFieldString(g, fi, txt->c_str());
                            ++txt;
                            continue;
                        }
                        const double v = *num++;
                        if (std::isnan(v))
                            OGR_F_SetFieldNull(g, fi);
                        else if (L.types[i] == 'i')
                            OGR_F_SetFieldInteger64(g, fi, GIntBig(v));
                        else
                            OGR_F_SetFieldDouble(g, fi, v);
                    }
                } else {
                    for (std::size_t i = 0; i < L.fields.size(); ++i)
                        OGR_F_SetFieldNull(g, int(i) + 2);
                }
                if (OGR_L_CreateFeature(o, g) != OGRERR_NONE) {
                    OGR_F_Destroy(g);
                    OGR_F_Destroy(f);
                    GDALClose(src);
                    throw Error("gpkg", "writing layer '" + L.name + "' of " + tmp + ": " +
                                            gdal_last_error());
                }
                OGR_F_Destroy(g);
                OGR_F_Destroy(f);
            }
            OGR_L_CommitTransaction(o);
            GDALClose(src);
        }
    } catch (...) {
        GDALClose(out);
        std::filesystem::remove(tmp);
        throw;
    }
    GDALClose(out);
    std::filesystem::rename(tmp, path);
}

}  // namespace leefbaar::io
