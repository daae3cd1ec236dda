// The synthetic world: geography, settlements, networks, problem districts and zones.
// Built identically on every rank from the seed (no communication needed).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "core/error.hpp"
#include "core/random.hpp"
#include "core/synth.hpp"
#include "core/synth_detail.hpp"

namespace leefbaar::synth {

using detail::Poly;

Preset parse_preset(const std::string& name) {
    if (name == "national") return Preset::national;
    if (name == "small") return Preset::small;
    if (name == "tiny") return Preset::tiny;
    throw UsageError("synth", "unknown preset '" + name + "' (expected national, small or tiny)");
}

std::string preset_name(Preset p) {
    switch (p) {
        case Preset::national:
            return "national";
        case Preset::small:
            return "small";
        case Preset::tiny:
            return "tiny";
    }
    return "?";
}

void check_years(const std::vector<int>& years) {
    if (years.empty()) throw UsageError("synth", "--years lists no year");
    for (std::size_t i = 0; i < years.size(); ++i) {
        if (years[i] < 1900 || years[i] > 2100)
            throw UsageError(
                "synth", "year " + std::to_string(years[i]) + " in --years is outside 1900-2100");
        if (i > 0 && years[i] <= years[i - 1])
            throw UsageError("synth", "--years must be sorted and without duplicates, but " +
                                          std::to_string(years[i]) + " follows " +
                                          std::to_string(years[i - 1]));
    }
}

GridSpec make_grid(const SynthOptions& o) {
    check_years(o.years);
    if (!(o.cell > 0.0) || !std::isfinite(o.cell) || o.cell > 10000.0 || o.cell < 1.0)
        throw UsageError("synth", "cell size " + std::to_string(o.cell) +
                                      " m is invalid (expected 1-10000 m, e.g. 100, 50 or 25)");
    const auto box = detail::world_box(o.preset);
    const auto e = o.extent.value_or(box);
    for (double v : e)
        if (!std::isfinite(v)) throw UsageError("synth", "--extent has a non-finite coordinate");
    if (o.extent) {
        // The world outside the preset's box is all sea; refuse boxes that miss it entirely.
        if (e[2] <= box[0] || e[0] >= box[2] || e[3] <= box[1] || e[1] >= box[3])
            if (e[0] < e[2] && e[1] < e[3])
                throw UsageError("synth", "--extent does not overlap the " + preset_name(o.preset) +
                                              " world (x " + std::to_string(box[0]) + "-" +
                                              std::to_string(box[2]) + ", y " +
                                              std::to_string(box[1]) + "-" +
                                              std::to_string(box[3]) + ")");
    }
    GridSpec g = GridSpec::from_extent(e[0], e[1], e[2], e[3], o.cell);
    if (g.cells() > std::int64_t(1) << 31)
        throw UsageError("synth", "grid of " + std::to_string(g.nx) + " x " + std::to_string(g.ny) +
                                      " cells is too large (at most 2^31 cells)");
    return g;
}

namespace detail {

std::array<double, 4> world_box(Preset p) {
    switch (p) {
        case Preset::national:
            return {0.0, 300000.0, 280000.0, 625000.0};
        case Preset::small:
            return {100000.0, 440000.0, 140000.0, 470000.0};
        case Preset::tiny:
            return {100000.0, 450000.0, 104000.0, 453000.0};
    }
    return {};
}

bool in_poly(const Poly& p, double x, double y) {
    bool in = false;
    for (std::size_t i = 0, j = p.size() - 1; i < p.size(); j = i++) {
        const double xi = p[i][0], yi = p[i][1], xj = p[j][0], yj = p[j][1];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi) in = !in;
    }
    return in;
}

double seg_dist(const Segment& s, double x, double y) {
    const double dx = s.x1 - s.x0, dy = s.y1 - s.y0;
    const double l2 = dx * dx + dy * dy;
    double t = l2 > 0 ? ((x - s.x0) * dx + (y - s.y0) * dy) / l2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double px = s.x0 + t * dx - x, py = s.y0 + t * dy - y;
    return std::sqrt(px * px + py * py);
}

SegmentIndex::SegmentIndex(std::vector<Segment> segs, std::array<double, 4> box, double bucket,
                           double reach)
    : segs_(std::move(segs)), box_(box), bucket_(bucket), reach_(reach) {
    nx_ = std::max<std::int64_t>(1, std::int64_t(std::ceil((box[2] - box[0]) / bucket)));
    ny_ = std::max<std::int64_t>(1, std::int64_t(std::ceil((box[3] - box[1]) / bucket)));
    cells_.resize(std::size_t(nx_ * ny_));
    for (std::size_t i = 0; i < segs_.size(); ++i) {
        const auto& s = segs_[i];
        const auto c0 = col(std::min(s.x0, s.x1) - reach), c1 = col(std::max(s.x0, s.x1) + reach);
        const auto r0 = row(std::min(s.y0, s.y1) - reach), r1 = row(std::max(s.y0, s.y1) + reach);
        for (auto r = r0; r <= r1; ++r)
            for (auto c = c0; c <= c1; ++c) cells_[std::size_t(r * nx_ + c)].push_back(int(i));
    }
}

std::int64_t SegmentIndex::col(double x) const {
    return std::clamp<std::int64_t>(std::int64_t(std::floor((x - box_[0]) / bucket_)), 0, nx_ - 1);
}
std::int64_t SegmentIndex::row(double y) const {
    return std::clamp<std::int64_t>(std::int64_t(std::floor((y - box_[1]) / bucket_)), 0, ny_ - 1);
}

double SegmentIndex::distance(double x, double y) const {
    double best = reach_;
    if (x < box_[0] - reach_ || x > box_[2] + reach_ || y < box_[1] - reach_ ||
        y > box_[3] + reach_)
        return best;
    for (int i : cells_[std::size_t(row(y) * nx_ + col(x))])
        best = std::min(best, seg_dist(segs_[std::size_t(i)], x, y));
    return best;
}

// Pronounceable, deterministic Dutch-looking place names.
std::string place_name(std::uint64_t seed, std::uint32_t id) {
    static const char* pre[] = {"Oost", "West", "Noord", "Zuid", "Groot", "Klein", "Nieuw",
                                "Oud",  "Hoog", "Laag",  "Ter",  "Sint",  "Ven",   "Brak",
                                "Hel",  "Kor",  "Ma",    "Ro",   "Wa",    "Zel",   "Dor",
                                "Ber",  "Lin",  "Ees",   "Hoek", "Wes",   "Aal",   "Ha"};
    static const char* mid[] = {"", "en", "er", "el", "ing", "ster", "ke", "de", "re", "ven"};
    static const char* suf[] = {"dam",   "dijk", "veen",   "wolde", "horst", "berg",   "broek",
                                "hoven", "wijk", "huizen", "kerk",  "rode",  "sloot",  "meer",
                                "donk",  "lo",   "um",     "ga",    "zijl",  "drecht", "woude"};
    const auto r = rnd::philox(seed, 0x6e616d65u, id, 0, 0);
    std::string s = pre[r[0] % std::size(pre)];
    s += mid[r[1] % std::size(mid)];
    s += suf[r[2] % std::size(suf)];
    return s;
}

// Approximate RD New outline (km) of the mainland, counter-clockwise from Zeeuws-Vlaanderen.
const std::vector<std::array<double, 2>> kMainland = {
    {13, 372},  {22, 383},  {25, 390},  {28, 400},  {40, 410},  {50, 425},  {62, 440},  {68, 446},
    {78, 457},  {88, 470},  {95, 482},  {99, 497},  {103, 510}, {106, 527}, {108, 542}, {111, 553},
    {118, 552}, {128, 548}, {145, 560}, {158, 570}, {160, 580}, {165, 590}, {178, 596}, {195, 598},
    {210, 600}, {225, 604}, {240, 606}, {255, 603}, {262, 596}, {270, 590}, {275, 583}, {276, 575},
    {271, 555}, {264, 540}, {262, 525}, {257, 510}, {262, 498}, {270, 487}, {268, 475}, {257, 460},
    {245, 447}, {232, 443}, {214, 432}, {203, 428}, {206, 420}, {200, 405}, {206, 392}, {210, 380},
    {204, 368}, {198, 355}, {200, 345}, {205, 330}, {198, 309}, {188, 307}, {178, 312}, {176, 322},
    {181, 335}, {183, 350}, {175, 362}, {160, 368}, {145, 372}, {130, 378}, {120, 381}, {105, 382},
    {95, 384},  {82, 380},  {70, 378},  {60, 372},  {50, 365},  {35, 362},  {20, 365}};
const std::vector<std::vector<std::array<double, 2>>> kLakes = {
    // IJsselmeer
    {{127, 545},
     {156, 567},
     {162, 560},
     {168, 548},
     {172, 538},
     {165, 530},
     {157, 527},
     {148, 522},
     {140, 518},
     {133, 520},
     {130, 530}},
    // Markermeer
    {{130, 500}, {135, 512}, {142, 517}, {150, 512}, {148, 500}, {140, 490}, {133, 492}},
    // Westerschelde
    {{20, 383}, {35, 386}, {55, 382}, {70, 383}, {72, 378}, {55, 377}, {35, 380}, {22, 378}},
    // Oosterschelde
    {{38, 404}, {55, 408}, {70, 405}, {72, 400}, {55, 400}, {42, 399}},
    // Haringvliet / Hollands Diep
    {{50, 422}, {70, 425}, {90, 424}, {90, 421}, {70, 420}, {52, 418}},
};
const std::vector<std::vector<std::array<double, 2>>> kRivers = {
    // Waal
    {{203, 430}, {190, 431}, {170, 428}, {150, 424}, {130, 423}, {110, 425}, {95, 428}},
    // Nederrijn / Lek
    {{200, 440}, {185, 443}, {170, 444}, {150, 442}, {130, 440}, {110, 437}, {95, 436}},
    // IJssel
    {{197, 442}, {205, 460}, {207, 480}, {205, 500}, {195, 515}, {185, 518}},
    // Maas
    {{205, 372},
     {200, 390},
     {195, 410},
     {185, 420},
     {165, 420},
     {140, 415},
     {120, 418},
     {100, 420}},
    // Nieuwe Waterweg, Noordzeekanaal
    {{95, 436}, {80, 436}, {67, 445}},
    {{100, 497}, {120, 490}},
};

struct CityDef {
    const char* name;
    double x, y, pop;  // km, thousands
};
const std::vector<CityDef> kG4 = {{"Amsterdam", 121.5, 487.0, 854},
                                  {"Rotterdam", 92.5, 437.5, 638},
                                  {"Den Haag", 81.0, 455.0, 533},
                                  {"Utrecht", 136.0, 456.0, 348}};
const std::vector<CityDef> kG40 = {{"Eindhoven", 161, 383, 229},
                                   {"Groningen", 234, 582, 202},
                                   {"Tilburg", 133, 397, 215},
                                   {"Almere", 144, 486, 203},
                                   {"Breda", 112, 400, 183},
                                   {"Nijmegen", 187, 428, 175},
                                   {"Apeldoorn", 194, 469, 161},
                                   {"Haarlem", 104, 488, 160},
                                   {"Arnhem", 190, 444, 157},
                                   {"Enschede", 258, 471, 158},
                                   {"Amersfoort", 155, 463, 155},
                                   {"Zaanstad", 116, 496, 154},
                                   {"'s-Hertogenbosch", 149, 411, 153},
                                   {"Zwolle", 203, 503, 127},
                                   {"Leiden", 93, 464, 124},
                                   {"Maastricht", 177, 318, 122},
                                   {"Dordrecht", 105, 424, 118},
                                   {"Zoetermeer", 94, 451, 124},
                                   {"Ede", 174, 447, 114},
                                   {"Emmen", 256, 533, 107},
                                   {"Westland", 74, 443, 107},
                                   {"Delft", 85, 447, 102},
                                   {"Deventer", 207, 473, 99},
                                   {"Leeuwarden", 183, 579, 122},
                                   {"Alkmaar", 112, 516, 108},
                                   {"Venlo", 209, 376, 101},
                                   {"Helmond", 173, 385, 91},
                                   {"Heerlen", 195, 322, 87},
                                   {"Oss", 163, 421, 91},
                                   {"Hilversum", 141, 472, 90},
                                   {"Amstelveen", 118, 479, 90},
                                   {"Sittard-Geleen", 185, 337, 93},
                                   {"Hengelo", 250, 476, 81},
                                   {"Purmerend", 127, 502, 80},
                                   {"Roosendaal", 84, 392, 77},
                                   {"Schiedam", 86, 437, 78},
                                   {"Lelystad", 160, 502, 77},
                                   {"Vlaardingen", 83, 436, 72},
                                   {"Gouda", 107, 447, 73},
                                   {"Almelo", 238, 487, 72}};
// Regions with population decline (krimpregio's): centre km, radius km.
const std::vector<std::array<double, 3>> kDeclining = {
    {235, 445, 18},  // Achterhoek
    {258, 592, 14},  // Eemsdelta / Delfzijl
    {228, 600, 10},  // Het Hogeland
    {115, 545, 11},  // Kop van Noord-Holland
    {200, 595, 14},  // Noordoost-Fryslan
    {262, 565, 14},  // Oost-Groningen
    {192, 322, 12},  // Parkstad Limburg
    {45, 368, 18},   // Zeeuws-Vlaanderen
};

}  // namespace detail

