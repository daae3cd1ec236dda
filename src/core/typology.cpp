#include "core/typology.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/simd.hpp"

#ifdef LEEFBAAR_AVX512
// GCC 12 warns "'__Y' may be used uninitialized" inside AVX-512 intrinsics (their deliberately
// undefined pass-through operands) once they are inlined.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#endif

namespace leefbaar {

std::vector<std::uint8_t> in_lowest_percent(const std::vector<double>& value,
                                            const std::vector<std::int64_t>& residents,
                                            double percent) {
    // (value, index) pairs: compared in place, without reading value through the index.
    std::vector<std::pair<double, std::size_t>> idx;
    idx.reserve(value.size());
    for (std::size_t z = 0; z < value.size(); ++z)
        if (residents[z] > 0 && !std::isnan(value[z])) idx.push_back({value[z], z});
    // The n smallest under a strict total order (value, then index) are one set: a partial
    // selection finds it without sorting everything.
    const auto n = std::size_t(std::ceil(percent / 100.0 * double(idx.size()) - 1e-9));
    const std::size_t take = std::min(n, idx.size());
    if (take > 0 && take < idx.size())
        std::nth_element(idx.begin(), idx.begin() + std::ptrdiff_t(take), idx.end());
    std::vector<std::uint8_t> out(value.size(), 0);
    for (std::size_t k = 0; k < take; ++k) out[idx[k].second] = 1;
    return out;
}

namespace {

struct Criterion {
    std::string name;
    std::vector<std::uint8_t> ok;
};

TypologyResult combine(std::size_t zones, const std::vector<Criterion>& cs,
                       std::vector<std::string> words, bool explain) {
    TypologyResult r;
    r.criteria = std::move(words);
    if (!explain) {
        // Members only (a sweep asks this per member and zone level): the criteria ANDed a
        // criterion at a time, a loop the compiler vectorises.
        r.member.assign(zones, 1);
        for (const auto& c : cs)
            for (std::size_t z = 0; z < zones; ++z) r.member[z] &= std::uint8_t(c.ok[z] != 0);
        return r;
    }
    r.member.assign(zones, 0);
    r.missed.assign(zones, "");
    for (std::size_t z = 0; z < zones; ++z) {
        int fails = 0;
        const std::string* which = nullptr;
        for (const auto& c : cs)
            if (!c.ok[z]) {
                ++fails;
                which = &c.name;
            }
        if (fails == 0)
            r.member[z] = 1;
        else if (fails == 1)
            r.missed[z] = *which;
    }
    return r;
}

// The class of a zone's mean deviation in a year (0 when it has no residents).
int zone_class(const ModelConfig& m, const YearZoneStats& s, std::size_t z) {
    const double v = s.mean_deviation(z);
    return std::isnan(v) ? 0 : m.classes.classify(v);
}

std::size_t safety_index(const ModelConfig& m, const std::string& dim) {
    const int d = m.dimension_index(dim);
    if (d < 0)
        throw UsageError("typology",
                         "safety dimension '" + dim + "' is not a dimension of model " + m.name);
    return std::size_t(d);
}

// Zones whose class is <= max_class in at least n years, the last year included.
std::vector<std::uint8_t> weak_for_years(const ModelConfig& m, const LevelSeries& s, int max_class,
                                         int n) {
    const std::size_t zones = s.level->size();
    const auto computed =
        s.classes.empty() ? zone_classes(m, s) : std::vector<std::vector<std::uint8_t>>{};
    const auto& classes = s.classes.empty() ? computed : s.classes;
    std::vector<std::uint8_t> ok(zones, 0);
    for (std::size_t z = 0; z < zones; ++z) {
        int count = 0;
        for (const auto& yc : classes) count += yc[z] >= 1 && yc[z] <= max_class;
        const int last = classes.back()[z];
        ok[z] = count >= n && last >= 1 && last <= max_class;
    }
    return ok;
}

// safety_lowest, or the series' precomputed selection when it is for this percentile.
std::vector<std::uint8_t> lowest_safety(const TypologyRules& r, const ModelConfig& m,
                                        const LevelSeries& s, double percent) {
    if (!s.unsafe.empty() && s.unsafe_percent == percent) return s.unsafe;
    return safety_lowest(r, m, s, percent);
}

std::string pct(double p) {
    std::ostringstream o;
    o << p << "%";
    return o.str();
}

TypologyResult pressure_areas(const TypologyRules& r, const ModelConfig& m, const LevelSeries& s,
                              bool buurt_level) {
    const std::size_t zones = s.level->size();
    const YearZoneStats& last = *s.years.back();
    const double pctl = buurt_level ? r.buurt_safety_percentile : r.wijk_safety_percentile;
    Criterion weak{"weak in >= " + std::to_string(r.min_measurements) + " measurements",
                   weak_for_years(m, s, r.wijk_max_class, r.min_measurements)};
    Criterion unsafe{"safety among the lowest " + pct(pctl), lowest_safety(r, m, s, pctl)};
    Criterion share{"onvoldoende area share", std::vector<std::uint8_t>(zones, 0)};
    Criterion trend{"negative trend", std::vector<std::uint8_t>(zones, 0)};
    Criterion size{"residents", std::vector<std::uint8_t>(zones, 0)};
    const auto onv_span = last.class_span(1, r.onvoldoende_max_class);
    for (std::size_t z = 0; z < zones; ++z) {
        const std::int64_t cells = last.cells[z];
        const double sh = cells > 0 ? double(last.cells_in(z, onv_span)) / double(cells) : 0.0;
        share.ok[z] = sh >= r.wijk_min_onvoldoende_share;
        if (s.last_period) {
            const double d = s.last_period->mean_delta(z);
            trend.ok[z] = !std::isnan(d) && d - s.national_last_delta <= r.wijk_max_relative_trend;
        }
        size.ok[z] = last.residents[z] >= (buurt_level ? 1 : r.wijk_min_residents);
    }
    std::vector<std::string> words{
        "class of the mean score at most " + std::to_string(r.wijk_max_class) +
            " (zwak) in at least " + std::to_string(r.min_measurements) +
            " measurements, the latest included",
        "change over the last period minus the national change <= " +
            std::to_string(r.wijk_max_relative_trend),
        "safety dimension (" + r.safety_dimension + ") among the lowest " + pct(pctl) +
            " in the latest year",
        "at least " + std::to_string(int(r.wijk_min_onvoldoende_share * 100)) +
            "% of the scored cells in classes 1-" + std::to_string(r.onvoldoende_max_class) +
            " in the latest year",
        buurt_level ? "buurt-level candidates form contiguous clusters of at least " +
                          std::to_string(r.cluster_min_residents) + " residents"
                    : "at least " + std::to_string(r.wijk_min_residents) + " residents"};
    return combine(zones, {weak, trend, unsafe, share, size}, words, s.explain);
}

}  // namespace

std::vector<std::uint8_t> safety_lowest(const TypologyRules& r, const ModelConfig& m,
                                        const LevelSeries& s, double percent) {
    const YearZoneStats& last = *s.years.back();
    const std::size_t sd = safety_index(m, r.safety_dimension);
    std::vector<double> safety(s.level->size());
    const std::size_t slot = last.dim_slot(sd);
    for (std::size_t z = 0; z < safety.size(); ++z) safety[z] = last.mean_dimension_at(z, slot);
    return in_lowest_percent(safety, last.residents, percent);
}

namespace {
#ifdef LEEFBAAR_AVX512
// zone_class of zones [0, n) of one year, 8 at a time: where the 8 sums fit an int64, lane by lane
// the scalar arithmetic (int64 -> double, one division, the scale 2^-32, !(v < limit) counted),
// so the same classes; else zone_class itself. Returns how many zones it classified (a multiple
// of 8; the caller does the rest).
__attribute__((target("avx512f,avx512dq"))) std::size_t zone_classes_avx512(const ModelConfig& m,
                                                                            const YearZoneStats& ys,
                                                                            std::size_t n,
                                                                            std::uint8_t* out) {
    const Wide* wsum = ys.wsum_dev.data();
    const std::int64_t* residents = ys.residents.data();
    const __m512i even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14),
                  odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), one = _mm512_set1_epi64(1);
    const __m512d scale = _mm512_set1_pd(0x1.0p-32);
    std::size_t z = 0;
    for (; z + 8 <= n; z += 8) {
        // Eight __int128 sums (low word first) split into their low and high words.
        const __m512i a = _mm512_loadu_si512(wsum + z), b = _mm512_loadu_si512(wsum + z + 4);
        const __m512i lo = _mm512_permutex2var_epi64(a, even, b),
                      hi = _mm512_permutex2var_epi64(a, odd, b);
        if (_mm512_cmpneq_epi64_mask(hi, _mm512_srai_epi64(lo, 63))) {
            for (std::size_t k = z; k < z + 8; ++k) out[k] = std::uint8_t(zone_class(m, ys, k));
            continue;
        }
        const __m512i r = _mm512_loadu_si512(residents + z);
        const __mmask8 has = _mm512_cmpgt_epi64_mask(r, _mm512_setzero_si512());
        const __m512d v =
            _mm512_mul_pd(_mm512_div_pd(_mm512_cvtepi64_pd(lo), _mm512_cvtepi64_pd(r)), scale);
        __m512i c = one;
        for (const double l : m.classes.limits)
            c = _mm512_mask_add_epi64(c, _mm512_cmp_pd_mask(v, _mm512_set1_pd(l), _CMP_NLT_UQ), c,
                                      one);
        _mm_storel_epi64(reinterpret_cast<__m128i*>(out + z),
                         _mm512_cvtepi64_epi8(_mm512_maskz_mov_epi64(has, c)));
    }
    return z;
}
#endif
}  // namespace

