#pragma once
// Sensitivity sweeps over indicator weights (pure: no MPI, no I/O besides reading a spec).
//
// Weight sets ("members") come from a spec: an explicit list, a grid over chosen weights or
// dimension multipliers, or Monte-Carlo draws around the base weights. Member i's weights are a
// pure function of (spec, i): Monte-Carlo draws use Philox keyed by the seed with the counter
// (member, indicator), so any slicing of the members gives the same weights.
//
// The scoring kernel (see sweep_score_prepared) scores members as a blocked matrix product
// (cells x indicators) x (indicators x members) fused with the classification and the zone
// reductions, so cells x members is never held in memory. Every contribution is the exact
// integer product of the quantised weight and z (model.hpp), as in the run, so a member with
// the base weights reproduces the base run to the bit, and any blocking or order gives the same
// bits.
#include <cstdint>
#include <functional>
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
    // Fills rows [row0, row0 + n) of a cells x indicators matrix into dst (n x indicators).
    using RowReader = std::function<void(std::size_t row0, std::size_t n, float* dst)>;
    std::size_t cells = 0, indicators = 0;
    // z, cells x indicators: held whole (z), or read a block of rows at a time (read_z, when z
    // is null), so that the float matrix of a national year (~63 MB) never has to be in memory.
    const float* z = nullptr;
    RowReader read_z;
    const std::int32_t* residents = nullptr;  // cells
    const std::int32_t* dwellings = nullptr;
    const std::int32_t* zone = nullptr;  // finest zone index per cell, -1 = none
    // Optional: the previous year of a period ending in this year, for the period statistics
    // (change over cells scored in both years, weighted by this year's residents).
    const float* prev_z = nullptr;  // prev_cells x indicators (or read_prev_z)
    RowReader read_prev_z;
    const std::int32_t* prev_index = nullptr;  // per cell: row in prev_z, -1 = not scored then
};

// One year prepared for the kernel (once per rank, shared by all member tiles): the cells with a
// zone sorted by zone (stable), z quantised to int32 (quantise_z), runs of cells of one zone, and
// the member-independent parts of the zone statistics. The resident-weighted zone sums of the
// scores are linear in the weights and every term is an integer, so they come exactly from
// per-zone sums rz[z][i] = sum_c residents_c * zq_ci (one small product per member: zones x
// indicators) instead of a pass over the cells; only the classes need the cells x members scores.
// zq and packed are views: of zq_own / packed_own, or of memory the caller gave sweep_prepare
// (e.g. an MPI shared-memory window that the ranks of a node read). Move-only, so that a view
// never outlives or dangles from its own storage (moving a vector keeps its buffer).
struct SweepPrepared {
    SweepPrepared() = default;
    SweepPrepared(SweepPrepared&&) noexcept = default;
    SweepPrepared& operator=(SweepPrepared&&) noexcept = default;
    SweepPrepared(const SweepPrepared&) = delete;
    SweepPrepared& operator=(const SweepPrepared&) = delete;
    std::size_t cells = 0, indicators = 0, zones = 0;
    std::span<const std::int32_t> zq;      // sorted cells x indicators (empty: zv only)
    std::span<const std::int64_t> packed;  // per sorted cell: residents * 2^32 + 1
    std::vector<std::int32_t> zq_own;
    std::vector<std::int64_t> packed_own;
    // The VNNI kernel's z: zq in 16-bit parts, cells x nzv (sweep_plan_zparts, sweep_fill_zparts;
    // empty = no VNNI). Column v is part zv_part[v] of indicator zv_ind[v] (-1: a zero column).
    std::size_t nzv = 0;
    std::vector<std::int32_t> zv_ind, zv_part;
    std::span<const std::int16_t> zv;
    std::vector<std::int16_t> zv_own;
    std::vector<std::int32_t> run_zone;   // per run: zone index
    std::vector<std::size_t> run_begin;   // runs + 1 offsets into the sorted cells
    std::vector<std::int64_t> zq_maxabs;  // per indicator: max |zq| over the cells
    std::vector<std::int64_t> residents, dwellings, ncells;  // per zone
    std::vector<std::int64_t> rz;                            // zones x indicators
    bool period = false;                                     // the fields below are set
    std::vector<std::int64_t> p_residents, p_cells;          // per zone, cells scored in both years
    std::vector<std::int64_t> pz;  // zones x indicators: sum residents * (zq - previous zq)
    // Member-independent inputs of the linear zone sums (sweep_prepare_linear): per indicator
    // max |rz| and max |pz| over the zones, and rz, pz as doubles (exact where below 2^53).
    std::vector<double> rz_max, pz_max, rzd, pzd;
};
// zq_out / packed_out: where to write zq (sweep_prepared_cells(in) x indicators) and packed
// (sweep_prepared_cells(in)); null = in the result's own vectors.
// zparts: also plan and fill zv (own memory) where the CPU has VNNI.
SweepPrepared sweep_prepare(const SweepYearInput& in, std::size_t zones,
                            std::int32_t* zq_out = nullptr, std::int64_t* packed_out = nullptr,
                            bool zparts = true);