namespace {

using detail::kG4;
using detail::kG40;

// A city's urban area, in e-folding radii of its density profile (3.5 r0 holds 86% of an
// exponential disc's residents): it belongs to the city's gemeente whole.
constexpr double kCityReach = 3.5;
// A city whose centre lies within this share of a larger city's reach joins that city.
constexpr double kCityCore = 0.5;
// Buurt seeds pick a settlement with probability proportional to its population to this power.
constexpr double kBuurtPopPower = 0.7;

// A spatial hash of points for minimum-spacing checks.
class SpacingIndex {
  public:
    explicit SpacingIndex(double spacing) : s_(spacing) {}
    bool free(double x, double y) const {
        const auto cx = std::int64_t(std::floor(x / s_)), cy = std::int64_t(std::floor(y / s_));
        for (std::int64_t dy = -1; dy <= 1; ++dy)
            for (std::int64_t dx = -1; dx <= 1; ++dx) {
                const auto it = m_.find(key(cx + dx, cy + dy));
                if (it == m_.end()) continue;
                for (const auto& p : it->second)
                    if ((p[0] - x) * (p[0] - x) + (p[1] - y) * (p[1] - y) < s_ * s_) return false;
            }
        return true;
    }
    void add(double x, double y) {
        m_[key(std::int64_t(std::floor(x / s_)), std::int64_t(std::floor(y / s_)))].push_back(
            {x, y});
    }

