#include "kernels/circular.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "kernels/checks.hpp"

namespace leefbaar::kernels {

namespace {

void check_window(const TileDesc& tile, const CircularWindow& w, const char* kernel) {
    check_tile(tile, kernel);
    if (w.outer_half.empty())
        throw std::invalid_argument(std::string(kernel) +
                                    ": window is empty; build it with make_circular_window");
    if (w.cell_size != tile.cell_size)
        throw std::invalid_argument(std::string(kernel) + ": window was built for cell size " +
                                    format_number(w.cell_size) + " m but the tile has " +
                                    format_number(tile.cell_size) + " m");
    check_reach(tile, w.reach, kernel, "radius " + format_number(w.outer_m) + " m");
}

void check_prefix(const RowPrefix& p, const CircularWindow& w, const char* kernel, bool need_sum) {
    check_window(p.tile, w, kernel);
    if (p.streaming()) {
        if (need_sum && !p.with_sum)
            throw std::invalid_argument(std::string(kernel) +
                                        ": row prefix holds counts only; make it with "
                                        "stream_row_prefix");
        return;
    }
    const std::size_t n = p.stride() * std::size_t(p.tile.padded_ny());
    if (p.count.size() != n)
        throw std::invalid_argument(std::string(kernel) + ": row prefix does not match its tile");
    if (need_sum && p.sum.size() != n)
        throw std::invalid_argument(
            std::string(kernel) + ": row prefix holds counts only; build it with build_row_prefix");
}

// Chord accumulation over x blocks of kLanes cells: the block's accumulators stay in
// registers across all row offsets, and each offset adds hi[x] - lo[x] (integer, wrapping).
// Cloned for AVX2 (selected at load time); integer arithmetic, so every clone gives the same
// bits.
constexpr std::int64_t kLanes = 32;

// Whether a block of n output cells at `need` (a CellMask row from the block's first column;
// nullptr: every cell needed) can be skipped. Skipped blocks get zero accumulators (defined
// values, a zero count); the output conversion never reads them, as it takes only the runs of
// 32-cell blocks with a needed cell (for_each_needed_run), which skipped blocks do not meet.
inline bool skip_block(const std::uint8_t* need, std::int64_t n) {
    return need != nullptr && !any_needed(need, n);
}

struct ChordRow {
    const std::uint64_t* hi;  // prefix entry east of the chord, for x = 0
    const std::uint64_t* lo;  // prefix entry west of the chord, for x = 0
};

using V4u = std::uint64_t __attribute__((vector_size(32)));
using V8i = std::int32_t __attribute__((vector_size(32)));

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_u64(
    std::uint64_t* __restrict acc, const ChordRow* rows, std::int64_t nrows, std::int64_t nx,
    const std::uint8_t* need) {
    constexpr int kVec = int(kLanes / 4);
    std::int64_t x0 = 0;
    for (; x0 + kLanes <= nx; x0 += kLanes) {
        V4u a[kVec] = {};
        if (skip_block(need ? need + x0 : nullptr, kLanes)) {
            __builtin_memcpy(acc + x0, a, sizeof a);
            continue;
        }
        for (std::int64_t k = 0; k < nrows; ++k) {
            const std::uint64_t* hi = rows[k].hi + x0;
            const std::uint64_t* lo = rows[k].lo + x0;
            for (int i = 0; i < kVec; ++i) {
                V4u h, l;
                __builtin_memcpy(&h, hi + 4 * i, sizeof h);
                __builtin_memcpy(&l, lo + 4 * i, sizeof l);
                a[i] += h - l;
            }
        }
        __builtin_memcpy(acc + x0, a, sizeof a);
    }
    for (std::int64_t x = x0; x < nx; ++x) {
        std::uint64_t a = 0;
        for (std::int64_t k = 0; k < nrows; ++k) a += rows[k].hi[x] - rows[k].lo[x];
        acc[x] = a;
    }
}

struct ChordRow32 {
    const std::int32_t* hi;
    const std::int32_t* lo;
};

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_i32(
    std::int32_t* __restrict acc, const ChordRow32* rows, std::int64_t nrows, std::int64_t nx,
    const std::uint8_t* need) {
    constexpr int kVec = int(kLanes / 8);
    std::int64_t x0 = 0;
    for (; x0 + kLanes <= nx; x0 += kLanes) {
        V8i a[kVec] = {};
        if (skip_block(need ? need + x0 : nullptr, kLanes)) {
            __builtin_memcpy(acc + x0, a, sizeof a);
            continue;
        }
        for (std::int64_t k = 0; k < nrows; ++k) {
            const std::int32_t* hi = rows[k].hi + x0;
            const std::int32_t* lo = rows[k].lo + x0;
            for (int i = 0; i < kVec; ++i) {
                V8i h, l;
                __builtin_memcpy(&h, hi + 8 * i, sizeof h);
                __builtin_memcpy(&l, lo + 8 * i, sizeof l);
                a[i] += h - l;  // counts: no overflow (at most the window's cells)
            }
        }
        __builtin_memcpy(acc + x0, a, sizeof a);
    }
    for (std::int64_t x = x0; x < nx; ++x) {
        std::int32_t a = 0;
        for (std::int64_t k = 0; k < nrows; ++k) a += rows[k].hi[x] - rows[k].lo[x];
        acc[x] = a;
    }
}

// Row-blocked chord accumulation of kRowBlock consecutive output rows of a disc. tables[j] is
// the chord table of output row j of the group (entry k: row offset k - reach), so chord k of
// row j lies on prefix row j + k of the group. Walking the group's prefix rows in order, the
// kRowBlock chords that share a prefix row read the same few cache lines (their widths differ
// little), so one fetch of a prefix row segment serves kRowBlock outputs instead of one; the
// accumulators of the whole group stay in registers. Integer (wrapping) arithmetic: the order
// does not change the bits.
constexpr int kRowBlock = 4;

template <class T, class V, class Row>
__attribute__((always_inline)) inline void accumulate_rows(
    T* __restrict acc, std::size_t acc_stride, const Row* tables, std::int64_t nchords,
    std::int64_t nx, const std::uint8_t* need, std::size_t need_stride) {
    constexpr int kPer = int(sizeof(V) / sizeof(T));
    constexpr int kVec = 2;
    constexpr std::int64_t kL = kPer * kVec;
    constexpr int kG = kRowBlock;
    const std::int64_t nm = nchords + kG - 1;
    std::int64_t x0 = 0;
    for (; x0 + kL <= nx; x0 += kL) {
        V a[kG][kVec] = {};
        if (need != nullptr) {
            bool any = false;
            for (int j = 0; j < kG && !any; ++j)
                any = any_needed(need + std::size_t(j) * need_stride + x0, kL);
            if (!any) {
                for (int j = 0; j < kG; ++j)
                    __builtin_memcpy(acc + std::size_t(j) * acc_stride + x0, a[j], sizeof a[j]);
                continue;
            }
        }
        for (std::int64_t m = 0; m < nm; ++m) {
            // The group's chords on prefix row m read the lines of its first live chord; fetch
            // those of the next blocks early (hundreds of row streams defeat the hardware
            // prefetcher).
            {
                const std::int64_t k0 = m < nchords ? m : nchords - 1;
                const std::int64_t j0 = m - k0;
                const Row& r0 = tables[std::size_t(j0) * std::size_t(nchords) + std::size_t(k0)];
                __builtin_prefetch(r0.hi + x0 + 2 * kL);
                __builtin_prefetch(r0.hi + x0 + 2 * kL + 64 / sizeof(T));
                __builtin_prefetch(r0.lo + x0 + 2 * kL);
                __builtin_prefetch(r0.lo + x0 + 2 * kL + 64 / sizeof(T));
            }
#pragma GCC unroll 8
            for (int j = 0; j < kG; ++j) {
                const std::int64_t k = m - j;
                if (k < 0 || k >= nchords) continue;
                const Row& r = tables[std::size_t(j) * std::size_t(nchords) + std::size_t(k)];
                const T* hi = r.hi + x0;
                const T* lo = r.lo + x0;
#pragma GCC unroll 4
                for (int i = 0; i < kVec; ++i) {
                    V h, l;
                    __builtin_memcpy(&h, hi + kPer * i, sizeof h);
                    __builtin_memcpy(&l, lo + kPer * i, sizeof l);
                    a[j][i] += h - l;
                }
            }
        }
        for (int j = 0; j < kG; ++j)
            __builtin_memcpy(acc + std::size_t(j) * acc_stride + x0, a[j], sizeof a[j]);
    }
    for (int j = 0; j < kG; ++j) {
        const Row* rows = tables + std::size_t(j) * std::size_t(nchords);
        for (std::int64_t x = x0; x < nx; ++x) {
            T s = 0;
            for (std::int64_t k = 0; k < nchords; ++k) s += T(rows[k].hi[x] - rows[k].lo[x]);
            acc[std::size_t(j) * acc_stride + x] = s;
        }
    }
}

using V8u = std::uint64_t __attribute__((vector_size(64)));
using V16i = std::int32_t __attribute__((vector_size(64)));

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_rows_u64(
    std::uint64_t* __restrict acc, std::size_t acc_stride, const ChordRow* tables,
    std::int64_t nchords, std::int64_t nx, const std::uint8_t* need, std::size_t need_stride) {
    accumulate_rows<std::uint64_t, V8u>(acc, acc_stride, tables, nchords, nx, need, need_stride);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_rows_i32(
    std::int32_t* __restrict acc, std::size_t acc_stride, const ChordRow32* tables,
    std::int64_t nchords, std::int64_t nx, const std::uint8_t* need, std::size_t need_stride) {
    accumulate_rows<std::int32_t, V16i>(acc, acc_stride, tables, nchords, nx, need, need_stride);
}

// One output row from an arbitrary list of chords (hi - lo, wrapping), 4 vectors of V per
// block: the disc decomposition's chords lie on unrelated rows and columns, so there is no row
// locality for accumulate_rows to exploit.
template <class T, class V, class Row>
__attribute__((always_inline)) inline void accumulate_flat(T* __restrict acc, const Row* rows,
                                                           std::int64_t nrows, std::int64_t nx,
                                                           const std::uint8_t* need) {
    constexpr int kPer = int(sizeof(V) / sizeof(T));
    constexpr int kVec = 4;
    constexpr std::int64_t kL = kPer * kVec;
    const auto block = [&](std::int64_t x0) {
        V a[kVec] = {};
        if (skip_block(need ? need + x0 : nullptr, kL)) {
            __builtin_memcpy(acc + x0, a, sizeof a);
            return;
        }
        for (std::int64_t k = 0; k < nrows; ++k) {
            const T* hi = rows[k].hi + x0;
            const T* lo = rows[k].lo + x0;
#pragma GCC unroll 4
            for (int i = 0; i < kVec; ++i) {
                V h, l;
                __builtin_memcpy(&h, hi + kPer * i, sizeof h);
                __builtin_memcpy(&l, lo + kPer * i, sizeof l);
                a[i] += h - l;
            }
        }
        __builtin_memcpy(acc + x0, a, sizeof a);
    };
    std::int64_t x0 = 0;
    for (; x0 + kL <= nx; x0 += kL) block(x0);
    if (x0 == nx) return;
    // The rest as one more block ending at nx (it overlaps the one before: the same lanes get
    // the same sums); scalar only for rows narrower than a block.
    if (nx >= kL) {
        block(nx - kL);
        return;
    }
    for (std::int64_t x = x0; x < nx; ++x) {
        T a = 0;
        for (std::int64_t k = 0; k < nrows; ++k) a += T(rows[k].hi[x] - rows[k].lo[x]);
        acc[x] = a;
    }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_flat_u64(
    std::uint64_t* __restrict acc, const ChordRow* rows, std::int64_t nrows, std::int64_t nx,
    const std::uint8_t* need) {
    accumulate_flat<std::uint64_t, V8u>(acc, rows, nrows, nx, need);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_flat_i32(
    std::int32_t* __restrict acc, const ChordRow32* rows, std::int64_t nrows, std::int64_t nx,
    const std::uint8_t* need) {
    accumulate_flat<std::int32_t, V16i>(acc, rows, nrows, nx, need);
}

// Narrow streams of the square decomposition (narrow_square): int32 sums and uint16 counts.
template <class T>
struct Chord {
    const T* hi;
    const T* lo;
};
using V16u = std::uint32_t __attribute__((vector_size(64)));
using V32h = std::uint16_t __attribute__((vector_size(64)));

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_flat_u16(
    std::uint16_t* __restrict acc, const Chord<std::uint16_t>* rows, std::int64_t nrows,
    std::int64_t nx, const std::uint8_t* need) {
    accumulate_flat<std::uint16_t, V32h>(acc, rows, nrows, nx, need);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void accumulate_flat_u32(
    std::uint32_t* __restrict acc, const Chord<std::uint32_t>* rows, std::int64_t nrows,
    std::int64_t nx, const std::uint8_t* need) {
    accumulate_flat<std::uint32_t, V16u>(acc, rows, nrows, nx, need);
}

// Window counts of one strip row in uint16 lanes (wrapping; exact below 2^16). The `box`
// chords give each cell a count that equals box_full where the cell needs no chords: the valid
// cells of its bounding square (box_full cells; all valid: the count is the window's nominal
// one) or of its centre cell alone (box_full 1; presence counts, where any nonzero count
// serves). A block of 32 such cells gets `cells` without reading its count chords.
__attribute__((target_clones("avx512f", "avx2", "default"))) void count_blocks_u16(
    std::uint16_t* __restrict acc, const Chord<std::uint16_t>* rows, std::int64_t nrows,
    const Chord<std::uint16_t>* box, std::int64_t nbox, std::uint16_t box_full, std::uint16_t cells,
    std::int64_t nx, const std::uint8_t* need) {
    constexpr std::int64_t kL = 32;
    V32h full, nominal;
    for (int i = 0; i < int(kL); ++i) {
        full[i] = box_full;
        nominal[i] = cells;
    }
    std::int64_t x0 = 0;
    for (; x0 + kL <= nx; x0 += kL) {
        V32h b = {};
        if (skip_block(need ? need + x0 : nullptr, kL)) {
            __builtin_memcpy(acc + x0, &b, sizeof b);
            continue;
        }
        for (std::int64_t k = 0; k < nbox; ++k) {
            V32h h, l;
            __builtin_memcpy(&h, box[k].hi + x0, sizeof h);
            __builtin_memcpy(&l, box[k].lo + x0, sizeof l);
            b += h - l;
        }
        const V32h d = b ^ full;
        std::uint64_t m[8];
        __builtin_memcpy(m, &d, sizeof m);
        if ((m[0] | m[1] | m[2] | m[3] | m[4] | m[5] | m[6] | m[7]) == 0) {
            __builtin_memcpy(acc + x0, &nominal, sizeof nominal);
            continue;
        }
        V32h a = {};
        for (std::int64_t k = 0; k < nrows; ++k) {
            V32h h, l;
            __builtin_memcpy(&h, rows[k].hi + x0, sizeof h);
            __builtin_memcpy(&l, rows[k].lo + x0, sizeof l);
            a += h - l;
        }
        __builtin_memcpy(acc + x0, &a, sizeof a);
    }
    for (std::int64_t x = x0; x < nx; ++x) {
        std::uint16_t b = 0;
        for (std::int64_t k = 0; k < nbox; ++k) b = std::uint16_t(b + box[k].hi[x] - box[k].lo[x]);
        if (b == box_full) {
            acc[x] = cells;
            continue;
        }
        std::uint16_t a = 0;
        for (std::int64_t k = 0; k < nrows; ++k)
            a = std::uint16_t(a + rows[k].hi[x] - rows[k].lo[x]);
        acc[x] = a;
    }
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void extend_rows_u16(
    const std::uint16_t* r, std::uint16_t* col, std::uint16_t* sat, const std::uint16_t* col_prev,
    const std::uint16_t* sat_prev, std::int64_t len);

// Extends the ring by prefix row r (entries 0..len, entry 0 zero) of a stream: the column
// prefix col[j] = col_prev[j] + cell j (cells j < len) and the 2-D running sum
// sat[i] = sat_prev[i] + r[i] (i <= len), both wrapping (integer: exact modulo 2^64, or for
// counts never beyond the tile's cell count); prev == nullptr starts the running sums.
template <class T>
__attribute__((always_inline)) inline void extend_rows(const T* __restrict r, T* __restrict col,
                                                       T* __restrict sat, const T* col_prev,
                                                       const T* sat_prev, std::int64_t len) {
    if (col_prev == nullptr) {
        for (std::int64_t j = 0; j < len; ++j) col[j] = T(r[j + 1] - r[j]);
        for (std::int64_t i = 0; i <= len; ++i) sat[i] = r[i];
        return;
    }
    for (std::int64_t j = 0; j < len; ++j) col[j] = T(col_prev[j] + T(r[j + 1] - r[j]));
    for (std::int64_t i = 0; i <= len; ++i) sat[i] = T(sat_prev[i] + r[i]);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void extend_rows_u64(
    const std::uint64_t* r, std::uint64_t* col, std::uint64_t* sat, const std::uint64_t* col_prev,
    const std::uint64_t* sat_prev, std::int64_t len) {
    extend_rows(r, col, sat, col_prev, sat_prev, len);
}

// Counts: non-negative and at most the tile's cells, computed in uint32 (no signed overflow).
__attribute__((target_clones("avx512f", "avx2", "default"))) void extend_rows_u32(
    const std::uint32_t* r, std::uint32_t* col, std::uint32_t* sat, const std::uint32_t* col_prev,
    const std::uint32_t* sat_prev, std::int64_t len) {
    extend_rows(r, col, sat, col_prev, sat_prev, len);
}

__attribute__((target_clones("avx512f", "avx2", "default"))) void extend_rows_u16(
    const std::uint16_t* r, std::uint16_t* col, std::uint16_t* sat, const std::uint16_t* col_prev,
    const std::uint16_t* sat_prev, std::int64_t len) {
    extend_rows(r, col, sat, col_prev, sat_prev, len);
}

// Half side of the disc decomposition's central square: the largest s < reach with (s, s) in
// the disc (the chord half-widths do not grow with |dy|, so every row |dy| <= s then covers
// |dx| <= s). Below the reach, so that the running sums' row py - s - 1 is in the ring (a disc
// holding its whole bounding square, 141.5 m on 100 m cells, keeps one cap row each side).
std::int64_t square_half_side(const CircularWindow& w) {
    std::int64_t s = 0;
    while (s + 1 < w.reach && w.outer_half[std::size_t(w.reach + s + 1)] >= s + 1) ++s;
    return s;
}

// Largest |cell value| for which every window sum fits the packed form: |sum| <= the value
// times the cells of the outer disc <= 2^31 - 1.
std::int64_t packed_value_limit(const CircularWindow& w) {
    std::int64_t cells = 0;
    for (const std::int32_t h : w.outer_half)
        if (h >= 0) cells += 2 * std::int64_t(h) + 1;
    constexpr std::int64_t kLimit = (std::int64_t(1) << 31) - 1;
    return kLimit / std::max<std::int64_t>(cells, 1);
}

// Known bound (max_abs >= 0) within the packed limit.
bool fits_packed(const RowPrefix& p, const CircularWindow& w) {
    return p.max_abs >= 0 && p.max_abs <= packed_value_limit(w);
}

// Per-thread scratch buffers of the streaming kernels, kept across calls: the rings and
// accumulators are written before they are read, so a call neither zero-fills them nor touches
// fresh pages (measured: zeroing and first-touch page faults of ~1.5 MB per thread and call
// took a third of a 5 km disc's time). Slot i of a thread serves the i-th buffer a call takes.
template <class T>
struct Scratch {
    T* ptr = nullptr;
    std::size_t n = 0;
    T* data() const { return ptr; }
    std::size_t size() const { return n; }
    T& operator[](std::size_t i) const { return ptr[i]; }
};

class ScratchPool {
  public:
    template <class T>
    Scratch<T> take(std::size_t n) {
        static_assert(std::is_trivially_destructible_v<T>);
        if (next_ == slots_.size()) slots_.emplace_back();
        Slot& s = slots_[next_++];
        const std::size_t bytes = n * sizeof(T);
        if (s.cap < bytes) {
            s.mem.reset(new std::max_align_t[(bytes + sizeof(std::max_align_t) - 1) /
                                             sizeof(std::max_align_t)]);
            s.cap = bytes;
        }
        return {reinterpret_cast<T*>(s.mem.get()), n};
    }
    // Starts a call: slots are handed out again from the first.
    static ScratchPool& for_call() {
        thread_local ScratchPool pool;
        pool.next_ = 0;
        return pool;
    }

  private:
    struct Slot {
        std::unique_ptr<std::max_align_t[]> mem;
        std::size_t cap = 0;
    };
    std::vector<Slot> slots_;
    std::size_t next_ = 0;
};

// acc[x] += sum of the chord |dx| <= wo (minus the hole |dx| <= wi) around column x.
template <class A, class P>
inline void add_chord(A* __restrict acc, const P* p, std::int64_t nx, std::int64_t wo,
                      std::int64_t wi) {
    const P* hi = p + wo + 1;
    const P* lo = p - wo;
    for (std::int64_t x = 0; x < nx; ++x) acc[x] += A(hi[x] - lo[x]);
    if (wi >= 0) {
        hi = p + wi + 1;
        lo = p - wi;
        for (std::int64_t x = 0; x < nx; ++x) acc[x] -= A(hi[x] - lo[x]);
    }
}

// o[x] = s[x] where cnt[x] != 0, else kNodataI32 (branch-free, vectorised), with streaming
// (non-temporal) stores: the output is written once and not read back by the kernel, and the
// row segments of a strip lie far apart, so ordinary stores waited on a read for ownership of
// every line (the store was half of the kernel loop's samples at 5 km). Callers fence
// (stream_fence) before the output is read.
__attribute__((target_clones("avx512f", "avx2", "default"))) void select_sums(
    std::int32_t* __restrict o, const std::int32_t* __restrict cnt,
    const std::int32_t* __restrict s, std::int64_t n) {
    // Both loads unconditional and a mask select: GCC does not if-convert the conditional
    // load of s[x] in `cnt[x] == 0 ? kNodataI32 : s[x]` (measured scalar and branchy).
    const V16i nodata = V16i{} + kNodataI32;
    const auto select = [&](std::int64_t x, V16i& r) {
        V16i c, v;
        __builtin_memcpy(&c, cnt + x, sizeof c);
        __builtin_memcpy(&v, s + x, sizeof v);
        const V16i keep = c != 0;  // all ones where kept
        r = (v & keep) | (nodata & ~keep);
    };
    if (n < 16) {
        for (std::int64_t x = 0; x < n; ++x) {
            const std::int32_t keep = -std::int32_t(cnt[x] != 0);
            o[x] = (s[x] & keep) | (kNodataI32 & ~keep);
        }
        return;
    }
    // Ordinary (unaligned) stores of the first and last vectors, streaming stores of the
    // 64-byte aligned vectors between them (the edges may overlap: same values).
    {
        V16i r;
        select(0, r);
        __builtin_memcpy(o, &r, sizeof r);
    }
    std::int64_t x = std::int64_t((64 - (reinterpret_cast<std::uintptr_t>(o) & 63)) & 63) /
                     std::int64_t(sizeof(std::int32_t));
    for (; x + 16 <= n; x += 16) {
        V16i r;
        select(x, r);
#if defined(__SSE2__)
        __m128i q[4];
        __builtin_memcpy(q, &r, sizeof q);
        for (int i = 0; i < 4; ++i) _mm_stream_si128(reinterpret_cast<__m128i*>(o + x) + i, q[i]);
#else
        __builtin_memcpy(o + x, &r, sizeof r);
#endif
    }
    {
        V16i r;
        select(n - 16, r);
        __builtin_memcpy(o + n - 16, &r, sizeof r);
    }
}

// Orders this thread's streaming stores before later loads and stores (e.g. another thread's
// read of the output after the parallel region).
inline void stream_fence() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_sfence();
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

// Streaming form of for_each_window_row: every thread takes one contiguous band of output
// rows and walks it once per column strip, keeping a ring of 2 * reach + 1 prefix rows of the
// strip (2 * reach + kRowBlock for row-blocked discs; plus the reach on both sides): each
// prefix row is built only for the rows and columns the thread needs. Stream forms, by what
// fits: packed (one uint64 stream count * 2^32 + sum, so a chord costs one subtraction for
// both; row-blocked discs), narrow (int32 sums and uint16 counts; one output row at a time) or
// separate count and 64-bit sum streams; a lazy bound (max_abs < 0) starts packed or narrow
// and switches a strip to separate streams where a window's rows exceed it. Large discs use
// the square decomposition (square_chords), whose rings also hold column prefixes and 2-D
// running sums.
// `presence`: the caller only tests the counts for zero (sums, shares and rates without a count
// output), so under narrow streams a block of cells whose centre cells are all valid gets a
// nonzero count (the window's nominal count) without reading its count chords; elsewhere the
// counts stay exact. Discs only (an annulus does not hold its centre cell).
template <int NV, class Fn>
void stream_window_rows(const RowPrefix& counts, const std::array<const RowPrefix*, NV>& vals,
                        const CircularWindow& w, bool presence, const CellMask& need, Fn&& fn) {
    const TileDesc& t = counts.tile;
    const std::int64_t nx = t.nx;
    const std::int64_t ny = t.ny;
    const std::int64_t reach = w.reach;
    const std::int64_t halo = t.halo;
    const bool annulus = w.is_annulus();
    presence = presence && !annulus;
    // Discs from square_min_reach on: central square + caps (square_half_side), one output row
    // at a time; each ring row then also holds the column prefix and the 2-D running sum.
    const bool square = !annulus && reach >= 1 && reach >= counts.square_min_reach;
    const std::int64_t half = square ? square_half_side(w) : 0;
    // Other discs take kRowBlock output rows at a time (accumulate_rows); the ring holds their
    // rows.
    const std::int64_t group =
        annulus || square || reach < counts.row_block_min_reach ? 1 : kRowBlock;
    const std::int64_t ring = 2 * reach + group;
    // Packed (or narrow) streams when every value stream's bound fits; a stream without a
    // known bound (max_abs < 0: lazy) starts packed and every row group checks the largest
    // |value| of its window's rows (kept per ring row), switching its column strip to
    // separate count and sum streams (rebuilding the ring) where the bound fails.
    bool packed = NV > 0;
    bool lazy = false;
    for (int v = 0; v < NV; ++v) {
        if (vals[std::size_t(v)]->max_abs < 0)
            lazy = true;
        else
            packed = packed && fits_packed(*vals[std::size_t(v)], w);
    }
    lazy = lazy && packed;
    const std::int64_t value_limit = packed_value_limit(w);
    const std::int64_t nchords = square    ? 2 + 4 * (reach - half)
                                 : annulus ? 2 * (2 * reach + 1)
                                           : 2 * reach + 1;
    // Narrow streams: int32 sums (exact: |window sum| < 2^31 as for packing) and uint16
    // counts (exact: the bounding square's (2 reach + 1)^2 cells stay below 2^16), for the
    // square decomposition and for row chords one output row at a time (annuli, small discs).
    const bool narrow = packed && counts.narrow_square && reach <= 127 && group == 1;
    // Shares and rates over an Int32 pair: both narrow streams from one pass over the two
    // sources (the count stream is the first prefix's, as in the separate fills).
    bool fused_pair = false;
    if constexpr (NV == 2)
        fused_pair = &counts == vals[0] && split_pair_fusable(*vals[0], *vals[1]);
    // Strip width: the ring of all streams within ~384 KiB, at least 256 columns (768 for the
    // square decomposition, whose rings are 3x larger: every strip rebuilds 2 * reach extra
    // columns of three streams, and at 5 km wider strips measured 10-15% faster than 256
    // although the ring then exceeds the L2 cache).
    const std::int64_t bytes_per_col =
        ring * (narrow ? NV * 4 + 2 : NV * 8 + (packed ? 0 : 4)) * (square ? 3 : 1);
    const std::int64_t min_strip = square ? 768 : 256;
    const std::int64_t strip = std::max<std::int64_t>(
        1, std::min(nx, counts.strip_cols > 0
                            ? counts.strip_cols
                            : std::max<std::int64_t>(min_strip,
                                                     (384 << 10) / bytes_per_col - 2 * reach)));
    const std::size_t stride = std::size_t(strip + 2 * reach) + 1;
#pragma omp parallel
    {
        int nt = 1, tid = 0;
#ifdef _OPENMP
        nt = omp_get_num_threads();
        tid = omp_get_thread_num();
#endif
        const std::int64_t y0 = ny * tid / nt;
        const std::int64_t y1 = ny * (tid + 1) / nt;
        if (y0 < y1 && nx > 0) {
            ScratchPool& pool = ScratchPool::for_call();
            auto buf64 = pool.take<std::uint64_t>(
                narrow && !lazy ? 0 : std::size_t(ring) * stride * std::size_t(NV));
            auto buf32 = pool.take<std::int32_t>(packed && !lazy ? 0 : std::size_t(ring) * stride);
            // Square decomposition: column prefixes and 2-D running sums, same layout.
            auto col64 = pool.take<std::uint64_t>(square ? buf64.size() : 0);
            auto sat64 = pool.take<std::uint64_t>(col64.size());
            auto col32 = pool.take<std::uint32_t>(square ? buf32.size() : 0);
            auto sat32 = pool.take<std::uint32_t>(col32.size());
            // Narrow streams: row prefixes, column prefixes and 2-D running sums of the sums
            // (per value stream) and of the counts.
            const std::size_t nsz = narrow ? std::size_t(ring) * stride : 0;
            auto nr32 = pool.take<std::uint32_t>(nsz * std::size_t(NV));
            auto nc32 = pool.take<std::uint32_t>(square ? nr32.size() : 0);
            auto ns32 = pool.take<std::uint32_t>(nc32.size());
            auto nr16 = pool.take<std::uint16_t>(nsz);
            // Presence counts under the square decomposition use row chords (only blocks with
            // a nodata centre read them), so the ring keeps no count column prefixes or 2-D
            // running sums.
            auto nc16 = pool.take<std::uint16_t>(square && !presence ? nsz : 0);
            auto ns16 = pool.take<std::uint16_t>(nc16.size());
            auto nacc = pool.take<std::uint32_t>(narrow ? std::size_t(NV) * std::size_t(strip) : 0);
            auto ncnt = pool.take<std::uint16_t>(narrow ? std::size_t(strip) : 0);
            auto nrows32 = pool.take<Chord<std::uint32_t>>(narrow ? std::size_t(nchords) : 0);
            auto nrows16 = pool.take<Chord<std::uint16_t>>(
                narrow ? std::size_t(std::max(nchords, 2 * reach + 1)) : 0);
            auto n32 = [&](Scratch<std::uint32_t>& b, int v, std::int64_t pr) {
                return b.data() +
                       (std::size_t(v) * std::size_t(ring) + std::size_t(pr % ring)) * stride;
            };
            auto n16 = [&](Scratch<std::uint16_t>& b, std::int64_t pr) {
                return b.data() + std::size_t(pr % ring) * stride;
            };
            // Accumulators: row j of a group at j * nv * strip, value stream v at + v * strip.
            const std::size_t nv = std::size_t(NV > 0 ? NV : 1);
            const std::size_t row_acc = nv * std::size_t(strip);
            auto acc = pool.take<std::uint64_t>(std::size_t(group) * row_acc);
            auto sums = pool.take<std::int32_t>(row_acc);
            auto cnt = pool.take<std::int32_t>(std::size_t(group) * std::size_t(strip));
            auto rows = pool.take<ChordRow>(std::size_t(group) * std::size_t(nchords));
            auto rows32 = pool.take<ChordRow32>(std::size_t(group) * std::size_t(nchords));
            auto slot64 = [&](int v, std::int64_t pr) {
                return buf64.data() +
                       (std::size_t(v) * std::size_t(ring) + std::size_t(pr % ring)) * stride;
            };
            auto slot32 = [&](std::int64_t pr) {
                return buf32.data() + std::size_t(pr % ring) * stride;
            };
            auto at64 = [&](Scratch<std::uint64_t>& b, int v, std::int64_t pr) {
                return b.data() +
                       (std::size_t(v) * std::size_t(ring) + std::size_t(pr % ring)) * stride;
            };
            auto at32 = [&](Scratch<std::uint32_t>& b, std::int64_t pr) {
                return b.data() + std::size_t(pr % ring) * stride;
            };
            for (std::int64_t xs = 0; xs < nx; xs += strip) {
                const std::int64_t xe = std::min(xs + strip, nx);
                const std::int64_t bw = xe - xs;
                // The mask row of output row y from column xs (nullptr: every cell needed).
                const auto mrow = [&](std::int64_t y) -> const std::uint8_t* {
                    const std::uint8_t* m = need.row(y, nx);
                    return m != nullptr ? m + xs : nullptr;
                };
                // Padded columns [c0, c1) cover the strip and the reach on both sides.
                const std::int64_t c0 = xs + halo - reach;
                const std::int64_t c1 = xe + halo + reach;
                // This strip's mode (a lazy bound may switch it to separate streams) and the
                // first row of the running sums (column prefixes, 2-D sums).
                bool pk = packed, nw = narrow;
                std::int64_t first_row = y0 + halo - reach;
                // Lazy bound: the last built row holding a |value| beyond the packed limit
                // (rows are built in order, so a window's rows hold one iff it is in them).
                std::int64_t last_bad = std::numeric_limits<std::int64_t>::min();
                auto most = [&](std::int64_t pr, std::int64_t m) {
                    if (m > value_limit) last_bad = pr;
                };
                auto build = [&](std::int64_t pr) {  // padded row index
                    if (nw) {
                        const bool start = pr == first_row;
                        if constexpr (NV == 2)
                            if (fused_pair) {
                                const auto [ma, mb] = fill_split_pair_row(
                                    *vals[0], *vals[1], pr, c0, c1, n32(nr32, 0, pr),
                                    n32(nr32, 1, pr), n16(nr16, pr));
                                if (lazy) most(pr, std::max(ma, mb));
                            }
                        for (int v = 0; v < NV; ++v) {
                            if (!fused_pair) {
                                const std::int64_t m = fill_split_row(
                                    *vals[std::size_t(v)], pr, c0, c1, n32(nr32, v, pr),
                                    v == 0 ? n16(nr16, pr) : nullptr);
                                if (lazy) most(pr, m);
                            }
                            if (square)
                                extend_rows_u32(n32(nr32, v, pr), n32(nc32, v, pr),
                                                n32(ns32, v, pr),
                                                start ? nullptr : n32(nc32, v, pr - 1),
                                                start ? nullptr : n32(ns32, v, pr - 1), c1 - c0);
                        }
                        if (square && !presence)
                            extend_rows_u16(n16(nr16, pr), n16(nc16, pr), n16(ns16, pr),
                                            start ? nullptr : n16(nc16, pr - 1),
                                            start ? nullptr : n16(ns16, pr - 1), c1 - c0);
                        return;
                    }
                    if (pk) {
                        for (int v = 0; v < NV; ++v) {
                            const std::int64_t m =
                                fill_packed_row(*vals[std::size_t(v)], pr, c0, c1, slot64(v, pr));
                            if (lazy) most(pr, m);
                        }
                    } else {
                        if (NV == 0) fill_prefix_row(counts, pr, c0, c1, slot32(pr), nullptr);
                        for (int v = 0; v < NV; ++v)
                            fill_prefix_row(*vals[std::size_t(v)], pr, c0, c1, slot32(pr),
                                            slot64(v, pr));
                    }
                    if (!square) return;
                    const bool start = pr == first_row;
                    for (int v = 0; v < NV; ++v)
                        extend_rows_u64(slot64(v, pr), at64(col64, v, pr), at64(sat64, v, pr),
                                        start ? nullptr : at64(col64, v, pr - 1),
                                        start ? nullptr : at64(sat64, v, pr - 1), c1 - c0);
                    if (!pk)
                        extend_rows_u32(reinterpret_cast<const std::uint32_t*>(slot32(pr)),
                                        at32(col32, pr), at32(sat32, pr),
                                        start ? nullptr : at32(col32, pr - 1),
                                        start ? nullptr : at32(sat32, pr - 1), c1 - c0);
                };
                // Chord table of output row y under the square decomposition: the central
                // square |dx|, |dy| <= half as two differences of 2-D running sums, the rows
                // half < |dy| <= reach as row chords, and the columns half < |dx| <= reach
                // over rows |dy| <= min(half, w(dx)) as column chords (the disc is symmetric
                // in dx and dy, so the column's half-height is the chord table's w(dx)).
                // Entry `reach` of a prefix row is interior column xs; column prefix entry
                // `reach` is the cell of interior column xs.
                auto square_chords = [&](std::int64_t y, auto row, auto col, auto sat,
                                         auto* out_rows) {
                    std::int64_t k = 0;
                    const std::int64_t py = y + halo;
                    const auto* sa = sat(py + half) + reach;
                    const auto* sb = sat(py - half - 1) + reach;
                    out_rows[std::size_t(k++)] = {sa + half + 1, sa - half};
                    out_rows[std::size_t(k++)] = {sb - half, sb + half + 1};
                    for (std::int64_t d = half + 1; d <= reach; ++d) {
                        const std::int64_t wo = w.outer_half[std::size_t(d + reach)];
                        for (const std::int64_t dy : {-d, d}) {
                            const auto* p = row(py + dy) + reach;
                            out_rows[std::size_t(k++)] = {p + wo + 1, p - wo};
                        }
                        const std::int64_t h =
                            std::min<std::int64_t>(half, w.outer_half[std::size_t(d + reach)]);
                        const auto* chi = col(py + h) + reach;
                        const auto* clo = col(py - h - 1) + reach;
                        for (const std::int64_t dx : {-d, d})
                            out_rows[std::size_t(k++)] = {chi + dx, clo + dx};
                    }
                    return k;
                };
                // Chord tables for output row y: entry k covers one row offset; annuli add the
                // holes with hi and lo swapped (subtracted). Entry `reach` of a prefix row is
                // interior column xs.
                auto chords = [&](std::int64_t y, auto get, auto* out_rows) {
                    std::int64_t k = 0;
                    for (std::int64_t dy = -reach; dy <= reach; ++dy) {
                        const auto* p = get(y + halo + dy) + reach;
                        const std::int64_t wo = w.outer_half[std::size_t(dy + reach)];
                        out_rows[std::size_t(k++)] = {p + wo + 1, p - wo};
                        if (annulus) {
                            const std::int64_t wi = w.inner_half[std::size_t(dy + reach)];
                            if (wi >= 0) out_rows[std::size_t(k++)] = {p - wi, p + wi + 1};
                        }
                    }
                    return k;
                };
                // Narrow counts of output row y by row chords (ncnt); with `skip`, a block whose
                // centre cells are all valid takes the window's nominal count (nonzero) without
                // reading its chords (presence counts).
                const auto row16 = [&](std::int64_t pr) -> const std::uint16_t* {
                    return n16(nr16, pr);
                };
                const auto row_chord_counts = [&](std::int64_t y, bool skip) {
                    const std::int64_t k = chords(y, row16, nrows16.data());
                    if (!skip) {
                        accumulate_flat_u16(ncnt.data(), nrows16.data(), k, bw, mrow(y));
                        return;
                    }
                    const std::uint16_t* pc = n16(nr16, y + halo) + reach;
                    const Chord<std::uint16_t> centre[1] = {{pc + 1, pc}};
                    count_blocks_u16(ncnt.data(), nrows16.data(), k, centre, 1, 1,
                                     std::uint16_t(w.cells), bw, mrow(y));
                };
                // Padded rows y0 + halo - reach .. y1 + halo + reach - 1.
                std::int64_t next = y0 + halo - reach;
                for (std::int64_t y = y0; y < y1;) {
                    // A full group of rows through accumulate_rows, else one row at a time.
                    const std::int64_t g = y + group <= y1 ? group : 1;
                    for (; next <= y + g - 1 + halo + reach; ++next) build(next);
                    if (lazy && pk) {
                        if (last_bad >=
                            y + halo - reach) {  // separate streams from here to the strip's end
                            pk = nw = false;
                            first_row = y + halo - reach;
                            for (std::int64_t pr = first_row; pr < next; ++pr) build(pr);
                        }
                    }
                    // Rows of the group without a needed cell in this strip: nothing to
                    // accumulate or write (the ring is built all the same).
                    if (!need.all()) {
                        bool any = false;
                        for (std::int64_t j = 0; j < g && !any; ++j)
                            any = any_needed(mrow(y + j), bw);
                        if (!any) {
                            y += g;
                            continue;
                        }
                    }
                    if (nw && !square) {  // row chords in narrow streams
                        for (int v = 0; v < NV; ++v) {
                            const std::int64_t k = chords(
                                y,
                                [&](std::int64_t pr) -> const std::uint32_t* {
                                    return n32(nr32, v, pr);
                                },
                                nrows32.data());
                            accumulate_flat_u32(nacc.data() + std::size_t(v) * std::size_t(strip),
                                                nrows32.data(), k, bw, mrow(y));
                        }
                        row_chord_counts(y, presence);
                    } else if (nw) {
                        for (int v = 0; v < NV; ++v) {
                            const std::int64_t k = square_chords(
                                y,
                                [&](std::int64_t pr) -> const std::uint32_t* {
                                    return n32(nr32, v, pr);
                                },
                                [&](std::int64_t pr) -> const std::uint32_t* {
                                    return n32(nc32, v, pr);
                                },
                                [&](std::int64_t pr) -> const std::uint32_t* {
                                    return n32(ns32, v, pr);
                                },
                                nrows32.data());
                            accumulate_flat_u32(nacc.data() + std::size_t(v) * std::size_t(strip),
                                                nrows32.data(), k, bw, mrow(y));
                        }
                        const std::int64_t py = y + halo;
                        if (presence) {  // blocks with a nodata centre count by row chords
                            row_chord_counts(y, true);
                        } else {
                            const std::int64_t k = square_chords(
                                y, row16,
                                [&](std::int64_t pr) -> const std::uint16_t* {
                                    return n16(nc16, pr);
                                },
                                [&](std::int64_t pr) -> const std::uint16_t* {
                                    return n16(ns16, pr);
                                },
                                nrows16.data());
                            // Bounding square rows py - reach .. py + reach: the 2-D running
                            // sums of rows (py - reach, py + reach] plus row py - reach's chord.
                            const std::uint16_t* sa = n16(ns16, py + reach) + reach;
                            const std::uint16_t* sb = n16(ns16, py - reach) + reach;
                            const std::uint16_t* rr = n16(nr16, py - reach) + reach;
                            const Chord<std::uint16_t> box[3] = {{sa + reach + 1, sa - reach},
                                                                 {sb - reach, sb + reach + 1},
                                                                 {rr + reach + 1, rr - reach}};
                            const std::int64_t side = 2 * reach + 1;
                            count_blocks_u16(ncnt.data(), nrows16.data(), k, box, 3,
                                             std::uint16_t(side * side), std::uint16_t(w.cells), bw,
                                             mrow(y));
                        }
                    } else if (square) {
                        for (int v = 0; v < NV; ++v) {
                            const std::int64_t k = square_chords(
                                y,
                                [&](std::int64_t pr) -> const std::uint64_t* {
                                    return slot64(v, pr);
                                },
                                [&](std::int64_t pr) -> const std::uint64_t* {
                                    return at64(col64, v, pr);
                                },
                                [&](std::int64_t pr) -> const std::uint64_t* {
                                    return at64(sat64, v, pr);
                                },
                                rows.data());
                            accumulate_flat_u64(acc.data() + std::size_t(v) * std::size_t(strip),
                                                rows.data(), k, bw, mrow(y));
                        }
                        if (!pk) {
                            // Counts: uint32 ring rows read as int32 (values below 2^31).
                            const std::int64_t k = square_chords(
                                y,
                                [&](std::int64_t pr) -> const std::int32_t* { return slot32(pr); },
                                [&](std::int64_t pr) -> const std::int32_t* {
                                    return reinterpret_cast<const std::int32_t*>(at32(col32, pr));
                                },
                                [&](std::int64_t pr) -> const std::int32_t* {
                                    return reinterpret_cast<const std::int32_t*>(at32(sat32, pr));
                                },
                                rows32.data());
                            accumulate_flat_i32(cnt.data(), rows32.data(), k, bw, mrow(y));
                        }
                    }
                    for (int v = 0; v < NV && !square && !nw; ++v) {
                        std::int64_t k = 0;
                        for (std::int64_t j = 0; j < g; ++j)
                            k = chords(
                                y + j,
                                [&](std::int64_t pr) -> const std::uint64_t* {
                                    return slot64(v, pr);
                                },
                                rows.data() + std::size_t(j) * std::size_t(nchords));
                        std::uint64_t* a = acc.data() + std::size_t(v) * std::size_t(strip);
                        if (g == kRowBlock)
                            accumulate_rows_u64(a, row_acc, rows.data(), k, bw, mrow(y),
                                                std::size_t(nx));
                        else
                            accumulate_u64(a, rows.data(), k, bw, mrow(y));
                    }
                    if (!pk && !square) {
                        std::int64_t k = 0;
                        for (std::int64_t j = 0; j < g; ++j)
                            k = chords(
                                y + j,
                                [&](std::int64_t pr) -> const std::int32_t* { return slot32(pr); },
                                rows32.data() + std::size_t(j) * std::size_t(nchords));
                        if (g == kRowBlock)
                            accumulate_rows_i32(cnt.data(), std::size_t(strip), rows32.data(), k,
                                                bw, mrow(y), std::size_t(nx));
                        else
                            accumulate_i32(cnt.data(), rows32.data(), k, bw, mrow(y));
                    }
                    for (std::int64_t j = 0; j < g; ++j) {
                        const std::uint64_t* aj = acc.data() + std::size_t(j) * row_acc;
                        std::int32_t* cj = cnt.data() + std::size_t(j) * std::size_t(strip);
                        // Hand over the runs of 32-cell blocks that hold a needed cell (the
                        // whole segment without a mask): the other cells are not written.
                        for_each_needed_run(
                            mrow(y + j), bw, kLanes, [&](std::int64_t a, std::int64_t e) {
                                const std::size_t o = std::size_t(a);
                                const std::size_t second = std::size_t(strip) * (NV > 1 ? 1 : 0);
                                if (!pk) {
                                    fn(y + j, xs + a, xs + e, cj + o, aj + o, aj + second + o);
                                } else if (nw) {  // g == 1; the sums as exact int32
                                    for (std::int64_t x = a; x < e; ++x)
                                        cj[x] = ncnt[std::size_t(x)];
                                    const auto* s32 =
                                        reinterpret_cast<const std::int32_t*>(nacc.data());
                                    fn(y, xs + a, xs + e, cj + o, s32 + o, s32 + second + o);
                                } else {
                                    // Decode count * 2^32 + sum with |sum| < 2^31: the sum is the
                                    // low half as an exact int32.
                                    for (int v = 0; v < NV; ++v) {
                                        const std::uint64_t* av =
                                            aj + std::size_t(v) * std::size_t(strip);
                                        std::int32_t* sv =
                                            sums.data() + std::size_t(v) * std::size_t(strip);
                                        for (std::int64_t x = a; x < e; ++x) {
                                            const std::int32_t lo =
                                                std::int32_t(std::uint32_t(av[x]));
                                            sv[x] = lo;
                                            if (v == 0)
                                                cj[x] = std::int32_t(
                                                    (av[x] - std::uint64_t(std::int64_t(lo))) >>
                                                    32);
                                        }
                                    }
                                    const auto* s32 = static_cast<const std::int32_t*>(sums.data());
                                    fn(y + j, xs + a, xs + e, cj + o, s32 + o, s32 + second + o);
                                }
                            });
                    }
                    y += g;
                }
            }
        }
        stream_fence();  // `fn` may have written the output with streaming stores
    }
}

// Runs the chord accumulation for every interior row and hands each finished row segment to
// `fn` (row, first column x0, end column x1, counts, sums of value prefix 0, sums of value
// prefix 1; the arrays start at column x0). Sums are wrapping uint64 that
// the caller reinterprets as int64 (exact, see row_prefix.hpp), or exact int32 from the narrow
// square decomposition: `fn` takes both (as_i64 converts either). `presence`: `fn` only tests
// the counts for zero, so they may be any nonzero value where the window holds a valid cell
// (see stream_window_rows); exact otherwise.
template <int NV, class Fn>
void for_each_window_row(const RowPrefix& counts, const std::array<const RowPrefix*, NV>& vals,
                         const CircularWindow& w, bool presence, Fn&& fn,
                         const CellMask& need = {}) {
    if (counts.streaming()) {
        stream_window_rows<NV>(counts, vals, w, presence, need, std::forward<Fn>(fn));
        return;
    }
    const std::int64_t nx = counts.tile.nx;
    const std::int64_t ny = counts.tile.ny;
    const std::int64_t reach = w.reach;
#pragma omp parallel
    {
        std::vector<std::int32_t> cnt(static_cast<std::size_t>(nx));
        std::vector<std::uint64_t> acc(std::size_t(nx) * (NV > 0 ? NV : 1));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < ny; ++y) {
            std::fill(cnt.begin(), cnt.end(), 0);
            std::fill(acc.begin(), acc.end(), 0);
            for (std::int64_t dy = -reach; dy <= reach; ++dy) {
                const std::int64_t wo = w.outer_half[std::size_t(dy + reach)];
                const std::int64_t wi = w.inner_half[std::size_t(dy + reach)];
                add_chord(cnt.data(), counts.count_row(y + dy), nx, wo, wi);
                for (int v = 0; v < NV; ++v)
                    add_chord(acc.data() + std::size_t(v) * std::size_t(nx),
                              vals[std::size_t(v)]->sum_row(y + dy), nx, wo, wi);
            }
            fn(y, std::int64_t(0), nx, cnt.data(), acc.data(),
               acc.data() + std::size_t(nx) * (NV > 1 ? 1 : 0));
        }
    }
}

inline std::int64_t as_i64(std::uint64_t v) {
    return static_cast<std::int64_t>(v);
}
// Narrow sums (square decomposition, see stream_window_rows) are exact int32 already.
inline std::int64_t as_i64(std::int32_t v) {
    return v;
}

// Copies the counts of columns [x0, x1) of row y (cnt[0] is column x0).
void write_count(std::span<std::int32_t> out_count, std::int64_t y, std::int64_t nx,
                 std::int64_t x0, std::int64_t x1, const std::int32_t* cnt) {
    if (out_count.empty()) return;
    std::copy(cnt, cnt + (x1 - x0),
              out_count.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0));
}

template <class Ratio>
void ratio_kernel(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                  std::span<double> out, std::span<std::int32_t> out_count, const char* kernel,
                  Ratio ratio, const CellMask& need) {
    check_prefix(a, w, kernel, true);
    check_prefix(b, w, kernel, true);
    const TileDesc& t = a.tile;
    if (b.tile.nx != t.nx || b.tile.ny != t.ny || b.tile.halo != t.halo)
        throw std::invalid_argument(std::string(kernel) +
                                    ": the two prefixes cover different tiles");
    if (a.frac_bits != b.frac_bits)
        throw std::invalid_argument(std::string(kernel) +
                                    ": the two prefixes use different fixed-point scales");
    check_interior_span(t, out.size(), kernel, "output");
    check_interior_span(t, out_count.size(), kernel, "count output", true);
    check_mask(t, need, kernel);
    const std::int64_t nx = t.nx;
    for_each_window_row<2>(
        a, {&a, &b}, w, out_count.empty(),
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* sa, const auto* sb) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            for (std::int64_t x = 0; x < x1 - x0; ++x) {
                const std::int64_t den = as_i64(sb[x]);
                o[x] = (cnt[x] == 0 || den == 0) ? kNodataF64
                                                 : ratio(double(as_i64(sa[x])), double(den));
            }
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
}

// Extremum over valid cells of a disc, van Herk / Gil-Werman per chord.
template <class T, bool kMin>
void extremum_kernel(const TileDesc& tile, std::span<const T> in, const CircularWindow& w,
                     std::span<T> out, std::span<std::int32_t> out_count, const char* kernel) {
    check_window(tile, w, kernel);
    if (w.is_annulus())
        throw std::invalid_argument(std::string(kernel) + ": annulus windows are not supported");
    check_padded_span(tile, in.size(), kernel, "input");
    check_interior_span(tile, out.size(), kernel, "output");
    check_interior_span(tile, out_count.size(), kernel, "count output", true);
    const RowPrefix counts = build_count_prefix<T>(tile, in);

    // Nodata becomes the identity of the extremum; -0.0f becomes +0.0f so that ties resolve to
    // the same bits whatever the block alignment (which depends on the tile's origin).
    constexpr T kIdentity = [] {
        if constexpr (std::is_same_v<T, float>)
            return kMin ? std::numeric_limits<float>::infinity()
                        : -std::numeric_limits<float>::infinity();
        else
            return kMin ? std::numeric_limits<T>::max() : std::numeric_limits<T>::min();
    }();
    const auto map = [](T v) -> T {
        if (is_nodata(v)) return kIdentity;
        if constexpr (std::is_same_v<T, float>) {
            if (v == 0.0f) return 0.0f;
        }
        return v;
    };
    const auto pick = [](T a, T b) -> T {
        if constexpr (kMin)
            return b < a ? b : a;
        else
            return a < b ? b : a;
    };
    const T nodata = [] {
        if constexpr (std::is_same_v<T, float>)
            return std::numeric_limits<float>::quiet_NaN();
        else
            return kNodataI32;
    }();

    const std::int64_t nx = tile.nx;
    const std::int64_t ny = tile.ny;
    const std::int64_t pnx = tile.padded_nx();
    const std::int64_t reach = w.reach;
#pragma omp parallel
    {
        std::vector<T> g(static_cast<std::size_t>(nx + 2 * reach + 1));
        std::vector<T> h(g.size());
        std::vector<T> best(static_cast<std::size_t>(nx));
        std::vector<std::int32_t> cnt(static_cast<std::size_t>(nx));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < ny; ++y) {
            std::fill(best.begin(), best.end(), kIdentity);
            std::fill(cnt.begin(), cnt.end(), 0);
            for (std::int64_t dy = -reach; dy <= reach; ++dy) {
                const std::int64_t wo = w.outer_half[std::size_t(dy + reach)];
                add_chord(cnt.data(), counts.count_row(y + dy), nx, wo, std::int64_t(-1));
                const T* row = in.data() + std::size_t(y + dy + tile.halo) * std::size_t(pnx) +
                               std::size_t(tile.halo);
                if (wo == 0) {
                    for (std::int64_t x = 0; x < nx; ++x) best[x] = pick(best[x], map(row[x]));
                    continue;
                }
                const T* s = row - wo;  // segment of nx + 2 wo cells
                const std::int64_t len = nx + 2 * wo;
                const std::int64_t k = 2 * wo + 1;
                for (std::int64_t b = 0; b < len; b += k) {
                    const std::int64_t e = std::min(b + k, len);
                    g[b] = map(s[b]);
                    for (std::int64_t i = b + 1; i < e; ++i) g[i] = pick(g[i - 1], map(s[i]));
                    h[e - 1] = map(s[e - 1]);
                    for (std::int64_t i = e - 2; i >= b; --i) h[i] = pick(h[i + 1], map(s[i]));
                }
                for (std::int64_t x = 0; x < nx; ++x)
                    best[x] = pick(best[x], pick(h[x], g[x + k - 1]));
            }
            T* o = out.data() + std::size_t(y) * std::size_t(nx);
            for (std::int64_t x = 0; x < nx; ++x) o[x] = cnt[x] == 0 ? nodata : best[x];
            write_count(out_count, y, nx, 0, nx, cnt.data());
        }
    }
}

}  // namespace

void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<std::int64_t> out,
                  std::span<std::int32_t> out_count, const CellMask& need) {
    const char* kernel = "circular sum";
    check_prefix(p, w, kernel, true);
    if (p.frac_bits != 0)
        throw std::invalid_argument(
            "circular sum: int64 output needs an exact int32 prefix; use the double overload");
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    check_mask(p.tile, need, kernel);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w, out_count.empty(),
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* s, const auto*) {
            std::int64_t* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            for (std::int64_t x = 0; x < x1 - x0; ++x)
                o[x] = cnt[x] == 0 ? kNodataI64 : as_i64(s[x]);
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
}

void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<std::int32_t> out,
                  std::span<std::int32_t> out_count, const CellMask& need) {
    const char* kernel = "circular sum";
    check_prefix(p, w, kernel, true);
    if (p.frac_bits != 0)
        throw std::invalid_argument(
            "circular sum: Int32 output needs an exact int32 prefix; use the double overload");
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    check_mask(p.tile, need, kernel);
    const std::int64_t nx = p.tile.nx;
    std::atomic<bool> overflow{false};
    for_each_window_row<1>(
        p, {&p}, w, out_count.empty(),
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* s, const auto*) {
            std::int32_t* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            if constexpr (std::is_same_v<std::remove_cvref_t<decltype(*s)>, std::int32_t>) {
                // Narrow sums: exact, and |sum| < 2^31 (the packing bound), never kNodataI32.
                select_sums(o, cnt, s, x1 - x0);
                write_count(out_count, y, nx, x0, x1, cnt);
                return;
            }
            // v fits (kNodataI32, 2^31) iff u = v + 2^31 (wrapping) is in [1, 2^32 - 1], i.e.
            // u - 1 < 2^32 - 1 (wrapping): branch-free, so the loop vectorises.
            std::uint64_t bad = 0;
            for (std::int64_t x = 0; x < x1 - x0; ++x) {
                const std::uint64_t u = s[x] + 0x80000000u;
                bad |= std::uint64_t(cnt[x] != 0) & std::uint64_t(u - 1 >= 0xFFFFFFFFu);
                o[x] = cnt[x] == 0 ? kNodataI32 : std::int32_t(std::uint32_t(s[x]));
            }
            if (bad != 0) overflow.store(true, std::memory_order_relaxed);
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
    if (overflow.load())
        throw std::overflow_error(
            "circular sum: a window sum is beyond the Int32 range; use the int64 overload");
}

void circular_sum(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                  std::span<std::int32_t> out_count, const CellMask& need) {
    const char* kernel = "circular sum";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    check_mask(p.tile, need, kernel);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w, out_count.empty(),
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* s, const auto*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            for (std::int64_t x = 0; x < x1 - x0; ++x)
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x]));
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
}

