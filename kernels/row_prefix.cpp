#include "kernels/row_prefix.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/checks.hpp"

namespace leefbaar::kernels {

namespace {

// Fixed-point conversion that reports failure instead of throwing (used inside OpenMP loops).
inline bool fixed_ok(float v, int frac_bits, std::int64_t& q) {
    const double s = std::ldexp(double(v), frac_bits);  // exact: scaling by a power of two
    if (!(std::fabs(s) <= double(kMaxFixedMagnitude))) return false;
    q = std::llrint(s);
    return true;
}

inline std::int64_t cell_value(std::int32_t v, int) {
    return v;
}

void check_frac_bits(int frac_bits, const char* kernel) {
    if (frac_bits < 0 || frac_bits > 30)
        throw std::invalid_argument(std::string(kernel) + ": fixed-point frac_bits " +
                                    std::to_string(frac_bits) + " must be in [0, 30]");
}

// Fills prefix rows for `a`, counting a cell only where `a` (and `mask`, if given) is valid.
// Returns false if some valid float cell does not fit the fixed-point range.
template <class T>
bool fill_prefix(const TileDesc& t, std::span<const T> a, std::span<const T> mask, bool with_sum,
                 RowPrefix& out) {
    const std::int64_t pnx = t.padded_nx();
    const std::int64_t pny = t.padded_ny();
    const std::size_t stride = out.stride();
    out.count.assign(stride * std::size_t(pny), 0);
    if (with_sum) out.sum.assign(stride * std::size_t(pny), 0);
    const int frac_bits = out.frac_bits;
    bool ok = true;
#pragma omp parallel for schedule(static) reduction(&& : ok)
    for (std::int64_t r = 0; r < pny; ++r) {
        const T* src = a.data() + std::size_t(r) * std::size_t(pnx);
        const T* msk = mask.empty() ? nullptr : mask.data() + std::size_t(r) * std::size_t(pnx);
        std::int32_t* c = out.count.data() + std::size_t(r) * stride;
        std::uint64_t* s = with_sum ? out.sum.data() + std::size_t(r) * stride : nullptr;
        std::int32_t run_c = 0;
        std::uint64_t run_s = 0;
        for (std::int64_t x = 0; x < pnx; ++x) {
            const T v = src[x];
            const bool valid = !is_nodata(v) && (msk == nullptr || !is_nodata(msk[x]));
            if (valid) {
                ++run_c;
                if (s != nullptr) {
                    std::int64_t q = 0;
                    if constexpr (std::is_same_v<T, float>) {
                        if (!fixed_ok(v, frac_bits, q)) ok = false;
                    } else {
                        q = cell_value(v, frac_bits);
                    }
                    run_s += std::uint64_t(q);  // wraps by design, see header
                }
            }
            c[x + 1] = run_c;
            if (s != nullptr) s[x + 1] = run_s;
        }
    }
    return ok;
}

[[noreturn]] void throw_fixed_range(std::span<const float> a, int frac_bits, const char* kernel) {
    for (const float v : a) {
        std::int64_t q = 0;
        if (!is_nodata(v) && !fixed_ok(v, frac_bits, q))
            throw std::invalid_argument(std::string(kernel) + ": value " + format_number(v) +
                                        " does not fit the fixed-point range |v| * 2^" +
                                        std::to_string(frac_bits) + " <= 2^40; lower frac_bits");
    }
    throw std::invalid_argument(std::string(kernel) + ": fixed-point range exceeded");
}

// Checks the input spans of a prefix (mask_size 0 = no second input) and starts its descriptor.
RowPrefix checked_prefix(const TileDesc& tile, std::size_t values_size, std::size_t mask_size,
                         int frac_bits, const char* kernel) {
    check_tile(tile, kernel);
    check_padded_span(tile, values_size, kernel, "input");
    if (mask_size != 0) check_padded_span(tile, mask_size, kernel, "second input");
    RowPrefix p;
    p.tile = tile;
    p.frac_bits = frac_bits;
    return p;
}

template <class T>
RowPrefix build(const TileDesc& tile, std::span<const T> values, std::span<const T> mask,
                int frac_bits, const char* kernel) {
    RowPrefix p = checked_prefix(tile, values.size(), mask.size(), frac_bits, kernel);
    if (!fill_prefix<T>(tile, values, mask, true, p)) {
        if constexpr (std::is_same_v<T, float>) throw_fixed_range(values, frac_bits, kernel);
    }
    return p;
}

}  // namespace

std::int64_t to_fixed_point(float v, int frac_bits) {
    check_frac_bits(frac_bits, "fixed point");
    std::int64_t q = 0;
    if (!fixed_ok(v, frac_bits, q))
        throw std::invalid_argument("fixed point: value " + format_number(v) +
                                    " is not finite or exceeds |v| * 2^" +
                                    std::to_string(frac_bits) + " <= 2^40");
    return q;
}

RowPrefix build_row_prefix(const TileDesc& tile, std::span<const std::int32_t> values) {
    return build<std::int32_t>(tile, values, {}, 0, "row prefix");
}

RowPrefix build_row_prefix(const TileDesc& tile, std::span<const float> values, int frac_bits) {
    check_frac_bits(frac_bits, "row prefix");
    return build<float>(tile, values, {}, frac_bits, "row prefix");
}

std::pair<RowPrefix, RowPrefix> build_row_prefix_pair(const TileDesc& tile,
                                                      std::span<const std::int32_t> a,
                                                      std::span<const std::int32_t> b) {
    check_padded_span(tile, b.size(), "row prefix pair", "second input");
    return {build<std::int32_t>(tile, a, b, 0, "row prefix pair"),
            build<std::int32_t>(tile, b, a, 0, "row prefix pair")};
}

std::pair<RowPrefix, RowPrefix> build_row_prefix_pair(const TileDesc& tile,
                                                      std::span<const float> a,
                                                      std::span<const float> b, int frac_bits) {
    check_frac_bits(frac_bits, "row prefix pair");
    check_padded_span(tile, b.size(), "row prefix pair", "second input");
    return {build<float>(tile, a, b, frac_bits, "row prefix pair"),
            build<float>(tile, b, a, frac_bits, "row prefix pair")};
}

namespace {

// Validates a streaming source and returns the largest |fixed-point value| of a counted cell.
template <class T>
std::int64_t scan_source(const TileDesc& t, std::span<const T> a, std::span<const T> mask,
                         int frac_bits, const char* kernel) {
    std::int64_t best = 0;
    bool ok = true;
    const std::size_t n = a.size();
#pragma omp parallel for schedule(static) reduction(max : best) reduction(&& : ok)
    for (std::size_t i = 0; i < n; ++i) {
        const T v = a[i];
        if (is_nodata(v) || (!mask.empty() && is_nodata(mask[i]))) continue;
        std::int64_t q = 0;
        if constexpr (std::is_same_v<T, float>) {
            if (!fixed_ok(v, frac_bits, q)) {
                ok = false;
                continue;
            }
        } else {
            q = v;
        }
        best = std::max(best, q < 0 ? -q : q);
    }
    (void)t;
    if (!ok) {
        if constexpr (std::is_same_v<T, float>) throw_fixed_range(a, frac_bits, kernel);
    }
    return best;
}

template <class T>
RowPrefix stream(const TileDesc& tile, std::span<const T> values, std::span<const T> mask,
                 int frac_bits, bool with_sum, const char* kernel, bool scan = false) {
    RowPrefix p = checked_prefix(tile, values.size(), mask.size(), frac_bits, kernel);
    p.with_sum = with_sum;
    if constexpr (std::is_same_v<T, float>)
        p.src_f32 = values.data();
    else
        p.src_i32 = values.data();
    p.mask = mask.empty() ? nullptr : mask.data();
    // Int32 values need no validation: unless asked to scan, leave the bound to the kernels,
    // which take it from the rows they build (max_abs -1).
    if (!with_sum)
        p.max_abs = 0;
    else if (std::is_same_v<T, std::int32_t> && !scan)
        p.max_abs = -1;
    else
        p.max_abs = scan_source<T>(tile, values, mask, frac_bits, kernel);
    return p;
}

// Vectorised prefix rows of int32 input (the streaming kernels' hot path): each block of
// lanes is masked (nodata, and the mask raster's nodata, count nothing), scanned in registers
// by log2(lanes) shifted additions, and offset by the running total. Integer wrapping
// arithmetic: the same values as the scalar loops.
using V8q = std::uint64_t __attribute__((vector_size(64)));
using V8d = std::int32_t __attribute__((vector_size(32)));
using V8l = std::int64_t __attribute__((vector_size(64)));
using V16d = std::int32_t __attribute__((vector_size(64)));
using V16u = std::uint32_t __attribute__((vector_size(64)));
using V16h = std::uint16_t __attribute__((vector_size(32)));

// Inclusive prefix sum of 16 uint32 lanes (wrapping), in registers: four shifted additions.
__attribute__((always_inline)) inline V16u scan16(V16u v) {
    const V16u zero = {};
    v += __builtin_shufflevector(zero, v, 0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
                                 30);
    v += __builtin_shufflevector(zero, v, 0, 1, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
                                 29);
    v += __builtin_shufflevector(zero, v, 0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26,
                                 27);
    v += __builtin_shufflevector(zero, v, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23);
    return v;
}
// The last lane of v in every lane (a block's total, to carry into the next block).
__attribute__((always_inline)) inline V16u last16(V16u v) {
    return __builtin_shufflevector(v, v, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15,
                                   15);
}
// Prefix counts of 16 cells (ok: -1 where valid) as uint16 at dst, carried in run.
__attribute__((always_inline)) inline void count_step16(V16d ok, std::uint16_t* dst, V16u& run) {
    const V16u c = scan16(V16u{} - V16u(ok));  // 1 where valid
    const V16h c16 = __builtin_convertvector(c + run, V16h);
    __builtin_memcpy(dst, &c16, sizeof c16);
    run += last16(c);
}
// Lane-wise max(|q|, m) of Int32 lanes with |q| < 2^31.
__attribute__((always_inline)) inline V16d absmax16(V16d q, V16d m) {
    const V16d sgn = q >> 31;
    const V16d aq = (q ^ sgn) - sgn;
    return aq > m ? aq : m;
}

// Packed row: out[0] = 0, out[x + 1] = out[x] + q + 2^32 * valid; returns the largest |q|.
template <bool kMask>
__attribute__((always_inline)) inline std::int64_t scan_packed_i32(const std::int32_t* src,
                                                                   const std::int32_t* msk,
                                                                   std::int64_t n,
                                                                   std::uint64_t* out) {
    out[0] = 0;
    std::uint64_t run = 0;
    V8q run_v = {};
    V8d most = {};
    const V8q zero = {};
    std::int64_t x = 0;
    for (; x + 8 <= n; x += 8) {
        V8d v;
        __builtin_memcpy(&v, src + x, sizeof v);
        V8d ok = v != kNodataI32;
        if constexpr (kMask) {
            V8d m;
            __builtin_memcpy(&m, msk + x, sizeof m);
            ok &= m != kNodataI32;
        }
        const V8d q = v & ok;
        const V8d sgn = q >> 31;
        const V8d aq = (q ^ sgn) - sgn;  // |q| < 2^31 (kNodataI32 is masked out)
        most = aq > most ? aq : most;
        V8q c = V8q(__builtin_convertvector(q, V8l)) -
                (V8q(__builtin_convertvector(ok, V8l)) << 32);  // ok is -1: + 2^32
        c += __builtin_shufflevector(zero, c, 0, 8, 9, 10, 11, 12, 13, 14);
        c += __builtin_shufflevector(zero, c, 0, 1, 8, 9, 10, 11, 12, 13);
        c += __builtin_shufflevector(zero, c, 0, 1, 2, 3, 8, 9, 10, 11);
        // The running total as a broadcast vector: the carried dependency is one addition
        // (the block total's broadcast does not wait for it).
        const V8q out_c = c + run_v;
        __builtin_memcpy(out + x + 1, &out_c, sizeof out_c);
        run_v += __builtin_shufflevector(c, c, 7, 7, 7, 7, 7, 7, 7, 7);
    }
    run = run_v[0];
    std::int64_t best = 0;
    for (int i = 0; i < 8; ++i) best = std::max<std::int64_t>(best, most[i]);
    for (; x < n; ++x) {
        const std::int32_t v = src[x];
        const bool valid = v != kNodataI32 && (!kMask || msk[x] != kNodataI32);
        const std::int64_t q = valid ? std::int64_t(v) : 0;
        best = std::max(best, q < 0 ? -q : q);
        run += std::uint64_t(q) + (std::uint64_t(valid) << 32);
        out[x + 1] = run;
    }
    return best;
}

// Split rows: sum[x + 1] = sum[x] + q (mod 2^32), count[x + 1] = count[x] + valid (mod 2^16,
// if count is not null); returns the largest |q|.
template <bool kMask>
__attribute__((always_inline)) inline std::int64_t scan_split_i32(const std::int32_t* src,
                                                                  const std::int32_t* msk,
                                                                  std::int64_t n,
                                                                  std::uint32_t* sum,
                                                                  std::uint16_t* count) {
    sum[0] = 0;
    if (count != nullptr) count[0] = 0;
    std::uint32_t run_s = 0, run_c = 0;
    V16u run_sv = {}, run_cv = {};
    V16d most = {};
    std::int64_t x = 0;
    for (; x + 16 <= n; x += 16) {
        V16d v;
        __builtin_memcpy(&v, src + x, sizeof v);
        V16d ok = v != kNodataI32;
        if constexpr (kMask) {
            V16d m;
            __builtin_memcpy(&m, msk + x, sizeof m);
            ok &= m != kNodataI32;
        }
        const V16d q = v & ok;
        most = absmax16(q, most);
        const V16u s = scan16(V16u(q));
        const V16u out_s = s + run_sv;
        __builtin_memcpy(sum + x + 1, &out_s, sizeof out_s);
        run_sv += last16(s);
        if (count != nullptr) count_step16(ok, count + x + 1, run_cv);
    }
    run_s = run_sv[0];
    run_c = run_cv[0];
    std::int64_t best = 0;
    for (int i = 0; i < 16; ++i) best = std::max<std::int64_t>(best, most[i]);
    for (; x < n; ++x) {
        const std::int32_t v = src[x];
        const bool valid = v != kNodataI32 && (!kMask || msk[x] != kNodataI32);
        const std::int64_t q = valid ? std::int64_t(v) : 0;
        best = std::max(best, q < 0 ? -q : q);
        run_s += std::uint32_t(std::uint64_t(q));
        sum[x + 1] = run_s;
        if (count != nullptr) {
            run_c += std::uint32_t(valid);
            count[x + 1] = std::uint16_t(run_c);
        }
    }
    return best;
}

__attribute__((target_clones("avx512f", "avx2", "default"))) std::int64_t packed_row_i32(
    const std::int32_t* src, const std::int32_t* msk, std::int64_t n, std::uint64_t* out) {
    return msk != nullptr ? scan_packed_i32<true>(src, msk, n, out)
                          : scan_packed_i32<false>(src, msk, n, out);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) std::int64_t split_row_i32(
    const std::int32_t* src, const std::int32_t* msk, std::int64_t n, std::uint32_t* sum,
    std::uint16_t* count) {
    return msk != nullptr ? scan_split_i32<true>(src, msk, n, sum, count)
                          : scan_split_i32<false>(src, msk, n, sum, count);
}

// The split rows of both prefixes of an Int32 pair in one pass: each cell counts where both
// sources are valid (the pair's rule), sa/sb take the prefix sums of a's and b's values, count
// (if not null) the prefix count; the largest |value| of each into most_a, most_b. The same
// values as two split_row_i32 calls (each with the other source as its mask), with each source
// row read once instead of twice.
__attribute__((target_clones("avx512f", "avx2", "default"))) void split_pair_row_i32(
    const std::int32_t* a, const std::int32_t* b, std::int64_t n, std::uint32_t* sa,
    std::uint32_t* sb, std::uint16_t* count, std::int64_t* most_a, std::int64_t* most_b) {
    sa[0] = 0;
    sb[0] = 0;
    if (count != nullptr) count[0] = 0;
    V16u run_a = {}, run_b = {}, run_c = {};
    V16d ma = {}, mb = {};
    std::int64_t x = 0;
    for (; x + 16 <= n; x += 16) {
        V16d va, vb;
        __builtin_memcpy(&va, a + x, sizeof va);
        __builtin_memcpy(&vb, b + x, sizeof vb);
        const V16d ok = (va != kNodataI32) & (vb != kNodataI32);
        const V16d qa = va & ok, qb = vb & ok;
        ma = absmax16(qa, ma);
        mb = absmax16(qb, mb);
        const V16u s_a = scan16(V16u(qa)), s_b = scan16(V16u(qb));
        const V16u out_a = s_a + run_a, out_b = s_b + run_b;
        __builtin_memcpy(sa + x + 1, &out_a, sizeof out_a);
        __builtin_memcpy(sb + x + 1, &out_b, sizeof out_b);
        run_a += last16(s_a);
        run_b += last16(s_b);
        if (count != nullptr) count_step16(ok, count + x + 1, run_c);
    }
    std::uint32_t ra = run_a[0], rb = run_b[0], rc = run_c[0];
    std::int64_t best_a = 0, best_b = 0;
    for (int i = 0; i < 16; ++i) {
        best_a = std::max<std::int64_t>(best_a, ma[i]);
        best_b = std::max<std::int64_t>(best_b, mb[i]);
    }
    for (; x < n; ++x) {
        const bool valid = a[x] != kNodataI32 && b[x] != kNodataI32;
        const std::int64_t qa = valid ? std::int64_t(a[x]) : 0;
        const std::int64_t qb = valid ? std::int64_t(b[x]) : 0;
        best_a = std::max(best_a, qa < 0 ? -qa : qa);
        best_b = std::max(best_b, qb < 0 ? -qb : qb);
        ra += std::uint32_t(std::uint64_t(qa));
        rb += std::uint32_t(std::uint64_t(qb));
        sa[x + 1] = ra;
        sb[x + 1] = rb;
        if (count != nullptr) {
            rc += std::uint32_t(valid);
            count[x + 1] = std::uint16_t(rc);
        }
    }
    *most_a = best_a;
    *most_b = best_b;
}

template <class T, bool kPacked>
std::int64_t fill_row(const RowPrefix& p, const T* src, const T* msk, std::int64_t pnx,
                      std::int32_t* c, std::uint64_t* s) {
    const int frac_bits = p.frac_bits;
    std::int32_t run_c = 0;
    std::uint64_t run_s = 0;
    std::int64_t most = 0;  // largest |q| of a counted cell (packed form)
    if (!kPacked) c[0] = 0;
    if (s != nullptr) s[0] = 0;
    for (std::int64_t x = 0; x < pnx; ++x) {
        const T v = src[x];
        const bool valid = !is_nodata(v) && (msk == nullptr || !is_nodata(msk[x]));
        std::uint64_t q = 0;
        if constexpr (std::is_same_v<T, float>) {
            std::int64_t qq = 0;
            if (valid) fixed_ok(v, frac_bits, qq);  // validated by scan_source
            q = std::uint64_t(qq);
        } else {
            q = valid ? std::uint64_t(std::int64_t(v)) : 0;
        }
        if constexpr (kPacked) {
            run_s += q + (std::uint64_t(valid) << 32);
            s[x + 1] = run_s;
            const std::int64_t sq = std::int64_t(q);
            most = std::max(most, sq < 0 ? -sq : sq);
        } else {
            run_c += std::int32_t(valid);
            c[x + 1] = run_c;
            if (s != nullptr) {
                run_s += q;
                s[x + 1] = run_s;
            }
        }
    }
    return most;
}

// Split form: wrapping uint32 prefix sums of the (fixed-point) values and, if count is not
// null, wrapping uint16 prefix counts.
template <class T>
std::int64_t fill_split(const RowPrefix& p, const T* src, const T* msk, std::int64_t pnx,
                        std::uint32_t* s, std::uint16_t* c) {
    const int frac_bits = p.frac_bits;
    std::int64_t most = 0;  // largest |q| of a counted cell
    std::uint32_t run_s = 0;
    std::uint16_t run_c = 0;
    s[0] = 0;
    if (c != nullptr) c[0] = 0;
    for (std::int64_t x = 0; x < pnx; ++x) {
        const T v = src[x];
        const bool valid = !is_nodata(v) && (msk == nullptr || !is_nodata(msk[x]));
        std::int64_t qq = 0;
        if constexpr (std::is_same_v<T, float>) {
            if (valid) fixed_ok(v, frac_bits, qq);  // validated by scan_source
        } else {
            qq = valid ? std::int64_t(v) : 0;
        }
        most = std::max(most, qq < 0 ? -qq : qq);
        run_s += std::uint32_t(std::uint64_t(qq));
        s[x + 1] = run_s;
        if (c != nullptr) {
            run_c = std::uint16_t(run_c + std::uint16_t(valid));
            c[x + 1] = run_c;
        }
    }
    return most;
}

// A streaming kernel builds a strip's rows in order, each from a row segment of the source
// (and mask) a few KiB long that comes from memory: fetch the next row's segment while this
// one is summed (the hardware prefetcher ramps up within each short segment only). Measured
// 6-17% off a whole Int32 circular sum at 100 m - 5 km (bench_kernels, one thread).
void prefetch_next_row(const RowPrefix& p, std::int64_t r, std::size_t off, std::int64_t n) {
    if (r + 1 >= p.tile.padded_ny()) return;
    const std::size_t next = off + std::size_t(p.tile.padded_nx());
    const std::size_t bytes = std::size_t(n) * 4;  // Int32 and Float32 sources alike
    const auto fetch = [&](const void* base) {
        if (base == nullptr) return;
        const char* q = static_cast<const char*>(base) + next * 4;
        for (std::size_t b = 0; b < bytes; b += 64) __builtin_prefetch(q + b);
    };
    fetch(p.src_f32 != nullptr ? static_cast<const void*>(p.src_f32)
                               : static_cast<const void*>(p.src_i32));
    fetch(p.mask);
}

template <bool kPacked>
std::int64_t fill_any(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                      std::int32_t* c, std::uint64_t* s) {
    const std::int64_t pnx = p.tile.padded_nx();
    const std::size_t off = std::size_t(r) * std::size_t(pnx) + std::size_t(c0);
    prefetch_next_row(p, r, off, c1 - c0);
    if (p.src_f32 != nullptr) {
        const float* m = p.mask ? static_cast<const float*>(p.mask) + off : nullptr;
        return fill_row<float, kPacked>(p, p.src_f32 + off, m, c1 - c0, c, s);
    }
    const std::int32_t* m = p.mask ? static_cast<const std::int32_t*>(p.mask) + off : nullptr;
    if constexpr (kPacked)
        if (p.vector_fill) return packed_row_i32(p.src_i32 + off, m, c1 - c0, s);
    return fill_row<std::int32_t, kPacked>(p, p.src_i32 + off, m, c1 - c0, c, s);
}

}  // namespace

RowPrefix stream_row_prefix(const TileDesc& tile, std::span<const std::int32_t> values,
                            bool scan_bound) {
    return stream<std::int32_t>(tile, values, {}, 0, true, "row prefix", scan_bound);
}

RowPrefix stream_row_prefix(const TileDesc& tile, std::span<const float> values, int frac_bits) {
    check_frac_bits(frac_bits, "row prefix");
    return stream<float>(tile, values, {}, frac_bits, true, "row prefix");
}

std::pair<RowPrefix, RowPrefix> stream_row_prefix_pair(const TileDesc& tile,
                                                       std::span<const std::int32_t> a,
                                                       std::span<const std::int32_t> b,
                                                       bool scan_bound) {
    check_padded_span(tile, b.size(), "row prefix pair", "second input");
    return {stream<std::int32_t>(tile, a, b, 0, true, "row prefix pair", scan_bound),
            stream<std::int32_t>(tile, b, a, 0, true, "row prefix pair", scan_bound)};
}

std::pair<RowPrefix, RowPrefix> stream_row_prefix_pair(const TileDesc& tile,
                                                       std::span<const float> a,
                                                       std::span<const float> b, int frac_bits) {
    check_frac_bits(frac_bits, "row prefix pair");
    check_padded_span(tile, b.size(), "row prefix pair", "second input");
    return {stream<float>(tile, a, b, frac_bits, true, "row prefix pair"),
            stream<float>(tile, b, a, frac_bits, true, "row prefix pair")};
}

RowPrefix stream_count_prefix(const TileDesc& tile, std::span<const std::int32_t> values) {
    return stream<std::int32_t>(tile, values, {}, 0, false, "count prefix");
}

RowPrefix stream_count_prefix(const TileDesc& tile, std::span<const float> values) {
    return stream<float>(tile, values, {}, 0, false, "count prefix");
}

void fill_prefix_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                     std::int32_t* count, std::uint64_t* sum) {
    fill_any<false>(p, r, c0, c1, count, p.with_sum ? sum : nullptr);
}