  private:
    static std::uint64_t key(std::int64_t a, std::int64_t b) {
        return (std::uint64_t(a) << 32) ^ (std::uint64_t(b) & 0xffffffffu);
    }
    double s_;
    std::unordered_map<std::uint64_t, std::vector<std::array<double, 2>>> m_;
};

// Snaps a point to the centre of its 100 m cell: seeds are then cell centres of the standard
// grid, so each seed's own cell is assigned to it (with the spacing rule below).
double snap(double v) {
    return std::floor(v / 100.0) * 100.0 + 50.0;
}

struct ZoneCounts {
    int cp, corop, gm, wk, bu;
    double s_cp, s_gm, s_wk, s_bu;  // minimum seed spacing per level, metres
};

ZoneCounts zone_counts(Preset p) {
    switch (p) {
        case Preset::national:
            return {52, 40, 380, 3000, 13000, 15000, 2800, 600, 400};
        case Preset::small:
            return {3, 2, 6, 25, 100, 12000, 6000, 1500, 500};
        case Preset::tiny:
            return {1, 1, 2, 5, 14, 3000, 1500, 700, 300};
    }
    return {};
}

// Feature streams of the world (the Philox counter's first word).
enum Feature : std::uint32_t {
    kFeatTown = 1,
    kFeatVillage,
    kFeatCp,
    kFeatGm,
    kFeatWk,
    kFeatBu,
    kFeatProblem,
    kFeatNet,
    kFeatSmall,
};

}  // namespace

World::World(const SynthOptions& o, const ExternalZones* external)
    : opt_(o), grid_(make_grid(o)), external_(external) {
    world_box_ = detail::world_box(o.preset);
    if (external_ && !(external_->grid == grid_))
        throw Error("synth", "boundaries rasterised on a different grid than the synthetic grid");
    const auto zc = zone_counts(o.preset);
    // Domain-warp amplitudes: below spacing / (2 sqrt 2), so every seed keeps its own cell.
    warp_ = {zc.s_bu / 3.1, zc.s_wk / 3.0, zc.s_gm / 2.95, zc.s_cp / 5.0, 0.0};
    build_geography();
    {
        std::vector<Segment> segs;
        for (const auto& r : rivers_)
            for (std::size_t i = 1; i < r.size(); ++i)
                segs.push_back({r[i - 1][0], r[i - 1][1], r[i][0], r[i][1]});
        const auto& b = world_box_;
        river_index_ = std::make_unique<detail::SegmentIndex>(
            segs, std::array<double, 4>{b[0] - 5000, b[1] - 5000, b[2] + 5000, b[3] + 5000}, 2000.0,
            1000.0);
    }
    build_settlements();
    build_networks();
    build_problems();
    build_zones();
}

World::~World() = default;

bool World::in_world_box(double x, double y) const {
    const auto& b = world_box_;
    return x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
}

bool World::land(double x, double y) const {
    if (external_) {
        const auto& gr = grid_;
        const auto c = std::int64_t(std::floor((x - gr.xmin) / gr.cell));
        const auto r = std::int64_t(std::floor((gr.ymax - y) / gr.cell));
        if (c < 0 || r < 0 || c >= gr.nx || r >= gr.ny) return false;
        if (external_->gemeente_ids[std::size_t(r * gr.nx + c)] <= 0) return false;
    } else if (!synthetic_land(x, y)) {
        return false;
    }
    return river_index_->distance(x, y) >= river_halfwidth_;
}

void World::build_geography() {
    const auto km = [](const std::vector<std::array<double, 2>>& v) {
        Poly p;
        for (const auto& q : v) p.push_back({q[0] * 1000.0, q[1] * 1000.0});
        return p;
    };
    const auto& b = world_box_;
    const double w = b[2] - b[0], h = b[3] - b[1];
    if (opt_.preset == Preset::national) {
        coast_.push_back(km(detail::kMainland));
        for (const auto& l : detail::kLakes) lakes_.push_back(km(l));
        for (const auto& r : detail::kRivers) rivers_.push_back(km(r));
        islands_ = {{114000, 566000, 4500, 1},
                    {131000, 581000, 1800, 1},
                    {150000, 592000, 2400, 1},
                    {180000, 602000, 2000, 1},
                    {205000, 606000, 1600, 1}};
        river_halfwidth_ = 160.0;
        for (const auto& d : detail::kDeclining)
            declining_regions_.push_back({d[0] * 1000, d[1] * 1000, d[2] * 1000, 1.0});
    } else {
        // A coastal strip: sea in the west, land beyond a wavy coastline.
        const double coast = b[0] + 0.08 * w;
        coast_.push_back(
            {{coast, b[1] - h}, {b[2] + w, b[1] - h}, {b[2] + w, b[3] + h}, {coast, b[3] + h}});
        if (opt_.preset == Preset::small) {
            lakes_.push_back({{b[0] + 0.62 * w, b[1] + 0.70 * h},
                              {b[0] + 0.70 * w, b[1] + 0.74 * h},
                              {b[0] + 0.72 * w, b[1] + 0.82 * h},
                              {b[0] + 0.64 * w, b[1] + 0.84 * h}});
            declining_regions_.push_back({b[0] + 0.9 * w, b[1] + 0.12 * h, 0.2 * w, 1.0});
        } else {
            declining_regions_.push_back({b[0] + 0.95 * w, b[1] + 0.1 * h, 0.15 * w, 1.0});
        }
        Poly river;
        for (int i = 0; i <= 12; ++i) {
            const double t = i / 12.0;
            river.push_back({b[0] + t * w, b[1] + h * (0.35 + 0.06 * std::sin(t * 9.0))});
        }
        rivers_.push_back(river);
        river_halfwidth_ = opt_.preset == Preset::tiny ? 40.0 : 90.0;
    }
}

