#include "synth_test_util.hpp"

#include <gdal.h>
#include <ogr_api.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "io/gdal_raster.hpp"

namespace fs = std::filesystem;

namespace synth_test {

std::string scratch(const std::string& name) {
    const fs::path p =
        fs::temp_directory_path() / ("leefbaar-synth-test-" + std::to_string(getpid())) / name;
    fs::remove_all(p);
    fs::create_directories(p);
    return p.string();
}

int run_cli(int np, const std::string& args, const std::string& log) {
    std::string cmd;
    if (np > 0)
        cmd = std::string(LEEFBAAR_MPIEXEC) + " -np " + std::to_string(np) + " " +
              LEEFBAAR_MPIEXEC_FLAGS + " ";
    cmd += std::string(LEEFBAAR_BINARY) + " -q synth " + args;
    cmd += log.empty() ? " 2>/dev/null" : " 2>" + log;
    cmd += " >/dev/null";
    const int rc = std::system(cmd.c_str());
    if (rc == -1) return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

std::string slurp(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
        h ^= p[i];
        h *= 1099511628211ULL;
    }
    return h;
}

std::uint64_t file_hash(const std::string& path) {
    const auto s = slurp(path);
    return fnv1a(s.data(), s.size());
}

std::vector<std::int32_t> read_raster(const std::string& path, std::int64_t& nx, std::int64_t& ny) {
    leefbaar::io::gdal_init();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    if (!ds) throw std::runtime_error("cannot open " + path);
    nx = GDALGetRasterXSize(ds);
    ny = GDALGetRasterYSize(ds);
    std::vector<std::int32_t> v(std::size_t(nx * ny));
    const CPLErr e = GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, int(nx), int(ny),
                                  v.data(), int(nx), int(ny), GDT_Int32, 0, 0);
    GDALClose(ds);
    if (e != CE_None) throw std::runtime_error("cannot read " + path);
    return v;
}

std::uint64_t raster_checksum(const std::string& path) {
    std::int64_t nx = 0, ny = 0;
    const auto v = read_raster(path, nx, ny);
    return fnv1a(v.data(), v.size() * sizeof(std::int32_t));
}

std::vector<ZoneRow> read_layer(const std::string& gpkg, const std::string& layer,
                                const std::string& parent_field) {
    leefbaar::io::gdal_init();
    GDALDatasetH ds =
        GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds) throw std::runtime_error("cannot open " + gpkg);
    OGRLayerH l = GDALDatasetGetLayerByName(ds, layer.c_str());
    if (!l) {
        GDALClose(ds);
        throw std::runtime_error(gpkg + " has no layer " + layer);
    }
    std::vector<ZoneRow> rows;
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(l);
    OGR_L_ResetReading(l);
    while (OGRFeatureH f = OGR_L_GetNextFeature(l)) {
        ZoneRow r;
        for (int i = 0; i < OGR_FD_GetFieldCount(defn); ++i) {
            const std::string n = OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i));
            const std::string v = OGR_F_GetFieldAsString(f, i);
            if (n == "code")
                r.code = v;
            else if (n == "name")
                r.name = v;
            else if (!parent_field.empty() && n == parent_field)
                r.parent = v;
            else
                r.extra[n] = v;
        }
        if (OGRGeometryH g = OGR_F_GetGeometryRef(f)) {
            r.wkb.resize(std::size_t(OGR_G_WkbSize(g)));
            OGR_G_ExportToIsoWkb(g, wkbNDR, r.wkb.data());
        }
        OGR_F_Destroy(f);
        rows.push_back(std::move(r));
    }
    GDALClose(ds);
    return rows;
}

std::uint64_t table_checksum(const std::vector<ZoneRow>& rows) {
    std::uint64_t h = 1469598103934665603ULL;
    for (const auto& r : rows) {
        for (const auto* s : {&r.code, &r.name, &r.parent}) h = fnv1a(s->data(), s->size() + 1, h);
        for (const auto& [k, v] : r.extra) {
            h = fnv1a(k.data(), k.size() + 1, h);
            h = fnv1a(v.data(), v.size() + 1, h);
        }
        h = fnv1a(r.wkb.data(), r.wkb.size(), h);
    }
    return h;
}

std::map<std::string, std::uint64_t> tree_hashes(const std::string& dir) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file())
            out[fs::relative(e.path(), dir).string()] = file_hash(e.path().string());
    return out;
}

}  // namespace synth_test
