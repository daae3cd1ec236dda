// `leefbaar aggregate RUN_DIR [--config FILE] [--out DIR] [--timings FILE]`: the aggregation
// stage on its own, on a finished run: reads the scored cells of every year back from the
// run's indicator matrix (/matrix/<year>/ of leefbaar.h5, any decomposition) and writes the
// same aggregates/ and summary.json as `leefbaar run` (bit-identical for the same run).

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "app/aggregate_stage.hpp"
#include "app/cell_table.hpp"
#include "app/commands.hpp"
#include "app/log.hpp"
#include "core/error.hpp"
#include "core/model.hpp"
#include "core/run_config.hpp"
#include "dist/comm.hpp"
#include "dist/decomposition.hpp"
#include "io/hdf5.hpp"

namespace leefbaar::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

std::string config_of_run(const std::string& run_dir, const std::string& given) {
    if (!given.empty()) return given;
    const fs::path rj = fs::path(run_dir) / "run.json";
    std::ifstream in(rj);
    if (!in)
        throw UsageError("aggregate",
                         "run folder " + run_dir + " has no run.json: not a finished run");
    const json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("config") || !j["config"].is_string())
        throw UsageError("aggregate", rj.string() + " names no run config; pass --config");
    const fs::path c = j["config"].get<std::string>();
    if (c.is_absolute() || fs::exists(c)) return c.string();
    for (fs::path p = fs::absolute(run_dir); !p.empty(); p = p.parent_path()) {
        if (fs::exists(p / c)) return (p / c).string();
        if (p == p.parent_path()) break;
    }
    throw UsageError("aggregate", "run config " + c.string() + " named in " + rj.string() +
                                      " not found; pass --config");
}

}  // namespace

void aggregate_finished_run(const AggregateOptions& opt) {
    const fs::path h5 = fs::path(opt.run_dir) / "leefbaar.h5";
    if (!fs::exists(h5) || !io::is_hdf5(h5.string()))
        throw UsageError("aggregate",
                         "run folder " + opt.run_dir + " has no leefbaar.h5: not a finished run");
    RunConfig rc = parse_run_config(config_of_run(opt.run_dir, opt.config));
    const ModelConfig& m = rc.model;
    if (rc.dataset.levels.empty())
        throw UsageError("aggregate", "dataset " + rc.dataset.dir + " defines no zone levels");
    const std::string out = opt.out.empty() ? opt.run_dir : opt.out;
    dist::Decomposition d(rc.dataset.grid, MPI_COMM_WORLD);
    const std::size_t ni = m.indicators.size(), nd = m.dimensions.size();
    // The zone tables, zone raster and share-bin layers are read on a second thread while the
    // matrix is read (as `leefbaar run` prepares them while it writes the results file).
    auto prep_future =
        std::async(std::launch::async, [&rc, &d] { return prepare_zones(rc, d.block(), true); });
    std::vector<YearCells> years;
    std::vector<CellScores> scores;
    {
        io::H5File f(h5.string(), d.comm(), io::H5File::Mode::read_only);
        if (f.attribute("/", "status").value_or("") != "complete")
            throw UsageError("aggregate", h5.string() + " is not a finished run (status '" +
                                              f.attribute("/", "status").value_or("") + "')");
        const auto names = f.string_list("/matrix", "indicators");
        bool same = names.size() == ni;
        for (std::size_t i = 0; same && i < ni; ++i) same = names[i] == m.indicators[i].name;
        if (!same)
            throw UsageError("aggregate", "the indicators of " + h5.string() +
                                              " differ from the run config's: the config changed");
        for (const auto y : rc.years) {
            const std::string M = "/matrix/" + std::to_string(y);
            const CellLayout l = read_layout(f, M, d);
            YearCells yc;
            yc.year = y;
            yc.cell = l.cells;
            yc.residents = read_column<std::int32_t>(f, M + "/residents", l);
            yc.dwellings = read_column<std::int32_t>(f, M + "/dwellings", l);
            CellScores s;
            s.deviation = read_column<std::int64_t>(f, M + "/deviation_fixed", l);
            s.dimension = read_column<std::int64_t>(f, M + "/dimension_fixed", l);
            s.cls = read_column<std::uint8_t>(f, M + "/class", l);
            const auto z = read_column<float>(f, M + "/z", l);
            if (s.dimension.size() != yc.size() * nd || z.size() != yc.size() * ni)
                throw Error("aggregate", h5.string() + ": " + M + " has the wrong shape");
            s.zq = quantise_rows(z, ni);  // as the model stage of `leefbaar run` does
            years.push_back(std::move(yc));
            scores.push_back(std::move(s));
        }
    }
    const auto tw = std::chrono::steady_clock::now();
    const ZonePrep prep = prep_future.get();
    std::vector<std::pair<std::string, double>> timings{
        {"zones_wait",
         std::chrono::duration<double>(std::chrono::steady_clock::now() - tw).count()}};
    AggregateInputs ai;
    ai.zones = &prep;
    ai.rc = &rc;
    ai.d = &d;
    ai.years = &years;
    ai.scores = &scores;
    ai.weights = model_weights(m);
    ai.timings = &timings;
    const auto t0 = std::chrono::steady_clock::now();
    double statistics = 0, baseline = 0;
    ai.untimed = [&](double s) { baseline = s; };
    ai.statistics_done = [&] {
        statistics =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - baseline;
    };
    aggregate_stage(ai, out);
    const double total =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - baseline;
    if (d.rank() == 0) {
        json j;
        j["stage_seconds"] = total;
        j["statistics_seconds"] = statistics;  // every statistic computed, nothing written yet
        j["outputs_seconds"] = total - statistics;
        j["ranks"] = d.size();
        for (const auto& [name, v] : timings) j["aggregate_seconds_rank0"][name] = v;
        if (!opt.timings.empty()) std::ofstream(opt.timings) << j.dump(2) << "\n";
        progress("aggregate: " + std::to_string(total) + " s -> " + out);
    }
}

Command add_aggregate_command(CLI::App& cli) {
    auto* sub = cli.add_subcommand(
        "aggregate",
        "the aggregation stage alone on a finished run: zone statistics, typology and summary "
        "from the run's indicator matrix -> <out>/aggregates/, <out>/summary.json");
    auto opt = std::make_shared<AggregateOptions>();
    sub->add_option("RUN_DIR", opt->run_dir,
                    "output folder of a finished `leefbaar run` (holds leefbaar.h5 and run.json)")
        ->required();
    sub->add_option("--config", opt->config,
                    "run config (default: the one named in <RUN_DIR>/run.json)");
    sub->add_option("--out", opt->out, "output folder (default RUN_DIR)");
    sub->add_option("--timings", opt->timings,
                    "write the stage's section timings (rank 0) and its in-run streaming "
                    "baseline as JSON to this file");
    sub->footer(
        "Recomputes exactly what the aggregation stage of `leefbaar run` writes, from the scored "
        "cells stored in leefbaar.h5 (no kernels, no model). The share-bin layers of the latest "
        "year are read from the dataset. Exit code 2 when RUN_DIR is not a finished run.");
    return {sub, [opt] { aggregate_finished_run(*opt); }};
}

}  // namespace leefbaar::app
