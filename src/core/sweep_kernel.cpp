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
#endif

}  // namespace

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
    for (std::size_t c = 0; c < in.cells; ++c) {
        const std::int32_t z = in.zone[c];
        if (z < 0) continue;
        if (std::size_t(z) >= nz) throw Error("sweep", "internal: zone index out of range");
        if (in.residents[c] < 0) throw Error("sweep", "a cell has negative residents");
        ++start[std::size_t(z) + 1];
    }
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
    std::vector<Wide> rz(nz * ni, 0);
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
    p.rz.resize(nz * ni);
    for (std::size_t k = 0; k < rz.size(); ++k) p.rz[k] = narrow(rz[k]);
    if (in.prev_z) {
        p.period = true;
        p.p_residents.assign(nz, 0);
        p.p_cells.assign(nz, 0);
        std::vector<Wide> pz(nz * ni, 0);
        for (std::size_t c = 0; c < in.cells; ++c) {
            const std::int32_t zi = in.zone[c], prow = in.prev_index[c];
            if (zi < 0 || prow < 0) continue;
            const auto z = std::size_t(zi);
            const std::int64_t r = in.residents[c];
            p.p_residents[z] += r;
            p.p_cells[z] += 1;
            const float* a = in.z + c * ni;
            const float* b = in.prev_z + std::size_t(prow) * ni;
            for (std::size_t i = 0; i < ni; ++i)
                pz[z * ni + i] += Wide(r) * (std::int64_t(quantise_z(a[i])) - quantise_z(b[i]));
        }
        p.pz.resize(nz * ni);
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
    for (std::size_t m0 = 0; m0 < k; m0 += kTile) {
        const std::size_t mk = std::min(kTile, k - m0);
        const std::int32_t* w = wq.data() + m0 * ni;
        bool exact = sweep_kernel_has_avx2() && path == SweepKernelPath::automatic;
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
