#include "io/zones.hpp"

#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <unordered_set>

#include "core/error.hpp"
#include "io/gdal_raster.hpp"

namespace leefbaar::io {

namespace {

struct Source {
    GDALDatasetH ds = nullptr;
    OGRLayerH layer = nullptr;
    ~Source() {
        if (ds) GDALClose(ds);
    }
};

std::string where(const ZoneSource& s) {
    return "file " + s.path + (s.layer.empty() ? "" : " layer '" + s.layer + "'");
}

void open_source(const ZoneSource& src, Source& out) {
    gdal_init();
    if (!std::filesystem::exists(src.path))
        throw Error("zones", "file " + src.path + " does not exist");
    out.ds =
        GDALOpenEx(src.path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!out.ds)
        throw Error("zones",
                    "file " + src.path + " is not a readable vector source: " + gdal_last_error());
    out.layer = src.layer.empty() ? GDALDatasetGetLayer(out.ds, 0)
                                  : GDALDatasetGetLayerByName(out.ds, src.layer.c_str());
    if (!out.layer) throw Error("zones", where(src) + ": no such layer");
}

int field_index(const ZoneSource& src, OGRLayerH layer, const std::string& field) {
    const int i = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(layer), field.c_str());
    if (i < 0) {
        std::string have;
        OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer);
        for (int k = 0; k < OGR_FD_GetFieldCount(defn); ++k)
            have += std::string(k ? ", " : "") + OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, k));
        throw Error("zones",
                    where(src) + ": no attribute '" + field + "' (attributes: " + have + ")");
    }
    return i;
}

struct Feature {
    std::string code, name, parent;
    OGRGeometryH geom = nullptr;
};

std::vector<Feature> read_features(const ZoneSource& src, Source& s, bool with_geometry) {
    const int ci = field_index(src, s.layer, src.code_field);
    const int ni = src.name_field.empty() ? -1 : field_index(src, s.layer, src.name_field);
    const int pi = src.parent_field.empty() ? -1 : field_index(src, s.layer, src.parent_field);
    std::vector<Feature> out;
    OGR_L_ResetReading(s.layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(s.layer)) {
        Feature z;
        z.code = OGR_F_GetFieldAsString(f, ci);
        z.name = ni >= 0 ? OGR_F_GetFieldAsString(f, ni) : z.code;
        z.parent = pi >= 0 ? OGR_F_GetFieldAsString(f, pi) : "";
        if (with_geometry) {
            if (OGRGeometryH g = OGR_F_GetGeometryRef(f)) z.geom = OGR_G_Clone(g);
        }
        const auto fid = OGR_F_GetFID(f);
        OGR_F_Destroy(f);
        if (z.code.empty())
            throw Error("zones", where(src) + ": feature " + std::to_string(fid) +
                                     " has an empty '" + src.code_field + "'");
        out.push_back(std::move(z));
    }
    std::sort(out.begin(), out.end(),
              [](const Feature& a, const Feature& b) { return a.code < b.code; });
    for (std::size_t i = 1; i < out.size(); ++i)
        if (out[i].code == out[i - 1].code) {
            for (auto& f : out) OGR_G_DestroyGeometry(f.geom);
            throw Error("zones", where(src) + ": code '" + out[i].code + "' in '" + src.code_field +
                                     "' is not unique");
        }
    return out;
}

}  // namespace

std::int32_t ZoneTable::id_of(const std::string& code) const {
    const auto it = std::lower_bound(codes.begin(), codes.end(), code);
    return it != codes.end() && *it == code ? std::int32_t(it - codes.begin()) + 1 : 0;
}

ZoneTable read_zone_table(const ZoneSource& src) {
    Source s;
    open_source(src, s);
    ZoneTable t;
    for (auto& f : read_features(src, s, false)) {
        t.codes.push_back(std::move(f.code));
        t.names.push_back(std::move(f.name));
        t.parents.push_back(std::move(f.parent));
    }
    return t;
}

std::map<std::string, std::string> read_zone_attribute(const ZoneSource& src,
                                                       const std::string& field) {
    Source s;
    open_source(src, s);
    const int ci = field_index(src, s.layer, src.code_field);
    const int fi = field_index(src, s.layer, field);
    std::map<std::string, std::string> out;
    OGR_L_ResetReading(s.layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(s.layer)) {
        // Copy each value before the next call: GDAL may reuse the buffer it returns.
        std::string code = OGR_F_GetFieldAsString(f, ci);
        std::string value = OGR_F_GetFieldAsString(f, fi);
        out[std::move(code)] = std::move(value);
        OGR_F_Destroy(f);
    }
    return out;
}