bool World::synthetic_land(double x, double y) const {
    const std::uint64_t s = opt_.seed;
    // Warp the test point so coastlines and lake shores are irregular at 1-10 km scales.
    const double amp = opt_.preset == Preset::national ? 1500.0 : 400.0;
    const double sc = opt_.preset == Preset::national ? 7000.0 : 2500.0;
    const double wx = x + amp * rnd::fbm(s, 101, x, y, sc, 3);
    const double wy = y + amp * rnd::fbm(s, 102, x, y, sc, 3);
    bool land = false;
    for (const auto& p : coast_)
        if (detail::in_poly(p, wx, wy)) land = true;
    for (const auto& d : islands_) {
        const double dx = (wx - d.x) / (d.r * (d.x > 120000 ? 3.5 : 1.0)),
                     dy = (wy - d.y) / (d.r * (d.x > 120000 ? 0.55 : 2.2));
        if (dx * dx + dy * dy < 1.0) land = true;
    }
    if (!land) return false;
    for (const auto& p : lakes_)
        if (detail::in_poly(p, wx, wy)) return false;
    // Small lakes and ponds.
    if (rnd::value_noise(s, 103, x, y, opt_.preset == Preset::national ? 3000.0 : 1500.0) > 0.955)
        return false;
    return true;
}

void World::build_settlements() {
    const std::uint64_t s = opt_.seed;
    const auto& b = world_box_;
    auto add = [&](const std::string& name, double x, double y, double pop, int kind) {
        Settlement t;
        t.name = name;
        t.x = x;
        t.y = y;
        t.pop = pop;
        t.kind = kind;
        t.r0 = 36.0 * std::pow(pop, 0.3);
        static const double growth[] = {0.009, 0.006, 0.0035, 0.001};
        t.growth = growth[kind];
        for (const auto& d : declining_regions_) {
            const double dd = std::hypot(x - d.x, y - d.y) / d.r;
            t.decline = std::max(t.decline, std::clamp(1.5 - 1.5 * dd, 0.0, 1.0));
        }
        if (t.decline > 0)
            t.growth =
                t.growth * (1 - t.decline) + t.decline * opt_.trends.declining_population_per_year;
        settlements_.push_back(t);
    };
    int ntowns = 0, nvill = 0;
    double town_lo = 12000, town_hi = 45000, vill_lo = 700, vill_hi = 6000, town_sp = 7000,
           vill_sp = 2200;
    if (opt_.preset == Preset::national) {
        for (const auto& c : kG4) add(c.name, c.x * 1000, c.y * 1000, c.pop * 1000, 0);
        for (const auto& c : kG40) add(c.name, c.x * 1000, c.y * 1000, c.pop * 1000, 1);
        ntowns = 230;
        nvill = 1900;
    } else if (opt_.preset == Preset::small) {
        const double w = b[2] - b[0], h = b[3] - b[1];
        add("Groothaven", b[0] + 0.30 * w, b[1] + 0.55 * h, 170000, 0);
        add("Lindenburg", b[0] + 0.72 * w, b[1] + 0.45 * h, 60000, 1);
        ntowns = 4;
        nvill = 16;
        town_lo = 8000;
        town_hi = 25000;
        town_sp = 6000;
        vill_sp = 2500;
    } else {
        const double w = b[2] - b[0], h = b[3] - b[1];
        add("Kleindorp", b[0] + 0.55 * w, b[1] + 0.55 * h, 12000, 2);
        ntowns = 0;
        nvill = 2;
        vill_lo = 600;
        vill_hi = 1500;
        vill_sp = 1500;
    }
    SpacingIndex town_idx(town_sp), vill_idx(vill_sp);
    for (const auto& t : settlements_) {
        town_idx.add(t.x, t.y);
        vill_idx.add(t.x, t.y);
    }
    // Towns and villages: uniform on land, keeping a minimum distance from larger places.
    auto place = [&](int n, Feature f, double lo, double hi, int kind, SpacingIndex& own) {
        int placed = 0;
        for (std::uint32_t a = 0; placed < n && a < std::uint32_t(n) * 200u; ++a) {
            const auto r = rnd::philox(s, f, a, 0, 0);
            const double x = b[0] + rnd::to_unit(r[0]) * (b[2] - b[0]);
            const double y = b[1] + rnd::to_unit(r[1]) * (b[3] - b[1]);
            if (!synthetic_land(x, y) || !own.free(x, y) || !vill_idx.free(x, y)) continue;
            const double pop = lo * std::pow(hi / lo, rnd::to_unit(r[2]));
            add(detail::place_name(s, f * 100000u + a), x, y, pop, kind);
            own.add(x, y);
            if (&own != &vill_idx) vill_idx.add(x, y);
            ++placed;
        }
    };
    place(ntowns, kFeatTown, town_lo, town_hi, 2, town_idx);
    place(nvill, kFeatVillage, vill_lo, vill_hi, 3, vill_idx);
}

