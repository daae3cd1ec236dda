// `leefbaar focal` end to end: the built CLI (LEEFBAAR_BINARY) on small random rasters written
// here, compared with brute-force references computed in this file, across ranks and threads, and
// on every bad input the issue lists.

#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <sys/wait.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/grid.hpp"
#include "io/gdal_raster.hpp"

namespace fs = std::filesystem;
using leefbaar::GridSpec;

namespace {

constexpr std::int32_t kNd = std::numeric_limits<std::int32_t>::min();

// A scratch folder per test case, removed afterwards.
struct TempDir {
    fs::path path;
    TempDir() {
        static int counter = 0;
        path = fs::temp_directory_path() / ("leefbaar_focal_test_" + std::to_string(::getpid()) +
                                            "_" + std::to_string(counter++));
        fs::remove_all(path);
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string operator/(const std::string& name) const { return (path / name).string(); }
};

GridSpec test_grid(std::int64_t nx = 37, std::int64_t ny = 29) {
    GridSpec g;
    g.xmin = 120000;
    g.ymax = 490000;
    g.cell = 100;
    g.nx = nx;
    g.ny = ny;
    return g;
}

// Clustered-ish counts: many zeros, some nodata.
std::vector<std::int32_t> random_ints(const GridSpec& g, unsigned seed,
                                      double nodata_share = 0.05) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<std::int32_t> v(std::size_t(g.cells()));
    for (auto& x : v) {
        const double p = u(rng);
        x = p < nodata_share ? kNd : p < 0.5 ? 0 : std::int32_t(u(rng) * 40) - 5;
    }
    return v;
}

std::vector<float> random_floats(const GridSpec& g, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    std::vector<float> v(std::size_t(g.cells()));
    for (auto& x : v) {
        const double p = u(rng);
        x = p < 0.05 ? std::numeric_limits<float>::quiet_NaN()
                     : float(std::round(u(rng) * 1000) / 64.0);
    }
    return v;
}

struct RunResult {
    int code = -1;
    std::string err;
};

// Runs a shell command, returning its exit code and stderr. Each command gets a TMPDIR of its
// own: Open MPI creates its session folder there, and two mpiexec started at the same moment
// under one TMPDIR can race to create the same folder ("mkdir ... File exists").
RunResult run(const std::string& cmd, const TempDir& dir) {
    static std::atomic<int> serial{0};
    const std::string n = std::to_string(serial++);
    const std::string errfile = dir / ("stderr" + n + ".txt"), tmp = dir / ("tmp" + n);
    std::filesystem::create_directories(tmp);
    const int rc =
        std::system(("TMPDIR=" + tmp + " " + cmd + " 2> " + errfile + " > /dev/null").c_str());
    RunResult r;
    r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    std::ifstream in(errfile);
    std::stringstream ss;
    ss << in.rdbuf();
    r.err = ss.str();
    return r;
}

// Runs commands concurrently (an MPI start-up mostly waits, so a batch costs about one run).
std::vector<RunResult> run_all(const std::vector<std::string>& cmds, const TempDir& dir) {
    std::vector<std::future<RunResult>> fs;
    for (const auto& c : cmds)
        fs.push_back(std::async(std::launch::async, [&dir, c] { return run(c, dir); }));
    std::vector<RunResult> out;
    for (auto& f : fs) out.push_back(f.get());
    return out;
}

std::string focal_cmd(const std::string& args, int ranks = 0, int threads = 2) {
    std::string env = "OMP_NUM_THREADS=" + std::to_string(threads) + " ";
    if (ranks == 0) return env + LEEFBAAR_BINARY " -q focal " + args;
    return env + LEEFBAAR_MPIEXEC " -n " + std::to_string(ranks) +
           " " LEEFBAAR_MPIEXEC_FLAGS " " LEEFBAAR_BINARY " -q focal " + args;
}

template <class T>
struct Image {
    std::int64_t nx = 0, ny = 0;
    std::vector<T> v;
    std::array<double, 6> gt{};
    int epsg = 0;
    GDALDataType type = GDT_Unknown;
    double nodata = 0;
    int has_nodata = 0;
};

template <class T>
Image<T> read_image(const std::string& path) {
    leefbaar::io::gdal_init();
    Image<T> img;
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    img.nx = GDALGetRasterXSize(ds);
    img.ny = GDALGetRasterYSize(ds);
    GDALGetGeoTransform(ds, img.gt.data());
    OGRSpatialReferenceH srs = OSRNewSpatialReference(GDALGetProjectionRef(ds));
    OSRAutoIdentifyEPSG(srs);
    const char* code = OSRGetAuthorityCode(srs, nullptr);
    img.epsg = code ? std::atoi(code) : 0;
    OSRDestroySpatialReference(srs);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    img.type = GDALGetRasterDataType(b);
    img.nodata = GDALGetRasterNoDataValue(b, &img.has_nodata);
    img.v.resize(std::size_t(img.nx * img.ny));
    const GDALDataType want = std::is_same_v<T, std::int32_t> ? GDT_Int32
                              : std::is_same_v<T, float>      ? GDT_Float32
                                                              : GDT_Float64;
    REQUIRE(GDALRasterIO(b, GF_Read, 0, 0, int(img.nx), int(img.ny), img.v.data(), int(img.nx),
                         int(img.ny), want, 0, 0) == CE_None);
    GDALClose(ds);
    return img;
}

std::vector<unsigned char> file_pixels(const std::string& path) {
    leefbaar::io::gdal_init();
    GDALDatasetH ds = GDALOpen(path.c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1);
    const auto t = GDALGetRasterDataType(b);
    const int nx = GDALGetRasterXSize(ds), ny = GDALGetRasterYSize(ds);
    std::vector<unsigned char> buf(std::size_t(nx) * std::size_t(ny) *
                                   std::size_t(GDALGetDataTypeSizeBytes(t)));
    REQUIRE(GDALRasterIO(b, GF_Read, 0, 0, nx, ny, buf.data(), nx, ny, t, 0, 0) == CE_None);
    GDALClose(ds);
    return buf;
}

// Cell-centre rule in exact integers (cell 100 m, integer radius in metres).
bool within(std::int64_t dx, std::int64_t dy, std::int64_t r_m) {
    return (dx * 100) * (dx * 100) + (dy * 100) * (dy * 100) <= r_m * r_m;
}

// Brute-force circular reduction over valid cells; f(acc, v) and the result per cell.
template <class T, class F>
void brute_disc(const GridSpec& g, const std::vector<T>&, std::int64_t r_m, F&& visit) {
    const std::int64_t reach = r_m / 100;
    for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t x = 0; x < g.nx; ++x)
            for (std::int64_t dy = -reach; dy <= reach; ++dy)
                for (std::int64_t dx = -reach; dx <= reach; ++dx) {
                    const std::int64_t xx = x + dx, yy = y + dy;
                    if (xx < 0 || yy < 0 || xx >= g.nx || yy >= g.ny || !within(dx, dy, r_m))
                        continue;
                    visit(std::size_t(y * g.nx + x), std::size_t(yy * g.nx + xx), dx, dy);
                }
}

