#include "app/sweep.hpp"

#include <mpi.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "app/aggregate_stage.hpp"
#include "app/log.hpp"
#include "app/memory.hpp"
#include "core/aggregate.hpp"
#include "core/error.hpp"
#include "core/model.hpp"
#include "core/run_config.hpp"
#include "core/sweep.hpp"
#include "core/typology.hpp"
#include "dist/comm.hpp"
#include "io/csv.hpp"
#include "io/hdf5.hpp"
#include "io/zones.hpp"

namespace leefbaar::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

const char* kSweepSpecHelp =
    R"(Weight spec (--weights): a CSV list, or a TOML file with a [sweep] table.
  CSV list: a header with every indicator name of the run's model (any order; an optional
    'member' or 'name' column is ignored), then one row of weights per member.
  TOML list:   [sweep] kind = "list"   then per member  [[sweep.member]]  name = weight ...
               (every indicator once; an optional name = "..." key is ignored)
  TOML grid:   [sweep] kind = "grid"   and one or more
               [[sweep.axis]] indicator = "NAME"  values = [w1, w2, ...]     (weights), or
               [[sweep.axis]] dimension = "DIM"   values = [m1, m2, ...]     (multipliers of the
               base weights of the dimension's indicators); members = the cartesian product,
               last axis fastest; indicators on no axis keep their base weight.
  TOML Monte-Carlo: [sweep] kind = "montecarlo"  members = N  seed = S (default 1)
               distribution = "normal" | "uniform"   (default normal: scale = sd; uniform: scale =
               half-width)  mode = "relative" (w = base * (1 + scale * u), default) | "absolute"
               (w = base + scale * u)  scale = 0.1 (default, every indicator)
               include_base = false (true: member 0 is the base weights)
               [sweep.scale_dimension] DIM = s ...   [sweep.scale_indicator] NAME = s ...
               (indicator scales override dimension scales, which override scale).
               Draw u of member i, indicator j: Philox4x32 keyed by the seed, counter (i, j), so
               member i is the same whatever --members slice computes it.
)";

