// Distance-decay filters: accuracy against the direct sum, determinism, parameter checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernels/decay.hpp"
#include "support.hpp"

using namespace leefbaar::kernels;

namespace {

struct Accuracy {
    double max_abs = 0.0;  // max |kernel - direct|
    double max_rel = 0.0;  // max |kernel - direct| / sum(w |v|)
};

// Compares decay_sum with the direct sum of the exact weights over the support.
Accuracy measure(const kt::World<float>& world, const DecayKernel& k) {
    const TileDesc t = kt::tile_of(world, 0, 0, world.nx, world.ny, k.reach);
    const auto in = kt::cut(world, t);
    std::vector<double> out(t.interior_size());
    decay_sum(t, std::span<const float>(in), k, std::span(out));
    Accuracy a;
    for (std::int64_t y = 0; y < t.ny; ++y)
        for (std::int64_t x = 0; x < t.nx; ++x) {
            double s = 0.0, mag = 0.0, absv = 0.0;
            for (std::int64_t dy = -k.reach; dy <= k.reach; ++dy)
                for (std::int64_t dx = -k.reach; dx <= k.reach; ++dx) {
                    const float v = in[t.padded_index(x + dx, y + dy)];
                    if (std::isnan(v)) continue;
                    const double w = decay_weight(k, dx, dy);
                    s += w * v;
                    mag += w * std::fabs(v);
                    absv += std::fabs(v);
                }
            const double err = std::fabs(out[t.interior_index(x, y)] - s);
            REQUIRE(err <= k.max_weight_error * absv + 1e-12 * (absv + 1.0));
            a.max_abs = std::max(a.max_abs, err);
            if (mag > 0) a.max_rel = std::max(a.max_rel, err / mag);
        }
    return a;
}

void report(const char* name, const DecayKernel& k, const Accuracy& a) {
    if (std::getenv("LEEFBAAR_KERNEL_REPORT") == nullptr) return;
    std::printf("%-40s reach %3lld rank %2d direct %6zu max|dW| %.2e  max rel err %.2e\n", name,
                static_cast<long long>(k.reach), k.rank, k.direct_w.size(), k.max_weight_error,
                a.max_rel);
}

}  // namespace

TEST_CASE("gaussian decay equals the direct sum up to rounding", "[decay]") {
    const auto world = kt::random_f32(3, 41, 27, 0, 0.0f, 100.0f, 0.1);
    for (double sigma : {30.0, 100.0, 250.0, 700.0}) {
        const DecayKernel k = make_gaussian_kernel(sigma, 100.0);
        CHECK(k.rank == 1);
        CHECK(k.reach == std::int64_t(std::floor(4 * sigma / 100.0)));
        const Accuracy a = measure(world, k);
        CHECK(a.max_rel < 1e-13);
        report(("gaussian sigma " + std::to_string(int(sigma))).c_str(), k, a);
    }
    // Truncation at 4 sigma: the omitted weight of the infinite kernel is small.
    const DecayKernel k = make_gaussian_kernel(300.0, 100.0);
    double kept = 0.0, total = 0.0;
    for (std::int64_t dy = -60; dy <= 60; ++dy)
        for (std::int64_t dx = -60; dx <= 60; ++dx) {
            const double w = std::exp(-double(dx * dx + dy * dy) * 1e4 / (2 * 300.0 * 300.0));
            total += w;
            kept += decay_weight(k, dx, dy);
        }
    CHECK(1.0 - kept / total < 2e-4);
}

