// The pure parts of sweeps: the fused kernel (AVX2 and portable paths) equals a simple serial
// reference bit for bit on random inputs, for any member slicing; contributions are exact
// products of the quantised values; Monte-Carlo members are pure functions of (seed, member),
// grids enumerate last-axis-fastest, Spearman's rho.

#include <catch2/catch.hpp>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "core/aggregate.hpp"
#include "core/model.hpp"
#include "core/sweep.hpp"

using namespace leefbaar;

namespace {

struct RandomYear {
    std::size_t n, ni, nz;
    std::vector<float> z, pz;
    std::vector<std::int32_t> res, dw, zone, prev;
    SweepYearInput input(bool with_prev) const {
        SweepYearInput in;
        in.cells = n;
        in.indicators = ni;
        in.z = z.data();
        in.residents = res.data();
        in.dwellings = dw.data();
        in.zone = zone.data();
        if (with_prev) {
            in.prev_z = pz.data();
            in.prev_index = prev.data();
        }
        return in;
    }
};

RandomYear random_year(std::uint64_t seed, std::size_t n, std::size_t ni, std::size_t nz,
                       double zscale) {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> nd(0, zscale);
    std::uniform_int_distribution<int> ur(0, 300), uz(-1, int(nz) - 1), up(-1, int(n) - 1);
    RandomYear y{n, ni, nz, {}, {}, {}, {}, {}, {}};
    for (std::size_t k = 0; k < n * ni; ++k) {
        y.z.push_back(float(nd(rng)));
        y.pz.push_back(float(nd(rng)));
    }
    for (std::size_t c = 0; c < n; ++c) {
        y.res.push_back(ur(rng) < 30 ? 0 : ur(rng));
        y.dw.push_back(ur(rng) / 2);
        y.zone.push_back(uz(rng));
        y.prev.push_back(up(rng));
    }
    return y;
}

// The serial reference: the run's per-cell arithmetic (contribution_fixed, classify) and
// accumulate_year, one member at a time.
void reference(const RandomYear& y, bool with_prev, std::span<const int> dim_of, std::size_t nd,
               const ClassScheme& cls, const std::vector<double>& w, std::size_t k,
               std::vector<YearZoneStats>& ys, std::vector<PeriodZoneStats>& ps) {
    const std::size_t ni = y.ni;
    for (std::size_t m = 0; m < k; ++m) {
        std::vector<std::int64_t> dims(y.n * nd, 0), dev(y.n, 0);
        std::vector<std::uint8_t> c(y.n);
        auto score = [&](const float* zr, std::int64_t* dm) {
            std::int64_t afw = 0;
            for (std::size_t i = 0; i < ni; ++i) {
                const auto v = contribution_fixed(w[m * ni + i], zr[i]);
                dm[dim_of[i]] += v;
                afw += v;
            }
            return afw;
        };
        for (std::size_t j = 0; j < y.n; ++j) {
            dev[j] = score(&y.z[j * ni], &dims[j * nd]);
            c[j] = std::uint8_t(cls.classify(fixed_to_double(dev[j])));
        }
        accumulate_year(ys[m], y.zone, y.res, y.dw, dev, dims, c);
        if (!with_prev) continue;
        for (std::size_t j = 0; j < y.n; ++j) {
            if (y.zone[j] < 0 || y.prev[j] < 0) continue;
            const auto z = std::size_t(y.zone[j]);
            std::vector<std::int64_t> pdm(nd, 0);
            const auto pafw = score(&y.pz[std::size_t(y.prev[j]) * ni], pdm.data());
            ps[m].residents[z] += y.res[j];
            ps[m].cells[z] += 1;
            ps[m].wsum_delta[z] += Wide(y.res[j]) * (dev[j] - pafw);
            for (std::size_t d = 0; d < nd; ++d)
                ps[m].wsum_ddim[z * nd + d] += Wide(y.res[j]) * (dims[j * nd + d] - pdm[d]);
        }
    }
}

bool same(const YearZoneStats& a, const YearZoneStats& b) {
    return a.residents == b.residents && a.dwellings == b.dwellings && a.cells == b.cells &&
           a.wsum_dev == b.wsum_dev && a.wsum_dim == b.wsum_dim && a.res_class == b.res_class &&
           a.cells_class == b.cells_class;
}
bool same(const PeriodZoneStats& a, const PeriodZoneStats& b) {
    return a.residents == b.residents && a.cells == b.cells && a.wsum_delta == b.wsum_delta &&
           a.wsum_ddim == b.wsum_ddim;
}

}  // namespace