namespace {

constexpr const char* kSweepFile = "sweep.h5";

// Wall and CPU seconds (of the calling thread) of named sections of this rank (timing.json
// "sections_rank0" and "sections_cpu_rank0"; summed when a name repeats). On a shared machine
// the CPU seconds say what a section costs, the wall seconds mostly how loaded it was.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}
std::vector<std::pair<std::string, std::pair<double, double>>> g_sections;
struct Section {
    std::string name;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
    double c0 = thread_cpu_seconds();
    explicit Section(std::string n) : name(std::move(n)) {}
    ~Section() {
        const double s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        const double c = thread_cpu_seconds() - c0;
#pragma omp critical(leefbaar_sweep_sections)
        {
            auto it = std::find_if(g_sections.begin(), g_sections.end(),
                                   [&](const auto& p) { return p.first == name; });
            if (it == g_sections.end())
                g_sections.emplace_back(name, std::make_pair(s, c));
            else
                it->second.first += s, it->second.second += c;
        }
    }
};

std::string fmtd(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

// Everything about the run that the sweep and the summaries need.
struct RunContext {
    std::string run_dir, config, results;
    RunConfig rc;
    std::vector<std::string> indicators, indicator_dims;
    std::vector<int> dim_of;
    std::vector<double> base;
    std::vector<std::int64_t> years;
    std::vector<ZoneLevelTable> levels;  // finest first
    int kb = 0, iw = -1, ir = -1;        // buurt, wijk, region level indices
    bool last_period = false;            // (years[-2], years[-1]) is a period of the run
    // The level national totals come from: the coarsest when every zone of every finer level
    // has a parent (integer sums: the same values as from the finest level, at a fraction of
    // the zones), else the finest.
    std::size_t national_level = 0;
    // Finest-level zones that share a cell edge (a < b), for the type 1 clusters; filled by
    // run_sweep from the rasterised zones (not needed to merge or summarise).
    std::vector<std::pair<std::int32_t, std::int32_t>> adjacency;
    std::size_t nd = 0, ni = 0, nc = 0, ny = 0;
};

std::string resolve_config(const std::string& run_dir, const std::string& given) {
    if (!given.empty()) return given;
    const fs::path rj = fs::path(run_dir) / "run.json";
    std::ifstream in(rj);
    if (!in)
        throw UsageError("sweep", "run folder " + run_dir + " has no run.json: not a finished run");
    const json j = json::parse(in, nullptr, false);
    if (j.is_discarded() || !j.contains("config") || !j["config"].is_string())
        throw UsageError("sweep", rj.string() + " names no run config; pass --config");
    const fs::path c = j["config"].get<std::string>();
    if (c.is_absolute()) return c.string();
    // Relative to the directory leefbaar run was started in: try the current directory, then the
    // run folder and its ancestors.
    if (fs::exists(c)) return c.string();
    for (fs::path p = fs::absolute(run_dir); !p.empty(); p = p.parent_path()) {
        if (fs::exists(p / c)) return (p / c).string();
        if (p == p.parent_path()) break;
    }
    throw UsageError("sweep", "run config " + c.string() + " named in " + rj.string() +
                                  " not found; pass --config");
}

RunContext load_context(const std::string& run_dir, const std::string& config) {
    RunContext x;
    x.run_dir = run_dir;
    const fs::path run(run_dir);
    if (!fs::is_directory(run))
        throw UsageError("sweep", "run folder " + run_dir + " does not exist");
    x.results = (run / "leefbaar.h5").string();
    for (const char* need : {"leefbaar.h5", "summary.json", "run.json"})
        if (!fs::exists(run / need))
            throw UsageError(
                "sweep",
                "run folder " + run_dir + " has no " + need +
                    ": not a finished run (run `leefbaar run` with aggregation enabled first)");
    if (!io::is_hdf5(x.results))
        throw UsageError("sweep", x.results + " is not an HDF5 file: not a finished run");
    x.config = resolve_config(run_dir, config);
    x.rc = parse_run_config(x.config);
    const ModelConfig& m = x.rc.model;
    {
        io::H5File f(x.results, MPI_COMM_SELF, io::H5File::Mode::read_only,
                     io::H5File::Driver::posix);
        if (f.attribute("/", "status").value_or("") != "complete")
            throw UsageError("sweep", x.results + " has status '" +
                                          f.attribute("/", "status").value_or("") +
                                          "', not 'complete': not a finished run");
        x.indicators = f.string_list("/matrix", "indicators");
        x.indicator_dims = f.string_list("/matrix", "indicator_dimensions");
        for (const auto& y : f.string_list("/", "years")) x.years.push_back(std::stoll(y));
        const auto w = f.string_list("/matrix", "weights");
        for (const auto& s : w) x.base.push_back(std::stod(s));
    }
    x.ni = x.indicators.size();
    x.nd = m.dimensions.size();
    x.nc = m.classes.labels.size();
    x.ny = x.years.size();
    if (x.ni != m.indicators.size())
        throw UsageError("sweep", "run config " + x.config + " has " +
                                      std::to_string(m.indicators.size()) +
                                      " indicators, the run's matrix " + std::to_string(x.ni) +
                                      ": the config changed since the run");
    for (std::size_t i = 0; i < x.ni; ++i) {
        if (m.indicators[i].name != x.indicators[i])
            throw UsageError("sweep", "run config " + x.config + " indicator " +
                                          std::to_string(i + 1) + " is '" + m.indicators[i].name +
                                          "', the run's '" + x.indicators[i] +
                                          "': the config changed since the run");
        x.dim_of.push_back(m.dimension_index(x.indicator_dims[i]));
    }
    // The run's exact weights (the text attribute is %.17g, so this round-trips).
    x.base = model_weights(m);
    if (x.years != x.rc.years)
        throw UsageError(
            "sweep", "run config " + x.config + " years differ from the run's: the config changed");
    const DatasetManifest& ds = x.rc.dataset;
    if (ds.levels.empty())
        throw UsageError("sweep", "dataset " + ds.dir + " defines no zone levels");
    x.levels = load_zone_levels(ds);
    auto level_index = [&](const std::string& name) -> int {
        for (std::size_t k = 0; k < x.levels.size(); ++k)
            if (x.levels[k].name == name) return int(k);
        return -1;
    };
    x.kb = std::max(0, level_index("buurt"));
    x.iw = level_index("wijk");
    x.ir = level_index(x.rc.aggregation.typology.region_level);
    for (const auto& p : x.rc.periods)
        if (x.ny >= 2 && p == std::make_pair(x.years[x.ny - 2], x.years[x.ny - 1]))
            x.last_period = true;
    bool chained = true;
    for (std::size_t k = 0; k + 1 < x.levels.size() && chained; ++k)
        for (const std::int32_t q : x.levels[k].parent) chained = chained && q >= 0;
    x.national_level = chained ? x.levels.size() - 1 : 0;
    return x;
}

// One member's outputs, as one row of `width` doubles: the 'd' and 'i' fields as doubles (every
// value is exact in a double), then the 0/1 'u' fields as one byte each, packed into the
// trailing doubles (a third of the memory that a double per flag took: rank 0 holds every
// member's row, 175 KB instead of 470 KB nationally). Field::offset counts doubles from the row
// start for 'd' and 'i' fields, bytes from the flag region (flags()) for 'u' fields. Rows move
// between ranks and files as opaque doubles of one machine type.
struct RowLayout {
    struct Field {
        std::string name;
        std::size_t offset, cols;
        char type;  // 'i' int64, 'd' float64, 'u' uint8
    };
    std::vector<Field> fields;
    std::size_t width = 0;       // doubles per row
    std::size_t flag_base = 0;   // doubles before the flag region
    std::size_t flag_bytes = 0;  // bytes of the flag region
    void add(const std::string& n, std::size_t cols, char t) {
        if (t == 'u') {
            fields.push_back({n, flag_bytes, cols, t});
            flag_bytes += cols;
        } else {
            fields.push_back({n, flag_base, cols, t});
            flag_base += cols;
        }
        width = flag_base + (flag_bytes + sizeof(double) - 1) / sizeof(double);
    }
    const Field& operator[](const std::string& n) const {
        for (const auto& f : fields)
            if (f.name == n) return f;
        throw Error("sweep", "internal: no field " + n);
    }
    std::uint8_t* flags(double* row, const Field& f) const {
        return reinterpret_cast<std::uint8_t*>(row + flag_base) + f.offset;
    }
    const std::uint8_t* flags(const double* row, const Field& f) const {
        return reinterpret_cast<const std::uint8_t*>(row + flag_base) + f.offset;
    }
};

RowLayout layout_of(const RunContext& x) {
    RowLayout L;
    L.add("weights", x.ni, 'd');
    L.add("national/class_residents", x.ny * x.nc, 'i');
    L.add("national/mean_deviation", x.ny, 'd');
    L.add("national/share_onvoldoende", x.ny, 'd');
    L.add("onvoldoende_buurten", x.ny, 'i');
    L.add("typology/counts", 3, 'i');  // aandachtsbuurten, kwetsbare wijken, aandachtsregio's
    for (const auto& l : x.levels) L.add("zone_mean/" + l.name, l.size(), 'd');
    L.add("onvoldoende/" + x.levels[std::size_t(x.kb)].name, x.levels[std::size_t(x.kb)].size(),
          'u');
    L.add("typology/aandachtsbuurt", x.levels[std::size_t(x.kb)].size(), 'u');
    // Type 1, cluster variant: buurten in a contiguous cluster of qualifying buurten with enough
    // residents; counts = [clusters, buurten in them].
    L.add("typology/kwetsbaar_cluster", x.levels[std::size_t(x.kb)].size(), 'u');
    L.add("typology/cluster_counts", 2, 'i');
    if (x.iw >= 0) L.add("typology/kwetsbare_wijk", x.levels[std::size_t(x.iw)].size(), 'u');
    if (x.ir >= 0) L.add("typology/aandachtsregio", x.levels[std::size_t(x.ir)].size(), 'u');
    return L;
}

// What each member's zone statistics keep (YearZoneStats::resize_compact): class bands cut
// where member_row and the typology read class ranges (the onvoldoende classes, the regions'
// weak and good classes), per-class totals for the national distribution, and the safety
// dimension, the only dimension the typology reads (all dimensions when the model has none of
// that name: the typology then reports that itself). A member-year then holds ~1.6 MB instead of
// ~3.4 MB nationally: less memory to fill, flush and roll up per member.
struct MemberStatsLayout {
    std::vector<int> dims, tops;
};
MemberStatsLayout member_stats_layout(const RunContext& x) {
    const AggregationConfig& ag = x.rc.aggregation;
    const TypologyRules& r = ag.typology;
    const int nc = int(x.nc);
    std::set<int> cuts{nc};
    for (const int c : {ag.onvoldoende_max_class, r.onvoldoende_max_class, r.region_max_class,
                        r.region_min_good_class - 1})
        if (c >= 1 && c < nc) cuts.insert(c);
    MemberStatsLayout out;
    out.tops.assign(cuts.begin(), cuts.end());
    const int sd = x.rc.model.dimension_index(r.safety_dimension);
    if (sd >= 0)
        out.dims = {sd};
    else
        for (std::size_t d = 0; d < x.nd; ++d) out.dims.push_back(int(d));
    return out;
}

// A thread's statistics of the coarser levels, reused member after member: their member-
// independent fields (residents, dwellings, cells) are the same for every member, so the first
// member rolls everything up and the others only their scores and class counts.
struct MemberScratch {
    std::vector<std::vector<YearZoneStats>> rolled;  // levels x years (level 0: unused)
    std::vector<PeriodZoneStats> prolled;            // levels (level 0: unused)
    bool primed = false;
};

// From one member's finest-level statistics (compact: member_stats_layout) to its row.
void member_row(const RunContext& x, const RowLayout& L, std::span<const double> w,
                const std::vector<YearZoneStats>& fine, const PeriodZoneStats* pfine, double* row,
                MemberScratch& scratch) {
    const ModelConfig& m = x.rc.model;
    const AggregationConfig& ag = x.rc.aggregation;
    const std::size_t nl = x.levels.size(), ny = x.ny, nc = x.nc;
    std::copy(w.begin(), w.end(), row + L["weights"].offset);
    auto sec = std::make_unique<Section>("score/member_row/roll-up");
    // Coarser levels rolled up from the finest (level 0 is `fine` itself, not copied).
    auto& rolled = scratch.rolled;
    auto& prolled = scratch.prolled;
    const bool first = !scratch.primed;
    if (first) {
        rolled.assign(nl, std::vector<YearZoneStats>(ny));
        prolled.assign(nl, PeriodZoneStats{});
    }
    auto Ys = [&](std::size_t k, std::size_t y) -> const YearZoneStats& {
        return k == 0 ? fine[y] : rolled[k][y];
    };
    for (std::size_t k = 1; k < nl; ++k)
        for (std::size_t y = 0; y < ny; ++y) {
            const auto& parent = x.levels[k - 1].parent;
            if (first)
                rolled[k][y] = roll_up(Ys(k - 1, y), parent, x.levels[k].size());
            else
                roll_up_scores(Ys(k - 1, y), parent, rolled[k][y]);
        }
    auto Ps = [&](std::size_t k) -> const PeriodZoneStats& { return k == 0 ? *pfine : prolled[k]; };
    if (pfine)
        for (std::size_t k = 1; k < nl; ++k) {
            const auto& parent = x.levels[k - 1].parent;
            if (first)
                prolled[k] = roll_up(Ps(k - 1), parent, x.levels[k].size());
            else
                roll_up_scores(Ps(k - 1), parent, prolled[k]);
        }
    scratch.primed = true;
    sec = std::make_unique<Section>("score/member_row/national, onvoldoende, zone means");
    std::uint8_t* onv_flags = L.flags(row, L["onvoldoende/" + x.levels[std::size_t(x.kb)].name]);
    const std::size_t kn = x.national_level;
    const std::vector<std::int32_t> to_nation(x.levels[kn].size(), 0);
    const std::size_t kb = std::size_t(x.kb);
    for (std::size_t y = 0; y < ny; ++y) {
        const auto nat = roll_up(Ys(kn, y), to_nation, 1);
        // Compact stats: the per-class totals over the finest zones (the same sums as the
        // national roll-up of full stats: every finest zone is in the nation or in kn = 0).
        for (std::size_t c = 0; c < nc; ++c)
            row[L["national/class_residents"].offset + y * nc + c] =
                double(fine[y].banded() ? fine[y].total_res_class[c] : nat.res_class[c]);
        row[L["national/mean_deviation"].offset + y] = nat.mean_deviation(0);
        row[L["national/share_onvoldoende"].offset + y] =
            nat.residents[0] > 0
                ? double(nat.residents_in_classes(0, 1, ag.onvoldoende_max_class)) /
                      double(nat.residents[0])
                : 0.0;
        std::int64_t n = 0;
        const auto& b = Ys(kb, y);
        const auto onv_span = b.class_span(1, ag.onvoldoende_max_class);
        for (std::size_t z = 0; z < b.zones; ++z) {
            const bool onv = b.residents_in(z, onv_span) >= ag.onvoldoende_min_residents;
            n += onv;
            if (y + 1 == ny) onv_flags[z] = onv;
        }
        row[L["onvoldoende_buurten"].offset + y] = double(n);
    }
    for (std::size_t k = 0; k < nl; ++k) {
        const auto& s = Ys(k, ny - 1);
        const std::size_t off = L["zone_mean/" + x.levels[k].name].offset;
        for (std::size_t z = 0; z < s.zones; ++z) row[off + z] = s.mean_deviation(z);
    }
    const TypologyRules& rules = ag.typology;
    sec = std::make_unique<Section>("score/member_row/typology: zone classes");
    std::int64_t counts[3] = {0, 0, 0};
    if (int(ny) >= rules.min_measurements) {
        const double national_last_delta = pfine ? roll_up(Ps(kn), to_nation, 1).mean_delta(0) : 0;
        // Per member only the flags count: no near-miss texts; zone classes computed once per
        // level and year (the buurt level serves two types).
        auto series = [&](std::size_t k) {
            LevelSeries s;
            s.level = &x.levels[k];
            for (std::size_t y = 0; y < ny; ++y) s.years.push_back(&Ys(k, y));
            if (pfine) {
                s.last_period = &Ps(k);
                s.national_last_delta = national_last_delta;
            }
            s.explain = false;
            s.classes = zone_classes(m, s);
            return s;
        };
        LevelSeries buurten = series(kb);
        // Both buurt types read the same safety selection: made once.
        buurten.unsafe_percent = rules.buurt_safety_percentile;
        buurten.unsafe = safety_lowest(rules, m, buurten, buurten.unsafe_percent);
        auto put = [&](const TypologyResult& t, const std::string& field, int slot) {
            std::uint8_t* f = L.flags(row, L[field]);
            for (std::size_t z = 0; z < t.member.size(); ++z) {
                f[z] = t.member[z];
                counts[slot] += t.member[z];
            }
        };
        sec = std::make_unique<Section>("score/member_row/typology: aandachtsbuurten");
        put(aandachtsbuurten(rules, m, buurten), "typology/aandachtsbuurt", 0);
        sec = std::make_unique<Section>("score/member_row/typology: buurt clusters");
        {
            // Contiguous clusters of buurten meeting the wijk criteria, with at least
            // cluster_min_residents residents in the latest year (as the run's aggregation).
            const auto t1b = kwetsbare_buurten(rules, m, buurten);
            const auto cluster_of = clusters(t1b.member, x.adjacency);
            // Residents per cluster, by its root (the cluster's smallest buurt index).
            std::vector<std::int64_t> res(cluster_of.size(), -1);
            for (std::size_t z = 0; z < cluster_of.size(); ++z)
                if (cluster_of[z] >= 0) {
                    std::int64_t& t = res[std::size_t(cluster_of[z])];
                    t = std::max<std::int64_t>(t, 0) + Ys(kb, ny - 1).residents[z];
                }
            std::uint8_t* f = L.flags(row, L["typology/kwetsbaar_cluster"]);
            std::int64_t nclu = 0, nbu = 0;
            for (const std::int64_t r : res) nclu += r >= 0 && r >= rules.cluster_min_residents;
            for (std::size_t z = 0; z < cluster_of.size(); ++z) {
                const bool in = cluster_of[z] >= 0 &&
                                res[std::size_t(cluster_of[z])] >= rules.cluster_min_residents;
                f[z] = in;
                nbu += in;
            }
            row[L["typology/cluster_counts"].offset] = double(nclu);
            row[L["typology/cluster_counts"].offset + 1] = double(nbu);
        }
        sec = std::make_unique<Section>("score/member_row/typology: wijken, regions");
        if (x.iw >= 0)
            put(kwetsbare_wijken(rules, m, series(std::size_t(x.iw))), "typology/kwetsbare_wijk",
                1);
        if (x.ir >= 0)
            put(aandachtsregios(rules, series(std::size_t(x.ir))), "typology/aandachtsregio", 2);
    } else {
        for (const char* f :
             {"typology/aandachtsbuurt", "typology/kwetsbare_wijk", "typology/aandachtsregio",
              "typology/kwetsbaar_cluster", "typology/cluster_counts"})
            for (const auto& fl : L.fields)
                if (fl.name == f && fl.type == 'u')
                    std::fill_n(L.flags(row, fl), fl.cols, std::uint8_t(0));
                else if (fl.name == f)
                    std::fill(row + fl.offset, row + fl.offset + fl.cols, 0.0);
    }
    for (int i = 0; i < 3; ++i)
        row[L["typology/counts"].offset + std::size_t(i)] = double(counts[i]);
}

// The scored cells of every year, on every rank (the kernel reads all of them).
struct Matrix {
    std::vector<std::pair<std::int32_t, std::int32_t>> adjacency;  // finest zones sharing an edge
    std::vector<std::vector<std::int32_t>> residents, dwellings, zone, prev_index;
};

Matrix read_matrix(const RunContext& x, MPI_Comm comm) {
    Matrix mx;
    const GridSpec& g = x.rc.dataset.grid;
    const DatasetManifest& ds = x.rc.dataset;
    // The finest zone level on the whole grid, cell-centre rule (as the aggregation stage):
    // each rank rasterises a band of rows, and the bands are gathered on every rank (the
    // cell-centre rule gives a cell the same zone in any window).
    auto sec = std::make_unique<Section>("read/rasterise zones");
    Raster<std::int32_t> ids;
    {
        int rank = 0, size = 1;
        MPI_Comm_rank(comm, &rank);
        MPI_Comm_size(comm, &size);
        std::vector<int> counts(static_cast<std::size_t>(size)),
            displs(static_cast<std::size_t>(size));
        for (int r = 0; r < size; ++r) {
            const std::int64_t r0 = g.ny * r / size, r1 = g.ny * (r + 1) / size;
            counts[std::size_t(r)] = int((r1 - r0) * g.nx);
            displs[std::size_t(r)] = int(r0 * g.nx);
        }
        Window band = g.window();
        band.row0 = g.ny * rank / size;
        band.nrows = g.ny * (rank + 1) / size - band.row0;
        // The run has counted overlapping zones already: not counted again.
        if (size == 1) {
            ids = io::rasterise_zones(zone_source(ds, ds.levels[0]), g, band, 0, false).ids;
        } else {
            std::vector<std::int32_t> mine;
            if (band.nrows > 0)
                mine =
                    io::rasterise_zones(zone_source(ds, ds.levels[0]), g, band, 0, false).ids.data;
            mine.resize(std::size_t(counts[std::size_t(rank)]), 0);
            ids = Raster<std::int32_t>(g.window(), 0, 0);
            MPI_Allgatherv(mine.data(), counts[std::size_t(rank)], MPI_INT32_T, ids.data.data(),
                           counts.data(), displs.data(), MPI_INT32_T, comm);
        }
    }
    struct {
        Raster<std::int32_t> ids;
    } rz{std::move(ids)};
    sec = std::make_unique<Section>("read/adjacency");
    {
        // Pairs of zones that share a cell edge: collected per band of rows on the threads
        // (repeats dropped within a row), then sorted and made unique: the sorted unique pairs.
        std::vector<std::vector<std::pair<std::int32_t, std::int32_t>>> found(
            static_cast<std::size_t>(omp_get_max_threads()));
#pragma omp parallel
        {
            auto& mine = found[std::size_t(omp_get_thread_num())];
#pragma omp for schedule(static)
            for (std::int64_t row = 0; row < g.ny; ++row) {
                std::pair<std::int32_t, std::int32_t> last{-1, -1};
                for (std::int64_t col = 0; col < g.nx; ++col) {
                    const std::int32_t z0 = rz.ids.at(col, row);
                    if (z0 <= 0) continue;
                    const std::int32_t right = col + 1 < g.nx ? rz.ids.at(col + 1, row) : 0;
                    const std::int32_t down = row + 1 < g.ny ? rz.ids.at(col, row + 1) : 0;
                    for (const std::int32_t z1 : {right, down})
                        if (z1 > 0 && z1 != z0) {
                            const std::pair<std::int32_t, std::int32_t> e{std::min(z0, z1) - 1,
                                                                          std::max(z0, z1) - 1};
                            if (e != last) mine.push_back(e), last = e;
                        }
                }
            }
        }
        for (auto& f : found) mx.adjacency.insert(mx.adjacency.end(), f.begin(), f.end());
        std::sort(mx.adjacency.begin(), mx.adjacency.end());
        mx.adjacency.erase(std::unique(mx.adjacency.begin(), mx.adjacency.end()),
                           mx.adjacency.end());
    }
    sec = std::make_unique<Section>("read/hdf5 matrix");
    // Every rank reads the whole matrix by itself (POSIX driver, no collective transfers).
    io::H5File f(x.results, MPI_COMM_SELF, io::H5File::Mode::read_only, io::H5File::Driver::posix);
    std::vector<std::vector<std::int64_t>> cells(x.ny);
    for (std::size_t k = 0; k < x.ny; ++k) {
        const std::string M = "/matrix/" + std::to_string(x.years[k]);
        const auto shape = f.shape(M + "/z");
        if (!shape || (*shape)[1] != std::int64_t(x.ni))
            throw Error("sweep", x.results + ": " + M + "/z missing or not cells x indicators");
        const std::int64_t n = (*shape)[0];
        cells[k] = f.read_rows<std::int64_t>(M + "/cell", 0, n);
        mx.residents.push_back(f.read_rows<std::int32_t>(M + "/residents", 0, n));
        mx.dwellings.push_back(f.read_rows<std::int32_t>(M + "/dwellings", 0, n));
        std::vector<std::int32_t> zone(static_cast<std::size_t>(n));
        for (std::int64_t c = 0; c < n; ++c) {
            const auto id = cells[k][std::size_t(c)];
            zone[std::size_t(c)] = rz.ids.at(id % g.nx, id / g.nx) - 1;
        }
        mx.zone.push_back(std::move(zone));
    }
    mx.prev_index.resize(x.ny);
    if (x.last_period) {
        const auto &a = cells[x.ny - 2], &b = cells[x.ny - 1];
        auto& pi = mx.prev_index[x.ny - 1];
        pi.assign(b.size(), -1);
        for (std::size_t i = 0, j = 0; i < a.size() && j < b.size();) {
            if (a[i] < b[j])
                ++i;
            else if (b[j] < a[i])
                ++j;
            else
                pi[j++] = std::int32_t(i++);
        }
    }
    return mx;
}

// Every year of the matrix prepared for the kernel (sorted by zone, z quantised), shared by the
// ranks of a node: the years are dealt out over the node's ranks (year y to node rank y mod
// ranks), each rank prepares its years (z read a block of rows at a time) into MPI shared-memory
// windows, and the small per-zone parts are broadcast over the node. So a node reads, quantises
// and first-touches the matrix once instead of once per rank.
// Where the CPU has VNNI the kernel reads z only as 16-bit parts (zv): the owner quantises zq
// into its private memory, splits it into the parts window, and frees it (on this VM a fresh
// page costs ~2 ms per MB to touch: the 253 MB of national zq are then the memory the members'
// rows and statistics reuse instead of shared memory held to the end); a year whose z does not
// split (too many parts) gets its zq in a shared window as on other CPUs.
struct SharedPrepared {
    std::vector<SweepPrepared> years;
    MPI_Win win = MPI_WIN_NULL, zwin = MPI_WIN_NULL, qwin = MPI_WIN_NULL;
    MPI_Comm node = MPI_COMM_NULL;
    SharedPrepared() = default;
    SharedPrepared(const SharedPrepared&) = delete;
    SharedPrepared& operator=(const SharedPrepared&) = delete;
    // Collective over the node.
    void release() {
        years.clear();
        for (MPI_Win* w : {&qwin, &zwin, &win})
            if (*w != MPI_WIN_NULL) MPI_Win_free(w);
        if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    }
};

template <class T>
void bcast_vec(std::vector<T>& v, int root, MPI_Comm c) {
    std::uint64_t n = v.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, root, c);
    v.resize(n);
    if (n) MPI_Bcast(v.data(), int(n * sizeof(T)), MPI_BYTE, root, c);
}

// A node-shared window of bytes[r] on node rank r (collective over the node), locked for
// access; the base of every rank's segment.
std::vector<char*> shared_segments(const std::vector<std::size_t>& bytes, int nr, MPI_Comm node,
                                   MPI_Win& win) {
    void* mine = nullptr;
    MPI_Win_allocate_shared(MPI_Aint(std::max<std::size_t>(bytes[std::size_t(nr)], 64)), 64,
                            MPI_INFO_NULL, node, &mine, &win);
    std::vector<char*> segs(bytes.size());
    for (std::size_t r = 0; r < bytes.size(); ++r) {
        MPI_Aint sz = 0;
        int du = 0;
        void* q = nullptr;
        MPI_Win_shared_query(win, int(r), &sz, &du, &q);
        segs[r] = static_cast<char*>(q);
    }
    MPI_Win_lock_all(MPI_MODE_NOCHECK, win);
    return segs;
}
// Makes the owners' writes into win visible to the node, and unlocks it (collective).
void publish(MPI_Win win, MPI_Comm node) {
    MPI_Win_sync(win);
    MPI_Barrier(node);
    MPI_Win_sync(win);
    MPI_Win_unlock_all(win);
}

// The private zq of a rank's years (VNNI CPUs): allocated before the zones and cell tables are
// read, and its pages first touched on a helper thread meanwhile (that serial work leaves the
// other cores idle; a fresh page costs ~2 ms per MB to touch on a VM with free page reporting),
// so that preparing the years writes into memory that is already there.
struct ZqMemory {
    std::unique_ptr<std::int32_t[]> data;  // uninitialised
    std::size_t size = 0;
    std::thread toucher;
    ZqMemory() = default;
    ZqMemory(ZqMemory&&) = default;
    ZqMemory& operator=(ZqMemory&&) = delete;
    ~ZqMemory() { join(); }
    void join() {
        if (toucher.joinable()) toucher.join();
    }
};

// Node ranks of `node` own years y with y mod (node ranks) == node rank (prepare_years).
ZqMemory start_zq_memory(const RunContext& x, MPI_Comm node) {
    ZqMemory m;
    if (!sweep_kernel_has_vnni()) return m;
    int nr = 0, ns = 1;
    MPI_Comm_rank(node, &nr);
    MPI_Comm_size(node, &ns);
    // Sizes from the matrix shapes; anything amiss is left for read_matrix to report (with the
    // file and dataset), and the memory is then allocated where the years are prepared.
    try {
        io::H5File f(x.results, MPI_COMM_SELF, io::H5File::Mode::read_only,
                     io::H5File::Driver::posix);
        for (std::size_t y = 0; y < x.ny; ++y) {
            const auto shape = f.shape("/matrix/" + std::to_string(x.years[y]) + "/z");
            if (!shape || shape->size() != 2 || (*shape)[1] != std::int64_t(x.ni)) return m;
            if (int(y % std::size_t(ns)) == nr) m.size += std::size_t((*shape)[0]) * x.ni;
        }
    } catch (const std::exception&) {
        m.size = 0;
        return m;
    }
    m.data.reset(new std::int32_t[std::max<std::size_t>(m.size, 1)]);
    if (omp_get_max_threads() > 1)
        m.toucher = std::thread([p = m.data.get(), n = m.size] {
            for (std::size_t i = 0; i < n; i += 1024) p[i] = 0;  // one write per 4 KiB page
        });
    return m;
}

// zq_mem: memory for this rank's private zq (start_zq_memory), used when large enough.
void prepare_years(const RunContext& x, Matrix& mx, MPI_Comm comm, SharedPrepared& out,
                   ZqMemory& zq_mem) {
    if (out.node == MPI_COMM_NULL)
        MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &out.node);
    int nr = 0, ns = 1;
    MPI_Comm_rank(out.node, &nr);
    MPI_Comm_size(out.node, &ns);
    const std::size_t nz = x.levels[0].size(), ni = x.ni, ny = x.ny;
    auto owner = [&](std::size_t y) { return int(y % std::size_t(ns)); };
    auto up64 = [](std::size_t b) { return (b + 63) & ~std::size_t(63); };
    // zq private until split into parts (VNNI), else shared from the start.
    const bool parts = sweep_kernel_has_vnni();
    // Cells with a zone per year (every rank has the zones), and each year's offset in its
    // owner's segment (packed, then zq when shared) and in the owner's private zq.
    std::vector<std::size_t> ncz(ny, 0), off(ny, 0), seg_bytes(std::size_t(ns), 0), qoff(ny, 0);
    std::size_t private_q = 0;
    for (std::size_t y = 0; y < ny; ++y) {
        for (const std::int32_t z : mx.zone[y]) ncz[y] += z >= 0;
        auto& sb = seg_bytes[std::size_t(owner(y))];
        off[y] = sb;
        sb += up64(ncz[y] * sizeof(std::int64_t)) +
              (parts ? 0 : up64(ncz[y] * ni * sizeof(std::int32_t)));
        if (owner(y) == nr) qoff[y] = private_q, private_q += ncz[y] * ni;
    }
    // Uninitialised: its pages are first touched where the years are prepared (on the OpenMP
    // threads) or by the helper of start_zq_memory, which may still be at it meanwhile (a page
    // is the same whoever touches it first; joined below, before the memory is freed).
    if (parts && (!zq_mem.data || zq_mem.size < private_q)) {
        zq_mem.join();
        zq_mem.data.reset(new std::int32_t[std::max<std::size_t>(private_q, 1)]);
        zq_mem.size = private_q;
    }
    std::int32_t* const zq_private = parts ? zq_mem.data.get() : nullptr;
    const std::vector<char*> segs = shared_segments(seg_bytes, nr, out.node, out.win);
    auto packed_of = [&](std::size_t y) {
        return reinterpret_cast<std::int64_t*>(segs[std::size_t(owner(y))] + off[y]);
    };
    auto zq_of = [&](std::size_t y) {  // the owner's zq; any rank's when shared
        return parts ? zq_private + qoff[y]
                     : reinterpret_cast<std::int32_t*>(segs[std::size_t(owner(y))] + off[y] +
                                                       up64(ncz[y] * sizeof(std::int64_t)));
    };
    out.years.resize(ny);
    {
        // z is read a block of rows at a time while each year is prepared (the float matrices
        // are never held whole: ~63 MB of fresh memory per national year saved), from one file
        // handle (HDF5 is not thread-safe: one block read at a time); the years are prepared on
        // the OpenMP threads (each year's result is the same on any thread).
        io::H5File f(x.results, MPI_COMM_SELF, io::H5File::Mode::read_only,
                     io::H5File::Driver::posix);
        auto reader = [&](std::size_t y) {
            return [&f, &x, ni, y](std::size_t r0, std::size_t n, float* dst) {
                Section sec("read/hdf5 matrix");
                const std::string path = "/matrix/" + std::to_string(x.years[y]) + "/z";
                std::vector<float> v;
                std::exception_ptr failed;  // an exception must not leave the critical section
#pragma omp critical(leefbaar_sweep_hdf5)
                try {
                    v = f.read_rows<float>(path, std::int64_t(r0), std::int64_t(n));
                } catch (...) {
                    failed = std::current_exception();
                }
                if (failed) std::rethrow_exception(failed);
                if (v.size() != n * ni)
                    throw Error("sweep", x.results + ": " + path + ": rows " + std::to_string(r0) +
                                             ".." + std::to_string(r0 + n) + " not all there");
                std::copy(v.begin(), v.end(), dst);
            };
        };
        std::vector<std::size_t> mine_y;
        for (std::size_t y = 0; y < ny; ++y)
            if (owner(y) == nr) mine_y.push_back(y);
        Section sec("read/prepare (sort, quantise)");
        std::exception_ptr failed;
#pragma omp parallel for schedule(dynamic, 1)
        for (std::size_t j = 0; j < mine_y.size(); ++j) try {
                const std::size_t y = mine_y[j];
                const bool with_prev = x.last_period && y + 1 == ny;
                SweepYearInput in;
                in.cells = mx.residents[y].size();
                in.indicators = ni;
                in.read_z = reader(y);
                in.residents = mx.residents[y].data();
                in.dwellings = mx.dwellings[y].data();
                in.zone = mx.zone[y].data();
                if (with_prev) {
                    in.read_prev_z = reader(y - 1);
                    in.prev_index = mx.prev_index[y].data();
                }
                out.years[y] = sweep_prepare(in, nz, zq_of(y), packed_of(y), false);
            } catch (...) {
#pragma omp critical(leefbaar_sweep_prepare_failed)
                if (!failed) failed = std::current_exception();
            }
        if (failed) std::rethrow_exception(failed);
    }
    zq_mem.join();
    publish(out.win, out.node);
    {
        Section sec("read/share prepared years (node)");
        for (std::size_t y = 0; y < ny; ++y) {
            SweepPrepared& p = out.years[y];
            const int root = owner(y);
            if (root != nr) {
                p.cells = ncz[y];
                p.indicators = ni;
                p.zones = nz;
                if (!parts) p.zq = std::span<const std::int32_t>(zq_of(y), ncz[y] * ni);
                p.packed = std::span<const std::int64_t>(packed_of(y), ncz[y]);
            }
            bcast_vec(p.run_zone, root, out.node);
            bcast_vec(p.run_begin, root, out.node);
            bcast_vec(p.zq_maxabs, root, out.node);
            bcast_vec(p.residents, root, out.node);
            bcast_vec(p.dwellings, root, out.node);
            bcast_vec(p.ncells, root, out.node);
            bcast_vec(p.rz, root, out.node);
            int period = p.period;
            MPI_Bcast(&period, 1, MPI_INT, root, out.node);
            p.period = period != 0;
            bcast_vec(p.p_residents, root, out.node);
            bcast_vec(p.p_cells, root, out.node);
            bcast_vec(p.pz, root, out.node);
            if (root != nr) sweep_prepare_linear(p);
        }
    }
    mx = Matrix{};
    if (!parts) return;
    // The VNNI kernel's 16-bit z parts, in a second window: every rank plans the columns from
    // the broadcast zq_maxabs (the same plan), each year's owner fills them from its zq.
    Section sec("read/prepare (sort, quantise)");
    std::vector<std::size_t> zoff(ny, 0), zbytes(static_cast<std::size_t>(ns), 0), qoff2(ny, 0),
        qbytes(static_cast<std::size_t>(ns), 0);
    std::vector<std::uint8_t> has(ny, 0);
    for (std::size_t y = 0; y < ny; ++y) {
        has[y] = sweep_plan_zparts(out.years[y]);
        auto& sb = has[y] ? zbytes[std::size_t(owner(y))] : qbytes[std::size_t(owner(y))];
        (has[y] ? zoff : qoff2)[y] = sb;
        sb += up64(ncz[y] *
                   (has[y] ? out.years[y].nzv * sizeof(std::int16_t) : ni * sizeof(std::int32_t)));
    }
    const std::vector<char*> zsegs = shared_segments(zbytes, nr, out.node, out.zwin);
    const std::vector<char*> qsegs = shared_segments(qbytes, nr, out.node, out.qwin);
#pragma omp parallel for schedule(dynamic, 1)
    for (std::size_t y = 0; y < ny; ++y) {
        SweepPrepared& p = out.years[y];
        const bool mine = owner(y) == nr;
        if (has[y]) {
            auto* zv = reinterpret_cast<std::int16_t*>(zsegs[std::size_t(owner(y))] + zoff[y]);
            if (mine) sweep_fill_zparts(p, zv);
            p.zv = std::span<const std::int16_t>(zv, ncz[y] * p.nzv);
            p.zq = {};
        } else {
            auto* zq = reinterpret_cast<std::int32_t*>(qsegs[std::size_t(owner(y))] + qoff2[y]);
            if (mine) std::copy(p.zq.begin(), p.zq.end(), zq);
            p.zq = std::span<const std::int32_t>(zq, ncz[y] * ni);
        }
    }
    publish(out.zwin, out.node);
    publish(out.qwin, out.node);
    zq_mem.data.reset();
}

