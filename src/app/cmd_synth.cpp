// `leefbaar synth`: writes a synthetic Netherlands (rasters per year, zones, amenity points and a
// manifest) for the model stage. Each rank generates its own block of the decomposition; each
// layer is gathered to one writer rank, chosen round-robin, so ranks write different files at
// the same time. Output goes to DIR.partial-XXXX and is renamed to DIR when complete.

#include <mpi.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <sstream>

#include "app/commands.hpp"
#include "app/log.hpp"
#include "core/error.hpp"
#include "core/synth.hpp"
#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/halo.hpp"
#include "dist/reduce.hpp"
#include "io/gdal_raster.hpp"
#include "io/vector_write.hpp"
#include "io/zones.hpp"

namespace leefbaar::app {

namespace {

namespace fs = std::filesystem;

struct SynthArgs {
    std::string out;
    std::string years = "2012,2014,2016,2018";
    std::uint64_t seed = 2018;
    std::string preset = "national";
    double cell = 100.0;
    std::string extent;
    std::string boundaries;
    bool force = false;
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, sep)) out.push_back(item);
    return out;
}

double parse_number(const std::string& s, const std::string& what) {
    try {
        std::size_t pos = 0;
        const double v = std::stod(s, &pos);
        if (pos != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw UsageError("synth", what + ": '" + s + "' is not a number");
    }
}

synth::SynthOptions parse_options(const SynthArgs& a) {
    synth::SynthOptions o;
    o.preset = synth::parse_preset(a.preset);
    o.seed = a.seed;
    o.cell = a.cell;
    o.years.clear();
    for (const auto& y : split(a.years, ',')) {
        const double v = parse_number(y, "--years");
        if (v != double(int(v)))
            throw UsageError("synth", "--years: '" + y + "' is not a whole year");
        o.years.push_back(int(v));
    }
    if (!a.extent.empty()) {
        const auto parts = split(a.extent, ',');
        if (parts.size() != 4)
            throw UsageError("synth",
                             "--extent '" + a.extent + "' must be XMIN,YMIN,XMAX,YMAX (4 numbers)");
        std::array<double, 4> e{};
        for (int i = 0; i < 4; ++i)
            e[std::size_t(i)] = parse_number(parts[std::size_t(i)], "--extent");
        o.extent = e;
    }
    synth::make_grid(o);  // validates years, cell and extent
    return o;
}

// Runs `f` on every rank; if it failed anywhere, rank 0 removes the partial output, and the
// failing rank rethrows (main reports it once and stops every rank). `f` must not call
// collectives after it may have thrown.
template <class F>
void stage(const std::string& partial, F&& f) {
    std::exception_ptr ep;
    try {
        f();
    } catch (...) {
        ep = std::current_exception();
    }
    const int bad = dist::first_failed_rank(ep != nullptr);
    if (bad < 0) return;
    if (dist::rank() == 0 && !partial.empty()) {
        std::error_code ec;
        fs::remove_all(partial, ec);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() == bad) std::rethrow_exception(ep);
    // The failing rank aborts every rank after reporting; wait for it here.
    MPI_Barrier(MPI_COMM_WORLD);
    throw Error("synth", "rank " + std::to_string(bad) + " failed");
}

std::string bcast_string(std::string s) {
    int n = int(s.size());
    MPI_Bcast(&n, 1, MPI_INT, 0, MPI_COMM_WORLD);
    s.resize(std::size_t(n));
    MPI_Bcast(s.data(), n, MPI_CHAR, 0, MPI_COMM_WORLD);
    return s;
}

// Real municipalities and COROP regions rasterised on the whole grid (every rank keeps a copy;
// wijk and buurt seeds are drawn against it).
std::unique_ptr<synth::ExternalZones> load_boundaries(const std::string& dir,
                                                      const GridSpec& grid) {
    const fs::path d(dir);
    if (!fs::is_directory(d)) throw UsageError("synth", "--boundaries " + dir + " is not a folder");
    for (const char* f : {"gemeente_2018.gpkg", "coropplusgebied_2018.gpkg"})
        if (!fs::exists(d / f))
            throw UsageError("synth",
                             "--boundaries " + dir + " has no " + f +
                                 " (expected gemeente_2018.gpkg and coropplusgebied_2018.gpkg with "
                                 "fields statcode, statnaam; optionally coropgebied_2018.gpkg)");
    auto ext = std::make_unique<synth::ExternalZones>();
    ext->grid = grid;
    auto rasterise = [&](const std::string& stem) {
        io::ZoneSource src{(d / (stem + ".gpkg")).string(), "", "statcode", "statnaam", ""};
        try {
            return io::rasterise_zones(src, grid, grid.window(), 0);
        } catch (const Error& e) {
            throw UsageError("synth", std::string("--boundaries: ") + e.what());
        }
    };
    auto gm = rasterise("gemeente_2018");
    auto cp = rasterise("coropplusgebied_2018");
    ext->gemeente_ids = gm.ids.data;
    ext->gm_codes = gm.table.codes;
    ext->gm_names = gm.table.names;
    ext->cp_codes = cp.table.codes;
    ext->cp_names = cp.table.names;
    // Gemeente -> COROP-plus by majority of cells.
    auto majority = [](const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b,
                       std::size_t na, std::size_t nb) {
        std::vector<std::int64_t> m(na * nb, 0);
        for (std::size_t i = 0; i < a.size(); ++i)
            if (a[i] > 0 && b[i] > 0) ++m[std::size_t(a[i] - 1) * nb + std::size_t(b[i] - 1)];
        std::vector<int> out(na, -1);
        for (std::size_t i = 0; i < na; ++i) {
            std::int64_t best = 0;
            for (std::size_t k = 0; k < nb; ++k)
                if (m[i * nb + k] > best) {
                    best = m[i * nb + k];
                    out[i] = int(k);
                }
        }
        return out;
    };
    ext->gm_coropplus = majority(gm.ids.data, cp.ids.data, gm.table.size(), cp.table.size());
    const fs::path crf = d / "coropgebied_2018.gpkg";
    if (fs::exists(crf)) {
        auto cr = rasterise("coropgebied_2018");
        ext->cr_codes = cr.table.codes;
        ext->cr_names = cr.table.names;
        ext->cp_corop = majority(cp.ids.data, cr.ids.data, cp.table.size(), cr.table.size());
    } else {
        // CBS COROP-plus codes embed their COROP number: CP0100 lies in CR01.
        std::map<std::string, int> idx;
        for (const auto& c : cp.table.codes) idx.emplace("CR" + c.substr(2, 2), 0);
        int k = 0;
        for (auto& [code, i] : idx) {
            i = k++;
            ext->cr_codes.push_back(code);
            ext->cr_names.push_back("COROP " + code.substr(2));
        }
        for (const auto& c : cp.table.codes) ext->cp_corop.push_back(idx["CR" + c.substr(2, 2)]);
    }
    // A COROP-plus region without cells on this grid has no COROP by majority; use its code.
    for (std::size_t i = 0; i < ext->cp_corop.size(); ++i)
        if (ext->cp_corop[i] < 0) {
            const auto code = "CR" + ext->cp_codes[i].substr(2, 2);
            const auto it = std::find(ext->cr_codes.begin(), ext->cr_codes.end(), code);
            ext->cp_corop[i] = it == ext->cr_codes.end() ? 0 : int(it - ext->cr_codes.begin());
        }
    return ext;
}

// Gathers every rank's points to `root`, sorted (the per-cell streams make the set independent
// of the split; sorting makes the order independent too).
std::vector<synth::AmenityPoint> gather_points(const std::vector<synth::AmenityPoint>& mine,
                                               int root) {
    const int n = dist::size();
    const int bytes = int(mine.size() * sizeof(synth::AmenityPoint));
    std::vector<int> counts(static_cast<std::size_t>(n)), displs(static_cast<std::size_t>(n));
    MPI_Gather(&bytes, 1, MPI_INT, counts.data(), 1, MPI_INT, root, MPI_COMM_WORLD);
    std::vector<synth::AmenityPoint> all;
    if (dist::rank() == root) {
        for (int p = 1; p < n; ++p)
            displs[std::size_t(p)] = displs[std::size_t(p - 1)] + counts[std::size_t(p - 1)];
        all.resize(std::size_t(displs.back() + counts.back()) / sizeof(synth::AmenityPoint));
    }
    dist::check(MPI_Gatherv(mine.data(), bytes, MPI_BYTE, all.data(), counts.data(), displs.data(),
                            MPI_BYTE, root, MPI_COMM_WORLD),
                "MPI_Gatherv(points)");
    std::sort(all.begin(), all.end());
    return all;
}

fs::path out_path(const SynthArgs& args) {
    fs::path out = fs::absolute(args.out).lexically_normal();
    if (out.filename().empty()) out = out.parent_path();
    return out;
}

void validate(const SynthArgs& args, synth::SynthOptions& opt, GridSpec& grid) {
    opt = parse_options(args);
    grid = synth::make_grid(opt);
    if (args.out.empty()) throw UsageError("synth", "--out DIR is required");
    const fs::path out = out_path(args);
    if (fs::exists(out) && !args.force)
        throw UsageError("synth", "output folder " + out.string() +
                                      " already exists (use --force to replace it)");
    if (!args.boundaries.empty()) {
        const fs::path d(args.boundaries);
        if (!fs::is_directory(d))
            throw UsageError("synth", "--boundaries " + args.boundaries + " is not a folder");
        for (const char* f : {"gemeente_2018.gpkg", "coropplusgebied_2018.gpkg"})
            if (!fs::exists(d / f))
                throw UsageError("synth",
                                 "--boundaries " + args.boundaries + " has no " + f +
                                     " (expected gemeente_2018.gpkg and coropplusgebied_2018.gpkg "
                                     "with fields statcode and statnaam)");
    }
}

void run_synth(const SynthArgs& args) {
    const int rank = dist::rank(), nranks = dist::size();
    synth::SynthOptions opt;
    GridSpec grid;
    // Validation runs on every rank alike; stage() reports a failure once (from rank 0).
    stage("", [&] { validate(args, opt, grid); });
    progress("synth: preset " + synth::preset_name(opt.preset) + ", grid " + grid.describe() +
             ", " + std::to_string(opt.years.size()) + " years, seed " + std::to_string(opt.seed) +
             ", " + std::to_string(nranks) + " ranks");
    const fs::path out = out_path(args);
    // The partial folder: one name for every rank.
    std::string partial;
    stage("", [&] {
        if (rank != 0) return;
        std::random_device rd;
        char suffix[16];
        std::snprintf(suffix, sizeof suffix, "%08x", unsigned(rd()));
        const fs::path p = out.string() + ".partial-" + suffix;
        std::error_code ec;
        if (!fs::is_directory(out.parent_path()))
            throw Error("synth", "cannot write output folder " + out.string() + ": parent folder " +
                                     out.parent_path().string() + " does not exist");
        fs::create_directory(p, ec);
        if (ec)
            throw Error("synth", "cannot create output folder " + p.string() + " (is " +
                                     out.parent_path().string() + " writable?): " + ec.message());
        for (int y : opt.years) fs::create_directory(p / std::to_string(y), ec);
        if (ec)
            throw Error("synth",
                        "cannot create year folders in " + p.string() + ": " + ec.message());
        // Probe that files can really be written (a read-only mount passes mkdir checks rarely,
        // but quota or permissions can still refuse files).
        std::ofstream probe(p / ".probe");
        if (!probe) throw Error("synth", "cannot write files in output folder " + p.string());
        probe.close();
        fs::remove(p / ".probe", ec);
        partial = p.string();
    });
    partial = bcast_string(partial);
    const fs::path dir(partial);

    std::unique_ptr<synth::ExternalZones> ext;
    std::unique_ptr<synth::World> world;
    stage(partial, [&] {
        if (!args.boundaries.empty()) {
            ext = load_boundaries(args.boundaries, grid);
            progress("synth: boundaries rasterised: " + std::to_string(ext->gm_codes.size()) +
                     " gemeenten, " + std::to_string(ext->cp_codes.size()) + " COROP-plus regions");
        }
        world = std::make_unique<synth::World>(opt, ext.get());
    });
    progress("synth: world built: " + std::to_string(world->settlements().size()) +
             " settlements, " + std::to_string(world->zones(synth::buurt).size()) + " buurt seeds");

    dist::Decomposition d(grid, MPI_COMM_WORLD);
    std::unique_ptr<synth::Generator> gen;
    stage(partial, [&] { gen = std::make_unique<synth::Generator>(*world, d.block()); });
    progress("synth: static fields and zones of every block computed");

    // Zones present on the grid, then their polygons (gathered id raster, polygonised on rank 0).
    std::vector<std::int64_t> bcells(world->zones(synth::buurt).size(), 0);
    for (auto b : gen->buurt())
        if (b >= 0) ++bcells[std::size_t(b)];
    dist::allreduce_sum(std::span<std::int64_t>(bcells), MPI_COMM_WORLD);
    const synth::ZoneOutput zones = synth::zone_output(*world, bcells);
    Raster<std::int32_t> braster(d.block(), 0, -1);
    braster.data = gen->buurt();
    const std::vector<std::int32_t> ball = dist::gather_grid(d, braster, 0);
    stage(partial, [&] {
        if (rank != 0) return;
        std::vector<io::PolygonLayer> pls;
        for (int l = 0; l < synth::kLevels; ++l) {
            const auto& z = zones.levels[std::size_t(l)];
            const auto ids = synth::level_ids(zones, *world, synth::Level(l), ball);
            io::PolygonLayer pl;
            pl.name = z.name;
            pl.geometries = io::polygonize_ids(grid, ids, std::int32_t(z.codes.size()));
            pl.fields.push_back({"code", false, z.codes, {}});
            pl.fields.push_back({"name", false, z.names, {}});
            static const char* parent[] = {"wijk_code", "gemeente_code", "coropplus_code",
                                           "corop_code", ""};
            if (*parent[l]) pl.fields.push_back({parent[l], false, z.parent_codes, {}});
            if (l == synth::gemeente) {
                pl.fields.push_back({"corop_code", false, z.corop_codes, {}});
                pl.fields.push_back({"group", false, z.group, {}});
                std::vector<std::int64_t> dec(z.declining.begin(), z.declining.end());
                pl.fields.push_back({"declining", true, {}, dec});
            }
            pls.push_back(std::move(pl));
        }
        io::write_polygon_layers((dir / "zones.gpkg").string(), grid.epsg, pls);
    });
    std::string zone_counts;
    for (const auto& z : zones.levels)
        zone_counts += " " + std::to_string(z.codes.size()) + " " + z.name;
    progress("synth: zones.gpkg written:" + zone_counts);

    // Layers per year: batches of one layer per rank, each gathered to its writer.
    const auto& infos = synth::layers();
    std::ostringstream totals;
    std::int64_t job = 0;
    for (std::size_t yi = 0; yi < opt.years.size(); ++yi) {
        const int year = opt.years[yi];
        std::vector<Raster<std::int32_t>> lay;
        std::vector<synth::AmenityPoint> pts;
        stage(partial, [&] {
            lay = gen->generate(year);
            pts = gen->points(year, lay);
        });
        // National totals (exact integer sums) for the log and the manifest.
        std::vector<std::int64_t> t(4 + infos.size(), 0);
        const int ires = synth::layer_index("residents"), idw = synth::layer_index("dwellings"),
                  iland = synth::layer_index("land");
        for (std::size_t i = 0; i < lay[0].data.size(); ++i) {
            if (lay[std::size_t(ires)].data[i] > 0) ++t[0];
            if (lay[std::size_t(iland)].data[i] > 0) ++t[1];
        }
        for (std::size_t l = 0; l < infos.size(); ++l)
            for (auto v : lay[l].data) t[4 + l] += v;
        dist::allreduce_sum(std::span<std::int64_t>(t), MPI_COMM_WORLD);
        totals << "\n[totals." << year << "]\n";
        totals << "populated_cells = " << t[0] << "\nland_cells = " << t[1] << "\n";
        for (std::size_t l = 0; l < infos.size(); ++l)
            totals << infos[l].name << " = " << t[4 + l] << "\n";
        progress("synth: " + std::to_string(year) + ": " +
                 std::to_string(t[4 + std::size_t(ires)]) + " residents, " +
                 std::to_string(t[4 + std::size_t(idw)]) + " dwellings, " + std::to_string(t[0]) +
                 " populated cells");

        const std::size_t nl = infos.size();
        for (std::size_t b0 = 0; b0 < nl; b0 += std::size_t(nranks)) {
            std::vector<std::int32_t> mine32;
            std::vector<std::uint8_t> mine8;
            int my_layer = -1;
            for (std::size_t l = b0; l < std::min(nl, b0 + std::size_t(nranks)); ++l) {
                const int writer = int((job++) % nranks);
                if (infos[l].byte) {
                    Raster<std::uint8_t> r8(d.block(), 0, 0);
                    for (std::size_t i = 0; i < r8.data.size(); ++i)
                        r8.data[i] = std::uint8_t(lay[l].data[i]);
                    auto all = dist::gather_grid(d, r8, writer);
                    if (rank == writer) mine8 = std::move(all), my_layer = int(l);
                } else {
                    auto all = dist::gather_grid(d, lay[l], writer);
                    if (rank == writer) mine32 = std::move(all), my_layer = int(l);
                }
                lay[l].data.clear();
                lay[l].data.shrink_to_fit();
            }
            stage(partial, [&] {
                if (my_layer < 0) return;
                const auto& li = infos[std::size_t(my_layer)];
                io::GeoTiffOptions go;
                go.description = li.name;
                go.metadata = {{"LAYER", li.name},
                               {"YEAR", std::to_string(year)},
                               {"UNIT", li.unit},
                               {"GENERATOR", synth::kGenerator},
                               {"DESCRIPTION", li.description}};
                const std::string path = (dir / std::to_string(year) / (li.name + ".tif")).string();
                if (li.byte)
                    io::write_geotiff<std::uint8_t>(path, grid,
                                                    std::span<const std::uint8_t>(mine8), 255, go);
                else
                    io::write_geotiff<std::int32_t>(path, grid,
                                                    std::span<const std::int32_t>(mine32), -1, go);
            });
        }
        const int pwriter = int(yi % std::size_t(nranks));
        const auto all = gather_points(pts, pwriter);
        stage(partial, [&] {
            if (rank != pwriter) return;
            std::vector<std::int32_t> types(all.size());
            std::vector<double> xs(all.size()), ys(all.size());
            for (std::size_t i = 0; i < all.size(); ++i) {
                types[i] = all[i].type;
                xs[i] = all[i].x;
                ys[i] = all[i].y;
            }
            io::write_points((dir / std::to_string(year) / "points.gpkg").string(), grid.epsg,
                             "amenities", "type", synth::amenity_types(), types, xs, ys);
        });
        progress("synth: " + std::to_string(year) + ": " + std::to_string(infos.size()) +
                 " rasters and points.gpkg written");
    }

    // Manifest, then the rename that makes the dataset visible.
    stage(partial, [&] {
        if (rank != 0) return;
        std::ostringstream zc;
        zc << "\n[zones.counts]\n";
        for (const auto& z : zones.levels) zc << z.name << " = " << z.codes.size() << "\n";
        std::ofstream m(dir / "manifest.toml");
        m << synth::manifest_toml(*world) << zc.str() << totals.str();
        m.close();
        if (!m) throw Error("synth", "writing " + (dir / "manifest.toml").string() + " failed");
        std::error_code ec;
        if (fs::exists(out)) {
            fs::remove_all(out, ec);
            if (ec)
                throw Error("synth",
                            "cannot replace " + out.string() + " (--force): " + ec.message());
        }
        fs::rename(dir, out, ec);
        if (ec)
            throw Error("synth",
                        "renaming " + dir.string() + " to " + out.string() + ": " + ec.message());
    });
    MPI_Barrier(MPI_COMM_WORLD);
    progress("synth: dataset complete in " + out.string());
}

}  // namespace

