// `leefbaar report` end to end, on one small synthetic run made here (synth small + run on 2
// ranks): the report folder and its PNG maps, Dutch labels by default, English with --lang en or
// run.lang, every number in the tables against summary.json, errors for unfinished run folders,
// and a render in headless Chromium (images load, no script or resource errors, a non-trivial
// screenshot). The Chromium case is skipped, with a warning, only when chromium is absent.

#include <gdal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "io/csv.hpp"
#include "io/gdal_raster.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

const std::string kBin = LEEFBAAR_BINARY;

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct Result {
    int code = -1;
    std::string err;
};

// Runs a shell command; exit code and stderr.
Result sh(const std::string& cmd, const fs::path& scratch) {
    static int n = 0;
    const fs::path errf = scratch / ("stderr-" + std::to_string(n++) + ".txt");
    const int rc = std::system((cmd + " 2> " + errf.string() + " > /dev/null").c_str());
    Result r;
    r.code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    r.err = slurp(errf);
    return r;
}

// The small synthetic run shared by every test case (made once per process).
struct SmallRun {
    fs::path root, data, out, config;
    SmallRun() {
        root = fs::temp_directory_path() / ("leefbaar_report_test_" + std::to_string(::getpid()));
        fs::remove_all(root);
        fs::create_directories(root);
        data = root / "data";
        out = root / "out";
        config = root / "run.toml";
        std::ofstream(config) << "[run]\nmodel = \"" << LEEFBAAR_SOURCE_DIR
                              << "/configs/models/lbm-demo.toml\"\ndata = \"" << data.string()
                              << "\"\nout = \"" << out.string() << "\"\n";
        const auto s =
            sh(kBin + " -q synth --out " + data.string() + " --preset small --force", root);
        if (s.code != 0) FAIL("synth failed: " << s.err);
        const auto r = sh(std::string(LEEFBAAR_MPIEXEC) + " -n 2 " + LEEFBAAR_MPIEXEC_FLAGS + " " +
                              kBin + " -q run " + config.string() + " --force",
                          root);
        if (r.code != 0) FAIL("run failed: " << r.err);
        // A weight sweep in the run's default sweep folder (out/sweep): the report's sweep
        // section (charts over the members, probability map) comes from it.
        std::ofstream(root / "mc.toml")
            << "[sweep]\nkind = \"montecarlo\"\nmembers = 12\nseed = 4\nscale = 0.4\n";
        const auto w = sh(kBin + " -q sweep " + out.string() + " --config " + config.string() +
                              " --weights " + (root / "mc.toml").string(),
                          root);
        if (w.code != 0) FAIL("sweep failed: " << w.err);
    }
    ~SmallRun() {
        std::error_code ec;
        fs::remove_all(root, ec);
    }
};

const SmallRun& small_run() {
    static SmallRun r;
    return r;
}

json summary(const fs::path& run) {
    std::ifstream in(run / "summary.json");
    return json::parse(in);
}

// A value as the report displays it, back to a number; nullopt for the "no value" dash.
std::optional<double> parse_display(std::string t, bool en) {
    auto replace_all = [&](const std::string& a, const std::string& b) {
        for (std::size_t p = 0; (p = t.find(a, p)) != std::string::npos; p += b.size())
            t.replace(p, a.size(), b);
    };
    if (t == "\u2013") return std::nullopt;
    replace_all("\u2212", "-");
    replace_all("+", "");
    replace_all("%", "");
    if (en)
        replace_all(",", "");
    else {
        replace_all(".", "");
        replace_all(",", ".");
    }
    std::size_t used = 0;
    const double v = std::stod(t, &used);
    REQUIRE(used == t.size());
    return v;
}

struct Checked {
    int cells = 0;
    std::set<std::string> pointers;
};

