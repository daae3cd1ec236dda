#pragma once
// Per-zone statistics of scored cells, exact and independent of ranks and threads: every
// accumulator is an integer (counts, residents) or a 128-bit sum of residents x fixed-point
// scores, so sums over blocks, threads and child zones are exact in any order. Levels that
// nest are rolled up from the finer level (no second pass over the grid).

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/exact_sum.hpp"

namespace leefbaar {

using Wide = ExactSum::Raw;  // __int128

// One zone level: codes, names, and the index of each zone's parent in the next level.
struct ZoneLevelTable {
    std::string name;
    std::vector<std::string> codes, names;
    std::vector<std::int32_t> parent;  // index into the next coarser level, -1 = none
    std::size_t size() const { return codes.size(); }
};

// Statistics of one year on one level (arrays indexed by zone, zone x dimension, zone x class).
struct YearZoneStats {
    std::size_t zones = 0, dims = 0, classes = 0;
    std::vector<std::int64_t> residents, dwellings, cells;
    std::vector<Wide> wsum_dev;             // sum residents * deviation (fixed 2^-32)
    std::vector<Wide> wsum_dim;             // zones x dims
    std::vector<std::int64_t> res_class;    // zones x classes: residents per class
    std::vector<std::int64_t> cells_class;  // zones x classes: scored cells per class
    void resize(std::size_t z, std::size_t d, std::size_t c);
    void add(const YearZoneStats& o);            // element-wise (same shape)
    double mean_deviation(std::size_t z) const;  // NaN when no residents
    double mean_dimension(std::size_t z, std::size_t d) const;
    std::int64_t residents_in_classes(std::size_t z, int lo,
                                      int hi) const;  // classes lo..hi (1-based)
    std::int64_t cells_in_classes(std::size_t z, int lo, int hi) const;
};

// Statistics of one period on one level, over cells scored in both years, weighted by the
// residents of the later year: change of the deviation, by dimension and by indicator.
struct PeriodZoneStats {
    std::size_t zones = 0, dims = 0, indicators = 0;
    std::vector<std::int64_t> residents, cells;
    std::vector<Wide> wsum_delta;  // zones
    std::vector<Wide> wsum_ddim;   // zones x dims
    std::vector<Wide> wsum_dind;   // zones x indicators
    void resize(std::size_t z, std::size_t d, std::size_t i);
    void add(const PeriodZoneStats& o);
    double mean_delta(std::size_t z) const;
    double mean_ddim(std::size_t z, std::size_t d) const;
    double mean_dind(std::size_t z, std::size_t i) const;
};

// Accumulates cells into zone statistics. `zone` is the zone index of each cell (-1: none).
void accumulate_year(YearZoneStats& s, std::span<const std::int32_t> zone,
                     std::span<const std::int32_t> residents,
                     std::span<const std::int32_t> dwellings,
                     std::span<const std::int64_t> deviation,
                     std::span<const std::int64_t> dimension, std::span<const std::uint8_t> cls);

// Rolls statistics up one level: parent[z] is the coarser zone of zone z (-1 = dropped).
YearZoneStats roll_up(const YearZoneStats& s, std::span<const std::int32_t> parent,
                      std::size_t parent_zones);
PeriodZoneStats roll_up(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                        std::size_t parent_zones);

// The integer arrays of the stats as one buffer of int64 and one of Wide, for reductions
// across ranks (pack, reduce, unpack).
std::vector<std::int64_t> pack_ints(const YearZoneStats& s);
std::vector<Wide> pack_wide(const YearZoneStats& s);
void unpack(YearZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide);
std::vector<std::int64_t> pack_ints(const PeriodZoneStats& s);
std::vector<Wide> pack_wide(const PeriodZoneStats& s);
void unpack(PeriodZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide);

inline double wide_mean_fixed(Wide sum, std::int64_t weight) {
    return weight > 0 ? double(sum) / double(weight) * 0x1.0p-32
                      : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace leefbaar
