#include "app/focal.hpp"

#include <cpl_error.h>
#include <gdal.h>
#include <mpi.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>

#include "app/log.hpp"
#include "core/error.hpp"
#include "core/grid.hpp"
#include "core/indicators.hpp"
#include "core/model_config.hpp"
#include "core/raster.hpp"
#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/halo.hpp"
#include "io/gdal_raster.hpp"
#include "io/points.hpp"
#include "kernels/checks.hpp"
#include "kernels/circle.hpp"
#include "kernels/decay.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::app {

namespace {

constexpr const char* kStage = "focal";

std::string num(double v) {
    return kernels::format_number(v);
}

[[noreturn]] void usage(const std::string& msg) {
    throw UsageError(kStage, msg);
}
[[noreturn]] void data_error(const std::string& msg) {
    throw Error(kStage, msg);
}

const FocalOp& find_op(const std::string& name) {
    for (const auto& o : focal_ops())
        if (o.name == name) return o;
    std::string names;
    for (const auto& o : focal_ops()) names += (names.empty() ? "" : ", ") + o.name;
    usage("unknown operation --op '" + name + "' (known: " + names + ")");
}

bool is_point_op(const FocalOp& op) {
    return op.rasters == 0;
}
// Count-like ops whose result is an integer whatever the input type.
bool always_integer(const FocalOp& op) {
    return op.name == "count" || op.name == "point-count";
}

// Checks that a parameter the op needs was given and is > 0, and that no other was given.
void check_params(const FocalOp& op, const FocalOptions& o) {
    struct P {
        const char* flag;
        bool given;
        double value;
    };
    const P ps[] = {{"--radius", bool(o.radius), o.radius.value_or(0)},
                    {"--inner", bool(o.inner), o.inner.value_or(0)},
                    {"--sigma", bool(o.sigma), o.sigma.value_or(0)},
                    {"--length", bool(o.length), o.length.value_or(0)},
                    {"--max", bool(o.max_distance), o.max_distance.value_or(0)},
                    {"--k", bool(o.k), double(o.k.value_or(0))}};
    for (const auto& p : ps) {
        const std::string flag = p.flag;
        const auto at = op.params.find(flag + " ");
        const bool known = at != std::string::npos || op.params.ends_with(flag);
        const bool optional =
            known && at != std::string::npos && at > 0 && op.params[at - 1] == '[';
        if (!known && p.given)
            usage(flag + " does not apply to --op " + op.name + " (it takes " + op.params + ")");
        if (known && !optional && !p.given)
            usage("--op " + op.name + " needs " + flag + " (it takes " + op.params + ")");
        if (p.given) {
            const bool ok = flag == "--inner" ? (p.value >= 0 && std::isfinite(p.value))
                                              : (p.value > 0 && std::isfinite(p.value));
            if (!ok)
                usage(flag + " " + num(p.value) +
                      (flag == "--inner" ? " must be >= 0"
                       : flag == "--k"   ? " must be >= 1"
                                         : " m must be > 0"));
        }
    }
    if (o.inner && o.radius && !(*o.inner < *o.radius))
        usage("--inner " + num(*o.inner) + " m must be smaller than --radius " + num(*o.radius) +
              " m");
    const bool points = is_point_op(op);
    if (points) {
        if (o.points.empty())
            usage("--op " + op.name + " needs --points FILE (a vector layer of points)");
        if (o.like.empty())
            usage("--op " + op.name + " needs --like RASTER (the grid to compute on)");
    } else {
        if (!o.points.empty())
            usage("--points does not apply to --op " + op.name + " (raster operation)");
        if (!o.like.empty())
            usage("--like does not apply to --op " + op.name +
                  " (the grid is that of the first input)");
        if (!o.where.empty() || !o.layer.empty())
            usage("--where and --layer apply to point operations only");
    }
    const std::size_t want = std::size_t(op.rasters) + 1;
    if (o.files.size() != want) {
        std::string form = "leefbaar focal --op " + op.name + " ";
        form += op.rasters == 0   ? "OUTPUT.tif"
                : op.rasters == 1 ? "INPUT.tif OUTPUT.tif"
                                  : "A.tif B.tif OUTPUT.tif";
        usage("--op " + op.name + " takes " + std::to_string(want) + " file argument" +
              (want == 1 ? "" : "s") + ", got " + std::to_string(o.files.size()) +
              " (usage: " + form + ")");
    }
}

// The grid of a raster: north-up, square cells, an EPSG code.
GridSpec grid_of(const io::RasterInfo& info) {
    const auto& g = info.geotransform;
    if (g[2] != 0.0 || g[4] != 0.0 || !(g[1] > 0) || !(g[5] < 0))
        data_error("file " + info.path + " is not north-up (geotransform " + num(g[0]) + ", " +
                   num(g[1]) + ", " + num(g[2]) + ", " + num(g[3]) + ", " + num(g[4]) + ", " +
                   num(g[5]) + ")");
    if (std::abs(g[1] + g[5]) > 1e-9 * g[1])
        data_error("file " + info.path + " has non-square cells (" + num(g[1]) + " x " +
                   num(-g[5]) + " m)");
    if (info.epsg == 0)
        data_error("file " + info.path + " has no EPSG code (CRS '" + info.crs_name +
                   "'); assign one with gdal_edit.py -a_srs");
    GridSpec grid;
    grid.xmin = g[0];
    grid.ymax = g[3];
    grid.cell = g[1];
    grid.nx = info.nx;
    grid.ny = info.ny;
    grid.epsg = info.epsg;
    return grid;
}

// Points of a layer, optionally filtered by an OGR SQL attribute filter.
io::PointSet read_point_layer(const std::string& path, const std::string& layer_name,
                              const std::string& where, const GridSpec& grid) {
    io::gdal_init();
    GDALDatasetH ds =
        GDALOpenEx(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
    if (!ds)
        data_error("--points " + path +
                   " is not a readable vector source: " + io::gdal_last_error());
    struct Closer {
        GDALDatasetH d;
        ~Closer() { GDALClose(d); }
    } closer{ds};
    OGRLayerH layer = layer_name.empty() ? GDALDatasetGetLayer(ds, 0)
                                         : GDALDatasetGetLayerByName(ds, layer_name.c_str());
    if (!layer)
        data_error("--points " + path + ": no layer " +
                   (layer_name.empty() ? std::string("at all") : "'" + layer_name + "'"));
    const std::string lname = OGR_L_GetName(layer);
    const std::string who = "--points " + path + " layer '" + lname + "'";
    if (OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer)) {
        OGRSpatialReferenceH copy = OSRClone(srs);
        OSRAutoIdentifyEPSG(copy);
        const char* code = OSRGetAuthorityCode(copy, nullptr);
        const int epsg = code ? std::atoi(code) : 0;
        OSRDestroySpatialReference(copy);
        if (epsg != grid.epsg)
            data_error(
                who + " is " +
                (epsg ? "EPSG:" + std::to_string(epsg) : std::string("in an unidentified CRS")) +
                ", expected EPSG:" + std::to_string(grid.epsg) + " (the grid of --like)");
    }
    CPLErrorReset();
    if (!where.empty() && OGR_L_SetAttributeFilter(layer, where.c_str()) != OGRERR_NONE)
        usage("--where \"" + where + "\" is not a valid filter for " + who + ": " +
              io::gdal_last_error());
    io::PointSet pts;
    OGR_L_ResetReading(layer);
    while (OGRFeatureH f = OGR_L_GetNextFeature(layer)) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        if (g && !OGR_G_IsEmpty(g)) {
            const auto type = wkbFlatten(OGR_G_GetGeometryType(g));
            if (type == wkbPoint) {
                pts.x.push_back(OGR_G_GetX(g, 0));
                pts.y.push_back(OGR_G_GetY(g, 0));
            } else if (type == wkbMultiPoint) {
                for (int i = 0; i < OGR_G_GetGeometryCount(g); ++i) {
                    OGRGeometryH p = OGR_G_GetGeometryRef(g, i);
                    pts.x.push_back(OGR_G_GetX(p, 0));
                    pts.y.push_back(OGR_G_GetY(p, 0));
                }
            } else {
                const auto fid = OGR_F_GetFID(f);
                OGR_F_Destroy(f);
                data_error(who + ": feature " + std::to_string(fid) + " is a " +
                           OGRGeometryTypeToName(type) + ", not a point");
            }
        }
        OGR_F_Destroy(f);
    }
    // Some drivers (GeoPackage, SQL-backed) accept any filter and fail only while reading.
    if (!where.empty() && CPLGetLastErrorType() >= CE_Failure)
        usage("--where \"" + where + "\" is not a valid filter for " + who + ": " +
              io::gdal_last_error());
    for (std::size_t i = 0; i < pts.x.size(); ++i)
        if (!std::isfinite(pts.x[i]) || !std::isfinite(pts.y[i]))
            data_error(who + ": point " + std::to_string(i + 1) + " has a non-finite coordinate");
    if (pts.x.empty())
        data_error(who + (where.empty() ? " holds no points"
                                        : " holds no points matching --where \"" + where + "\""));
    return pts;
}

