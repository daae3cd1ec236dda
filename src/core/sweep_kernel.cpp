// The sweep scoring kernel: K members scored as a blocked matrix product (cells x indicators) x
// (indicators x members), fused with the classification and the zone reductions.
//
// Choice of arithmetic (option "exact integers", not "double in a fixed order"): the model
// quantises z to int32 on a 2^-12 grid and weights to int32 on a 2^-20 grid (model.hpp), so a
// contribution is an exact integer product (fixed point 2^-32) and every score is an integer sum.
// Integer sums are associative, so any blocking over cells, members, threads or ranks gives the
// same bits, the run and every sweep use literally the same numbers, and the decompositions
// (dimensions, indicators) stay exact. The fast path still runs in double precision: integers
// whose partial sums stay below 2^53 are represented exactly, so a double FMA is an exact
// integer multiply-add (checked per tile from the largest |zq| per indicator; a tile that could
// exceed 2^53 falls back to the portable int64 path, which gives the same bits). The double
// path uses AVX2 + FMA (4 lanes) selected at run time (__builtin_cpu_supports) through a
// function compiled with __attribute__((target("avx2,fma"))), so the build needs no -march flag
// and runs on any x86-64 (and any other architecture through the portable path).
//
// Fusion: cells are sorted by zone, so each zone is a run of consecutive cells. For a tile of
// 16 members the micro-kernel computes the 2 x 16 scores of two cells (8 accumulators of 4
// doubles), turns each into its class index (count of class limits <= score, vector compares),
// and adds residents * 2^32 + 1 (residents and cell count in one int64) to a per-member class
// histogram that is flushed into the zone's statistics at the end of the run. The resident-
// weighted score sums per zone are linear in the weights: they come from per-zone sums
// rz = sum residents * zq (prepared once) with one zones x indicators product per member.

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <utility>

#include "core/error.hpp"
#include "core/model.hpp"
#include "core/sweep.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LEEFBAAR_SWEEP_AVX2 1
#include <immintrin.h>
#endif

namespace leefbaar {

namespace {

constexpr std::size_t kTile = 16;  // members per micro-kernel tile (4 vectors of 4 doubles)
constexpr std::int64_t kRunLimit = std::int64_t(1) << 30;  // residents or cells per run

// 64-byte aligned allocations (the AVX-512 path loads weights with aligned loads).
template <class T>
struct AlignedAlloc {
    using value_type = T;
    AlignedAlloc() = default;
    template <class U>
    AlignedAlloc(const AlignedAlloc<U>&) {}
    T* allocate(std::size_t n) {
        return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t(64)));
    }
    void deallocate(T* q, std::size_t) { ::operator delete(q, std::align_val_t(64)); }
    template <class U>
    bool operator==(const AlignedAlloc<U>&) const {
        return true;
    }
};

// Adds a tile's class histograms (members x classes, residents * 2^32 + cells) of one run into
// the zone's statistics and clears them.
void flush(std::int64_t* hist, std::size_t mk, std::size_t nc, std::size_t zone,
           std::vector<YearZoneStats>& year, std::size_t m0) {
    for (std::size_t m = 0; m < mk; ++m) {
        YearZoneStats& s = year[m0 + m];
        std::int64_t* h = hist + m * nc;
        for (std::size_t c = 0; c < nc; ++c)
            if (h[c]) {
                s.res_class[zone * nc + c] += h[c] >> 32;
                s.cells_class[zone * nc + c] += h[c] & 0xffffffff;
                h[c] = 0;
            }
    }
}

// Portable path: int64 scores, the model's own classify.
void tile_portable(const SweepPrepared& p, const ClassScheme& classes, const std::int32_t* wq,
                   std::size_t mk, std::vector<YearZoneStats>& year, std::size_t m0) {
    const std::size_t ni = p.indicators, nc = year[m0].classes;
    std::vector<std::int64_t> hist(mk * nc, 0);
    for (std::size_t r = 0; r + 1 < p.run_begin.size(); ++r) {
        for (std::size_t c = p.run_begin[r]; c < p.run_begin[r + 1]; ++c) {
            const std::int32_t* zr = &p.zq[c * ni];
            for (std::size_t m = 0; m < mk; ++m) {
                const std::int32_t* w = wq + m * ni;
                std::int64_t afw = 0;
                for (std::size_t i = 0; i < ni; ++i) afw += contribution_q(w[i], zr[i]);
                const int cls = classes.classify(fixed_to_double(afw));
                hist[m * nc + std::size_t(cls - 1)] += p.packed[c];
            }
        }
        flush(hist.data(), mk, nc, std::size_t(p.run_zone[r]), year, m0);
    }
}

