#include "kernels/square.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "kernels/checks.hpp"

namespace leefbaar::kernels {

namespace {

// Summed-area tables over the interior grown by k: entry (r, c) sums rows < r, columns < c.
struct Sat {
    std::int64_t k = 0;
    std::size_t stride = 0;
    std::vector<std::uint64_t> sum;
    std::vector<std::uint32_t> count;
};

template <class T>
Sat build_sat(const TileDesc& t, std::span<const T> in, std::int64_t k, int frac_bits,
              const char* kernel) {
    Sat s;
    s.k = k;
    const std::int64_t w = t.nx + 2 * k;
    const std::int64_t h = t.ny + 2 * k;
    s.stride = std::size_t(w + 1);
    s.sum.assign(s.stride * std::size_t(h + 1), 0);
    s.count.assign(s.stride * std::size_t(h + 1), 0);
    const std::int64_t pnx = t.padded_nx();
    bool ok = true;
    // Row pass: prefix sums along each row (rows are independent).
#pragma omp parallel for schedule(static) reduction(&& : ok)
    for (std::int64_t r = 0; r < h; ++r) {
        const T* src =
            in.data() + std::size_t(r - k + t.halo) * std::size_t(pnx) + std::size_t(t.halo - k);
        std::uint64_t* ps = s.sum.data() + std::size_t(r + 1) * s.stride;
        std::uint32_t* pc = s.count.data() + std::size_t(r + 1) * s.stride;
        std::uint64_t run_s = 0;
        std::uint32_t run_c = 0;
        for (std::int64_t c = 0; c < w; ++c) {
            const T v = src[c];
            if (!is_nodata(v)) {
                ++run_c;
                if constexpr (std::is_same_v<T, float>) {
                    const double q = std::ldexp(double(v), frac_bits);
                    if (!(std::fabs(q) <= double(kMaxFixedMagnitude)))
                        ok = false;
                    else
                        run_s += std::uint64_t(std::llrint(q));
                } else {
                    run_s += std::uint64_t(std::int64_t(v));
                }
            }
            ps[c + 1] = run_s;
            pc[c + 1] = run_c;
        }
    }
    if (!ok) {
        if constexpr (std::is_same_v<T, float>) {
            for (const float v : in)
                if (!is_nodata(v)) (void)to_fixed_point(v, frac_bits);  // throws with the value
        }
        throw std::invalid_argument(std::string(kernel) + ": fixed-point range exceeded");
    }
    // Column pass: accumulate rows downwards, parallel over blocks of columns.
    constexpr std::int64_t kBlock = 256;
    const std::int64_t nblocks = (w + 1 + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
    for (std::int64_t b = 0; b < nblocks; ++b) {
        const std::int64_t c0 = b * kBlock;
        const std::int64_t c1 = std::min(c0 + kBlock, w + 1);
        for (std::int64_t r = 1; r <= h; ++r) {
            std::uint64_t* ps = s.sum.data() + std::size_t(r) * s.stride;
            const std::uint64_t* qs = ps - s.stride;
            std::uint32_t* pc = s.count.data() + std::size_t(r) * s.stride;
            const std::uint32_t* qc = pc - s.stride;
            for (std::int64_t c = c0; c < c1; ++c) {
                ps[c] += qs[c];
                pc[c] += qc[c];
            }
        }
    }
    return s;
}

// Calls fn(index, sum, count) for every interior cell.
template <class Fn>
void for_each_square(const TileDesc& t, const Sat& s, Fn&& fn) {
    const std::int64_t k = s.k;
    const std::size_t span_rows = std::size_t(2 * k + 1) * s.stride;
    const std::int64_t span_cols = 2 * k + 1;
#pragma omp parallel for schedule(static)
    for (std::int64_t y = 0; y < t.ny; ++y) {
        // Window rows y .. y + 2k of the SAT region, columns x .. x + 2k.
        const std::uint64_t* top = s.sum.data() + std::size_t(y) * s.stride;
        const std::uint64_t* bot = top + span_rows;
        const std::uint32_t* ctop = s.count.data() + std::size_t(y) * s.stride;
        const std::uint32_t* cbot = ctop + span_rows;
        for (std::int64_t x = 0; x < t.nx; ++x) {
            const std::uint64_t sum = bot[x + span_cols] - bot[x] - top[x + span_cols] + top[x];
            const std::uint32_t cnt = cbot[x + span_cols] - cbot[x] - ctop[x + span_cols] + ctop[x];
            fn(std::size_t(y) * std::size_t(t.nx) + std::size_t(x), std::int64_t(sum),
               std::int32_t(cnt));
        }
    }
}

template <class T>
Sat prepare(const TileDesc& t, std::span<const T> in, std::int64_t k, std::size_t out_size,
            std::size_t count_size, int frac_bits, const char* kernel) {
    check_tile(t, kernel);
    if (k < 0)
        throw std::invalid_argument(std::string(kernel) + ": half width " + std::to_string(k) +
                                    " cells must be >= 0");
    check_reach(t, k, kernel, "square half width " + std::to_string(k));
    check_padded_span(t, in.size(), kernel, "input");
    check_interior_span(t, out_size, kernel, "output");
    check_interior_span(t, count_size, kernel, "count output", true);
    if (frac_bits < 0 || frac_bits > 30)
        throw std::invalid_argument(std::string(kernel) + ": fixed-point frac_bits " +
                                    std::to_string(frac_bits) + " must be in [0, 30]");
    return build_sat<T>(t, in, k, frac_bits, kernel);
}

}  // namespace

void square_sum(const TileDesc& tile, std::span<const std::int32_t> in, std::int64_t half_cells,
                std::span<std::int64_t> out, std::span<std::int32_t> out_count) {
    const Sat s = prepare(tile, in, half_cells, out.size(), out_count.size(), 0, "square sum");
    for_each_square(tile, s, [&](std::size_t i, std::int64_t sum, std::int32_t cnt) {
        out[i] = cnt == 0 ? kNodataI64 : sum;
        if (!out_count.empty()) out_count[i] = cnt;
    });
}

void square_sum(const TileDesc& tile, std::span<const float> in, std::int64_t half_cells,
                std::span<double> out, std::span<std::int32_t> out_count, int frac_bits) {
    const Sat s =
        prepare(tile, in, half_cells, out.size(), out_count.size(), frac_bits, "square sum");
    for_each_square(tile, s, [&](std::size_t i, std::int64_t sum, std::int32_t cnt) {
        out[i] = cnt == 0 ? kNodataF64 : std::ldexp(double(sum), -frac_bits);
        if (!out_count.empty()) out_count[i] = cnt;
    });
}

void square_mean(const TileDesc& tile, std::span<const std::int32_t> in, std::int64_t half_cells,
                 std::span<double> out, std::span<std::int32_t> out_count) {
    const Sat s = prepare(tile, in, half_cells, out.size(), out_count.size(), 0, "square mean");
    for_each_square(tile, s, [&](std::size_t i, std::int64_t sum, std::int32_t cnt) {
        out[i] = cnt == 0 ? kNodataF64 : double(sum) / double(cnt);
        if (!out_count.empty()) out_count[i] = cnt;
    });
}

void square_mean(const TileDesc& tile, std::span<const float> in, std::int64_t half_cells,
                 std::span<double> out, std::span<std::int32_t> out_count, int frac_bits) {
    const Sat s =
        prepare(tile, in, half_cells, out.size(), out_count.size(), frac_bits, "square mean");
    for_each_square(tile, s, [&](std::size_t i, std::int64_t sum, std::int32_t cnt) {
        out[i] = cnt == 0 ? kNodataF64 : std::ldexp(double(sum), -frac_bits) / double(cnt);
        if (!out_count.empty()) out_count[i] = cnt;
    });
}

}  // namespace leefbaar::kernels
