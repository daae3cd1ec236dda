#include <algorithm>
#include <catch2/catch.hpp>
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