#ifdef LEEFBAAR_SWEEP_AVX2
// Class index (0-based) of 4 scores: the number of thresholds <= score.
__attribute__((target("avx2,fma"), always_inline)) inline __m256i class_index(__m256d a,
                                                                              const double* T,
                                                                              std::size_t nt) {
    __m256i cnt = _mm256_setzero_si256();
    for (std::size_t j = 0; j < nt; ++j)
        cnt = _mm256_sub_epi64(
            cnt, _mm256_castpd_si256(_mm256_cmp_pd(a, _mm256_broadcast_sd(T + j), _CMP_GE_OQ)));
    return cnt;
}

// Adds v to the class bins of the 16 scores of one cell.
__attribute__((target("avx2,fma"), always_inline)) inline void classify_add(
    std::int64_t* hist, std::size_t nc, __m256d a0, __m256d a1, __m256d a2, __m256d a3,
    std::int64_t v, const double* T, std::size_t nt) {
    alignas(32) std::int64_t idx[kTile];
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 0), class_index(a0, T, nt));
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 4), class_index(a1, T, nt));
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 8), class_index(a2, T, nt));
    _mm256_store_si256(reinterpret_cast<__m256i*>(idx + 12), class_index(a3, T, nt));
    for (std::size_t m = 0; m < kTile; ++m) hist[m * nc + std::size_t(idx[m])] += v;
}

// Double path on a full tile of 16 members. wd: indicators x 16 (member fastest).
__attribute__((target("avx2,fma"))) void tile_avx2(const SweepPrepared& p, const double* wd,
                                                   const double* T, std::size_t nt, std::size_t mk,
                                                   std::vector<YearZoneStats>& year,
                                                   std::size_t m0) {
    const std::size_t ni = p.indicators, nc = nt + 1;
    std::vector<std::int64_t> hist(kTile * nc, 0);
    std::vector<double> zb(2 * ni + 8);
    double* z0 = zb.data();
    double* z1 = zb.data() + ni;
    for (std::size_t r = 0; r + 1 < p.run_begin.size(); ++r) {
        const std::size_t b = p.run_begin[r], e = p.run_begin[r + 1];
        std::size_t c = b;
        for (; c + 2 <= e; c += 2) {
            const std::int32_t* q0 = &p.zq[c * ni];
            const std::int32_t* q1 = q0 + ni;
            for (std::size_t i = 0; i < ni; ++i) z0[i] = double(q0[i]), z1[i] = double(q1[i]);
            __m256d a00 = _mm256_setzero_pd(), a01 = a00, a02 = a00, a03 = a00;
            __m256d a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            const double* w = wd;
            for (std::size_t i = 0; i < ni; ++i, w += kTile) {
                const __m256d w0 = _mm256_loadu_pd(w), w1 = _mm256_loadu_pd(w + 4),
                              w2 = _mm256_loadu_pd(w + 8), w3 = _mm256_loadu_pd(w + 12);
                const __m256d b0 = _mm256_broadcast_sd(z0 + i), b1 = _mm256_broadcast_sd(z1 + i);
                a00 = _mm256_fmadd_pd(b0, w0, a00);
                a01 = _mm256_fmadd_pd(b0, w1, a01);
                a02 = _mm256_fmadd_pd(b0, w2, a02);
                a03 = _mm256_fmadd_pd(b0, w3, a03);
                a10 = _mm256_fmadd_pd(b1, w0, a10);
                a11 = _mm256_fmadd_pd(b1, w1, a11);
                a12 = _mm256_fmadd_pd(b1, w2, a12);
                a13 = _mm256_fmadd_pd(b1, w3, a13);
            }
            classify_add(hist.data(), nc, a00, a01, a02, a03, p.packed[c], T, nt);
            classify_add(hist.data(), nc, a10, a11, a12, a13, p.packed[c + 1], T, nt);
        }
        for (; c < e; ++c) {
            const std::int32_t* q0 = &p.zq[c * ni];
            for (std::size_t i = 0; i < ni; ++i) z0[i] = double(q0[i]);
            __m256d a00 = _mm256_setzero_pd(), a01 = a00, a02 = a00, a03 = a00;
            const double* w = wd;
            for (std::size_t i = 0; i < ni; ++i, w += kTile) {
                const __m256d b0 = _mm256_broadcast_sd(z0 + i);
                a00 = _mm256_fmadd_pd(b0, _mm256_loadu_pd(w), a00);
                a01 = _mm256_fmadd_pd(b0, _mm256_loadu_pd(w + 4), a01);
                a02 = _mm256_fmadd_pd(b0, _mm256_loadu_pd(w + 8), a02);
                a03 = _mm256_fmadd_pd(b0, _mm256_loadu_pd(w + 12), a03);
            }
            classify_add(hist.data(), nc, a00, a01, a02, a03, p.packed[c], T, nt);
        }
        flush(hist.data(), mk, nc, std::size_t(p.run_zone[r]), year, m0);
        // Padding members (mk < 16) have weights 0; their histograms are dropped.
        std::fill(hist.begin() + std::ptrdiff_t(mk * nc), hist.end(), 0);
    }
}

