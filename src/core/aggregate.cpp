#include "core/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "core/simd.hpp"

namespace leefbaar {

void YearZoneStats::resize(std::size_t z, std::size_t d, std::size_t c) {
    zones = z;
    dims = d;
    classes = c;
    band_top.clear();
    dim_ids.clear();
    total_res_class.clear();
    total_cells_class.clear();
    residents.assign(z, 0);
    dwellings.assign(z, 0);
    cells.assign(z, 0);
    wsum_dev.assign(z, 0);
    wsum_dim.assign(z * d, 0);
    res_class.assign(z * c, 0);
    cells_class.assign(z * c, 0);
}

namespace {
template <class T>
void add_to(std::vector<T>& a, const std::vector<T>& b) {
    for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
}
}  // namespace

void YearZoneStats::resize_compact(std::size_t z, std::vector<int> dims_kept,
                                   std::vector<int> tops) {
    if (tops.empty())
        throw Error("aggregate", "internal: a compact layout needs at least one class band");
    for (std::size_t b = 0; b < tops.size(); ++b)
        if (tops[b] < 1 || (b > 0 && tops[b] <= tops[b - 1]))
            throw Error("aggregate", "internal: class band tops must be increasing and >= 1");
    for (std::size_t d = 1; d < dims_kept.size(); ++d)
        if (dims_kept[d] <= dims_kept[d - 1])
            throw Error("aggregate", "internal: kept dimensions must be increasing");
    resize(z, dims_kept.size(), tops.size());
    total_res_class.assign(std::size_t(tops.back()), 0);
    total_cells_class.assign(std::size_t(tops.back()), 0);
    band_top = std::move(tops);
    dim_ids = std::move(dims_kept);
}

void YearZoneStats::add(const YearZoneStats& o) {
    if (band_top != o.band_top || dim_ids != o.dim_ids)
        throw Error("aggregate", "internal: adding statistics of different layouts");
    add_to(total_res_class, o.total_res_class);
    add_to(total_cells_class, o.total_cells_class);
    add_to(residents, o.residents);
    add_to(dwellings, o.dwellings);
    add_to(cells, o.cells);
    add_to(wsum_dev, o.wsum_dev);
    add_to(wsum_dim, o.wsum_dim);
    add_to(res_class, o.res_class);
    add_to(cells_class, o.cells_class);
}

std::size_t YearZoneStats::dim_slot(std::size_t d) const {
    if (dim_ids.empty()) return d;
    const auto it = std::find(dim_ids.begin(), dim_ids.end(), int(d));
    if (it == dim_ids.end())
        throw Error("aggregate", "internal: dimension " + std::to_string(d) +
                                     " is not kept in these statistics");
    return std::size_t(it - dim_ids.begin());
}

YearZoneStats::ClassSpan YearZoneStats::class_span(int lo, int hi) const {
    if (!banded()) {
        const int a = std::max(lo, 1), b = std::min(hi, int(classes));
        return a > b ? ClassSpan{0, 0} : ClassSpan{std::size_t(a - 1), std::size_t(b)};
    }
    const int a = std::max(lo, 1), b = std::min(hi, band_top.back());
    std::size_t first = band_top.size(), last = 0;
    int start = 1;
    for (std::size_t k = 0; k < band_top.size(); start = band_top[k] + 1, ++k) {
        const int top = band_top[k];
        if (top < a || start > b) continue;  // outside the range
        if (start < a || top > b)
            throw Error("aggregate", "internal: classes " + std::to_string(lo) + ".." +
                                         std::to_string(hi) + " cut the class band " +
                                         std::to_string(start) + ".." + std::to_string(top));
        first = std::min(first, k);
        last = k + 1;
    }
    return first < last ? ClassSpan{first, last} : ClassSpan{0, 0};
}

std::int64_t YearZoneStats::residents_in_classes(std::size_t z, int lo, int hi) const {
    return residents_in(z, class_span(lo, hi));
}
std::int64_t YearZoneStats::cells_in_classes(std::size_t z, int lo, int hi) const {
    return cells_in(z, class_span(lo, hi));
}

YearZoneStats compact(const YearZoneStats& full, const std::vector<int>& dims_kept,
                      const std::vector<int>& tops) {
    if (full.banded() || !full.dim_ids.empty())
        throw Error("aggregate", "internal: compact() takes full statistics");
    if (tops.empty() || std::size_t(tops.back()) != full.classes)
        throw Error("aggregate", "internal: the last class band must end at the last class");
    YearZoneStats c;
    c.resize_compact(full.zones, dims_kept, tops);
    c.residents = full.residents;
    c.dwellings = full.dwellings;
    c.cells = full.cells;
    c.wsum_dev = full.wsum_dev;
    const std::size_t nc = full.classes, nb = tops.size(), nk = dims_kept.size();
    for (std::size_t z = 0; z < full.zones; ++z) {
        for (std::size_t k = 0; k < nk; ++k)
            c.wsum_dim[z * nk + k] = full.wsum_dim[z * full.dims + std::size_t(dims_kept[k])];
        std::size_t b = 0;
        for (std::size_t cl = 0; cl < nc; ++cl) {
            while (int(cl) + 1 > tops[b]) ++b;
            c.res_class[z * nb + b] += full.res_class[z * nc + cl];
            c.cells_class[z * nb + b] += full.cells_class[z * nc + cl];
            c.total_res_class[cl] += full.res_class[z * nc + cl];
            c.total_cells_class[cl] += full.cells_class[z * nc + cl];
        }
    }
    return c;
}

void PeriodZoneStats::resize(std::size_t z, std::size_t d, std::size_t i) {
    zones = z;
    dims = d;
    indicators = i;
    residents.assign(z, 0);
    cells.assign(z, 0);
    wsum_delta.assign(z, 0);
    wsum_ddim.assign(z * d, 0);
    wsum_dind.assign(z * i, 0);
}

void PeriodZoneStats::add(const PeriodZoneStats& o) {
    add_to(residents, o.residents);
    add_to(cells, o.cells);
    add_to(wsum_delta, o.wsum_delta);
    add_to(wsum_ddim, o.wsum_ddim);
    add_to(wsum_dind, o.wsum_dind);
}

double PeriodZoneStats::mean_delta(std::size_t z) const {
    return wide_mean_fixed(wsum_delta[z], residents[z]);
}
double PeriodZoneStats::mean_ddim(std::size_t z, std::size_t d) const {
    return wide_mean_fixed(wsum_ddim[z * dims + d], residents[z]);
}
double PeriodZoneStats::mean_dind(std::size_t z, std::size_t i) const {
    return wide_mean_fixed(wsum_dind[z * indicators + i], residents[z]);
}

void accumulate_year(YearZoneStats& s, std::span<const std::int32_t> zone,
                     std::span<const std::int32_t> residents,
                     std::span<const std::int32_t> dwellings,
                     std::span<const std::int64_t> deviation,
                     std::span<const std::int64_t> dimension, std::span<const std::uint8_t> cls) {
    const std::size_t nd = s.dims, nc = s.classes;
    for (std::size_t c = 0; c < zone.size(); ++c) {
        const std::int32_t z = zone[c];
        if (z < 0) continue;
        const auto zi = std::size_t(z);
        const std::int64_t r = residents[c];
        s.residents[zi] += r;
        s.dwellings[zi] += dwellings[c];
        s.cells[zi] += 1;
        s.wsum_dev[zi] += Wide(r) * deviation[c];
        for (std::size_t d = 0; d < nd; ++d)
            s.wsum_dim[zi * nd + d] += Wide(r) * dimension[c * nd + d];
        const int k = int(cls[c]);
        if (k >= 1 && std::size_t(k) <= nc) {
            s.res_class[zi * nc + std::size_t(k - 1)] += r;
            s.cells_class[zi * nc + std::size_t(k - 1)] += 1;
        }
    }
}

namespace {

// Zone index (ids - 1; -1 = none or outside the raster's padded window) of each cell of a list
// of increasing cell ids: the raster row is looked up once per grid row.
void cell_zones(std::span<const std::int64_t> cells, const Raster<std::int32_t>& ids,
                std::int64_t nx, std::int32_t* zone) {
    const Window padded = ids.padded();
    std::int64_t row_first = 0;          // id of the current row's first cell
    const std::int32_t* zrow = nullptr;  // its zone ids from column padded.col0; null: outside
    bool row_set = false;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        const std::int64_t c = cells[i];
        if (!row_set || c < row_first || c - row_first >= nx) {
            const std::int64_t row = c / nx;
            row_first = row * nx;
            zrow = row >= padded.row0 && row < padded.row1() ? &ids.at(padded.col0, row) : nullptr;
            row_set = true;
        }
        const std::int64_t col = c - row_first;
        zone[i] =
            zrow && col >= padded.col0 && col < padded.col1() ? zrow[col - padded.col0] - 1 : -1;
    }
}

// The cells scored in both years of a period: positions in the earlier (a) and later (b) year,
// and the zone of each pair (-1 = none). Buffers of at least min(|ca|, |cb|) entries; returns
// the number of pairs.
std::size_t match_cells(std::span<const std::int64_t> ca, std::span<const std::int64_t> cb,
                        const std::int32_t* zone_b, std::uint32_t* a, std::uint32_t* b,
                        std::int32_t* zone) {
    std::size_t i = 0, j = 0, n = 0;
    while (i < ca.size() && j < cb.size()) {
        if (ca[i] < cb[j]) {
            ++i;
        } else if (cb[j] < ca[i]) {
            ++j;
        } else {
            a[n] = std::uint32_t(i);
            b[n] = std::uint32_t(j);
            zone[n++] = zone_b[j];
            ++i;
            ++j;
        }
    }
    return n;
}

// The matched cell pairs of a period.
struct Pairs {
    const std::uint32_t *a, *b;
    const std::int32_t* zone;
    std::size_t n;
};

// Whether the residents' absolute values sum below 2^31; their sum in *abs_sum.
bool residents_small(std::span<const std::int32_t> r, std::int64_t* abs_sum) {
    std::int64_t sum = 0;
    for (const auto v : r) sum += v < 0 ? -std::int64_t(v) : std::int64_t(v);
    *abs_sum = sum;
    return sum < (std::int64_t(1) << 31);
}

// The lane paths of a year and a period (nd <= 5). The values of an item are put in the eight
// int64 lanes of a zone's sums, multiplied by the residents lane by lane (64-bit products) and
// added (in one AVX-512 vector where the CPU has it, else as eight scalars):
//   year:   lanes 0..nd-1 dimension scores, nd the deviation, 6 the constant 1 (so residents),
//           7 the dwellings (multiplied by 1);
//   period: lanes 0..nd-1 the changes of the dimension scores, nd of the deviation, 6 the
//           constant 1, times the residents of the later year.
// Exact when every product and sum fits an int64: the caller passes the sum R of |residents|,
// the largest |value| of lanes 0..nd is tracked, and the result is used only when R * max|v|
// < 2^63 (and R < 2^31), else the 128-bit path is taken. Returns the largest |value| (as an
// unsigned magnitude). Products and sums wrap (unsigned arithmetic) until that test.
constexpr std::size_t kLanes = 8, kLaneOne = 6, kLaneDwellings = 7;

inline std::uint64_t magnitude(std::int64_t v) {
    return v < 0 ? std::uint64_t(0) - std::uint64_t(v) : std::uint64_t(v);
}
// a += r v, wrapping.
inline void add_product(std::int64_t& a, std::int64_t r, std::int64_t v) {
    a = std::int64_t(std::uint64_t(a) + std::uint64_t(r) * std::uint64_t(v));
}

template <std::size_t ND>
std::uint64_t year_sums_lanes(const std::int32_t* zone, const YearCellsView& y, std::size_t nc,
                              std::int64_t* acc, std::int64_t* cells, std::int64_t* res_class,
                              std::int64_t* cells_class, std::int64_t* unassigned_residents,
                              std::int64_t* unassigned_cells) {
    std::uint64_t vmax = 0;
    const std::int64_t* dim = y.dimension.data();
    const std::size_t n = y.cell.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t r = y.residents[i];
        if (zone[i] < 0) {
            *unassigned_residents += r;
            *unassigned_cells += 1;
            continue;
        }
        const auto zi = std::size_t(zone[i]);
        std::int64_t* a = acc + zi * kLanes;
        for (std::size_t d = 0; d < ND; ++d) {
            const std::int64_t v = dim[i * ND + d];
            vmax = std::max(vmax, magnitude(v));
            add_product(a[d], r, v);
        }
        vmax = std::max(vmax, magnitude(y.deviation[i]));
        add_product(a[ND], r, y.deviation[i]);
        a[kLaneOne] += r;
        a[kLaneDwellings] += y.dwellings[i];
        cells[zi] += 1;
        const std::size_t cl = y.cls[i];
        if (cl >= 1 && cl <= nc) {
            res_class[zi * nc + cl - 1] += r;
            cells_class[zi * nc + cl - 1] += 1;
        }
    }
    return vmax;
}

