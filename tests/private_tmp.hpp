#pragma once
// Every test process (every MPI job) gets its own temporary folder: TMPDIR points into a fresh
// folder named after the process (rank 0's pid under MPI). The
// tests' fixed scratch names (leefbaar-tiny-np2, leefbaar-kill, ...) then never collide
// between test suites of different checkouts running at the same time. The folder is removed at
// the end (an Open MPI session folder of a child killed on purpose may outlive it).

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

namespace leefbaar::testing {

class PrivateTmp {
  public:
    // `tag` names the folder; `owner` creates and removes it (rank 0 under MPI).
    PrivateTmp(long tag, bool owner) : owner_(owner) {
        dir_ = std::filesystem::temp_directory_path() / ("leefbaar-test-" + std::to_string(tag));
        if (owner_) {
            std::filesystem::remove_all(dir_);
            std::filesystem::create_directories(dir_);
        }
    }
    // Points TMPDIR at the folder (after the owner created it).
    void enter() const { ::setenv("TMPDIR", dir_.c_str(), 1); }
    ~PrivateTmp() {
        if (!owner_) return;
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    PrivateTmp(const PrivateTmp&) = delete;
    PrivateTmp& operator=(const PrivateTmp&) = delete;

  private:
    std::filesystem::path dir_;
    bool owner_;
};

}  // namespace leefbaar::testing