TEST_CASE("a contribution is the exact product of the quantised weight and z", "[sweep]") {
    CHECK(quantise_z(1.5f) == 6144);
    CHECK(quantise_z(-0.5f / 4096) == -1);  // halves away from zero
    CHECK(quantise_weight(0.25) == 262144);
    CHECK(contribution_fixed(0.25, -1.5f) == std::int64_t(262144) * -6144);
    CHECK(fixed_to_double(contribution_fixed(0.25, -1.5f)) == -0.375);
    CHECK(contribution_fixed(0.0, 3.0f) == 0);
}

TEST_CASE("the fused kernel equals a serial reference for any slicing", "[sweep]") {
    const std::size_t ni = 11, nd = 3, nz = 23;
    const std::vector<int> dim_of{0, 1, 2, 0, 1, 2, 2, 1, 0, 0, 1};
    ClassScheme cls;
    cls.limits = {-0.3, -0.1, -0.02, 0.0, 0.05, 0.2};
    cls.labels = {"1", "2", "3", "4", "5", "6", "7"};
    for (int pass = 0; pass < 3; ++pass) {
        // pass 1: huge z and weights, so the double path is not exact and the portable path runs;
        // pass 2: |z| up to ~25 and |w| up to ~0.1, so the VNNI kernel splits both z and the
        // weights into several 16-bit parts (pass 0 splits the larger weights only)
        const bool huge = pass == 1;
        const auto y = random_year(7 + std::uint64_t(pass), 1001, ni, nz,
                                   huge        ? 3e4
                                   : pass == 2 ? 6.0
                                               : 1.0);
        // two full groups of 64 (AVX-512) and a partial one of two full tiles of 16 and a partial
        // one
        const std::size_t k = 165;
        std::mt19937_64 rng(99);
        std::normal_distribution<double> nw(0, huge ? 200.0 : pass == 2 ? 0.02 : 0.05);
        std::vector<double> w(k * ni);
        for (auto& v : w) v = nw(rng);
        for (bool with_prev : {false, true}) {
            auto fresh = [&](std::size_t n, std::vector<YearZoneStats>& ys,
                             std::vector<PeriodZoneStats>& ps) {
                ys.assign(n, {});
                ps.assign(n, {});
                for (auto& s : ys) s.resize(nz, nd, cls.labels.size());
                for (auto& p : ps) p.resize(nz, nd, 0);
            };
            std::vector<YearZoneStats> ref, got, por;
            std::vector<PeriodZoneStats> pref, pgot, ppor;
            fresh(k, ref, pref);
            reference(y, with_prev, dim_of, nd, cls, w, k, ref, pref);
            const auto in = y.input(with_prev);
            const auto p = sweep_prepare(in, nz);
            const auto wq = quantise_weights(w);
            // All members at once, automatic path (VNNI, AVX-512 or AVX2 where available).
            fresh(k, got, pgot);
            sweep_score_prepared(p, dim_of, nd, cls, wq, k, got, pgot);
            // The portable path, and the AVX2 path (no AVX-512).
            fresh(k, por, ppor);
            sweep_score_prepared(p, dim_of, nd, cls, wq, k, por, ppor, SweepKernelPath::portable);
            std::vector<YearZoneStats> av2;
            std::vector<PeriodZoneStats> pav2;
            fresh(k, av2, pav2);
            sweep_score_prepared(p, dim_of, nd, cls, wq, k, av2, pav2, SweepKernelPath::avx2);
            // The AVX-512 double kernel (the automatic path is VNNI where the CPU has it).
            std::vector<YearZoneStats> a512;
            std::vector<PeriodZoneStats> pa512;
            fresh(k, a512, pa512);
            sweep_score_prepared(p, dim_of, nd, cls, wq, k, a512, pa512, SweepKernelPath::avx512);
            for (std::size_t m = 0; m < k; ++m) {
                INFO("pass " << pass << " prev " << with_prev << " member " << m);
                REQUIRE(same(got[m], ref[m]));
                REQUIRE(same(por[m], ref[m]));
                REQUIRE(same(av2[m], ref[m]));
                REQUIRE(same(a512[m], ref[m]));
                if (with_prev) {
                    REQUIRE(same(pgot[m], pref[m]));
                    REQUIRE(same(ppor[m], pref[m]));
                }
            }
            // overwrite = true sets the stats whatever they held, on every path.
            for (auto path : {SweepKernelPath::automatic, SweepKernelPath::avx512,
                              SweepKernelPath::avx2, SweepKernelPath::portable}) {
                std::vector<YearZoneStats> ow;
                std::vector<PeriodZoneStats> pow;
                fresh(k, ow, pow);
                for (auto& st : ow) {
                    std::fill(st.residents.begin(), st.residents.end(), 7);
                    std::fill(st.cells.begin(), st.cells.end(), -3);
                    std::fill(st.dwellings.begin(), st.dwellings.end(), 1);
                    std::fill(st.wsum_dev.begin(), st.wsum_dev.end(), Wide(99));
                    std::fill(st.wsum_dim.begin(), st.wsum_dim.end(), Wide(-5));
                    std::fill(st.res_class.begin(), st.res_class.end(), 11);
                    std::fill(st.cells_class.begin(), st.cells_class.end(), 13);
                }
                for (auto& pp : pow) {
                    std::fill(pp.residents.begin(), pp.residents.end(), 2);
                    std::fill(pp.cells.begin(), pp.cells.end(), 4);
                    std::fill(pp.wsum_delta.begin(), pp.wsum_delta.end(), Wide(8));
                    std::fill(pp.wsum_ddim.begin(), pp.wsum_ddim.end(), Wide(-8));
                }
                sweep_score_prepared(p, dim_of, nd, cls, wq, k, ow, pow, path,
                                     SweepStatsMode::overwrite);
                for (std::size_t m = 0; m < k; ++m) {
                    INFO("overwrite, path " << int(path) << " member " << m);
                    REQUIRE(same(ow[m], ref[m]));
                    if (with_prev) REQUIRE(same(pow[m], pref[m]));
                }
                // The same stats again with the members in reverse order, setting the scores
                // only (the member-independent fields are this year's already).
                std::vector<std::int32_t> wrev(wq.size());
                for (std::size_t m = 0; m < k; ++m)
                    std::copy_n(wq.begin() + std::ptrdiff_t((k - 1 - m) * ni), ni,
                                wrev.begin() + std::ptrdiff_t(m * ni));
                sweep_score_prepared(p, dim_of, nd, cls, wrev, k, ow, pow, path,
                                     SweepStatsMode::overwrite_scores);
                for (std::size_t m = 0; m < k; ++m) {
                    INFO("overwrite scores, path " << int(path) << " member " << m);
                    REQUIRE(same(ow[m], ref[k - 1 - m]));
                    if (with_prev) REQUIRE(same(pow[m], pref[k - 1 - m]));
                }
            }
            // The compact layout (class bands, one kept dimension, periods without dimensions;
            // what sweeps keep per member) holds the reference's sums over the bands and its
            // per-class totals, on every path, accumulating or overwriting.
            for (const std::vector<int>& tops :
                 {std::vector<int>{3, 5, 7}, std::vector<int>{1, 2, 3, 4, 5, 6, 7},
                  std::vector<int>{7}, std::vector<int>{2, 6, 7}}) {
                const std::vector<int> kept{1};
                for (auto path : {SweepKernelPath::automatic, SweepKernelPath::avx512,
                                  SweepKernelPath::avx2, SweepKernelPath::portable})
                    for (bool ow : {false, true}) {
                        std::vector<YearZoneStats> cs(k);
                        std::vector<PeriodZoneStats> cp(k);
                        for (auto& st : cs) {
                            st.resize_compact(nz, kept, tops);
                            if (ow) {
                                std::fill(st.res_class.begin(), st.res_class.end(), 5);
                                std::fill(st.total_cells_class.begin(), st.total_cells_class.end(),
                                          -9);
                                std::fill(st.wsum_dim.begin(), st.wsum_dim.end(), Wide(3));
                            }
                        }
                        for (auto& pp : cp) pp.resize(nz, 0, 0);
                        sweep_score_prepared(
                            p, dim_of, nd, cls, wq, k, cs, cp, path,
                            ow ? SweepStatsMode::overwrite : SweepStatsMode::accumulate);
                        for (std::size_t m = 0; m < k; ++m) {
                            INFO("compact, tops " << tops.size() << " path " << int(path)
                                                  << " overwrite " << ow << " member " << m);
                            const YearZoneStats want = compact(ref[m], kept, tops);
                            REQUIRE(same(cs[m], want));
                            REQUIRE(cs[m].total_res_class == want.total_res_class);
                            REQUIRE(cs[m].total_cells_class == want.total_cells_class);
                            if (with_prev) {
                                REQUIRE(cp[m].wsum_delta == pref[m].wsum_delta);
                                REQUIRE(cp[m].residents == pref[m].residents);
                                REQUIRE(cp[m].cells == pref[m].cells);
                            }
                        }
                    }
            }
            // Member slices of 1, 5, 16 and 70 give the same per-member bits.
            for (std::size_t slice : {1u, 5u, 16u, 70u}) {
                for (std::size_t m0 = 0; m0 < k; m0 += slice) {
                    const std::size_t mk = std::min(slice, k - m0);
                    std::vector<YearZoneStats> part;
                    std::vector<PeriodZoneStats> ppart;
                    fresh(mk, part, ppart);
                    sweep_score_prepared(
                        p, dim_of, nd, cls,
                        std::span<const std::int32_t>(wq.data() + m0 * ni, mk * ni), mk, part,
                        ppart);
                    for (std::size_t m = 0; m < mk; ++m) {
                        REQUIRE(same(part[m], ref[m0 + m]));
                        if (with_prev) REQUIRE(same(ppart[m], pref[m0 + m]));
                    }
                }
            }
        }
    }
    INFO("AVX2 path available: " << sweep_kernel_has_avx2()
                                 << ", AVX-512: " << sweep_kernel_has_avx512()
                                 << ", VNNI: " << sweep_kernel_has_vnni());
    CHECK(true);
}