void check_georef(const Image<std::int32_t>& img, const GridSpec& g) {
    CHECK(img.epsg == 28992);
    CHECK(img.nx == g.nx);
    CHECK(img.ny == g.ny);
    const auto gt = g.geotransform();
    for (int i = 0; i < 6; ++i) CHECK(img.gt[std::size_t(i)] == gt[std::size_t(i)]);
}

void write_points(const std::string& path, const std::vector<std::array<double, 2>>& pts,
                  const std::vector<std::string>& types, int epsg = 28992) {
    leefbaar::io::gdal_init();
    GDALDriverH drv = GDALGetDriverByName("GPKG");
    REQUIRE(drv != nullptr);
    GDALDatasetH ds = GDALCreate(drv, path.c_str(), 0, 0, 0, GDT_Unknown, nullptr);
    REQUIRE(ds != nullptr);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    OSRImportFromEPSG(srs, epsg);
    OGRLayerH l = GDALDatasetCreateLayer(ds, "amenities", srs, wkbPoint, nullptr);
    OSRDestroySpatialReference(srs);
    OGRFieldDefnH fd = OGR_Fld_Create("type", OFTString);
    OGR_L_CreateField(l, fd, 1);
    OGR_Fld_Destroy(fd);
    for (std::size_t i = 0; i < pts.size(); ++i) {
        OGRFeatureH f = OGR_F_Create(OGR_L_GetLayerDefn(l));
        OGR_F_SetFieldString(f, 0, types[i].c_str());
        OGRGeometryH p = OGR_G_CreateGeometry(wkbPoint);
        OGR_G_SetPoint_2D(p, 0, pts[i][0], pts[i][1]);
        OGR_F_SetGeometryDirectly(f, p);
        REQUIRE(OGR_L_CreateFeature(l, f) == OGRERR_NONE);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
}

}  // namespace

