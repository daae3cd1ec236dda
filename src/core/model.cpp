#include "core/model.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/simd.hpp"

namespace leefbaar {

std::vector<double> model_weights(const ModelConfig& m) {
    std::vector<double> w;
    for (const auto& i : m.indicators) w.push_back(i.weight);
    return w;
}

std::vector<ExactSum::Raw> reference_partial_sums(const ModelConfig& m, const YearCells& cells) {
    const std::size_t ni = m.indicators.size();
    std::vector<ExactSum> s(3 * ni);
    for (std::size_t c = 0; c < cells.size(); ++c) {
        const double w = double(cells.residents[c]);
        if (w <= 0) continue;
        for (std::size_t i = 0; i < ni; ++i) {
            const double t = m.indicators[i].transform.apply(cells.raw[c * ni + i]);
            if (std::isnan(t)) continue;
            s[3 * i].add(w);
            s[3 * i + 1].add(w * t);
            s[3 * i + 2].add(w * t * t);
        }
    }
    std::vector<ExactSum::Raw> out(s.size());
    for (std::size_t k = 0; k < s.size(); ++k) out[k] = s[k].raw();
    return out;
}

ReferenceStats reference_stats(const ModelConfig& m, std::span<const ExactSum::Raw> sums) {
    const std::size_t ni = m.indicators.size();
    ReferenceStats r;
    r.mean.assign(ni, 0.0);
    r.sd.assign(ni, 1.0);
    for (std::size_t i = 0; i < ni; ++i) {
        ExactSum w, wt, wt2;
        w.add_raw(sums[3 * i]);
        wt.add_raw(sums[3 * i + 1]);
        wt2.add_raw(sums[3 * i + 2]);
        if (!(w.value() > 0))
            throw Error("model", "indicator '" + m.indicators[i].name +
                                     "' has no value in any populated cell of reference year " +
                                     std::to_string(m.reference_year));
        r.mean[i] = wt.value() / w.value();
        if (m.indicators[i].transform.standardise) {
            const double var = wt2.value() / w.value() - r.mean[i] * r.mean[i];
            if (!(var > 0))
                throw Error("model",
                            "indicator '" + m.indicators[i].name +
                                "' cannot be standardised: it does not vary in reference year " +
                                std::to_string(m.reference_year));
            r.sd[i] = std::sqrt(var);
        }
    }
    return r;
}

std::vector<float> standardise(const ModelConfig& m, const ReferenceStats& ref,
                               const YearCells& cells) {
    const std::size_t ni = m.indicators.size(), n = cells.size();
    std::vector<float> z(n * ni);
#pragma omp parallel for schedule(static)
    for (std::size_t c = 0; c < n; ++c)
        for (std::size_t i = 0; i < ni; ++i) {
            const double t = m.indicators[i].transform.apply(cells.raw[c * ni + i]);
            z[c * ni + i] = std::isnan(t) ? 0.0f : float((t - ref.mean[i]) / ref.sd[i]);
        }
    // The contributions quantise z to int32 on a 2^-12 grid (model.hpp): |z| must stay below
    // 2^19 (half a million standard deviations; anything near is a data error).
    for (std::size_t k = 0; k < z.size(); ++k)
        if (!(std::fabs(z[k]) < 0x1.0p19f))
            throw Error("model", "indicator '" + m.indicators[k % ni].name +
                                     "' has a standardised value out of range (|z| >= 2^19)");
    return z;
}

std::vector<std::int32_t> quantise_rows(std::span<const float> z, std::size_t ni) {
    std::vector<std::int32_t> q(z.size());
    if (ni == 0) return q;
    const std::size_t n = z.size() / ni;
#ifdef LEEFBAAR_AVX512
    if (ni <= 64 && simd::has_avx2()) {
        // One row at a time on AVX-512 or AVX2; a row with a value outside the fast range
        // (the row function returns false) by quantise_z.
        bool (*const row)(const float*, std::size_t, std::int32_t*) =
            simd::has_avx512f() ? &simd::quantise_row : &simd::quantise_row_avx2;
#pragma omp parallel for schedule(static)
        for (std::size_t r = 0; r < n; ++r)
            if (!row(z.data() + r * ni, ni, q.data() + r * ni))
                for (std::size_t i = 0; i < ni; ++i) q[r * ni + i] = quantise_z(z[r * ni + i]);
        return q;
    }
#endif
#pragma omp parallel for schedule(static)
    for (std::size_t k = 0; k < n * ni; ++k) q[k] = quantise_z(z[k]);
    return q;
}

CellScores score_cells(const ModelConfig& m, std::span<const double> weights,
                       std::span<const float> z, std::size_t n) {
    const std::size_t ni = m.indicators.size(), nd = m.dimensions.size();
    std::vector<int> dim_of(ni);
    std::vector<std::int32_t> wq(ni);
    for (std::size_t i = 0; i < ni; ++i) {
        dim_of[i] = m.dimension_index(m.indicators[i].dimension);
        if (!(std::fabs(weights[i]) < 0x1.0p11))
            throw Error("model", "weight of indicator '" + m.indicators[i].name +
                                     "' out of range (|w| >= 2048)");
        wq[i] = quantise_weight(weights[i]);
    }
    CellScores s;
    s.zq = quantise_rows(z.first(n * ni), ni);
    s.dimension.assign(n * nd, 0);
    s.deviation.assign(n, 0);
    s.cls.assign(n, 0);
#pragma omp parallel for schedule(static)
    for (std::size_t c = 0; c < n; ++c) {
        std::int64_t* dims = &s.dimension[c * nd];
        const std::int32_t* zq = &s.zq[c * ni];
        for (std::size_t i = 0; i < ni; ++i) dims[dim_of[i]] += contribution_q(wq[i], zq[i]);
        std::int64_t afw = 0;
        for (std::size_t d = 0; d < nd; ++d) afw += dims[d];
        s.deviation[c] = afw;
        s.cls[c] = std::uint8_t(m.classes.classify(fixed_to_double(afw)));
    }
    return s;
}

}  // namespace leefbaar