// Cells of context the op needs (its reach), from the kernels' own window objects.
std::int64_t reach_of(const FocalOp& op, const KernelSpec& k, double cell, std::string& what) {
    try {
        if (op.name == "annulus") {
            what = "--radius " + num(k.radius) + " m";
            return kernels::make_annulus_window(k.inner_radius, k.radius, cell).reach;
        }
        if (op.name == "square-sum" || op.name == "square-mean") {
            what = "--radius " + num(k.radius) + " m";
            return kernels::window_reach(k.radius, cell);
        }
        if (op.name == "gaussian") {
            what = "--sigma " + num(k.sigma) + " m (support 4 sigma)";
            return kernels::make_gaussian_kernel(k.sigma, cell).reach;
        }
        if (op.name == "exponential") {
            what = "--radius " + num(k.radius) + " m";
            return kernels::make_exponential_kernel(k.length, k.radius, cell).reach;
        }
        if (op.name == "linear") {
            what = "--radius " + num(k.radius) + " m";
            return kernels::make_linear_kernel(k.radius, cell).reach;
        }
        if (op.name == "distance") {
            if (!std::isfinite(k.max_distance)) return 0;  // whole-grid mode, no halo
            what = "--max " + num(k.max_distance) + " m";
            return kernels::window_reach(k.max_distance, cell);
        }
        if (is_point_op(op)) return 0;
        what = "--radius " + num(k.radius) + " m";
        return kernels::make_circular_window(k.radius, cell).reach;
    } catch (const std::invalid_argument& e) {
        usage("--op " + op.name + ": " + e.what());
    }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double max_over_ranks(double v) {
    double m = v;
    dist::check(MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD),
                "MPI_Allreduce(focal timing)");
    return m;
}