TEST_CASE("focal: integer window ops equal brute force bit for bit, with the input's georeference",
          "[focal]") {
    TempDir dir;
    const GridSpec g = test_grid();
    const auto a = random_ints(g, 7);
    leefbaar::io::write_geotiff<std::int32_t>(dir / "a.tif", g, a, kNd);

    const std::vector<std::pair<std::string, std::int64_t>> cases = {
        {"sum", 250}, {"count", 250}, {"min", 250}, {"max", 250}, {"sum", 100}, {"sum", 500}};
    std::vector<std::string> cmds;
    for (const auto& [op, r] : cases)
        cmds.push_back(focal_cmd("--op " + op + " --radius " + std::to_string(r) + " " +
                                 (dir / "a.tif") + " " +
                                 (dir / (op + std::to_string(r) + ".tif"))));
    cmds.push_back(focal_cmd("--op annulus --inner 150 --radius 400 " + (dir / "a.tif") + " " +
                             (dir / "ann.tif")));
    cmds.push_back(
        focal_cmd("--op square-sum --radius 250 " + (dir / "a.tif") + " " + (dir / "sq.tif")));
    const auto results = run_all(cmds, dir);
    for (std::size_t c = 0; c < results.size(); ++c) {
        INFO(cmds[c] << "\n" << results[c].err);
        REQUIRE(results[c].code == 0);
    }
    for (const auto& [op, r] : cases) {
        {
            INFO("op " << op << " radius " << r);
            const std::string out = dir / (op + std::to_string(r) + ".tif");
            const auto img = read_image<std::int32_t>(out);
            CHECK(img.type == GDT_Int32);
            CHECK(img.has_nodata);
            CHECK(img.nodata == double(kNd));
            check_georef(img, g);
            std::vector<std::int64_t> sum(a.size(), 0), cnt(a.size(), 0);
            std::vector<std::int32_t> mn(a.size(), std::numeric_limits<std::int32_t>::max()),
                mx(a.size(), std::numeric_limits<std::int32_t>::min());
            brute_disc(g, a, r, [&](std::size_t c, std::size_t n, auto, auto) {
                if (a[n] == kNd) return;
                sum[c] += a[n];
                ++cnt[c];
                mn[c] = std::min(mn[c], a[n]);
                mx[c] = std::max(mx[c], a[n]);
            });
            std::size_t mismatches = 0;
            for (std::size_t i = 0; i < a.size(); ++i) {
                std::int32_t want = 0;
                if (op == "count")
                    want = std::int32_t(cnt[i]);
                else if (cnt[i] == 0)
                    want = kNd;
                else if (op == "sum")
                    want = std::int32_t(sum[i]);
                else if (op == "min")
                    want = mn[i];
                else
                    want = mx[i];
                mismatches += img.v[i] != want;
            }
            CHECK(mismatches == 0);
        }
    }

    {
        const std::string out = dir / "ann.tif";
        const auto img = read_image<std::int32_t>(out);
        std::vector<std::int64_t> sum(a.size(), 0), cnt(a.size(), 0);
        brute_disc(g, a, 400, [&](std::size_t c, std::size_t n, std::int64_t dx, std::int64_t dy) {
            if (a[n] == kNd || within(dx, dy, 150)) return;
            sum[c] += a[n];
            ++cnt[c];
        });
        std::size_t mismatches = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            mismatches += img.v[i] != (cnt[i] ? std::int32_t(sum[i]) : kNd);
        CHECK(mismatches == 0);

        const std::string sq = dir / "sq.tif";
        const auto simg = read_image<std::int32_t>(sq);
        mismatches = 0;
        for (std::int64_t y = 0; y < g.ny; ++y)
            for (std::int64_t x = 0; x < g.nx; ++x) {
                std::int64_t s = 0, c = 0;
                for (std::int64_t yy = std::max<std::int64_t>(0, y - 2);
                     yy <= std::min(g.ny - 1, y + 2); ++yy)
                    for (std::int64_t xx = std::max<std::int64_t>(0, x - 2);
                         xx <= std::min(g.nx - 1, x + 2); ++xx)
                        if (a[std::size_t(yy * g.nx + xx)] != kNd)
                            s += a[std::size_t(yy * g.nx + xx)], ++c;
                mismatches += simg.v[std::size_t(y * g.nx + x)] != (c ? std::int32_t(s) : kNd);
            }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("focal: float ops (share, mean, gaussian, distance) match brute force", "[focal]") {
    TempDir dir;
    const GridSpec g = test_grid();
    const auto a = random_ints(g, 11);
    auto b = random_ints(g, 12);
    for (auto& v : b)
        if (v != kNd) v = std::abs(v) + 1;  // positive denominators, mostly
    leefbaar::io::write_geotiff<std::int32_t>(dir / "a.tif", g, a, kNd);
    leefbaar::io::write_geotiff<std::int32_t>(dir / "b.tif", g, b, kNd);
    const auto f = random_floats(g, 5);
    leefbaar::io::write_geotiff<float>(dir / "f.tif", g, f,
                                       std::numeric_limits<float>::quiet_NaN());
    // Sparse features so that distances vary.
    std::vector<std::int32_t> feat(a.size(), 0);
    for (std::size_t i = 0; i < a.size(); ++i) feat[i] = a[i] == kNd ? kNd : (a[i] > 31 ? 1 : 0);
    leefbaar::io::write_geotiff<std::int32_t>(dir / "feat.tif", g, feat, kNd);
    const std::vector<std::string> cmds = {
        focal_cmd("--op share --radius 300 " + (dir / "a.tif") + " " + (dir / "b.tif") + " " +
                  (dir / "s.tif")),
        focal_cmd("--op mean --float32 --radius 200 " + (dir / "f.tif") + " " + (dir / "m.tif")),
        focal_cmd("--op gaussian --sigma 100 " + (dir / "a.tif") + " " + (dir / "g.tif")),
        focal_cmd("--op distance --max 700 " + (dir / "feat.tif") + " " + (dir / "d700.tif")),
        focal_cmd("--op distance " + (dir / "feat.tif") + " " + (dir / "dinf.tif"), 2),
    };
    const auto results = run_all(cmds, dir);
    for (std::size_t c = 0; c < results.size(); ++c) {
        INFO(cmds[c] << "\n" << results[c].err);
        REQUIRE(results[c].code == 0);
    }

    {  // share
        const auto img = read_image<double>(dir / "s.tif");
        CHECK(img.type == GDT_Float64);
        CHECK(img.epsg == 28992);
        std::vector<std::int64_t> sa(a.size(), 0), sb(a.size(), 0);
        brute_disc(g, a, 300, [&](std::size_t c, std::size_t n, auto, auto) {
            if (a[n] == kNd || b[n] == kNd) return;
            sa[c] += a[n];
            sb[c] += b[n];
        });
        std::size_t bad = 0;
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (sb[i] == 0)
                bad += !std::isnan(img.v[i]);
            else
                bad += std::abs(img.v[i] - double(sa[i]) / double(sb[i])) > 1e-12;
        }
        CHECK(bad == 0);
    }
    {  // mean of a float raster, Float32 output
        const auto img = read_image<float>(dir / "m.tif");
        CHECK(img.type == GDT_Float32);
        std::vector<double> s(f.size(), 0);
        std::vector<std::int64_t> c(f.size(), 0);
        brute_disc(g, f, 200, [&](std::size_t cc, std::size_t n, auto, auto) {
            if (std::isnan(f[n])) return;
            s[cc] += f[n];
            ++c[cc];
        });
        std::size_t bad = 0;
        for (std::size_t i = 0; i < f.size(); ++i) {
            if (c[i] == 0)
                bad += !std::isnan(img.v[i]);
            else
                bad += img.v[i] !=
                       float(s[i] / double(c[i]));  // values are multiples of 1/64: exact sums
        }
        CHECK(bad == 0);
    }
    {  // gaussian
        const auto img = read_image<double>(dir / "g.tif");
        std::size_t bad = 0;
        double maxerr = 0;
        for (std::int64_t y = 0; y < g.ny; ++y)
            for (std::int64_t x = 0; x < g.nx; ++x) {
                double s = 0;
                for (std::int64_t dy = -4; dy <= 4; ++dy)
                    for (std::int64_t dx = -4; dx <= 4; ++dx) {
                        const auto xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= g.nx || yy >= g.ny) continue;
                        const auto v = a[std::size_t(yy * g.nx + xx)];
                        if (v != kNd) s += v * std::exp(-double(dx * dx + dy * dy) / 2.0);
                    }
                const double err = std::abs(img.v[std::size_t(y * g.nx + x)] - s);
                maxerr = std::max(maxerr, err);
                bad += err > 1e-9 * (1 + std::abs(s));
            }
        INFO("max error " << maxerr);
        CHECK(bad == 0);
    }
    {  // distance with a cap, and uncapped (whole grid, 2 ranks)
        for (const double cap : {700.0, 1e300}) {
            INFO("distance cap " << cap);
            const auto img = read_image<double>(dir / (cap < 1e300 ? "d700.tif" : "dinf.tif"));
            std::size_t bad = 0;
            for (std::int64_t y = 0; y < g.ny; ++y)
                for (std::int64_t x = 0; x < g.nx; ++x) {
                    const auto i = std::size_t(y * g.nx + x);
                    if (feat[i] == kNd) {
                        bad += !std::isnan(img.v[i]);
                        continue;
                    }
                    std::int64_t best = std::numeric_limits<std::int64_t>::max();
                    for (std::int64_t yy = 0; yy < g.ny; ++yy)
                        for (std::int64_t xx = 0; xx < g.nx; ++xx)
                            if (feat[std::size_t(yy * g.nx + xx)] == 1)
                                best = std::min(best, (xx - x) * (xx - x) + (yy - y) * (yy - y));
                    const double want =
                        double(best) * 10000 > cap * cap ? cap : std::sqrt(double(best)) * 100.0;
                    bad += std::abs(img.v[i] - want) > 1e-9;
                }
            CHECK(bad == 0);
        }
    }
}