// Every value carrying data-src in the report equals summary.json at that pointer, and its
// displayed text equals the value up to the shown precision.
Checked check_numbers(const std::string& html, const json& s, bool en) {
    static const std::regex re(
        R"re(data-src="([^"]*)" data-v="([^"]*)" data-fmt="([^"]*)">([^<]*)<)re");
    Checked c;
    for (std::sregex_iterator it(html.begin(), html.end(), re), end; it != end; ++it) {
        const std::string ptr = (*it)[1], dv = (*it)[2], fmt = (*it)[3], text = (*it)[4];
        INFO("pointer " << ptr << " data-v " << dv << " text '" << text << "'");
        const json::json_pointer p(ptr);
        REQUIRE(s.contains(p));
        const json& v = s.at(p);
        c.pointers.insert(ptr);
        if (v.is_null()) {
            CHECK(dv == "null");
            CHECK(text == "\u2013");
            continue;
        }
        REQUIRE(v.is_number());
        const double x = v.get<double>();
        CHECK(std::stod(dv) == x);  // %.17g round-trips exactly
        const auto shown = parse_display(text, en);
        REQUIRE(shown.has_value());
        if (fmt == "int" || fmt == "sint")
            CHECK(*shown == double(std::llround(x)));
        else if (fmt == "pct1")
            CHECK(std::fabs(*shown - 100 * x) <= 0.05 + 1e-9);
        else if (fmt == "dec3")
            CHECK(std::fabs(*shown - x) <= 0.0005 + 1e-12);
        else if (fmt == "dec4")
            CHECK(std::fabs(*shown - x) <= 0.00005 + 1e-12);
        else
            FAIL("unknown format " << fmt);
        ++c.cells;
    }
    return c;
}

std::vector<std::string> image_sources(const std::string& html) {
    static const std::regex re(R"re(<img src="([^"]*)")re");
    std::vector<std::string> out;
    for (std::sregex_iterator it(html.begin(), html.end(), re), end; it != end; ++it)
        out.push_back((*it)[1]);
    return out;
}

struct PngInfo {
    int w = 0, h = 0;
    std::size_t colours = 0;
    double non_white = 0;
};

PngInfo read_png(const fs::path& p) {
    leefbaar::io::gdal_init();
    PngInfo info;
    GDALDatasetH ds = GDALOpen(p.string().c_str(), GA_ReadOnly);
    REQUIRE(ds != nullptr);
    CHECK(std::string(GDALGetDriverShortName(GDALGetDatasetDriver(ds))) == "PNG");
    info.w = GDALGetRasterXSize(ds);
    info.h = GDALGetRasterYSize(ds);
    const int nb = GDALGetRasterCount(ds);
    REQUIRE(nb >= 3);
    std::vector<std::vector<std::uint8_t>> b(
        3, std::vector<std::uint8_t>(std::size_t(info.w) * std::size_t(info.h)));
    for (int k = 0; k < 3; ++k)
        REQUIRE(GDALRasterIO(GDALGetRasterBand(ds, k + 1), GF_Read, 0, 0, info.w, info.h,
                             b[std::size_t(k)].data(), info.w, info.h, GDT_Byte, 0, 0) == CE_None);
    GDALClose(ds);
    std::set<std::uint32_t> cols;
    std::size_t nw = 0;
    for (std::size_t i = 0; i < b[0].size(); ++i) {
        cols.insert(std::uint32_t(b[0][i]) << 16 | std::uint32_t(b[1][i]) << 8 | b[2][i]);
        if (b[0][i] < 245 || b[1][i] < 245 || b[2][i] < 245) ++nw;
    }
    info.colours = cols.size();
    info.non_white = double(nw) / double(b[0].size());
    return info;
}

// Headings and phrases of each language; none of the other language's may appear.
const std::vector<std::pair<std::string, std::string>> kLabels{
    {"Kerncijfers", "Key figures"},
    {"<h2>Kaarten</h2>", "<h2>Maps</h2>"},
    {"Verdeling over de klassen", "Distribution over the classes"},
    {"Ontwikkeling en ontleding", "Change and its decomposition"},
    {"Ontwikkeling naar klasse in het beginjaar", "Change by class of the starting year"},
    {"Score en ontwikkeling naar aandeel huurwoningen",
     "Score and change by share of rental housing"},
    {"Typologie van gebieden onder druk", "Typology of areas under pressure"},
    {"Buurten met de laagste veiligheidsscore", "Buurten with the worst safety scores"},
    {"<b>Regel: </b>", "<b>Rule: </b>"},
    {"geen score", "not scored"},
    {"gem. afwijking", "mean deviation"},
    {"gemeentegrens", "municipal boundary"},
    {"corporatiewoningen (sociale huur)", "social rent (housing associations)"},
    {"goedkope particuliere huur", "cheap private rent"},
    {"Bijna (op \u00e9\u00e9n criterium na)", "Near misses (all criteria but one)"},
    {"gemist criterium", "criterion missed"},
    {"1 zeer onvoldoende", "1 very poor"},
    {"klasse van de gemiddelde score hoogstens", "class of the mean score at most"},
    {"overige gemeenten", "other municipalities"},
};

void check_language(const std::string& html, bool en) {
    CHECK(html.find(en ? "<html lang=\"en\"" : "<html lang=\"nl\"") != std::string::npos);
    for (const auto& [nl, e] : kLabels) {
        INFO("label nl '" << nl << "' en '" << e << "'");
        CHECK(html.find(en ? e : nl) != std::string::npos);
        CHECK(html.find(en ? nl : e) == std::string::npos);
    }
}

// Runs `leefbaar report` on `run` and returns index.html.
std::string make_report(const fs::path& run, const std::string& extra, const fs::path& scratch) {
    const auto r = sh(kBin + " -q report " + run.string() + " " + extra, scratch);
    INFO(r.err);
    REQUIRE(r.code == 0);
    REQUIRE(fs::exists(run / "report" / "index.html"));
    for (const auto& e : fs::directory_iterator(run)) {
        INFO(e.path());
        CHECK(e.path().filename().string().rfind("report.", 0) !=
              0);  // no report.partial-* / report.old-*
    }
    return slurp(run / "report" / "index.html");
}

std::string find_chromium() {
    for (const char* c : {"chromium", "chromium-browser", "google-chrome"}) {
        const std::string cmd = std::string("command -v ") + c + " > /dev/null 2>&1";
        if (std::system(cmd.c_str()) == 0) return c;
    }
    return "";
}

}  // namespace

TEST_CASE("leefbaar run writes the report of the run it made (Dutch by default)") {
    const auto& R = small_run();
    REQUIRE(fs::exists(R.out / "report" / "index.html"));
    check_language(slurp(R.out / "report" / "index.html"), false);
}

TEST_CASE("report: files, Dutch labels, images, and every table number equals summary.json") {
    const auto& R = small_run();
    // A stale report is replaced as a whole.
    std::ofstream(R.out / "report" / "stale.txt") << "old";
    const std::string html = make_report(R.out, "", R.root);
    CHECK_FALSE(fs::exists(R.out / "report" / "stale.txt"));
    check_language(html, false);
    const json s = summary(R.out);

    SECTION("every <img> is a PNG beside the HTML, and the maps are there") {
        const auto srcs = image_sources(html);
        REQUIRE(srcs.size() >= 5);
        std::set<std::string> names(srcs.begin(), srcs.end());
        const std::string Y = std::to_string(s["years"].back().get<int>()),
                          Y0 = std::to_string(s["years"][0].get<int>());
        for (const auto& n :
             {"kaart-score-" + Y + ".png", "kaart-klasse-" + Y + ".png",
              "kaart-klasse-" + Y0 + ".png", "kaart-ontwikkeling-" + Y0 + "-" + Y + ".png",
              "kaart-typologie-" + Y + ".png", std::string("kaart-sweep-kans-onvoldoende.png")})
            CHECK(names.count(n) == 1);
        // The sweep section: its charts (three histograms and the class ranges) and the map.
        const auto sw = html.find("<section id=\"sweep\">");
        REQUIRE(sw != std::string::npos);
        const std::string sec = html.substr(sw, html.find("</section>", sw) - sw);
        std::size_t svgs = 0;
        for (std::size_t p = 0; (p = sec.find("<svg", p)) != std::string::npos; ++p) ++svgs;
        CHECK(svgs >= 4);
        CHECK(sec.find("data-sweep-members=\"12\"") != std::string::npos);
        CHECK(sec.find("kaart-sweep-kans-onvoldoende.png") != std::string::npos);
        CHECK(sec.find("class=\"rule\"") != std::string::npos);
        CHECK(sec.find("class=\"legend\"") != std::string::npos);
        for (const auto& src : srcs) {
            INFO(src);
            CHECK(src.find('/') == std::string::npos);
            CHECK(src.find(':') == std::string::npos);  // no network, no absolute paths
            const fs::path p = R.out / "report" / src;
            REQUIRE(fs::exists(p));
            CHECK(slurp(p).substr(0, 8) == std::string("\x89PNG\r\n\x1a\n", 8));
            const auto info = read_png(p);
            CHECK(info.w >= 400);
            CHECK(info.h >= 300);
            CHECK(info.colours >= 5);  // a map, not a blank image
        }
        // No external resources at all.
        for (std::size_t p = 0; (p = html.find("http://", p)) != std::string::npos; ++p)
            CHECK(html.compare(p, 26, "http://www.w3.org/2000/svg") ==
                  0);  // only the SVG namespace
        CHECK(html.find("https://") == std::string::npos);
        CHECK(html.find("<script src") == std::string::npos);
        CHECK(html.find("<link") == std::string::npos);
    }

    SECTION("table numbers equal summary.json") {
        const auto c = check_numbers(html, s, false);
        CHECK(c.cells > 300);
        const std::size_t L = s["national"].size() - 1;
        for (const auto& k : {"residents", "share_residents_onvoldoende",
                              "share_residents_class6_plus", "onvoldoende_buurten"})
            CHECK(c.pointers.count("/national/" + std::to_string(L) + "/" + k) == 1);
        for (std::size_t k = 0; k < s["class_labels"].size(); ++k)
            CHECK(c.pointers.count("/national/0/residents_per_class/" + std::to_string(k)) == 1);
        for (std::size_t p = 0; p < s["national_change"].size(); ++p) {
            CHECK(c.pointers.count("/national_change/" + std::to_string(p) +
                                   "/change_residents_per_class/3") == 1);
            for (const auto& d : s["dimensions"])
                CHECK(c.pointers.count("/national_change/" + std::to_string(p) + "/by_dimension/" +
                                       d.get<std::string>()) == 1);
            CHECK(c.pointers.count("/national_change/" + std::to_string(p) +
                                   "/by_start_class/0/mean_delta") == 1);
        }
        for (std::size_t i = 0; i < s["worst_safety_buurten"].size(); ++i) {
            CHECK(c.pointers.count("/worst_safety_buurten/" + std::to_string(i) + "/safety") == 1);
            CHECK(html.find(">" + s["worst_safety_buurten"][i]["code"].get<std::string>() + "<") !=
                  std::string::npos);
        }
        for (std::size_t i = 0; i < s["share_bins"].size(); ++i)
            for (std::size_t b = 0; b < s["share_bins"][i]["bins"].size(); ++b)
                CHECK(c.pointers.count("/share_bins/" + std::to_string(i) + "/bins/" +
                                       std::to_string(b) + "/mean_deviation") == 1);
        for (const char* key : {"municipality_group", "declining"})
            for (std::size_t g = 0; g < s["breakdowns"][key].size(); ++g)
                CHECK(c.pointers.count("/breakdowns/" + std::string(key) + "/" + std::to_string(g) +
                                       "/years/0/mean_deviation") == 1);
    }

    SECTION("typology tables: every member with its gemeente, every near miss with its criterion") {
        const json& t = s["typology"];
        REQUIRE(t["applied"].get<bool>());
        const auto c = check_numbers(html, s, false);
        for (const char* key : {"kwetsbare_wijken", "aandachtsbuurten", "aandachtsregios"}) {
            if (!t.contains(key)) continue;
            INFO(key);
            CHECK(c.pointers.count("/typology/" + std::string(key) + "/count") == 1);
            const auto& ms = t[key].value("members", json::array());
            for (std::size_t i = 0; i < ms.size(); ++i) {
                CHECK(html.find("<td>" + ms[i]["code"].get<std::string>() + "</td><td>") !=
                      std::string::npos);
                CHECK(c.pointers.count("/typology/" + std::string(key) + "/members/" +
                                       std::to_string(i) + "/residents") == 1);
                if (!ms[i].value("gemeente", "").empty())
                    CHECK(html.find("<td>" + ms[i]["gemeente"].get<std::string>() + "</td>") !=
                          std::string::npos);
            }
            for (const auto& nm : t[key].value("near_misses", json::array()))
                CHECK(html.find("<td>" + nm["code"].get<std::string>() + "</td>") !=
                      std::string::npos);
        }
        for (std::size_t i = 0; i < t.value("kwetsbare_clusters", json::array()).size(); ++i)
            CHECK(c.pointers.count("/typology/kwetsbare_clusters/" + std::to_string(i) +
                                   "/residents") == 1);
        for (const auto& g : t.value("kwetsbare_gemeenten", json::array()))
            CHECK(html.find(g.get<std::string>()) != std::string::npos);
        // The near misses' criteria, in Dutch.
        for (const auto& nm : t["aandachtsbuurten"].value("near_misses", json::array()))
            if (nm["missed"].get<std::string>().rfind("at best zwak", 0) == 0)
                CHECK(html.find("hoogstens zwak in") != std::string::npos);
    }
}

// Splits one CSV line as io::CsvWriter writes it ("" quotes).
std::vector<std::string> csv_fields(const std::string& line) {
    const auto records = leefbaar::io::parse_csv(line);
    return records.empty() ? std::vector<std::string>{""} : records.front();
}

TEST_CASE("the sweep's base member reproduces the run's typology, type 1 clusters included") {
    const auto& R = small_run();
    const json run = summary(R.out);
    REQUIRE(run["typology"].value("applied", false));
    const json sw = summary(R.out / "sweep");
    const json& t = run["typology"];
    const json& b = sw["base"];
    CHECK(b["aandachtsbuurten"].get<double>() == t["aandachtsbuurten"]["count"].get<double>());
    CHECK(b["kwetsbare_wijken"].get<double>() == t["kwetsbare_wijken"]["count"].get<double>());
    CHECK(b["aandachtsregios"].get<double>() == t["aandachtsregios"]["count"].get<double>());
    // Clusters: the same number, and the same buurten flagged.
    std::set<std::string> want;
    for (const auto& c : t["kwetsbare_clusters"])
        for (const auto& bu : c["buurten"]) want.insert(bu.get<std::string>());
    CHECK(b["kwetsbare_clusters"].get<double>() == double(t["kwetsbare_clusters"].size()));
    CHECK(b["buurten_in_kwetsbare_clusters"].get<double>() == double(want.size()));
    std::ifstream in(R.out / "sweep" / "zones.csv");
    std::string line;
    std::getline(in, line);
    const auto h = csv_fields(line);
    auto col = [&](const std::string& n) {
        const auto it = std::find(h.begin(), h.end(), n);
        REQUIRE(it != h.end());
        return std::size_t(it - h.begin());
    };
    const std::size_t cl = col("level"), cc = col("code"), cb = col("base_kwetsbaar_cluster"),
                      cp = col("p_kwetsbaar_cluster");
    std::set<std::string> got;
    std::size_t buurten = 0;
    while (std::getline(in, line)) {
        const auto f = csv_fields(line);
        REQUIRE(f.size() == h.size());
        if (f[cl] != "buurt") continue;
        ++buurten;
        if (f[cb] == "1") got.insert(f[cc]);
        const double p = std::stod(f[cp]);  // a probability over the 12 members
        CHECK(p >= 0.0);
        CHECK(p <= 1.0);
    }
    CHECK(buurten > 0);
    CHECK(got == want);
    INFO("type 1 cluster buurten in the run: " << want.size());
}

TEST_CASE("report --lang en: English labels, English number format, rules as written") {
    const auto& R = small_run();
    const std::string html = make_report(R.out, "--lang en", R.root);
    check_language(html, true);
    const json s = summary(R.out);
    const auto c = check_numbers(html, s, true);
    CHECK(c.cells > 300);
    for (const auto& cr : s["typology"]["aandachtsbuurten"]["criteria"]) {
        std::string e = cr.get<std::string>();
        // As HTML-escaped by the report.
        for (std::size_t p = 0; (p = e.find('<', p)) != std::string::npos; p += 4)
            e.replace(p, 1, "&lt;");
        for (std::size_t p = 0; (p = e.find('>', p)) != std::string::npos; p += 4)
            e.replace(p, 1, "&gt;");
        CHECK(html.find(e) != std::string::npos);
    }
    // Back to Dutch.
    check_language(make_report(R.out, "--lang nl", R.root), false);
}

TEST_CASE("report takes its default language from run.lang of the run config") {
    const auto& R = small_run();
    const fs::path copy = R.root / "copy-en";
    fs::remove_all(copy);
    fs::create_directories(copy);
    for (const char* f : {"leefbaar.h5", "summary.json"}) fs::copy_file(R.out / f, copy / f);
    fs::copy(R.out / "aggregates", copy / "aggregates", fs::copy_options::recursive);
    const fs::path cfg = R.root / "run-en.toml";
    std::ofstream(cfg) << "[run]\nlang = \"en\"\n";
    json rj;
    rj["config"] = cfg.string();
    std::ofstream(copy / "run.json") << rj.dump();
    check_language(make_report(copy, "", R.root), true);
    // --lang wins over run.lang.
    check_language(make_report(copy, "--lang nl", R.root), false);
    fs::remove_all(copy);
}

TEST_CASE("report refuses folders that are not finished runs (exit 2, clear message)") {
    const auto& R = small_run();
    const fs::path bad = R.root / "not-a-run";
    fs::remove_all(bad);
    fs::create_directories(bad);
    auto run = [&](const std::string& args) { return sh(kBin + " -q report " + args, R.root); };

    auto r = run((R.root / "does-not-exist").string());
    CHECK(r.code == 2);
    CHECK(r.err.find("does not exist") != std::string::npos);

    r = run(bad.string());
    CHECK(r.code == 2);
    CHECK(r.err.find("summary.json") != std::string::npos);
    CHECK_FALSE(fs::exists(bad / "report"));

    fs::copy_file(R.out / "summary.json", bad / "summary.json");
    r = run(bad.string());
    CHECK(r.code == 2);
    CHECK(r.err.find("leefbaar.h5") != std::string::npos);
    CHECK_FALSE(fs::exists(bad / "report"));

    r = run(R.out.string() + " --lang de");
    CHECK(r.code == 2);
    r = run("");
    CHECK(r.code == 2);
    fs::remove_all(bad);
}

TEST_CASE("report renders in headless Chromium: images load, no errors, non-trivial screenshot") {
    const std::string chromium = find_chromium();
    if (chromium.empty()) {
        WARN(
            "SKIPPED: chromium is not installed (scripts/bootstrap.sh installs it); the browser "
            "render of the report was not checked");
        return;
    }
    const auto& R = small_run();
    make_report(R.out, "", R.root);
    const fs::path profile = R.root / "chromium-profile";
    fs::create_directories(profile);
    const std::string flags =
        " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run "
        "--disable-background-networking "
        "--disable-component-update --disable-sync --hide-scrollbars --user-data-dir=" +
        profile.string();
    const std::string url = "file://" + fs::absolute(R.out / "report" / "index.html").string();

    const fs::path dom = R.root / "dom.html";
    auto r = sh("(" + chromium + flags + " --virtual-time-budget=10000 --dump-dom " + url + " > " +
                    dom.string() + ")",
                R.root);
    REQUIRE(r.code == 0);
    const std::string d = slurp(dom);
    std::smatch m;
    const std::regex re(
        R"re(data-report-check="images=(\d+);broken=(\d+);svg=(\d+);errors=(\d+)")re");
    INFO("chromium stderr: " << r.err.substr(0, 2000));
    REQUIRE(std::regex_search(d, m, re));
    CHECK(std::stoi(m[1]) >= 6);  // the five run maps and the sweep's probability map
    CHECK(std::stoi(m[2]) == 0);
    CHECK(std::stoi(m[3]) >= 8);
    CHECK(std::stoi(m[4]) == 0);

    const fs::path shot = R.root / "screenshot.png";
    r = sh("cd " + R.root.string() + " && " + chromium + flags +
               " --window-size=1400,2400 --screenshot=" + shot.string() + " " + url,
           R.root);
    REQUIRE(r.code == 0);
    REQUIRE(fs::exists(shot));
    const auto info = read_png(shot);
    CHECK(info.w == 1400);
    CHECK(info.h == 2400);
    CHECK(info.colours > 200);     // text, tables, maps
    CHECK(info.non_white > 0.10);  // not a blank page
}