// AVX-512 path: up to kGroup tiles of 16 members (two vectors of 8 doubles per cell) over a
// block of kBlock cells at a time, so that a block's z and the group's weights stay in L1 and
// the matrix is streamed once per group instead of once per 16 members. The class histogram is
// kept as cumulative counts: ge[j] = sum of residents * 2^32 + 1 over the cells whose score is
// >= threshold j, one masked add per threshold (no scatter); class c of a run is then
// ge[c - 1] - ge[c] (ge[-1] = the run's total, ge[NT] = 0). All integer sums: the same bits as
// the other paths.
constexpr std::size_t kGroup = 4;  // tiles of 16 members per pass over the cells
constexpr std::size_t kBlock = 8;  // cells per block (a multiple of 4)

template <std::size_t NT>
__attribute__((target("avx512f"))) void group_avx512(const SweepPrepared& p, const double* wd,
                                                     std::size_t ntiles, const double* T,
                                                     std::size_t mk,
                                                     std::vector<YearZoneStats>& year,
                                                     std::size_t m0) {
    const std::size_t ni = p.indicators, nc = NT + 1;
    alignas(64) double zd[kBlock * 64];  // block cells x indicators (ni <= 64)
    alignas(64) double sc[kBlock * kTile];
    alignas(64) std::int64_t ge[kGroup][NT][kTile];
    for (std::size_t r = 0; r + 1 < p.run_begin.size(); ++r) {
        const std::size_t b = p.run_begin[r], e = p.run_begin[r + 1];
        std::memset(ge, 0, sizeof ge);
        std::int64_t total = 0;
        for (std::size_t c = b; c < e; ++c) total += p.packed[c];
        for (std::size_t cb = b; cb < e; cb += kBlock) {
            const std::size_t nb = std::min(kBlock, e - cb);
            const std::size_t nb4 = (nb + 3) & ~std::size_t(3);
            for (std::size_t c = 0; c < nb; ++c) {
                const std::int32_t* q = &p.zq[(cb + c) * ni];
                std::size_t i = 0;
                for (; i + 8 <= ni; i += 8)
                    _mm512_storeu_pd(
                        zd + c * ni + i,
                        _mm512_maskz_cvtepi32_pd(
                            0xff, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + i))));
                for (; i < ni; ++i) zd[c * ni + i] = double(q[i]);
            }
            for (std::size_t c = nb; c < nb4; ++c)
                for (std::size_t i = 0; i < ni; ++i) zd[c * ni + i] = 0.0;
            for (std::size_t t = 0; t < ntiles; ++t) {
                const double* wt = wd + t * ni * kTile;
                for (std::size_t c = 0; c < nb4; c += 4) {
                    const double* z0 = zd + c * ni;
                    __m512d a00 = _mm512_setzero_pd(), a01 = a00, a10 = a00, a11 = a00;
                    __m512d a20 = a00, a21 = a00, a30 = a00, a31 = a00;
                    const double* w = wt;
                    for (std::size_t i = 0; i < ni; ++i, w += kTile) {
                        const __m512d w0 = _mm512_load_pd(w), w1 = _mm512_load_pd(w + 8);
                        const __m512d b0 = _mm512_set1_pd(z0[i]), b1 = _mm512_set1_pd(z0[ni + i]),
                                      b2 = _mm512_set1_pd(z0[2 * ni + i]),
                                      b3 = _mm512_set1_pd(z0[3 * ni + i]);
                        a00 = _mm512_fmadd_pd(b0, w0, a00);
                        a01 = _mm512_fmadd_pd(b0, w1, a01);
                        a10 = _mm512_fmadd_pd(b1, w0, a10);
                        a11 = _mm512_fmadd_pd(b1, w1, a11);
                        a20 = _mm512_fmadd_pd(b2, w0, a20);
                        a21 = _mm512_fmadd_pd(b2, w1, a21);
                        a30 = _mm512_fmadd_pd(b3, w0, a30);
                        a31 = _mm512_fmadd_pd(b3, w1, a31);
                    }
                    double* o = sc + c * kTile;
                    _mm512_store_pd(o, a00), _mm512_store_pd(o + 8, a01);
                    _mm512_store_pd(o + 16, a10), _mm512_store_pd(o + 24, a11);
                    _mm512_store_pd(o + 32, a20), _mm512_store_pd(o + 40, a21);
                    _mm512_store_pd(o + 48, a30), _mm512_store_pd(o + 56, a31);
                }
                __m512i g0[NT], g1[NT];
                for (std::size_t j = 0; j < NT; ++j)
                    g0[j] = _mm512_load_si512(ge[t][j]), g1[j] = _mm512_load_si512(ge[t][j] + 8);
                for (std::size_t c = 0; c < nb; ++c) {
                    const __m512d s0 = _mm512_load_pd(sc + c * kTile),
                                  s1 = _mm512_load_pd(sc + c * kTile + 8);
                    const __m512i pk = _mm512_set1_epi64(p.packed[cb + c]);
                    for (std::size_t j = 0; j < NT; ++j) {
                        const __m512d tj = _mm512_set1_pd(T[j]);
                        g0[j] = _mm512_mask_add_epi64(g0[j], _mm512_cmp_pd_mask(s0, tj, _CMP_GE_OQ),
                                                      g0[j], pk);
                        g1[j] = _mm512_mask_add_epi64(g1[j], _mm512_cmp_pd_mask(s1, tj, _CMP_GE_OQ),
                                                      g1[j], pk);
                    }
                }
                for (std::size_t j = 0; j < NT; ++j)
                    _mm512_store_si512(ge[t][j], g0[j]), _mm512_store_si512(ge[t][j] + 8, g1[j]);
            }
        }
        const std::size_t zone = std::size_t(p.run_zone[r]);
        for (std::size_t t = 0; t < ntiles; ++t)
            for (std::size_t m = 0; m < kTile && t * kTile + m < mk; ++m) {
                YearZoneStats& s = year[m0 + t * kTile + m];
                for (std::size_t c = 0; c < nc; ++c) {
                    const std::int64_t hi = c == 0 ? total : ge[t][c - 1][m];
                    const std::int64_t lo = c == NT ? 0 : ge[t][c][m];
                    const std::int64_t v = hi - lo;
                    if (v) {
                        s.res_class[zone * nc + c] += v >> 32;
                        s.cells_class[zone * nc + c] += v & 0xffffffff;
                    }
                }
            }
    }
}

