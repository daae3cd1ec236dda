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
#include <memory>
#include <new>
#include <optional>
#include <utility>

#include "core/error.hpp"
#include "core/model.hpp"
#include "core/simd.hpp"
#include "core/sweep.hpp"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LEEFBAAR_SWEEP_AVX2 1
#include <immintrin.h>
// GCC 12 warns "'__Y' may be used uninitialized" inside the AVX-512 widening/extract intrinsics
// (their deliberately undefined pass-through operands) once they are inlined here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace leefbaar {

namespace {

constexpr std::size_t kTile = 16;  // members per micro-kernel tile (4 vectors of 4 doubles)
constexpr std::int64_t kRunLimit = std::int64_t(1) << 30;  // residents or cells per run
constexpr std::size_t kMaxVirtual = 128;  // VNNI: z part columns (even), else no VNNI
constexpr std::int64_t kPart = 32767;     // VNNI: largest |part| of z
constexpr std::size_t kMaxClasses = 16;   // classes (limits + 1) the kernels handle
constexpr std::size_t kGroup = 4;         // AVX-512: tiles of 16 members per pass over the cells
constexpr std::size_t kBlock = 8;         // AVX-512: cells per block (a multiple of 4)

// Where the kernel puts its results (YearZoneStats::band_top, dim_ids; PeriodZoneStats::dims):
// the class bands (0-based first and last class of each, the band of each class) and the slot
// of each model dimension in the year's and the period's dimension sums (-1 = not kept).
struct StatsLayout {
    std::size_t classes = 0, bands = 0;
    bool banded = false;
    std::size_t band_first[kMaxClasses] = {}, band_last[kMaxClasses] = {},
                band_of[kMaxClasses] = {};
    std::vector<int> year_slot, period_slot;
    std::size_t year_dims = 0, period_dims = 0;  // strides of the dimension sums
    // The AVX-512 paths set the class counts of every zone (no zeroing pass before them).
    bool assign = false;
};

// Part p of x in 16-bit parts: x = sum over p of part_of(x, p), |part_of| <= kPart.
inline std::int64_t part_of(std::int64_t x, std::int64_t p) {
    const std::int64_t a = x < 0 ? -x : x;
    const std::int64_t v = std::clamp<std::int64_t>(a - kPart * p, 0, kPart);
    return x < 0 ? -v : v;
}

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
// the zone's statistics (its bands, and the per-class totals of banded stats) and clears them.
void flush(std::int64_t* hist, std::size_t mk, std::size_t nc, std::size_t zone,
           std::vector<YearZoneStats>& year, std::size_t m0, const StatsLayout& L) {
    const std::size_t nb = L.bands;
    for (std::size_t m = 0; m < mk; ++m) {
        YearZoneStats& s = year[m0 + m];
        std::int64_t* h = hist + m * nc;
        for (std::size_t c = 0; c < nc; ++c)
            if (h[c]) {
                const std::size_t b = L.band_of[c];
                s.res_class[zone * nb + b] += h[c] >> 32;
                s.cells_class[zone * nb + b] += h[c] & 0xffffffff;
                if (L.banded) {
                    s.total_res_class[c] += h[c] >> 32;
                    s.total_cells_class[c] += h[c] & 0xffffffff;
                }
                h[c] = 0;
            }
    }
}

// The per-class totals of a group of members on the AVX-512 paths, kept cumulative as the
// counts are (res[t][j][m]: residents of member m of tile t scoring at least limit j over all
// runs so far; all_*: over all classes) and turned into classes once per group (write).
template <std::size_t NT>
struct CumulativeTotals {
    alignas(64) std::int64_t res[kGroup][NT][kTile] = {}, cells[kGroup][NT][kTile] = {};
    std::int64_t all_res = 0, all_cells = 0;
    void write(std::size_t ntiles, std::size_t mk, std::vector<YearZoneStats>& year,
               std::size_t m0) const {
        for (std::size_t t = 0; t < ntiles; ++t)
            for (std::size_t m = 0; m < kTile && t * kTile + m < mk; ++m) {
                YearZoneStats& s = year[m0 + t * kTile + m];
                for (std::size_t c = 0; c <= NT; ++c) {
                    s.total_res_class[c] +=
                        (c == 0 ? all_res : res[t][c - 1][m]) - (c == NT ? 0 : res[t][c][m]);
                    s.total_cells_class[c] +=
                        (c == 0 ? all_cells : cells[t][c - 1][m]) - (c == NT ? 0 : cells[t][c][m]);
                }
            }
    }
};

// The class bands of the runs of a group on the AVX-512 paths. Per run, the cumulative counts
// (ge[t][j][m]: residents * 2^32 + cells of member m of tile t scoring at least limit j; `total`
// the same over all classes) become band counts as differences at the band edges (G(c) = the
// count in classes >= c, 0-based: G(0) = total, G(c) = ge[c - 1], G(NT + 1) = 0), staged member
// fastest (contiguous stores); every kRuns runs the stage is added into the members' statistics
// one member at a time, walking its arrays forward over consecutive zones. (Adding each run
// straight into 64 members' arrays touched 128 arrays per run: most of the kernel's cache
// misses.) Banded stats also add each run's counts to the group's cumulative totals.
template <std::size_t NT>
struct BandStage {
    static constexpr std::size_t kRuns = 128;
    // Lanes per band and run: the group's members (ntiles x kTile), so that a group of one tile
    // stages its runs in 1/8 of the memory a full group takes (the flush reads it member by
    // member: a compact stage stays in L1/L2).
    const std::size_t lanes;
    std::vector<std::int64_t> v;  // kRuns x bands x lanes
    std::size_t zone[kRuns] = {};
    std::size_t n = 0;
    std::size_t next_zone = 0;  // L.assign: zones below it are set in every member's stats
    BandStage(const StatsLayout& L, std::size_t ntiles)
        : lanes(ntiles * kTile), v(kRuns * L.bands * lanes) {}
    void add(const std::int64_t (*ge)[NT][kTile], std::size_t ntiles, std::int64_t total,
             std::size_t z, const StatsLayout& L, CumulativeTotals<NT>* tot) {
        std::int64_t* o = v.data() + n * L.bands * lanes;
        for (std::size_t b = 0; b < L.bands; ++b) {
            const std::size_t lo = L.band_first[b], hi = L.band_last[b] + 1;
            for (std::size_t t = 0; t < ntiles; ++t) {
                std::int64_t* ob = o + b * lanes + t * kTile;
                for (std::size_t m = 0; m < kTile; ++m)
                    ob[m] = (lo == 0 ? total : ge[t][lo - 1][m]) - (hi > NT ? 0 : ge[t][hi - 1][m]);
            }
        }
        zone[n++] = z;
        if (!tot) return;
        tot->all_res += total >> 32;
        tot->all_cells += total & 0xffffffff;
        for (std::size_t t = 0; t < ntiles; ++t)
            for (std::size_t j = 0; j < NT; ++j)
                for (std::size_t m = 0; m < kTile; ++m) {
                    tot->res[t][j][m] += ge[t][j][m] >> 32;
                    tot->cells[t][j][m] += ge[t][j][m] & 0xffffffff;
                }
    }
    bool full() const { return n == kRuns; }
    // L.assign: the first run of a zone (runs come in zone order) sets its counts, and the
    // zones it skips over (no cells) are zeroed; else every run adds.
    void flush(std::size_t mk, std::vector<YearZoneStats>& year, std::size_t m0,
               const StatsLayout& L) {
        const std::size_t nb = L.bands;
        std::size_t next = next_zone;
        for (std::size_t m = 0; m < mk; ++m) {
            YearZoneStats& s = year[m0 + m];
            std::size_t zn = next_zone;
            for (std::size_t i = 0; i < n; ++i) {
                const std::int64_t* src = v.data() + i * nb * lanes + m;
                std::int64_t* rc = s.res_class.data() + zone[i] * nb;
                std::int64_t* cc = s.cells_class.data() + zone[i] * nb;
                if (L.assign && zone[i] >= zn) {
                    std::fill(s.res_class.data() + zn * nb, rc, 0);
                    std::fill(s.cells_class.data() + zn * nb, cc, 0);
                    for (std::size_t b = 0; b < nb; ++b) {
                        const std::int64_t x = src[b * lanes];
                        rc[b] = x >> 32;
                        cc[b] = x & 0xffffffff;
                    }
                    zn = zone[i] + 1;
                    continue;
                }
                for (std::size_t b = 0; b < nb; ++b) {
                    const std::int64_t x = src[b * lanes];
                    rc[b] += x >> 32;
                    cc[b] += x & 0xffffffff;
                }
            }
            next = zn;
        }
        next_zone = next;  // the same for every member
        n = 0;
    }
    // The last flush; L.assign: the zones after the last run are zeroed.
    void finish(std::size_t mk, std::vector<YearZoneStats>& year, std::size_t m0,
                const StatsLayout& L, std::size_t zones) {
        flush(mk, year, m0, L);
        if (!L.assign) return;
        for (std::size_t m = 0; m < mk; ++m) {
            YearZoneStats& s = year[m0 + m];
            std::fill(s.res_class.begin() + std::ptrdiff_t(next_zone * L.bands),
                      s.res_class.begin() + std::ptrdiff_t(zones * L.bands), 0);
            std::fill(s.cells_class.begin() + std::ptrdiff_t(next_zone * L.bands),
                      s.cells_class.begin() + std::ptrdiff_t(zones * L.bands), 0);
        }
    }
};

// Portable path: int64 scores, the model's own classify.
void tile_portable(const SweepPrepared& p, const ClassScheme& classes, const std::int32_t* wq,
                   std::size_t mk, std::vector<YearZoneStats>& year, std::size_t m0,
                   const StatsLayout& L) {
    const std::size_t ni = p.indicators, nc = L.classes;
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
        flush(hist.data(), mk, nc, std::size_t(p.run_zone[r]), year, m0, L);
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
                                                   std::vector<YearZoneStats>& year, std::size_t m0,
                                                   const StatsLayout& L) {
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
        flush(hist.data(), mk, nc, std::size_t(p.run_zone[r]), year, m0, L);
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
template <std::size_t NT>
__attribute__((target("avx512f"))) void group_avx512(const SweepPrepared& p, const double* wd,
                                                     std::size_t ntiles, const double* T,
                                                     std::size_t mk,
                                                     std::vector<YearZoneStats>& year,
                                                     std::size_t m0, const StatsLayout& L) {
    const std::size_t ni = p.indicators;
    alignas(64) double zd[kBlock * 64];  // block cells x indicators (ni <= 64)
    alignas(64) double sc[kBlock * kTile];
    alignas(64) std::int64_t ge[kGroup][NT][kTile];
    auto tot = L.banded ? std::make_unique<CumulativeTotals<NT>>() : nullptr;
    BandStage<NT> stage(L, ntiles);
    for (std::size_t r = 0; r + 1 < p.run_begin.size(); ++r) {
        const std::size_t b = p.run_begin[r], e = p.run_begin[r + 1];
        std::memset(ge, 0, ntiles * sizeof ge[0]);
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
        stage.add(ge, ntiles, total, std::size_t(p.run_zone[r]), L, tot.get());
        if (stage.full()) stage.flush(mk, year, m0, L);
    }
    stage.finish(mk, year, m0, L, p.zones);
    if (tot) tot->write(ntiles, mk, year, m0);
}

// VNNI path (AVX-512 VNNI, vpdpwssd: 16 lanes of int32 += int16 x int16 + int16 x int16): the
// same integer sums with z and the weights in 16-bit parts.
// z: each year's zq split once (sweep_prepare / sweep_fill_zparts) into the columns of
// SweepPrepared::zv: column v is part zv_part[v] of indicator zv_ind[v], parts x = sum_p
// clamp(|x| - 32767 p, 0, 32767) * sign(x) (|part| <= 32767); part 0 of every indicator first,
// then the further parts of the indicators with max |zq| > 32767, then a zero column (even).
// Weights: wq = hi * 65536 + lo with lo in [-32768, 32767]; the lo parts of every column, and the
// hi parts of the few column pairs where a member of the tile has a nonzero hi (|w| >= 2^-5).
// score = sum lo * zpart + 65536 * sum hi * zpart, exactly. The int32 lanes accumulate a chunk
// of column pairs whose bound (sum over its columns of max |zpart| x max |w part|) is below 2^31,
// so no lane can overflow (a pair alone is below 2 x 32767 x 32768 < 2^31); each chunk is then
// widened and added into int64 scores. Classes compare the int64 scores with ceil(threshold),
// the same test as the double paths' score >= threshold.

// One group's weights for the VNNI kernel.
struct VnniWeights {
    std::size_t np = 0, nh = 0;  // column pairs, pairs with hi parts
    std::vector<std::int32_t, AlignedAlloc<std::int32_t>> lo, hi;  // tiles x pairs x 16
    std::vector<std::size_t> hi_pair;         // nh: the pair index of each hi pair
    std::vector<std::size_t> lo_end, hi_end;  // chunk ends (pair counts)
};

VnniWeights vnni_weights(const SweepPrepared& p, const std::int32_t* wq, std::size_t mk) {
    const std::size_t ni = p.indicators, nv = p.nzv, np = nv / 2;
    const std::size_t nt = (mk + kTile - 1) / kTile;
    VnniWeights W;
    W.np = np;
    auto hi_of = [](std::int64_t w) { return (w + 32768) >> 16; };  // floor
    std::vector<std::int64_t> lomax(ni, 0), himax(ni, 0);
    for (std::size_t m = 0; m < mk; ++m)
        for (std::size_t i = 0; i < ni; ++i) {
            const std::int64_t w = wq[m * ni + i], h = hi_of(w);
            lomax[i] = std::max(lomax[i], std::abs(w - h * 65536));
            himax[i] = std::max(himax[i], std::abs(h));
        }
    auto zb = [&](std::size_t v) -> std::int64_t {
        if (p.zv_ind[v] < 0) return 0;
        return std::clamp<std::int64_t>(
            p.zq_maxabs[std::size_t(p.zv_ind[v])] - kPart * p.zv_part[v], 0, kPart);
    };
    auto wmax = [&](std::size_t v, const std::vector<std::int64_t>& mx) -> std::int64_t {
        return p.zv_ind[v] < 0 ? 0 : mx[std::size_t(p.zv_ind[v])];
    };
    for (std::size_t k = 0; k < np; ++k)
        if (wmax(2 * k, himax) || wmax(2 * k + 1, himax)) W.hi_pair.push_back(k);
    W.nh = W.hi_pair.size();
    auto chunks = [&](std::size_t n, auto pair_of, const std::vector<std::int64_t>& mx,
                      std::vector<std::size_t>& ends) {
        std::int64_t acc = 0;
        for (std::size_t k = 0; k < n; ++k) {
            const std::size_t q = pair_of(k);
            const std::int64_t b =
                zb(2 * q) * wmax(2 * q, mx) + zb(2 * q + 1) * wmax(2 * q + 1, mx);
            if (acc + b >= (std::int64_t(1) << 31)) {
                ends.push_back(k);
                acc = 0;
            }
            acc += b;
        }
        ends.push_back(n);
    };
    chunks(
        np, [](std::size_t k) { return k; }, lomax, W.lo_end);
    chunks(
        W.nh, [&](std::size_t k) { return W.hi_pair[k]; }, himax, W.hi_end);
    W.lo.assign(nt * np * kTile, 0);
    W.hi.assign(nt * std::max<std::size_t>(W.nh, 1) * kTile, 0);
    auto pack = [](std::int64_t a, std::int64_t b) {
        return std::int32_t(std::uint32_t(std::uint16_t(std::int16_t(a))) |
                            (std::uint32_t(std::uint16_t(std::int16_t(b))) << 16));
    };
    for (std::size_t m = 0; m < mk; ++m) {
        const std::size_t t = m / kTile, l = m % kTile;
        auto w_of = [&](std::size_t v) -> std::int64_t {
            return p.zv_ind[v] < 0 ? 0 : wq[m * ni + std::size_t(p.zv_ind[v])];
        };
        for (std::size_t k = 0; k < np; ++k) {
            const std::int64_t a = w_of(2 * k), b = w_of(2 * k + 1);
            W.lo[(t * np + k) * kTile + l] = pack(a - hi_of(a) * 65536, b - hi_of(b) * 65536);
        }
        for (std::size_t h = 0; h < W.nh; ++h) {
            const std::size_t k = W.hi_pair[h];
            W.hi[(t * W.nh + h) * kTile + l] = pack(hi_of(w_of(2 * k)), hi_of(w_of(2 * k + 1)));
        }
    }
    return W;
}

// Adds the 16 int32 lanes of a (members 0-15) to the int64 lanes of lo (0-7) and hi (8-15).
__attribute__((target("avx512f"), always_inline)) inline void widen(__m512i a, __m512i& lo,
                                                                    __m512i& hi) {
    lo = _mm512_add_epi64(lo, _mm512_cvtepi32_epi64(_mm512_castsi512_si256(a)));
    hi = _mm512_add_epi64(hi, _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(a, 1)));
}

// The chunked products of the kBlock cells zr[j] against one tile of weight rows w (16 members,
// int16 pairs): weight row i multiplies z pair col(i); each chunk (rows up to ends[ch]) sums in
// int32 lanes, bounded so they cannot overflow, then widens into the int64 sums out[2 j],
// out[2 j + 1] (members 0-7, 8-15 of cell j).
template <class Col>
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) inline void dot_chunks(
    const std::vector<std::size_t>& ends, const std::int32_t* w, const std::int32_t* const* zr,
    Col col, __m512i* out) {
#pragma GCC unroll 16
    for (std::size_t j = 0; j < 2 * kBlock; ++j) out[j] = _mm512_setzero_si512();
    std::size_t i = 0;
    for (const std::size_t end : ends) {
        __m512i a[kBlock];
#pragma GCC unroll 8
        for (std::size_t j = 0; j < kBlock; ++j) a[j] = _mm512_setzero_si512();
        for (; i < end; ++i) {
            const std::size_t q = col(i);
            const __m512i wi = _mm512_load_si512(w + i * kTile);
#pragma GCC unroll 8
            for (std::size_t j = 0; j < kBlock; ++j)
                a[j] = _mm512_dpwssd_epi32(a[j], _mm512_set1_epi32(zr[j][q]), wi);
        }
#pragma GCC unroll 8
        for (std::size_t j = 0; j < kBlock; ++j) widen(a[j], out[2 * j], out[2 * j + 1]);
    }
}