// Scores members [0, k) of `weights` (k x ni) and fills their rows. Tiles of members run on the
// OpenMP threads; each member's statistics are exact integer sums, so neither the tile size nor
// the thread count changes a bit.
void score_members(const RunContext& x, const RowLayout& L, const std::vector<SweepPrepared>& pr,
                   const std::vector<double>& weights, std::size_t k, std::size_t tile,
                   std::vector<double>& rows) {
    // rows may be longer (rank 0 gathers the other ranks' rows after its own, in place).
    if (rows.size() < k * L.width) rows.assign(k * L.width, 0.0);
    const std::size_t ntiles = (k + tile - 1) / tile;
    const std::size_t nz = x.levels[0].size();
    const std::vector<std::int32_t> wq =
        quantise_weights(std::span<const double>(weights.data(), k * x.ni));
    // Each thread's zone statistics (years x tile members, ~3 MB per member-year nationally) are
    // allocated once and reused by every tile (the kernel overwrites them): fresh allocations
    // per tile cost page faults that dominated the score time.
    // Allocated here, on the calling thread: glibc gives the other threads arenas of their own,
    // in fresh memory (first-touch page faults, ~3 ms per MB on a VM), while this thread's arena
    // reuses what the read phase freed.
    struct ThreadStats {
        std::vector<std::vector<YearZoneStats>> ys;
        std::vector<PeriodZoneStats> ps;
    };
    std::vector<ThreadStats> per_thread(static_cast<std::size_t>(omp_get_max_threads()));
    {
        Section sec("score/allocate statistics");
        const MemberStatsLayout lay = member_stats_layout(x);
        for (auto& [ys, ps] : per_thread) {
            ys.assign(x.ny, std::vector<YearZoneStats>(tile));
            ps.resize(x.last_period ? tile : 0);
            for (auto& yv : ys)
                for (auto& s : yv) s.resize_compact(nz, lay.dims, lay.tops);
            for (auto& p : ps) p.resize(nz, 0, 0);  // member_row reads the mean change only
        }
    }
#pragma omp parallel
    {
        auto& [ys, ps] = per_thread[std::size_t(omp_get_thread_num())];
        std::vector<PeriodZoneStats> none;
        std::vector<YearZoneStats> fine(x.ny);
        MemberScratch scratch;
        // Per year: the thread's first `primed` member slots hold that year's member-
        // independent fields already (set by an earlier call): later calls set the scores only.
        std::vector<std::size_t> primed(x.ny, 0);
#pragma omp for schedule(dynamic, 1)
        for (std::size_t t = 0; t < ntiles; ++t) {
            const std::size_t m0 = t * tile, mk = std::min(tile, k - m0);
            std::vector<PeriodZoneStats> pt;
            for (std::size_t y = 0; y < x.ny; ++y) {
                // The kernel sets every field (overwrite): no zeroing pass over the stats; the
                // member-independent ones only in slots not used for this year before.
                std::vector<YearZoneStats> yt;  // the tile's members, moved in and back out
                for (std::size_t m = 0; m < mk; ++m) yt.push_back(std::move(ys[y][m]));
                const bool with_prev = x.last_period && y + 1 == x.ny;
                if (with_prev)
                    for (std::size_t m = 0; m < mk; ++m) {
                        pt.push_back(std::move(ps[m]));
                    }
                Section sec("score/kernel");
                const SweepStatsMode mode =
                    mk <= primed[y] ? SweepStatsMode::overwrite_scores : SweepStatsMode::overwrite;
                sweep_score_prepared(
                    pr[y], x.dim_of, x.nd, x.rc.model.classes,
                    std::span<const std::int32_t>(wq.data() + m0 * x.ni, mk * x.ni), mk, yt,
                    with_prev ? pt : none, SweepKernelPath::automatic, mode);
                primed[y] = std::max(primed[y], mk);
                for (std::size_t m = 0; m < mk; ++m) ys[y][m] = std::move(yt[m]);
            }
            for (std::size_t m = 0; m < mk; ++m) {
                for (std::size_t y = 0; y < x.ny; ++y) std::swap(fine[y], ys[y][m]);
                Section sec("score/member_row");
                member_row(x, L, std::span<const double>(weights.data() + (m0 + m) * x.ni, x.ni),
                           fine, x.last_period ? &pt[m] : nullptr, rows.data() + (m0 + m) * L.width,
                           scratch);
                for (std::size_t y = 0; y < x.ny; ++y) std::swap(fine[y], ys[y][m]);
            }
            for (std::size_t m = 0; m < pt.size(); ++m) ps[m] = std::move(pt[m]);
        }
    }
}