void World::build_networks() {
    // Minimum spanning trees over settlement centres: motorways link the larger places,
    // railways the cities and larger towns.
    auto mst = [&](double min_pop, bool perturb) {
        std::vector<int> nodes;
        for (std::size_t i = 0; i < settlements_.size(); ++i)
            if (settlements_[i].pop >= min_pop) nodes.push_back(int(i));
        std::vector<Segment> out;
        if (nodes.size() < 2) return out;
        std::vector<double> best(nodes.size(), std::numeric_limits<double>::infinity());
        std::vector<int> from(nodes.size(), -1);
        std::vector<bool> in(nodes.size(), false);
        best[0] = 0;
        for (std::size_t k = 0; k < nodes.size(); ++k) {
            std::size_t u = nodes.size();
            for (std::size_t i = 0; i < nodes.size(); ++i)
                if (!in[i] && (u == nodes.size() || best[i] < best[u])) u = i;
            in[u] = true;
            const auto& a = settlements_[std::size_t(nodes[u])];
            if (from[u] >= 0) {
                const auto& c = settlements_[std::size_t(nodes[std::size_t(from[u])])];
                out.push_back({c.x, c.y, a.x, a.y});
            }
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                if (in[i]) continue;
                const auto& c = settlements_[std::size_t(nodes[i])];
                double d = std::hypot(a.x - c.x, a.y - c.y);
                if (perturb)
                    d *= 0.8 +
                         0.4 * rnd::to_unit(rnd::philox(
                                   opt_.seed, kFeatNet, std::uint32_t(std::min(nodes[u], nodes[i])),
                                   std::uint32_t(std::max(nodes[u], nodes[i])), 0)[0]);
                if (d < best[i]) {
                    best[i] = d;
                    from[i] = int(u);
                }
            }
        }
        return out;
    };
    if (opt_.preset == Preset::national) {
        motorways_ = mst(30000, false);
        railways_ = mst(20000, true);
        // A ring linking the four large cities (the Randstad motorways).
        for (int i = 0; i < 4; ++i) {
            const auto& a = settlements_[std::size_t(i)];
            const auto& c = settlements_[std::size_t((i + 1) % 4)];
            motorways_.push_back({a.x, a.y, c.x, c.y});
        }
    } else if (opt_.preset == Preset::small) {
        motorways_ = mst(8000, false);
        railways_ = mst(15000, true);
    } else {
        const auto& b = world_box_;
        motorways_.push_back({b[0] + 0.2 * (b[2] - b[0]), b[1], b[0] + 0.8 * (b[2] - b[0]), b[3]});
        railways_.push_back({b[0], b[1] + 0.7 * (b[3] - b[1]), b[2], b[1] + 0.6 * (b[3] - b[1])});
    }
}

void World::build_problems() {
    const auto& pp = opt_.problems;
    const std::uint64_t s = opt_.seed;
    for (std::size_t i = 0; i < settlements_.size(); ++i) {
        const auto& t = settlements_[i];
        auto draw = [&](std::uint32_t k) {
            return rnd::philox(s, kFeatProblem, std::uint32_t(i), k, 0);
        };
        auto district = [&](std::uint32_t k, double dist_lo, double dist_hi, double radius,
                            double w, double safety = 1.0) {
            const auto r = draw(k);
            const double ang = 2 * M_PI * rnd::to_unit(r[0]);
            const double d = t.r0 * (dist_lo + (dist_hi - dist_lo) * rnd::to_unit(r[1]));
            const double rad = radius * (0.8 + 0.5 * rnd::to_unit(r[2]));
            problems_.push_back({t.x + d * std::cos(ang), t.y + d * std::sin(ang), rad,
                                 w * (0.85 + 0.3 * rnd::to_unit(r[3])), safety});
        };
        if (t.kind == 0) {
            for (int k = 0; k < pp.g4_districts; ++k)
                district(std::uint32_t(k), 0.3, 1.1, pp.district_radius_m, pp.g4_intensity,
                         k == 0 ? 1.0 : pp.housing_district_safety);
            for (int k = 0; k < pp.g4_pockets; ++k)
                district(std::uint32_t(30 + k), 0.1, 1.2, pp.pocket_radius_m, pp.g4_intensity);
            continue;
        }
        if (const auto it = pp.towns.find(t.name); it != pp.towns.end()) {
            district(10, 0.3, 1.0, pp.town_radius_m, it->second);
            continue;
        }
        if (t.kind <= 2) {
            const auto r = draw(20);
            if (rnd::to_unit(r[0]) < pp.scattered_share) {
                const double w =
                    std::min(pp.scattered_max, -pp.scattered_mean * std::log(rnd::to_unit(r[1])));
                district(21, 0.2, 0.9, pp.scattered_radius_m, w, rnd::to_unit(r[2]));
            }
            if (t.decline > 0.5 && pp.declining_intensity > 0)
                problems_.push_back({t.x, t.y, 600.0, pp.declining_intensity * t.decline,
                                     pp.housing_district_safety});
        }
    }
}

int World::nearest(const std::vector<int>& cand, const std::vector<Zone>& z, double x,
                   double y) const {
    int best = -1;
    double bd = std::numeric_limits<double>::infinity();
    for (int i : cand) {
        const auto& q = z[std::size_t(i)];
        const double d = (q.x - x) * (q.x - x) + (q.y - y) * (q.y - y);
        if (d < bd) {
            bd = d;
            best = i;
        }
    }
    return best;
}

std::array<int, kLevels> World::locate(double x, double y) const {
    std::array<int, kLevels> out;
    out.fill(-1);
    const std::uint64_t s = opt_.seed;
    auto warped = [&](int level, double& wx, double& wy) {
        const double a = warp_[std::size_t(level)];
        const double sc = a * 6.0;
        wx = x + a * rnd::fbm(s, 200u + 2u * std::uint32_t(level), x, y, sc, 2);
        wy = y + a * rnd::fbm(s, 201u + 2u * std::uint32_t(level), x, y, sc, 2);
    };
    double wx, wy;
    int g = -1;
    if (external_) {
        const auto& gr = grid_;
        const auto c = std::int64_t(std::floor((x - gr.xmin) / gr.cell));
        const auto r = std::int64_t(std::floor((gr.ymax - y) / gr.cell));
        if (c < 0 || r < 0 || c >= gr.nx || r >= gr.ny) return out;
        g = external_->gemeente_ids[std::size_t(r * gr.nx + c)] - 1;
        if (g < 0 || !land(x, y)) return out;
    } else {
        if (!land(x, y)) return out;
        warped(gemeente, wx, wy);
        g = city_at(wx, wy);
        if (g < 0) {
            double cx, cy;
            warped(coropplus, cx, cy);
            const int cp = nearest(cp_all_, zones_[coropplus], cx, cy);
            if (cp < 0) return out;
            g = nearest(cp_gm_[std::size_t(cp)], zones_[gemeente], wx, wy);
            if (g < 0) return out;
        }
    }
    out[gemeente] = g;
    out[coropplus] = zones_[gemeente][std::size_t(g)].parent;
    out[corop] = out[coropplus] >= 0 ? zones_[coropplus][std::size_t(out[coropplus])].parent : -1;
    if (gm_wk_.size() <= std::size_t(g) || gm_wk_[std::size_t(g)].empty()) return out;
    warped(wijk, wx, wy);
    const int w = nearest(gm_wk_[std::size_t(g)], zones_[wijk], wx, wy);
    out[wijk] = w;
    if (w < 0 || wk_bu_.size() <= std::size_t(w)) return out;
    warped(buurt, wx, wy);
    out[buurt] = nearest(wk_bu_[std::size_t(w)], zones_[buurt], wx, wy);
    return out;
}

