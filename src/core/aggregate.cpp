#include "core/aggregate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

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
// round(z * 2^12), halves away from zero: quantise_z without the library call. z * 2^12 is
// exact in a double and so is adding 0.5 (a float has 24 significant bits), so truncating
// the sum gives llround's result for every value quantise_z accepts.
inline std::int64_t quantise_z_exact(float z) {
    const double t = double(z) * 0x1.0p12;
    return std::int64_t(t + std::copysign(0.5, t));
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
    // Per period: int64 partial sums of residents * (zq2 - zq1), added to the Wide totals
    // before they could overflow: |zq2 - zq1| < 2^32, so a run of pairs whose residents sum
    // below 2^31 stays below 2^63.
    std::vector<std::int64_t> part(np * ni, 0);
    std::vector<std::int64_t> budget(np, 0);
    auto flush = [&](std::size_t p) {
        for (std::size_t i = 0; i < ni; ++i) {
            out.indicator_delta_q[p][i] += part[p * ni + i];
            part[p * ni + i] = 0;
        }
        budget[p] = 0;
    };
    std::vector<std::int64_t> zq(ny * ni);
    std::vector<std::uint8_t> zq_done(ny);
    std::vector<std::size_t> pos(ny, 0), at(ny, 0);
    std::vector<std::uint8_t> present(ny, 0);
    const Window padded = ids.padded();
    for (;;) {
        std::int64_t c = std::numeric_limits<std::int64_t>::max();
        for (std::size_t k = 0; k < ny; ++k)
            if (pos[k] < years[k].cell.size()) c = std::min(c, years[k].cell[pos[k]]);
        if (c == std::numeric_limits<std::int64_t>::max()) break;
        for (std::size_t k = 0; k < ny; ++k) {
            present[k] = pos[k] < years[k].cell.size() && years[k].cell[pos[k]] == c;
            at[k] = pos[k];
            if (present[k]) ++pos[k];
            zq_done[k] = 0;
        }
        const std::int64_t col = c % nx, row = c / nx;
        const std::int32_t z =
            (col >= padded.col0 && col < padded.col1() && row >= padded.row0 && row < padded.row1())
                ? ids.at(col, row) - 1
                : -1;
        for (std::size_t k = 0; k < ny; ++k) {
            if (!present[k]) continue;
            const YearCellsView& y = years[k];
            const std::size_t i = at[k];
            const std::int64_t r = y.residents[i];
            if (z < 0) {
                out.unassigned_residents[k] += r;
                out.unassigned_cells[k] += 1;
                continue;
            }
            YearZoneStats& s = out.years[k];
            const auto zi = std::size_t(z);
            s.residents[zi] += r;
            s.dwellings[zi] += y.dwellings[i];
            s.cells[zi] += 1;
            s.wsum_dev[zi] += Wide(r) * y.deviation[i];
            for (std::size_t d = 0; d < nd; ++d)
                s.wsum_dim[zi * nd + d] += Wide(r) * y.dimension[i * nd + d];
            const int cl = int(y.cls[i]);
            if (cl >= 1 && std::size_t(cl) <= nc) {
                s.res_class[zi * nc + std::size_t(cl - 1)] += r;
                s.cells_class[zi * nc + std::size_t(cl - 1)] += 1;
            }
        }
        for (std::size_t p = 0; p < np; ++p) {
            const auto [ka, kb] = periods[p];
            if (!present[ka] || !present[kb]) continue;
            const YearCellsView &A = years[ka], &B = years[kb];
            const std::size_t i = at[ka], j = at[kb];
            const std::int64_t r = B.residents[j];
            const std::int64_t dt = B.deviation[j] - A.deviation[i];
            if (national_extras) {
                const int q = int(A.cls[i]) - 1;
                if (q >= 0) {
                    PeriodZoneStats& t = out.by_start_class[p];
                    t.residents[std::size_t(q)] += r;
                    t.cells[std::size_t(q)] += 1;
                    t.wsum_delta[std::size_t(q)] += Wide(r) * dt;
                }
            }
            if (z < 0) continue;
            PeriodZoneStats& t = out.periods[p];
            const auto zi = std::size_t(z);
            t.residents[zi] += r;
            t.cells[zi] += 1;
            t.wsum_delta[zi] += Wide(r) * dt;
            for (std::size_t d = 0; d < nd; ++d)
                t.wsum_ddim[zi * nd + d] +=
                    Wide(r) * (B.dimension[j * nd + d] - A.dimension[i * nd + d]);
            if (ni == 0) continue;
            for (const std::size_t k : {ka, kb}) {
                if (zq_done[k]) continue;
                const float* zz = years[k].z.data() + at[k] * ni;
                std::int64_t* o = zq.data() + k * ni;
                for (std::size_t ii = 0; ii < ni; ++ii) o[ii] = quantise_z_exact(zz[ii]);
                zq_done[k] = 1;
            }
            if (budget[p] + (r < 0 ? -r : r) >= (std::int64_t(1) << 31)) flush(p);
            budget[p] += r < 0 ? -r : r;
            const std::int64_t* qa = zq.data() + ka * ni;
            const std::int64_t* qb = zq.data() + kb * ni;
            std::int64_t* acc = part.data() + p * ni;
            for (std::size_t ii = 0; ii < ni; ++ii) acc[ii] += r * (qb[ii] - qa[ii]);
        }
    }
    for (std::size_t p = 0; p < np && ni > 0; ++p) flush(p);
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
