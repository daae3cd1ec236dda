#pragma once
// Counter-based random numbers (Random123 Philox) and hashed lattice noise. Every draw is a
// pure function of (seed, stream, counter), never of a per-rank or per-thread state, so the
// synthetic data are identical for any split of the grid over ranks and threads.

#include <Random123/philox.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace leefbaar::rnd {

// Four uniform 32-bit words from Philox4x32-10 keyed by the seed; the counter names the draw.
inline std::array<std::uint32_t, 4> philox(std::uint64_t seed, std::uint32_t c0, std::uint32_t c1,
                                           std::uint32_t c2, std::uint32_t c3) {
    r123::Philox4x32 gen;
    r123::Philox4x32::key_type k = {{std::uint32_t(seed), std::uint32_t(seed >> 32)}};
    r123::Philox4x32::ctr_type c = {{c0, c1, c2, c3}};
    const auto r = gen(c, k);
    return {r[0], r[1], r[2], r[3]};
}

// A uniform double in (0, 1) from a 32-bit word (never exactly 0 or 1, so inverse CDFs and
// logarithms stay finite).
inline double to_unit(std::uint32_t w) {
    return (double(w) + 0.5) * (1.0 / 4294967296.0);
}

// The random stream of one entity (a cell, a feature): draws are numbered 0, 1, 2, ... and each
// is a pure function of (seed, key, index).
class Stream {
  public:
    Stream(std::uint64_t seed, std::uint32_t k0, std::uint32_t k1, std::uint32_t k2)
        : seed_(seed), k0_(k0), k1_(k1), k2_(k2) {}
    // The i-th uniform in (0, 1). One Philox call yields four draws; the last block is kept so
    // consecutive draws cost a quarter of a call each.
    double uniform(std::uint32_t i) const {
        const std::uint32_t block = i >> 2;
        if (block != block_) {
            cache_ = philox(seed_, k0_, k1_, k2_, block);
            block_ = block;
        }
        return to_unit(cache_[i & 3u]);
    }

  private:
    std::uint64_t seed_;
    std::uint32_t k0_, k1_, k2_;
    mutable std::uint32_t block_ = 0xffffffffu;
    mutable std::array<std::uint32_t, 4> cache_{};
};

// 64-bit mixing (splitmix64 finaliser): cheap hashing of lattice points for noise fields.
inline std::uint64_t mix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

inline double lattice_value(std::uint64_t seed, std::uint32_t field, std::int64_t ix,
                            std::int64_t iy) {
    std::uint64_t h = mix64(seed ^ (std::uint64_t(field) << 48));
    h = mix64(h ^ std::uint64_t(ix) * 0x632be59bd9b4e019ULL);
    h = mix64(h ^ std::uint64_t(iy) * 0x85157af5ULL);
    return double(h >> 11) * (1.0 / 9007199254740992.0);
}

// Value noise in [0, 1) at (x, y) metres with lattice spacing `scale` metres: smooth
// (quintic) interpolation between hashed lattice values. Depends only on its arguments.
inline double value_noise(std::uint64_t seed, std::uint32_t field, double x, double y,
                          double scale) {
    const double fx = x / scale, fy = y / scale;
    const double x0 = std::floor(fx), y0 = std::floor(fy);
    const auto ix = std::int64_t(x0), iy = std::int64_t(y0);
    auto fade = [](double t) { return t * t * t * (t * (t * 6 - 15) + 10); };
    const double tx = fade(fx - x0), ty = fade(fy - y0);
    const double a = lattice_value(seed, field, ix, iy), b = lattice_value(seed, field, ix + 1, iy),
                 c = lattice_value(seed, field, ix, iy + 1),
                 d = lattice_value(seed, field, ix + 1, iy + 1);
    return (a + (b - a) * tx) + ((c + (d - c) * tx) - (a + (b - a) * tx)) * ty;
}

// Fractal sum of `octaves` value-noise layers, rescaled to roughly [-1, 1] around 0.
inline double fbm(std::uint64_t seed, std::uint32_t field, double x, double y, double scale,
                  int octaves = 3) {
    double sum = 0.0, amp = 1.0, norm = 0.0;
    for (int o = 0; o < octaves; ++o) {
        sum += amp * (value_noise(seed, field + 977u * std::uint32_t(o), x, y, scale) - 0.5);
        norm += amp * 0.5;
        amp *= 0.5;
        scale *= 0.5;
    }
    return sum / norm;
}

// Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9).
inline double normal_quantile(double p) {
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double lo = 0.02425, hi = 1 - lo;
    if (p < lo) {
        const double q = std::sqrt(-2 * std::log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > hi) {
        const double q = std::sqrt(-2 * std::log(1 - p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    const double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

// The u-quantile of Poisson(mean). Inverting one fixed uniform makes the count monotone in the
// mean, so a cell whose expected value changes a little between years changes a little too
// (common random numbers), instead of jumping by independent noise.
inline std::int32_t poisson_quantile(double mean, double u) {
    if (!(mean > 0.0)) return 0;
    if (mean < 40.0) {
        double p = std::exp(-mean), cdf = p;
        std::int32_t k = 0;
        while (u > cdf && k < 1000) {
            ++k;
            p *= mean / double(k);
            cdf += p;
        }
        return k;
    }
    const double v = mean + std::sqrt(mean) * normal_quantile(u) + 0.5;
    return v <= 0.0 ? 0 : std::int32_t(std::min(v, 2.0e9));
}

// The u-quantile of Binomial(n, p): exact inversion for small n, normal approximation beyond.
inline std::int32_t binomial_quantile(std::int32_t n, double p, double u) {
    if (n <= 0 || !(p > 0.0)) return 0;
    if (p >= 1.0) return n;
    if (n <= 60) {
        double q = std::pow(1.0 - p, n), cdf = q;
        std::int32_t k = 0;
        const double odds = p / (1.0 - p);
        while (u > cdf && k < n) {
            q *= odds * double(n - k) / double(k + 1);
            ++k;
            cdf += q;
        }
        return k;
    }
    const double m = double(n) * p, s = std::sqrt(m * (1.0 - p));
    const double v = std::floor(m + s * normal_quantile(u) + 0.5);
    return std::int32_t(std::clamp(v, 0.0, double(n)));
}

}  // namespace leefbaar::rnd
