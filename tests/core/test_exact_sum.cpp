#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "core/exact_sum.hpp"

using namespace leefbaar;

TEST_CASE("exact sums are identical in any order and any split", "[core][reduce]") {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(-1e6, 1e6);
    std::vector<double> v(100000);
    for (auto& x : v) x = u(rng) * (rng() % 2 ? 1e-6 : 1.0);
    ExactSum a;
    for (double x : v) a.add(x);
    std::shuffle(v.begin(), v.end(), rng);
    ExactSum b;
    for (double x : v) b.add(x);
    CHECK(a.raw() == b.raw());
    // Split into uneven parts, summed separately and combined.
    ExactSum p1, p2, p3;
    for (std::size_t i = 0; i < v.size(); ++i) (i < 17 ? p1 : i < 60000 ? p2 : p3).add(v[i]);
    p3 += p1;
    p3 += p2;
    CHECK(p3.raw() == a.raw());
    // The plain double sum in the two orders generally differs; the exact one is close to it.
    double plain = 0;
    for (double x : v) plain += x;
    CHECK(a.value() == Approx(plain).epsilon(1e-9));
}

TEST_CASE("exact sums keep small terms next to large ones", "[core][reduce]") {
    ExactSum s;
    s.add(1e15);
    for (int i = 0; i < 1000; ++i) s.add(0.001);
    s.add(-1e15);
    CHECK(s.value() == Approx(1.0).epsilon(1e-9));
}

TEST_CASE("the fast fixed-point conversion equals nearbyint(ldexp(v, 40)) bit for bit",
          "[core][reduce]") {
    // Ties at every scale (half-integers of 2^-40 round to even), both signs, values around
    // 2^12 (2^52 after scaling) and 2^23 (2^63), subnormals, zeros and the range's end.
    std::vector<double> v = {0.0,
                             -0.0,
                             0x1p-41,
                             -0x1p-41,
                             0x3p-41,
                             -0x3p-41,
                             0x1p-1074,
                             -0x1p-1074,
                             0x1p-1022,
                             1.0,
                             -1.0,
                             0.1,
                             -0.1,
                             1e-12,
                             -1e-12,
                             0x1p12,
                             -0x1p12,
                             0x1p23,
                             -0x1p23,
                             0x1p45,
                             -0x1p45,
                             0x1.fffffffffffffp85,
                             -0x1.fffffffffffffp85};
    for (int e = -45; e <= 85; ++e)
        for (const double m : {1.0, 1.5, 1.25, 1.75, 1.0 + 0x1p-52, 2.0 - 0x1p-52, 1.0 + 0x1p-20})
            for (const double sign : {1.0, -1.0}) {
                const double x = sign * std::ldexp(m, e);
                v.push_back(x);
                v.push_back(std::nextafter(x, 0.0));
                v.push_back(std::nextafter(x, 2 * x));
            }
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::uniform_int_distribution<int> ex(-60, 85);
    for (int i = 0; i < 200000; ++i) v.push_back(std::ldexp(u(rng), ex(rng)));
    // Exact ties of the 2^-40 grid.
    for (int i = 0; i < 10000; ++i)
        v.push_back(
            std::ldexp(double(std::int64_t(rng() % (1ull << 50)) - (1ll << 49)) + 0.5, -40));
    std::size_t diff = 0;
    for (const double x : v) diff += ExactSum::to_raw(x) != ExactSum::to_raw_reference(x);
    CHECK(diff == 0);
    CHECK(v.size() > 200000);
}