double World::city_q(double wx, double wy) const {
    double bq = 1e300;
    for (const auto& c : cities_)
        bq = std::min(bq, ((c.x - wx) * (c.x - wx) + (c.y - wy) * (c.y - wy)) / (c.r * c.r));
    return bq;
}

int World::city_at(double wx, double wy) const {
    int best = -1;
    double bq = 1.0;  // (distance / radius)^2 must stay below 1
    for (const auto& c : cities_) {
        const double q = ((c.x - wx) * (c.x - wx) + (c.y - wy) * (c.y - wy)) / (c.r * c.r);
        if (q < bq) {
            bq = q;
            best = c.gemeente;
        }
    }
    return best;
}

std::vector<std::int32_t> World::buurt_ids(const Window& block) const {
    std::vector<std::int32_t> out(std::size_t(block.cells()), -1);
#pragma omp parallel for schedule(dynamic, 8)
    for (std::int64_t r = 0; r < block.nrows; ++r)
        for (std::int64_t c = 0; c < block.ncols; ++c) {
            const double x = grid_.centre_x(block.col0 + c), y = grid_.centre_y(block.row0 + r);
            out[std::size_t(r * block.ncols + c)] = locate(x, y)[buurt];
        }
    return out;
}

bool World::land_for_seed(double x, double y, bool& inside) const {
    if (!external_) {
        inside = true;
        return in_world_box(x, y) && land(x, y);
    }
    inside = x >= grid_.xmin && x < grid_.xmax() && y > grid_.ymin() && y <= grid_.ymax;
    return inside && locate(x, y)[gemeente] >= 0;
}