// ---- sweep.h5 ----

void write_file(const std::string& path, const RunContext& x, const RowLayout& L,
                const std::string& spec_text, std::int64_t spec_total,
                const std::vector<std::int64_t>& members, const std::vector<double>& rows,
                const std::vector<double>& base_row) {
    const std::string tmp = path + ".partial";
    {
        io::H5File f(tmp, MPI_COMM_SELF, io::H5File::Mode::create, io::H5File::Driver::posix);
        const auto K = std::int64_t(members.size());
        f.write_rows<std::int64_t>("/member", K, 0, 1, members);
        for (int b = 0; b < 2; ++b) {
            const std::vector<double>& src = b ? base_row : rows;
            const std::int64_t n = b ? 1 : K;
            const std::string pre = b ? "/base/" : "/";
            for (const auto& fl : L.fields) {
                if (fl.type == 'u') {
                    std::vector<std::uint8_t> v(std::size_t(n) * fl.cols);
                    for (std::int64_t r = 0; r < n; ++r)
                        std::copy_n(L.flags(src.data() + std::size_t(r) * L.width, fl), fl.cols,
                                    v.begin() + std::ptrdiff_t(std::size_t(r) * fl.cols));
                    // 0/1 flags, mostly 0: deflated (the run-length encoder, ~1% of the bytes).
                    f.write_rows<std::uint8_t>(pre + fl.name, n, 0, std::int64_t(fl.cols), v, true);
                    continue;
                }
                std::vector<double> d(std::size_t(n) * fl.cols);
                for (std::int64_t r = 0; r < n; ++r)
                    std::copy_n(src.begin() + std::ptrdiff_t(std::size_t(r) * L.width + fl.offset),
                                fl.cols, d.begin() + std::ptrdiff_t(std::size_t(r) * fl.cols));
                if (fl.type == 'd')
                    f.write_rows<double>(pre + fl.name, n, 0, std::int64_t(fl.cols), d);
                else {
                    std::vector<std::int64_t> v(d.begin(), d.end());
                    f.write_rows<std::int64_t>(pre + fl.name, n, 0, std::int64_t(fl.cols), v);
                }
            }
        }
        f.set_attribute("/", "title", "leefbaar weight sweep");
        f.set_attribute("/", "run_dir", fs::absolute(x.run_dir).string());
        f.set_attribute("/", "config", fs::absolute(x.config).string());
        f.set_attribute("/", "spec", spec_text);
        f.set_attribute("/", "spec_members", std::to_string(spec_total));
        f.set_string_list("/", "indicators", x.indicators);
        std::vector<std::string> ys, lv;
        for (auto y : x.years) ys.push_back(std::to_string(y));
        for (const auto& l : x.levels) lv.push_back(l.name);
        f.set_string_list("/", "years", ys);
        f.set_string_list("/", "levels", lv);
        f.set_attribute("/", "note",
                        "rows = members (see /member); zone_mean/<level>: resident-weighted mean "
                        "deviation per zone in the "
                        "latest year (zones in the order of the zones file); onvoldoende and "
                        "typology flags per zone; "
                        "national/class_residents: years x classes");
        f.set_attribute("/", "status", "complete");
    }
    fs::rename(tmp, path);
}

