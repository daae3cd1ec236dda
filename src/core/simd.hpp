#pragma once
// AVX-512 helpers selected at run time: the CPU check (has_avx512f) and quantise_z
// (core/model.hpp) on 16 values at a time, for the passes that quantise whole rows of
// standardised values (the model stage, the sweep's prepare pass). Defined only where
// LEEFBAAR_AVX512 is (x86-64, GCC or Clang); the functions carry their own target attribute,
// so the build needs no -march flag, and callers check has_avx512f() before calling them.
//
// The quantised values are quantise_z's, lane by lane: round(z 2^12), halves away from zero,
// for |z 2^12| < 2^29 (quantise_z's fast range). Values outside that range (or NaN) take
// quantise_z's library path: callers test fast_range16 (quantise_row does) and do such rows
// with quantise_z.

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LEEFBAAR_AVX512 1
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

namespace leefbaar::simd {

inline bool has_avx512f() {
    static const bool ok = __builtin_cpu_supports("avx512f");
    return ok;
}
// AVX-512F and DQ (64-bit lane multiplies).
inline bool has_avx512dq() {
    static const bool ok = has_avx512f() && __builtin_cpu_supports("avx512dq");
    return ok;
}

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

}  // namespace leefbaar::simd
#endif