void World::build_zones() {
    const auto zc = zone_counts(opt_.preset);
    const std::uint64_t s = opt_.seed;
    const auto& b = world_box_;
    auto uniform_point = [&](Feature f, std::uint32_t a, double& x, double& y) {
        const auto r = rnd::philox(s, f, a, 1, 0);
        x = snap(b[0] + rnd::to_unit(r[0]) * (b[2] - b[0]));
        y = snap(b[1] + rnd::to_unit(r[1]) * (b[3] - b[1]));
    };
    // Population-weighted point: a settlement by population (to the power kBuurtPopPower for
    // buurten: the large cities' buurten hold more residents, as in the real division), then a
    // radial offset.
    std::vector<double> cum, cum_bu;
    for (const auto& t : settlements_) {
        cum.push_back((cum.empty() ? 0.0 : cum.back()) + t.pop);
        cum_bu.push_back((cum_bu.empty() ? 0.0 : cum_bu.back()) + std::pow(t.pop, kBuurtPopPower));
    }
    auto pop_point = [&](Feature f, std::uint32_t a, double& x, double& y) {
        const auto r = rnd::philox(s, f, a, 2, 0);
        const auto& c = f == kFeatBu ? cum_bu : cum;
        const double u = rnd::to_unit(r[0]) * c.back();
        const auto i = std::size_t(std::upper_bound(c.begin(), c.end(), u) - c.begin());
        const auto& t = settlements_[std::min(i, settlements_.size() - 1)];
        const double d = -t.r0 * std::log(rnd::to_unit(r[1]) * rnd::to_unit(r[2]));
        const double ang = 2 * M_PI * rnd::to_unit(r[3]);
        x = snap(t.x + d * std::cos(ang));
        y = snap(t.y + d * std::sin(ang));
    };

    auto& cps = zones_[coropplus];
    auto& crs = zones_[corop];
    auto& gms = zones_[gemeente];
    auto& wks = zones_[wijk];
    auto& bus = zones_[buurt];
    std::vector<int> city_settlement;  // per gemeente: the city (settlement) it was seeded for

    if (!external_) {
        // COROP-plus seeds (uniform on land, well apart); the first `corop` of them found the
        // COROP regions, the rest join the COROP of the nearest founder.
        SpacingIndex cp_sp(zc.s_cp);
        for (std::uint32_t a = 0; int(cps.size()) < zc.cp && a < 200000u; ++a) {
            double x, y;
            uniform_point(kFeatCp, a, x, y);
            if (!land(x, y) || !cp_sp.free(x, y)) continue;
            cp_sp.add(x, y);
            cps.push_back({"", "", -1, x, y});
        }
        for (std::size_t i = 0; i < cps.size(); ++i) {
            if (int(i) < zc.corop) {
                cps[i].parent = int(i);
                crs.push_back({"", "", -1, cps[i].x, cps[i].y});
            } else {
                double bd = 1e300;
                for (int k = 0; k < zc.corop; ++k) {
                    const double d = std::hypot(cps[i].x - cps[std::size_t(k)].x,
                                                cps[i].y - cps[std::size_t(k)].y);
                    if (d < bd) {
                        bd = d;
                        cps[i].parent = k;
                    }
                }
            }
        }
        for (std::size_t i = 0; i < cps.size(); ++i) cp_all_.push_back(int(i));
        cp_gm_.assign(cps.size(), {});
        // Gemeenten: each COROP-plus seed, the city centres, then a mix of population-weighted
        // and uniform points.
        SpacingIndex gm_sp(zc.s_gm);
        auto warp_at = [&](int level, double x, double y, double& wx, double& wy) {
            const double a = warp_[std::size_t(level)], sc = a * 6.0;
            wx = x + a * rnd::fbm(s, 200u + 2u * std::uint32_t(level), x, y, sc, 2);
            wy = y + a * rnd::fbm(s, 201u + 2u * std::uint32_t(level), x, y, sc, 2);
        };
        // A seed inside a city's area would get no cells: refused (the seed keeps its cell). A
        // city of its own may lie in the outer part of a larger city's area (Schiedam beside
        // Rotterdam): city_at gives each point to the city it is relatively nearest to.
        auto add_gm = [&](double x, double y, bool city = false) {
            if (!in_world_box(x, y) || !land(x, y) || !gm_sp.free(x, y)) return false;
            double wx, wy;
            warp_at(gemeente, x, y, wx, wy);
            if (city ? city_q(wx, wy) < kCityCore * kCityCore : city_at(wx, wy) >= 0) return false;
            warp_at(coropplus, x, y, wx, wy);
            const int cp = nearest(cp_all_, cps, wx, wy);
            gm_sp.add(x, y);
            cp_gm_[std::size_t(cp)].push_back(int(gms.size()));
            gms.push_back({"", "", cp, x, y});
            return true;
        };
        // The large and mid-size cities first, each with its urban area (largest first, so a
        // city whose centre lies in the core of a larger city's area joins that city). A city
        // whose centre cell is water (a river, a pond) is seeded at the nearest land cell.
        std::vector<std::array<double, 2>> near_offsets;
        city_settlement.assign(std::size_t(zc.gm), -1);
        for (int dy = -20; dy <= 20; ++dy)
            for (int dx = -20; dx <= 20; ++dx)
                if (dx * dx + dy * dy <= 400) near_offsets.push_back({100.0 * dx, 100.0 * dy});
        std::stable_sort(near_offsets.begin(), near_offsets.end(),
                         [](const auto& a, const auto& b) {
                             return a[0] * a[0] + a[1] * a[1] < b[0] * b[0] + b[1] * b[1];
                         });
        for (const auto& t : settlements_) {
            if (t.kind > 1 || int(gms.size()) >= zc.gm) continue;
            for (const auto& o : near_offsets) {
                const double x = snap(t.x + o[0]), y = snap(t.y + o[1]);
                if (!land(x, y)) continue;
                if (add_gm(x, y, true)) {
                    cities_.push_back({x, y, kCityReach * t.r0, int(gms.size()) - 1});
                    city_settlement[gms.size() - 1] = int(&t - settlements_.data());
                }
                break;
            }
        }
        for (const auto& c : cps) add_gm(c.x, c.y);
        // A COROP-plus region whose seed fell in a city area still needs a gemeente of its own
        // for the land outside the cities: the first uniform land point of the region.
        for (std::size_t cp = 0; cp < cps.size(); ++cp)
            for (std::uint32_t a = 0; cp_gm_[cp].empty() && a < 200000u; ++a) {
                double x, y, wx, wy;
                uniform_point(kFeatGm, 0x80000000u + a, x, y);
                warp_at(coropplus, x, y, wx, wy);
                if (nearest(cp_all_, cps, wx, wy) == int(cp)) add_gm(x, y);
            }
        for (std::uint32_t a = 0; int(gms.size()) < zc.gm && a < 2000000u; ++a) {
            double x, y;
            if (a % 2 == 0)
                pop_point(kFeatGm, a, x, y);
            else
                uniform_point(kFeatGm, a, x, y);
            add_gm(x, y);
        }
    } else {
        const auto& e = *external_;
        for (std::size_t i = 0; i < e.cr_codes.size(); ++i)
            crs.push_back({e.cr_codes[i], e.cr_names[i], -1, 0, 0});
        for (std::size_t i = 0; i < e.cp_codes.size(); ++i)
            cps.push_back({e.cp_codes[i], e.cp_names[i], e.cp_corop[i], 0, 0});
        // Gemeente seed: the cell nearest the centroid of its cells.
        const std::size_t n = e.gm_codes.size();
        std::vector<double> sx(n), sy(n), cnt(n);
        const auto& g = grid_;
        for (std::int64_t r = 0; r < g.ny; ++r)
            for (std::int64_t c = 0; c < g.nx; ++c)
                if (const auto id = e.gemeente_ids[std::size_t(r * g.nx + c)]; id > 0) {
                    sx[std::size_t(id - 1)] += double(c);
                    sy[std::size_t(id - 1)] += double(r);
                    cnt[std::size_t(id - 1)] += 1;
                }
        std::vector<double> bd(n, 1e300);
        std::vector<std::array<std::int64_t, 2>> best(n, {-1, -1});
        for (std::int64_t r = 0; r < g.ny; ++r)
            for (std::int64_t c = 0; c < g.nx; ++c)
                if (const auto id = e.gemeente_ids[std::size_t(r * g.nx + c)]; id > 0) {
                    const auto k = std::size_t(id - 1);
                    const double dx = double(c) - sx[k] / cnt[k], dy = double(r) - sy[k] / cnt[k];
                    if (dx * dx + dy * dy < bd[k]) {
                        bd[k] = dx * dx + dy * dy;
                        best[k] = {c, r};
                    }
                }
        for (std::size_t k = 0; k < n; ++k) {
            const bool has = best[k][0] >= 0;
            gms.push_back({e.gm_codes[k], e.gm_names[k], e.gm_coropplus[k],
                           has ? g.centre_x(best[k][0]) : 1e30,
                           has ? g.centre_y(best[k][1]) : 1e30});
        }
    }

    // Wijken: each gemeente's seed, then mostly population-weighted points.
    gm_wk_.assign(gms.size(), {});
    SpacingIndex wk_sp(zc.s_wk);
    auto add_wk = [&](double x, double y, int g_forced) {
        bool inside = false;
        const bool land = g_forced >= 0 || land_for_seed(x, y, inside);
        if (!land || !wk_sp.free(x, y)) return inside;  // counts towards the target if outside
        const int g = g_forced >= 0 ? g_forced : locate(x, y)[gemeente];
        if (g < 0 || gm_wk_[std::size_t(g)].size() >= 99) return false;
        wk_sp.add(x, y);
        gm_wk_[std::size_t(g)].push_back(int(wks.size()));
        wks.push_back({"", "", g, x, y});
        return true;
    };
    int wk_target = zc.wk;
    for (std::size_t g = 0; g < gms.size(); ++g)
        if (gms[g].x < 1e29) {
            add_wk(gms[g].x, gms[g].y, int(g));
            --wk_target;
        }
    for (std::uint32_t a = 0, got = 0; int(got) < wk_target && a < 5000000u; ++a) {
        double x, y;
        if (a % 10 < 7)
            pop_point(kFeatWk, a, x, y);
        else
            uniform_point(kFeatWk, a, x, y);
        bool inside = true;
        if (external_) {
            inside = x >= grid_.xmin && x < grid_.xmax() && y > grid_.ymin() && y <= grid_.ymax;
            if (!inside) {
                // Outside the grid: counts towards the national target (so a small extent
                // gets the national density of wijken), but is not kept.
                if (synthetic_land(x, y) && wk_sp.free(x, y)) ++got;
                continue;
            }
        }
        const std::size_t before = wks.size();
        add_wk(x, y, -1);
        if (wks.size() > before) ++got;
    }
    // Buurten: each wijk's seed, then mostly population-weighted points.
    wk_bu_.assign(wks.size(), {});
    SpacingIndex bu_sp(zc.s_bu);
    auto add_bu = [&](double x, double y, int w_forced) {
        if (!bu_sp.free(x, y)) return false;
        int w = w_forced;
        if (w < 0) {
            bool inside = false;
            if (!land_for_seed(x, y, inside)) return false;
            w = locate(x, y)[wijk];
        }
        if (w < 0 || wk_bu_[std::size_t(w)].size() >= 99) return false;
        bu_sp.add(x, y);
        wk_bu_[std::size_t(w)].push_back(int(bus.size()));
        bus.push_back({"", "", w, x, y});
        return true;
    };
    int bu_target = zc.bu - int(wks.size());
    for (std::size_t w = 0; w < wks.size(); ++w) add_bu(wks[w].x, wks[w].y, int(w));
    for (std::uint32_t a = 0, got = 0; int(got) < bu_target && a < 20000000u; ++a) {
        double x, y;
        if (a % 10 < 8)
            pop_point(kFeatBu, a, x, y);
        else
            uniform_point(kFeatBu, a, x, y);
        if (external_) {
            const bool inside =
                x >= grid_.xmin && x < grid_.xmax() && y > grid_.ymin() && y <= grid_.ymax;
            if (!inside) {
                if (synthetic_land(x, y) && bu_sp.free(x, y)) ++got;
                continue;
            }
        }
        if (add_bu(x, y, -1)) ++got;
    }

    // Codes and names (stable: they depend on the world, not on the grid or the rank count).
    if (!external_) {
        for (std::size_t i = 0; i < crs.size(); ++i) {
            char buf[16];
            std::snprintf(buf, sizeof buf, "CR%02d", int(i + 1));
            crs[i].code = buf;
            crs[i].name = "COROP " + detail::place_name(s, 0x43520000u + std::uint32_t(i));
        }
        std::vector<int> sub(crs.size(), 0), per(crs.size(), 0);
        for (const auto& c : cps) ++per[std::size_t(c.parent)];
        for (std::size_t i = 0; i < cps.size(); ++i) {
            const auto p = std::size_t(cps[i].parent);
            char buf[16];
            std::snprintf(buf, sizeof buf, "CP%02d%02d", int(p + 1), per[p] == 1 ? 0 : ++sub[p]);
            cps[i].code = buf;
            cps[i].name = crs[p].name.substr(6) + (per[p] == 1 ? "" : " " + std::to_string(sub[p]));
        }
        static const char* g4codes[] = {"GM0363", "GM0599", "GM0518", "GM0344"};
        int next = 1000;
        for (std::size_t i = 0; i < gms.size(); ++i) {
            // Name after the largest settlement whose centre lies in it, if any.
            std::string name;
            int kind = 9;
            if (i < city_settlement.size() && city_settlement[i] >= 0) {
                const auto& t = settlements_[std::size_t(city_settlement[i])];
                name = t.name;
                kind = t.kind;
            }
            for (const auto& t : settlements_) {
                if (t.kind >= kind || t.kind > 2) continue;
                if (std::hypot(t.x - gms[i].x, t.y - gms[i].y) > 6000) continue;
                if (locate(snap(t.x), snap(t.y))[gemeente] != int(i)) continue;
                name = t.name;
                kind = t.kind;
            }
            if (opt_.preset == Preset::national && kind == 0) {
                for (std::size_t k = 0; k < 4; ++k)
                    if (name == kG4[k].name) gms[i].code = g4codes[k];
            }
            if (gms[i].code.empty()) {
                char buf[16];
                std::snprintf(buf, sizeof buf, "GM%04d", next++);
                gms[i].code = buf;
            }
            gms[i].name =
                name.empty() ? detail::place_name(s, 0x474d0000u + std::uint32_t(i)) : name;
        }
    }
    std::vector<int> nth_wk(gms.size(), 0), nth_bu(wks.size(), 0);
    for (std::size_t i = 0; i < wks.size(); ++i) {
        const auto& g = gms[std::size_t(wks[i].parent)];
        const int k = nth_wk[std::size_t(wks[i].parent)]++;
        char buf[32];
        std::snprintf(buf, sizeof buf, "WK%s%02d", g.code.substr(2, 4).c_str(), k);
        wks[i].code = buf;
        std::snprintf(buf, sizeof buf, "Wijk %02d ", k);
        wks[i].name = buf + g.name;
    }
    for (std::size_t i = 0; i < bus.size(); ++i) {
        const auto& w = wks[std::size_t(bus[i].parent)];
        const int k = nth_bu[std::size_t(bus[i].parent)]++;
        char buf[32];
        std::snprintf(buf, sizeof buf, "BU%s%02d", w.code.substr(2, 6).c_str(), k);
        bus[i].code = buf;
        bus[i].name = k == 0 ? w.name.substr(8) + "-Centrum"
                             : detail::place_name(s, 0x42550000u + std::uint32_t(i));
    }
    // Gemeente attributes: group (G4 / G40 / other) and declining (0/1).
    gm_group_.assign(gms.size(), "other");
    gm_declining_.assign(gms.size(), 0);
    static const char* g4real[] = {"GM0363", "GM0599", "GM0518", "GM0344"};
    for (std::size_t i = 0; i < gms.size(); ++i) {
        for (const char* c : g4real)
            if (gms[i].code == c) gm_group_[i] = "G4";
        if (gms[i].x > 1e29) continue;
        for (const auto& d : declining_regions_)
            if (std::hypot(gms[i].x - d.x, gms[i].y - d.y) < d.r) gm_declining_[i] = 1;
    }
    for (std::size_t i = 0; i < settlements_.size(); ++i) {
        const auto& t = settlements_[i];
        if (t.kind > 1) continue;
        const auto c = std::find(city_settlement.begin(), city_settlement.end(), int(i));
        const int g = c != city_settlement.end() ? int(c - city_settlement.begin())
                                                 : locate(snap(t.x), snap(t.y))[gemeente];
        if (g < 0) continue;
        if (t.kind == 0 && !external_)
            gm_group_[std::size_t(g)] = "G4";
        else if (gm_group_[std::size_t(g)] != "G4")
            gm_group_[std::size_t(g)] = "G40";
    }
}

}  // namespace leefbaar::synth