template <std::size_t NT>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void group_vnni(
    const SweepPrepared& p, const VnniWeights& W, std::size_t ntiles, const std::int64_t* Tq,
    std::size_t mk, std::vector<YearZoneStats>& year, std::size_t m0, const StatsLayout& L) {
    const std::size_t np = W.np, nh = W.nh;
    const std::size_t nhi = nh ? W.hi_end.size() : 0;
    alignas(64) std::int64_t sc[kBlock * kTile];
    alignas(64) std::int64_t ge[kGroup][NT][kTile];
    auto tot = L.banded ? std::make_unique<CumulativeTotals<NT>>() : nullptr;
    BandStage<NT> stage(L, ntiles);
    alignas(64) std::int32_t zpad[kMaxVirtual / 2] = {};
    const auto* zv = reinterpret_cast<const std::int32_t*>(p.zv.data());
    for (std::size_t r = 0; r + 1 < p.run_begin.size(); ++r) {
        const std::size_t b = p.run_begin[r], e = p.run_begin[r + 1];
        std::memset(ge, 0, ntiles * sizeof ge[0]);
        std::int64_t total = 0;
        for (std::size_t c = b; c < e; ++c) total += p.packed[c];
        for (std::size_t cb = b; cb < e; cb += kBlock) {
            const std::size_t nb = std::min(kBlock, e - cb);
            for (std::size_t t = 0; t < ntiles; ++t) {
                const std::int32_t* wl = W.lo.data() + t * np * kTile;
                const std::int32_t* wh = W.hi.data() + t * nh * kTile;
                // All kBlock (8) cells at once: 8 independent dpwssd chains per weight load.
                static_assert(kBlock == 8);
                const std::int32_t* zr[kBlock];
                for (std::size_t j = 0; j < kBlock; ++j) zr[j] = j < nb ? zv + (cb + j) * np : zpad;
                {
                    __m512i sv[2 * kBlock];
                    dot_chunks(
                        W.lo_end, wl, zr, [](std::size_t k) { return k; }, sv);
#pragma GCC unroll 16
                    for (std::size_t j = 0; j < 2 * kBlock; ++j)
                        _mm512_store_si512(sc + j * 8, sv[j]);
                }
                if (nhi) {
                    __m512i hv[2 * kBlock];
                    dot_chunks(
                        W.hi_end, wh, zr, [&](std::size_t h) { return W.hi_pair[h]; }, hv);
#pragma GCC unroll 16
                    for (std::size_t j = 0; j < 2 * kBlock; ++j)
                        _mm512_store_si512(sc + j * 8,
                                           _mm512_add_epi64(_mm512_load_si512(sc + j * 8),
                                                            _mm512_slli_epi64(hv[j], 16)));
                }
                __m512i g0[NT], g1[NT];
                for (std::size_t j = 0; j < NT; ++j)
                    g0[j] = _mm512_load_si512(ge[t][j]), g1[j] = _mm512_load_si512(ge[t][j] + 8);
                for (std::size_t c = 0; c < nb; ++c) {
                    const __m512i s0 = _mm512_load_si512(sc + c * kTile),
                                  s1 = _mm512_load_si512(sc + c * kTile + 8);
                    const __m512i pk = _mm512_set1_epi64(p.packed[cb + c]);
                    for (std::size_t j = 0; j < NT; ++j) {
                        const __m512i tj = _mm512_set1_epi64(Tq[j]);
                        g0[j] = _mm512_mask_add_epi64(
                            g0[j], _mm512_cmp_epi64_mask(s0, tj, _MM_CMPINT_NLT), g0[j], pk);
                        g1[j] = _mm512_mask_add_epi64(
                            g1[j], _mm512_cmp_epi64_mask(s1, tj, _MM_CMPINT_NLT), g1[j], pk);
                    }
                }
                for (std::size_t j = 0; j < NT; ++j)
                    _mm512_store_si512(ge[t][j], g0[j]), _mm512_store_si512(ge[t][j] + 8, g1[j]);
            }
        }
        stage.add(ge, ntiles, total, std::size_t(p.run_zone[r]), L, tot.get());
        if (stage.full()) stage.flush(mk, year, m0, L);
    }
    stage.finish(mk, year, m0, L, p.zones);
    if (tot) tot->write(ntiles, mk, year, m0);
}

