// `leefbaar sweep` on the tiny country (tests/support/tiny_country.hpp), in-process at 1-3 ranks:
// a two-member case worked out by hand, the base weights reproduce the run, every member
// equals a serial reference built from the run's own scoring and aggregation code (so any rank
// count gives the same numbers), and threads, tiles and --members slices change nothing.

#include <hdf5.h>
#include <omp.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "../support/dataset_bytes.hpp"
#include "../support/tiny_country.hpp"
#include "app/run_pipeline.hpp"
#include "app/sweep.hpp"
#include "core/aggregate.hpp"
#include "core/model.hpp"
#include "core/run_config.hpp"
#include "core/sweep.hpp"
#include "dist/comm.hpp"
#include "io/hdf5.hpp"

using namespace leefbaar;
namespace fs = std::filesystem;

namespace {

// The tiny country and its finished run, once per process, in a folder per rank count.
std::string tiny_run() {
    static std::string dir;
    if (!dir.empty()) return dir;
    const auto d = fs::temp_directory_path() / ("leefbaar-sweep-np" + std::to_string(dist::size()));
    if (dist::rank() == 0) {
        fs::remove_all(d);
        leefbaar::testing::write_country(d);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    app::RunOptions opt;
    opt.config = (d / "run.toml").string();
    app::run_pipeline(opt);
    MPI_Barrier(MPI_COMM_WORLD);
    dir = d.string();
    return dir;
}

void write_text(const std::string& path, const std::string& text) {
    if (dist::rank() == 0) std::ofstream(path) << text;
    MPI_Barrier(MPI_COMM_WORLD);
}

std::vector<double> rows(const std::string& h5, const std::string& ds) {
    io::H5File f(h5, MPI_COMM_SELF, io::H5File::Mode::read_only);
    const auto s = f.shape(ds);
    REQUIRE(s);
    return f.read_rows<double>(ds, 0, (*s)[0]);
}

// Every dataset's bytes and every root attribute but the paths.
std::map<std::string, std::vector<char>> all_bytes(const std::string& file) {
    auto out = leefbaar::testing::dataset_bytes(file);
    io::H5File f(file, MPI_COMM_SELF, io::H5File::Mode::read_only);
    for (const char* a : {"spec", "spec_members", "years", "levels", "indicators"}) {
        const auto v = f.attribute("/", a).value_or("");
        out[std::string("@") + a] = std::vector<char>(v.begin(), v.end());
    }
    return out;
}

std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

app::SweepOptions options(const std::string& run, const std::string& spec, const std::string& out) {
    app::SweepOptions o;
    o.run_dir = run + "/out";
    o.weights = spec;
    o.out = out;
    return o;
}

// The serial reference of one member: the run's score_cells and accumulate_year on the
// matrix of the run (buurt BU01 = column 0, BU02 = columns 1-2).
struct Reference {
    std::vector<YearZoneStats> buurt;  // per year
};
Reference reference(const std::string& run, const std::vector<double>& w) {
    const RunConfig rc = parse_run_config(run + "/run.toml");
    io::H5File f(run + "/out/leefbaar.h5", MPI_COMM_SELF, io::H5File::Mode::read_only);
    Reference r;
    for (auto y : rc.years) {
        const std::string M = "/matrix/" + std::to_string(y);
        const auto n = (*f.shape(M + "/cell"))[0];
        const auto cell = f.read_rows<std::int64_t>(M + "/cell", 0, n);
        const auto z = f.read_rows<float>(M + "/z", 0, n);
        const auto res = f.read_rows<std::int32_t>(M + "/residents", 0, n);
        const auto dw = f.read_rows<std::int32_t>(M + "/dwellings", 0, n);
        const auto s = score_cells(rc.model, w, z, std::size_t(n));
        std::vector<std::int32_t> zone(static_cast<std::size_t>(n));
        for (std::int64_t c = 0; c < n; ++c)
            zone[std::size_t(c)] = cell[std::size_t(c)] % 3 == 0 ? 0 : 1;
        YearZoneStats st;
        st.resize(2, rc.model.dimensions.size(), rc.model.classes.labels.size());
        accumulate_year(st, zone, res, dw, s.deviation, s.dimension, s.cls);
        r.buurt.push_back(st);
    }
    return r;
}

}  // namespace

TEST_CASE("two members on the tiny country, worked out by hand", "[sweep]") {
    const std::string run = tiny_run();
    const std::string spec = run + "/two.toml";
    write_text(spec,
               "[sweep]\nkind = \"list\"\n[[sweep.member]]\nname = \"x only\"\nx = 1.0\ny = 0.0\n"
               "[[sweep.member]]\nx = 0.0\ny = 0.02\n");
    const std::string out = run + "/sweep-two";
    app::run_sweep(options(run, spec, out));
    if (dist::rank() != 0) return;
    const std::string h5 = out + "/sweep.h5";
    // Reference 2016: mean x = 2.25, mean y = 15 (see test_run_tiny.cpp); z = t - mean:
    //   cell     (0,0)  (1,0)  (2,0)  (1,1)      residents 10, 0, 20, 10
    //   z_x      -1.25  -2.25   0.75  -0.25      (2018: (0,0) x = 2 -> -0.25)
    //   z_y       -5     25      5     -5
    // Member 0 (x = 1, y = 0): deviation = z_x; classes (limits -1, -0.5, 0, 0.5):
    //   2016: 1, 1, 5, 3 -> residents per class {10, 0, 10, 0, 20}; 2018: 3, 1, 5, 3 -> {0, 0, 20,
    //   0, 20} 2018 buurt means: BU01 -0.25, BU02 (20 * 0.75 - 10 * 0.25) / 30 = 12.5 / 30; wijk 10
    //   / 40
    // Member 1 (x = 0, y = 0.02): deviation = 0.02 z_y = -0.1, 0.5, 0.1, -0.1 -> classes 3, 5, 4, 3
    //   both years {0, 0, 20, 20, 0}; BU01 -0.1, BU02 (20 * 0.1 - 10 * 0.1) / 30 = 1 / 30; wijk 0
    const auto cls = rows(h5, "/national/class_residents");  // members x (years x classes)
    REQUIRE(cls.size() == 2 * 2 * 5);
    CHECK(std::vector<double>(cls.begin(), cls.begin() + 10) ==
          std::vector<double>{10, 0, 10, 0, 20, 0, 0, 20, 0, 20});
    CHECK(std::vector<double>(cls.begin() + 10, cls.end()) ==
          std::vector<double>{0, 0, 20, 20, 0, 0, 0, 20, 20, 0});
    const auto bu = rows(h5, "/zone_mean/buurt");
    REQUIRE(bu.size() == 4);
    CHECK(bu[0] == Approx(-0.25).margin(1e-9));
    CHECK(bu[1] == Approx(12.5 / 30).margin(1e-9));
    // Weights are quantised to 2^-20 (model.hpp): 0.02 -> 20972 / 2^20; z_y = -5, 25, 5, -5
    // are exact on the 2^-12 grid.
    const double wy = std::round(0.02 * 0x1.0p20) * 0x1.0p-20;
    CHECK(bu[2] == -5 * wy);
    CHECK(bu[3] == Approx((20 * 5 * wy - 10 * 5 * wy) / 30).margin(1e-15));
    const auto wk = rows(h5, "/zone_mean/wijk");
    CHECK(wk[0] == Approx(0.25).margin(1e-9));
    CHECK(wk[1] == Approx(0.0).margin(1e-9));
    const auto share = rows(h5, "/national/share_onvoldoende");  // members x years
    CHECK(share == std::vector<double>{0.5, 0.5, 0.5, 0.5});
    CHECK(rows(h5, "/onvoldoende_buurten") ==
          std::vector<double>{0, 0, 0, 0});  // < 100 residents anywhere
    CHECK(rows(h5, "/member") == std::vector<double>{0, 1});
    CHECK(rows(h5, "/weights") == std::vector<double>{1.0, 0.0, 0.0, 0.02});
    // Summaries.
    CHECK(fs::exists(out + "/members.csv"));
    CHECK(fs::exists(out + "/zones.csv"));
    CHECK(fs::exists(out + "/sensitivity.csv"));
    const auto sum = nlohmann::json::parse(slurp(out + "/summary.json"));
    CHECK(sum["members"] == 2);
    // The weight of x moves the national mean by (0.25 - 0) / (1 - 0) per unit.
    const std::string sens = slurp(out + "/sensitivity.csv");
    CHECK_THAT(sens, Catch::Contains("x,d1,0.5,"));
}

TEST_CASE("a member with the base weights reproduces the run exactly", "[sweep]") {
    const std::string run = tiny_run();
    const std::string spec = run + "/mc.toml";
    write_text(spec,
               "[sweep]\nkind = \"montecarlo\"\nmembers = 4\nseed = 3\nscale = 0.3\ninclude_base = "
               "true\n");
    const std::string out = run + "/sweep-base";
    app::run_sweep(options(run, spec, out));
    if (dist::rank() != 0) return;
    const std::string h5 = out + "/sweep.h5";
    const auto sum = nlohmann::json::parse(slurp(run + "/out/summary.json"));
    for (const std::string pre : {"/", "/base/"}) {
        const auto cls = rows(h5, pre + "national/class_residents");
        const auto mean = rows(h5, pre + "national/mean_deviation");
        for (std::size_t y = 0; y < 2; ++y) {
            const auto want = sum["national"][y]["residents_per_class"].get<std::vector<double>>();
            CHECK(std::vector<double>(cls.begin() + std::ptrdiff_t(y * 5),
                                      cls.begin() + std::ptrdiff_t(y * 5 + 5)) == want);
            CHECK(mean[y] == sum["national"][y]["mean_deviation"].get<double>());
        }
    }
    // Zone means of the latest year against the run's buurt aggregates.
    std::ifstream csv(run + "/out/aggregates/buurt.csv");
    std::string header, line;
    std::getline(csv, header);
    std::vector<std::string> cols;
    {
        std::stringstream hs(header);
        for (std::string c; std::getline(hs, c, ',');) cols.push_back(c);
    }
    const auto dcol =
        std::size_t(std::find(cols.begin(), cols.end(), "deviation_2018") - cols.begin());
    REQUIRE(dcol < cols.size());
    const auto bu = rows(h5, "/zone_mean/buurt");
    for (std::size_t z = 0; std::getline(csv, line); ++z) {
        std::stringstream ls(line);
        std::string f;
        for (std::size_t k = 0; k <= dcol; ++k) std::getline(ls, f, ',');
        CHECK(bu[z] == Approx(std::stod(f)).epsilon(1e-15).margin(1e-15));
    }
    // And exactly, against the run's own scoring + aggregation code with the base weights.
    const auto ref = reference(run, model_weights(parse_run_config(run + "/run.toml").model));
    CHECK(bu[0] == ref.buurt[1].mean_deviation(0));
    CHECK(bu[1] == ref.buurt[1].mean_deviation(1));
}

TEST_CASE("every member equals the serial reference, whatever the number of ranks", "[sweep]") {
    const std::string run = tiny_run();
    const std::string spec = run + "/mc7.toml";
    write_text(spec,
               "[sweep]\nkind = \"montecarlo\"\nmembers = 7\nseed = 11\ndistribution = "
               "\"uniform\"\nscale = 0.8\n"
               "[sweep.scale_indicator]\ny = 2.0\n");
    const std::string out = run + "/sweep-ranks";
    app::run_sweep(options(run, spec, out));
    if (dist::rank() != 0) return;
    const std::string h5 = out + "/sweep.h5";
    const auto w = rows(h5, "/weights");
    const auto cls = rows(h5, "/national/class_residents");
    const auto bu = rows(h5, "/zone_mean/buurt");
    REQUIRE(w.size() == 14);
    const RunConfig rc = parse_run_config(run + "/run.toml");
    const auto base = model_weights(rc.model);
    const SweepSpec s = parse_sweep_spec(spec, {"x", "y"}, {"d1", "d2"}, {"d1", "d2"}, base);
    for (std::size_t m = 0; m < 7; ++m) {
        const auto mw = member_weights(s, std::int64_t(m));
        CHECK(mw == std::vector<double>{w[2 * m], w[2 * m + 1]});
        CHECK(std::abs(mw[0] / base[0] - 1) <= 0.8);
        CHECK(std::abs(mw[1] / base[1] - 1) <= 2.0);
        const auto ref = reference(run, mw);
        for (std::size_t y = 0; y < 2; ++y) {
            YearZoneStats nat = roll_up(ref.buurt[y], std::vector<std::int32_t>{0, 0}, 1);
            for (std::size_t c = 0; c < 5; ++c)
                CHECK(cls[m * 10 + y * 5 + c] == double(nat.res_class[c]));
        }
        CHECK(bu[2 * m] == ref.buurt[1].mean_deviation(0));
        CHECK(bu[2 * m + 1] == ref.buurt[1].mean_deviation(1));
    }
}

TEST_CASE("threads, tiles and --members slices give identical results", "[sweep]") {
    const std::string run = tiny_run();
    const std::string spec = run + "/mc10.toml";
    write_text(spec,
               "[sweep]\nkind = \"montecarlo\"\nmembers = 10\nseed = 5\nscale = 0.5\n"
               "[sweep.scale_dimension]\nd2 = 1.5\n");
    const int threads = omp_get_max_threads();
    auto o = options(run, spec, run + "/sw-all");
    o.tile = 3;
    omp_set_num_threads(2);
    app::run_sweep(o);
    o.out = run + "/sw-all-1t";
    o.tile = 1;
    omp_set_num_threads(1);
    app::run_sweep(o);
    omp_set_num_threads(threads);
    o.tile = 8;
    o.out = run + "/sw-a";
    o.first = 0, o.last = 5;
    app::run_sweep(o);
    o.out = run + "/sw-b";
    o.first = 5, o.last = 10;
    app::run_sweep(o);
    app::merge_sweeps(run + "/sw-merged", {run + "/sw-b", run + "/sw-a"});
    MPI_Barrier(MPI_COMM_WORLD);
    if (dist::rank() != 0) return;
    const auto all = all_bytes(run + "/sw-all/sweep.h5");
    CHECK(all == all_bytes(run + "/sw-all-1t/sweep.h5"));
    CHECK(all == all_bytes(run + "/sw-merged/sweep.h5"));
    CHECK(all != all_bytes(run + "/sw-a/sweep.h5"));
    for (const char* f : {"members.csv", "zones.csv", "sensitivity.csv"}) {
        CHECK(slurp(run + "/sw-all/" + f) == slurp(run + "/sw-merged/" + f));
        CHECK(slurp(run + "/sw-all/" + f) == slurp(run + "/sw-all-1t/" + f));
    }
    // Member i of a slice is member i of the whole sweep.
    const auto wa = rows(run + "/sw-b/sweep.h5", "/weights"),
               w = rows(run + "/sw-all/sweep.h5", "/weights");
    CHECK(std::vector<double>(w.begin() + 10, w.end()) == wa);
}
