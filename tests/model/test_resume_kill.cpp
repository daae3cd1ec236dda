// `leefbaar run` killed with SIGKILL in the middle of its kernels stage, then resumed with
// --resume, gives results identical to an uninterrupted run; a changed model refuses to resume.

#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "../support/dataset_bytes.hpp"

namespace fs = std::filesystem;

namespace {

std::string mpirun_prefix() {
    std::string p = "mpirun -np 2 --oversubscribe --bind-to none";
    if (geteuid() == 0) p += " --allow-run-as-root";
    return p;
}

}  // namespace

TEST_CASE("a run killed with SIGKILL resumes to the same result", "[model][run][resume]") {
    const fs::path dir = fs::temp_directory_path() / "leefbaar-kill";
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string bin = LEEFBAAR_BINARY;
    REQUIRE(std::system(
                (bin + " -q synth --preset small --out " + (dir / "data").string()).c_str()) == 0);
    const std::string model = std::string(LEEFBAAR_SOURCE_DIR) + "/configs/models/lbm-demo.toml";
    std::ofstream(dir / "run.toml")
        << "[run]\nmodel = \"" << model << "\"\ndata = \"data\"\nout = \"ref\"\n";
    const std::string run = mpirun_prefix() + " " + bin + " -q run " + (dir / "run.toml").string();
    REQUIRE(std::system(run.c_str()) == 0);

    // Start the same run into another folder and kill it once the first year is checkpointed.
    const pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        const std::string cmd = run + " --out " + (dir / "killed").string() + " >/dev/null 2>&1";
        execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    setpgid(pid, pid);
    const auto first = dir / "killed" / "checkpoints" / "kernels-2012.h5";
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!fs::exists(first) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(fs::exists(first));
    kill(-pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_FALSE(fs::exists(dir / "killed" / "leefbaar.h5"));  // nothing finished-looking

    REQUIRE(std::system((run + " --out " + (dir / "killed").string() + " --resume").c_str()) == 0);
    const auto a = leefbaar::testing::dataset_bytes((dir / "ref" / "leefbaar.h5").string());
    const auto b = leefbaar::testing::dataset_bytes((dir / "killed" / "leefbaar.h5").string());
    REQUIRE(a.size() > 50);
    REQUIRE(a.size() == b.size());
    for (const auto& [name, bytes] : a) {
        INFO(name);
        CHECK(bytes == b.at(name));
    }

    // `leefbaar info` describes the finished results file.
    const std::string info = bin + " info " + (dir / "ref" / "leefbaar.h5").string() + " > " +
                             (dir / "info.txt").string();
    REQUIRE(std::system(info.c_str()) == 0);
    {
        std::ifstream inf(dir / "info.txt");
        const std::string text((std::istreambuf_iterator<char>(inf)), {});
        CHECK_THAT(text, Catch::Contains("grid: EPSG:28992") &&
                             Catch::Contains("years: 2012, 2014, 2016, 2018") &&
                             Catch::Contains("stages completed") &&
                             Catch::Contains("kernels/2016") && Catch::Contains("/2018/score") &&
                             Catch::Contains("status: complete"));
    }
    CHECK(std::system((bin + " info " + (dir / "nothing.h5").string() + " 2>/dev/null").c_str()) !=
          0);

    // Huge pages (app/memory.hpp: the CLI re-executes itself with glibc's malloc on transparent
    // huge pages) are recorded in run.json, can be turned off, and change no byte of the results.
    {
        std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
        std::string mode;
        std::getline(thp, mode);
        const bool offered = mode.find("[madvise]") != std::string::npos ||
                             mode.find("[always]") != std::string::npos;
        auto recorded = [&](const fs::path& run_dir) {
            std::ifstream j(run_dir / "run.json");
            const std::string text((std::istreambuf_iterator<char>(j)), {});
            return text.find("\"malloc_huge_pages\": true") != std::string::npos;
        };
        INFO("transparent_hugepage/enabled: " << mode);
        if (offered) CHECK(recorded(dir / "ref"));  // glibc 2.36 on Debian 12
        REQUIRE(std::system(
                    ("LEEFBAAR_NO_HUGE_PAGES=1 " + run + " --out " + (dir / "small-pages").string())
                        .c_str()) == 0);
        CHECK_FALSE(recorded(dir / "small-pages"));
        const auto c =
            leefbaar::testing::dataset_bytes((dir / "small-pages" / "leefbaar.h5").string());
        REQUIRE(c.size() == a.size());
        for (const auto& [name, bytes] : a) {
            INFO(name);
            CHECK(bytes == c.at(name));
        }
    }

    // A changed model: --resume refuses, names the file, exits 2.
    fs::copy_file(model, dir / "model2.toml");
    {
        std::ofstream(dir / "model2.toml", std::ios::app) << "\n# changed\n";
        std::ofstream(dir / "run2.toml")
            << "[run]\nmodel = \"model2.toml\"\ndata = \"data\"\nout = \"ref\"\n";
    }
    const std::string refuse = mpirun_prefix() + " " + bin + " -q run " +
                               (dir / "run2.toml").string() + " --resume > " +
                               (dir / "refuse.txt").string() + " 2>&1";
    const int rc = std::system(refuse.c_str());
    CHECK(WEXITSTATUS(rc) == 2);
    std::ifstream in(dir / "refuse.txt");
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    CHECK_THAT(text, Catch::Contains("cannot resume") && Catch::Contains("model2.toml"));
    fs::remove_all(dir);
}
