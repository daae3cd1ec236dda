#pragma once
// Sensitivity sweeps over indicator weights (pure: no MPI, no I/O besides reading a spec).
//
// Weight sets ("members") come from a spec: an explicit list, a grid over chosen weights or
// dimension multipliers, or Monte-Carlo draws around the base weights. Member i's weights are a
// pure function of (spec, i): Monte-Carlo draws use Philox keyed by the seed with the counter
// (member, indicator), so any slicing of the members gives the same weights.
//
// The scoring kernel scores a tile of members over all cells of one year at once and fuses
// the classification and the zone reductions, so cells x members is never held in memory.
// Every contribution is contribution_fixed(w, z) as in the run, so a member with the base
// weights reproduces the base run to the bit.

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "core/aggregate.hpp"
#include "core/model_config.hpp"

namespace leefbaar {

struct SweepSpec {
    enum class Kind { list, grid, montecarlo };
    Kind kind = Kind::list;
    std::string file;
    // Model description the spec was checked against.
    std::vector<std::string> indicators, indicator_dimensions, dimensions;
    std::vector<double> base;
    // list: members x indicators
    std::vector<std::vector<double>> list;
    // grid: the cartesian product of the axes, last axis fastest
    struct Axis {
        std::string indicator, dimension;  // one of the two
        std::vector<double> values;        // weights (indicator) or multipliers (dimension)
    };
    std::vector<Axis> axes;
    // montecarlo
    std::int64_t members = 0;
    std::uint64_t seed = 1;
    bool normal = true;         // normal (scale = sd) or uniform (scale = half-width)
    bool relative = true;       // w = b * (1 + s u) or w = b + s u
    bool include_base = false;  // member 0 = the base weights
    double scale = 0.1;
    std::vector<double> scale_of;  // per indicator (resolved)

    std::int64_t size() const;
    std::string describe() const;  // one line, for logs and attributes
};

// Reads a spec: a TOML file with a [sweep] table, or a CSV list (header = indicator names,
// an optional "member" column). Throws UsageError naming the file and key.
SweepSpec parse_sweep_spec(const std::string& file, const std::vector<std::string>& indicators,
                           const std::vector<std::string>& indicator_dimensions,
                           const std::vector<std::string>& dimensions,
                           const std::vector<double>& base);

// The weights of member i (0 <= i < spec.size()).
std::vector<double> member_weights(const SweepSpec& s, std::int64_t member);

// One year's scored cells as the kernel sees them.
struct SweepYearInput {
    std::size_t cells = 0, indicators = 0;
    const float* z = nullptr;                 // cells x indicators
    const std::int32_t* residents = nullptr;  // cells
    const std::int32_t* dwellings = nullptr;
    const std::int32_t* zone = nullptr;  // finest zone index per cell, -1 = none
    // Optional: the previous year of a period ending in this year, for the period statistics
    // (change over cells scored in both years, weighted by this year's residents).
    const float* prev_z = nullptr;             // prev cells x indicators
    const std::int32_t* prev_index = nullptr;  // per cell: row in prev_z, -1 = not scored then
};

// Scores `k` members (weights: k x indicators) on one year and adds each member's cells into
// year[m] (and period[m] when prev_z is given; period may be empty otherwise). The stats must
// be sized (zones, dimensions, classes) by the caller. Integer sums: exact in any order.
void sweep_score_tile(const SweepYearInput& in, std::span<const int> dim_of, std::size_t dims,
                      const ClassScheme& classes, std::span<const double> weights, std::size_t k,
                      std::vector<YearZoneStats>& year, std::vector<PeriodZoneStats>& period);

// contribution_fixed (llround of weight * z * 2^32, halves away from zero) without the libm
// call: identical for every finite input with |weight * z| < 2^31.
std::int64_t contribution_fixed_fast(double weight, float z);

// Spearman rank correlation (average ranks for ties) over the entries where both are finite.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace leefbaar
