#include "kernels/edt.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/checks.hpp"
#include "kernels/circle.hpp"

namespace leefbaar::kernels {

namespace {

// floor(a / b) for b > 0.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

constexpr std::int64_t kNoFeature = -1;

// Squared distances for the interior (kNoFeature where the padded tile holds no feature).
void edt_squared(const TileDesc& t, std::span<const std::int32_t> in, std::span<std::int64_t> d2) {
    if (t.interior_size() == 0) return;
    const std::int64_t pnx = t.padded_nx();
    const std::int64_t pny = t.padded_ny();
    const std::int64_t inf = pnx + pny;  // exceeds any in-tile distance along a column
    std::vector<std::int32_t> g(t.padded_size());

    // Phase 1: distance to the nearest feature in the same column, both directions; columns
    // are processed in blocks so that every row access is contiguous.
    constexpr std::int64_t kBlock = 256;
    const std::int64_t nblocks = (pnx + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
    for (std::int64_t b = 0; b < nblocks; ++b) {
        const std::int64_t c0 = b * kBlock;
        const std::int64_t c1 = std::min(c0 + kBlock, pnx);
        for (std::int64_t r = 0; r < pny; ++r) {
            const std::int32_t* src = in.data() + std::size_t(r) * std::size_t(pnx);
            std::int32_t* gr = g.data() + std::size_t(r) * std::size_t(pnx);
            const std::int32_t* up = r == 0 ? gr : gr - pnx;
            for (std::int64_t c = c0; c < c1; ++c) {
                const bool feature = src[c] != 0 && !is_nodata(src[c]);
                const std::int32_t above = r == 0 ? std::int32_t(inf) : up[c] + 1;
                gr[c] = feature ? 0 : std::min(above, std::int32_t(inf));
            }
        }
        for (std::int64_t r = pny - 2; r >= 0; --r) {
            std::int32_t* gr = g.data() + std::size_t(r) * std::size_t(pnx);
            const std::int32_t* down = gr + pnx;
            for (std::int64_t c = c0; c < c1; ++c) gr[c] = std::min(gr[c], down[c] + 1);
        }
    }

    // Phase 2: lower envelope of the parabolas (x - i)^2 + g(i)^2 along each interior row.
    const std::int64_t inf2 = inf * inf;
#pragma omp parallel
    {
        std::vector<std::int64_t> s(static_cast<std::size_t>(pnx));
        std::vector<std::int64_t> tt(static_cast<std::size_t>(pnx));
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < t.ny; ++y) {
            const std::int32_t* gr = g.data() + std::size_t(y + t.halo) * std::size_t(pnx);
            const auto f = [gr](std::int64_t x, std::int64_t i) {
                const std::int64_t gi = gr[i];
                return (x - i) * (x - i) + gi * gi;
            };
            const auto sep = [gr](std::int64_t i, std::int64_t u) {
                const std::int64_t gi = gr[i];
                const std::int64_t gu = gr[u];
                return floor_div(u * u - i * i + gu * gu - gi * gi, 2 * (u - i));
            };
            std::int64_t q = 0;
            s[0] = 0;
            tt[0] = 0;
            for (std::int64_t u = 1; u < pnx; ++u) {
                while (q >= 0 && f(tt[q], s[q]) > f(tt[q], u)) --q;
                if (q < 0) {
                    q = 0;
                    s[0] = u;
                } else {
                    const std::int64_t w = 1 + sep(s[q], u);
                    if (w < pnx) {
                        ++q;
                        s[q] = u;
                        tt[q] = w;
                    }
                }
            }
            std::int64_t* out = d2.data() + std::size_t(y) * std::size_t(t.nx);
            for (std::int64_t u = pnx - 1; u >= 0; --u) {
                const std::int64_t v = f(u, s[q]);
                const std::int64_t x = u - t.halo;
                if (x >= 0 && x < t.nx) out[x] = v >= inf2 ? kNoFeature : v;
                if (u == tt[q]) --q;
            }
        }
    }
}

struct CapLimit {
    bool active = false;
    std::int64_t max_n = 0;  // largest n with n * cell^2 <= cap^2
};

CapLimit prepare(const TileDesc& t, std::span<const std::int32_t> in, std::size_t out_size,
                 const DistanceCap& cap, const char* kernel) {
    check_tile(t, kernel);
    check_padded_span(t, in.size(), kernel, "input");
    check_interior_span(t, out_size, kernel, "output");
    CapLimit lim;
    if (cap.cap_m) {
        check_radius(*cap.cap_m, kernel, "cap");
        check_reach(t, window_reach(*cap.cap_m, t.cell_size), kernel,
                    "cap " + format_number(*cap.cap_m) + " m");
        lim.active = true;
        lim.max_n = max_squared_cells_within(*cap.cap_m, t.cell_size);
    }
    return lim;
}

}  // namespace

void squared_distance_to_nonzero(const TileDesc& tile, std::span<const std::int32_t> in,
                                 std::span<std::int64_t> out, const DistanceCap& cap) {
    const CapLimit lim = prepare(tile, in, out.size(), cap, "distance transform");
    edt_squared(tile, in, out);
#pragma omp parallel for schedule(static)
    for (std::int64_t y = 0; y < tile.ny; ++y) {
        for (std::int64_t x = 0; x < tile.nx; ++x) {
            std::int64_t& v = out[tile.interior_index(x, y)];
            if (is_nodata(in[tile.padded_index(x, y)])) {
                v = kNodataI64;
            } else if (v == kNoFeature || (lim.active && v > lim.max_n)) {
                v = (lim.active && cap.beyond == CapPolicy::kClamp) ? lim.max_n : kNodataI64;
            }
        }
    }
}

void distance_to_nonzero(const TileDesc& tile, std::span<const std::int32_t> in,
                         std::span<double> out, const DistanceCap& cap) {
    const CapLimit lim = prepare(tile, in, out.size(), cap, "distance transform");
    std::vector<std::int64_t> d2(tile.interior_size());
    edt_squared(tile, in, d2);
    const double cell = tile.cell_size;
    const double clamp = lim.active ? *cap.cap_m : kNodataF64;
#pragma omp parallel for schedule(static)
    for (std::int64_t y = 0; y < tile.ny; ++y) {
        for (std::int64_t x = 0; x < tile.nx; ++x) {
            const std::size_t i = tile.interior_index(x, y);
            const std::int64_t v = d2[i];
            if (is_nodata(in[tile.padded_index(x, y)])) {
                out[i] = kNodataF64;
            } else if (v == kNoFeature || (lim.active && v > lim.max_n)) {
                out[i] = cap.beyond == CapPolicy::kClamp ? clamp : kNodataF64;
            } else {
                // v <= max_n means d <= cap exactly; keep rounding from overshooting the cap.
                const double d = std::sqrt(double(v)) * cell;
                out[i] = lim.active ? std::min(d, *cap.cap_m) : d;
            }
        }
    }
}

}  // namespace leefbaar::kernels
