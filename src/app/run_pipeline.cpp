#include "app/run_pipeline.hpp"

#include <omp.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "app/aggregate_stage.hpp"
#include "app/cell_table.hpp"
#include "app/log.hpp"
#include "app/memory.hpp"
#include "app/report.hpp"
#include "core/error.hpp"
#include "core/indicators.hpp"
#include "core/model.hpp"
#include "core/run_config.hpp"
#include "core/simd.hpp"
#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "dist/reduce.hpp"
#include "io/fingerprint.hpp"
#include "io/gdal_raster.hpp"
#include "io/hdf5.hpp"
#include "io/points.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr double kFloatNodata = -9999.0;

// Wall time and bytes per stage, for the run manifest and the benchmarks.
struct StageLog {
    struct Entry {
        std::string name;
        double seconds = 0;
        std::int64_t bytes_read = 0, bytes_written = 0;
    };
    std::vector<Entry> entries;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    std::int64_t read_acc = 0, written_acc = 0;
    std::map<std::string, double> indicator_seconds;                // summed over years
    std::map<std::string, double> write_seconds;                    // per dataset (rank 0)
    std::vector<std::pair<std::string, double>> aggregate_seconds;  // sections (rank 0)
    // Where a kernel stage's time goes (this rank), and the bytes its kernel calls touch: per
    // call, each input layer over the block plus that kernel's own reach (int32) and the
    // block's output (double). The benchmarks bound the stage by a memcpy of those bytes.
    struct KernelYear {
        double read_seconds = 0, kernel_seconds = 0, checkpoint_seconds = 0;
        std::int64_t call_bytes = 0, call_bytes_max_rank = 0;
    };
    std::map<std::int64_t, KernelYear> kernel_years;
    void done(const std::string& name) {
        const auto now = std::chrono::steady_clock::now();
        entries.push_back(
            {name, std::chrono::duration<double>(now - t0).count(), read_acc, written_acc});
        t0 = now;
        read_acc = written_acc = 0;
        progress(name + " done (" + std::to_string(entries.back().seconds).substr(0, 6) + " s)");
    }
};

std::int64_t peak_rss_bytes() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return std::int64_t(u.ru_maxrss) * 1024;
}

// Every input of the run, in a fixed order: what the fingerprint covers.
std::vector<std::string> input_files(const RunConfig& rc) {
    std::vector<std::string> files{rc.file, rc.model_file,
                                   (fs::path(rc.data_dir) / "manifest.toml").string()};
    for (const auto y : rc.years) {
        for (const auto& l : rc.model.input_layers()) files.push_back(rc.dataset.layer_path(l, y));
        if (rc.model.uses_points()) files.push_back(rc.dataset.points_path(y));
    }
    return files;
}

// Hashes the files, spread over the ranks, and shares the results (bitwise OR of buffers in
// which each rank filled only its own entries).
std::vector<std::string> fingerprints(const std::vector<std::string>& files, MPI_Comm comm) {
    constexpr std::size_t w = 32;
    std::vector<unsigned char> buf(files.size() * w, 0);
    const int r = dist::rank(comm), n = dist::size(comm);
    std::string err;
    for (std::size_t i = 0; i < files.size(); ++i) {
        if (int(i % std::size_t(n)) != r) continue;
        if (!fs::exists(files[i])) {
            err = "input file " + files[i] + " does not exist";
            break;
        }
        const auto h = io::file_fingerprint(files[i]);
        std::memcpy(&buf[i * w], h.data(), w);
    }
    const int failed = dist::first_failed_rank(!err.empty(), comm);
    if (failed == r) throw Error("fingerprint", err);
    if (failed >= 0)
        throw Error("fingerprint",
                    "stopped: rank " + std::to_string(failed) + " found a missing input");
    dist::check(
        MPI_Allreduce(MPI_IN_PLACE, buf.data(), int(buf.size()), MPI_UNSIGNED_CHAR, MPI_BOR, comm),
        "MPI_Allreduce(fingerprints)");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < files.size(); ++i)
        out.emplace_back(reinterpret_cast<char*>(&buf[i * w]), w);
    return out;
}