using VnniFn = void (*)(const SweepPrepared&, const VnniWeights&, std::size_t, const std::int64_t*,
                        std::size_t, std::vector<YearZoneStats>&, std::size_t, const StatsLayout&);
template <std::size_t... N>
VnniFn vnni_fn(std::size_t nt, std::index_sequence<N...>) {
    VnniFn f = nullptr;
    ((nt == N + 1 ? (f = &group_vnni<N + 1>, 0) : 0), ...);
    return f;
}

// The linear zone sums of up to 8 NV members at once: for each zone, sums_m[z * ns + slot[d]]
// (+)= the sum over the indicators i of dimension d of w_m[i] * v[z * ni + i] and all_m[z] (+)=
// the sum over d, as NV vectors of 8 double lanes (one per member) over the zone's row of v
// (the member-independent rz or pz as doubles, prepared once per year: sweep_prepare_linear).
// Exact: the caller checks that |v| < 2^53 and sum_i |w_m[i]| max_z |v[z][i]| < 2^53 for every
// member, so every partial sum is an integer below 2^53 in any order; each dimension's lanes
// are converted to int64 (vcvtpd2qq) before they are added up and stored in the Wide sums.
// order: the indicators grouped by dimension, dim_begin: nd + 1 offsets into order; slot[d]:
// where dimension d goes in a zone's ns sums (-1 = not kept).
template <std::size_t NV>
__attribute__((target("avx512f,avx512dq"))) void linear_avx512(
    const double* wd /* ni x 8 NV, member fastest, in `order` */, std::size_t mk, const double* v,
    std::size_t nz, std::size_t ni, const std::size_t* order, const std::size_t* dim_begin,
    std::size_t nd, const int* slot, std::size_t ns, Wide* const* sums, Wide* const* sums_all,
    bool assign) {
    constexpr std::size_t W = 8 * NV;
    // The sums of a block of zones are kept here (kept slots, then the total), then stored
    // member by member: each member's sums are then written as runs of kZones consecutive
    // zones instead of one value per zone into each of 2 x 8 NV arrays at once (which cost
    // more than the arithmetic).
    constexpr std::size_t kZones = 32;
    std::size_t kept[17], nk = 0;
    for (std::size_t d = 0; d < nd; ++d)
        if (slot[d] >= 0) kept[nk++] = d;
    alignas(64) std::int64_t buf[17][kZones][W];
    for (std::size_t z0 = 0; z0 < nz; z0 += kZones) {
        const std::size_t nb = std::min(kZones, nz - z0);
        for (std::size_t zi = 0; zi < nb; ++zi) {
            const double* r = v + (z0 + zi) * ni;
            __m512i all[NV];
            for (std::size_t u = 0; u < NV; ++u) all[u] = _mm512_setzero_si512();
            std::size_t k = 0;
            for (std::size_t d = 0; d < nd; ++d) {
                __m512d a[NV];
                for (std::size_t u = 0; u < NV; ++u) a[u] = _mm512_setzero_pd();
                for (std::size_t j = dim_begin[d]; j < dim_begin[d + 1]; ++j) {
                    const __m512d b = _mm512_set1_pd(r[order[j]]);
                    for (std::size_t u = 0; u < NV; ++u)
                        a[u] = _mm512_fmadd_pd(b, _mm512_load_pd(wd + j * W + 8 * u), a[u]);
                }
                const bool keep = slot[d] >= 0;
                for (std::size_t u = 0; u < NV; ++u) {
                    const __m512i q = _mm512_cvtpd_epi64(a[u]);
                    if (keep) _mm512_store_si512(buf[k][zi] + 8 * u, q);
                    all[u] = _mm512_add_epi64(all[u], q);
                }
                k += keep;
            }
            for (std::size_t u = 0; u < NV; ++u) _mm512_store_si512(buf[nk][zi] + 8 * u, all[u]);
        }
        for (std::size_t m = 0; m < mk; ++m) {
            Wide* sa = sums_all[m] + z0;
            Wide* sm = sums[m] + z0 * ns;
            if (assign) {
                for (std::size_t zi = 0; zi < nb; ++zi) sa[zi] = buf[nk][zi][m];
                for (std::size_t k = 0; k < nk; ++k) {
                    const auto sl = std::size_t(slot[kept[k]]);
                    for (std::size_t zi = 0; zi < nb; ++zi) sm[zi * ns + sl] = buf[k][zi][m];
                }
            } else {
                for (std::size_t zi = 0; zi < nb; ++zi) sa[zi] += buf[nk][zi][m];
                for (std::size_t k = 0; k < nk; ++k) {
                    const auto sl = std::size_t(slot[kept[k]]);
                    for (std::size_t zi = 0; zi < nb; ++zi) sm[zi * ns + sl] += buf[k][zi][m];
                }
            }
        }
    }
}
using LinearFn = void (*)(const double*, std::size_t, const double*, std::size_t, std::size_t,
                          const std::size_t*, const std::size_t*, std::size_t, const int*,
                          std::size_t, Wide* const*, Wide* const*, bool);