Command add_synth_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand("synth",
                                   "Generate a synthetic Netherlands: per-year GeoTIFF layers, "
                                   "zones.gpkg (buurt, wijk, gemeente, "
                                   "coropplus, corop), amenity points and manifest.toml");
    auto a = std::make_shared<SynthArgs>();
    sub->add_option("--out", a->out,
                    "output folder (written as OUT.partial-XXXX, renamed when complete)")
        ->required();
    sub->add_option("--years", a->years, "measurement years, sorted, comma-separated")
        ->capture_default_str();
    sub->add_option("--seed", a->seed,
                    "random seed (every file is a pure function of seed and options)")
        ->capture_default_str();
    sub->add_option("--preset", a->preset,
                    "national (RD New 280 x 325 km), small (40 x 30 km) or tiny (4 x 3 km)")
        ->capture_default_str();
    sub->add_option("--cell", a->cell,
                    "cell size in metres (50 or 25 give 4x / 16x cells, same totals)")
        ->capture_default_str();
    sub->add_option("--extent", a->extent,
                    "XMIN,YMIN,XMAX,YMAX in RD New metres (default: the preset's box)");
    sub->add_option("--boundaries", a->boundaries,
                    "folder with gemeente_2018.gpkg and coropplusgebied_2018.gpkg (optionally "
                    "coropgebied_2018.gpkg): real municipalities, synthetic wijken and buurten");
    sub->add_flag("--force", a->force, "replace an existing output folder");
    return {sub, [a] { run_synth(*a); }};
}

}  // namespace leefbaar::app
