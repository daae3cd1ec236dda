#include "io/points.hpp"

#include <gdal.h>
#include <ogr_api.h>

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"

namespace leefbaar::io {

std::map<std::string, PointSet> read_points(const std::string& path, const std::string& layer_name,
                                            const std::string& type_field,
                                            const std::vector<std::string>& wanted) {
    gdal_init();
    if (!std::filesystem::exists(path)) throw Error("points", "file " + path + " does not exist");
    GDALDatasetH ds =
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds)
        throw Error("points",
                    "file " + path + " is not a readable vector source: " + gdal_last_error());
    struct Closer {
        GDALDatasetH d;
        ~Closer() { GDALClose(d); }
    } closer{ds};
    OGRLayerH layer = layer_name.empty() ? GDALDatasetGetLayer(ds, 0)
                                         : GDALDatasetGetLayerByName(ds, layer_name.c_str());
    if (!layer) throw Error("points", "file " + path + ": no layer '" + layer_name + "'");
    const int fi = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), type_field.c_str());
    if (fi < 0)
        throw Error("points", "file " + path + " layer '" + layer_name + "': no attribute '" +
                                  type_field + "'");
    std::map<std::string, PointSet> out;
    for (const auto& w : wanted) out[w];
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        const std::string type = OGR_F_GetFieldAsString(f, fi);
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g &&
            (wanted.empty() || std::find(wanted.begin(), wanted.end(), type) != wanted.end())) {
            if (wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPoint) {
                const auto fid = OGR_F_GetFID(f);
                OGR_F_Destroy(f);
                throw Error("points", "file " + path + " layer '" + layer_name + "': feature " +
                                          std::to_string(fid) + " is not a point");
            }
            auto& s = out[type];
            s.x.push_back(OGR_G_GetX(g, 0));
            s.y.push_back(OGR_G_GetY(g, 0));
        }
        OGR_F_Destroy(f);
    }
    return out;
}

std::map<std::string, PointSet> read_model_points(const RunConfig& rc, std::int64_t year) {
    if (!rc.model.uses_points()) return {};
    std::vector<std::string> types;
    for (const auto& i : rc.model.indicators)
        if (i.kernel.uses_points()) types.push_back(i.kernel.point_type);
    return read_points(rc.dataset.points_path(year), rc.dataset.points_layer,
                       rc.dataset.points_type_field, types);
}

}  // namespace leefbaar::io