struct FileData {
    std::vector<std::int64_t> members;
    std::vector<double> rows, base_row;
    std::string spec;
    std::int64_t spec_total = 0;
    std::string run_dir, config;
    // Per member: rank correlation of its buurt scores with the base run's, when already
    // computed (run_sweep: by the rank that scored the member); empty = computed here.
    std::vector<double> rho;
};

// The rank correlation of each row's finest-buurt-level scores with the base row's.
std::vector<double> rank_correlations(const RunContext& x, const RowLayout& L,
                                      const std::vector<double>& base_row,
                                      const std::vector<double>& rows, std::size_t K) {
    const auto& kbl = x.levels[std::size_t(x.kb)];
    const std::size_t nb = kbl.size();
    const std::size_t off_kb = L["zone_mean/" + kbl.name].offset;
    std::vector<double> base_b(base_row.begin() + std::ptrdiff_t(off_kb),
                               base_row.begin() + std::ptrdiff_t(off_kb + nb)),
        rho(K);
    const SpearmanReference base_rank(base_b);
#pragma omp parallel for schedule(dynamic, 8)
    for (std::size_t r = 0; r < K; ++r) {
        std::vector<double> v(rows.begin() + std::ptrdiff_t(r * L.width + off_kb),
                              rows.begin() + std::ptrdiff_t(r * L.width + off_kb + nb));
        rho[r] = base_rank(v);
    }
    return rho;
}