using GroupFn = void (*)(const SweepPrepared&, const double*, std::size_t, const double*,
                         std::size_t, std::vector<YearZoneStats>&, std::size_t);
template <std::size_t... N>
GroupFn group_fn(std::size_t nt, std::index_sequence<N...>) {
    GroupFn f = nullptr;
    ((nt == N + 1 ? (f = &group_avx512<N + 1>, 0) : 0), ...);
    return f;
}
#endif

}  // namespace

bool sweep_kernel_has_avx512() {
#ifdef LEEFBAAR_SWEEP_AVX2
    static const bool ok = __builtin_cpu_supports("avx512f");
    return ok;
#else
    return false;
#endif
}

bool sweep_kernel_has_avx2() {
#ifdef LEEFBAAR_SWEEP_AVX2
    static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok;
#else
    return false;
#endif
}

std::vector<std::int32_t> quantise_weights(std::span<const double> weights) {
    std::vector<std::int32_t> q(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
        if (!(std::fabs(weights[i]) < 0x1.0p11))
            throw UsageError("sweep",
                             "a member weight is out of range (|w| >= 2048 or not finite)");
        q[i] = quantise_weight(weights[i]);
    }
    return q;
}

SweepPrepared sweep_prepare(const SweepYearInput& in, std::size_t nz) {
    SweepPrepared p;
    const std::size_t ni = in.indicators;
    p.indicators = ni;
    p.zones = nz;
    // Counting sort of the cells with a zone by zone (stable: cell order within a zone).
    std::vector<std::size_t> start(nz + 1, 0);
    std::int64_t rtot = 0;  // residents of all cells (bounds the zone sums below)
    for (std::size_t c = 0; c < in.cells; ++c) {
        const std::int32_t z = in.zone[c];
        if (z < 0) continue;
        if (std::size_t(z) >= nz) throw Error("sweep", "internal: zone index out of range");
        if (in.residents[c] < 0) throw Error("sweep", "a cell has negative residents");
        rtot += in.residents[c];
        ++start[std::size_t(z) + 1];
    }
    // |zq| < 2^31 and |zq - previous zq| < 2^32: with fewer than 2^30 residents in all, every
    // zone sum of residents * zq (or its change) fits an int64, so no 128-bit sums are needed.
    const bool small = rtot < (std::int64_t(1) << 30);
    for (std::size_t z = 0; z < nz; ++z) start[z + 1] += start[z];
    const std::size_t n = start[nz];
    p.cells = n;
    std::vector<std::size_t> order(n), pos(start.begin(), start.end() - 1);
    for (std::size_t c = 0; c < in.cells; ++c)
        if (in.zone[c] >= 0) order[pos[std::size_t(in.zone[c])]++] = c;
    p.zq.resize(n * ni);
    p.packed.resize(n);
    p.zq_maxabs.assign(ni, 0);
    p.residents.assign(nz, 0);
    p.dwellings.assign(nz, 0);
    p.ncells.assign(nz, 0);
    std::vector<Wide> rz(small ? 0 : nz * ni, 0);
    p.rz.assign(nz * ni, 0);
    for (std::size_t s = 0; s < n; ++s) {
        const std::size_t c = order[s];
        const auto z = std::size_t(in.zone[c]);
        const std::int64_t r = in.residents[c];
        p.packed[s] = (r << 32) + 1;
        p.residents[z] += r;
        p.dwellings[z] += in.dwellings[c];
        p.ncells[z] += 1;
        for (std::size_t i = 0; i < ni; ++i) {
            const std::int32_t q = quantise_z(in.z[c * ni + i]);
            p.zq[s * ni + i] = q;
            p.zq_maxabs[i] = std::max<std::int64_t>(p.zq_maxabs[i], std::abs(std::int64_t(q)));
            if (small)
                p.rz[z * ni + i] += r * q;
            else
                rz[z * ni + i] += Wide(r) * q;
        }
    }
    // Runs: one zone's cells, split so that residents and cells of a run fit the histogram's
    // 32-bit halves.
    for (std::size_t z = 0; z < nz; ++z) {
        std::int64_t res = 0, cnt = 0;
        for (std::size_t s = start[z]; s < start[z + 1]; ++s) {
            const std::int64_t r = p.packed[s] >> 32;
            if (s == start[z] || res + r >= kRunLimit || cnt + 1 >= kRunLimit) {
                p.run_zone.push_back(std::int32_t(z));
                p.run_begin.push_back(s);
                res = 0, cnt = 0;
            }
            res += r, ++cnt;
        }
    }
    p.run_begin.push_back(n);
    auto narrow = [](Wide v) {
        if (v > Wide(INT64_MAX) || v < Wide(INT64_MIN))
            throw Error("sweep", "a zone's resident-weighted indicator sum is out of range");
        return std::int64_t(v);
    };
    if (!small)
        for (std::size_t k = 0; k < rz.size(); ++k) p.rz[k] = narrow(rz[k]);
    if (in.prev_z) {
        p.period = true;
        p.p_residents.assign(nz, 0);
        p.p_cells.assign(nz, 0);
        std::vector<Wide> pz(small ? 0 : nz * ni, 0);
        p.pz.assign(nz * ni, 0);
        for (std::size_t c = 0; c < in.cells; ++c) {
            const std::int32_t zi = in.zone[c], prow = in.prev_index[c];
            if (zi < 0 || prow < 0) continue;
            const auto z = std::size_t(zi);
            const std::int64_t r = in.residents[c];
            p.p_residents[z] += r;
            p.p_cells[z] += 1;
            const float* a = in.z + c * ni;
            const float* b = in.prev_z + std::size_t(prow) * ni;
            for (std::size_t i = 0; i < ni; ++i) {
                const std::int64_t dq = std::int64_t(quantise_z(a[i])) - quantise_z(b[i]);
                if (small)
                    p.pz[z * ni + i] += r * dq;
                else
                    pz[z * ni + i] += Wide(r) * dq;
            }
        }
        if (!small)
            for (std::size_t k = 0; k < pz.size(); ++k) p.pz[k] = narrow(pz[k]);
    }
    return p;
}

