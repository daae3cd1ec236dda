#pragma once
// Per-zone statistics of scored cells, exact and independent of ranks and threads: every
// accumulator is an integer (counts, residents) or a 128-bit sum of residents x fixed-point
// scores, so sums over blocks, threads and child zones are exact in any order. Levels that
// nest are rolled up from the finer level (no second pass over the grid).

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/exact_sum.hpp"
#include "core/raster.hpp"

namespace leefbaar {

using Wide = ExactSum::Raw;  // __int128

// double(v), the same rounding: through int64 (one instruction) when v fits, else the 128-bit
// conversion (a library call).
inline double wide_to_double(Wide v) {
    const bool fits = v >= Wide(std::numeric_limits<std::int64_t>::min()) &&
                      v <= Wide(std::numeric_limits<std::int64_t>::max());
    return fits ? double(std::int64_t(v)) : double(v);
}

inline double wide_mean_fixed(Wide sum, std::int64_t weight) {
    return weight > 0 ? wide_to_double(sum) / double(weight) * 0x1.0p-32
                      : std::numeric_limits<double>::quiet_NaN();
}

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
    // Compact layout (sweeps keep per member only what their outputs read; see resize_compact).
    // band_top: the highest class (1-based, increasing, the last = the number of classes) of
    // each stored class band; empty = one band per class. When set, `classes` is the number of
    // bands, res_class and cells_class hold zones x bands, and residents_in_classes /
    // cells_in_classes accept only class ranges made of whole bands (else they throw).
    // dim_ids: the model dimensions kept in wsum_dim (increasing); empty = all `dims`; when
    // set, `dims` is their number and mean_dimension takes a model dimension that is kept.
    // total_res_class / total_cells_class: per class (not band), the sums over all zones,
    // filled by the producers of banded statistics (the bands lose the per-class split);
    // empty otherwise; roll_up, add and compact leave them as documented there.
    std::vector<int> band_top, dim_ids;
    std::vector<std::int64_t> total_res_class, total_cells_class;
    void resize(std::size_t z, std::size_t d, std::size_t c);
    // Zero statistics in the compact layout (totals sized band_top.back(), zeroed).
    void resize_compact(std::size_t z, std::vector<int> dims_kept, std::vector<int> tops);
    bool banded() const { return !band_top.empty(); }
    void add(const YearZoneStats& o);  // element-wise (same shape and layout), totals included
    double mean_deviation(std::size_t z) const {  // NaN when no residents
        return wide_mean_fixed(wsum_dev[z], residents[z]);
    }
    double mean_dimension(std::size_t z, std::size_t d) const {
        return mean_dimension_at(z, dim_slot(d));
    }
    // Where model dimension d is in wsum_dim (throws when it is not kept); for loops over zones.
    std::size_t dim_slot(std::size_t d) const;
    double mean_dimension_at(std::size_t z, std::size_t slot) const {
        return wide_mean_fixed(wsum_dim[z * dims + slot], residents[z]);
    }
    std::int64_t residents_in_classes(std::size_t z, int lo,
                                      int hi) const;  // classes lo..hi (1-based)
    std::int64_t cells_in_classes(std::size_t z, int lo, int hi) const;
    // The stored classes or bands [first, second) that make up classes lo..hi (1-based,
    // clipped to the classes; empty when none); throws when the range cuts a band. Loops over
    // zones take it once and sum with residents_in / cells_in.
    using ClassSpan = std::pair<std::size_t, std::size_t>;
    ClassSpan class_span(int lo, int hi) const;
    std::int64_t residents_in(std::size_t z, ClassSpan sp) const {
        std::int64_t n = 0;
        for (std::size_t b = sp.first; b < sp.second; ++b) n += res_class[z * classes + b];
        return n;
    }
    std::int64_t cells_in(std::size_t z, ClassSpan sp) const {
        std::int64_t n = 0;
        for (std::size_t b = sp.first; b < sp.second; ++b) n += cells_class[z * classes + b];
        return n;
    }
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

// The scored cells of one year on one block (cell ids increasing), as the stage holds them.
struct YearCellsView {
    std::span<const std::int64_t> cell;  // global id row * nx + col, increasing
    std::span<const std::int32_t> residents, dwellings;
    std::span<const std::int64_t> deviation;  // fixed 2^-32
    std::span<const std::int64_t> dimension;  // cells x dims, fixed 2^-32
    std::span<const std::uint8_t> cls;        // 1-based class
    std::span<const std::int32_t> zq;  // cells x indicators: quantise_z of the standardised values
};

// What one pass over the cells of every year yields for one zone grouping.
struct CellPassStats {
    std::vector<YearZoneStats> years;      // per year: zones x (dims, classes)
    std::vector<PeriodZoneStats> periods;  // per period: zones x dims (no indicators)
    // Per period, when asked for: statistics by the class of the starting year (zones =
    // classes; residents, cells and delta only), and the sum over the assigned cell pairs of
    // residents(later year) * (zq2 - zq1) per indicator: times the quantised weight, the exact
    // numerator of the change decomposed by indicator.
    std::vector<PeriodZoneStats> by_start_class;
    std::vector<std::vector<Wide>> indicator_delta_q;
    std::vector<std::int64_t> unassigned_residents, unassigned_cells;  // per year
};

// The statistics of every year and period for one zone grouping: each cell's zone is
// ids.at(col, row) - 1 (-1 = none; the cell must lie in the raster's padded window). `periods`
// are pairs of year indices (first, second). Exact integer sums: the result equals
// accumulate_year per year and a per-period merge of the two years, to the bit, and does not
// depend on the block. Per year one pass in cell order, per period one merge of the two years'
// cell ids; runs of cells of one zone are summed before they are added to the zone.
CellPassStats accumulate_cells(std::span<const YearCellsView> years,
                               std::span<const std::pair<std::size_t, std::size_t>> periods,
                               const Raster<std::int32_t>& ids, std::int64_t nx, std::size_t zones,
                               std::size_t dims, std::size_t classes, std::size_t indicators,
                               bool national_extras);

// Full statistics (one band per class, every dimension) in the compact layout of
// resize_compact(z, dims_kept, tops), totals included: the reference for compact producers.
YearZoneStats compact(const YearZoneStats& full, const std::vector<int>& dims_kept,
                      const std::vector<int>& tops);

// Rolls statistics up one level: parent[z] is the coarser zone of zone z (-1 = dropped). The
// layout (bands, kept dimensions) is kept; the per-class totals are not carried (a dropped
// zone would make them wrong).
YearZoneStats roll_up(const YearZoneStats& s, std::span<const std::int32_t> parent,
                      std::size_t parent_zones);
PeriodZoneStats roll_up(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                        std::size_t parent_zones);
// roll_up into `out`, which holds roll_up(s, parent, ...) of statistics with the same member-
// independent fields as s (residents, dwellings, cells: a sweep's members of one year) and is
// left with them: only the score sums and class counts are rolled up (the same values as
// roll_up). For statistics rolled up member after member without reallocating.
void roll_up_scores(const YearZoneStats& s, std::span<const std::int32_t> parent,
                    YearZoneStats& out);
void roll_up_scores(const PeriodZoneStats& s, std::span<const std::int32_t> parent,
                    PeriodZoneStats& out);

// The integer arrays of the stats as one buffer of int64 and one of Wide, for reductions
// across ranks (pack, reduce, unpack).
std::vector<std::int64_t> pack_ints(const YearZoneStats& s);
std::vector<Wide> pack_wide(const YearZoneStats& s);
void unpack(YearZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide);
std::vector<std::int64_t> pack_ints(const PeriodZoneStats& s);
std::vector<Wide> pack_wide(const PeriodZoneStats& s);
void unpack(PeriodZoneStats& s, std::span<const std::int64_t> ints, std::span<const Wide> wide);

}  // namespace leefbaar