TEST_CASE("focal: point operations with --where equal brute force", "[focal]") {
    TempDir dir;
    const GridSpec g = test_grid();
    leefbaar::io::write_geotiff<std::int32_t>(dir / "grid.tif", g, random_ints(g, 3), kNd);
    std::mt19937 rng(99);
    std::uniform_real_distribution<double> ux(g.xmin - 500, g.xmax() + 500),
        uy(g.ymin() - 500, g.ymax + 500);
    std::vector<std::array<double, 2>> pts;
    std::vector<std::string> types;
    for (int i = 0; i < 60; ++i) {
        pts.push_back({std::round(ux(rng)), std::round(uy(rng))});
        types.push_back(i % 3 == 0 ? "supermarket" : "school");
    }
    write_points(dir / "amenities.gpkg", pts, types);
    const std::string common = "--points " + (dir / "amenities.gpkg") +
                               " --where \"type='supermarket'\" --like " + (dir / "grid.tif");

    const std::vector<std::string> cmds = {
        focal_cmd("--op point-count --radius 800 " + common + " " + (dir / "pc.tif")),
        focal_cmd("--op point-distance " + common + " " + (dir / "pd.tif"), 3),
        focal_cmd("--op kth-point-distance --k 3 --max 1500 " + common + " " + (dir / "pk.tif")),
    };
    const auto results = run_all(cmds, dir);
    for (std::size_t c = 0; c < results.size(); ++c) {
        INFO(cmds[c] << "\n" << results[c].err);
        REQUIRE(results[c].code == 0);
    }
    const auto pc = read_image<std::int32_t>(dir / "pc.tif");
    const auto pd = read_image<double>(dir / "pd.tif");
    const auto pk = read_image<double>(dir / "pk.tif");
    CHECK(pc.type == GDT_Int32);
    check_georef(pc, g);
    std::size_t bad = 0;
    for (std::int64_t y = 0; y < g.ny; ++y)
        for (std::int64_t x = 0; x < g.nx; ++x) {
            const double cx = g.centre_x(x), cy = g.centre_y(y);
            std::vector<double> d2;
            for (std::size_t i = 0; i < pts.size(); ++i)
                if (types[i] == "supermarket")
                    d2.push_back((pts[i][0] - cx) * (pts[i][0] - cx) +
                                 (pts[i][1] - cy) * (pts[i][1] - cy));
            std::sort(d2.begin(), d2.end());
            const auto i = std::size_t(y * g.nx + x);
            // Coordinates are whole metres or half-hectometres: squared distances are exact.
            bad += pc.v[i] !=
                   std::count_if(d2.begin(), d2.end(), [](double v) { return v <= 800.0 * 800.0; });
            bad += std::abs(pd.v[i] - std::sqrt(d2[0])) > 1e-9;
            bad += std::abs(pk.v[i] - std::min(1500.0, std::sqrt(d2[2]))) > 1e-9;
        }
    CHECK(bad == 0);
}

