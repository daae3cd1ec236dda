#include "core/simd.hpp"

#include <atomic>
#include <cstdlib>
#include <string>

#include "core/error.hpp"

namespace leefbaar::simd {

namespace {

Level detect_cpu() {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq"))
        return Level::avx512;
    if (__builtin_cpu_supports("avx2")) return Level::avx2;
#endif
    return Level::portable;
}

// The cap from LEEFBAAR_SIMD (no cap when unset or empty).
Level cap_from_environment() {
    const char* v = std::getenv("LEEFBAAR_SIMD");
    if (!v || !*v) return Level::avx512;
    const std::string s(v);
    if (s == "portable") return Level::portable;
    if (s == "avx2") return Level::avx2;
    if (s == "avx512") return Level::avx512;
    throw Error(
        "simd",
        "environment variable LEEFBAAR_SIMD='" + s + "' is not one of portable, avx2, avx512",
        kExitUsage);
}

constexpr int kUnset = -1;
std::atomic<int> g_cap{kUnset};

}  // namespace

Level cpu_level() {
    static const Level l = detect_cpu();
    return l;
}

Level level() {
    int cap = g_cap.load(std::memory_order_relaxed);
    if (cap == kUnset) {
        int expected = kUnset;
        g_cap.compare_exchange_strong(expected, int(cap_from_environment()));
        cap = g_cap.load(std::memory_order_relaxed);
    }
    const Level cpu = cpu_level();
    return int(cpu) < cap ? cpu : Level(cap);
}

Level set_level_cap(Level cap) {
    level();  // the environment's cap first, so that it is what a caller restores
    return Level(g_cap.exchange(int(cap)));
}

const char* level_name(Level l) {
    switch (l) {
        case Level::avx512:
            return "avx512";
        case Level::avx2:
            return "avx2";
        default:
            return "portable";
    }
}

}  // namespace leefbaar::simd
