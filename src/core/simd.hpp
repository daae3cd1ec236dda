#pragma once
// Vector paths selected at run time. simd::level() is the widest instruction set that both the
// CPU and the cap allow: the cap comes from the environment variable LEEFBAAR_SIMD (portable,
// avx2 or avx512; unset: no cap), and tests lower it with set_level_cap() to run every path on
// one machine. Every vector path gives the same bits as the portable one (they are exact
// integer sums, or lane-by-lane the same float operations), so the cap only changes speed.
//
// The helpers below quantise_z (core/model.hpp) 16 values at a time on AVX-512, or 8 at a time
// on AVX2, for the passes that quantise whole rows of standardised values (the model stage, the
// sweep's prepare pass). Defined only where LEEFBAAR_AVX512 is (x86-64, GCC or Clang); the
// functions carry their own target attribute, so the build needs no -march flag, and callers
// check has_avx512f() / has_avx2() before calling them.
//
// The quantised values are quantise_z's, lane by lane: round(z 2^12), halves away from zero,
// for |z 2^12| < 2^29 (quantise_z's fast range). Values outside that range (or NaN) take
// quantise_z's library path: callers test the range (quantise_row does) and do such rows with
// quantise_z.

#include <cstddef>
#include <cstdint>

namespace leefbaar::simd {

enum class Level : int { portable = 0, avx2 = 1, avx512 = 2 };

// The widest level this CPU has (avx512: AVX-512 F and DQ; avx2: AVX2).
Level cpu_level();
// min(cpu_level(), cap). The first call reads LEEFBAAR_SIMD; an unknown value is an error
// naming the variable.
Level level();
// Lowers (or lifts) the cap for the whole process; returns the previous cap.
Level set_level_cap(Level cap);
const char* level_name(Level l);

inline bool has_avx512f() {
    return level() >= Level::avx512;
}
// AVX-512F and DQ (64-bit lane multiplies): the avx512 level has both.
inline bool has_avx512dq() {
    return level() >= Level::avx512;
}
inline bool has_avx2() {
    return level() >= Level::avx2;
}

// The cap set for a scope (tests and benchmarks run each path in one process).
class ScopedLevelCap {
  public:
    explicit ScopedLevelCap(Level cap) : old_(set_level_cap(cap)) {}
    ~ScopedLevelCap() { set_level_cap(old_); }
    ScopedLevelCap(const ScopedLevelCap&) = delete;
    ScopedLevelCap& operator=(const ScopedLevelCap&) = delete;

  private:
    Level old_;
};

}  // namespace leefbaar::simd

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LEEFBAAR_AVX512 1
#include <immintrin.h>