template <std::size_t ND>
std::uint64_t period_sums_lanes(const Pairs& pr, const YearCellsView& A, const YearCellsView& B,
                                std::size_t nc, std::int64_t* acc, std::int64_t* cells,
                                std::int64_t* class_acc, std::int64_t* class_cells) {
    std::uint64_t vmax = 0;
    for (std::size_t m = 0; m < pr.n; ++m) {
        const std::size_t i = pr.a[m], j = pr.b[m];
        const std::int64_t r = B.residents[j];
        std::int64_t v[ND + 1];
        for (std::size_t d = 0; d < ND; ++d)
            v[d] = std::int64_t(std::uint64_t(B.dimension[j * ND + d]) -
                                std::uint64_t(A.dimension[i * ND + d]));
        v[ND] = std::int64_t(std::uint64_t(B.deviation[j]) - std::uint64_t(A.deviation[i]));
        for (std::size_t d = 0; d <= ND; ++d) vmax = std::max(vmax, magnitude(v[d]));
        if (class_acc) {  // by the class of the earlier year (national)
            const std::size_t q = A.cls[i];
            if (q >= 1 && q <= nc) {
                std::int64_t* c = class_acc + (q - 1) * kLanes;
                for (std::size_t d = 0; d <= ND; ++d) add_product(c[d], r, v[d]);
                c[kLaneOne] += r;
                class_cells[q - 1] += 1;
            }
        }
        if (pr.zone[m] < 0) continue;
        const auto zi = std::size_t(pr.zone[m]);
        std::int64_t* a = acc + zi * kLanes;
        for (std::size_t d = 0; d <= ND; ++d) add_product(a[d], r, v[d]);
        a[kLaneOne] += r;
        cells[zi] += 1;
    }
    return vmax;
}

