#include "app/log.hpp"

#include <chrono>
#include <cstdio>

#include "dist/comm.hpp"

namespace leefbaar::app {

namespace {
const auto t0 = std::chrono::steady_clock::now();
bool quiet = false;
}  // namespace

double elapsed_seconds() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void set_quiet(bool q) {
    quiet = q;
}

void progress(const std::string& message, bool all_ranks) {
    if (quiet) return;
    const int r = dist::rank();
    if (r != 0 && !all_ranks) return;
    if (all_ranks)
        std::fprintf(stderr, "[%8.2f s] [rank %d] %s\n", elapsed_seconds(), r, message.c_str());
    else
        std::fprintf(stderr, "[%8.2f s] %s\n", elapsed_seconds(), message.c_str());
    std::fflush(stderr);
}

}  // namespace leefbaar::app
