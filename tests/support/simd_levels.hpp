#pragma once
// The vector levels (core/simd.hpp) a test runs a path at: every level this CPU has, widest
// first, down to the portable one. A test caps the process at each in turn
// (simd::ScopedLevelCap) and checks that every level gives the same result.
#include <vector>

#include "core/simd.hpp"

namespace leefbaar::test {

inline std::vector<simd::Level> simd_levels() {
    std::vector<simd::Level> v;
    for (int l = int(simd::cpu_level()); l >= 0; --l) v.push_back(simd::Level(l));
    return v;
}

}  // namespace leefbaar::test