std::int64_t fill_packed_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                             std::uint64_t* packed) {
    return fill_any<true>(p, r, c0, c1, nullptr, packed);
}

std::int64_t fill_split_row(const RowPrefix& p, std::int64_t r, std::int64_t c0, std::int64_t c1,
                            std::uint32_t* sum, std::uint16_t* count) {
    const std::int64_t pnx = p.tile.padded_nx();
    const std::size_t off = std::size_t(r) * std::size_t(pnx) + std::size_t(c0);
    prefetch_next_row(p, r, off, c1 - c0);
    if (p.src_f32 != nullptr) {
        const float* m = p.mask ? static_cast<const float*>(p.mask) + off : nullptr;
        return fill_split<float>(p, p.src_f32 + off, m, c1 - c0, sum, count);
    }
    const std::int32_t* m = p.mask ? static_cast<const std::int32_t*>(p.mask) + off : nullptr;
    if (p.vector_fill) return split_row_i32(p.src_i32 + off, m, c1 - c0, sum, count);
    return fill_split<std::int32_t>(p, p.src_i32 + off, m, c1 - c0, sum, count);
}

bool split_pair_fusable(const RowPrefix& a, const RowPrefix& b) {
    return a.src_i32 != nullptr && b.src_i32 != nullptr && a.mask == b.src_i32 &&
           b.mask == a.src_i32 && a.vector_fill && b.vector_fill &&
           a.tile.padded_nx() == b.tile.padded_nx();
}