// The z part columns of p (from p.zq_maxabs; false and nzv = 0 when there would be too many or
// the CPU has no VNNI), and the parts themselves into out (p.cells x p.nzv).
bool sweep_plan_zparts(SweepPrepared& p);
void sweep_fill_zparts(const SweepPrepared& p, std::int16_t* out);
// Sets p.rz_max, pz_max, rzd, pzd from p.rz and p.pz (sweep_prepare does; a rank that receives
// rz and pz of a year prepared elsewhere calls it itself).
void sweep_prepare_linear(SweepPrepared& p);
// A copy of p with zq rebuilt from its VNNI parts (the sum of each indicator's parts), for a
// year prepared with the parts only (zq empty, so that a node need not hold both): the kernel
// paths that read zq (members the VNNI kernel cannot take exactly, a forced path) use it.
SweepPrepared sweep_with_zq(const SweepPrepared& p);
// The number of cells of `in` with a zone (the rows of the prepared zq).
std::size_t sweep_prepared_cells(const SweepYearInput& in);

// Which code path sweep_score_prepared takes: automatic = the AVX-512 VNNI kernel where the CPU
// has it (int16 parts of z and the weights, vpdpwssd into int32 lanes bounded per chunk of
// indicators, widened to int64 scores), else the AVX-512 double kernel, else the AVX2+FMA
// micro-kernel; avx512 = the AVX-512 double kernel (never VNNI); avx2 = never AVX-512;
// portable = the int64 path. The AVX-512 kernels take groups of 64 members per pass over the
// cells and keep cumulative class counts by masked adds; the double kernels compute on integer
// values, exact because every partial sum stays below 2^53 (checked per group/tile, else the
// portable path; the VNNI kernel is used under the same check). All give the same bits
// (tested).
enum class SweepKernelPath { automatic, avx2, portable, avx512 };
bool sweep_kernel_has_avx2();
bool sweep_kernel_has_vnni();
bool sweep_kernel_has_avx512();

// What sweep_score_prepared does with the statistics it is given.
enum class SweepStatsMode {
    accumulate,  // adds each member's cells to what the stats hold
    overwrite,   // sets every field (the stats need not be zeroed)
    // sets the member-dependent fields only: the stats hold this prepared year's member-
    // independent fields already (residents, dwellings, cells; the period's residents and
    // cells), from an earlier overwrite call on the same prepared year (stats reused per tile)
    overwrite_scores,
};

// Scores `k` members (quantised weights wq: k x indicators, quantise_weight) on one prepared
// year into year[m] (and period[m] when p.period; period may be empty otherwise), as `mode`
// says. The stats must be sized by the caller, all members alike: full (resize(zones,
// dimensions, classes)) or compact (YearZoneStats::resize_compact: class bands, kept
// dimensions, per-class totals; period stats with all or no dimensions), and the kernel fills
// exactly what they hold. Integer sums: exact in any order, so the result is independent of
// tiles, threads and ranks.
void sweep_score_prepared(const SweepPrepared& p, std::span<const int> dim_of, std::size_t dims,
                          const ClassScheme& classes, std::span<const std::int32_t> wq,
                          std::size_t k, std::vector<YearZoneStats>& year,
                          std::vector<PeriodZoneStats>& period,
                          SweepKernelPath path = SweepKernelPath::automatic,
                          SweepStatsMode mode = SweepStatsMode::accumulate);

// Quantised weights (k x indicators) of weights (k x indicators); throws on |w| >= 2^11.
std::vector<std::int32_t> quantise_weights(std::span<const double> weights);

// Convenience: prepare + score (weights as doubles, k x indicators).
void sweep_score_tile(const SweepYearInput& in, std::span<const int> dim_of, std::size_t dims,
                      const ClassScheme& classes, std::span<const double> weights, std::size_t k,
                      std::vector<YearZoneStats>& year, std::vector<PeriodZoneStats>& period);

// Spearman rank correlation (average ranks for ties) over the entries where both are finite.
double spearman(const std::vector<double>& a, const std::vector<double>& b);

// spearman(a, b) for one a and many b: a's ranks are computed once (the same bits).
class SpearmanReference {
  public:
    explicit SpearmanReference(std::vector<double> a);
    double operator()(const std::vector<double>& b) const;

  private:
    std::vector<double> a_, ra_;
    std::vector<std::size_t> idx_;
    double ma_ = 0;
};

}  // namespace leefbaar