FileData read_file(const std::string& path, const RowLayout& L) {
    if (!fs::exists(path) || !io::is_hdf5(path))
        throw UsageError("sweep", path + ": no sweep results (sweep.h5) there");
    FileData d;
    io::H5File f(path, MPI_COMM_SELF, io::H5File::Mode::read_only, io::H5File::Driver::posix);
    if (f.attribute("/", "status").value_or("") != "complete")
        throw UsageError("sweep", path + " is not a finished sweep");
    const auto shape = f.shape("/member");
    const std::int64_t K = shape ? (*shape)[0] : 0;
    d.members = f.read_rows<std::int64_t>("/member", 0, K);
    d.spec = f.attribute("/", "spec").value_or("");
    d.spec_total = std::stoll(f.attribute("/", "spec_members").value_or("0"));
    d.run_dir = f.attribute("/", "run_dir").value_or("");
    d.config = f.attribute("/", "config").value_or("");
    for (int b = 0; b < 2; ++b) {
        const std::int64_t n = b ? 1 : K;
        std::vector<double>& dst = b ? d.base_row : d.rows;
        dst.assign(std::size_t(n) * L.width, 0.0);
        for (const auto& fl : L.fields) {
            const std::string p = (b ? "/base/" : "/") + fl.name;
            const auto s = f.shape(p);
            if (!s || (*s)[0] != n || (*s)[1] != std::int64_t(fl.cols))
                throw UsageError("sweep",
                                 path + ": dataset " + p +
                                     " missing or of another shape (a sweep of another run?)");
            const auto v = f.read_rows<double>(p, 0, n);
            for (std::int64_t r = 0; r < n; ++r) {
                const auto from = v.begin() + std::ptrdiff_t(std::size_t(r) * fl.cols);
                double* row = dst.data() + std::size_t(r) * L.width;
                if (fl.type == 'u') {
                    std::uint8_t* to = L.flags(row, fl);
                    for (std::size_t c = 0; c < fl.cols; ++c) {
                        const double b = from[std::ptrdiff_t(c)];
                        if (b != 0 && b != 1)
                            throw UsageError("sweep", path + ": dataset " + p +
                                                          " holds a value other than 0 or 1");
                        to[c] = std::uint8_t(b);
                    }
                } else
                    std::copy_n(from, fl.cols, row + fl.offset);
            }
        }
    }
    return d;
}

// ---- summaries ----

double mean_of(std::span<const double> v) {
    double s = 0;
    std::size_t n = 0;
    for (double x : v)
        if (std::isfinite(x)) s += x, ++n;
    return n ? s / double(n) : std::nan("");
}
double sd_of(std::span<const double> v) {
    const double m = mean_of(v);
    double s = 0;
    std::size_t n = 0;
    for (double x : v)
        if (std::isfinite(x)) s += (x - m) * (x - m), ++n;
    return n > 1 ? std::sqrt(s / double(n - 1)) : (n == 1 ? 0.0 : std::nan(""));
}
// q-quantile (linear interpolation) of finite values sorted ascending.
double quantile_sorted(const std::vector<double>& v, double q) {
    if (v.empty()) return std::nan("");
    const double pos = q * double(v.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    return v[lo] + (pos - double(lo)) * (v[hi] - v[lo]);
}
// quantile_sorted(v sorted, q) by selection (nth_element) instead of a full sort: the same two
// order statistics, the same arithmetic. v (finite values) is reordered.
double quantile_select(std::vector<double>& v, double q) {
    if (v.empty()) return std::nan("");
    const double pos = q * double(v.size() - 1);
    const auto lo = std::size_t(std::floor(pos));
    const auto hi = std::min(lo + 1, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(lo), v.end());
    const double a = v[lo];
    const double b = hi == lo ? a : *std::min_element(v.begin() + std::ptrdiff_t(hi), v.end());
    return a + (pos - double(lo)) * (b - a);
}
double quantile(std::vector<double> v, double q) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }),
            v.end());
    std::sort(v.begin(), v.end());
    return quantile_sorted(v, q);
}

// Columns [off, off + n) of the K member rows, transposed into t (n x K, member fastest), in
// blocks of columns so that both sides stream through the cache. t is reused across calls (the
// summaries transpose a block of zones at a time: fresh memory for whole levels, 100 MB per
// field at K = 1000, cost more in first-touch page faults than the summaries themselves).
void columns_into(const std::vector<double>& rows, std::size_t width, std::size_t K,
                  std::size_t off, std::size_t n, std::vector<double>& t) {
    t.resize(n * K);
    constexpr std::size_t kBlock = 64;
    for (std::size_t c0 = 0; c0 < n; c0 += kBlock) {
        const std::size_t c1 = std::min(n, c0 + kBlock);
        for (std::size_t r = 0; r < K; ++r) {
            const double* src = rows.data() + r * width + off;
            for (std::size_t c = c0; c < c1; ++c) t[c * K + r] = src[c];
        }
    }
}
json jnum(double v) {
    return std::isfinite(v) ? json(v) : json(nullptr);
}