void circular_count(const RowPrefix& p, const CircularWindow& w, std::span<std::int32_t> out) {
    const char* kernel = "circular count";
    check_prefix(p, w, kernel, false);
    check_interior_span(p.tile, out.size(), kernel, "output");
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<0>(
        p, {}, w, false,
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt, const auto*,
            const auto*) { write_count(out, y, nx, x0, x1, cnt); });
}

void circular_mean(const RowPrefix& p, const CircularWindow& w, std::span<double> out,
                   std::span<std::int32_t> out_count, const CellMask& need) {
    const char* kernel = "circular mean";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    check_mask(p.tile, need, kernel);
    const std::int64_t nx = p.tile.nx;
    for_each_window_row<1>(
        p, {&p}, w, false,
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* s, const auto*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            for (std::int64_t x = 0; x < x1 - x0; ++x)
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x])) / double(cnt[x]);
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
}

void circular_density(const RowPrefix& p, const CircularWindow& w, DensityArea area,
                      std::span<double> out, std::span<std::int32_t> out_count,
                      const CellMask& need) {
    const char* kernel = "circular density";
    check_prefix(p, w, kernel, true);
    check_interior_span(p.tile, out.size(), kernel, "output");
    check_interior_span(p.tile, out_count.size(), kernel, "count output", true);
    check_mask(p.tile, need, kernel);
    const std::int64_t nx = p.tile.nx;
    const double cell_km2 = p.tile.cell_size * p.tile.cell_size / 1e6;
    const double nominal_km2 = double(w.cells) * cell_km2;
    for_each_window_row<1>(
        p, {&p}, w, area == DensityArea::kNominal && out_count.empty(),
        [&](std::int64_t y, std::int64_t x0, std::int64_t x1, const std::int32_t* cnt,
            const auto* s, const auto*) {
            double* o = out.data() + std::size_t(y) * std::size_t(nx) + std::size_t(x0);
            for (std::int64_t x = 0; x < x1 - x0; ++x) {
                const double km2 =
                    area == DensityArea::kValid ? double(cnt[x]) * cell_km2 : nominal_km2;
                o[x] = cnt[x] == 0 ? kNodataF64 : p.to_value(as_i64(s[x])) / km2;
            }
            write_count(out_count, y, nx, x0, x1, cnt);
        },
        need);
}