namespace leefbaar::simd {

// Lanes [i, min(i + 16, n)) of a row of n values.
__attribute__((target("avx512f"), always_inline)) inline __mmask16 lanes16(std::size_t i,
                                                                           std::size_t n) {
    return __mmask16(n - i >= 16 ? 0xffff : (1u << (n - i)) - 1);
}

// t = z 2^12 of the lanes m of z[0..16) (0 elsewhere): exact in a float.
__attribute__((target("avx512f"), always_inline)) inline __m512 scaled16(const float* z,
                                                                         __mmask16 m) {
    return _mm512_mul_ps(_mm512_maskz_loadu_ps(m, z), _mm512_set1_ps(0x1.0p12f));
}

// Whether every lane m of t is in the fast range |t| < 2^29 (NaN is not).
__attribute__((target("avx512f"), always_inline)) inline bool fast_range16(__m512 t, __mmask16 m) {
    return _mm512_mask_cmp_ps_mask(m, _mm512_abs_ps(t), _mm512_set1_ps(0x1.0p29f), _CMP_NLT_UQ) ==
           0;
}

// quantise_z of the lanes in the fast range, as int32, in float arithmetic that is exact: f =
// trunc(t) and t - f are exact, and round-half-away-from-zero adds the sign of t to f when
// |t - f| >= 1/2; f is an integer below 2^29, so its conversion is exact too.
__attribute__((target("avx512f"), always_inline)) inline __m512i quantise16(__m512 t) {
    const __m512 f = _mm512_roundscale_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512 frac = _mm512_sub_ps(t, f);
    const __m512i one = _mm512_set1_epi32(1);
    __m512i q = _mm512_cvttps_epi32(f);
    q = _mm512_mask_add_epi32(q, _mm512_cmp_ps_mask(frac, _mm512_set1_ps(0.5f), _CMP_GE_OQ), q,
                              one);
    return _mm512_mask_sub_epi32(q, _mm512_cmp_ps_mask(frac, _mm512_set1_ps(-0.5f), _CMP_LE_OQ), q,
                                 one);
}

// q[0..n) = quantise_z(z[0..n)) when every value is in the fast range; false (q untouched)
// otherwise. n <= 64.
__attribute__((target("avx512f"))) inline bool quantise_row(const float* z, std::size_t n,
                                                            std::int32_t* q) {
    __m512i out[4];
    __mmask16 bad = 0;
    for (std::size_t i = 0; i < n; i += 16) {
        const __mmask16 m = lanes16(i, n);
        const __m512 t = scaled16(z + i, m);
        bad |= __mmask16(!fast_range16(t, m));
        out[i / 16] = quantise16(t);
    }
    if (bad) return false;
    for (std::size_t i = 0; i < n; i += 16)
        _mm512_mask_storeu_epi32(q + i, lanes16(i, n), out[i / 16]);
    return true;
}

// The AVX2 forms: lanes [i, min(i + 8, n)) as a vector of all-ones lanes, and quantise16's
// arithmetic on 8 lanes (the same operations, so the same integers).
__attribute__((target("avx2"), always_inline)) inline __m256i lanes8(std::size_t i, std::size_t n) {
    const int k = n - i >= 8 ? 8 : int(n - i);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(k), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
__attribute__((target("avx2"), always_inline)) inline __m256i quantise8(__m256 t) {
    const __m256 f = _mm256_round_ps(t, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256 frac = _mm256_sub_ps(t, f);
    const __m256i q = _mm256_cvttps_epi32(f);
    // A comparison's true lanes are -1: subtracting adds 1, adding subtracts 1.
    const __m256i up = _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ));
    const __m256i down =
        _mm256_castps_si256(_mm256_cmp_ps(frac, _mm256_set1_ps(-0.5f), _CMP_LE_OQ));
    return _mm256_add_epi32(_mm256_sub_epi32(q, up), down);
}

// quantise_row on AVX2: q[0..n) = quantise_z(z[0..n)) when every value is in the fast range;
// false (q untouched) otherwise. n <= 64.
__attribute__((target("avx2"))) inline bool quantise_row_avx2(const float* z, std::size_t n,
                                                              std::int32_t* q) {
    __m256i out[8];
    __m256 bad = _mm256_setzero_ps();
    const __m256 abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
    for (std::size_t i = 0; i < n; i += 8) {
        // Plain loads and stores but for a partial last vector (masked ones are slow on some
        // CPUs, e.g. AMD Zen 3).
        const __m256i m = lanes8(i, n);
        const __m256 zi = i + 8 <= n ? _mm256_loadu_ps(z + i) : _mm256_maskload_ps(z + i, m);
        const __m256 t = _mm256_mul_ps(zi, _mm256_set1_ps(0x1.0p12f));
        // Not |t| < 2^29 (NaN included), in the lanes of the row.
        bad =
            _mm256_or_ps(bad, _mm256_and_ps(_mm256_castsi256_ps(m),
                                            _mm256_cmp_ps(_mm256_and_ps(t, abs_mask),
                                                          _mm256_set1_ps(0x1.0p29f), _CMP_NLT_UQ)));
        out[i / 8] = quantise8(t);
    }
    if (_mm256_movemask_ps(bad)) return false;
    for (std::size_t i = 0; i < n; i += 8)
        if (i + 8 <= n)
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), out[i / 8]);
        else
            _mm256_maskstore_epi32(q + i, lanes8(i, n), out[i / 8]);
    return true;
}

}  // namespace leefbaar::simd
#endif