using YearSumsFn = std::uint64_t (*)(const std::int32_t*, const YearCellsView&, std::size_t,
                                     std::int64_t*, std::int64_t*, std::int64_t*, std::int64_t*,
                                     std::int64_t*, std::int64_t*);
using PeriodSumsFn = std::uint64_t (*)(const Pairs&, const YearCellsView&, const YearCellsView&,
                                       std::size_t, std::int64_t*, std::int64_t*, std::int64_t*,
                                       std::int64_t*);
// The portable lane functions for nd = 1..5 (null for 0 or more than 5).
YearSumsFn year_sums_for(std::size_t nd) {
    constexpr YearSumsFn f[] = {nullptr,
                                &year_sums_lanes<1>,
                                &year_sums_lanes<2>,
                                &year_sums_lanes<3>,
                                &year_sums_lanes<4>,
                                &year_sums_lanes<5>};
    return nd < 6 ? f[nd] : nullptr;
}
PeriodSumsFn period_sums_for(std::size_t nd) {
    constexpr PeriodSumsFn f[] = {nullptr,
                                  &period_sums_lanes<1>,
                                  &period_sums_lanes<2>,
                                  &period_sums_lanes<3>,
                                  &period_sums_lanes<4>,
                                  &period_sums_lanes<5>};
    return nd < 6 ? f[nd] : nullptr;
}

#ifdef LEEFBAAR_AVX512

__attribute__((target("avx512f,avx512dq"))) std::uint64_t year_sums_avx512(
    const std::int32_t* zone, const YearCellsView& y, std::size_t nd, std::size_t nc,
    std::int64_t* acc, std::int64_t* cells, std::int64_t* res_class, std::int64_t* cells_class,
    std::int64_t* unassigned_residents, std::int64_t* unassigned_cells) {
    const __mmask8 md = __mmask8((1u << nd) - 1), mdev = __mmask8(1u << nd),
                   mval = __mmask8((1u << (nd + 1)) - 1);
    __m512i vmax = _mm512_setzero_si512();
    const std::size_t n = y.cell.size();
    for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t r = y.residents[i];
        if (zone[i] < 0) {
            *unassigned_residents += r;
            *unassigned_cells += 1;
            continue;
        }
        const auto zi = std::size_t(zone[i]);
        __m512i v = _mm512_maskz_loadu_epi64(md, y.dimension.data() + i * nd);
        v = _mm512_mask_set1_epi64(v, mdev, y.deviation[i]);
        vmax = _mm512_mask_max_epu64(vmax, mval, vmax, _mm512_abs_epi64(v));
        v = _mm512_mask_set1_epi64(v, __mmask8(1u << kLaneOne), 1);
        v = _mm512_mask_set1_epi64(v, __mmask8(1u << kLaneDwellings), y.dwellings[i]);
        const __m512i w =
            _mm512_mask_set1_epi64(_mm512_set1_epi64(r), __mmask8(1u << kLaneDwellings), 1);
        auto* a = reinterpret_cast<__m512i*>(acc + zi * kLanes);
        _mm512_storeu_si512(a, _mm512_add_epi64(_mm512_loadu_si512(a), _mm512_mullo_epi64(v, w)));
        cells[zi] += 1;
        const std::size_t cl = y.cls[i];
        if (cl >= 1 && cl <= nc) {
            res_class[zi * nc + cl - 1] += r;
            cells_class[zi * nc + cl - 1] += 1;
        }
    }
    return _mm512_reduce_max_epu64(vmax);
}