TEST_CASE("a score exactly on a class limit goes to the class above in both paths", "[sweep]") {
    // One indicator, z = 1, weights put the score exactly on the limits.
    ClassScheme cls;
    cls.limits = {-0.25, 0.0, 0.5};
    cls.labels = {"1", "2", "3", "4"};
    std::vector<float> z{1.0f};
    std::vector<std::int32_t> res{10}, dw{1}, zone{0};
    SweepYearInput in;
    in.cells = 1;
    in.indicators = 1;
    in.z = z.data();
    in.residents = res.data();
    in.dwellings = dw.data();
    in.zone = zone.data();
    const auto p = sweep_prepare(in, 1);
    const std::vector<double> w{-0.25, -0.25 - 0x1.0p-20, 0.0, 0.5, 0.5 - 0x1.0p-20};
    const std::vector<std::size_t> expect{1, 0, 2, 3, 2};  // 0-based classes
    const auto wq = quantise_weights(w);
    for (auto path : {SweepKernelPath::automatic, SweepKernelPath::avx512, SweepKernelPath::avx2,
                      SweepKernelPath::portable}) {
        std::vector<YearZoneStats> ys(w.size());
        std::vector<PeriodZoneStats> none;
        for (auto& s : ys) s.resize(1, 1, 4);
        sweep_score_prepared(p, std::vector<int>{0}, 1, cls, wq, w.size(), ys, none, path);
        for (std::size_t m = 0; m < w.size(); ++m) {
            INFO("member " << m);
            CHECK(ys[m].res_class[expect[m]] == 10);
            CHECK(ys[m].cells_class[expect[m]] == 1);
        }
    }
}