TEST_CASE("focal: identical output at 1, 2 and 3 ranks and 1 and 2 threads", "[focal][mpi]") {
    TempDir dir;
    const GridSpec g = test_grid(53, 41);
    leefbaar::io::write_geotiff<std::int32_t>(dir / "a.tif", g, random_ints(g, 21), kNd);
    leefbaar::io::write_geotiff<float>(dir / "f.tif", g, random_floats(g, 22),
                                       std::numeric_limits<float>::quiet_NaN());
    const std::vector<std::string> cases = {
        "--op sum --radius 700 " + (dir / "a.tif"),
        "--op mean --radius 300 " + (dir / "f.tif"),
        "--op exponential --length 200 --radius 600 " + (dir / "a.tif"),
        "--op distance --max 900 " + (dir / "a.tif"),
    };
    // (ranks, threads); ranks 0 = no mpiexec (singleton). The first is the reference.
    const std::vector<std::pair<int, int>> layouts = {{0, 1}, {0, 2}, {2, 1}, {3, 2}};
    std::vector<std::string> cmds, outs;
    for (std::size_t c = 0; c < cases.size(); ++c)
        for (const auto& [ranks, threads] : layouts) {
            outs.push_back(dir / ("o" + std::to_string(c) + "_" + std::to_string(ranks) + "_" +
                                  std::to_string(threads) + ".tif"));
            cmds.push_back(focal_cmd(cases[c] + " " + outs.back(), ranks, threads));
        }
    const auto results = run_all(cmds, dir);
    for (std::size_t i = 0; i < cmds.size(); ++i) {
        INFO(cmds[i] << "\n" << results[i].err);
        REQUIRE(results[i].code == 0);
        const std::size_t ref = i - i % layouts.size();
        if (i != ref) CHECK(file_pixels(outs[i]) == file_pixels(outs[ref]));
    }
}

