#pragma once
// The typology of areas under pressure (domain.md section 4): kwetsbare wijken (type 1),
// aandachtsbuurten (type 2) and aandachtsregio's (type 3). Every threshold is a named,
// configurable rule; a zone that misses a type by one criterion is reported with it.

#include <cstdint>
#include <string>
#include <vector>

#include "core/aggregate.hpp"
#include "core/model_config.hpp"

namespace leefbaar {

struct TypologyRules {
    int min_measurements = 3;  // criteria over time must hold in at least this many years
    std::string safety_dimension = "veiligheid";
    int onvoldoende_max_class = 3;  // "cells scoring onvoldoende": classes 1..3
    // Type 2, aandachtsbuurten
    int buurt_max_class = 4;              // class of the buurt's mean deviation: at best zwak
    double buurt_safety_percentile = 20;  // safety among the lowest 20% of buurten
    std::int64_t buurt_min_residents = 1000;
    // Type 1, kwetsbare wijken (wijken, and contiguous clusters of qualifying buurten)
    int wijk_max_class = 4;
    double wijk_safety_percentile = 20;
    // "A substantial part of the area": a third of the scored cells in classes 1..3.
    double wijk_min_onvoldoende_share = 1.0 / 3.0;
    double wijk_max_relative_trend = 0.0;  // last period's change minus the national change
    // "Larger areas": a wijk of at least 5,000 residents, or a cluster of at least 10,000.
    std::int64_t wijk_min_residents = 5000;
    std::int64_t cluster_min_residents = 10000;
    // Type 3, aandachtsregio's
    std::string region_level = "coropplus";
    int region_max_class = 5;                      // residents in cells of class <= 5 ...
    double region_weak_share_top_percent = 15;     // ... share among the top 15% of regions
    int region_min_good_class = 8;                 // area in cells of class >= 8 ...
    double region_good_share_bottom_percent = 40;  // ... share among the bottom 40% of regions
};

struct TypologyResult {
    std::vector<std::uint8_t> member;   // per zone: 1 = of this type
    std::vector<std::string> missed;    // per zone: the one criterion it misses ("" otherwise)
    std::vector<std::string> criteria;  // the rules, in words, for the report
};

// Inputs for one level: statistics per year (in run order) and of the last period.
struct LevelSeries {
    const ZoneLevelTable* level = nullptr;
    std::vector<const YearZoneStats*> years;
    const PeriodZoneStats* last_period = nullptr;  // may be null with < 2 years
    double national_last_delta = 0;
    // Optional, for callers that evaluate several types on one level (sweeps, per member):
    // the class of each zone's mean deviation per year (zone_classes), else computed per call.
    std::vector<std::vector<std::uint8_t>> classes;
    // Optional, likewise: the zones whose safety dimension is among the lowest unsafe_percent
    // per cent in the latest year (safety_lowest), used when a type asks for that percentile.
    std::vector<std::uint8_t> unsafe;
    double unsafe_percent = -1;
    // false: leave TypologyResult::missed empty (no near-miss explanations).
    bool explain = true;
};

// The zones whose mean safety dimension (rules.safety_dimension) is among the lowest `percent`
// per cent of the zones with residents in the latest year of `s`.
std::vector<std::uint8_t> safety_lowest(const TypologyRules& r, const ModelConfig& m,
                                        const LevelSeries& s, double percent);

// The class of each zone's mean deviation (0: no residents), per year of `s`.
std::vector<std::vector<std::uint8_t>> zone_classes(const ModelConfig& m, const LevelSeries& s);

TypologyResult aandachtsbuurten(const TypologyRules& r, const ModelConfig& m,
                                const LevelSeries& buurten);
TypologyResult kwetsbare_wijken(const TypologyRules& r, const ModelConfig& m,
                                const LevelSeries& wijken);
// Buurt-level qualification for the cluster variant of type 1 (same criteria as wijken).
TypologyResult kwetsbare_buurten(const TypologyRules& r, const ModelConfig& m,
                                 const LevelSeries& buurten);
TypologyResult aandachtsregios(const TypologyRules& r, const LevelSeries& regions);

// Connected clusters of flagged zones given adjacency pairs (a < b); returns a cluster id per
// zone (-1 for unflagged), clusters numbered by their smallest zone index.
std::vector<std::int32_t> clusters(
    const std::vector<std::uint8_t>& flagged,
    const std::vector<std::pair<std::int32_t, std::int32_t>>& adjacency);

// Zones whose value is among the lowest (or highest) p percent of the zones with residents
// in the given year; ties broken by zone index.
std::vector<std::uint8_t> in_lowest_percent(const std::vector<double>& value,
                                            const std::vector<std::int64_t>& residents,
                                            double percent);

}  // namespace leefbaar
