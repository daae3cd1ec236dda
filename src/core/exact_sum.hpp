#pragma once
// Order-independent sums of doubles: fixed-point accumulation in a 128-bit integer.

#include <cmath>
#include <cstdint>

namespace leefbaar {

// Each term is rounded once to a multiple of 2^-40 (about 1e-12) and added exactly as an
// integer, so the total is identical in any order and for any split across threads or
// ranks. Range: |sum| < 2^86 (about 7e25). NaN terms are the caller's to skip.
class ExactSum {
  public:
    static constexpr int kFractionBits = 40;
    __extension__ typedef __int128 Raw;

    void add(double v) { raw_ += to_raw(v); }
    void add_raw(Raw r) { raw_ += r; }
    ExactSum& operator+=(const ExactSum& o) {
        raw_ += o.raw_;
        return *this;
    }
    Raw raw() const { return raw_; }
    double value() const { return std::ldexp(double(raw_), -kFractionBits); }

    // Raw(nearbyint(ldexp(v, 40))) (round half to even), without the library calls: scaling by
    // 2^40 is an exact multiplication, a magnitude below 2^52 is rounded by adding and
    // subtracting 2^52 (exact under the default rounding mode), and an integral value below 2^63
    // converts through int64 (the software double -> int128 conversion only beyond). Measured
    // 5x faster on the reference stage's 23 million terms per rank; test_exact_sum checks it
    // against the library form.
    static Raw to_raw(double v) {
        const double x = v * 0x1p40;
        const double a = std::fabs(x);
        const double r = a < 0x1p52 ? std::copysign((a + 0x1p52) - 0x1p52, x) : x;
        return std::fabs(r) < 0x1p63 ? Raw(std::int64_t(r)) : Raw(r);
    }
    // The library form of to_raw (the tests' reference).
    static Raw to_raw_reference(double v) {
        return Raw(std::nearbyint(std::ldexp(v, kFractionBits)));
    }

  private:
    Raw raw_ = 0;
};

}  // namespace leefbaar