__attribute__((target("avx512f,avx512dq"))) std::uint64_t period_sums_avx512(
    const Pairs& pr, const YearCellsView& A, const YearCellsView& B, std::size_t nd, std::size_t nc,
    std::int64_t* acc, std::int64_t* cells, std::int64_t* class_acc, std::int64_t* class_cells) {
    const __mmask8 md = __mmask8((1u << nd) - 1), mdev = __mmask8(1u << nd),
                   mval = __mmask8((1u << (nd + 1)) - 1);
    __m512i vmax = _mm512_setzero_si512();
    for (std::size_t m = 0; m < pr.n; ++m) {
        const std::size_t i = pr.a[m], j = pr.b[m];
        __m512i v = _mm512_sub_epi64(_mm512_maskz_loadu_epi64(md, B.dimension.data() + j * nd),
                                     _mm512_maskz_loadu_epi64(md, A.dimension.data() + i * nd));
        v = _mm512_mask_set1_epi64(v, mdev, B.deviation[j] - A.deviation[i]);
        vmax = _mm512_mask_max_epu64(vmax, mval, vmax, _mm512_abs_epi64(v));
        v = _mm512_mask_set1_epi64(v, __mmask8(1u << kLaneOne), 1);
        const __m512i p = _mm512_mullo_epi64(v, _mm512_set1_epi64(B.residents[j]));
        if (class_acc) {  // by the class of the earlier year (national)
            const std::size_t q = A.cls[i];
            if (q >= 1 && q <= nc) {
                auto* c = reinterpret_cast<__m512i*>(class_acc + (q - 1) * kLanes);
                _mm512_storeu_si512(c, _mm512_add_epi64(_mm512_loadu_si512(c), p));
                class_cells[q - 1] += 1;
            }
        }
        if (pr.zone[m] < 0) continue;
        const auto zi = std::size_t(pr.zone[m]);
        auto* a = reinterpret_cast<__m512i*>(acc + zi * kLanes);
        _mm512_storeu_si512(a, _mm512_add_epi64(_mm512_loadu_si512(a), p));
        cells[zi] += 1;
    }
    return _mm512_reduce_max_epu64(vmax);
}
#endif

// The lane paths' zone sums into statistics: lanes 0..nd-1 the dimension sums, nd the
// deviation sum, kLaneOne the residents.
void unpack_lanes(const std::vector<std::int64_t>& acc, std::size_t zones, std::size_t nd,
                  Wide* dims, Wide* dev, std::int64_t* residents) {
    for (std::size_t z = 0; z < zones; ++z) {
        const std::int64_t* a = acc.data() + z * kLanes;
        for (std::size_t d = 0; d < nd; ++d) dims[z * nd + d] = a[d];
        dev[z] = a[nd];
        residents[z] = a[kLaneOne];
    }
}

// Whether int64 sums of products of residents (|sum| R) and values (|v| <= vmax) are exact.
bool products_fit(std::int64_t R, std::uint64_t vmax) {
    return R < (std::int64_t(1) << 31) &&
           (R == 0 || vmax < (std::uint64_t(1) << 63) / std::uint64_t(R));
}

// The scalar path of a period: 128-bit products per cell pair.
void period_sums_scalar(const Pairs& pr, const YearCellsView& A, const YearCellsView& B,
                        PeriodZoneStats& t, PeriodZoneStats* by_class, std::size_t nc) {
    const std::size_t nd = t.dims;
    for (std::size_t m = 0; m < pr.n; ++m) {
        const std::size_t i = pr.a[m], j = pr.b[m];
        const std::int64_t r = B.residents[j];
        const std::int64_t dt = B.deviation[j] - A.deviation[i];
        if (by_class) {
            const std::size_t q = A.cls[i];
            if (q >= 1 && q <= nc) {
                by_class->residents[q - 1] += r;
                by_class->cells[q - 1] += 1;
                by_class->wsum_delta[q - 1] += Wide(r) * dt;
            }
        }
        if (pr.zone[m] < 0) continue;
        const auto zi = std::size_t(pr.zone[m]);
        t.residents[zi] += r;
        t.cells[zi] += 1;
        t.wsum_delta[zi] += Wide(r) * dt;
        for (std::size_t d = 0; d < nd; ++d)
            t.wsum_ddim[zi * nd + d] +=
                Wide(r) * (B.dimension[j * nd + d] - A.dimension[i * nd + d]);
    }
}

// Sums over rows of zq weighted by int32 per row, for up to kSlots weightings at once (each
// row read once): out[s][i] += sum_r w[s][r] zq[r][i], exactly: int64 partial sums over blocks
// of rows in which every weighting's |w| sums below 2^31 (|zq| < 2^31: each partial stays
// below 2^62), added to the Wide totals.
constexpr std::size_t kSlots = 4;
// Position of indicator i in the int64 partial sums of a path that takes g indicators per
// vector: per g indicators the g/2 even ones, then the g/2 odd ones (the lanes of the 32 x 32 ->
// 64-bit multiply of AVX-512, g = 16, and AVX2, g = 8); g = 1 (portable): i itself.
std::size_t weighted_slot(std::size_t i, std::size_t g) {
    return g == 1 ? i : i / g * g + (i % 2) * (g / 2) + (i % g) / 2;
}