void write_summaries(const std::string& out, const RunContext& x, const RowLayout& L,
                     const FileData& d) {
    const ModelConfig& m = x.rc.model;
    const std::size_t K = d.members.size(), ny = x.ny, nc = x.nc;
    auto val = [&](std::size_t r, const std::string& field, std::size_t col) {
        return d.rows[r * L.width + L[field].offset + col];
    };
    auto bval = [&](const std::string& field, std::size_t col) {
        return d.base_row[L[field].offset + col];
    };
    // Rank correlation of each member's buurt scores with the base run.
    auto sec = std::make_unique<Section>("write/summaries/rank correlation");
    const std::vector<double> rho =
        d.rho.size() == K ? d.rho : rank_correlations(x, L, d.base_row, d.rows, K);
    // members.csv
    sec = std::make_unique<Section>("write/summaries/members.csv");
    {
        std::vector<std::string> h{"member"};
        for (const auto& n : x.indicators) h.push_back("w_" + n);
        for (auto y : x.years) {
            const std::string Y = std::to_string(y);
            h.push_back("mean_deviation_" + Y);
            h.push_back("share_onvoldoende_" + Y);
            h.push_back("onvoldoende_buurten_" + Y);
            for (std::size_t c = 1; c <= nc; ++c)
                h.push_back("share_c" + std::to_string(c) + "_" + Y);
        }
        for (const char* s :
             {"aandachtsbuurten", "kwetsbare_wijken", "aandachtsregios", "kwetsbare_clusters",
              "buurten_in_kwetsbare_clusters", "rank_corr_buurt"})
            h.push_back(s);
        io::CsvWriter csv(h);
        auto row_of = [&](const std::vector<double>& src, std::size_t r, const std::string& name,
                          double rc) {
            auto v = [&](const std::string& f, std::size_t c) {
                return src[r * L.width + L[f].offset + c];
            };
            std::vector<std::string> row{name};
            for (std::size_t i = 0; i < x.ni; ++i) row.push_back(io::csv_number(v("weights", i)));
            for (std::size_t y = 0; y < ny; ++y) {
                row.push_back(io::csv_number(v("national/mean_deviation", y)));
                row.push_back(io::csv_number(v("national/share_onvoldoende", y)));
                row.push_back(std::to_string(std::int64_t(v("onvoldoende_buurten", y))));
                double tot = 0;
                for (std::size_t c = 0; c < nc; ++c)
                    tot += v("national/class_residents", y * nc + c);
                for (std::size_t c = 0; c < nc; ++c)
                    row.push_back(io::csv_number(
                        tot > 0 ? v("national/class_residents", y * nc + c) / tot : 0.0));
            }
            for (std::size_t i = 0; i < 3; ++i)
                row.push_back(std::to_string(std::int64_t(v("typology/counts", i))));
            for (std::size_t i = 0; i < 2; ++i)
                row.push_back(std::to_string(std::int64_t(v("typology/cluster_counts", i))));
            row.push_back(io::csv_number(rc));
            return row;
        };
        csv.row(row_of(d.base_row, 0, "base", 1.0));
        for (std::size_t r = 0; r < K; ++r)
            csv.row(row_of(d.rows, r, std::to_string(d.members[r]), rho[r]));
        csv.save((fs::path(out) / "members.csv").string());
    }
    // zones.csv: per zone of every level, spread of the score and class over members;
    // probabilities of onvoldoende and typology membership where they apply.
    sec = std::make_unique<Section>("write/summaries/zones.csv");
    {
        io::CsvWriter csv({"level",
                           "code",
                           "name",
                           "base_score",
                           "mean_score",
                           "sd_score",
                           "min_score",
                           "p05_score",
                           "p95_score",
                           "max_score",
                           "base_class",
                           "min_class",
                           "max_class",
                           "p_class_differs",
                           "p_onvoldoende",
                           "p_aandachtsbuurt",
                           "p_kwetsbare_wijk",
                           "p_aandachtsregio",
                           "base_onvoldoende",
                           "base_typology",
                           "p_kwetsbaar_cluster",
                           "base_kwetsbaar_cluster"});
        for (std::size_t k = 0; k < x.levels.size(); ++k) {
            const auto& lv = x.levels[k];
            const std::size_t nz = lv.size();
            const std::string F = "zone_mean/" + lv.name;
            const std::size_t offF = L[F].offset;
            std::string flag_field;
            int flag_col = -1;
            if (int(k) == x.kb)
                flag_field = "typology/aandachtsbuurt", flag_col = 15;
            else if (int(k) == x.iw)
                flag_field = "typology/kwetsbare_wijk", flag_col = 16;
            else if (int(k) == x.ir)
                flag_field = "typology/aandachtsregio", flag_col = 17;
            // 0/1 flags: per zone the number of members with the flag (exact counts, summed
            // row by row, so no transpose).
            auto count_flags = [&](const RowLayout::Field& fl) {
                std::vector<std::uint32_t> n(nz, 0);
                for (std::size_t r = 0; r < K; ++r) {
                    const std::uint8_t* src = L.flags(d.rows.data() + r * L.width, fl);
                    for (std::size_t z = 0; z < nz; ++z) n[z] += src[z];
                }
                return std::vector<double>(n.begin(), n.end());
            };
            // The base run's flags of a field (empty: the level has none).
            auto base_flags = [&](const std::string& field) {
                return L.flags(d.base_row.data(), L[field]);
            };
            std::vector<double> NO, NT, NC;
            const std::uint8_t *BO = nullptr, *BT = nullptr, *BC = nullptr;
            if (int(k) == x.kb) {
                NO = count_flags(L["onvoldoende/" + lv.name]);
                NC = count_flags(L["typology/kwetsbaar_cluster"]);
                BO = base_flags("onvoldoende/" + lv.name);
                BC = base_flags("typology/kwetsbaar_cluster");
            }
            if (flag_col >= 0) {
                NT = count_flags(L[flag_field]);
                BT = base_flags(flag_field);
            }
            const std::size_t offBF = L[F].offset;
            // Probability of a 0/1 flag over the members (an exact count).
            auto prob = [&](const std::vector<double>& N, std::size_t z) {
                return K ? io::csv_number(N[z] / double(K)) : std::string();
            };
            std::vector<std::vector<std::string>> out_rows(nz);
            // The level's scores a block of zones at a time, zone-major (one contiguous run of
            // K members per zone), each thread transposing its own blocks into a reused buffer.
            constexpr std::size_t kZoneBlock = 64;
#pragma omp parallel
            {
                std::vector<double> TF, finite;
                finite.reserve(K);
#pragma omp for schedule(dynamic, 1)
                for (std::size_t zb = 0; zb < nz; zb += kZoneBlock) {
                    const std::size_t nzb = std::min(kZoneBlock, nz - zb);
                    columns_into(d.rows, L.width, K, offF + zb, nzb, TF);
                    for (std::size_t z = zb; z < zb + nzb; ++z) {
                        const double b = d.base_row[offBF + z];
                        const std::span<const double> v(TF.data() + (z - zb) * K, K);
                        const int bc = std::isfinite(b) ? m.classes.classify(b) : 0;
                        int cmin = 99, cmax = 0;
                        std::size_t differs = 0, nfin = 0;
                        finite.clear();
                        // The two smallest finite scores (with repeats) and the largest: the
                        // minimum and maximum as quantile_select(finite, 0 or 1) computes them.
                        double lo1 = HUGE_VAL, lo2 = HUGE_VAL, hi1 = -HUGE_VAL;
                        for (double s : v)
                            if (std::isfinite(s)) {
                                const int c = m.classes.classify(s);
                                cmin = std::min(cmin, c), cmax = std::max(cmax, c),
                                differs += c != bc, ++nfin;
                                finite.push_back(s);
                                if (s < lo1)
                                    lo2 = lo1, lo1 = s;
                                else if (s < lo2)
                                    lo2 = s;
                                hi1 = std::max(hi1, s);
                            }
                        double mn = std::nan(""), mx = std::nan("");
                        if (nfin) {
                            mn = lo1 + 0.0 * ((nfin > 1 ? lo2 : lo1) - lo1);
                            mx = hi1 + 0.0 * (hi1 - hi1);
                        }
                        const double p05 = quantile_select(finite, 0.05),
                                     p95 = quantile_select(finite, 0.95);
                        std::vector<std::string> row{lv.name, lv.codes[z], lv.names[z]};
                        auto score = [&](double s) {
                            return io::csv_number(std::isfinite(s) ? m.reference_level + s : s);
                        };
                        for (double s : {b, mean_of(v), std::nan(""), mn, p05, p95, mx})
                            row.push_back(score(s));
                        row[5] = io::csv_number(sd_of(v));
                        row.push_back(bc ? std::to_string(bc) : "");
                        row.push_back(nfin ? std::to_string(cmin) : "");
                        row.push_back(nfin ? std::to_string(cmax) : "");
                        row.push_back(nfin ? io::csv_number(double(differs) / double(nfin)) : "");
                        std::string p_onv, p_flag[3], base_onv, base_typ;
                        if (int(k) == x.kb) {
                            p_onv = prob(NO, z);
                            base_onv = std::to_string(int(BO[z]));
                        }
                        if (flag_col >= 0) {
                            p_flag[flag_col - 15] = prob(NT, z);
                            base_typ = std::to_string(int(BT[z]));
                        }
                        row.push_back(p_onv);
                        for (auto& p : p_flag) row.push_back(p);
                        row.push_back(base_onv);
                        row.push_back(base_typ);
                        std::string p_clu, base_clu;
                        if (int(k) == x.kb) {
                            p_clu = prob(NC, z);
                            base_clu = std::to_string(int(BC[z]));
                        }
                        row.push_back(p_clu);
                        row.push_back(base_clu);
                        out_rows[z] = std::move(row);
                    }
                }
            }
            for (auto& row : out_rows) csv.row(std::move(row));
        }
        csv.save((fs::path(out) / "zones.csv").string());
    }
    // sensitivity.csv: change of the outcomes per unit of weight (least-squares slope over the
    // members, one weight at a time), latest year.
    sec = std::make_unique<Section>("write/summaries/sensitivity+summary.json");
    const std::size_t L_y = ny - 1;
    std::vector<std::pair<std::string, std::vector<double>>> outcomes;
    {
        std::vector<double> onv(K), share(K), t2(K), mean(K);
        for (std::size_t r = 0; r < K; ++r) {
            onv[r] = val(r, "onvoldoende_buurten", L_y);
            share[r] = val(r, "national/share_onvoldoende", L_y);
            t2[r] = val(r, "typology/counts", 0);
            mean[r] = val(r, "national/mean_deviation", L_y);
        }
        outcomes = {{"onvoldoende_buurten", onv},
                    {"share_onvoldoende", share},
                    {"aandachtsbuurten", t2},
                    {"mean_deviation", mean},
                    {"rank_corr_buurt", rho}};
    }
    json sens = json::array();
    {
        std::vector<std::string> h{"indicator", "dimension", "base_weight", "weight_sd"};
        for (const auto& [n, v] : outcomes) h.push_back("d_" + n + "_per_unit_weight");
        for (const auto& [n, v] : outcomes) h.push_back("corr_" + n);
        io::CsvWriter csv(h);
        for (std::size_t i = 0; i < x.ni; ++i) {
            std::vector<double> w(K);
            for (std::size_t r = 0; r < K; ++r) w[r] = val(r, "weights", i);
            const double mw = mean_of(w), sw = sd_of(w);
            std::vector<std::string> row{x.indicators[i], x.indicator_dims[i],
                                         io::csv_number(x.base[i]), io::csv_number(sw)};
            std::vector<double> slopes, cors;
            for (const auto& [n, v] : outcomes) {
                const double mv = mean_of(v);
                double sxy = 0, sxx = 0, syy = 0;
                for (std::size_t r = 0; r < K; ++r)
                    if (std::isfinite(v[r]))
                        sxy += (w[r] - mw) * (v[r] - mv), sxx += (w[r] - mw) * (w[r] - mw),
                            syy += (v[r] - mv) * (v[r] - mv);
                slopes.push_back(sxx > 0 ? sxy / sxx : std::nan(""));
                cors.push_back(sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : std::nan(""));
            }
            json j{{"indicator", x.indicators[i]}, {"dimension", x.indicator_dims[i]}};
            for (std::size_t o = 0; o < outcomes.size(); ++o) {
                row.push_back(io::csv_number(slopes[o]));
                j["d_" + outcomes[o].first + "_per_unit_weight"] = jnum(slopes[o]);
            }
            for (std::size_t o = 0; o < outcomes.size(); ++o) {
                row.push_back(io::csv_number(cors[o]));
                j["corr_" + outcomes[o].first] = jnum(cors[o]);
            }
            csv.row(std::move(row));
            sens.push_back(j);
        }
        csv.save((fs::path(out) / "sensitivity.csv").string());
    }
    // summary.json
    json s;
    s["run_dir"] = x.run_dir;
    s["spec"] = d.spec;
    s["spec_members"] = d.spec_total;
    s["members"] = K;
    s["member_first"] = K ? d.members.front() : 0;
    s["member_last"] = K ? d.members.back() + 1 : 0;
    s["year"] = x.years[L_y];
    for (const auto& [n, v] : outcomes) {
        json o;
        o["mean"] = jnum(mean_of(v));
        o["sd"] = jnum(sd_of(v));
        o["min"] = jnum(quantile(v, 0));
        o["p05"] = jnum(quantile(v, 0.05));
        o["median"] = jnum(quantile(v, 0.5));
        o["p95"] = jnum(quantile(v, 0.95));
        o["max"] = jnum(quantile(v, 1));
        s["outcomes"][n] = o;
    }
    s["base"] = {{"onvoldoende_buurten", bval("onvoldoende_buurten", L_y)},
                 {"share_onvoldoende", bval("national/share_onvoldoende", L_y)},
                 {"aandachtsbuurten", bval("typology/counts", 0)},
                 {"kwetsbare_wijken", bval("typology/counts", 1)},
                 {"aandachtsregios", bval("typology/counts", 2)},
                 {"kwetsbare_clusters", bval("typology/cluster_counts", 0)},
                 {"buurten_in_kwetsbare_clusters", bval("typology/cluster_counts", 1)},
                 {"mean_deviation", jnum(bval("national/mean_deviation", L_y))}};
    // Most influential weights: largest |correlation| with the number of onvoldoende buurten.
    std::vector<json> ranked(sens.begin(), sens.end());
    std::stable_sort(ranked.begin(), ranked.end(), [](const json& a, const json& b) {
        const double va = a["corr_onvoldoende_buurten"].is_number()
                              ? std::abs(a["corr_onvoldoende_buurten"].get<double>())
                              : -1;
        const double vb = b["corr_onvoldoende_buurten"].is_number()
                              ? std::abs(b["corr_onvoldoende_buurten"].get<double>())
                              : -1;
        return va > vb;
    });
    if (ranked.size() > 10) ranked.resize(10);
    s["most_sensitive_onvoldoende_buurten"] = ranked;
    s["typology_note"] =
        "types 1 (kwetsbare wijken at wijk level, and contiguous clusters of qualifying buurten), "
        "2 and 3 per member";
    std::ofstream(fs::path(out) / "summary.json") << s.dump(1) << "\n";
}

}  // namespace

void parse_member_range(const std::string& text, std::int64_t& first, std::int64_t& last) {
    const auto colon = text.find(':');
    if (colon == std::string::npos)
        throw UsageError("sweep", "--members must be A:B (e.g. 0:100), not '" + text + "'");
    auto num = [&](const std::string& s, std::int64_t dflt) -> std::int64_t {
        if (s.empty()) return dflt;
        std::size_t pos = 0;
        long long v = 0;
        try {
            v = std::stoll(s, &pos);
        } catch (...) {
            pos = 0;
        }
        if (pos != s.size() || v < 0)
            throw UsageError("sweep",
                             "--members must be A:B with integers A, B >= 0, not '" + text + "'");
        return v;
    };
    first = num(text.substr(0, colon), 0);
    last = num(text.substr(colon + 1), -1);
    if (last >= 0 && last < first)
        throw UsageError("sweep", "--members " + text + ": B must be >= A");
}