template <class T>
std::vector<T> scatter_to_block(const Window& b, std::int64_t nx,
                                const std::vector<std::int64_t>& cells, std::size_t stride,
                                std::size_t column, const T* values, T nodata) {
    std::vector<T> out(std::size_t(std::max<std::int64_t>(b.cells(), 0)), nodata);
    for (std::size_t c = 0; c < cells.size(); ++c) {
        const std::int64_t row = cells[c] / nx - b.row0, col = cells[c] % nx - b.col0;
        out[std::size_t(row * b.ncols + col)] = values[c * stride + column];
    }
    return out;
}

// The scored cells of the block for one year, with every indicator's raw value.
// `keep`: when set, the interior of the layers named in it (keys) is copied into it.
YearCells compute_year(const RunConfig& rc, const dist::Decomposition& d, std::int64_t year,
                       std::int64_t halo, StageLog& log,
                       std::map<std::string, Raster<std::int32_t>>* keep = nullptr) {
    const GridSpec& g = d.grid();
    const ModelConfig& m = rc.model;
    BlockInputs in(g, year);
    in.set_block(d.block());
    auto& ky = log.kernel_years[year];
    // A layer is read when the scoring or the first indicator that needs it comes, and dropped
    // after the last indicator that reads it: the block holds the layers of overlapping uses,
    // not every layer of the year (peak memory; the kernels see the same inputs in the same
    // order). The scoring layers stay for the whole year.
    const std::size_t ni = m.indicators.size();
    std::map<std::string, std::size_t> last_use;
    std::set<std::string> read;
    for (std::size_t i = 0; i < ni; ++i)
        for (const auto& l : m.indicators[i].kernel.layers) last_use[l] = i;
    const auto read_layer = [&](const std::string& layer) {
        const auto t0 = std::chrono::steady_clock::now();
        Raster<std::int32_t> r(d.block(), halo, kernels::kNodataI32);
        const std::string what = "layer '" + layer + "' year " + std::to_string(year);
        io::read_window(rc.dataset.layer_path(layer, year), g, r, what);
        log.read_acc += std::int64_t(r.data.size() * sizeof(std::int32_t));
        if (keep && keep->count(layer)) {
            Raster<std::int32_t> k(d.block(), 0, kernels::kNodataI32);
            k.data = r.interior_copy();
            (*keep)[layer] = std::move(k);
        }
        in.add_layer(layer, std::move(r));
        read.insert(layer);
        ky.read_seconds +=
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    };
    read_layer(m.scoring.residents_layer);
    if (!in.has_layer(m.scoring.dwellings_layer)) read_layer(m.scoring.dwellings_layer);
    const auto is_scoring = [&](const std::string& l) {
        return l == m.scoring.residents_layer || l == m.scoring.dwellings_layer;
    };
    const auto t_points = std::chrono::steady_clock::now();
    for (const auto& [type, s] : io::read_model_points(rc, year)) in.add_points(type, s.x, s.y);
    ky.read_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t_points).count();
    const Window b = d.block();
    const auto& res = in.layer(m.scoring.residents_layer);
    const auto& dw = in.layer(m.scoring.dwellings_layer);
    YearCells yc;
    yc.year = year;
    std::vector<std::size_t> local;  // interior index of each scored cell
    for (auto row = b.row0; row < b.row1(); ++row)
        for (auto col = b.col0; col < b.col1(); ++col) {
            const std::int32_t r = res.at(col, row), w = dw.at(col, row);
            const std::int64_t rv = r == kernels::kNodataI32 ? 0 : r,
                               wv = w == kernels::kNodataI32 ? 0 : w;
            if (!m.scoring.scored(rv, wv)) continue;
            yc.cell.push_back(row * g.nx + col);
            yc.residents.push_back(std::int32_t(rv));
            yc.dwellings.push_back(std::int32_t(wv));
            local.push_back(std::size_t((row - b.row0) * b.ncols + (col - b.col0)));
        }
    yc.raw.assign(yc.size() * ni, 0.0);
    std::vector<double> buf(std::size_t(std::max<std::int64_t>(b.cells(), 0)));
    // Only the scored cells are read back: the kernels may skip the others (about 95 % of the
    // national grid), giving the scored ones the same bits as a full evaluation.
    std::vector<std::uint8_t> scored_mask(buf.size(), 0);
    for (const std::size_t c : local) scored_mask[c] = 1;
    const kernels::CellMask need{scored_mask};
    for (std::size_t i = 0; i < ni; ++i) {
        if (b.empty()) break;
        for (const auto& l : m.indicators[i].kernel.layers)
            if (!in.has_layer(l)) read_layer(l);
        const auto t0 = std::chrono::steady_clock::now();
        in.evaluate(m.indicators[i], buf, need);
        const double dt =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        log.indicator_seconds[m.indicators[i].name] += dt;
        ky.kernel_seconds += dt;
        const auto& k = m.indicators[i].kernel;
        const std::int64_t r = k.reach_cells(g.cell);
        // In: the padded layers; out: the cells the kernel has to write (the scored ones when
        // it honours the mask).
        const std::int64_t written =
            BlockInputs::honours_mask(k) ? std::int64_t(local.size()) : b.cells();
        ky.call_bytes += std::int64_t(k.layers.size()) * (b.ncols + 2 * r) * (b.nrows + 2 * r) *
                             std::int64_t(sizeof(std::int32_t)) +
                         written * std::int64_t(sizeof(double));
        for (std::size_t c = 0; c < local.size(); ++c) yc.raw[c * ni + i] = buf[local[c]];
        for (const auto& l : m.indicators[i].kernel.layers)
            if (last_use[l] == i && !is_scoring(l) && in.has_layer(l)) in.remove_layer(l);
    }
    // Every input layer is read once a year whatever the block (an empty block reads them all
    // here): read errors and the kept copies do not depend on the split.
    for (const auto& l : m.input_layers())
        if (read.count(l) == 0) read_layer(l);
    return yc;
}