#ifdef LEEFBAAR_AVX512
template <std::size_t C, std::size_t S>
__attribute__((target("avx512f"))) void weighted_rows_avx512(const std::int32_t* zq, std::size_t ni,
                                                             const std::int32_t* const* w,
                                                             std::size_t r0, std::size_t r1,
                                                             std::int64_t* const* acc) {
    __m512i even[S][C], odd[S][C];
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) even[s][c] = odd[s][c] = _mm512_setzero_si512();
    for (std::size_t r = r0; r < r1; ++r) {
        const std::int32_t* row = zq + r * ni;
        __m512i q[C], qo[C];
        for (std::size_t c = 0; c < C; ++c) {
            q[c] = _mm512_maskz_loadu_epi32(simd::lanes16(16 * c, ni), row + 16 * c);
            qo[c] = _mm512_srli_epi64(q[c], 32);
        }
        for (std::size_t s = 0; s < S; ++s) {
            const __m512i wv = _mm512_set1_epi64(w[s][r]);
            for (std::size_t c = 0; c < C; ++c) {
                even[s][c] = _mm512_add_epi64(even[s][c], _mm512_mul_epi32(q[c], wv));
                odd[s][c] = _mm512_add_epi64(odd[s][c], _mm512_mul_epi32(qo[c], wv));
            }
        }
    }
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) {
            auto* e = reinterpret_cast<__m512i*>(acc[s] + 16 * c);
            auto* o = reinterpret_cast<__m512i*>(acc[s] + 16 * c + 8);
            _mm512_storeu_si512(e, _mm512_add_epi64(_mm512_loadu_si512(e), even[s][c]));
            _mm512_storeu_si512(o, _mm512_add_epi64(_mm512_loadu_si512(o), odd[s][c]));
        }
}

// The same on AVX2: 8 indicators per vector (C <= 8 vectors per row).
template <std::size_t C, std::size_t S>
__attribute__((target("avx2"))) void weighted_rows_avx2(const std::int32_t* zq, std::size_t ni,
                                                        const std::int32_t* const* w,
                                                        std::size_t r0, std::size_t r1,
                                                        std::int64_t* const* acc) {
    __m256i even[S][C], odd[S][C];
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) even[s][c] = odd[s][c] = _mm256_setzero_si256();
    const __m256i last = simd::lanes8(8 * (C - 1), ni);
    for (std::size_t r = r0; r < r1; ++r) {
        const std::int32_t* row = zq + r * ni;
        __m256i q[C], qo[C];
        // Plain loads but for the last vector (masked loads are slow on some CPUs: on AMD
        // Zen 3 this pass took twice as long with every vector masked).
        for (std::size_t c = 0; c + 1 < C; ++c) {
            q[c] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + 8 * c));
            qo[c] = _mm256_srli_epi64(q[c], 32);
        }
        q[C - 1] = _mm256_maskload_epi32(row + 8 * (C - 1), last);
        qo[C - 1] = _mm256_srli_epi64(q[C - 1], 32);
        for (std::size_t s = 0; s < S; ++s) {
            const __m256i wv = _mm256_set1_epi64x(w[s][r]);
            for (std::size_t c = 0; c < C; ++c) {
                even[s][c] = _mm256_add_epi64(even[s][c], _mm256_mul_epi32(q[c], wv));
                odd[s][c] = _mm256_add_epi64(odd[s][c], _mm256_mul_epi32(qo[c], wv));
            }
        }
    }
    for (std::size_t s = 0; s < S; ++s)
        for (std::size_t c = 0; c < C; ++c) {
            auto* e = reinterpret_cast<__m256i*>(acc[s] + 8 * c);
            auto* o = reinterpret_cast<__m256i*>(acc[s] + 8 * c + 4);
            _mm256_storeu_si256(e, _mm256_add_epi64(_mm256_loadu_si256(e), even[s][c]));
            _mm256_storeu_si256(o, _mm256_add_epi64(_mm256_loadu_si256(o), odd[s][c]));
        }
}

using WeightedRowsFn = void (*)(const std::int32_t*, std::size_t, const std::int32_t* const*,
                                std::size_t, std::size_t, std::int64_t* const*);
template <std::size_t S, std::size_t... C>
WeightedRowsFn pick_weighted_rows(std::size_t vectors, bool avx512, std::index_sequence<C...>) {
    WeightedRowsFn f = nullptr;
    ((vectors == C + 1 ? (f = avx512 ? &weighted_rows_avx512<C + 1, S> : nullptr) : nullptr), ...);
    if (!avx512) ((vectors == C + 1 ? (f = &weighted_rows_avx2<C + 1, S>) : nullptr), ...);
    return f;
}
// The function for S weightings and rows of ni <= 64 indicators.
template <std::size_t S>
WeightedRowsFn weighted_rows_for(std::size_t ni, bool avx512) {
    return avx512 ? pick_weighted_rows<S>((ni + 15) / 16, true, std::make_index_sequence<4>{})
                  : pick_weighted_rows<S>((ni + 7) / 8, false, std::make_index_sequence<8>{});
}
#endif

// The vector path a pass over weighted rows takes.
enum class RowsPath { portable, avx2, avx512 };