TEST_CASE("exponential and linear decay stay within the documented error", "[decay]") {
    const auto world = kt::random_f32(4, 37, 23, 0, 0.0f, 100.0f, 0.1);
    for (const auto& [len, cut] :
         {std::pair{200.0, 1000.0}, std::pair{500.0, 3000.0}, std::pair{1000.0, 6000.0}}) {
        const DecayKernel k = make_exponential_kernel(len, cut, 100.0);
        CHECK(k.max_weight_error <= 1e-4);
        const Accuracy a = measure(world, k);
        report(("exponential len " + std::to_string(int(len)) + " cut " + std::to_string(int(cut)))
                   .c_str(),
               k, a);
    }
    for (double r : {300.0, 1500.0, 4000.0, 6000.0}) {
        const DecayKernel k = make_linear_kernel(r, 100.0);
        CHECK(k.max_weight_error <= 1e-4);
        const Accuracy a = measure(world, k);
        report(("linear radius " + std::to_string(int(r))).c_str(), k, a);
    }
    // A looser tolerance buys fewer separable terms.
    const DecayKernel loose = make_linear_kernel(4000.0, 100.0, 1e-2);
    const DecayKernel tight = make_linear_kernel(4000.0, 100.0, 1e-4);
    CHECK(loose.max_weight_error <= 1e-2);
    CHECK((loose.rank <= tight.rank || tight.rank == 0));
}

TEST_CASE("decay mean skips nodata and flags empty neighbourhoods", "[decay]") {
    TileDesc t{3, 1, 2, 100.0};
    std::vector<float> in(t.padded_size(), std::nanf(""));
    in[t.padded_index(0, 0)] = 10.0f;
    in[t.padded_index(1, 0)] = 20.0f;
    const DecayKernel k = make_gaussian_kernel(100.0, 100.0, 2.0);
    std::vector<double> out(3);
    decay_mean(t, std::span<const float>(in), k, std::span(out));
    const double w1 = std::exp(-0.5);
    CHECK(out[0] == Approx((10.0 + 20.0 * w1) / (1.0 + w1)).epsilon(1e-14));
    CHECK(out[2] ==
          Approx((10.0 * std::exp(-2.0) + 20.0 * w1) / (std::exp(-2.0) + w1)).epsilon(1e-14));
    std::vector<float> none(t.padded_size(), std::nanf(""));
    decay_mean(t, std::span<const float>(none), k, std::span(out));
    for (double v : out) CHECK(std::isnan(v));
}

TEST_CASE("decay filters are bit-identical across splits and threads", "[decay][determinism]") {
    const auto wf = kt::random_f32(8, 43, 29, 10, -5.0f, 50.0f, 0.1);
    const auto wi = kt::random_i32(9, 43, 29, 10, 0, 1000, 0.1);
    const DecayKernel g = make_gaussian_kernel(200.0, 100.0);            // reach 8, rank 1
    const DecayKernel e = make_exponential_kernel(300.0, 900.0, 100.0);  // reach 9
    const DecayKernel l = make_linear_kernel(1000.0, 100.0, 1e-3);       // reach 10
    for (const DecayKernel* k : {&g, &e, &l}) {
        kt::require_split_invariant<double>(
            wf, k->reach, [&](const TileDesc& t, const std::vector<float>& in) {
                std::vector<double> out(t.interior_size());
                decay_mean(t, std::span<const float>(in), *k, std::span(out));
                return out;
            });
        kt::require_split_invariant<double>(
            wi, 10, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<double> out(t.interior_size());
                decay_sum(t, std::span<const std::int32_t>(in), *k, std::span(out));
                return out;
            });
    }
}