TEST_CASE("int16 parts at their limits give the exact scores in every path", "[sweep]") {
    // |z| and |w| at and just above the 16-bit part limits (|zq| = 32767, 32768, ~2^16;
    // |wq| = 32767, ~2^16) with signs chosen so that whole rows of products of ~2^30 add up:
    // an int32 lane that accumulated more than two of them without widening would wrap.
    const std::size_t ni = 13, nz = 5, n = 400, k = 70;
    ClassScheme cls;
    cls.limits = {-8.0, -2.0, -0.5, 0.0, 0.5, 2.0, 8.0};
    cls.labels = {"1", "2", "3", "4", "5", "6", "7", "8"};
    const float zmag[] = {32767.0f / 4096, 8.0f, 15.99f, 1.0f};
    const double wmag[] = {32767.0 / 1048576, 0.0625, 0.001};
    std::mt19937_64 rng(5);
    std::vector<float> z(n * ni);
    std::vector<std::int32_t> res(n), dw(n), zone(n);
    for (std::size_t c = 0; c < n; ++c) {
        const bool same_sign = c % 3 == 0;
        for (std::size_t i = 0; i < ni; ++i) {
            const float m = zmag[same_sign ? c % 4 : rng() % 4];
            z[c * ni + i] = (same_sign ? c % 2 : rng() % 2) ? -m : m;
        }
        res[c] = std::int32_t(rng() % 50);
        dw[c] = 1;
        zone[c] = std::int32_t(c % nz);
    }
    std::vector<double> w(k * ni);
    for (std::size_t m = 0; m < k; ++m)
        for (std::size_t i = 0; i < ni; ++i) {
            const double v = wmag[m < 20 ? m % 3 : rng() % 3];
            w[m * ni + i] = (m < 20 ? m % 2 : rng() % 2) ? -v : v;
        }
    SweepYearInput in;
    in.cells = n;
    in.indicators = ni;
    in.z = z.data();
    in.residents = res.data();
    in.dwellings = dw.data();
    in.zone = zone.data();
    const auto p = sweep_prepare(in, nz);
    const auto wq = quantise_weights(w);
    const std::vector<int> dim_of(ni, 0);
    auto run = [&](SweepKernelPath path) {
        std::vector<YearZoneStats> ys(k);
        std::vector<PeriodZoneStats> none;
        for (auto& s : ys) s.resize(nz, 1, cls.labels.size());
        sweep_score_prepared(p, dim_of, 1, cls, wq, k, ys, none, path);
        return ys;
    };
    const auto ref = run(SweepKernelPath::portable);
    // The scores spread over the classes (so a wrapped lane would change some).
    std::set<std::size_t> used;
    for (std::size_t c = 0; c < cls.labels.size(); ++c)
        for (std::size_t zz = 0; zz < nz; ++zz)
            if (ref[0].cells_class[zz * cls.labels.size() + c]) used.insert(c);
    CHECK(used.size() >= 3);
    for (auto path : {SweepKernelPath::automatic, SweepKernelPath::avx512, SweepKernelPath::avx2}) {
        const auto got = run(path);
        for (std::size_t m = 0; m < k; ++m) {
            INFO("path " << int(path) << " member " << m);
            REQUIRE(same(got[m], ref[m]));
        }
    }
}

