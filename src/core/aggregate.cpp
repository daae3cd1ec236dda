#include "core/aggregate.hpp"

#include <limits>

namespace leefbaar {

void YearZoneStats::resize(std::size_t z, std::size_t d, std::size_t c) {
    zones = z;
    dims = d;
    classes = c;
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

void YearZoneStats::add(const YearZoneStats& o) {
    add_to(residents, o.residents);
    add_to(dwellings, o.dwellings);
    add_to(cells, o.cells);
    add_to(wsum_dev, o.wsum_dev);
    add_to(wsum_dim, o.wsum_dim);
    add_to(res_class, o.res_class);
    add_to(cells_class, o.cells_class);
}

double YearZoneStats::mean_deviation(std::size_t z) const {
    return wide_mean_fixed(wsum_dev[z], residents[z]);
}
double YearZoneStats::mean_dimension(std::size_t z, std::size_t d) const {
    return wide_mean_fixed(wsum_dim[z * dims + d], residents[z]);
}
std::int64_t YearZoneStats::residents_in_classes(std::size_t z, int lo, int hi) const {
    std::int64_t n = 0;
    for (int c = lo; c <= hi && c <= int(classes); ++c)
        if (c >= 1) n += res_class[z * classes + std::size_t(c - 1)];
    return n;
}
std::int64_t YearZoneStats::cells_in_classes(std::size_t z, int lo, int hi) const {
    std::int64_t n = 0;
    for (int c = lo; c <= hi && c <= int(classes); ++c)
        if (c >= 1) n += cells_class[z * classes + std::size_t(c - 1)];
    return n;
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

YearZoneStats roll_up(const YearZoneStats& s, std::span<const std::int32_t> parent,
                      std::size_t np) {
    YearZoneStats p;
    p.resize(np, s.dims, s.classes);
    for (std::size_t z = 0; z < s.zones; ++z) {
        const std::int32_t q = parent[z];
        if (q < 0) continue;
        const auto qi = std::size_t(q);
        p.residents[qi] += s.residents[z];
        p.dwellings[qi] += s.dwellings[z];
        p.cells[qi] += s.cells[z];
        p.wsum_dev[qi] += s.wsum_dev[z];
        for (std::size_t d = 0; d < s.dims; ++d)
            p.wsum_dim[qi * s.dims + d] += s.wsum_dim[z * s.dims + d];
        for (std::size_t c = 0; c < s.classes; ++c) {
            p.res_class[qi * s.classes + c] += s.res_class[z * s.classes + c];
            p.cells_class[qi * s.classes + c] += s.cells_class[z * s.classes + c];
        }
    }
    return p;
}

PeriodZoneStats roll_up(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                        std::size_t np) {
    PeriodZoneStats p;
    p.resize(np, s.dims, s.indicators);
    for (std::size_t z = 0; z < s.zones; ++z) {
        const std::int32_t q = parent[z];
        if (q < 0) continue;
        const auto qi = std::size_t(q);
        p.residents[qi] += s.residents[z];
        p.cells[qi] += s.cells[z];
        p.wsum_delta[qi] += s.wsum_delta[z];
        for (std::size_t d = 0; d < s.dims; ++d)
            p.wsum_ddim[qi * s.dims + d] += s.wsum_ddim[z * s.dims + d];
        for (std::size_t i = 0; i < s.indicators; ++i)
            p.wsum_dind[qi * s.indicators + i] += s.wsum_dind[z * s.indicators + i];
    }
    return p;
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