std::string checkpoint_path(const std::string& out, std::int64_t year) {
    return (fs::path(out) / "checkpoints" / ("kernels-" + std::to_string(year) + ".h5")).string();
}

void write_checkpoint(const std::string& path, const dist::Decomposition& d, const RunConfig& rc,
                      const YearCells& yc, const std::string& fingerprint) {
    const std::string tmp = path + ".partial";
    {
        io::H5File f(tmp, d.comm(), io::H5File::Mode::create);
        const CellLayout l = make_layout(d, yc.cell);
        write_layout(f, "", l);
        write_column<std::int32_t>(f, "/residents", l, 1, yc.residents);
        write_column<std::int32_t>(f, "/dwellings", l, 1, yc.dwellings);
        write_column<double>(f, "/raw", l, std::int64_t(rc.model.indicators.size()), yc.raw);
        f.set_attribute("/", "fingerprint", fingerprint);
        f.set_attribute("/", "year", std::to_string(yc.year));
    }
    MPI_Barrier(d.comm());
    if (d.rank() == 0) fs::rename(tmp, path);
    MPI_Barrier(d.comm());
}

std::optional<YearCells> load_checkpoint(const std::string& path, const dist::Decomposition& d,
                                         const RunConfig& rc, std::int64_t year,
                                         const std::string& fingerprint) {
    if (!fs::exists(path)) return std::nullopt;
    io::H5File f(path, d.comm(), io::H5File::Mode::read_only);
    if (f.attribute("/", "fingerprint").value_or("") != fingerprint) return std::nullopt;
    YearCells yc;
    yc.year = year;
    const CellLayout l = read_layout(f, "", d);
    yc.cell = l.cells;
    yc.residents = read_column<std::int32_t>(f, "/residents", l);
    yc.dwellings = read_column<std::int32_t>(f, "/dwellings", l);
    yc.raw = read_column<double>(f, "/raw", l);
    if (yc.raw.size() != yc.cell.size() * rc.model.indicators.size())
        throw Error("resume", "checkpoint " + path + " does not match the model's indicators");
    return yc;
}

