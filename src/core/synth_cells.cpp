// Per-cell generation of the synthetic layers, zone tables and the manifest.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/synth.hpp"
#include "core/synth_detail.hpp"

namespace leefbaar::synth {

namespace {

enum L : int {
    kResidents,
    kDwellings,
    kSocial,
    kCheap,
    kOther,
    kOwner,
    kSingle,
    kMulti,
    kPre1945,
    kMid,
    kPost1990,
    kVacant,
    kNoise,
    kMonuments,
    kAm0,              // 8 amenity types
    kInc0 = kAm0 + 8,  // 4 incident types
    kGreen = kInc0 + 4,
    kWater,
    kIndustry,
    kAgri,
    kLand,
    kMotorway,
    kRailway,
    kNumLayers
};

// National amenity totals and the share proportional to residents (the rest follows the
// commercial intensity of town centres).
struct AmenityRate {
    const char* type;
    double national;
    double resident_share;
    double growth;  // per year
};
const AmenityRate kAmenities[8] = {
    {"supermarket", 6000, 0.7, 0.0}, {"primary_school", 6800, 0.95, -0.003},
    {"gp", 5000, 0.8, 0.0},          {"horeca", 45000, 0.2, 0.015},
    {"shop", 90000, 0.15, -0.01},    {"culture", 4000, 0.1, 0.0},
    {"pt_stop", 30000, 0.6, 0.0},    {"childcare", 11000, 0.9, 0.01}};
constexpr double kNationalResidents = 17.2e6;
constexpr double kPersonsPerDwelling = 2.23;
// Dwellings at low density come in clusters of about this many per built-up hectare (farms,
// ribbons, hamlets); it sets the number of populated cells (~380,000 nationally).
constexpr double kBuiltCluster = 14.0;
// Settlement populations are scaled by this to make up for what coast, parks, industry and
// forest remove, so the national total is ~17.2 million in 2018.
constexpr double kSettlementScale = 1.12;
constexpr double kRuralDwellingsPerM2 = 1.3e-5;

double trend(const std::map<int, double>& t, int year) {
    if (t.empty()) return 1.0;
    if (year <= t.begin()->first) return t.begin()->second;
    if (year >= t.rbegin()->first) return t.rbegin()->second;
    auto hi = t.lower_bound(year);
    auto lo = std::prev(hi);
    const double f = double(year - lo->first) / double(hi->first - lo->first);
    return lo->second + f * (hi->second - lo->second);
}

std::uint32_t year_key(int layer, int year) {
    return std::uint32_t(layer) << 16 | std::uint32_t(year & 0xffff);
}

}  // namespace

namespace detail {

DiscIndex::DiscIndex(const std::vector<Disc>& discs, std::array<double, 4> box, double bucket)
    : box_(box), bucket_(bucket) {
    nx_ = std::max<std::int64_t>(1, std::int64_t(std::ceil((box[2] - box[0]) / bucket)));
    ny_ = std::max<std::int64_t>(1, std::int64_t(std::ceil((box[3] - box[1]) / bucket)));
    cells_.resize(std::size_t(nx_ * ny_));
    auto cl = [&](double v, double o, std::int64_t n) {
        return std::clamp<std::int64_t>(std::int64_t(std::floor((v - o) / bucket_)), 0, n - 1);
    };
    for (std::size_t i = 0; i < discs.size(); ++i) {
        const auto& d = discs[i];
        if (d.x + d.r < box[0] || d.x - d.r > box[2] || d.y + d.r < box[1] || d.y - d.r > box[3])
            continue;
        for (auto r = cl(d.y - d.r, box[1], ny_); r <= cl(d.y + d.r, box[1], ny_); ++r)
            for (auto c = cl(d.x - d.r, box[0], nx_); c <= cl(d.x + d.r, box[0], nx_); ++c)
                cells_[std::size_t(r * nx_ + c)].push_back(int(i));
    }
}

const std::vector<int>& DiscIndex::near(double x, double y) const {
    if (x < box_[0] || x >= box_[2] || y < box_[1] || y >= box_[3]) return empty_;
    const auto c = std::min(nx_ - 1, std::int64_t((x - box_[0]) / bucket_));
    const auto r = std::min(ny_ - 1, std::int64_t((y - box_[1]) / bucket_));
    return cells_[std::size_t(r * nx_ + c)];
}

}  // namespace detail

const std::vector<LayerInfo>& layers() {
    static const std::vector<LayerInfo> v = [] {
        std::vector<LayerInfo> l(kNumLayers);
        l[kResidents] = {"residents", "persons", false, "residents per cell"};
        l[kDwellings] = {"dwellings", "dwellings", false, "dwellings per cell (all tenures)"};
        l[kSocial] = {"dw_social_rent", "dwellings", false,
                      "social rental dwellings (housing associations)"};
        l[kCheap] = {"dw_private_cheap", "dwellings", false, "cheap private rental dwellings"};
        l[kOther] = {"dw_private_other", "dwellings", false, "other private rental dwellings"};
        l[kOwner] = {"dw_owner", "dwellings", false,
                     "owner-occupied dwellings; the four tenures sum to dwellings"};
        l[kSingle] = {"dw_single_family", "dwellings", false, "single-family dwellings"};
        l[kMulti] = {"dw_multi_family", "dwellings", false,
                     "multi-family dwellings (apartments); with single-family sums to dwellings"};
        l[kPre1945] = {"dw_pre1945", "dwellings", false, "dwellings built before 1945"};
        l[kMid] = {"dw_1945_1990", "dwellings", false, "dwellings built 1945-1990"};
        l[kPost1990] = {"dw_post1990", "dwellings", false,
                        "dwellings built after 1990; the three periods sum to dwellings"};
        l[kVacant] = {"vacant_dwellings", "dwellings", false, "vacant dwellings"};
        l[kNoise] = {"noise_dwellings", "dwellings", false,
                     "dwellings with road or rail noise above 55 dB"};
        l[kMonuments] = {"monuments", "count", false, "listed monuments"};
        for (int t = 0; t < 8; ++t)
            l[kAm0 + t] = {std::string("am_") + kAmenities[t].type, "count", false,
                           std::string("number of ") + kAmenities[t].type +
                               " locations (points of this type in points.gpkg)"};
        const char* inc[4][2] = {{"nuisance", "nuisance reports (overlast) per year"},
                                 {"violence", "violent incidents per year"},
                                 {"vandalism", "vandalism incidents per year"},
                                 {"burglary", "residential burglaries per year"}};
        for (int t = 0; t < 4; ++t)
            l[kInc0 + t] = {std::string("inc_") + inc[t][0], "count", false, inc[t][1]};
        l[kGreen] = {"area_green", "m2", false,
                     "green space (parks, forest, nature) in the cell, m2"};
        l[kWater] = {"area_water", "m2", false, "open water in the cell, m2"};
        l[kIndustry] = {"area_industry", "m2", false,
                        "industrial and business area in the cell, m2"};
        l[kAgri] = {"area_agriculture", "m2", false, "agricultural land in the cell, m2"};
        l[kLand] = {"land", "flag", true, "1 = land (inside the country, not sea or large lake)"};
        l[kMotorway] = {"motorway", "flag", true, "1 = a motorway crosses the cell"};
        l[kRailway] = {"railway", "flag", true, "1 = a railway crosses the cell"};
        return l;
    }();
    return v;
}

int layer_index(const std::string& name) {
    const auto& l = layers();
    for (std::size_t i = 0; i < l.size(); ++i)
        if (l[i].name == name) return int(i);
    return -1;
}

int first_amenity_layer() {
    return kAm0;
}

const std::vector<std::string>& amenity_types() {
    static const std::vector<std::string> v = [] {
        std::vector<std::string> t;
        for (const auto& a : kAmenities) t.push_back(a.type);
        return t;
    }();
    return v;
}

bool AmenityPoint::operator<(const AmenityPoint& o) const {
    if (type != o.type) return type < o.type;
    if (row != o.row) return row < o.row;
    if (col != o.col) return col < o.col;
    return k < o.k;
}

// ---- static fields ------------------------------------------------------------------------

struct Generator::Cell {
    float dens = 0;            // expected dwellings per m2 in 2018
    float centre = 0;          // commercial intensity, person-equivalents per m2
    float growth = 0;          // annual growth rate
    float problem = 0;         // problem-area intensity (0 = none, ~1 = core of a problem district)
    float problem_safety = 0;  // the part of it that acts on incidents
    float decline = 0;         // membership of a declining region, 0..1
    float urban = 0;           // 0 rural .. 1 dense city
    float old = 0;             // tendency to pre-1945 stock
    float hh = 0;              // persons per occupied dwelling
    float f_water = 0, f_green = 0, f_ind = 0, f_agri = 0;
    float d_motor = 0, d_rail = 0;
    float tenure_noise = 0;
    std::uint8_t land = 0, motorway = 0, railway = 0;
};

Generator::Generator(const World& w, const Window& block) : w_(w), block_(block) {
    buurt_ = w.buurt_ids(block);
    cells_.resize(std::size_t(block.cells()));
    const auto& g = w.grid();
    const auto& b = w.world_box_;
    const std::array<double, 4> box = {
        std::min(b[0], g.xmin) - 1000, std::min(b[1], g.ymin()) - 1000,
        std::max(b[2], g.xmax()) + 1000, std::max(b[3], g.ymax) + 1000};
    std::vector<Segment> river_segs;
    for (const auto& r : w.rivers_)
        for (std::size_t i = 1; i < r.size(); ++i)
            river_segs.push_back({r[i - 1][0], r[i - 1][1], r[i][0], r[i][1]});
    const detail::SegmentIndex rivers(river_segs, box, 2000, 1000);
    const detail::SegmentIndex motor(w.motorways_, box, 2000, 2000);
    const detail::SegmentIndex rail(w.railways_, box, 2000, 2000);
    std::vector<Disc> reach;
    for (const auto& s : w.settlements_)
        reach.push_back({s.x, s.y, std::min(7.0 * s.r0, 25000.0), 0});
    const detail::DiscIndex sidx(reach, box, 2000);
    std::vector<Disc> preach;
    for (const auto& p : w.problems_) preach.push_back({p.x, p.y, 3.0 * p.r, p.w});
    const detail::DiscIndex pidx(preach, box, 2000);
    const std::uint64_t seed = w.opt_.seed;
    const double cell = g.cell;

#pragma omp parallel for schedule(dynamic, 4)
    for (std::int64_t r = 0; r < block.nrows; ++r) {
        for (std::int64_t c = 0; c < block.ncols; ++c) {
            Cell& k = cells_[std::size_t(r * block.ncols + c)];
            const std::int64_t gc = block.col0 + c, gr = block.row0 + r;
            const double x = g.centre_x(gc), y = g.centre_y(gr);
            // buurt >= 0 exactly on land (World::locate applies World::land).
            const bool land = buurt_[std::size_t(r * block.ncols + c)] >= 0;
            const double dr = rivers.distance(x, y);
            k.land = land;
            if (!land) {
                k.f_water = 1;
                continue;
            }
            k.d_motor = float(motor.distance(x, y));
            k.d_rail = float(rail.distance(x, y));
            k.motorway = k.d_motor <= 0.5 * cell;
            k.railway = k.d_rail <= 0.5 * cell;
            // Water: river banks, ditches and ponds.
            double fw = std::clamp((w.river_halfwidth_ + 0.5 * cell - dr) / cell, 0.0, 1.0);
            fw = std::max(fw, 0.02 + 0.05 * rnd::value_noise(seed, 300, x, y, 900));
            // Settlements.
            double dens = 0, centre = 0, gw = 0, gsum = 0, old = 0;
            for (int i : sidx.near(x, y)) {
                const auto& s = w.settlements_[std::size_t(i)];
                const double d = std::hypot(x - s.x, y - s.y);
                if (d > 7.0 * s.r0) continue;
                const double a =
                    (kSettlementScale * s.pop / kPersonsPerDwelling) / (2 * M_PI * s.r0 * s.r0);
                const double e = a * std::exp(-d / s.r0);
                dens += e;
                const double rc = s.r0 / 2.5;
                if (d < 7.0 * rc) centre += s.pop / (2 * M_PI * rc * rc) * std::exp(-d / rc);
                gw += e * s.growth;
                gsum += e;
                old = std::max(old, std::exp(-1.8 * d / s.r0) * (s.kind <= 2 ? 1.0 : 0.6));
            }
            // Patchy city texture (parks, canals, offices) and industrial estates.
            const double tex = std::clamp(1.0 + 0.5 * rnd::fbm(seed, 301, x, y, 1200, 3), 0.1, 2.0);
            const double park = rnd::value_noise(seed, 302, x, y, 700);
            double fg = park > 0.8 ? std::min(0.9, (park - 0.8) * 5.0) : 0.0;
            const double ind = rnd::value_noise(seed, 303, x, y, 1400);
            const double dens_ha = dens * 1e4;
            double fi = (ind > 0.78 && dens_ha > 0.5 && dens_ha < 60)
                            ? std::min(0.9, (ind - 0.78) * 5.0)
                            : 0.0;
            const double forest =
                std::clamp((rnd::fbm(seed, 304, x, y, 16000, 3) - 0.25) * 2.5, 0.0, 0.9);
            dens *= tex * (1.0 - fi) * (1.0 - 0.9 * fg) * (1.0 - 0.8 * forest);
            // Scattered rural dwellings (farms, ribbons along roads).
            const double rural =
                kRuralDwellingsPerM2 *
                std::clamp(1.0 + 0.8 * rnd::fbm(seed, 305, x, y, 6000, 2), 0.1, 2.0) *
                (1.0 - forest);
            dens += rural;
            k.dens = float(dens);
            k.centre = float(centre * tex * (1.0 - fi));
            k.growth = float(gsum > 0 ? (gw + rural * 0.0) / (gsum + rural) : 0.0);
            double decl = 0;
            for (const auto& d : w.declining_regions_)
                decl = std::max(
                    decl, std::clamp(1.5 - 1.5 * std::hypot(x - d.x, y - d.y) / d.r, 0.0, 1.0));
            k.decline = float(decl);
            double p = 0, ps = 0;
            for (int i : pidx.near(x, y)) {
                const auto& q = w.problems_[std::size_t(i)];
                const double d2 = ((x - q.x) * (x - q.x) + (y - q.y) * (y - q.y)) / (q.r * q.r);
                if (d2 < 9.0) {
                    p += q.w * std::exp(-d2);
                    ps += q.w * q.safety * std::exp(-d2);
                }
            }
            k.problem = float(std::min(1.5, p));
            k.problem_safety = float(std::min(1.5, ps));
            const double dh = dens * 1e4;
            k.urban = float(dh / (dh + 12.0));
            k.old = float(old);
            k.hh = float(std::clamp(2.55 - 0.8 * k.urban + 0.2 * rnd::fbm(seed, 306, x, y, 3000, 2),
                                    1.4, 3.3));
            k.tenure_noise = float(rnd::fbm(seed, 307, x, y, 1500, 2));
            // Land use fractions, capped so they never exceed the cell.
            const double built = std::min(0.85, dh / 40.0);
            fg = std::clamp(fg + forest + 0.06 * k.urban, 0.0, 1.0);
            double rest = 1.0 - fw;
            fi = std::min(fi, rest);
            rest -= fi;
            const double fb = std::min(built, rest);
            rest -= fb;
            fg = std::min(fg, rest);
            rest -= fg;
            const double fa = k.urban < 0.35 ? 0.92 * rest : 0.3 * rest;
            k.f_water = float(fw);
            k.f_ind = float(fi);
            k.f_green = float(fg);
            k.f_agri = float(fa);
        }
    }
}

Generator::~Generator() = default;

std::vector<Raster<std::int32_t>> Generator::generate(int year) const {
    const auto& g = w_.grid();
    const auto& o = w_.opt_;
    const auto& tr = o.trends;
    std::vector<Raster<std::int32_t>> out;
    out.reserve(kNumLayers);
    for (int l = 0; l < kNumLayers; ++l) out.emplace_back(block_, 0, 0);
    const double area = g.cell * g.cell;
    const double c_built = kBuiltCluster * area / 1e4;  // per built-up cell, low density
    const std::uint64_t seed = o.seed ^ rnd::mix64(std::uint64_t(std::llround(g.cell * 1000)));
    const double dy = double(year - 2018);
    const double nuis = trend(tr.nuisance, year), viol = trend(tr.violence, year),
                 vand = trend(tr.vandalism, year), burg = trend(tr.burglary, year);
    const auto& pp = o.problems;
    const double damp = pp.improvement_damping;
    double am_a[8], am_b[8], am_g[8];
    for (int t = 0; t < 8; ++t) {
        am_a[t] = kAmenities[t].resident_share * kAmenities[t].national / kNationalResidents;
        am_b[t] = (1 - kAmenities[t].resident_share) * kAmenities[t].national / kNationalResidents;
        am_g[t] = std::pow(1.0 + kAmenities[t].growth, double(year - 2012));
    }

#pragma omp parallel for schedule(dynamic, 4)
    for (std::int64_t r = 0; r < block_.nrows; ++r) {
        for (std::int64_t c = 0; c < block_.ncols; ++c) {
            const auto i = std::size_t(r * block_.ncols + c);
            const Cell& k = cells_[i];
            auto set = [&](int l, std::int32_t v) { out[std::size_t(l)].data[i] = v; };
            set(kWater, std::int32_t(std::floor(k.f_water * area)));
            if (!k.land) continue;
            set(kLand, 1);
            set(kMotorway, k.motorway);
            set(kRailway, k.railway);
            set(kGreen, std::int32_t(std::floor(k.f_green * area)));
            set(kIndustry, std::int32_t(std::floor(k.f_ind * area)));
            set(kAgri, std::int32_t(std::floor(k.f_agri * area)));
            const std::int64_t gc = block_.col0 + c, gr = block_.row0 + r;
            const double x = g.centre_x(gc), y = g.centre_y(gr);
            // World cell indices key the streams: the same cell gets the same numbers whatever
            // the extent or decomposition.
            const auto ix = std::uint32_t(std::int64_t(std::floor(x / g.cell)));
            const auto iy = std::uint32_t(std::int64_t(std::floor(y / g.cell)));
            const rnd::Stream s(seed, ix, iy, year_key(kDwellings, 0));
            // Dwellings: built-up or not, then how many (common random numbers over years).
            const double u = double(k.dens) * area * std::pow(1.0 + double(k.growth), dy);
            const double pb = 1.0 - std::exp(-u / c_built);
            std::int32_t D = 0;
            if (s.uniform(0) < pb) D = 1 + rnd::poisson_quantile(u / pb - 1.0, s.uniform(1));
            const double pi = k.problem, urb = k.urban;
            const double pv = std::clamp(0.02 + 0.035 * k.decline + 0.03 * pi, 0.0, 0.5);
            const std::int32_t vac = rnd::binomial_quantile(D, pv, s.uniform(3));
            const std::int32_t R = rnd::poisson_quantile(double(D - vac) * k.hh, s.uniform(2));
            set(kDwellings, D);
            set(kResidents, R);
            set(kVacant, vac);
            if (D > 0) {
                const double core = double(k.old);
                const double soc = std::clamp((0.04 + 0.22 * urb + 0.12 * k.tenure_noise) *
                                                      (1.0 - pp.core_social_cut * core) +
                                                  0.6 * pi,
                                              0.0, 0.9);
                const double cheap = std::clamp(
                    0.04 + 0.10 * urb + 0.15 * pi + 0.05 * k.tenure_noise, 0.0, 0.95 - soc);
                const double other = std::clamp(0.03 + 0.10 * urb + pp.core_private_rent * core,
                                                0.0, 0.97 - soc - cheap);
                const std::int32_t ns = rnd::binomial_quantile(D, soc, s.uniform(4));
                const std::int32_t nc =
                    rnd::binomial_quantile(D - ns, cheap / (1.0 - soc), s.uniform(5));
                const std::int32_t no = rnd::binomial_quantile(
                    D - ns - nc, other / std::max(1e-9, 1.0 - soc - cheap), s.uniform(6));
                set(kSocial, ns);
                set(kCheap, nc);
                set(kOther, no);
                set(kOwner, D - ns - nc - no);
                const double multi = std::clamp(0.03 + 0.75 * urb + 0.25 * pi, 0.0, 0.98);
                const std::int32_t nm = rnd::binomial_quantile(D, multi, s.uniform(7));
                set(kMulti, nm);
                set(kSingle, D - nm);
                const double pre = std::clamp(0.06 + 0.55 * k.old, 0.0, 0.9);
                const double post = std::clamp(
                    0.15 + 0.3 * (1.0 - k.old) + 12.0 * std::max(0.0f, k.growth) - 0.2 * pi, 0.02,
                    0.95 - pre);
                const std::int32_t np = rnd::binomial_quantile(D, pre, s.uniform(8));
                const std::int32_t nn =
                    rnd::binomial_quantile(D - np, post / (1.0 - pre), s.uniform(9));
                set(kPre1945, np);
                set(kPost1990, nn);
                set(kMid, D - np - nn);
                const double pn = std::clamp(0.7 * std::exp(-k.d_motor / 250.0) +
                                                 0.5 * std::exp(-k.d_rail / 150.0) + 0.12 * urb,
                                             0.0, 0.95);
                set(kNoise, rnd::binomial_quantile(D, pn, s.uniform(10)));
                set(kMonuments, rnd::poisson_quantile(0.1 * np * (0.3 + k.old), s.uniform(11)));
            }
            // Amenities (common random numbers over years; declining regions lose some).
            const double rexp = u * k.hh;
            const double cen = double(k.centre) * area;
            const double lose = std::clamp(
                1.0 - tr.declining_amenity_loss_per_year * k.decline * double(year - 2012), 0.4,
                1.2);
            for (int t = 0; t < 8; ++t) {
                const double lam = (am_a[t] * rexp + am_b[t] * cen) * am_g[t] * lose;
                const rnd::Stream a(seed, ix, iy, year_key(kAm0 + t, 0));
                set(kAm0 + t, rnd::poisson_quantile(lam, a.uniform(0)));
            }
            // Incidents (independent per year); problem areas improve less.
            const double tf = 1.0 / (1.0 + damp * pi);
            const double pis = k.problem_safety;
            const double lam_inc[4] = {
                (0.045 * rexp * (1 + 2.5 * pis) * (0.8 + 0.4 * urb) +
                 pp.centre_incidents * 0.01 * cen) *
                    std::pow(nuis, tf),
                (0.005 * rexp * (1 + 3.0 * pis) * (0.7 + 0.6 * urb) +
                 pp.centre_incidents * 0.002 * cen) *
                    std::pow(viol, tf),
                (0.009 * rexp * (1 + 2.0 * pis) * (0.8 + 0.4 * urb) +
                 pp.centre_incidents * 0.001 * cen) *
                    std::pow(vand, tf),
                (0.007 * u * (1 + 1.5 * pis) * (0.85 + 0.3 * urb)) * std::pow(burg, tf)};
            for (int t = 0; t < 4; ++t) {
                const rnd::Stream a(seed, ix, iy, year_key(kInc0 + t, year));
                set(kInc0 + t, rnd::poisson_quantile(lam_inc[t], a.uniform(0)));
            }
        }
    }
    return out;
}

std::vector<AmenityPoint> Generator::points(int year,
                                            const std::vector<Raster<std::int32_t>>& l) const {
    (void)year;
    const auto& g = w_.grid();
    const std::uint64_t seed =
        w_.opt_.seed ^ rnd::mix64(std::uint64_t(std::llround(g.cell * 1000)));
    std::vector<AmenityPoint> out;
    for (int t = 0; t < 8; ++t) {
        const auto& ras = l[std::size_t(kAm0 + t)];
        for (std::int64_t r = 0; r < block_.nrows; ++r)
            for (std::int64_t c = 0; c < block_.ncols; ++c) {
                const std::int32_t n = ras.data[std::size_t(r * block_.ncols + c)];
                if (n <= 0) continue;
                const std::int64_t gc = block_.col0 + c, gr = block_.row0 + r;
                const double x = g.centre_x(gc), y = g.centre_y(gr);
                const auto ix = std::uint32_t(std::int64_t(std::floor(x / g.cell)));
                const auto iy = std::uint32_t(std::int64_t(std::floor(y / g.cell)));
                // Same stream as the count; draws 1, 2, ... place the points inside the cell.
                const rnd::Stream a(seed, ix, iy, year_key(kAm0 + t, 0));
                const double x0 = g.xmin + double(gc) * g.cell, y1 = g.ymax - double(gr) * g.cell;
                for (std::int32_t k = 0; k < n; ++k) {
                    AmenityPoint p;
                    p.type = t;
                    p.k = k;
                    p.row = gr;
                    p.col = gc;
                    p.x = x0 + a.uniform(std::uint32_t(1 + 2 * k)) * g.cell;
                    p.y = y1 - a.uniform(std::uint32_t(2 + 2 * k)) * g.cell;
                    out.push_back(p);
                }
            }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// ---- zones and manifest ------------------------------------------------------------------

ZoneOutput zone_output(const World& w, const std::vector<std::int64_t>& buurt_cells) {
    ZoneOutput z;
    std::array<std::vector<char>, kLevels> present;
    for (int l = 0; l < kLevels; ++l) present[std::size_t(l)].assign(w.zones(Level(l)).size(), 0);
    const auto& bu = w.zones(buurt);
    for (std::size_t i = 0; i < bu.size() && i < buurt_cells.size(); ++i) {
        if (buurt_cells[i] <= 0) continue;
        int idx = int(i);
        for (int l = 0; l < kLevels && idx >= 0; ++l) {
            present[std::size_t(l)][std::size_t(idx)] = 1;
            idx = w.zones(Level(l))[std::size_t(idx)].parent;
        }
    }
    for (int l = 0; l < kLevels; ++l) {
        auto& out = z.levels[std::size_t(l)];
        const auto& zs = w.zones(Level(l));
        out.name = kLevelNames[std::size_t(l)];
        std::vector<int> order;
        for (std::size_t i = 0; i < zs.size(); ++i)
            if (present[std::size_t(l)][i]) order.push_back(int(i));
        std::sort(order.begin(), order.end(),
                  [&](int a, int b) { return zs[std::size_t(a)].code < zs[std::size_t(b)].code; });
        out.index.assign(zs.size(), 0);
        for (std::size_t k = 0; k < order.size(); ++k) {
            const auto& q = zs[std::size_t(order[k])];
            out.index[std::size_t(order[k])] = std::int32_t(k + 1);
            out.world_index.push_back(order[k]);
            out.codes.push_back(q.code);
            out.names.push_back(q.name);
            const auto* parents = l + 1 < kLevels ? &w.zones(Level(l + 1)) : nullptr;
            out.parent_codes.push_back(
                parents && q.parent >= 0 ? (*parents)[std::size_t(q.parent)].code : "");
            if (l == gemeente) {
                const int cp = q.parent;
                const int cr = cp >= 0 ? w.zones(coropplus)[std::size_t(cp)].parent : -1;
                out.corop_codes.push_back(cr >= 0 ? w.zones(corop)[std::size_t(cr)].code : "");
                out.group.push_back(w.gemeente_group()[std::size_t(order[k])]);
                out.declining.push_back(w.gemeente_declining()[std::size_t(order[k])]);
            }
        }
    }
    return z;
}

std::vector<std::int32_t> level_ids(const ZoneOutput& z, const World& w, Level level,
                                    const std::vector<std::int32_t>& buurt_index) {
    // World buurt index -> output id at `level`, via the parent chain.
    const auto& bu = w.zones(buurt);
    std::vector<std::int32_t> map(bu.size(), 0);
    for (std::size_t i = 0; i < bu.size(); ++i) {
        int idx = int(i);
        for (int l = 0; l < level && idx >= 0; ++l)
            idx = w.zones(Level(l))[std::size_t(idx)].parent;
        map[i] = idx >= 0 ? z.levels[std::size_t(level)].index[std::size_t(idx)] : 0;
    }
    std::vector<std::int32_t> out(buurt_index.size(), 0);
    for (std::size_t i = 0; i < out.size(); ++i)
        if (buurt_index[i] >= 0) out[i] = map[std::size_t(buurt_index[i])];
    return out;
}

namespace {
std::string q(const std::string& s) {
    std::string o = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') o += '\\';
        o += c;
    }
    return o + "\"";
}
std::string num(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.1f", v);
    if (std::abs(v - std::round(v * 10) / 10) > 1e-9) std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}
}  // namespace

std::string manifest_toml(const World& w, const std::map<std::string, std::string>& extra) {
    const auto& o = w.options();
    const auto& g = w.grid();
    std::ostringstream m;
    m << "# Synthetic Netherlands generated by `leefbaar synth`; read by the model stage.\n";
    m << "[dataset]\n";
    m << "generator = " << q(kGenerator) << "\n";
    m << "preset = " << q(preset_name(o.preset)) << "\n";
    m << "seed = " << o.seed << "\n";
    m << "years = [";
    for (std::size_t i = 0; i < o.years.size(); ++i) m << (i ? ", " : "") << o.years[i];
    m << "]\n";
    m << "boundaries = "
      << q(w.uses_boundaries() ? "real 2018 municipalities and COROP regions" : "synthetic")
      << "\n";
    for (const auto& [k, v] : extra) m << k << " = " << v << "\n";
    m << "\n[grid]\n";
    m << "epsg = " << g.epsg << "\n";
    m << "xmin = " << num(g.xmin) << "\n";
    m << "ymax = " << num(g.ymax) << "\n";
    m << "cell = " << num(g.cell) << "\n";
    m << "nx = " << g.nx << "\n";
    m << "ny = " << g.ny << "\n";
    for (const auto& l : layers()) {
        m << "\n[layers." << l.name << "]\n";
        m << "file = " << q("{year}/" + l.name + ".tif") << "\n";
        m << "unit = " << q(l.unit) << "\n";
        m << "type = " << q(l.byte ? "Byte" : "Int32") << "\n";
        m << "description = " << q(l.description) << "\n";
    }
    m << "\n[zones]\n";
    m << "file = \"zones.gpkg\"\n";
    m << "levels = [\"buurt\", \"wijk\", \"gemeente\", \"coropplus\", \"corop\"]   # finest "
         "first\n";
    const char* parent[] = {"wijk_code", "gemeente_code", "coropplus_code", "corop_code", ""};
    for (int l = 0; l < kLevels; ++l) {
        m << "\n[zones." << kLevelNames[std::size_t(l)] << "]\n";
        m << "layer = " << q(kLevelNames[std::size_t(l)]) << "\n";
        m << "code = \"code\"\n";
        m << "name = \"name\"\n";
        m << "parent = " << q(parent[l]) << "\n";
        if (l == gemeente) {
            m << "corop = \"corop_code\"\n";
            m << "group = \"group\"          # G4 / G40 / other\n";
            m << "declining = \"declining\"  # 1 = region with population decline\n";
        }
    }
    m << "\n[points]\n";
    m << "file = \"{year}/points.gpkg\"\n";
    m << "layer = \"amenities\"\n";
    m << "type_field = \"type\"\n";
    m << "types = [";
    const auto& t = amenity_types();
    for (std::size_t i = 0; i < t.size(); ++i) m << (i ? ", " : "") << q(t[i]);
    m << "]\n";
    return m.str();
}

}  // namespace leefbaar::synth