void run_sweep(const SweepOptions& opt) {
    keep_freed_memory();
    const auto t0 = std::chrono::steady_clock::now();
    const MPI_Comm comm = MPI_COMM_WORLD;
    const int rank = dist::rank(), size = dist::size();
    RunContext x = load_context(opt.run_dir, opt.config);
    const SweepSpec spec = parse_sweep_spec(opt.weights, x.indicators, x.indicator_dims,
                                            x.rc.model.dimensions, x.base);
    const std::int64_t total = spec.size();
    const std::int64_t A = opt.first, B = opt.last < 0 ? total : opt.last;
    if (A > total || B > total)
        throw UsageError("sweep", "--members " + std::to_string(A) + ":" + std::to_string(B) +
                                      " outside the spec's " + std::to_string(total) +
                                      " members (0:" + std::to_string(total) + ")");
    const std::string out = opt.out.empty() ? (fs::path(opt.run_dir) / "sweep").string() : opt.out;
    progress("sweep: " + spec.describe() + "; members " + std::to_string(A) + ":" +
             std::to_string(B) + " on " + std::to_string(size) + " ranks x " +
             std::to_string(omp_get_max_threads()) + " threads");
    const RowLayout L = layout_of(x);
    SharedPrepared shared;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &shared.node);
    ZqMemory zq_mem = start_zq_memory(x, shared.node);
    Matrix mx = read_matrix(x, comm);
    x.adjacency = std::move(mx.adjacency);
    const std::int64_t ncells = [&] {
        std::int64_t c = 0;
        for (const auto& r : mx.residents) c += std::int64_t(r.size());
        return c;
    }();
    prepare_years(x, mx, comm, shared, zq_mem);
    const std::vector<SweepPrepared>& pr = shared.years;
    const auto t1 = std::chrono::steady_clock::now();
    // CPU seconds of this process (all its threads), so the score phase can be compared with a
    // baseline on a shared machine, where wall time mostly measures the other jobs.
    auto cpu_now = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    const double c1 = cpu_now();
    // This rank's members: a contiguous share of [A, B).
    const std::int64_t n = B - A;
    const std::int64_t my0 = A + n * rank / size, my1 = A + n * (rank + 1) / size;
    const auto k = std::size_t(my1 - my0);
    std::vector<double> W(k * x.ni);
    for (std::size_t m = 0; m < k; ++m) {
        const auto w = member_weights(spec, my0 + std::int64_t(m));
        std::copy(w.begin(), w.end(), W.begin() + std::ptrdiff_t(m * x.ni));
    }
    // Rank 0 holds every member's row (its own first), so the gather needs no second copy.
    std::vector<double> rows;
    {
        Section sec("score/allocate rows");
        rows.resize(std::size_t(rank == 0 ? n : std::int64_t(k)) * L.width);
    }
    score_members(x, L, pr, W, k, std::max<std::size_t>(1, opt.tile), rows);
    {
        Section sec("score/wait for the other ranks");
        MPI_Barrier(comm);  // the score phase ends with the slowest rank
    }
    const auto t2 = std::chrono::steady_clock::now();
    double score_cpu = cpu_now() - c1;
    MPI_Allreduce(MPI_IN_PLACE, &score_cpu, 1, MPI_DOUBLE, MPI_SUM, comm);
    // Each rank ranks its own members' buurt scores against the base run's (every rank scores
    // the base weights itself: one member, a fraction of a second).
    std::vector<double> base_row, rho;
    {
        Section sec("write/base row");
        score_members(x, L, pr, x.base, 1, 1, base_row);
    }
    {
        Section sec("write/summaries/rank correlation");
        rho = rank_correlations(x, L, base_row, rows, k);
    }
    // Gather the rows on rank 0 in member order.
    auto gsec = std::make_unique<Section>("write/gather rows");
    std::vector<int> counts(static_cast<std::size_t>(size)), displs(static_cast<std::size_t>(size));
    const int mine = int(k * L.width);
    MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, 0, comm);
    for (int r = 1; r < size; ++r)
        displs[std::size_t(r)] = displs[std::size_t(r) - 1] + counts[std::size_t(r) - 1];
    if (rank == 0)
        MPI_Gatherv(MPI_IN_PLACE, mine, MPI_DOUBLE, rows.data(), counts.data(), displs.data(),
                    MPI_DOUBLE, 0, comm);
    else
        MPI_Gatherv(rows.data(), mine, MPI_DOUBLE, nullptr, counts.data(), displs.data(),
                    MPI_DOUBLE, 0, comm);
    {
        std::vector<int> rc(static_cast<std::size_t>(size)), rd(static_cast<std::size_t>(size));
        const int kr = int(k);
        MPI_Gather(&kr, 1, MPI_INT, rc.data(), 1, MPI_INT, 0, comm);
        for (int r = 1; r < size; ++r)
            rd[std::size_t(r)] = rd[std::size_t(r) - 1] + rc[std::size_t(r) - 1];
        std::vector<double> all(rank == 0 ? std::size_t(n) : 0);
        MPI_Gatherv(rho.data(), kr, MPI_DOUBLE, all.data(), rc.data(), rd.data(), MPI_DOUBLE, 0,
                    comm);
        rho = std::move(all);
    }
    gsec.reset();
    if (rank == 0) {
        fs::create_directories(out);
        FileData d;
        for (std::int64_t m = A; m < B; ++m) d.members.push_back(m);
        d.rows = std::move(rows);
        d.base_row = base_row;
        d.rho = std::move(rho);
        d.spec = spec.describe();
        d.spec_total = total;
        {
            Section sec("write/sweep.h5");
            write_file((fs::path(out) / kSweepFile).string(), x, L, d.spec, total, d.members,
                       d.rows, d.base_row);
        }
        {
            Section sec("write/summaries");
            write_summaries(out, x, L, d);
        }
        const auto t3 = std::chrono::steady_clock::now();
        auto sec = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
        json tj{{"members", B - A},
                {"ranks", size},
                {"threads", omp_get_max_threads()},
                {"cells", ncells},
                {"kernel", sweep_kernel_has_vnni()     ? "avx512-vnni"
                           : sweep_kernel_has_avx512() ? "avx512"
                           : sweep_kernel_has_avx2()   ? "avx2"
                                                       : "portable"},
                {"indicators", x.ni},
                {"seconds",
                 {{"read", sec(t0, t1)},
                  {"score", sec(t1, t2)},
                  {"write", sec(t2, t3)},
                  {"total", sec(t0, t3)}}},
                {"cpu_seconds", {{"score", score_cpu}}}};
        for (const auto& [name, s] : g_sections) {
            tj["sections_rank0"][name] = s.first;
            tj["sections_cpu_rank0"][name] = s.second;
        }
        std::ofstream(fs::path(out) / "timing.json") << tj.dump(1) << "\n";
        progress("sweep: " + std::to_string(B - A) + " members scored in " + fmtd(sec(t1, t2)) +
                 " s -> " + out);
    }
    shared.release();
    MPI_Barrier(comm);
}

void merge_sweeps(const std::string& out, const std::vector<std::string>& dirs,
                  const std::string& config) {
    if (dist::rank() != 0) return;
    if (dirs.empty()) throw UsageError("sweep", "merge needs at least one slice folder");
    keep_freed_memory();
    auto file_of = [](const std::string& d) { return (fs::path(d) / kSweepFile).string(); };
    // The run from the first slice (every slice must name the same one).
    std::string run_dir, cfg;
    {
        if (!fs::exists(file_of(dirs[0])) || !io::is_hdf5(file_of(dirs[0])))
            throw UsageError("sweep", "merge: " + dirs[0] + " holds no sweep.h5");
        io::H5File f(file_of(dirs[0]), MPI_COMM_SELF, io::H5File::Mode::read_only,
                     io::H5File::Driver::posix);
        run_dir = f.attribute("/", "run_dir").value_or("");
        cfg = config.empty() ? f.attribute("/", "config").value_or("") : config;
    }
    const RunContext x = load_context(run_dir, cfg);
    const RowLayout L = layout_of(x);
    std::vector<FileData> parts;
    for (const auto& d : dirs) {
        parts.push_back(read_file(file_of(d), L));
        const auto& p = parts.back();
        if (p.run_dir != parts[0].run_dir || p.spec != parts[0].spec ||
            p.spec_total != parts[0].spec_total)
            throw UsageError("sweep", "merge: " + d + " is a slice of another sweep (run '" +
                                          p.run_dir + "', spec '" + p.spec + "') than " + dirs[0] +
                                          " (run '" + parts[0].run_dir + "', spec '" +
                                          parts[0].spec + "')");
    }
    std::vector<std::size_t> order(parts.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        const auto fa = parts[a].members.empty() ? INT64_MAX : parts[a].members.front();
        const auto fb = parts[b].members.empty() ? INT64_MAX : parts[b].members.front();
        return fa < fb;
    });
    FileData m;
    m.spec = parts[0].spec;
    m.spec_total = parts[0].spec_total;
    m.base_row = parts[0].base_row;
    m.run_dir = parts[0].run_dir;
    for (auto i : order) {
        const auto& p = parts[i];
        if (!p.members.empty() && !m.members.empty() && p.members.front() <= m.members.back())
            throw UsageError("sweep", "merge: slice " + dirs[i] + " (members " +
                                          std::to_string(p.members.front()) + ":" +
                                          std::to_string(p.members.back() + 1) +
                                          ") overlaps another slice");
        m.members.insert(m.members.end(), p.members.begin(), p.members.end());
        m.rows.insert(m.rows.end(), p.rows.begin(), p.rows.end());
    }
    fs::create_directories(out);
    write_file(file_of(out), x, L, m.spec, m.spec_total, m.members, m.rows, m.base_row);
    write_summaries(out, x, L, m);
    std::ofstream(fs::path(out) / "timing.json")
        << json{{"members", m.members.size()}, {"slices", dirs.size()}, {"merged", true}}.dump(1)
        << "\n";
    std::int64_t gaps = 0;
    for (std::size_t i = 1; i < m.members.size(); ++i) gaps += m.members[i] != m.members[i - 1] + 1;
    progress("sweep merge: " + std::to_string(m.members.size()) + " members from " +
             std::to_string(dirs.size()) + " slices" +
             (gaps ? " (" + std::to_string(gaps) + " gaps in the member numbers)" : "") + " -> " +
             out);
}

}  // namespace leefbaar::app