namespace {
bool same_prepared(const SweepPrepared& a, const SweepPrepared& b) {
    auto eq = [](auto x, auto y) { return std::equal(x.begin(), x.end(), y.begin(), y.end()); };
    return a.cells == b.cells && a.indicators == b.indicators && a.zones == b.zones &&
           eq(a.zq, b.zq) && eq(a.packed, b.packed) && a.run_zone == b.run_zone &&
           a.run_begin == b.run_begin && a.zq_maxabs == b.zq_maxabs && a.residents == b.residents &&
           a.dwellings == b.dwellings && a.ncells == b.ncells && a.rz == b.rz &&
           a.period == b.period && a.p_residents == b.p_residents && a.p_cells == b.p_cells &&
           a.pz == b.pz && a.nzv == b.nzv && eq(a.zv, b.zv);
}
}  // namespace

TEST_CASE("a year prepared from blocks of rows equals one prepared from the whole matrix",
          "[sweep]") {
    // More rows than one block (16384), previous rows continued by 0, 1 or 2 cells.
    const std::size_t ni = 5, nz = 37, n = 40000;
    const auto y = random_year(21, n, ni, nz, 3.0);
    const auto whole = sweep_prepare(y.input(true), nz);
    REQUIRE(whole.period);
    std::size_t calls = 0;
    auto reader = [&](const std::vector<float>& m) {
        return [&calls, &m, ni](std::size_t r0, std::size_t k, float* dst) {
            ++calls;
            REQUIRE((r0 + k) * ni <= m.size());
            std::copy_n(m.begin() + std::ptrdiff_t(r0 * ni), k * ni, dst);
        };
    };
    SweepYearInput in = y.input(true);
    in.z = nullptr;
    in.prev_z = nullptr;
    in.read_z = reader(y.z);
    in.read_prev_z = reader(y.pz);
    const auto blocks = sweep_prepare(in, nz);
    CHECK(calls >= 4);
    CHECK(same_prepared(whole, blocks));
    // The period sums by hand for one zone.
    std::vector<std::int64_t> pz(ni, 0);
    for (std::size_t c = 0; c < n; ++c)
        if (y.zone[c] == 3 && y.prev[c] >= 0)
            for (std::size_t i = 0; i < ni; ++i)
                pz[i] +=
                    std::int64_t(y.res[c]) * (quantise_z(y.z[c * ni + i]) -
                                              quantise_z(y.pz[std::size_t(y.prev[c]) * ni + i]));
    CHECK(std::vector<std::int64_t>(blocks.pz.begin() + 3 * ni, blocks.pz.begin() + 4 * ni) == pz);
}