std::string fmt(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

}  // namespace

void run_pipeline(const RunOptions& opt) {
    StageLog log;
    progress("plan: reading " + opt.config);
    RunConfig rc = parse_run_config(opt.config);
    if (!opt.out.empty()) rc.out_dir = opt.out;
    const ModelConfig& m = rc.model;
    const GridSpec& g = rc.dataset.grid;
    dist::Decomposition d(g, opt.comm);
    const std::int64_t halo = m.max_reach_cells(g.cell);
    const std::size_t ni = m.indicators.size(), nd = m.dimensions.size();
    progress("plan: " + std::to_string(rc.years.size()) + " years, " + std::to_string(ni) +
             " indicators, " + std::to_string(d.size()) + " ranks (" + std::to_string(d.px()) +
             "x" + std::to_string(d.py()) + " blocks, halo " + std::to_string(halo) + " cells), " +
             std::to_string(omp_get_max_threads()) + " threads per rank");
    const fs::path out(rc.out_dir);
    const fs::path results = out / kResultsFile;
    if (fs::exists(results) && !opt.resume && !opt.force)
        throw UsageError("run", "output " + results.string() +
                                    " exists; pass --force to overwrite it or --resume");
    log.done("plan");

    // Fingerprints of config and inputs: the identity of this run, checked on resume.
    const auto files = input_files(rc);
    const auto hashes = fingerprints(files, d.comm());
    std::string all;
    for (std::size_t i = 0; i < files.size(); ++i) all += files[i] + "=" + hashes[i] + "\n";
    const std::string fingerprint = io::text_fingerprint(all);
    const fs::path state = out / "checkpoints" / "state.json";
    {
        std::string err;
        if (d.rank() == 0) {
            try {
                if (opt.resume && fs::exists(state)) {
                    std::ifstream in(state);
                    const json old = json::parse(in);
                    if (old.value("fingerprint", "") != fingerprint) {
                        std::string changed;
                        const json& of = old["files"];
                        for (std::size_t i = 0; i < files.size(); ++i)
                            if (!of.contains(files[i]) || of[files[i]] != hashes[i])
                                changed += "\n  changed: " + files[i];
                        for (const auto& [k, v] : of.items())
                            if (std::find(files.begin(), files.end(), k) == files.end())
                                changed += "\n  no longer used: " + k;
                        err = "cannot resume in " + rc.out_dir +
                              ": the config or inputs changed since the interrupted run" + changed +
                              "\n(run without --resume to start over)";
                    }
                } else {
                    fs::remove_all(out / "checkpoints");
                }
                if (err.empty()) {
                    fs::create_directories(out / "checkpoints");
                    json s;
                    s["fingerprint"] = fingerprint;
                    for (std::size_t i = 0; i < files.size(); ++i) s["files"][files[i]] = hashes[i];
                    std::ofstream(state) << s.dump(1) << "\n";
                    fs::remove(out / (std::string(kResultsFile) + ".partial"));
                }
            } catch (const fs::filesystem_error& e) {
                err = "cannot prepare output folder " + rc.out_dir + ": " + e.what();
            }
        }
        int bad = err.empty() ? 0 : 1;
        MPI_Bcast(&bad, 1, MPI_INT, 0, d.comm());
        if (bad) {
            if (d.rank() == 0) throw UsageError("resume", err);
            throw UsageError("resume", "stopped (rank 0 refused to resume)");
        }
    }
    log.done("fingerprint");

    // Kernels per year, checkpointed. The latest year's layers that the aggregation's share bins
    // need are kept (the stage reads them from the dataset when the year was resumed).
    std::map<std::string, Raster<std::int32_t>> kept_layers;
    if (rc.aggregation.enabled)
        for (const auto& sb : rc.aggregation.share_bins)
            kept_layers[sb.numerator], kept_layers[sb.denominator];
    std::vector<YearCells> years;
    std::vector<std::string> stages{"plan", "fingerprint"};
    for (const auto y : rc.years) {
        const std::string ck = checkpoint_path(rc.out_dir, y);
        std::optional<YearCells> yc;
        if (opt.resume) yc = load_checkpoint(ck, d, rc, y, fingerprint);
        if (yc) {
            progress("kernels " + std::to_string(y) + ": resumed from checkpoint");
        } else {
            yc = compute_year(rc, d, y, halo, log, y == rc.years.back() ? &kept_layers : nullptr);
            const auto t_ck = std::chrono::steady_clock::now();
            write_checkpoint(ck, d, rc, *yc, fingerprint);
            log.kernel_years[y].checkpoint_seconds +=
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t_ck).count();
        }
        {
            auto& ky = log.kernel_years[y];
            std::int64_t mx = ky.call_bytes;
            dist::check(MPI_Allreduce(MPI_IN_PLACE, &mx, 1, MPI_INT64_T, MPI_MAX, d.comm()),
                        "MPI_Allreduce(kernel call bytes)");
            ky.call_bytes_max_rank = mx;
        }
        years.push_back(std::move(*yc));
        const std::int64_t scored =
            dist::allreduce_sum(std::int64_t(years.back().size()), d.comm());
        log.done("kernels/" + std::to_string(y) + " (" + std::to_string(scored) + " scored cells)");
        stages.push_back("kernels/" + std::to_string(y));
    }

    // Reference statistics of the reference year (exact global reductions).
    const auto ref_it = std::find_if(years.begin(), years.end(),
                                     [&](const auto& yc) { return yc.year == m.reference_year; });
    auto sums = reference_partial_sums(m, *ref_it);
    dist::allreduce_sum(sums, d.comm());
    const ReferenceStats ref = reference_stats(m, sums);
    log.done("reference");
    stages.push_back("reference");

    // Model per year.
    const auto weights = model_weights(m);
    std::vector<std::vector<float>> z(years.size());
    std::vector<CellScores> scores(years.size());
    for (std::size_t k = 0; k < years.size(); ++k) {
        z[k] = standardise(m, ref, years[k]);
        scores[k] = score_cells(m, weights, z[k], years[k].size());
    }
    log.done("model");
    stages.push_back("model");

    // The aggregation's zone tables and zone raster, prepared on a second thread while the
    // results file is written (GDAL reads only; no MPI on that thread).
    std::future<ZonePrep> zone_prep;
    if (rc.aggregation.enabled)
        zone_prep =
            std::async(std::launch::async, [&rc, &d] { return prepare_zones(rc, d.block()); });
    // Results file.
    const std::string tmp = (out / (std::string(kResultsFile) + ".partial")).string();
    {
        io::H5File f(tmp, d.comm(), io::H5File::Mode::create);
        f.write_georeference(g);
        f.set_attribute("/", "leefbaar_version", LEEFBAAR_VERSION);
        f.set_attribute("/", "title", "leefbaar liveability recompute: " + m.name);
        f.set_attribute("/", "fingerprint", fingerprint);
        f.set_attribute("/", "model", m.name);
        f.set_attribute("/", "reference_year", std::to_string(m.reference_year));
        f.set_attribute("/", "reference_level", fmt(m.reference_level));
        const Window b = d.block();
        for (std::size_t k = 0; k < years.size(); ++k) {
            const YearCells& yc = years[k];
            const CellScores& s = scores[k];
            const std::string Y = "/" + std::to_string(yc.year);
            std::vector<double> dev(yc.size()), total(yc.size()), dims(yc.size() * nd);
            for (std::size_t c = 0; c < yc.size(); ++c) {
                dev[c] = fixed_to_double(s.deviation[c]);
                total[c] = m.reference_level + dev[c];
                for (std::size_t j = 0; j < nd; ++j)
                    dims[c * nd + j] = fixed_to_double(s.dimension[c * nd + j]);
            }
            f.write_grid<double>(
                Y + "/score", g, b,
                scatter_to_block(b, g.nx, yc.cell, 1, 0, total.data(), kFloatNodata), kFloatNodata,
                "liveability score (reference level + deviation)", "1");
            f.write_grid<double>(Y + "/deviation", g, b,
                                 scatter_to_block(b, g.nx, yc.cell, 1, 0, dev.data(), kFloatNodata),
                                 kFloatNodata,
                                 "deviation from the reference-year national average (afw)", "1");
            for (std::size_t j = 0; j < nd; ++j)
                f.write_grid<double>(
                    Y + "/dimension/" + m.dimensions[j], g, b,
                    scatter_to_block(b, g.nx, yc.cell, nd, j, dims.data(), kFloatNodata),
                    kFloatNodata, "dimension score " + m.dimensions[j], "1");
            f.write_grid<std::uint8_t>(
                Y + "/class", g, b,
                scatter_to_block<std::uint8_t>(b, g.nx, yc.cell, 1, 0, s.cls.data(), 0), 0,
                "liveability class 1-" + std::to_string(m.classes.labels.size()), "1");
            if (opt.indicator_grids)
                for (std::size_t i = 0; i < ni; ++i) {
                    f.write_grid<double>(
                        Y + "/indicator/" + m.indicators[i].name + "/raw", g, b,
                        scatter_to_block(b, g.nx, yc.cell, ni, i, yc.raw.data(), std::nan("")),
                        std::nan(""), "raw value of " + m.indicators[i].name, "");
                    f.write_grid<float>(
                        Y + "/indicator/" + m.indicators[i].name + "/value", g, b,
                        scatter_to_block(b, g.nx, yc.cell, ni, i, z[k].data(), 0.0f), 0.0f,
                        "standardised value of " + m.indicators[i].name, "1");
                }
            // The indicator matrix of the scored cells: what sweeps and aggregation reuse.
            const std::string M = "/matrix" + Y;
            const CellLayout l = make_layout(d, yc.cell);
            write_layout(f, M, l);
            write_column<std::int32_t>(f, M + "/residents", l, 1, yc.residents);
            write_column<std::int32_t>(f, M + "/dwellings", l, 1, yc.dwellings);
            write_column<double>(f, M + "/raw", l, std::int64_t(ni), yc.raw);
            write_column<float>(f, M + "/z", l, std::int64_t(ni), z[k]);
            write_column<std::int64_t>(f, M + "/deviation_fixed", l, 1, s.deviation);
            write_column<std::int64_t>(f, M + "/dimension_fixed", l, std::int64_t(nd), s.dimension);
            write_column<std::uint8_t>(f, M + "/class", l, 1, s.cls);
        }
        // Deltas per period over cells scored in both years.
        for (const auto& [y1, y2] : rc.periods) {
            const auto k1 =
                std::size_t(std::find(rc.years.begin(), rc.years.end(), y1) - rc.years.begin());
            const auto k2 =
                std::size_t(std::find(rc.years.begin(), rc.years.end(), y2) - rc.years.begin());
            const YearCells &a = years[k1], &bb = years[k2];
            std::vector<std::int64_t> cells;
            std::vector<double> dtot, ddim;
            std::vector<std::uint8_t> dcls;
            for (std::size_t i = 0, j = 0; i < a.size() && j < bb.size();) {
                if (a.cell[i] < bb.cell[j])
                    ++i;
                else if (bb.cell[j] < a.cell[i])
                    ++j;
                else {
                    cells.push_back(a.cell[i]);
                    const std::int64_t dt = scores[k2].deviation[j] - scores[k1].deviation[i];
                    dtot.push_back(fixed_to_double(dt));
                    for (std::size_t q = 0; q < nd; ++q)
                        ddim.push_back(fixed_to_double(scores[k2].dimension[j * nd + q] -
                                                       scores[k1].dimension[i * nd + q]));
                    dcls.push_back(std::uint8_t(m.development.classify(fixed_to_double(dt))));
                    ++i;
                    ++j;
                }
            }
            const std::string P = "/delta/" + std::to_string(y1) + "-" + std::to_string(y2);
            f.write_grid<double>(
                P + "/score", g, b,
                scatter_to_block(b, g.nx, cells, 1, 0, dtot.data(), kFloatNodata), kFloatNodata,
                "score change " + std::to_string(y1) + "-" + std::to_string(y2), "1");
            for (std::size_t q = 0; q < nd; ++q)
                f.write_grid<double>(
                    P + "/dimension/" + m.dimensions[q], g, b,
                    scatter_to_block(b, g.nx, cells, nd, q, ddim.data(), kFloatNodata),
                    kFloatNodata, "change of dimension " + m.dimensions[q], "1");
            f.write_grid<std::uint8_t>(
                P + "/class", g, b,
                scatter_to_block<std::uint8_t>(b, g.nx, cells, 1, 0, dcls.data(), 0), 0,
                "development class 1-" + std::to_string(m.development.labels.size()), "1");
        }
        // Model description next to the matrix.
        std::vector<std::string> names, dims_of, w, means, sds;
        for (std::size_t i = 0; i < ni; ++i) {
            names.push_back(m.indicators[i].name);
            dims_of.push_back(m.indicators[i].dimension);
            w.push_back(fmt(m.indicators[i].weight));
            means.push_back(fmt(ref.mean[i]));
            sds.push_back(fmt(ref.sd[i]));
        }
        f.set_string_list("/matrix", "indicators", names);
        f.set_string_list("/matrix", "indicator_dimensions", dims_of);
        f.set_string_list("/matrix", "weights", w);
        f.set_string_list("/matrix", "reference_mean", means);
        f.set_string_list("/matrix", "reference_sd", sds);
        f.set_string_list("/matrix", "dimensions", m.dimensions);
        std::vector<std::string> ys, lims, dlims;
        for (auto y : rc.years) ys.push_back(std::to_string(y));
        for (auto v : m.classes.limits) lims.push_back(fmt(v));
        for (auto v : m.development.limits) dlims.push_back(fmt(v));
        f.set_string_list("/", "years", ys);
        f.set_string_list("/", "class_limits", lims);
        f.set_string_list("/", "class_labels", m.classes.labels);
        f.set_string_list("/", "development_limits", dlims);
        f.set_string_list("/", "development_labels", m.development.labels);
        stages.push_back("deltas");
        stages.push_back("write");
        f.set_string_list("/", "stages_completed", stages);
        f.set_attribute("/", "status", "complete");
        for (const auto& t : f.write_timings()) {
            log.write_seconds[t.path] = t.seconds;
            log.written_acc += t.bytes;
        }
    }
    MPI_Barrier(d.comm());
    if (d.rank() == 0) fs::rename(tmp, results);
    log.done("deltas+write");
    std::vector<std::vector<float>>().swap(z);  // written; the aggregation reads scores[k].zq

    if (rc.aggregation.enabled) {
        AggregateInputs ai;
        ai.rc = &rc;
        ai.d = &d;
        ai.years = &years;
        ai.scores = &scores;
        ai.weights = weights;
        ai.timings = &log.aggregate_seconds;
        const auto tw = std::chrono::steady_clock::now();
        const ZonePrep prep = zone_prep.get();
        log.aggregate_seconds.push_back(
            {"zones_wait",
             std::chrono::duration<double>(std::chrono::steady_clock::now() - tw).count()});
        ai.zones = &prep;
        // Layers not kept (a resumed year) are left out: the stage reads them.
        for (auto it = kept_layers.begin(); it != kept_layers.end();)
            it = it->second.data.empty() ? kept_layers.erase(it) : std::next(it);
        ai.layers = &kept_layers;
        ai.statistics_done = [&log] { log.done("aggregate"); };
        ai.untimed = [&log](double s) {
            log.t0 += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(s));
        };
        aggregate_stage(ai, rc.out_dir);
        if (d.rank() == 0) {  // rank 0 lists what the stage wrote (the GeoPackage included)
            const fs::path adir = fs::path(rc.out_dir) / "aggregates";
            for (const auto& e : fs::directory_iterator(adir))
                log.written_acc += std::int64_t(e.file_size());
            log.written_acc += std::int64_t(fs::file_size(fs::path(rc.out_dir) / "summary.json"));
        }
        log.done("aggregate outputs");
    }

    // Run manifest: what ran, where, how long, how much memory.
    std::vector<std::int64_t> rss(std::size_t(d.size()), 0);
    rss[std::size_t(d.rank())] = peak_rss_bytes();
    dist::allreduce_sum(rss, d.comm());
    std::vector<std::int64_t> rd, wr;
    for (const auto& e : log.entries) {
        rd.push_back(e.bytes_read);
        wr.push_back(e.bytes_written);
    }
    dist::allreduce_sum(rd, d.comm());
    dist::allreduce_sum(wr, d.comm());
    if (d.rank() == 0) {
        json j;
        j["leefbaar_version"] = LEEFBAAR_VERSION;
        j["config"] = rc.file;
        j["model"] = {{"file", rc.model_file},
                      {"name", m.name},
                      {"indicators", ni},
                      {"dimensions", m.dimensions}};
        j["fingerprint"] = fingerprint;
        for (std::size_t i = 0; i < files.size(); ++i) j["inputs"][files[i]] = hashes[i];
        j["ranks"] = d.size();
        j["threads_per_rank"] = omp_get_max_threads();
        j["malloc_huge_pages"] = huge_page_malloc();  // GLIBC_TUNABLES, see app/memory.hpp
        j["simd"] = simd::level_name(simd::level());  // the vector paths taken (core/simd.hpp)
        j["decomposition"] = {
            {"kind", "space"}, {"px", d.px()}, {"py", d.py()}, {"halo_cells", halo}};
        j["grid"] = g.describe();
        j["years"] = rc.years;
        double total = 0;
        for (std::size_t i = 0; i < log.entries.size(); ++i) {
            j["stages"].push_back({{"name", log.entries[i].name},
                                   {"seconds", log.entries[i].seconds},
                                   {"bytes_read", rd[i]},
                                   {"bytes_written", wr[i]}});
            total += log.entries[i].seconds;
        }
        j["wall_seconds"] = total;
        for (const auto& [name, sec] : log.indicator_seconds)
            j["indicator_seconds_rank0"][name] = sec;
        for (const auto& [year, ky] : log.kernel_years)
            j["kernel_stages_rank0"][std::to_string(year)] = {
                {"read_seconds", ky.read_seconds},
                {"kernel_seconds", ky.kernel_seconds},
                {"checkpoint_seconds", ky.checkpoint_seconds},
                {"call_bytes", ky.call_bytes},
                {"call_bytes_max_rank", ky.call_bytes_max_rank}};
        for (const auto& [name, sec] : log.write_seconds) j["write_seconds_rank0"][name] = sec;
        for (const auto& [name, v] : log.aggregate_seconds) j["aggregate_seconds_rank0"][name] = v;
        j["peak_rss_bytes_per_rank"] = rss;
        j["resumed"] = opt.resume;
        j["output"] = results.string();
        const auto tmpj = out / (std::string(kRunManifest) + ".partial");
        std::ofstream(tmpj) << j.dump(2) << "\n";
        fs::rename(tmpj, out / kRunManifest);
    }
    if (rc.aggregation.enabled && d.rank() == 0) write_report(rc.out_dir, rc.lang);
    progress("run complete: " + results.string());
}

}  // namespace leefbaar::app