std::vector<std::vector<std::uint8_t>> zone_classes(const ModelConfig& m, const LevelSeries& s) {
    const std::size_t zones = s.level->size();
    std::vector<std::vector<std::uint8_t>> out(s.years.size(), std::vector<std::uint8_t>(zones));
    for (std::size_t y = 0; y < s.years.size(); ++y) {
        const YearZoneStats& ys = *s.years[y];
        std::size_t z = 0;
#ifdef LEEFBAAR_AVX512
        if (simd::has_avx512dq() && ys.wsum_dev.size() >= zones && ys.residents.size() >= zones)
            z = zone_classes_avx512(m, ys, zones, out[y].data());
#endif
        for (; z < zones; ++z) out[y][z] = std::uint8_t(zone_class(m, ys, z));
    }
    return out;
}

TypologyResult kwetsbare_wijken(const TypologyRules& r, const ModelConfig& m,
                                const LevelSeries& s) {
    return pressure_areas(r, m, s, false);
}

TypologyResult kwetsbare_buurten(const TypologyRules& r, const ModelConfig& m,
                                 const LevelSeries& s) {
    return pressure_areas(r, m, s, true);
}

TypologyResult aandachtsbuurten(const TypologyRules& r, const ModelConfig& m,
                                const LevelSeries& s) {
    const std::size_t zones = s.level->size();
    const YearZoneStats& last = *s.years.back();
    Criterion weak{"at best zwak in >= " + std::to_string(r.min_measurements) + " measurements",
                   weak_for_years(m, s, r.buurt_max_class, r.min_measurements)};
    Criterion onv{"onvoldoende cells present", std::vector<std::uint8_t>(zones, 0)};
    Criterion unsafe{"safety among the lowest " + pct(r.buurt_safety_percentile),
                     lowest_safety(r, m, s, r.buurt_safety_percentile)};
    Criterion size{">= " + std::to_string(r.buurt_min_residents) + " residents",
                   std::vector<std::uint8_t>(zones, 0)};
    const auto onv_span = last.class_span(1, r.onvoldoende_max_class);
    for (std::size_t z = 0; z < zones; ++z) {
        onv.ok[z] = last.residents_in(z, onv_span) > 0;
        size.ok[z] = last.residents[z] >= r.buurt_min_residents;
    }
    std::vector<std::string> words{
        "class of the mean score at most " + std::to_string(r.buurt_max_class) +
            " (zwak) in at least " + std::to_string(r.min_measurements) +
            " measurements, the latest included",
        "residents in cells of class 1-" + std::to_string(r.onvoldoende_max_class) +
            " in the latest year",
        "safety dimension (" + r.safety_dimension + ") among the lowest " +
            pct(r.buurt_safety_percentile) + " of buurten in the latest year",
        "at least " + std::to_string(r.buurt_min_residents) + " residents in the latest year"};
    return combine(zones, {weak, onv, unsafe, size}, words, s.explain);
}