TEST_CASE("prepared z is quantise_z of every value, halves and range edges included", "[sweep]") {
    // Values on the 2^-12 grid's halves (rounded away from zero), -0, values next to the fast
    // range's edge (|z| 2^12 < 2^29) and beyond it (those rows take the library rounding), in
    // rows of 19 indicators (a vector path takes 8 at a time: a masked tail).
    const std::size_t ni = 19, n = 600;
    std::mt19937_64 rng(17);
    std::vector<float> z(n * ni);
    const float edge = 0x1.0p29f / 4096;  // 131072
    for (std::size_t k = 0; k < z.size(); ++k) {
        const auto pick = rng() % 8;
        const float h = (float(std::int64_t(rng() % 20001) - 10000) + 0.5f) / 4096;  // a half
        z[k] = pick == 0   ? h
               : pick == 1 ? -0.0f
               : pick == 2 ? std::nextafter(edge, 0.0f) * (rng() % 2 ? 1.0f : -1.0f)
               : pick == 3 && k % 97 == 0
                   ? edge * 1.5f * (rng() % 2 ? 1.0f : -1.0f)
                   : float(std::ldexp(double(rng() % 200001) - 100000.0, -13));
    }
    RandomYear y{n,
                 ni,
                 1,
                 z,
                 {},
                 std::vector<std::int32_t>(n),
                 std::vector<std::int32_t>(n, 1),
                 std::vector<std::int32_t>(n, 0),
                 {}};
    for (auto& r : y.res) r = std::int32_t(rng() % 400);
    const auto& res = y.res;
    const auto p = sweep_prepare(y.input(false), 1);  // one zone: sorted order = cell order
    std::vector<std::int64_t> mx(ni, 0), rz(ni, 0);
    std::size_t halves = 0, beyond = 0;
    for (std::size_t c = 0; c < n; ++c)
        for (std::size_t i = 0; i < ni; ++i) {
            const float v = z[c * ni + i];
            const std::int32_t q = quantise_z(v);
            INFO("cell " << c << " indicator " << i << " z " << v);
            REQUIRE(p.zq[c * ni + i] == q);
            mx[i] = std::max<std::int64_t>(mx[i], std::abs(std::int64_t(q)));
            rz[i] += std::int64_t(res[c]) * q;
            halves += std::fabs(double(v) * 4096 - std::trunc(double(v) * 4096)) == 0.5;
            beyond += std::fabs(v) >= edge;
        }
    CHECK(p.zq_maxabs == mx);
    CHECK(p.rz == rz);
    CHECK(halves > 500);
    CHECK(beyond > 5);
    CHECK(quantise_z(0.5f / 4096) == 1);
    CHECK(quantise_z(-1.5f / 4096) == -2);
}