void circular_share(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                    std::span<double> out, std::span<std::int32_t> out_count,
                    const CellMask& need) {
    ratio_kernel(
        a, b, w, out, out_count, "circular share", [](double num, double den) { return num / den; },
        need);
}

void circular_rate(const RowPrefix& a, const RowPrefix& b, const CircularWindow& w,
                   std::span<double> out, std::span<std::int32_t> out_count, const CellMask& need) {
    ratio_kernel(
        a, b, w, out, out_count, "circular rate",
        [](double num, double den) { return 1000.0 * num / den; }, need);
}

void circular_min(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count) {
    extremum_kernel<std::int32_t, true>(tile, in, w, out, out_count, "circular min");
}
void circular_min(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count) {
    extremum_kernel<float, true>(tile, in, w, out, out_count, "circular min");
}
void circular_max(const TileDesc& tile, std::span<const std::int32_t> in, const CircularWindow& w,
                  std::span<std::int32_t> out, std::span<std::int32_t> out_count) {
    extremum_kernel<std::int32_t, false>(tile, in, w, out, out_count, "circular max");
}
void circular_max(const TileDesc& tile, std::span<const float> in, const CircularWindow& w,
                  std::span<float> out, std::span<std::int32_t> out_count) {
    extremum_kernel<float, false>(tile, in, w, out, out_count, "circular max");
}

}  // namespace leefbaar::kernels