constexpr std::size_t kLinearVectors = 4;  // members per pass: 8 x this
LinearFn linear_fn(std::size_t nv) {
    switch (nv) {
        case 1:
            return linear_avx512<1>;
        case 2:
            return linear_avx512<2>;
        case 3:
            return linear_avx512<3>;
        default:
            return linear_avx512<4>;
    }
}

using GroupFn = void (*)(const SweepPrepared&, const double*, std::size_t, const double*,
                         std::size_t, std::vector<YearZoneStats>&, std::size_t, const StatsLayout&);
template <std::size_t... N>
GroupFn group_fn(std::size_t nt, std::index_sequence<N...>) {
    GroupFn f = nullptr;
    ((nt == N + 1 ? (f = &group_avx512<N + 1>, 0) : 0), ...);
    return f;
}
#endif

}  // namespace

// The CPU's features, under the process's vector-level cap (core/simd.hpp, LEEFBAAR_SIMD).
bool sweep_kernel_has_avx512() {
#ifdef LEEFBAAR_SWEEP_AVX2
    static const bool ok = __builtin_cpu_supports("avx512f");
    return ok && simd::has_avx512f();
#else
    return false;
#endif
}

bool sweep_kernel_has_vnni() {
#ifdef LEEFBAAR_SWEEP_AVX2
    static const bool ok = __builtin_cpu_supports("avx512f") &&
                           __builtin_cpu_supports("avx512bw") &&
                           __builtin_cpu_supports("avx512vnni");
    return ok && simd::has_avx512f();
#else
    return false;
#endif
}