TEST_CASE("a year held as VNNI parts only scores as the full year on every path", "[sweep]") {
    const std::size_t ni = 9, nd = 3, nz = 17, n = 3000, k = 40;
    const auto y = random_year(33, n, ni, nz, 20.0);  // |zq| beyond one 16-bit part
    const auto full = sweep_prepare(y.input(true), nz);
    if (full.nzv == 0) {
        WARN("no VNNI on this CPU: years always keep zq, nothing to check");
        return;
    }
    CHECK(full.nzv > ni);
    // The parts sum back to zq exactly.
    const SweepPrepared rebuilt = sweep_with_zq(full);
    CHECK(std::equal(full.zq.begin(), full.zq.end(), rebuilt.zq.begin(), rebuilt.zq.end()));
    // A view of `full` without zq, as the sweep holds years on VNNI CPUs.
    SweepPrepared parts = sweep_with_zq(full);
    parts.zq_own.clear();
    parts.zq = {};
    ClassScheme cls;
    cls.limits = {-40.0, -10.0, -1.0, 0.0, 1.0, 10.0, 40.0};
    cls.labels = {"1", "2", "3", "4", "5", "6", "7", "8"};
    const std::vector<int> dim_of{0, 1, 2, 0, 1, 2, 0, 1, 2};
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> uw(-0.9, 0.9);
    std::vector<double> w(k * ni);
    for (auto& v : w) v = uw(rng);
    auto run = [&](const SweepPrepared& p, const std::vector<double>& wt, SweepKernelPath path) {
        std::vector<YearZoneStats> ys(k);
        std::vector<PeriodZoneStats> ps(k);
        for (auto& s : ys) s.resize(nz, nd, cls.labels.size());
        for (auto& s : ps) s.resize(nz, nd, 0);
        sweep_score_prepared(p, dim_of, nd, cls, quantise_weights(wt), k, ys, ps, path);
        return std::make_pair(ys, ps);
    };
    // Exact members (the VNNI kernel alone), a forced path, and a member too large for the
    // VNNI kernel's exact bound (its group falls back to a path that reads zq).
    std::vector<double> big = w;
    big[5 * ni + 2] = 2000.0;
    for (const auto& [wt, path] :
         {std::make_pair(w, SweepKernelPath::automatic), std::make_pair(w, SweepKernelPath::avx2),
          std::make_pair(w, SweepKernelPath::portable),
          std::make_pair(big, SweepKernelPath::automatic)}) {
        const auto a = run(full, wt, path), b = run(parts, wt, path);
        for (std::size_t m = 0; m < k; ++m) {
            INFO("path " << int(path) << " member " << m);
            REQUIRE(same(a.first[m], b.first[m]));
            REQUIRE(same(a.second[m], b.second[m]));
        }
    }
}

TEST_CASE("Monte-Carlo and grid members", "[sweep]") {
    const auto dir = std::filesystem::temp_directory_path() / "leefbaar-sweep-core";
    std::filesystem::create_directories(dir);
    const std::vector<std::string> ind{"a", "b", "c"}, idim{"d1", "d1", "d2"}, dims{"d1", "d2"};
    const std::vector<double> base{0.1, -0.2, 0.3};
    std::ofstream(dir / "mc.toml")
        << "[sweep]\nkind = \"montecarlo\"\nmembers = 100\nseed = 9\n"
           "[sweep.scale_dimension]\nd2 = 0.0\n[sweep.scale_indicator]\nb = 0.5\n";
    const auto s = parse_sweep_spec((dir / "mc.toml").string(), ind, idim, dims, base);
    CHECK(s.size() == 100);
    double sa = 0, sb = 0;
    for (int m = 0; m < 100; ++m) {
        const auto w = member_weights(s, m);
        CHECK(w == member_weights(s, m));  // pure
        CHECK(w[2] == 0.3);                // scale 0 for dimension d2
        sa += std::pow(w[0] / 0.1 - 1, 2), sb += std::pow(w[1] / -0.2 - 1, 2);
    }
    CHECK(std::sqrt(sa / 100) == Approx(0.1).epsilon(0.3));  // default scale 0.1
    CHECK(std::sqrt(sb / 100) == Approx(0.5).epsilon(0.3));
    CHECK(member_weights(s, 3) != member_weights(s, 4));
    std::ofstream(dir / "grid.toml")
        << "[sweep]\nkind = \"grid\"\n[[sweep.axis]]\ndimension = \"d1\"\nvalues = [0.0, 2.0]\n"
           "[[sweep.axis]]\nindicator = \"c\"\nvalues = [1.0, 2.0, 3.0]\n";
    const auto g = parse_sweep_spec((dir / "grid.toml").string(), ind, idim, dims, base);
    REQUIRE(g.size() == 6);
    CHECK(member_weights(g, 0) == std::vector<double>{0.0, -0.0, 1.0});
    CHECK(member_weights(g, 2) == std::vector<double>{0.0, -0.0, 3.0});
    CHECK(member_weights(g, 4) == std::vector<double>{0.2, -0.4, 2.0});
    std::filesystem::remove_all(dir);
}