void add_weighted_rows(std::span<const std::int32_t> zq, std::size_t ni, std::size_t n,
                       std::span<const std::int32_t* const> w, RowsPath path,
                       std::span<std::vector<Wide>* const> out) {
    const std::size_t ns = w.size(),
                      g = path == RowsPath::avx512 ? 16
                          : path == RowsPath::avx2 ? 8
                                                   : 1,
                      width = (ni + g - 1) / g * g;
    std::vector<std::int64_t> part(ns * width, 0);
    std::vector<std::int64_t*> acc(ns);
    for (std::size_t s = 0; s < ns; ++s) acc[s] = part.data() + s * width;
    auto flush = [&] {
        for (std::size_t s = 0; s < ns; ++s)
            for (std::size_t i = 0; i < ni; ++i) (*out[s])[i] += acc[s][weighted_slot(i, g)];
        std::fill(part.begin(), part.end(), 0);
    };
#ifdef LEEFBAAR_AVX512
    // One function per group of up to kSlots weightings.
    std::vector<WeightedRowsFn> fns;
    if (path != RowsPath::portable) {
        const bool avx512 = path == RowsPath::avx512;
        for (std::size_t s0 = 0; s0 < ns; s0 += kSlots) switch (std::min(kSlots, ns - s0)) {
                case 1:
                    fns.push_back(weighted_rows_for<1>(ni, avx512));
                    break;
                case 2:
                    fns.push_back(weighted_rows_for<2>(ni, avx512));
                    break;
                case 3:
                    fns.push_back(weighted_rows_for<3>(ni, avx512));
                    break;
                default:
                    fns.push_back(weighted_rows_for<4>(ni, avx512));
                    break;
            }
    }
#endif
    std::vector<std::int64_t> budget(ns);
    for (std::size_t r0 = 0; r0 < n;) {
        std::fill(budget.begin(), budget.end(), 0);
        std::size_t r1 = r0;
        for (bool room = true; r1 < n && room; r1 += room) {
            for (std::size_t s = 0; s < ns && room; ++s) {
                const std::int64_t a = std::abs(std::int64_t(w[s][r1]));
                room = budget[s] + a < (std::int64_t(1) << 31);
            }
            if (room)
                for (std::size_t s = 0; s < ns; ++s) budget[s] += std::abs(std::int64_t(w[s][r1]));
        }
        if (r1 == r0) r1 = r0 + 1;  // one row alone always fits
#ifdef LEEFBAAR_AVX512
        if (path != RowsPath::portable) {
            for (std::size_t s0 = 0, f = 0; s0 < ns; s0 += kSlots, ++f)
                fns[f](zq.data(), ni, w.data() + s0, r0, r1, acc.data() + s0);
            flush();
            r0 = r1;
            continue;
        }
#endif
        for (std::size_t r = r0; r < r1; ++r)
            for (std::size_t s = 0; s < ns; ++s) {
                if (w[s][r] == 0) continue;
                const std::int64_t ws = w[s][r];
                const std::int32_t* row = zq.data() + r * ni;
                std::int64_t* a = acc[s];
                for (std::size_t i = 0; i < ni; ++i) a[i] += ws * std::int64_t(row[i]);
            }
        flush();
        r0 = r1;
    }
}

}  // namespace

