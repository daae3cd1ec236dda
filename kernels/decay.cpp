#include "kernels/decay.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "kernels/checks.hpp"
#include "kernels/circle.hpp"

namespace leefbaar::kernels {

namespace {

void check_cell(double cell_size, const char* kernel) {
    if (!std::isfinite(cell_size) || !(cell_size > 0))
        throw std::invalid_argument(std::string(kernel) + ": cell size " +
                                    format_number(cell_size) + " m must be > 0");
}

// Cyclic Jacobi eigendecomposition of a symmetric n x n matrix (row-major, destroyed).
// Serial and data independent, so every rank and tile derives identical taps.
void jacobi_eigen(std::vector<double>& a, std::size_t n, std::vector<double>& evals,
                  std::vector<double>& evecs) {
    evecs.assign(n * n, 0.0);
    for (std::size_t i = 0; i < n; ++i) evecs[i * n + i] = 1.0;
    double total = 0.0;
    for (const double v : a) total += v * v;
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0.0;
        for (std::size_t p = 0; p < n; ++p)
            for (std::size_t q = p + 1; q < n; ++q) off += a[p * n + q] * a[p * n + q];
        if (off <= 1e-30 * total) break;
        for (std::size_t p = 0; p < n; ++p) {
            for (std::size_t q = p + 1; q < n; ++q) {
                const double apq = a[p * n + q];
                if (std::fabs(apq) < 1e-300) continue;
                const double theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                const double t =
                    (theta >= 0 ? 1.0 : -1.0) / (std::fabs(theta) + std::sqrt(theta * theta + 1.0));
                const double c = 1.0 / std::sqrt(t * t + 1.0);
                const double s = t * c;
                for (std::size_t k = 0; k < n; ++k) {  // columns p, q
                    const double akp = a[k * n + p];
                    const double akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (std::size_t k = 0; k < n; ++k) {  // rows p, q
                    const double apk = a[p * n + k];
                    const double aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (std::size_t k = 0; k < n; ++k) {
                    const double vkp = evecs[k * n + p];
                    const double vkq = evecs[k * n + q];
                    evecs[k * n + p] = c * vkp - s * vkq;
                    evecs[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    evals.resize(n);
    for (std::size_t i = 0; i < n; ++i) evals[i] = a[i * n + i];
}

// Fills the direct form: every offset of non-zero weight, dy then dx ascending.
void fill_direct(DecayKernel& k) {
    k.direct_dx.clear();
    k.direct_dy.clear();
    k.direct_w.clear();
    for (std::int64_t dy = -k.reach; dy <= k.reach; ++dy)
        for (std::int64_t dx = -k.reach; dx <= k.reach; ++dx) {
            const double w = decay_weight(k, dx, dy);
            if (w != 0.0) {
                k.direct_dx.push_back(std::int32_t(dx));
                k.direct_dy.push_back(std::int32_t(dy));
                k.direct_w.push_back(w);
            }
        }
}

// Chooses between a low-rank separable form and the direct sum for a radial kernel.
void factorise(DecayKernel& k, double tolerance) {
    fill_direct(k);
    const std::size_t n = std::size_t(2 * k.reach + 1);
    const std::size_t nnz = k.direct_w.size();
    std::vector<double> w(n * n);
    for (std::size_t i = 0; i < n; ++i)
        for (std::size_t j = 0; j < n; ++j)
            w[i * n + j] = decay_weight(k, std::int64_t(j) - k.reach, std::int64_t(i) - k.reach);
    std::vector<double> residual = w;
    std::vector<double> evals, evecs;
    jacobi_eigen(w, n, evals, evecs);
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t(0));
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::fabs(evals[a]) > std::fabs(evals[b]);
    });
    k.rank = 0;
    k.lambda.clear();
    k.taps.clear();
    for (std::size_t term = 0; term < n; ++term) {
        // A separable term costs two passes of n taps; stop when the direct sum is cheaper.
        if (2 * (term + 1) * n >= nnz) break;
        const std::size_t e = order[term];
        const double lam = evals[e];
        double err = 0.0;
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j) {
                double& r = residual[i * n + j];
                r -= lam * evecs[i * n + e] * evecs[j * n + e];
                err = std::max(err, std::fabs(r));
            }
        k.lambda.push_back(lam);
        for (std::size_t i = 0; i < n; ++i) k.taps.push_back(evecs[i * n + e]);
        if (err <= tolerance) {
            k.rank = int(term + 1);
            k.max_weight_error = err;
            k.direct_dx.clear();
            k.direct_dy.clear();
            k.direct_w.clear();
            return;
        }
    }
    k.rank = 0;  // direct evaluation: exact weights
    k.lambda.clear();
    k.taps.clear();
    k.max_weight_error = 0.0;
}

void check_tolerance(double tolerance, const char* kernel) {
    if (!(tolerance > 0) || !std::isfinite(tolerance))
        throw std::invalid_argument(std::string(kernel) + ": tolerance " +
                                    format_number(tolerance) + " must be > 0");
}

// Applies the filter to the values (nodata -> 0) and, if `weights` is non-empty, to the
// validity mask; both outputs interior-sized.
// out[x] = ((0 + w[0] * rows[0][x]) + w[1] * rows[1][x]) + ... for x in [x_begin, nx): the single
// summation order of every decay path (each output cell adds its terms in ascending k). The x
// loop is blocked so that a block's partial sums stay in registers, and cloned for AVX-512 and
// AVX2; every clone performs the same IEEE multiplications and additions per cell in the same
// order (no contraction: -ffp-contract=off), so all give the same bits.
constexpr std::int64_t kLanes = 32;

using V4d = double __attribute__((vector_size(32)));

__attribute__((target_clones("avx512f", "avx2", "default"))) void weighted_rows(
    double* __restrict out, const double* const* rows, const double* w, std::int64_t n,
    std::int64_t x_begin, std::int64_t nx) {
    constexpr int kVec = int(kLanes / 4);
    std::int64_t x0 = x_begin;
    for (; x0 + kLanes <= nx; x0 += kLanes) {
        V4d a[kVec];
        for (int i = 0; i < kVec; ++i) a[i] = V4d{0.0, 0.0, 0.0, 0.0};
        for (std::int64_t k = 0; k < n; ++k) {
            const V4d wk = V4d{w[k], w[k], w[k], w[k]};
            const double* r = rows[k] + x0;
            for (int i = 0; i < kVec; ++i) {
                V4d v;
                __builtin_memcpy(&v, r + 4 * i, sizeof v);
                a[i] += wk * v;  // one multiplication, then one addition, per lane
            }
        }
        __builtin_memcpy(out + x0, a, sizeof a);
    }
    for (std::int64_t x = x0; x < nx; ++x) {
        double a = 0.0;
        for (std::int64_t k = 0; k < n; ++k) a += w[k] * rows[k][x];
        out[x] = a;
    }
}

// Rows [y0, y1) of this thread's share of [0, n).
inline std::pair<std::int64_t, std::int64_t> my_band(std::int64_t n) {
    int nt = 1, tid = 0;
#ifdef _OPENMP
    nt = omp_get_num_threads();
    tid = omp_get_thread_num();
#endif
    return {n * tid / nt, n * (tid + 1) / nt};
}

// One thread's band [y0, y1) of output rows of scatter_direct: per dy (index dy + r) the
// offsets dx_lo[i] .. dx_lo[i] + n[i] - 1 with their weights w[first[i] ..] by output column
// (dx descending). Cloned for AVX-512 and AVX2; every clone does the same IEEE operations per
// cell in the same order (no contraction), so all give the same bits.
__attribute__((target_clones("avx512f", "avx2", "default"))) void scatter_band(
    const std::int64_t* dx_lo, const std::int64_t* n, const std::int64_t* first, const double* w,
    std::int64_t r, const double* v, const std::int64_t* row_nonzero, std::int64_t rw,
    std::int64_t nx, std::int64_t y0, std::int64_t y1, double* out) {
    // Source rows yr of the region reach output rows yr - r - dy, dy in [-r, r].
    for (std::int64_t yr = y0; yr < y1 + 2 * r; ++yr) {
        if (row_nonzero[yr] == 0) continue;
        const double* src = v + yr * rw;
        for (std::int64_t xr = 0; xr < rw; ++xr) {
            const double val = src[xr];
            if (val == 0.0) continue;
            for (std::int64_t i = 0; i <= 2 * r; ++i) {  // dy = i - r, ascending
                const std::int64_t y = yr - i;
                if (y < y0 || y >= y1 || n[i] == 0) continue;
                // Output columns xr - r - dx: x_lo (dx highest) .. x_lo + n - 1.
                const std::int64_t x_lo = xr - r - (dx_lo[i] + n[i] - 1);
                const std::int64_t a = std::max<std::int64_t>(0, x_lo),
                                   b = std::min<std::int64_t>(nx, x_lo + n[i]);
                double* o = out + y * nx;
                const double* wi = w + first[i];
                for (std::int64_t x = a; x < b; ++x) o[x] += wi[x - x_lo] * val;
            }
        }
    }
}

// The direct form by scattering: out(x, y) = sum over offsets (dx, dy) of w * v(x + dx, y + dy)
// with v in region coordinates (rw columns, offset by the reach). Each non-zero v, visited in
// row order, adds w * v to the cells it reaches: every output cell receives its non-zero terms
// in (dy, dx) order, as the dense form adds all its terms (the zero terms change nothing), so
// the sums are the same bits. Each thread owns a band of output rows. Returns false (nothing
// done) when some row of the support is not one run of offsets.
bool scatter_direct(const DecayKernel& k, const std::vector<double>& v,
                    const std::vector<std::int64_t>& row_nonzero, std::int64_t rw, std::int64_t nx,
                    std::int64_t ny, std::span<double> out) {
    const std::int64_t r = k.reach;
    const std::size_t nr = std::size_t(2 * r + 1);
    std::vector<std::int64_t> dx_lo(nr, 0), n(nr, 0), first(nr, 0);
    std::vector<double> w(k.direct_w.size());
    std::size_t at = 0;  // the entries come dy then dx ascending
    for (std::size_t i = 0; i < nr; ++i) {
        first[i] = std::int64_t(at);
        while (at < k.direct_w.size() && k.direct_dy[at] + r == std::int64_t(i)) {
            if (n[i] == 0) dx_lo[i] = k.direct_dx[at];
            if (k.direct_dx[at] != dx_lo[i] + n[i]) return false;
            ++n[i];
            ++at;
        }
        // By output column: dx descending.
        std::reverse_copy(k.direct_w.begin() + first[i], k.direct_w.begin() + std::int64_t(at),
                          w.begin() + first[i]);
    }
    if (at != k.direct_w.size()) return false;
        // The scatter ignores a cell mask: testing each support row segment against it, or going
        // output row by output row with a prefix count of the row's needed cells, cost more than
        // the additions it saved (0.10 -> 0.11-0.18 s for the demo model's exponential on half the
        // national grid: its incidents lie where people live), testing whole rows saved nothing.
#pragma omp parallel
    {
        const auto [y0, y1] = my_band(ny);
        scatter_band(dx_lo.data(), n.data(), first.data(), w.data(), r, v.data(),
                     row_nonzero.data(), rw, nx, y0, y1, out.data());
    }
    return true;
}

// `need`: only these output cells are computed (same bits); the others stay 0 or hold partial
// sums.
template <class T>
void apply(const TileDesc& t, std::span<const T> in, const DecayKernel& k, std::span<double> sums,
           std::span<double> weights, const CellMask& need) {
    const std::int64_t r = k.reach;
    const std::int64_t nx = t.nx;
    const std::int64_t ny = t.ny;
    const std::int64_t rw = nx + 2 * r;  // region columns -r .. nx + r
    const std::int64_t rh = ny + 2 * r;  // region rows -r .. ny + r
    const bool with_mask = !weights.empty();
    const std::size_t region = std::size_t(rw) * std::size_t(rh);
    std::vector<double> v(region);
    std::vector<double> m(with_mask ? region : 0);
    std::vector<std::int64_t> row_nonzero(std::size_t(rh), 0);  // non-zero values per row
#pragma omp parallel for schedule(static)
    for (std::int64_t y = 0; y < rh; ++y) {
        const T* src = in.data() + std::size_t(y - r + t.halo) * std::size_t(t.padded_nx()) +
                       std::size_t(t.halo - r);
        double* dv = v.data() + std::size_t(y) * std::size_t(rw);
        std::int64_t nz = 0;
        for (std::int64_t x = 0; x < rw; ++x) {
            const bool ok = !is_nodata(src[x]);
            dv[x] = ok ? double(src[x]) : 0.0;
            nz += dv[x] != 0.0;
            if (with_mask) m[std::size_t(y) * std::size_t(rw) + std::size_t(x)] = ok ? 1.0 : 0.0;
        }
        row_nonzero[std::size_t(y)] = nz;
    }
    std::fill(sums.begin(), sums.end(), 0.0);
    if (with_mask) std::fill(weights.begin(), weights.end(), 0.0);
    const std::int64_t ntaps = 2 * r + 1;
    std::int64_t nonzero = 0;
    for (const auto n : row_nonzero) nonzero += n;
    const bool sparse = double(nonzero) <= k.sparse_density * double(region);

    if (k.rank == 0) {
        // Sparse values scattered (when each row of the support is one run of offsets); the
        // weights of a mean (the valid cells, dense) always by the dense form.
        const bool scattered = sparse && scatter_direct(k, v, row_nonzero, rw, nx, ny, sums);
        const std::size_t ne = k.direct_w.size();
#pragma omp parallel
        {
            std::vector<const double*> rows(ne);
            const auto [y0, y1] = my_band(ny);
            for (std::int64_t y = y0; y < y1; ++y) {
                for (int pass = scattered ? 1 : 0; pass < (with_mask ? 2 : 1); ++pass) {
                    const double* base = pass == 0 ? v.data() : m.data();
                    for (std::size_t e = 0; e < ne; ++e)
                        rows[e] = base + std::size_t(y + r + k.direct_dy[e]) * std::size_t(rw) +
                                  std::size_t(r + k.direct_dx[e]);
                    double* o = (pass == 0 ? sums.data() : weights.data()) +
                                std::size_t(y) * std::size_t(nx);
                    for_each_needed_run(need.row(y, nx), nx, kLanes,
                                        [&](std::int64_t a, std::int64_t e) {
                                            weighted_rows(o, rows.data(), k.direct_w.data(),
                                                          std::int64_t(ne), a, e);
                                        });
                }
            }
        }
        return;
    }

    // Separable terms, added to the output in a fixed order: a horizontal FIR per row, then a
    // vertical FIR per column block (a block of kColBlock columns of all 2 reach + 1 rows stays
    // in cache while a thread walks down its band of rows).
    constexpr std::int64_t kColBlock = 256;
    const std::int64_t nblocks = (nx + kColBlock - 1) / kColBlock;
    std::vector<double> hv(std::size_t(rh) * std::size_t(nx));
    std::vector<double> hm(with_mask ? hv.size() : 0);
    // Sparse values: the horizontal pass scatters each non-zero value over its row (the same
    // terms in the same order per output cell as the dense pass, minus exact zeros), and the
    // vertical pass skips the rows that are zero in a column block (hv_block: whether row y
    // of hv may be non-zero in block b).
    std::vector<std::uint8_t> hv_block(sparse ? std::size_t(rh * nblocks) : 0, 0);
    for (int term = 0; term < k.rank; ++term) {
        const double* u = k.taps.data() + std::size_t(term) * std::size_t(ntaps);
        const double lam = k.lambda[std::size_t(term)];
        std::vector<double> u_rev(u, u + ntaps);
        std::reverse(u_rev.begin(), u_rev.end());
#pragma omp parallel
        {
            std::vector<const double*> rows(static_cast<std::size_t>(ntaps));
#pragma omp for schedule(static)
            for (std::int64_t y = 0; y < rh; ++y) {
                for (int pass = 0; pass < (with_mask ? 2 : 1); ++pass) {
                    const double* src =
                        (pass == 0 ? v.data() : m.data()) + std::size_t(y) * std::size_t(rw);
                    double* h =
                        (pass == 0 ? hv.data() : hm.data()) + std::size_t(y) * std::size_t(nx);
                    if (pass == 0 && sparse) {
                        if (row_nonzero[std::size_t(y)] == 0) continue;  // stays zero
                        std::fill(h, h + nx, 0.0);
                        std::uint8_t* blk = hv_block.data() + std::size_t(y * nblocks);
                        for (std::int64_t xr = 0; xr < rw; ++xr) {
                            const double val = src[xr];
                            if (val == 0.0) continue;
                            // h[x] += u[xr - x] val for x in [xr - 2 reach, xr] within the row.
                            const std::int64_t x_lo = xr - (ntaps - 1);
                            const std::int64_t a = std::max<std::int64_t>(0, x_lo),
                                               b = std::min<std::int64_t>(nx, xr + 1);
                            for (std::int64_t x = a; x < b; ++x)
                                h[x] += u_rev[std::size_t(x - x_lo)] * val;
                            if (a < b)
                                for (std::int64_t bl = a / kColBlock; bl <= (b - 1) / kColBlock;
                                     ++bl)
                                    blk[bl] = 1;
                        }
                        continue;
                    }
                    for (std::int64_t tp = 0; tp < ntaps; ++tp) rows[std::size_t(tp)] = src + tp;
                    weighted_rows(h, rows.data(), u, ntaps, 0, nx);
                }
            }
        }
#pragma omp parallel
        {
            std::vector<double> acc(static_cast<std::size_t>(kColBlock));
            std::vector<const double*> rows(static_cast<std::size_t>(ntaps));
            std::vector<double> taps(static_cast<std::size_t>(ntaps));
            const auto [y0, y1] = my_band(ny);
            for (std::int64_t xb = 0; xb < nx; xb += kColBlock) {
                const std::int64_t bw = std::min(kColBlock, nx - xb);
                for (std::int64_t y = y0; y < y1; ++y) {
                    for (int pass = 0; pass < (with_mask ? 2 : 1); ++pass) {
                        const double* hsrc = pass == 0 ? hv.data() : hm.data();
                        std::int64_t n = 0;  // the rows taken, in tap order, and their taps
                        for (std::int64_t tp = 0; tp < ntaps; ++tp) {
                            if (pass == 0 && sparse &&
                                !hv_block[std::size_t((y + tp) * nblocks + xb / kColBlock)])
                                continue;
                            rows[std::size_t(n)] =
                                hsrc + std::size_t(y + tp) * std::size_t(nx) + std::size_t(xb);
                            taps[std::size_t(n++)] = u[tp];
                        }
                        if (n == 0) continue;  // all zero: adds nothing
                        double* o = (pass == 0 ? sums.data() : weights.data()) +
                                    std::size_t(y) * std::size_t(nx) + std::size_t(xb);
                        const std::uint8_t* my = need.row(y, nx);
                        for_each_needed_run(my != nullptr ? my + xb : nullptr, bw, kLanes,
                                            [&](std::int64_t a, std::int64_t e) {
                                                weighted_rows(acc.data(), rows.data(), taps.data(),
                                                              n, a, e);
                                                for (std::int64_t x = a; x < e; ++x)
                                                    o[x] += lam * acc[std::size_t(x)];
                                            });
                    }
                }
            }
        }
    }
}

void check_apply(const TileDesc& t, std::size_t in_size, const DecayKernel& k, std::size_t out_size,
                 const char* kernel) {
    check_tile(t, kernel);
    if (k.cell_size <= 0 || (k.rank == 0 && k.direct_w.empty()))
        throw std::invalid_argument(std::string(kernel) +
                                    ": kernel is empty; build it with make_*_kernel");
    if (k.cell_size != t.cell_size)
        throw std::invalid_argument(std::string(kernel) + ": kernel was built for cell size " +
                                    format_number(k.cell_size) + " m but the tile has " +
                                    format_number(t.cell_size) + " m");
    check_reach(t, k.reach, kernel, "kernel support " + format_number(k.cutoff_m) + " m");
    check_padded_span(t, in_size, kernel, "input");
    check_interior_span(t, out_size, kernel, "output");
}

template <class T>
void sum_impl(const TileDesc& t, std::span<const T> in, const DecayKernel& k, std::span<double> out,
              const CellMask& need) {
    check_apply(t, in.size(), k, out.size(), "decay sum");
    check_mask(t, need, "decay sum");
    apply<T>(t, in, k, out, {}, need);
}

template <class T>
void mean_impl(const TileDesc& t, std::span<const T> in, const DecayKernel& k,
               std::span<double> out, double min_weight) {
    check_apply(t, in.size(), k, out.size(), "decay mean");
    if (!(min_weight > 0) || !std::isfinite(min_weight))
        throw std::invalid_argument("decay mean: min_weight " + format_number(min_weight) +
                                    " must be > 0");
    std::vector<double> w(out.size());
    apply<T>(t, in, k, out, w, {});
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < std::int64_t(out.size()); ++i)
        out[std::size_t(i)] =
            w[std::size_t(i)] < min_weight ? kNodataF64 : out[std::size_t(i)] / w[std::size_t(i)];
}

}  // namespace

double decay_weight(const DecayKernel& k, std::int64_t dx, std::int64_t dy) {
    if (dx < -k.reach || dx > k.reach || dy < -k.reach || dy > k.reach) return 0.0;
    const double c = k.cell_size;
    const double d2 = double(dx * dx + dy * dy) * c * c;
    switch (k.shape) {
        case DecayShape::kGaussian:
            return std::exp(-d2 / (2.0 * k.scale_m * k.scale_m));
        case DecayShape::kExponential:
            if (!offset_within(dx, dy, k.cutoff_m, c)) return 0.0;
            return std::exp(-std::sqrt(d2) / k.scale_m);
        case DecayShape::kLinear:
            if (!offset_within(dx, dy, k.cutoff_m, c)) return 0.0;
            return std::max(0.0, 1.0 - std::sqrt(d2) / k.scale_m);
    }
    return 0.0;
}

DecayKernel make_gaussian_kernel(double sigma_m, double cell_size, double truncate) {
    const char* kernel = "gaussian kernel";
    check_radius(sigma_m, kernel, "sigma");
    check_cell(cell_size, kernel);
    if (!(truncate > 0) || !std::isfinite(truncate))
        throw std::invalid_argument("gaussian kernel: truncate " + format_number(truncate) +
                                    " sigmas must be > 0");
    DecayKernel k;
    k.shape = DecayShape::kGaussian;
    k.scale_m = sigma_m;
    k.cutoff_m = truncate * sigma_m;
    k.cell_size = cell_size;
    k.reach = window_reach(k.cutoff_m, cell_size);
    const std::int64_t n = 2 * k.reach + 1;
    // exp(-(dx^2 + dy^2) c^2 / 2 s^2) = g(dx) g(dy): exactly one separable term.
    k.rank = 1;
    k.lambda = {1.0};
    for (std::int64_t i = 0; i < n; ++i) {
        const double d = double(i - k.reach) * cell_size;
        k.taps.push_back(std::exp(-d * d / (2.0 * sigma_m * sigma_m)));
    }
    double err = 0.0;
    for (std::int64_t i = 0; i < n; ++i)
        for (std::int64_t j = 0; j < n; ++j)
            err = std::max(err, std::fabs(k.taps[std::size_t(i)] * k.taps[std::size_t(j)] -
                                          decay_weight(k, j - k.reach, i - k.reach)));
    k.max_weight_error = err;
    return k;
}

DecayKernel make_exponential_kernel(double length_m, double cutoff_m, double cell_size,
                                    double tolerance) {
    const char* kernel = "exponential kernel";
    check_radius(length_m, kernel, "decay length");
    check_radius(cutoff_m, kernel, "cutoff");
    check_cell(cell_size, kernel);
    check_tolerance(tolerance, kernel);
    DecayKernel k;
    k.shape = DecayShape::kExponential;
    k.scale_m = length_m;
    k.cutoff_m = cutoff_m;
    k.cell_size = cell_size;
    k.reach = window_reach(cutoff_m, cell_size);
    factorise(k, tolerance);
    return k;
}

DecayKernel make_linear_kernel(double radius_m, double cell_size, double tolerance) {
    const char* kernel = "linear kernel";
    check_radius(radius_m, kernel, "radius");
    check_cell(cell_size, kernel);
    check_tolerance(tolerance, kernel);
    DecayKernel k;
    k.shape = DecayShape::kLinear;
    k.scale_m = radius_m;
    k.cutoff_m = radius_m;
    k.cell_size = cell_size;
    k.reach = window_reach(radius_m, cell_size);
    factorise(k, tolerance);
    return k;
}

void decay_sum(const TileDesc& tile, std::span<const float> in, const DecayKernel& k,
               std::span<double> out, const CellMask& need) {
    sum_impl<float>(tile, in, k, out, need);
}
void decay_sum(const TileDesc& tile, std::span<const std::int32_t> in, const DecayKernel& k,
               std::span<double> out, const CellMask& need) {
    sum_impl<std::int32_t>(tile, in, k, out, need);
}
void decay_mean(const TileDesc& tile, std::span<const float> in, const DecayKernel& k,
                std::span<double> out, double min_weight) {
    mean_impl<float>(tile, in, k, out, min_weight);
}
void decay_mean(const TileDesc& tile, std::span<const std::int32_t> in, const DecayKernel& k,
                std::span<double> out, double min_weight) {
    mean_impl<std::int32_t>(tile, in, k, out, min_weight);
}

}  // namespace leefbaar::kernels
