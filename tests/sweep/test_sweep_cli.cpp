// `leefbaar sweep` usage errors through the binary: wrong indicator names or count in a weight
// file, a malformed spec, a bad --members, a run folder that is not finished -> exit code 2
// with a message naming the problem; and the happy path + merge through the CLI.

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "../support/tiny_country.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
    int code = -1;
    std::string err;
};

Result cli(const std::string& args) {
    const std::string errf =
        (fs::temp_directory_path() / ("leefbaar-sweep-cli-" + std::to_string(::getpid()) + ".err"))
            .string();
    const int st = std::system(
        (std::string("\"") + LEEFBAAR_BINARY + "\" -q " + args + " >/dev/null 2>\"" + errf + "\"")
            .c_str());
    Result r;
    r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::ifstream in(errf);
    std::stringstream s;
    s << in.rdbuf();
    r.err = s.str();
    fs::remove(errf);
    return r;
}

const fs::path& country() {
    static fs::path dir;
    if (!dir.empty()) return dir;
    dir = fs::temp_directory_path() / ("leefbaar-sweep-cli-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    leefbaar::testing::write_country(dir);
    const auto r = cli("run \"" + (dir / "run.toml").string() + "\"");
    REQUIRE(r.code == 0);
    return dir;
}

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p) << text;
}

}  // namespace

TEST_CASE("sweep CLI: usage errors exit 2 with a clear message", "[sweep]") {
    const fs::path dir = country();
    const std::string run = "\"" + (dir / "out").string() + "\"";
    auto sweep = [&](const std::string& spec_text, const std::string& name,
                     const std::string& extra = "") {
        write(dir / name, spec_text);
        return cli("sweep " + run + " --weights \"" + (dir / name).string() + "\" --out \"" +
                   (dir / "o").string() + "\" " + extra);
    };
    SECTION("wrong indicator name in a CSV list") {
        const auto r = sweep("x,zz\n0.5,0.1\n", "bad1.csv");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("'zz' is not an indicator"));
    }
    SECTION("wrong count of indicators in a CSV list") {
        const auto r = sweep("x\n0.5\n", "bad2.csv");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("no column for indicator 'y'"));
    }
    SECTION("a row with too few fields") {
        const auto r = sweep("x,y\n0.5\n", "bad3.csv");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("line 2"));
    }
    SECTION("wrong indicator in a TOML list") {
        const auto r =
            sweep("[sweep]\nkind = \"list\"\n[[sweep.member]]\nx = 1.0\nq = 2.0\n", "bad4.toml");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("'q' is not an indicator"));
    }
    SECTION("malformed TOML") {
        const auto r = sweep("[sweep\nkind = \n", "bad5.toml");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("line 1"));
    }
    SECTION("unknown kind and unknown key") {
        CHECK(sweep("[sweep]\nkind = \"lattice\"\n", "bad6.toml").code == 2);
        const auto r =
            sweep("[sweep]\nkind = \"montecarlo\"\nmembers = 3\nsigma = 1\n", "bad7.toml");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("unknown key 'sigma'"));
        CHECK(
            sweep(
                "[sweep]\nkind = \"grid\"\n[[sweep.axis]]\ndimension = \"nope\"\nvalues = [1.0]\n",
                "bad8.toml")
                .code == 2);
    }
    SECTION("bad --members") {
        const std::string ok = "[sweep]\nkind = \"montecarlo\"\nmembers = 3\n";
        CHECK(sweep(ok, "ok.toml", "--members 2").code == 2);
        CHECK(sweep(ok, "ok.toml", "--members 0:9").code == 2);
    }
    SECTION("a run folder that is not finished") {
        fs::create_directories(dir / "half");
        fs::copy_file(dir / "out" / "run.json", dir / "half" / "run.json",
                      fs::copy_options::overwrite_existing);
        write(dir / "ok.toml", "[sweep]\nkind = \"montecarlo\"\nmembers = 3\n");
        const auto r = cli("sweep \"" + (dir / "half").string() + "\" --weights \"" +
                           (dir / "ok.toml").string() + "\"");
        CHECK(r.code == 2);
        CHECK_THAT(r.err, Catch::Contains("not a finished run"));
        const auto r2 = cli("sweep \"" + (dir / "nowhere").string() + "\" --weights \"" +
                            (dir / "ok.toml").string() + "\"");
        CHECK(r2.code == 2);
    }
}

TEST_CASE("sweep CLI: a grid sweep, sliced and merged", "[sweep]") {
    const fs::path dir = country();
    write(dir / "grid.toml",
          "[sweep]\nkind = \"grid\"\n[[sweep.axis]]\nindicator = \"x\"\nvalues = [0.25, 0.5, 1.0]\n"
          "[[sweep.axis]]\ndimension = \"d2\"\nvalues = [0.0, 1.0]\n");
    const std::string base = "sweep \"" + (dir / "out").string() + "\" --weights \"" +
                             (dir / "grid.toml").string() + "\" ";
    REQUIRE(cli(base + "--out \"" + (dir / "g-all").string() + "\"").code == 0);
    REQUIRE(cli(base + "--members 0:4 --out \"" + (dir / "g-a").string() + "\"").code == 0);
    REQUIRE(cli(base + "--members 4: --out \"" + (dir / "g-b").string() + "\"").code == 0);
    REQUIRE(cli("sweep merge \"" + (dir / "g-m").string() + "\" \"" + (dir / "g-a").string() +
                "\" \"" + (dir / "g-b").string() + "\"")
                .code == 0);
    auto slurp = [](const fs::path& p) {
        std::ifstream in(p);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    const std::string members = slurp(dir / "g-all" / "members.csv");
    CHECK(members == slurp(dir / "g-m" / "members.csv"));
    CHECK(slurp(dir / "g-all" / "zones.csv") == slurp(dir / "g-m" / "zones.csv"));
    // 3 x 2 members, last axis fastest: member 1 = x 0.25, y base; member 0 = x 0.25, y 0.
    CHECK_THAT(members, Catch::Contains("\n0,0.25,-0,"));
    CHECK_THAT(members, Catch::Contains("\n1,0.25,-0.01,"));
    CHECK_THAT(members, Catch::Contains("\n5,1,-0.01,"));
    // Overlapping slices are refused.
    CHECK(cli("sweep merge \"" + (dir / "g-x").string() + "\" \"" + (dir / "g-a").string() +
              "\" \"" + (dir / "g-all").string() + "\"")
              .code == 2);
    fs::remove_all(dir);
}
