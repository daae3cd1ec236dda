// `leefbaar info FILE`: what a result or input file holds.

#include <gdal.h>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "dist/comm.hpp"
#include "io/gdal_raster.hpp"
#include "io/hdf5.hpp"

namespace leefbaar::app {

namespace {

void info_hdf5(const std::string& path) {
    io::H5File f(path, MPI_COMM_SELF, io::H5File::Mode::read_only);
    std::printf("file: %s (leefbaar results, HDF5)\n", path.c_str());
    if (f.exists("/crs")) {
        const GridSpec g = f.read_georeference();
        std::printf("grid: %s\n", g.describe().c_str());
    }
    for (const char* a : {"leefbaar_version", "config_sha256", "status"})
        if (auto v = f.attribute("/", a)) std::printf("%s: %s\n", a, v->c_str());
    const auto stages = f.string_list("/", "stages_completed");
    std::printf("stages completed: %s\n", stages.empty() ? "(none)" : "");
    for (const auto& s : stages) std::printf("  %s\n", s.c_str());
    std::set<std::string> years;
    const auto datasets = f.list_datasets();
    for (const auto& d : datasets) {
        const auto slash = d.find('/', 1);
        const std::string top =
            d.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
        if (!top.empty() && top.find_first_not_of("0123456789") == std::string::npos)
            years.insert(top);
    }
    std::string ys;
    for (const auto& y : years) ys += (ys.empty() ? "" : ", ") + y;
    std::printf("years: %s\n", ys.empty() ? "(none)" : ys.c_str());
    std::printf("datasets: %zu\n", datasets.size());
    for (const auto& d : datasets) {
        const auto shape = f.shape(d);
        std::string dims;
        for (auto n : *shape) dims += (dims.empty() ? "" : " x ") + std::to_string(n);
        std::printf("  %-48s %s\n", d.c_str(), dims.empty() ? "scalar" : dims.c_str());
    }
}

void info_gdal(const std::string& path) {
    io::gdal_init();
    GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_VECTOR | GDAL_OF_READONLY,
                                 nullptr, nullptr, nullptr);
    if (!ds)
        throw Error("info",
                    "file " + path +
                        " is neither a leefbaar results file nor a GDAL raster or vector source: " +
                        io::gdal_last_error());
    const int nlayers = GDALDatasetGetLayerCount(ds);
    const bool raster = GDALGetRasterCount(ds) > 0;
    GDALClose(ds);
    if (raster) {
        const auto r = io::probe_raster(path);
        std::printf("file: %s (raster, %d band%s, %s)\n", path.c_str(), r.bands,
                    r.bands == 1 ? "" : "s", r.data_type.c_str());
        std::printf("size: %lld x %lld cells\n", (long long)r.nx, (long long)r.ny);
        std::printf("crs: %s%s\n", r.crs_name.c_str(),
                    r.epsg ? (" (EPSG:" + std::to_string(r.epsg) + ")").c_str() : "");
        const auto& g = r.geotransform;
        std::printf("origin: %.3f, %.3f  cell: %.3f x %.3f m\n", g[0], g[3], g[1], -g[5]);
        if (r.has_nodata) std::printf("nodata: %g\n", r.nodata);
    }
    if (nlayers > 0) {
        GDALDatasetH v =
            GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
        std::printf("file: %s (vector, %d layer%s)\n", path.c_str(), nlayers,
                    nlayers == 1 ? "" : "s");
        for (int i = 0; i < nlayers; ++i) {
            OGRLayerH l = GDALDatasetGetLayer(v, i);
            std::printf("  %-24s %lld features\n", OGR_L_GetName(l),
                        (long long)OGR_L_GetFeatureCount(l, 1));
        }
        GDALClose(v);
    }
}

}  // namespace

Command add_info_command(CLI::App& cli) {
    auto* sub =
        cli.add_subcommand("info", "Describe a results file (HDF5), a raster, or a vector source");
    auto path = std::make_shared<std::string>();
    sub->add_option("FILE", *path, "file to describe")->required();
    return {sub, [path] {
                if (dist::rank() != 0) return;
                if (!std::filesystem::exists(*path))
                    throw Error("info", "file " + *path + " does not exist");
                if (io::is_hdf5(*path))
                    info_hdf5(*path);
                else
                    info_gdal(*path);
            }};
}

}  // namespace leefbaar::app