RasterisedZones rasterise_zones(const ZoneSource& src, const GridSpec& grid, const Window& block,
                                std::int64_t halo, bool count_overlaps) {
    Source s;
    open_source(src, s);
    auto feats = read_features(src, s, true);
    RasterisedZones out;
    for (const auto& f : feats) {
        out.table.codes.push_back(f.code);
        out.table.names.push_back(f.name);
        out.table.parents.push_back(f.parent);
    }
    out.ids = Raster<std::int32_t>(block, halo, 0);
    const Window win = out.ids.padded();
    if (win.empty() || feats.empty()) {
        for (auto& f : feats) OGR_G_DestroyGeometry(f.geom);
        return out;
    }
    // CRS check: the layer must be in the grid's CRS (no silent reprojection).
    if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(s.layer)) {
        OGRSpatialReferenceH c = OSRClone(srs);
        int epsg = 0;
        if (OSRAutoIdentifyEPSG(c) == OGRERR_NONE && OSRGetAuthorityCode(c, nullptr))
            epsg = std::atoi(OSRGetAuthorityCode(c, nullptr));
        OSRDestroySpatialReference(c);
        if (epsg != grid.epsg) {
            for (auto& f : feats) OGR_G_DestroyGeometry(f.geom);
            throw Error("zones", where(src) + " is " +
                                     (epsg ? "EPSG:" + std::to_string(epsg) : "in an unknown CRS") +
                                     ", expected EPSG:" + std::to_string(grid.epsg));
        }
    }
    const GridSpec sub = grid.crop(win);
    // The MEM raster's bands are our own buffers (DATAPOINTER): GDAL burns the ids straight into
    // out.ids, with no second copy of the window.
    std::vector<std::int32_t> count(count_overlaps ? std::size_t(win.cells()) : 0);
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDatasetH ds = GDALCreate(mem, "", int(win.ncols), int(win.nrows), 0, GDT_Int32, nullptr);
    if (!ds) {
        for (auto& f : feats) OGR_G_DestroyGeometry(f.geom);
        throw Error("zones", where(src) + ": cannot make a memory raster: " + gdal_last_error());
    }
    auto add_band = [&](std::int32_t* data) {
        const std::string opt =
            "DATAPOINTER=" + std::to_string(reinterpret_cast<std::uintptr_t>(data));
        const char* opts[] = {opt.c_str(), nullptr};
        return GDALAddBand(ds, GDT_Int32, const_cast<char**>(opts));
    };
    auto gt = sub.geotransform();
    GDALSetGeoTransform(ds, gt.data());
    std::vector<OGRGeometryH> geoms;
    std::vector<double> burn, ones;
    for (std::size_t i = 0; i < feats.size(); ++i)
        if (feats[i].geom) {
            geoms.push_back(feats[i].geom);
            burn.push_back(double(i + 1));
            ones.push_back(1.0);
        }
    CPLErr e1 = add_band(out.ids.data.data()), e2 = CE_None;
    if (count_overlaps && e1 == CE_None) e2 = add_band(count.data());
    int band1 = 1, band2 = 2;
    if (e1 == CE_None && e2 == CE_None)
        e1 = GDALRasterizeGeometries(ds, 1, &band1, int(geoms.size()), geoms.data(), nullptr,
                                     nullptr, burn.data(), nullptr, nullptr, nullptr);
    const char* add[] = {"MERGE_ALG=ADD", nullptr};
    if (count_overlaps && e1 == CE_None && e2 == CE_None)
        e2 = GDALRasterizeGeometries(ds, 1, &band2, int(geoms.size()), geoms.data(), nullptr,
                                     nullptr, ones.data(), const_cast<char**>(add), nullptr,
                                     nullptr);
    for (auto& f : feats) OGR_G_DestroyGeometry(f.geom);
    GDALClose(ds);
    if (e1 != CE_None || e2 != CE_None)
        throw Error("zones", where(src) + ": rasterising failed: " + gdal_last_error());
    if (!count_overlaps) return out;
    // Overlaps are counted in this rank's block only, so a sum over ranks counts each once.
    for (std::int64_t r = block.row0; r < block.row1(); ++r)
        for (std::int64_t c = block.col0; c < block.col1(); ++c)
            if (count[std::size_t((r - win.row0) * win.ncols + (c - win.col0))] > 1)
                ++out.overlapping_cells;
    return out;
}

}  // namespace leefbaar::io