void sweep_score_prepared(const SweepPrepared& p, std::span<const int> dim_of, std::size_t nd,
                          const ClassScheme& classes, std::span<const std::int32_t> wq,
                          std::size_t k, std::vector<YearZoneStats>& year,
                          std::vector<PeriodZoneStats>& period, SweepKernelPath path) {
    const std::size_t ni = p.indicators, nz = p.zones;
    // Member-independent and linear parts (int64 sums when no partial sum can overflow).
    auto maxabs = [&](const std::vector<std::int64_t>& v) {
        std::vector<double> mx(ni, 0.0);
        for (std::size_t k2 = 0; k2 < v.size(); ++k2)
            mx[k2 % ni] = std::max(mx[k2 % ni], std::fabs(double(v[k2])));
        return mx;
    };
    const std::vector<double> rz_max = maxabs(p.rz), pz_max = maxabs(p.pz);
    std::vector<std::int64_t> acc(nd);
    // sums[z * nd + d] += sum over i of dimension d of w_i * v[z * ni + i]; sums_all[z] += total.
    auto linear = [&](const std::int32_t* w, const std::vector<std::int64_t>& v,
                      const std::vector<double>& vmax, std::vector<Wide>& sums,
                      std::vector<Wide>& sums_all) {
        double bound = 0;
        for (std::size_t i = 0; i < ni; ++i) bound += std::fabs(double(w[i])) * vmax[i];
        if (bound < 0x1.0p62) {
            for (std::size_t z = 0; z < nz; ++z) {
                const std::int64_t* r = &v[z * ni];
                std::fill(acc.begin(), acc.end(), 0);
                for (std::size_t i = 0; i < ni; ++i) acc[std::size_t(dim_of[i])] += w[i] * r[i];
                std::int64_t all = 0;
                for (std::size_t d = 0; d < nd; ++d) {
                    sums[z * nd + d] += acc[d];
                    all += acc[d];
                }
                sums_all[z] += all;
            }
            return;
        }
        for (std::size_t z = 0; z < nz; ++z) {
            const std::int64_t* r = &v[z * ni];
            Wide all = 0;
            for (std::size_t i = 0; i < ni; ++i) {
                const Wide t = Wide(w[i]) * r[i];
                sums[z * nd + std::size_t(dim_of[i])] += t;
                all += t;
            }
            sums_all[z] += all;
        }
    };
    for (std::size_t m = 0; m < k; ++m) {
        YearZoneStats& s = year[m];
        const std::int32_t* w = wq.data() + m * ni;
        for (std::size_t z = 0; z < nz; ++z) {
            s.residents[z] += p.residents[z];
            s.dwellings[z] += p.dwellings[z];
            s.cells[z] += p.ncells[z];
        }
        linear(w, p.rz, rz_max, s.wsum_dim, s.wsum_dev);
        if (p.period) {
            PeriodZoneStats& q = period[m];
            for (std::size_t z = 0; z < nz; ++z) {
                q.residents[z] += p.p_residents[z];
                q.cells[z] += p.p_cells[z];
            }
            linear(w, p.pz, pz_max, q.wsum_ddim, q.wsum_delta);
        }
    }
    // Classes: the fused product over the cells, a tile of members at a time.
    const std::size_t nc = classes.labels.size();
    if (classes.limits.size() + 1 != nc)
        throw Error("sweep", "internal: class limits and labels disagree");
    for (std::size_t m = 0; m < k; ++m)
        if (year[m].classes != nc) throw Error("sweep", "internal: stats sized for other classes");
    std::vector<double> T(classes.limits.size());
    for (std::size_t j = 0; j < T.size(); ++j) T[j] = std::ldexp(classes.limits[j], kScoreFracBits);
    // The double paths are exact when every partial sum is bounded by 2^52 (below).
    auto exact_tile = [&](std::size_t m0, std::size_t mk) {
        for (std::size_t m = m0; m < m0 + mk; ++m) {
            double bound = 0;
            for (std::size_t i = 0; i < ni; ++i)
                bound += std::fabs(double(wq[m * ni + i])) * double(p.zq_maxabs[i]);
            if (!(bound < 0x1.0p52)) return false;
        }
        return true;
    };
#ifdef LEEFBAAR_SWEEP_AVX2
    // AVX-512: groups of up to kGroup x 16 members, when every member of the group is exact.
    const GroupFn gfn = path == SweepKernelPath::automatic && sweep_kernel_has_avx512() && ni <= 64
                            ? group_fn(T.size(), std::make_index_sequence<15>{})
                            : nullptr;
    std::size_t done = 0;  // members [0, done) scored by the AVX-512 path
    if (gfn)
        for (; done < k; done += kGroup * kTile) {
            const std::size_t gk = std::min(kGroup * kTile, k - done);
            if (!exact_tile(done, gk)) break;
            const std::size_t nt = (gk + kTile - 1) / kTile;
            std::vector<double, AlignedAlloc<double>> wd(nt * ni * kTile, 0.0);
            for (std::size_t m = 0; m < gk; ++m)
                for (std::size_t i = 0; i < ni; ++i)
                    wd[(m / kTile) * ni * kTile + i * kTile + m % kTile] =
                        double(wq[(done + m) * ni + i]);
            gfn(p, wd.data(), nt, T.data(), gk, year, done);
        }
#else
    const std::size_t done = 0;
#endif
    for (std::size_t m0 = done; m0 < k; m0 += kTile) {
        const std::size_t mk = std::min(kTile, k - m0);
        const std::int32_t* w = wq.data() + m0 * ni;
        bool exact = sweep_kernel_has_avx2() && path != SweepKernelPath::portable;
        // Every partial sum of the double path is bounded by sum_i |wq_i| max|zq_i|.
        for (std::size_t m = 0; m < mk && exact; ++m) {
            double bound = 0;
            for (std::size_t i = 0; i < ni; ++i)
                bound += std::fabs(double(w[m * ni + i])) * double(p.zq_maxabs[i]);
            exact = bound < 0x1.0p52;
        }
#ifdef LEEFBAAR_SWEEP_AVX2
        if (exact) {
            std::vector<double> wd(ni * kTile, 0.0);
            for (std::size_t m = 0; m < mk; ++m)
                for (std::size_t i = 0; i < ni; ++i) wd[i * kTile + m] = double(w[m * ni + i]);
            tile_avx2(p, wd.data(), T.data(), T.size(), mk, year, m0);
            continue;
        }
#endif
        tile_portable(p, classes, w, mk, year, m0);
    }
}

void sweep_score_tile(const SweepYearInput& in, std::span<const int> dim_of, std::size_t nd,
                      const ClassScheme& classes, std::span<const double> weights, std::size_t k,
                      std::vector<YearZoneStats>& year, std::vector<PeriodZoneStats>& period) {
    if (k == 0) return;
    const SweepPrepared p = sweep_prepare(in, year[0].zones);
    const auto wq = quantise_weights(weights.subspan(0, k * in.indicators));
    sweep_score_prepared(p, dim_of, nd, classes, wq, k, year, period);
}

}  // namespace leefbaar