TEST_CASE("focal: bad input gives a clear message, the documented exit code and no output",
          "[focal]") {
    TempDir dir;
    const GridSpec g = test_grid();
    leefbaar::io::write_geotiff<std::int32_t>(dir / "a.tif", g, random_ints(g, 1), kNd);
    leefbaar::io::write_geotiff<float>(dir / "f.tif", g, random_floats(g, 2),
                                       std::numeric_limits<float>::quiet_NaN());
    GridSpec other = g;
    other.nx = 30;
    leefbaar::io::write_geotiff<std::int32_t>(dir / "other.tif", other, random_ints(other, 3), kNd);
    write_points(dir / "pts.gpkg", {{125000, 488000}}, {"school"});
    write_points(dir / "empty.gpkg", {}, {});
    const std::string a = dir / "a.tif", out = dir / "out.tif";
    const std::string pts = "--points " + (dir / "pts.gpkg") + " --like " + a;

    struct Bad {
        std::string args;
        int code;
        std::vector<std::string> says;
    };
    const std::vector<Bad> bad = {
        {"--op sum --radius -5 " + a + " " + out, 2, {"--radius", "-5", "> 0"}},
        {"--op sum --radius=0 " + a + " " + out, 2, {"--radius 0", "> 0"}},
        {"--op sum --radius 5000 " + a + " " + out,
         2,
         {"--radius 5000", "beyond the grid", "a.tif"}},
        {"--op gaussian --sigma 2000 " + a + " " + out, 2, {"--sigma 2000", "beyond the grid"}},
        {"--op sum " + a + " " + out, 2, {"needs --radius"}},
        {"--op sum --radius 200 --sigma 3 " + a + " " + out, 2, {"--sigma does not apply"}},
        {"--op annulus --inner 300 --radius 200 " + a + " " + out,
         2,
         {"--inner 300", "smaller than --radius"}},
        {"--op share --radius 200 " + a + " " + (dir / "other.tif") + " " + out,
         1,
         {"other.tif", "one grid", "30 x 29"}},
        {"--op rate --radius 200 " + a + " " + out, 2, {"takes 3 file arguments"}},
        {"--op distance --max 500 " + (dir / "f.tif") + " " + out,
         1,
         {"f.tif", "Float32", "integer raster"}},
        {"--op point-distance --points " + (dir / "empty.gpkg") + " --like " + a + " " + out,
         1,
         {"empty.gpkg", "no points"}},
        {"--op point-distance " + pts + " --where \"type='supermarket'\" " + out,
         1,
         {"pts.gpkg", "no points matching --where", "supermarket"}},
        {"--op point-distance " + pts + " --where \"nosuchfield = 1\" " + out,
         2,
         {"--where", "not a valid filter"}},
        {"--op point-count " + pts + " " + out, 2, {"needs --radius"}},
        {"--op median --radius 200 " + a + " " + out, 2, {"median"}},
        {"--op sum --radius 200 " + (dir / "missing.tif") + " " + out,
         2,
         {"missing.tif", "does not exist"}},
        {"--op sum --radius 200 " + a + " " + (dir / "nodir/out.tif"),
         2,
         {"nodir", "does not exist"}},
    };
    std::vector<std::string> cmds;
    for (const auto& b : bad) cmds.push_back(focal_cmd(b.args));
    // Under MPI the same error stops every rank with the same code and leaves nothing behind.
    cmds.push_back(focal_cmd("--op distance --max 500 " + (dir / "f.tif") + " " + out, 2));
    const auto results = run_all(cmds, dir);
    for (std::size_t i = 0; i < bad.size(); ++i) {
        INFO("leefbaar focal " << bad[i].args);
        INFO("stderr: " << results[i].err);
        CHECK(results[i].code == bad[i].code);
        for (const auto& s : bad[i].says) CHECK(results[i].err.find(s) != std::string::npos);
    }
    CHECK(results.back().code == 1);
    CHECK(results.back().err.find("integer raster") != std::string::npos);
    CHECK(!fs::exists(out));
    CHECK(!fs::exists(out + ".partial"));
    CHECK(!fs::exists(dir / "nodir"));

    {  // --help lists every operation with its parameters
        const std::string help = dir / "help.txt";
        REQUIRE(std::system((std::string(LEEFBAAR_BINARY) + " focal --help > " + help).c_str()) ==
                0);
        std::ifstream in(help);
        std::stringstream ss;
        ss << in.rdbuf();
        for (const char* s : {"sum",
                              "count",
                              "mean",
                              "share",
                              "rate",
                              "density",
                              "min",
                              "max",
                              "annulus",
                              "square-sum",
                              "square-mean",
                              "gaussian",
                              "exponential",
                              "linear",
                              "distance",
                              "point-distance",
                              "kth-point-distance",
                              "point-count",
                              "--sigma S",
                              "--inner I",
                              "--length L",
                              "--k K",
                              "Int32",
                              "nodata",
                              "exit 2",
                              "exit 1"})
            CHECK(ss.str().find(s) != std::string::npos);
    }
}