std::pair<std::int64_t, std::int64_t> fill_split_pair_row(const RowPrefix& a, const RowPrefix& b,
                                                          std::int64_t r, std::int64_t c0,
                                                          std::int64_t c1, std::uint32_t* sa,
                                                          std::uint32_t* sb, std::uint16_t* count) {
    const std::int64_t pnx = a.tile.padded_nx();
    const std::size_t off = std::size_t(r) * std::size_t(pnx) + std::size_t(c0);
    prefetch_next_row(a, r, off, c1 - c0);  // a's source and mask: both rows
    std::int64_t most_a = 0, most_b = 0;
    split_pair_row_i32(a.src_i32 + off, b.src_i32 + off, c1 - c0, sa, sb, count, &most_a, &most_b);
    return {most_a, most_b};
}

template <class T>
RowPrefix build_count_prefix(const TileDesc& tile, std::span<const T> values) {
    check_tile(tile, "count prefix");
    check_padded_span(tile, values.size(), "count prefix", "input");
    RowPrefix p;
    p.tile = tile;
    fill_prefix<T>(tile, values, {}, false, p);
    return p;
}

template RowPrefix build_count_prefix<std::int32_t>(const TileDesc&, std::span<const std::int32_t>);
template RowPrefix build_count_prefix<float>(const TileDesc&, std::span<const float>);

}  // namespace leefbaar::kernels