template <class T>
void gather_and_write(const dist::Decomposition& d, std::vector<T> interior, T nodata,
                      const std::string& out, const io::GeoTiffOptions& gopt) {
    Raster<T> r(d.block(), 0, nodata);
    r.data = std::move(interior);
    const auto all = dist::gather_grid(d, r);
    if (d.rank() == 0) io::write_geotiff<T>(out, d.grid(), std::span<const T>(all), nodata, gopt);
}

}  // namespace

const std::vector<FocalOp>& focal_ops() {
    static const std::vector<FocalOp> ops = {
        {"sum", "sum", 1, "--radius R",
         "sum of the valid cells with centre within R of the cell centre", false, true},
        {"count", "count", 1, "--radius R", "number of valid (not nodata) cells within R", false,
         true},
        {"mean", "mean", 1, "--radius R", "mean of the valid cells within R", false, false},
        {"share", "share", 2, "--radius R",
         "sum A / sum B within R, over cells valid in both (A.tif B.tif)", false, false},
        {"rate", "rate", 2, "--radius R", "sum A per 1,000 of sum B within R (A.tif B.tif)", false,
         false},
        {"density", "density", 1, "--radius R", "sum within R per km2 of the valid cells' area",
         false, false},
        {"min", "min", 1, "--radius R", "minimum of the valid cells within R", false, true},
        {"max", "max", 1, "--radius R", "maximum of the valid cells within R", false, true},
        {"annulus", "annulus_sum", 1, "--inner I --radius R",
         "sum of the valid cells with I < d <= R", false, true},
        {"square-sum", "square_sum", 1, "--radius R",
         "sum over the square |dx|,|dy| <= floor(R / cell) cells", false, true},
        {"square-mean", "square_mean", 1, "--radius R", "mean of the valid cells of that square",
         false, false},
        {"gaussian", "gaussian", 1, "--sigma S",
         "sum weighted exp(-d^2 / 2 S^2), truncated at 4 S (square)", false, false},
        {"exponential", "exponential", 1, "--length L --radius R",
         "sum weighted exp(-d / L) for d <= R", false, false},
        {"linear", "linear", 1, "--radius R", "sum weighted 1 - d / R for d <= R", false, false},
        {"distance", "distance", 1, "[--max M]",
         "distance in m to the nearest valid non-zero cell (exact EDT); farther than M gives M.\n"
         "                     Without --max: uncapped, computed on the whole grid by rank 0",
         true, false},
        {"point-distance", "point_distance", 0,
         "--points F [--layer L] [--where SQL] --like G [--max M]",
         "distance in m from each cell centre to the nearest point (uncapped unless --max)", false,
         false},
        {"kth-point-distance", "kth_point_distance", 0,
         "--points F [--layer L] [--where SQL] --like G --k K [--max M]",
         "distance in m to the K-th nearest point (uncapped unless --max)", false, false},
        {"point-count", "point_count", 0,
         "--points F [--layer L] [--where SQL] --like G --radius R",
         "number of points within R of each cell centre", false, true},
    };
    return ops;
}