CellPassStats accumulate_cells(std::span<const YearCellsView> years,
                               std::span<const std::pair<std::size_t, std::size_t>> periods,
                               const Raster<std::int32_t>& ids, std::int64_t nx, std::size_t zones,
                               std::size_t dims, std::size_t classes, std::size_t indicators,
                               bool national_extras) {
    const std::size_t ny = years.size(), np = periods.size(), nd = dims, nc = classes,
                      ni = national_extras ? indicators : 0;
    CellPassStats out;
    out.years.resize(ny);
    for (auto& y : out.years) y.resize(zones, nd, nc);
    out.periods.resize(np);
    for (auto& p : out.periods) p.resize(zones, nd, 0);
    out.unassigned_residents.assign(ny, 0);
    out.unassigned_cells.assign(ny, 0);
    if (national_extras) {
        out.by_start_class.resize(np);
        for (auto& p : out.by_start_class) p.resize(nc, 0, 0);
        out.indicator_delta_q.assign(np, std::vector<Wide>(ni, 0));
    }
    // The lane paths (nd <= 5): AVX-512 where the CPU has it, else eight int64 scalars.
    const YearSumsFn year_lanes = year_sums_for(nd);
    const PeriodSumsFn period_lanes = period_sums_for(nd);
    const bool lanes = year_lanes != nullptr;
#ifdef LEEFBAAR_AVX512
    const bool avx512 = lanes && simd::has_avx512dq();
#endif
    // Scratch in one allocation (large enough for the allocator to back it with huge pages:
    // fresh small pages cost more to fault in than the passes below take): the zone of every
    // cell of every year, the matched pairs of a period, the weights of every period side.
    std::vector<std::size_t> first(ny + 1, 0);
    for (std::size_t k = 0; k < ny; ++k) first[k + 1] = first[k] + years[k].cell.size();
    std::size_t most = 0;
    for (const auto& y : years) most = std::max(most, y.cell.size());
    const std::size_t nw = ni > 0 ? 2 * np : 0;
    std::vector<std::int32_t> scratch(first[ny] + 3 * most + nw * most);
    std::int32_t* const zone = scratch.data();
    auto* const pa = reinterpret_cast<std::uint32_t*>(zone + first[ny]);
    auto* const pb = pa + most;
    std::int32_t* const pzone = zone + first[ny] + 2 * most;
    std::int32_t* const weights = pzone + most;  // side s: most entries
    std::vector<std::int64_t> acc(lanes ? std::max(zones, nc) * kLanes : 0), class_acc;
    // Each year: the zone of every cell, and the year's sums.
    std::vector<std::uint8_t> fast(ny, 0);  // the year's products fit int64 (lane path)
    std::vector<std::int64_t> abs_res(ny, 0);
    for (std::size_t k = 0; k < ny; ++k) {
        const YearCellsView& y = years[k];
        YearZoneStats& s = out.years[k];
        std::int32_t* zk = zone + first[k];
        cell_zones(y.cell, ids, nx, zk);
        const bool small = residents_small(y.residents, &abs_res[k]);
        if (lanes && small) {
            std::fill(acc.begin(), acc.end(), 0);
            std::int64_t ur = 0, uc = 0;
            std::uint64_t vmax;
#ifdef LEEFBAAR_AVX512
            if (avx512)
                vmax = year_sums_avx512(zk, y, nd, nc, acc.data(), s.cells.data(),
                                        s.res_class.data(), s.cells_class.data(), &ur, &uc);
            else
#endif
                vmax = year_lanes(zk, y, nc, acc.data(), s.cells.data(), s.res_class.data(),
                                  s.cells_class.data(), &ur, &uc);
            if (products_fit(abs_res[k], vmax)) {
                unpack_lanes(acc, zones, nd, s.wsum_dim.data(), s.wsum_dev.data(),
                             s.residents.data());
                for (std::size_t z = 0; z < zones; ++z)
                    s.dwellings[z] = acc[z * kLanes + kLaneDwellings];
                out.unassigned_residents[k] = ur;
                out.unassigned_cells[k] = uc;
                fast[k] = 1;
                continue;
            }
            s.resize(zones, nd, nc);  // values too large for int64 products: start over
        }
        accumulate_year(s, {zk, y.cell.size()}, y.residents, y.dwellings, y.deviation, y.dimension,
                        y.cls);
        for (std::size_t i = 0; i < y.cell.size(); ++i)
            if (zk[i] < 0) {
                out.unassigned_residents[k] += y.residents[i];
                out.unassigned_cells[k] += 1;
            }
    }
    // Each period: the cells scored in both years, weighted by the residents of the later one.
    // The change by indicator (national, over the pairs with a zone) is sum r_b (zq_b - zq_a) =
    // sum r_b zq_b - sum r_b zq_a: per year, the weights of every period side it is on, put on
    // its rows in one pass below (each row read once).
    for (std::size_t p = 0; p < np; ++p) {
        const auto [ka, kb] = periods[p];
        const YearCellsView &A = years[ka], &B = years[kb];
        const Pairs pr{pa, pb, pzone, match_cells(A.cell, B.cell, zone + first[kb], pa, pb, pzone)};
        PeriodZoneStats& t = out.periods[p];
        PeriodZoneStats* by_class = national_extras ? &out.by_start_class[p] : nullptr;
        bool done = false;
        if (fast[ka] && fast[kb]) {
            std::fill(acc.begin(), acc.end(), 0);
            class_acc.assign(national_extras ? nc * kLanes : 0, 0);
            std::vector<std::int64_t> class_cells(nc, 0);
            std::int64_t* const cacc = national_extras ? class_acc.data() : nullptr;
            std::uint64_t vmax;
#ifdef LEEFBAAR_AVX512
            if (avx512)
                vmax = period_sums_avx512(pr, A, B, nd, nc, acc.data(), t.cells.data(), cacc,
                                          class_cells.data());
            else
#endif
                vmax = period_lanes(pr, A, B, nc, acc.data(), t.cells.data(), cacc,
                                    class_cells.data());
            if (products_fit(abs_res[kb], vmax)) {
                unpack_lanes(acc, zones, nd, t.wsum_ddim.data(), t.wsum_delta.data(),
                             t.residents.data());
                for (std::size_t q = 0; by_class && q < nc; ++q) {
                    by_class->residents[q] = class_acc[q * kLanes + kLaneOne];
                    by_class->cells[q] = class_cells[q];
                    by_class->wsum_delta[q] = class_acc[q * kLanes + nd];
                }
                done = true;
            } else {
                t.resize(zones, nd, 0);
            }
        }
        if (!done) period_sums_scalar(pr, A, B, t, by_class, nc);
        if (ni == 0) continue;
        for (const bool later : {true, false}) {
            std::int32_t* w = weights + (2 * p + (later ? 0 : 1)) * most;
            std::fill(w, w + (later ? B : A).cell.size(), 0);
            const std::uint32_t* at = later ? pb : pa;
            for (std::size_t m = 0; m < pr.n; ++m)
                if (pzone[m] >= 0) w[at[m]] = B.residents[pb[m]];
        }
    }
    if (ni > 0) {
        // sides[2p] = sum over period p's later year, sides[2p + 1] over its earlier year.
        std::vector<std::vector<Wide>> sides(nw, std::vector<Wide>(ni, 0));
        const RowsPath path = ni > 64               ? RowsPath::portable
                              : simd::has_avx512f() ? RowsPath::avx512
                              : simd::has_avx2()    ? RowsPath::avx2
                                                    : RowsPath::portable;
        for (std::size_t k = 0; k < ny; ++k) {
            std::vector<const std::int32_t*> w;
            std::vector<std::vector<Wide>*> o;
            for (std::size_t s = 0; s < nw; ++s)
                if ((s % 2 == 0 ? periods[s / 2].second : periods[s / 2].first) == k)
                    w.push_back(weights + s * most), o.push_back(&sides[s]);
            if (!w.empty()) add_weighted_rows(years[k].zq, ni, years[k].cell.size(), w, path, o);
        }
        for (std::size_t p = 0; p < np; ++p)
            for (std::size_t i = 0; i < ni; ++i)
                out.indicator_delta_q[p][i] = sides[2 * p][i] - sides[2 * p + 1][i];
    }
    return out;
}

namespace {
// dst[parent[z] * w + j] += src[z * w + j] for every zone z with a parent (j < w): one field
// of a roll-up (integer sums: exact in any order).
template <class T>
void add_by_parent(std::vector<T>& dst, const std::vector<T>& src,
                   std::span<const std::int32_t> parent, std::size_t zones, std::size_t w) {
    // Local pointers: the stores cannot then make the compiler reload the vectors' data.
    T* __restrict d0 = dst.data();
    const T* __restrict x0 = src.data();
    const std::int32_t* __restrict par = parent.data();
    for (std::size_t z = 0; z < zones; ++z) {
        const std::int32_t q = par[z];
        if (q < 0) continue;
        T* d = d0 + std::size_t(q) * w;
        const T* x = x0 + z * w;
        for (std::size_t j = 0; j < w; ++j) d[j] += x[j];
    }
}
}  // namespace