TEST_CASE("Spearman's rho", "[sweep]") {
    CHECK(spearman({1, 2, 3, 4}, {10, 20, 30, 40}) == Approx(1.0));
    CHECK(spearman({1, 2, 3, 4}, {4, 3, 2, 1}) == Approx(-1.0));
    CHECK(spearman({1, 2, 3, NAN}, {1, 3, 2, 7}) == Approx(0.5));
    CHECK(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
    // The reference form gives spearman's bits, also when b has NaNs where a has none.
    const std::vector<double> a{0.3, -1.0, NAN, 2.5, 0.3, 7.0, -2.0};
    const SpearmanReference ref(a);
    for (const std::vector<double>& b :
         {std::vector<double>{1, 5, 2, 2, 9, -3, 0}, std::vector<double>{1, NAN, 2, 2, 9, -3, 0},
          std::vector<double>{4, 4, 4, 1, 1, 1, 2}}) {
        const double want = spearman(a, b), got = ref(b);
        CHECK((want == got || (std::isnan(want) && std::isnan(got))));
    }
    // A sweep-like case: 3,000 zones, members near the base with ties and missing zones; the
    // reference form (ranks sorted from the base's order) gives spearman's bits.
    std::mt19937_64 rng(5);
    std::normal_distribution<double> nd(0, 1);
    std::vector<double> base(3000);
    for (std::size_t i = 0; i < base.size(); ++i)
        base[i] = i % 97 == 0 ? NAN : std::round(nd(rng) * 50) / 50;  // ties
    const SpearmanReference bref(base);
    for (int m = 0; m < 20; ++m) {
        std::vector<double> b(base);
        for (auto& v : b) v += nd(rng) * 0.01 * m;
        if (m % 5 == 4) b[10] = NAN;
        const double want = spearman(base, b), got = bref(b);
        INFO("member " << m);
        CHECK(want == got);
    }
    // Against ranks from sorted (value, position) pairs, on values that use every digit of the
    // radix sort: both signs, -0 and +0 (equal, so tied), tiny and huge magnitudes, ties.
    auto sorted_ranks = [](const std::vector<double>& v) {
        std::vector<std::pair<double, std::size_t>> o;
        for (std::size_t i = 0; i < v.size(); ++i) o.push_back({v[i], i});
        std::sort(o.begin(), o.end());
        std::vector<double> r(v.size());
        for (std::size_t i = 0; i < o.size();) {
            std::size_t j = i;
            while (j + 1 < o.size() && o[j + 1].first == o[i].first) ++j;
            for (std::size_t q = i; q <= j; ++q) r[o[q].second] = 0.5 * double(i + j) + 1.0;
            i = j + 1;
        }
        return r;
    };
    auto pearson = [](const std::vector<double>& x, const std::vector<double>& y) {
        const double n = double(x.size());
        double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;
        for (std::size_t i = 0; i < x.size(); ++i) mx += x[i] / n, my += y[i] / n;
        for (std::size_t i = 0; i < x.size(); ++i)
            sxy += (x[i] - mx) * (y[i] - my), sxx += (x[i] - mx) * (x[i] - mx),
                syy += (y[i] - my) * (y[i] - my);
        return sxy / std::sqrt(sxx * syy);
    };
    std::uniform_int_distribution<int> pick(0, 9);
    std::vector<double> x(4000), y(4000);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double mags[] = {1e-300, 1e-5, 0.5, 1.0, 3.0, 1e5, 1e300};
        auto draw = [&] {
            const int k = pick(rng);
            if (k == 0) return 0.0;
            if (k == 1) return -0.0;
            return (rng() % 2 ? -1.0 : 1.0) * mags[rng() % 7] * (1 + double(rng() % 3));
        };
        x[i] = draw(), y[i] = draw();
    }
    CHECK(spearman(x, y) == Approx(pearson(sorted_ranks(x), sorted_ranks(y))).epsilon(1e-13));
    CHECK(SpearmanReference(x)(y) == spearman(x, y));
    CHECK(spearman(x, x) == Approx(1.0).epsilon(1e-15));
}