std::string focal_help() {
    std::ostringstream s;
    s << "Operations (--op), their parameters and what they compute (distances in metres between "
         "cell\n"
         "centres; a cell is in a window when its centre is within the radius):\n";
    for (const auto& o : focal_ops()) {
        s << "  " << o.name << std::string(o.name.size() < 19 ? 19 - o.name.size() : 1, ' ')
          << o.params << "\n"
          << "  " << std::string(19, ' ') << o.summary;
        if (o.integer_only) s << " [integer input only]";
        s << "\n";
    }
    s << "Inputs: the grid (origin, cell size, size, EPSG) is that of the first raster, or of "
         "--like for\n"
         "  point operations; it must be north-up. share and rate need two rasters on the same "
         "grid.\n"
         "  Point layers (any OGR source) must be in the grid's CRS; --where is an OGR SQL "
         "attribute\n"
         "  filter, e.g. --where \"type='supermarket'\". Nodata cells are skipped by every "
         "window.\n"
         "Output: a tiled DEFLATE GeoTIFF in the grid's CRS, written to OUTPUT.partial and "
         "renamed.\n"
         "  Int32 (nodata -2147483648) for exact integer results: sum, count, min, max, annulus "
         "and\n"
         "  square-sum of an integer raster, and point-count. Float64 (nodata NaN) otherwise, or\n"
         "  Float32 with --float32. Float input is read as Float32 and summed in fixed point "
         "(2^-16).\n"
         "  A window without valid cells gives nodata (count: 0); a zero denominator gives NaN.\n"
         "Errors (no output file is written): exit 2 for usage (unknown --op, missing or "
         "non-positive\n"
         "  parameter, radius reaching beyond the grid, missing input file, wrong number of "
         "files);\n"
         "  exit 1 for data (rasters of different grids, float raster for an integer-only op, "
         "empty\n"
         "  point layer or --where selecting nothing, results beyond the Int32 range).\n"
         "Parallel: MPI ranks split the grid in blocks (each reads its block plus a halo as wide "
         "as\n"
         "  the kernel's reach); OpenMP threads (OMP_NUM_THREADS) split rows. The output is "
         "identical\n"
         "  for every rank and thread count.\n";
    return s.str();
}

