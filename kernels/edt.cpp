#include "kernels/edt.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/checks.hpp"
#include "kernels/circle.hpp"

namespace leefbaar::kernels {

namespace {

constexpr std::int64_t kNoFeature = -1;

// Column pass: g[r][c] = distance to the nearest feature in the same column (capped at inf),
// both directions, in blocks of columns so that every row access is contiguous. Each thread
// first-touches the columns it owns.
template <class I>
void column_pass(const TileDesc& t, std::span<const std::int32_t> in, I* __restrict g, I inf) {
    const std::int64_t pnx = t.padded_nx();
    const std::int64_t pny = t.padded_ny();
    constexpr std::int64_t kBlock = 512;
    const std::int64_t nblocks = (pnx + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(static)
    for (std::int64_t b = 0; b < nblocks; ++b) {
        const std::int64_t c0 = b * kBlock;
        const std::int64_t c1 = std::min(c0 + kBlock, pnx);
        for (std::int64_t r = 0; r < pny; ++r) {
            const std::int32_t* src = in.data() + std::size_t(r) * std::size_t(pnx);
            I* gr = g + std::size_t(r) * std::size_t(pnx);
            const I* up = r == 0 ? nullptr : gr - pnx;
            for (std::int64_t c = c0; c < c1; ++c) {
                const bool feature = src[c] != 0 && !is_nodata(src[c]);
                const I above = up == nullptr ? inf : std::min<I>(I(up[c] + 1), inf);
                gr[c] = feature ? I(0) : above;
            }
        }
        for (std::int64_t r = pny - 2; r >= 0; --r) {
            I* gr = g + std::size_t(r) * std::size_t(pnx);
            const I* down = gr + pnx;
            for (std::int64_t c = c0; c < c1; ++c) gr[c] = std::min<I>(gr[c], I(down[c] + 1));
        }
    }
}

// Row pass: lower envelope of the parabolas (x - i)^2 + g(i)^2 along one row (Meijster), in
// integer type I (int32 whenever (pnx + pny)^2 + pnx^2 fits, which halves the memory traffic
// and uses the cheaper 32-bit division). Writes the squared distance of every padded column
// into d2 (values >= inf^2 mean "no feature in the tile").
template <class I, class G>
void row_envelope(const G* gr, std::int64_t pnx, I* h, I* s, I* tt, I* d2) {
    for (std::int64_t i = 0; i < pnx; ++i) h[i] = I(gr[i]) * I(gr[i]);
    I q = 0;
    s[0] = 0;
    tt[0] = 0;
    const I n = I(pnx);
    for (I u = 1; u < n; ++u) {
        const I hu = h[u];
        while (q >= 0) {
            const I a = tt[q] - s[q];
            const I b = tt[q] - u;
            if (a * a + h[s[q]] <= b * b + hu) break;
            --q;
        }
        if (q < 0) {
            q = 0;
            s[0] = u;
        } else {
            const I i = s[q];
            // 1 + floor((u^2 - i^2 + g(u)^2 - g(i)^2) / (2 (u - i))), numerator may be < 0.
            const I num = (u - i) * (u + i) + hu - h[i];
            const I den = 2 * (u - i);
            I w = num / den;
            if (num % den != 0 && num < 0) --w;
            w += 1;
            if (w < n) {
                ++q;
                s[q] = u;
                tt[q] = w;
            }
        }
    }
    for (I u = n - 1; u >= 0; --u) {
        const I a = u - s[q];
        d2[u] = a * a + h[s[q]];
        if (u == tt[q]) --q;
    }
}

// Squared distances of the interior, handed row by row to emit(y, d2 of padded columns, inf^2).
// The column distances g are stored as G: uint16 whenever pnx + pny fits (half the memory
// traffic and page faults of int32), else as I.
template <class I, class G, class Emit>
void edt_rows(const TileDesc& t, std::span<const std::int32_t> in, Emit&& emit) {
    if (t.interior_size() == 0) return;
    const std::int64_t pnx = t.padded_nx();
    const std::int64_t pny = t.padded_ny();
    const I inf = I(pnx + pny);                      // exceeds any in-tile distance along a column
    std::unique_ptr<G[]> g(new G[t.padded_size()]);  // first touched by column_pass
    column_pass<G>(t, in, g.get(), G(inf));
    const std::int64_t inf2 = std::int64_t(inf) * std::int64_t(inf);
#pragma omp parallel
    {
        std::vector<I> h(static_cast<std::size_t>(pnx)), s(h.size()), tt(h.size()), d2(h.size());
#pragma omp for schedule(static)
        for (std::int64_t y = 0; y < t.ny; ++y) {
            const G* gr = g.get() + std::size_t(y + t.halo) * std::size_t(pnx);
            row_envelope<I, G>(gr, pnx, h.data(), s.data(), tt.data(), d2.data());
            emit(y, d2.data() + t.halo, inf2);
        }
    }
}

// Dispatches on the narrowest exact integer type.
template <class Emit>
void edt_dispatch(const TileDesc& t, std::span<const std::int32_t> in, Emit&& emit) {
    const std::int64_t pnx = t.padded_nx();
    const std::int64_t inf = pnx + t.padded_ny();
    // Largest value formed: (pnx)^2 + inf^2 (and the separator numerator, smaller).
    const bool small = inf < 65535;
    if (pnx * pnx + inf * inf + 2 * pnx * pnx < (std::int64_t(1) << 31) - 1) {
        if (small)
            edt_rows<std::int32_t, std::uint16_t>(t, in, emit);
        else
            edt_rows<std::int32_t, std::int32_t>(t, in, emit);
    } else if (small) {
        edt_rows<std::int64_t, std::uint16_t>(t, in, emit);
    } else {
        edt_rows<std::int64_t, std::int64_t>(t, in, emit);
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
    const std::int64_t nx = tile.nx;
    edt_dispatch(tile, in, [&](std::int64_t y, const auto* d2, std::int64_t inf2) {
        const std::int32_t* src = in.data() + tile.padded_index(0, y);
        std::int64_t* o = out.data() + tile.interior_index(0, y);
        for (std::int64_t x = 0; x < nx; ++x) {
            std::int64_t v = std::int64_t(d2[x]);
            if (v >= inf2) v = kNoFeature;
            if (is_nodata(src[x])) {
                v = kNodataI64;
            } else if (v == kNoFeature || (lim.active && v > lim.max_n)) {
                v = (lim.active && cap.beyond == CapPolicy::kClamp) ? lim.max_n : kNodataI64;
            }
            o[x] = v;
        }
    });
}

void distance_to_nonzero(const TileDesc& tile, std::span<const std::int32_t> in,
                         std::span<double> out, const DistanceCap& cap) {
    const CapLimit lim = prepare(tile, in, out.size(), cap, "distance transform");
    const double cell = tile.cell_size;
    const double clamp = lim.active ? *cap.cap_m : kNodataF64;
    const std::int64_t nx = tile.nx;
    edt_dispatch(tile, in, [&](std::int64_t y, const auto* d2, std::int64_t inf2) {
        const std::int32_t* src = in.data() + tile.padded_index(0, y);
        double* o = out.data() + tile.interior_index(0, y);
        for (std::int64_t x = 0; x < nx; ++x) {
            const std::int64_t v = std::int64_t(d2[x]);
            if (is_nodata(src[x])) {
                o[x] = kNodataF64;
            } else if (v >= inf2 || (lim.active && v > lim.max_n)) {
                o[x] = cap.beyond == CapPolicy::kClamp ? clamp : kNodataF64;
            } else {
                // v <= max_n means d <= cap exactly; keep rounding from overshooting the cap.
                const double d = std::sqrt(double(v)) * cell;
                o[x] = lim.active ? std::min(d, *cap.cap_m) : d;
            }
        }
    });
}

}  // namespace leefbaar::kernels
