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

    static Raw to_raw(double v) { return Raw(std::nearbyint(std::ldexp(v, kFractionBits))); }

  private:
    Raw raw_ = 0;
};

}  // namespace leefbaar