TEST_CASE("sparse decay sums are bit-identical to the dense form", "[decay][determinism]") {
    // Point-count inputs (most cells 0, some nodata) and signed floats made sparse, through the
    // direct form (exponential), a rank-1 separable form (Gaussian) and a low-rank form with
    // negative terms (linear cone); sums and means; every tile split and thread count.
    auto wi = kt::random_i32(21, 300, 40, 26, 0, 40, 0.05);
    auto wf = kt::random_f32(22, 300, 40, 26, -30.0f, 30.0f, 0.05);
    std::uint64_t s = 5;
    auto next = [&s] {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        return std::uint32_t(s >> 33);
    };
    for (auto& v : wi.data)
        if (v != kNodataI32 && next() % 100 >= 4) v = 0;
    for (auto& v : wf.data)
        if (!std::isnan(v) && next() % 100 >= 6) v = next() % 2 ? 0.0f : -0.0f;
    DecayKernel g = make_gaussian_kernel(250.0, 100.0);             // reach 10, rank 1
    DecayKernel e = make_exponential_kernel(300.0, 1200.0, 100.0);  // reach 12, direct
    DecayKernel l = make_linear_kernel(2500.0, 100.0, 1e-2);        // reach 25, low rank
    REQUIRE(g.rank == 1);
    REQUIRE(e.rank == 0);
    REQUIRE(l.rank > 1);
    for (DecayKernel* k : {&g, &e, &l}) {
        CAPTURE(int(k->shape), k->rank);
        auto run_i = [&](double density) {
            k->sparse_density = density;
            const TileDesc t = kt::tile_of(wi, 0, 0, wi.nx, wi.ny, k->reach);
            const auto in = kt::cut(wi, t);
            std::vector<double> out(t.interior_size()), mean(t.interior_size());
            decay_sum(t, std::span<const std::int32_t>(in), *k, std::span(out));
            decay_mean(t, std::span<const std::int32_t>(in), *k, std::span(mean));
            out.insert(out.end(), mean.begin(), mean.end());
            return out;
        };
        auto run_f = [&](double density) {
            k->sparse_density = density;
            const TileDesc t = kt::tile_of(wf, 0, 0, wf.nx, wf.ny, k->reach);
            const auto in = kt::cut(wf, t);
            std::vector<double> out(t.interior_size());
            decay_sum(t, std::span<const float>(in), *k, std::span(out));
            return out;
        };
        const auto dense_i = run_i(0.0), sparse_i = run_i(1.0);
        const auto dense_f = run_f(0.0), sparse_f = run_f(1.0);
        REQUIRE(dense_i.size() == sparse_i.size());
        CHECK(std::memcmp(dense_i.data(), sparse_i.data(), dense_i.size() * sizeof(double)) == 0);
        CHECK(std::memcmp(dense_f.data(), sparse_f.data(), dense_f.size() * sizeof(double)) == 0);
        double total = 0;
        for (const double v : dense_i) total += std::isnan(v) ? 0.0 : std::fabs(v);
        CHECK(total > 0);         // the inputs are not all zero
        k->sparse_density = 1.0;  // and the sparse form is split- and thread-invariant
        kt::require_split_invariant<double>(
            wi, k->reach, [&](const TileDesc& t, const std::vector<std::int32_t>& in) {
                std::vector<double> out(t.interior_size());
                decay_sum(t, std::span<const std::int32_t>(in), *k, std::span(out));
                return out;
            });
    }
}

TEST_CASE("decay kernels reject bad parameters", "[decay]") {
    CHECK_THROWS_WITH(make_gaussian_kernel(-5.0, 100.0), "gaussian kernel: sigma -5 m must be > 0");
    CHECK_THROWS_WITH(make_exponential_kernel(100.0, 0.0, 100.0),
                      "exponential kernel: cutoff 0 m must be > 0");
    CHECK_THROWS_AS(make_linear_kernel(100.0, 100.0, 0.0), std::invalid_argument);
    TileDesc t{4, 4, 2, 100.0};
    std::vector<float> in(t.padded_size(), 1.0f);
    std::vector<double> out(t.interior_size());
    CHECK_THROWS_WITH(decay_sum(t, std::span<const float>(in), make_gaussian_kernel(100.0, 100.0),
                                std::span(out)),
                      "decay sum: kernel support 400 m reaches 4 cells but the tile halo is only "
                      "2 cells");
    CHECK_THROWS_AS(decay_mean(t, std::span<const float>(in), make_gaussian_kernel(50.0, 100.0),
                               std::span(out), 0.0),
                    std::invalid_argument);
    CHECK_THROWS_AS(decay_sum(t, std::span<const float>(in), DecayKernel{}, std::span(out)),
                    std::invalid_argument);
}