bool sweep_kernel_has_avx2() {
#ifdef LEEFBAAR_SWEEP_AVX2
    static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok && simd::has_avx2();
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

std::size_t sweep_prepared_cells(const SweepYearInput& in) {
    std::size_t n = 0;
    for (std::size_t c = 0; c < in.cells; ++c) n += in.zone[c] >= 0;
    return n;
}

bool sweep_plan_zparts(SweepPrepared& p) {
    const std::size_t ni = p.indicators;
    p.nzv = 0;
    p.zv_ind.clear();
    p.zv_part.clear();
    std::size_t n = 0;
    for (std::size_t i = 0; i < ni; ++i)
        n += std::size_t(std::max<std::int64_t>(1, (p.zq_maxabs[i] + kPart - 1) / kPart));
    if (n + (n & 1) > kMaxVirtual || !sweep_kernel_has_vnni()) return false;
    for (std::size_t i = 0; i < ni; ++i)
        p.zv_ind.push_back(std::int32_t(i)), p.zv_part.push_back(0);
    for (std::size_t i = 0; i < ni; ++i)
        for (std::int64_t q = 1; q * kPart < p.zq_maxabs[i]; ++q)
            p.zv_ind.push_back(std::int32_t(i)), p.zv_part.push_back(std::int32_t(q));
    if (p.zv_ind.size() & 1) p.zv_ind.push_back(-1), p.zv_part.push_back(0);
    p.nzv = p.zv_ind.size();
    return true;
}

void sweep_fill_zparts(const SweepPrepared& p, std::int16_t* out) {
    const std::size_t ni = p.indicators, nv = p.nzv;
    for (std::size_t c = 0; c < p.cells; ++c) {
        const std::int32_t* q = p.zq.data() + c * ni;
        std::int16_t* o = out + c * nv;
        for (std::size_t v = 0; v < nv; ++v)
            o[v] = p.zv_ind[v] < 0
                       ? std::int16_t(0)
                       : std::int16_t(part_of(q[std::size_t(p.zv_ind[v])], p.zv_part[v]));
    }
}

namespace {
// Per column of a rows x ni matrix: the largest magnitude.
std::vector<double> column_maxabs(const std::vector<std::int64_t>& v, std::size_t ni) {
    std::vector<double> mx(ni, 0.0);
    for (std::size_t k = 0; k < v.size(); k += ni)
        for (std::size_t i = 0; i < ni; ++i) mx[i] = std::max(mx[i], std::fabs(double(v[k + i])));
    return mx;
}

// Rows of a year's matrix a block at a time, in row order: from the whole matrix when the input
// holds it, else through the input's reader into a reused buffer.
class RowBlocks {
  public:
    RowBlocks(const float* whole, const SweepYearInput::RowReader& read, std::size_t ni)
        : whole_(whole), read_(read), ni_(ni) {
        if (!whole_ && !read_) throw Error("sweep", "internal: no indicator matrix to prepare");
    }
    static constexpr std::size_t kRows = 16384;
    // Rows [r0, r0 + n), n <= kRows.
    const float* rows(std::size_t r0, std::size_t n) {
        if (whole_) return whole_ + r0 * ni_;
        buf_.resize(kRows * ni_);
        read_(r0, n, buf_.data());
        return buf_.data();
    }

  private:
    const float* whole_;
    const SweepYearInput::RowReader& read_;
    std::size_t ni_;
    std::vector<float> buf_;
};
}  // namespace

namespace {
#ifdef LEEFBAAR_AVX512
// One row (ni <= 64) of sweep_prepare's pass on AVX-512, 16 indicators at a time: z quantised
// (core/simd.hpp), stored to out, |zq| maxed into mx, and r * zq added to the int64
// rows acc1 and acc2 (when not null). Returns false, having done nothing, when some value is
// outside quantise_z's fast range: the caller then does the row.
__attribute__((target("avx512f"))) bool prepare_row_avx512(const float* z, std::size_t ni,
                                                           std::int32_t r, std::int32_t* out,
                                                           std::int32_t* mx, std::int64_t* acc1,
                                                           std::int64_t* acc2) {
    if (!simd::quantise_row(z, ni, out)) return false;
    const __m512i rv = _mm512_set1_epi64(r);
    for (std::size_t i = 0; i < ni; i += 16) {
        const __mmask16 m = simd::lanes16(i, ni);
        const __m512i q = _mm512_maskz_loadu_epi32(m, out + i);
        _mm512_mask_storeu_epi32(
            mx + i, m, _mm512_max_epi32(_mm512_maskz_loadu_epi32(m, mx + i), _mm512_abs_epi32(q)));
        for (int h = 0; h < 2; ++h) {
            const __mmask8 mh = __mmask8(m >> (8 * h));
            if (!mh) break;
            const __m512i prod =
                _mm512_mul_epi32(_mm512_cvtepi32_epi64(h ? _mm512_extracti64x4_epi64(q, 1)
                                                         : _mm512_castsi512_si256(q)),
                                 rv);
            std::int64_t* a1 = acc1 + i + 8 * std::size_t(h);
            _mm512_mask_storeu_epi64(a1, mh,
                                     _mm512_add_epi64(_mm512_maskz_loadu_epi64(mh, a1), prod));
            if (!acc2) continue;
            std::int64_t* a2 = acc2 + i + 8 * std::size_t(h);
            _mm512_mask_storeu_epi64(a2, mh,
                                     _mm512_add_epi64(_mm512_maskz_loadu_epi64(mh, a2), prod));
        }
    }
    return true;
}
#endif
}  // namespace

SweepPrepared sweep_prepare(const SweepYearInput& in, std::size_t nz, std::int32_t* zq_out,
                            std::int64_t* packed_out, bool zparts) {
    SweepPrepared p;
    const std::size_t ni = in.indicators;
    p.indicators = ni;
    p.zones = nz;
    // Counting sort of the cells with a zone by zone (stable: cell order within a zone): slot[c]
    // is cell c's row among the sorted cells.
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
    // zone sum of residents * zq (or its change), and each of its two halves below, fits an
    // int64, so no 128-bit sums are needed. Integer sums: the order of the cells is free.
    const bool small = rtot < (std::int64_t(1) << 30);
    for (std::size_t z = 0; z < nz; ++z) start[z + 1] += start[z];
    const std::size_t n = start[nz];
    p.cells = n;
    std::vector<std::uint32_t> slot(in.cells, 0);
    {
        if (in.cells >= (std::size_t(1) << 32)) throw Error("sweep", "too many cells in one year");
        std::vector<std::size_t> pos(start.begin(), start.end() - 1);
        for (std::size_t c = 0; c < in.cells; ++c)
            if (in.zone[c] >= 0) slot[c] = std::uint32_t(pos[std::size_t(in.zone[c])]++);
    }
    if (!zq_out) {
        p.zq_own.resize(n * ni);
        zq_out = p.zq_own.data();
    }
    if (!packed_out) {
        p.packed_own.resize(n);
        packed_out = p.packed_own.data();
    }
    p.zq = std::span<const std::int32_t>(zq_out, n * ni);
    p.packed = std::span<const std::int64_t>(packed_out, n);
    p.zq_maxabs.assign(ni, 0);
    p.residents.assign(nz, 0);
    p.dwellings.assign(nz, 0);
    p.ncells.assign(nz, 0);
    std::vector<Wide> rz(small ? 0 : nz * ni, 0);
    p.rz.assign(nz * ni, 0);
    // The period sums, sum residents * (zq - previous zq) over the cells scored in both years,
    // as the sum of residents * zq here minus the sum of the same residents * previous zq in the
    // pass over the previous year below.
    const bool period = in.prev_index && (in.prev_z || in.read_prev_z);
    std::vector<Wide> pz(period && !small ? nz * ni : 0, 0);
    if (period) {
        p.period = true;
        p.p_residents.assign(nz, 0);
        p.p_cells.assign(nz, 0);
        p.pz.assign(nz * ni, 0);
    }
    // One pass over the cells in row order: each quantised row goes to its sorted slot (rows
    // on AVX-512 where the sums are int64 and the row's values in quantise_z's fast range).
#ifdef LEEFBAAR_AVX512
    const bool vec = small && ni <= 64 && in.residents && simd::has_avx512f();
#else
    const bool vec = false;
#endif
    std::vector<std::int32_t> mx32(ni, 0);  // the vector rows' max |zq|
    {
        RowBlocks blocks(in.z, in.read_z, ni);
        for (std::size_t c0 = 0; c0 < in.cells; c0 += RowBlocks::kRows) {
            const std::size_t nb = std::min(RowBlocks::kRows, in.cells - c0);
            const float* zb = blocks.rows(c0, nb);
            for (std::size_t c = c0; c < c0 + nb; ++c) {
                if (in.zone[c] < 0) continue;
                const auto z = std::size_t(in.zone[c]);
                const std::size_t s = slot[c];
                const std::int64_t r = in.residents[c];
                packed_out[s] = (r << 32) + 1;
                p.residents[z] += r;
                p.dwellings[z] += in.dwellings[c];
                p.ncells[z] += 1;
                const bool both = period && in.prev_index[c] >= 0;
                if (both) p.p_residents[z] += r, p.p_cells[z] += 1;
                const float* zr = zb + (c - c0) * ni;
                std::int32_t* out = zq_out + s * ni;
#ifdef LEEFBAAR_AVX512
                if (vec &&
                    prepare_row_avx512(zr, ni, std::int32_t(r), out, mx32.data(),
                                       p.rz.data() + z * ni, both ? p.pz.data() + z * ni : nullptr))
                    continue;
#endif
                for (std::size_t i = 0; i < ni; ++i) {
                    const std::int32_t q = quantise_z(zr[i]);
                    out[i] = q;
                    p.zq_maxabs[i] =
                        std::max<std::int64_t>(p.zq_maxabs[i], std::abs(std::int64_t(q)));
                    if (small) {
                        p.rz[z * ni + i] += r * q;
                        if (both) p.pz[z * ni + i] += r * q;
                    } else {
                        rz[z * ni + i] += Wide(r) * q;
                        if (both) pz[z * ni + i] += Wide(r) * q;
                    }
                }
            }
        }
    }
    for (std::size_t i = 0; i < ni; ++i)
        p.zq_maxabs[i] = std::max<std::int64_t>(p.zq_maxabs[i], mx32[i]);
    // The previous year's rows that cells of this year continue: minus residents * their zq.
    if (period) {
        std::size_t nprev = 0;
        for (std::size_t c = 0; c < in.cells; ++c)
            if (in.zone[c] >= 0 && in.prev_index[c] >= 0)
                nprev = std::max(nprev, std::size_t(in.prev_index[c]) + 1);
        // The cells continuing each previous row (usually one), by previous row.
        std::vector<std::size_t> first(nprev + 1, 0);
        for (std::size_t c = 0; c < in.cells; ++c)
            if (in.zone[c] >= 0 && in.prev_index[c] >= 0)
                ++first[std::size_t(in.prev_index[c]) + 1];
        for (std::size_t j = 0; j < nprev; ++j) first[j + 1] += first[j];
        std::vector<std::uint32_t> cont(first[nprev]);
        {
            std::vector<std::size_t> at(first.begin(), first.end() - 1);
            for (std::size_t c = 0; c < in.cells; ++c)
                if (in.zone[c] >= 0 && in.prev_index[c] >= 0)
                    cont[at[std::size_t(in.prev_index[c])]++] = std::uint32_t(c);
        }
        RowBlocks blocks(in.prev_z, in.read_prev_z, ni);
        for (std::size_t c0 = 0; c0 < nprev; c0 += RowBlocks::kRows) {
            const std::size_t nb = std::min(RowBlocks::kRows, nprev - c0);
            const float* zb = blocks.rows(c0, nb);
            for (std::size_t j = c0; j < c0 + nb; ++j)
                for (std::size_t k = first[j]; k < first[j + 1]; ++k) {
                    const std::size_t c = cont[k];
                    const auto z = std::size_t(in.zone[c]);
                    const std::int64_t r = in.residents[c];
                    const float* zr = zb + (j - c0) * ni;
                    for (std::size_t i = 0; i < ni; ++i) {
                        const std::int32_t q = quantise_z(zr[i]);
                        if (small)
                            p.pz[z * ni + i] -= r * q;
                        else
                            pz[z * ni + i] -= Wide(r) * q;
                    }
                }
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
    if (!small) {
        for (std::size_t k = 0; k < rz.size(); ++k) p.rz[k] = narrow(rz[k]);
        for (std::size_t k = 0; k < pz.size(); ++k) p.pz[k] = narrow(pz[k]);
    }
    sweep_prepare_linear(p);
    if (zparts && sweep_plan_zparts(p)) {
        p.zv_own.resize(p.cells * p.nzv);
        sweep_fill_zparts(p, p.zv_own.data());
        p.zv = std::span<const std::int16_t>(p.zv_own.data(), p.zv_own.size());
    }
    return p;
}

void sweep_prepare_linear(SweepPrepared& p) {
    p.rz_max = column_maxabs(p.rz, p.indicators);
    p.pz_max = column_maxabs(p.pz, p.indicators);
    p.rzd.assign(p.rz.begin(), p.rz.end());
    p.pzd.assign(p.pz.begin(), p.pz.end());
}

SweepPrepared sweep_with_zq(const SweepPrepared& p) {
    const std::size_t ni = p.indicators, nv = p.nzv;
    if (p.zv.size() != p.cells * nv || p.zv_ind.size() != nv)
        throw Error("sweep", "internal: a prepared year without z");
    SweepPrepared q;
    q.cells = p.cells;
    q.indicators = ni;
    q.zones = p.zones;
    q.zq_own.assign(p.cells * ni, 0);
    for (std::size_t c = 0; c < p.cells; ++c)
        for (std::size_t v = 0; v < nv; ++v)
            if (p.zv_ind[v] >= 0) q.zq_own[c * ni + std::size_t(p.zv_ind[v])] += p.zv[c * nv + v];
    q.zq = q.zq_own;
    q.packed = p.packed;
    q.nzv = nv;
    q.zv_ind = p.zv_ind;
    q.zv_part = p.zv_part;
    q.zv = p.zv;
    q.run_zone = p.run_zone;
    q.run_begin = p.run_begin;
    q.zq_maxabs = p.zq_maxabs;
    q.residents = p.residents;
    q.dwellings = p.dwellings;
    q.ncells = p.ncells;
    q.rz = p.rz;
    q.period = p.period;
    q.p_residents = p.p_residents;
    q.p_cells = p.p_cells;
    q.pz = p.pz;
    q.rz_max = p.rz_max;
    q.pz_max = p.pz_max;
    q.rzd = p.rzd;
    q.pzd = p.pzd;
    return q;
}

namespace {
// Whether sweep_score_prepared scores all k members of p on the VNNI kernel (which reads zv,
// never zq): the same tests as its group loop.
bool vnni_takes_all(const SweepPrepared& p, std::span<const std::int32_t> wq, std::size_t k,
                    SweepKernelPath path) {
    const std::size_t ni = p.indicators;
    if (path != SweepKernelPath::automatic || !sweep_kernel_has_avx512() ||
        !sweep_kernel_has_vnni() || ni > 64 || p.nzv == 0 || p.zv.size() != p.cells * p.nzv)
        return false;
    for (std::size_t m = 0; m < k; ++m) {
        double bound = 0;
        for (std::size_t i = 0; i < ni; ++i)
            bound += std::fabs(double(wq[m * ni + i])) * double(p.zq_maxabs[i]);
        if (!(bound < 0x1.0p52)) return false;
    }
    return true;
}
}  // namespace

void sweep_score_prepared(const SweepPrepared& given, std::span<const int> dim_of, std::size_t nd,
                          const ClassScheme& classes, std::span<const std::int32_t> wq,
                          std::size_t k, std::vector<YearZoneStats>& year,
                          std::vector<PeriodZoneStats>& period, SweepKernelPath path,
                          SweepStatsMode mode) {
    // A year held as VNNI parts only gets its zq back when another path may run.
    std::optional<SweepPrepared> rebuilt;
    if (given.zq.size() != given.cells * given.indicators && !vnni_takes_all(given, wq, k, path))
        rebuilt = sweep_with_zq(given);
    const SweepPrepared& p = rebuilt ? *rebuilt : given;
    const bool overwrite = mode != SweepStatsMode::accumulate;
    const bool fixed_set = mode == SweepStatsMode::overwrite_scores;
    const std::size_t ni = p.indicators, nz = p.zones;
    if (k == 0) return;
    // Where the results go: the stats' class bands and kept dimensions (the same for every
    // member).
    const std::size_t nc = classes.labels.size();
    if (classes.limits.size() + 1 != nc)
        throw Error("sweep", "internal: class limits and labels disagree");
    if (nc > kMaxClasses)
        throw UsageError("sweep", "a sweep handles at most " + std::to_string(kMaxClasses) +
                                      " classes; the model has " + std::to_string(nc));
    StatsLayout L;
    L.classes = nc;
    L.assign = mode != SweepStatsMode::accumulate;  // for the AVX-512 paths
    {
        const YearZoneStats& s0 = year[0];
        L.banded = s0.banded();
        std::vector<int> tops = s0.band_top;
        if (!L.banded)
            for (std::size_t c = 1; c <= nc; ++c) tops.push_back(int(c));
        if (std::size_t(tops.back()) != nc || s0.classes != tops.size())
            throw Error("sweep", "internal: stats sized for other classes");
        L.bands = tops.size();
        std::size_t first = 0;
        for (std::size_t b = 0; b < L.bands; ++b) {
            L.band_first[b] = first;
            L.band_last[b] = std::size_t(tops[b]) - 1;
            for (std::size_t c = first; c <= L.band_last[b]; ++c) L.band_of[c] = b;
            first = std::size_t(tops[b]);
        }
        L.year_slot.assign(nd, -1);
        if (s0.dim_ids.empty()) {
            if (s0.dims != nd) throw Error("sweep", "internal: stats sized for other dimensions");
            for (std::size_t d = 0; d < nd; ++d) L.year_slot[d] = int(d);
        } else
            for (std::size_t j = 0; j < s0.dim_ids.size(); ++j) {
                if (s0.dim_ids[j] < 0 || std::size_t(s0.dim_ids[j]) >= nd)
                    throw Error("sweep", "internal: a kept dimension is not a model dimension");
                L.year_slot[std::size_t(s0.dim_ids[j])] = int(j);
            }
        L.year_dims = s0.dims;
        L.period_slot.assign(nd, -1);
        if (p.period && !period.empty()) {
            L.period_dims = period[0].dims;
            if (L.period_dims == nd)
                for (std::size_t d = 0; d < nd; ++d) L.period_slot[d] = int(d);
            else if (L.period_dims != 0)
                throw Error("sweep", "internal: period stats hold neither all nor no dimensions");
        }
        for (std::size_t m = 0; m < k; ++m) {
            const YearZoneStats& s = year[m];
            if (s.zones != nz || s.classes != s0.classes || s.dims != s0.dims ||
                s.band_top != s0.band_top || s.dim_ids != s0.dim_ids ||
                (L.banded && (s.total_res_class.size() != nc || s.total_cells_class.size() != nc)))
                throw Error("sweep", "internal: the members' stats differ in shape");
            if (p.period &&
                (period.size() < k || period[m].dims != L.period_dims || period[m].zones != nz))
                throw Error("sweep", "internal: the members' period stats differ in shape");
        }
    }
    // Member-independent and linear parts (int64 sums when no partial sum can overflow), from
    // the inputs prepared with the year (sweep_prepare_linear), or made here.
    SweepPrepared lin;
    const bool have_linear = p.rz_max.size() == ni && p.pz_max.size() == ni &&
                             p.rzd.size() == p.rz.size() && p.pzd.size() == p.pz.size();
    if (!have_linear) {
        lin.indicators = ni;
        lin.rz = p.rz;
        lin.pz = p.pz;
        sweep_prepare_linear(lin);
    }
    const SweepPrepared& pl = have_linear ? p : lin;
    const std::vector<double>&rz_max = pl.rz_max, &pz_max = pl.pz_max;
    std::vector<std::int64_t> acc(nd);
    std::vector<Wide> wacc(nd);
    // sums[z * ns + slot[d]] += sum over i of dimension d of w_i * v[z * ni + i] (kept dimensions
    // only); sums_all[z] += the sum over all dimensions.
    auto linear = [&](const std::int32_t* w, const std::vector<std::int64_t>& v,
                      const std::vector<double>& vmax, const std::vector<int>& slot, std::size_t ns,
                      std::vector<Wide>& sums, std::vector<Wide>& sums_all) {
        double bound = 0;
        for (std::size_t i = 0; i < ni; ++i) bound += std::fabs(double(w[i])) * vmax[i];
        if (bound < 0x1.0p62) {
            for (std::size_t z = 0; z < nz; ++z) {
                const std::int64_t* r = &v[z * ni];
                std::fill(acc.begin(), acc.end(), 0);
                for (std::size_t i = 0; i < ni; ++i) acc[std::size_t(dim_of[i])] += w[i] * r[i];
                std::int64_t all = 0;
                for (std::size_t d = 0; d < nd; ++d) {
                    if (slot[d] >= 0) {
                        Wide& o = sums[z * ns + std::size_t(slot[d])];
                        o = (overwrite ? Wide(0) : o) + acc[d];
                    }
                    all += acc[d];
                }
                sums_all[z] = (overwrite ? Wide(0) : sums_all[z]) + all;
            }
            return;
        }
        for (std::size_t z = 0; z < nz; ++z) {
            const std::int64_t* r = &v[z * ni];
            std::fill(wacc.begin(), wacc.end(), Wide(0));
            for (std::size_t i = 0; i < ni; ++i) wacc[std::size_t(dim_of[i])] += Wide(w[i]) * r[i];
            Wide all = 0;
            for (std::size_t d = 0; d < nd; ++d) {
                if (slot[d] >= 0) {
                    Wide& o = sums[z * ns + std::size_t(slot[d])];
                    o = (overwrite ? Wide(0) : o) + wacc[d];
                }
                all += wacc[d];
            }
            sums_all[z] = (overwrite ? Wide(0) : sums_all[z]) + all;
        }
    };
    // The linear sums of 8 members at a time on the AVX-512 path where every member is exact
    // (the same integers as `linear`), else one member at a time.
    std::vector<std::uint8_t> fast(k, 0);
#ifdef LEEFBAAR_SWEEP_AVX2
    std::vector<std::size_t> order, dim_begin(nd + 1, 0);
    const bool lin512 = (path == SweepKernelPath::automatic || path == SweepKernelPath::avx512) &&
                        sweep_kernel_has_avx512() && ni <= 64 && nd <= 16;
    if (lin512) {
        for (std::size_t d = 0; d < nd; ++d) {
            dim_begin[d] = order.size();
            for (std::size_t i = 0; i < ni; ++i)
                if (std::size_t(dim_of[i]) == d) order.push_back(i);
        }
        dim_begin[nd] = order.size();
        bool vok = order.size() == ni;
        for (std::size_t i = 0; i < ni; ++i)
            vok = vok && rz_max[i] < 0x1.0p53 && (!p.period || pz_max[i] < 0x1.0p53);
        for (std::size_t m = 0; m < k && vok; ++m) {
            double b1 = 0, b2 = 0;
            for (std::size_t i = 0; i < ni; ++i) {
                b1 += std::fabs(double(wq[m * ni + i])) * rz_max[i];
                b2 += std::fabs(double(wq[m * ni + i])) * pz_max[i];
            }
            fast[m] = b1 < 0x1.0p53 && (!p.period || b2 < 0x1.0p53);
        }
    }
#endif
    for (std::size_t m = 0; m < k; ++m) {
        YearZoneStats& s = year[m];
        const std::int32_t* w = wq.data() + m * ni;
        if (overwrite) {
            // The class counts are set by the AVX-512 paths, zeroed before the others (below).
            if (!fixed_set) {
                std::copy(p.residents.begin(), p.residents.end(), s.residents.begin());
                std::copy(p.dwellings.begin(), p.dwellings.end(), s.dwellings.begin());
                std::copy(p.ncells.begin(), p.ncells.end(), s.cells.begin());
            }
            std::fill(s.total_res_class.begin(), s.total_res_class.end(), 0);
            std::fill(s.total_cells_class.begin(), s.total_cells_class.end(), 0);
        } else
            for (std::size_t z = 0; z < nz; ++z) {
                s.residents[z] += p.residents[z];
                s.dwellings[z] += p.dwellings[z];
                s.cells[z] += p.ncells[z];
            }
        if (!fast[m]) linear(w, p.rz, rz_max, L.year_slot, L.year_dims, s.wsum_dim, s.wsum_dev);
        if (p.period) {
            PeriodZoneStats& q = period[m];
            if (overwrite) {
                if (!fixed_set) {
                    std::copy(p.p_residents.begin(), p.p_residents.end(), q.residents.begin());
                    std::copy(p.p_cells.begin(), p.p_cells.end(), q.cells.begin());
                }
            } else
                for (std::size_t z = 0; z < nz; ++z) {
                    q.residents[z] += p.p_residents[z];
                    q.cells[z] += p.p_cells[z];
                }
            if (!fast[m])
                linear(w, p.pz, pz_max, L.period_slot, L.period_dims, q.wsum_ddim, q.wsum_delta);
        }
    }
#ifdef LEEFBAAR_SWEEP_AVX2
    {
        std::vector<std::size_t> idx;
        for (std::size_t m = 0; m < k; ++m)
            if (fast[m]) idx.push_back(m);
        constexpr std::size_t kW = 8 * kLinearVectors;
        std::vector<double, AlignedAlloc<double>> wd(ni * kW);
        for (std::size_t g = 0; g < idx.size(); g += kW) {
            const std::size_t mk = std::min<std::size_t>(kW, idx.size() - g);
            const std::size_t nv = (mk + 7) / 8, w = 8 * nv;
            const LinearFn fn = linear_fn(nv);
            std::fill(wd.begin(), wd.end(), 0.0);
            Wide* sums[kW];
            Wide* alls[kW];
            for (std::size_t j = 0; j < mk; ++j)
                for (std::size_t jj = 0; jj < ni; ++jj)
                    wd[jj * w + j] = double(wq[idx[g + j] * ni + order[jj]]);
            for (std::size_t j = 0; j < mk; ++j)
                sums[j] = year[idx[g + j]].wsum_dim.data(),
                alls[j] = year[idx[g + j]].wsum_dev.data();
            fn(wd.data(), mk, pl.rzd.data(), nz, ni, order.data(), dim_begin.data(), nd,
               L.year_slot.data(), L.year_dims, sums, alls, overwrite);
            if (p.period) {
                for (std::size_t j = 0; j < mk; ++j)
                    sums[j] = period[idx[g + j]].wsum_ddim.data(),
                    alls[j] = period[idx[g + j]].wsum_delta.data();
                fn(wd.data(), mk, pl.pzd.data(), nz, ni, order.data(), dim_begin.data(), nd,
                   L.period_slot.data(), L.period_dims, sums, alls, overwrite);
            }
        }
    }
#endif
    // Classes: the fused product over the cells, a tile of members at a time.
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
    // AVX-512: groups of up to kGroup x 16 members, when every member of the group is exact;
    // the VNNI kernel (int16 parts) where the CPU has it, else the double AVX-512 kernel.
    const bool avx512 = (path == SweepKernelPath::automatic || path == SweepKernelPath::avx512) &&
                        sweep_kernel_has_avx512() && ni <= 64;
    const GroupFn gfn = avx512 ? group_fn(T.size(), std::make_index_sequence<15>{}) : nullptr;
    const VnniFn vfn = avx512 && path == SweepKernelPath::automatic && sweep_kernel_has_vnni()
                           ? vnni_fn(T.size(), std::make_index_sequence<15>{})
                           : nullptr;
    // Integer thresholds: an integer score s >= T exactly when s >= ceil(T).
    std::vector<std::int64_t> Tq(T.size());
    for (std::size_t j = 0; j < T.size(); ++j) {
        const double c = std::ceil(T[j]);
        Tq[j] = c >= 0x1.0p63 ? INT64_MAX : c < -0x1.0p63 ? INT64_MIN : std::int64_t(c);
    }
    std::size_t done = 0;  // members [0, done) scored by the AVX-512 paths
    if (gfn)
        for (; done < k; done += kGroup * kTile) {
            const std::size_t gk = std::min(kGroup * kTile, k - done);
            if (!exact_tile(done, gk)) break;
            const std::size_t nt = (gk + kTile - 1) / kTile;
            if (vfn && p.nzv > 0 && p.zv.size() == p.cells * p.nzv) {
                const VnniWeights W = vnni_weights(p, wq.data() + done * ni, gk);
                vfn(p, W, nt, Tq.data(), gk, year, done, L);
                continue;
            }
            std::vector<double, AlignedAlloc<double>> wd(nt * ni * kTile, 0.0);
            for (std::size_t m = 0; m < gk; ++m)
                for (std::size_t i = 0; i < ni; ++i)
                    wd[(m / kTile) * ni * kTile + i * kTile + m % kTile] =
                        double(wq[(done + m) * ni + i]);
            gfn(p, wd.data(), nt, T.data(), gk, year, done, L);
        }
#else
    const std::size_t done = 0;
#endif
    // The other paths add into the class counts: zeroed first when overwriting.
    L.assign = false;
    if (overwrite)
        for (std::size_t m = done; m < k; ++m) {
            std::fill(year[m].res_class.begin(), year[m].res_class.end(), 0);
            std::fill(year[m].cells_class.begin(), year[m].cells_class.end(), 0);
        }
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
            tile_avx2(p, wd.data(), T.data(), T.size(), mk, year, m0, L);
            continue;
        }
#endif
        tile_portable(p, classes, w, mk, year, m0, L);
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