void run_focal(const FocalOptions& o) {
    const FocalOp& op = find_op(o.op);
    check_params(op, o);
    const bool points = is_point_op(op);
    const std::string out = o.files.back();
    const std::vector<std::string> inputs(o.files.begin(), o.files.end() - 1);
    for (const auto& f : inputs)
        if (!std::filesystem::exists(f)) usage("input " + f + " does not exist");
    if (points && !std::filesystem::exists(o.points))
        usage("--points " + o.points + " does not exist");
    if (points && !std::filesystem::exists(o.like)) usage("--like " + o.like + " does not exist");
    {
        const auto parent = std::filesystem::absolute(out).parent_path();
        if (!std::filesystem::is_directory(parent))
            usage("output " + out + ": folder " + parent.string() + " does not exist");
        for (const auto& f : inputs)
            if (std::filesystem::weakly_canonical(f) == std::filesystem::weakly_canonical(out))
                usage("output " + out + " is also an input");
    }

    io::gdal_init();
    const std::string grid_file = points ? o.like : inputs.front();
    const io::RasterInfo first = io::probe_raster(grid_file);
    const GridSpec grid = grid_of(first);
    std::vector<io::RasterInfo> infos;
    bool integer = true;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        infos.push_back(i == 0 ? first : io::probe_raster(inputs[i]));
        const auto& inf = infos.back();
        if (i > 0 && (inf.epsg != grid.epsg || inf.nx != grid.nx || inf.ny != grid.ny ||
                      inf.geotransform != first.geotransform))
            data_error("--op " + op.name + " needs rasters of one grid: " + inf.path + " (" +
                       std::to_string(inf.nx) + " x " + std::to_string(inf.ny) + " cells, origin " +
                       num(inf.geotransform[0]) + ", " + num(inf.geotransform[3]) + ", cell " +
                       num(inf.geotransform[1]) + " m, EPSG:" + std::to_string(inf.epsg) +
                       ") differs from " + first.path + " (" + std::to_string(first.nx) + " x " +
                       std::to_string(first.ny) + " cells, origin " + num(first.geotransform[0]) +
                       ", " + num(first.geotransform[3]) + ", cell " + num(first.geotransform[1]) +
                       " m, EPSG:" + std::to_string(first.epsg) + ")");
        if (inf.data_type == "UInt32" || inf.data_type == "Int64" || inf.data_type == "UInt64")
            data_error("file " + inf.path + " holds " + inf.data_type +
                       " values; focal reads integer rasters as Int32 (convert with gdal_translate "
                       "-ot Int32)");
        integer = integer && inf.is_integer;
    }
    if (!integer && op.integer_only) {
        for (const auto& inf : infos)
            if (!inf.is_integer)
                data_error("--op " + op.name + " needs an integer raster, but " + inf.path +
                           " holds " + inf.data_type +
                           " values (features are the valid non-zero cells; convert with "
                           "gdal_translate -ot Int32)");
    }

    KernelSpec k;
    k.op = op.kernel_op;
    k.radius = o.radius.value_or(0);
    k.inner_radius = o.inner.value_or(0);
    k.sigma = o.sigma.value_or(0);
    k.length = o.length.value_or(0);
    k.max_distance = o.max_distance.value_or(std::numeric_limits<double>::infinity());
    k.k = int(o.k.value_or(1));
    if (points)
        k.point_type = "points";
    else
        k.layers =
            op.rasters == 2 ? std::vector<std::string>{"a", "b"} : std::vector<std::string>{"a"};

    std::string reach_what;
    const std::int64_t reach = reach_of(op, k, grid.cell, reach_what);
    if (reach > std::max(grid.nx, grid.ny))
        usage(reach_what + " reaches " + std::to_string(reach) + " cells, beyond the grid of " +
              grid_file + " (" + std::to_string(grid.nx) + " x " + std::to_string(grid.ny) +
              " cells of " + num(grid.cell) + " m)");

    // Int32 output for counts, and for exact ops on integer input (computed in int64, then
    // range-checked); count over a float raster goes through the double path (exact counts).
    const bool int_out = always_integer(op) || (op.exact_integer && integer);
    const bool exact_path = int_out && (points || integer);
    dist::Decomposition d(grid, MPI_COMM_WORLD);
    // The uncapped distance transform needs the whole grid in one tile: rank 0 computes and
    // writes it alone (an exact EDT is O(N), well under the cost of reading the raster).
    const bool whole = op.name == "distance" && !o.max_distance;
    progress("focal: --op " + op.name + " on " + grid.describe() + ", reach " +
             std::to_string(reach) + " cells, " + std::to_string(d.size()) + " rank(s) x " +
             std::to_string(omp_get_max_threads()) + " thread(s), output " +
             (int_out     ? "Int32"
              : o.float32 ? "Float32"
                          : "Float64"));

    // Read: each rank its block plus the halo (one windowed read per input).
    const auto t_read = std::chrono::steady_clock::now();
    BlockInputs bi(grid, 0);
    const Window block = !whole ? d.block() : d.rank() == 0 ? grid.window() : Window{};
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const std::string what = "--op " + op.name + " input " + std::to_string(i + 1);
        if (block.empty()) break;
        if (integer) {
            Raster<std::int32_t> r(block, reach, kernels::kNodataI32);
            io::read_window(inputs[i], grid, r, what);
            bi.add_layer(k.layers[i], std::move(r));
        } else {
            Raster<float> r(block, reach, std::numeric_limits<float>::quiet_NaN());
            io::read_window(inputs[i], grid, r, what);
            bi.add_layer(k.layers[i], std::move(r));
        }
    }
    if (points) {
        const auto pts = read_point_layer(o.points, o.layer, o.where, grid);
        bi.add_points("points", pts.x, pts.y);
        bi.set_block(block);
        progress("focal: " + std::to_string(pts.x.size()) + " points from " + o.points);
    }
    const double read_s = max_over_ranks(seconds_since(t_read));

    // Compute the interior.
    const auto t_kernel = std::chrono::steady_clock::now();
    const std::size_t n = std::size_t(block.cells());
    std::vector<std::int32_t> out_i;
    std::vector<double> out_d;
    auto kernel_error = [&](const std::exception& e) {
        data_error("--op " + op.name + " on block cols " + std::to_string(block.col0) + "-" +
                   std::to_string(block.col1() - 1) + ", rows " + std::to_string(block.row0) + "-" +
                   std::to_string(block.row1() - 1) + ": " + e.what());
    };
    try {
        if (int_out)
            out_i.resize(n);
        else
            out_d.resize(n);
        if (n > 0 && int_out && exact_path && bi.evaluate_exact_i32(k, out_i)) {
            // Circular sums straight into Int32 (no int64 intermediate and conversion pass).
        } else if (n > 0 && int_out && exact_path) {
            std::vector<std::int64_t> e(n);
            bi.evaluate_exact(k, e);
            std::int64_t bad = -1;
#pragma omp parallel for schedule(static) reduction(max : bad)
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t v = e[i];
                if (v == kernels::kNodataI64)
                    out_i[i] = kernels::kNodataI32;
                else if (v <= std::int64_t(kernels::kNodataI32) ||
                         v > std::numeric_limits<std::int32_t>::max())
                    bad = std::max(bad, std::int64_t(i));
                else
                    out_i[i] = std::int32_t(v);
            }
            if (bad >= 0)
                data_error("--op " + op.name + ": the result " +
                           std::to_string(e[std::size_t(bad)]) + " at cell col " +
                           std::to_string(block.col0 + bad % block.ncols) + ", row " +
                           std::to_string(block.row0 + bad / block.ncols) +
                           " is beyond the Int32 range of the output (use a smaller radius or a "
                           "scaled input)");
        } else if (n > 0) {
            std::vector<double> tmp;
            std::vector<double>& dst = int_out ? tmp : out_d;
            if (int_out) tmp.resize(n);
            bi.evaluate_kernel(k, dst);
            if (int_out) {
#pragma omp parallel for schedule(static)
                for (std::size_t i = 0; i < n; ++i)
                    out_i[i] = std::isnan(tmp[i]) ? kernels::kNodataI32 : std::int32_t(tmp[i]);
            }
        }
    } catch (const Error&) {
        throw;
    } catch (const std::exception& e) {
        kernel_error(e);
    }
    const double kernel_s = max_over_ranks(seconds_since(t_kernel));

    // Gather and write on rank 0 (temporary name + rename inside write_geotiff).
    const auto t_write = std::chrono::steady_clock::now();
    io::GeoTiffOptions gopt;
    gopt.description = "focal " + op.name;
    gopt.metadata["LEEFBAAR_VERSION"] = LEEFBAAR_VERSION;
    gopt.metadata["LEEFBAAR_FOCAL_OP"] = op.name;
    std::string params;
    if (o.radius) params += " radius=" + num(*o.radius);
    if (o.inner) params += " inner=" + num(*o.inner);
    if (o.sigma) params += " sigma=" + num(*o.sigma);
    if (o.length) params += " length=" + num(*o.length);
    if (op.name == "distance" || o.max_distance) params += " max=" + num(k.max_distance);
    if (o.k) params += " k=" + std::to_string(*o.k);
    if (points) params += " points=" + o.points + (o.where.empty() ? "" : " where=" + o.where);
    gopt.metadata["LEEFBAAR_FOCAL_PARAMS"] = params.empty() ? "" : params.substr(1);
    std::string ins;
    for (const auto& f : inputs) ins += (ins.empty() ? "" : " ") + f;
    gopt.metadata["LEEFBAAR_FOCAL_INPUTS"] = points ? o.like : ins;
    try {
        if (whole) {
            if (d.rank() == 0 && o.float32) {
                const std::vector<float> f(out_d.begin(), out_d.end());
                io::write_geotiff<float>(out, grid, std::span<const float>(f),
                                         std::numeric_limits<float>::quiet_NaN(), gopt);
            } else if (d.rank() == 0) {
                io::write_geotiff<double>(out, grid, std::span<const double>(out_d),
                                          kernels::kNodataF64, gopt);
            }
        } else if (int_out)
            gather_and_write<std::int32_t>(d, std::move(out_i), kernels::kNodataI32, out, gopt);
        else if (o.float32) {
            std::vector<float> f(out_d.begin(), out_d.end());
            out_d = {};
            gather_and_write<float>(d, std::move(f), std::numeric_limits<float>::quiet_NaN(), out,
                                    gopt);
        } else {
            gather_and_write<double>(d, std::move(out_d), std::numeric_limits<double>::quiet_NaN(),
                                     out, gopt);
        }
    } catch (...) {
        if (d.rank() == 0) {
            std::error_code ec;
            std::filesystem::remove(out + ".partial", ec);
        }
        throw;
    }
    // Every rank waits for the write: a failure on rank 0 then stops them all (abort_all).
    dist::check(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier(focal write)");
    const double write_s = seconds_since(t_write);
    char buf[160];
    std::snprintf(buf, sizeof buf, "focal: timings read %.3f s, kernel %.3f s, gather+write %.3f s",
                  read_s, kernel_s, write_s);
    progress(buf);
    progress("focal: wrote " + out);
}

}  // namespace leefbaar::app