YearZoneStats roll_up(const YearZoneStats& s, std::span<const std::int32_t> parent,
                      std::size_t np) {
    YearZoneStats p;
    p.resize(np, s.dims, s.classes);
    p.band_top = s.band_top;
    p.dim_ids = s.dim_ids;
    add_by_parent(p.residents, s.residents, parent, s.zones, 1);
    add_by_parent(p.dwellings, s.dwellings, parent, s.zones, 1);
    add_by_parent(p.cells, s.cells, parent, s.zones, 1);
    roll_up_scores(s, parent, p);
    return p;
}

PeriodZoneStats roll_up(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                        std::size_t np) {
    PeriodZoneStats p;
    p.resize(np, s.dims, s.indicators);
    add_by_parent(p.residents, s.residents, parent, s.zones, 1);
    add_by_parent(p.cells, s.cells, parent, s.zones, 1);
    roll_up_scores(s, parent, p);
    return p;
}

void roll_up_scores(const YearZoneStats& s, std::span<const std::int32_t> parent,
                    YearZoneStats& p) {
    if (p.dims != s.dims || p.classes != s.classes || p.band_top != s.band_top ||
        p.dim_ids != s.dim_ids)
        throw Error("aggregate", "internal: roll_up_scores into statistics of another layout");
    std::fill(p.wsum_dev.begin(), p.wsum_dev.end(), Wide(0));
    std::fill(p.wsum_dim.begin(), p.wsum_dim.end(), Wide(0));
    std::fill(p.res_class.begin(), p.res_class.end(), 0);
    std::fill(p.cells_class.begin(), p.cells_class.end(), 0);
    // One pass over the zones, every field at once, through local pointers (sweeps roll up every
    // member's statistics: the generic per-field loops reloaded each vector's data pointer per
    // zone, the stores into the parent possibly aliasing it).
    const std::size_t nd = s.dims, nc = s.classes;
    const Wide* __restrict sdev = s.wsum_dev.data();
    const Wide* __restrict sdim = s.wsum_dim.data();
    const std::int64_t* __restrict sres = s.res_class.data();
    const std::int64_t* __restrict scel = s.cells_class.data();
    Wide* __restrict pdev = p.wsum_dev.data();
    Wide* __restrict pdim = p.wsum_dim.data();
    std::int64_t* __restrict pres = p.res_class.data();
    std::int64_t* __restrict pcel = p.cells_class.data();
    for (std::size_t z = 0; z < s.zones; ++z) {
        const std::int32_t q0 = parent[z];
        if (q0 < 0) continue;
        const auto q = std::size_t(q0);
        pdev[q] += sdev[z];
        for (std::size_t d = 0; d < nd; ++d) pdim[q * nd + d] += sdim[z * nd + d];
        for (std::size_t c = 0; c < nc; ++c) {
            pres[q * nc + c] += sres[z * nc + c];
            pcel[q * nc + c] += scel[z * nc + c];
        }
    }
}

void roll_up_scores(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                    PeriodZoneStats& p) {
    if (p.dims != s.dims || p.indicators != s.indicators)
        throw Error("aggregate", "internal: roll_up_scores into statistics of another layout");
    std::fill(p.wsum_delta.begin(), p.wsum_delta.end(), Wide(0));
    std::fill(p.wsum_ddim.begin(), p.wsum_ddim.end(), Wide(0));
    std::fill(p.wsum_dind.begin(), p.wsum_dind.end(), Wide(0));
    add_by_parent(p.wsum_delta, s.wsum_delta, parent, s.zones, 1);
    add_by_parent(p.wsum_ddim, s.wsum_ddim, parent, s.zones, s.dims);
    add_by_parent(p.wsum_dind, s.wsum_dind, parent, s.zones, s.indicators);
}

namespace {
template <class T>
void append(std::vector<T>& out, const std::vector<T>& v) {
    out.insert(out.end(), v.begin(), v.end());
}
template <class T>
std::size_t take(std::vector<T>& v, std::span<const T> src, std::size_t pos) {
    std::copy(src.begin() + std::ptrdiff_t(pos), src.begin() + std::ptrdiff_t(pos + v.size()),
              v.begin());
    return pos + v.size();
}
}  // namespace

std::vector<std::int64_t> pack_ints(const YearZoneStats& s) {
    std::vector<std::int64_t> o;
    append(o, s.residents);
    append(o, s.dwellings);
    append(o, s.cells);
    append(o, s.res_class);
    append(o, s.cells_class);
    return o;
}
std::vector<Wide> pack_wide(const YearZoneStats& s) {
    std::vector<Wide> o;
    append(o, s.wsum_dev);
    append(o, s.wsum_dim);
    return o;
}
void unpack(YearZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide) {
    std::size_t p = 0;
    p = take(s.residents, ints, p);
    p = take(s.dwellings, ints, p);
    p = take(s.cells, ints, p);
    p = take(s.res_class, ints, p);
    take(s.cells_class, ints, p);
    p = take(s.wsum_dev, wide, 0);
    take(s.wsum_dim, wide, p);
}
std::vector<std::int64_t> pack_ints(const PeriodZoneStats& s) {
    std::vector<std::int64_t> o;
    append(o, s.residents);
    append(o, s.cells);
    return o;
}
std::vector<Wide> pack_wide(const PeriodZoneStats& s) {
    std::vector<Wide> o;
    append(o, s.wsum_delta);
    append(o, s.wsum_ddim);
    append(o, s.wsum_dind);
    return o;
}
void unpack(PeriodZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide) {
    std::size_t p = take(s.residents, ints, 0);
    take(s.cells, ints, p);
    p = take(s.wsum_delta, wide, 0);
    p = take(s.wsum_ddim, wide, p);
    take(s.wsum_dind, wide, p);
}

}  // namespace leefbaar