TypologyResult aandachtsregios(const TypologyRules& r, const LevelSeries& s) {
    const std::size_t zones = s.level->size();
    std::vector<int> weak_years(zones, 0), poor_good_years(zones, 0);
    std::vector<std::uint8_t> weak_last(zones, 0), good_last(zones, 0);
    for (std::size_t k = 0; k < s.years.size(); ++k) {
        const YearZoneStats& y = *s.years[k];
        std::vector<double> weak_share(zones), good_share(zones), neg_weak(zones);
        const auto weak_span = y.class_span(1, r.region_max_class),
                   good_span = y.class_span(r.region_min_good_class, 99);
        for (std::size_t z = 0; z < zones; ++z) {
            weak_share[z] = y.residents[z] > 0
                                ? double(y.residents_in(z, weak_span)) / double(y.residents[z])
                                : std::nan("");
            neg_weak[z] = -weak_share[z];
            good_share[z] = y.cells[z] > 0 ? double(y.cells_in(z, good_span)) / double(y.cells[z])
                                           : std::nan("");
        }
        const auto top = in_lowest_percent(neg_weak, y.residents, r.region_weak_share_top_percent);
        const auto bottom =
            in_lowest_percent(good_share, y.residents, r.region_good_share_bottom_percent);
        for (std::size_t z = 0; z < zones; ++z) {
            weak_years[z] += top[z];
            poor_good_years[z] += bottom[z];
            if (k + 1 == s.years.size()) {
                weak_last[z] = top[z];
                good_last[z] = bottom[z];
            }
        }
    }
    Criterion a{"large share in class <= " + std::to_string(r.region_max_class),
                std::vector<std::uint8_t>(zones, 0)};
    Criterion b{"small area share in class >= " + std::to_string(r.region_min_good_class),
                std::vector<std::uint8_t>(zones, 0)};
    for (std::size_t z = 0; z < zones; ++z) {
        a.ok[z] = weak_years[z] >= r.min_measurements && weak_last[z];
        b.ok[z] = poor_good_years[z] >= r.min_measurements && good_last[z];
    }
    std::vector<std::string> words{
        "share of residents in cells of class <= " + std::to_string(r.region_max_class) +
            " among the highest " + pct(r.region_weak_share_top_percent) +
            " of regions in at least " + std::to_string(r.min_measurements) +
            " measurements, the latest included",
        "share of the scored area in class >= " + std::to_string(r.region_min_good_class) +
            " among the lowest " + pct(r.region_good_share_bottom_percent) +
            " of regions in at least " + std::to_string(r.min_measurements) +
            " measurements, the latest included"};
    return combine(zones, {a, b}, words, s.explain);
}

std::vector<std::int32_t> clusters(
    const std::vector<std::uint8_t>& flagged,
    const std::vector<std::pair<std::int32_t, std::int32_t>>& adjacency) {
    std::vector<std::int32_t> parent(flagged.size());
    std::iota(parent.begin(), parent.end(), 0);
    auto find = [&](std::int32_t x) {
        while (parent[std::size_t(x)] != x)
            x = parent[std::size_t(x)] = parent[std::size_t(parent[std::size_t(x)])];
        return x;
    };
    for (const auto& [a, b] : adjacency) {
        if (!flagged[std::size_t(a)] || !flagged[std::size_t(b)]) continue;
        const auto ra = find(a), rb = find(b);
        if (ra != rb)
            parent[std::size_t(std::max(ra, rb))] = std::min(ra, rb);  // root = smallest index
    }
    std::vector<std::int32_t> out(flagged.size(), -1);
    for (std::size_t z = 0; z < flagged.size(); ++z)
        if (flagged[z]) out[z] = find(std::int32_t(z));
    return out;
}

}  // namespace leefbaar
