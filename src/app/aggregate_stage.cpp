#include "app/aggregate_stage.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "app/log.hpp"
#include "core/aggregate.hpp"
#include "core/error.hpp"
#include "core/simd.hpp"
#include "core/typology.hpp"
#include "dist/comm.hpp"
#include "dist/halo.hpp"
#include "dist/reduce.hpp"
#include "io/csv.hpp"
#include "io/gdal_raster.hpp"
#include "io/zone_gpkg.hpp"
#include "io/zones.hpp"
#include "kernels/tile.hpp"

namespace leefbaar::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// Sums zone statistics over the ranks (integer and 128-bit fixed point: exact in any order).
template <class Stats>
void reduce(Stats& s, MPI_Comm comm) {
    auto ints = pack_ints(s);
    auto wide = pack_wide(s);
    dist::allreduce_sum(ints, comm);
    dist::allreduce_sum(wide, comm);
    unpack(s, ints, wide);
}

json num(double v) {
    return std::isnan(v) ? json(nullptr) : json(v);
}

// Wall time of consecutive sections of the stage.
class Sections {
  public:
    explicit Sections(std::vector<std::pair<std::string, double>>* out) : out_(out) {}
    void mark(const std::string& name) {
        const auto now = std::chrono::steady_clock::now();
        const double t = std::chrono::duration<double>(now - t_).count();
        t_ = now;
        if (!out_) return;
        for (auto& [n, v] : *out_)  // a section marked again (per level) adds up
            if (n == name) {
                v += t;
                return;
            }
        out_->push_back({name, t});
    }

  private:
    std::vector<std::pair<std::string, double>>* out_;
    std::chrono::steady_clock::time_point t_ = std::chrono::steady_clock::now();
};

// The baseline of the aggregation benchmark: one pass that reads every byte of the given
// arrays (8-byte words summed), as a streaming reduction over the same data would.
template <class... Vs>
std::uint64_t stream_words(std::int64_t& bytes, const Vs&... vs) {
    std::uint64_t acc = 0;
    auto one = [&](const auto& v) {
        const auto* p = reinterpret_cast<const unsigned char*>(v.data());
        const std::size_t n = v.size() * sizeof(v[0]);
        bytes += std::int64_t(n);
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            acc += w;
        }
        for (; i < n; ++i) acc += p[i];
    };
    (one(vs), ...);
    return acc;
}

}  // namespace

io::ZoneSource zone_source(const DatasetManifest& ds, const ZoneLevel& l) {
    return {ds.zones_file, l.layer, l.code_field, l.name_field, l.parent_field};
}

std::vector<ZoneLevelTable> load_zone_levels(const DatasetManifest& ds) {
    std::vector<ZoneLevelTable> levels;
    std::vector<io::ZoneTable> tables;
    for (const auto& l : ds.levels) {
        tables.push_back(io::read_zone_table(zone_source(ds, l)));
        ZoneLevelTable z;
        z.name = l.name;
        z.codes = tables.back().codes;
        z.names = tables.back().names;
        z.parent.assign(tables.back().size(), -1);
        levels.push_back(std::move(z));
    }
    for (std::size_t k = 0; k + 1 < levels.size(); ++k) {
        if (ds.levels[k].parent_field.empty()) continue;
        const io::ZoneTable& t = tables[k];
        for (std::size_t zi = 0; zi < t.size(); ++zi) {
            const auto id = tables[k + 1].id_of(t.parents[zi]);
            if (id == 0)
                throw Error("aggregate",
                            "zones file " + ds.zones_file + " level '" + levels[k].name +
                                "': zone " + t.codes[zi] + " names parent '" + t.parents[zi] +
                                "', which is not a zone of level '" + levels[k + 1].name + "'");
            levels[k].parent[zi] = id - 1;
        }
    }
    return levels;
}

ZonePrep prepare_zones(const RunConfig& rc, const Window& block, bool read_layers) {
    const auto t0 = std::chrono::steady_clock::now();
    const DatasetManifest& ds = rc.dataset;
    ZonePrep p;
    p.levels = load_zone_levels(ds);
    if (p.levels.empty()) throw Error("aggregate", "dataset " + ds.dir + " defines no zone levels");
    p.finest = io::rasterise_zones(zone_source(ds, ds.levels[0]), ds.grid, block, 1);
    for (std::size_t k = 0; k < ds.levels.size(); ++k)
        if (ds.levels[k].name == "gemeente") {
            for (const auto& f : {ds.levels[k].group_field, ds.levels[k].declining_field})
                if (!f.empty() && !p.attributes.count(f))
                    p.attributes[f] = io::read_zone_attribute(zone_source(ds, ds.levels[k]), f);
            break;
        }
    if (read_layers)
        for (const auto& sb : rc.aggregation.share_bins)
            for (const auto& l : {sb.numerator, sb.denominator}) {
                if (p.layers.count(l)) continue;
                Raster<std::int32_t> r(block, 0, kernels::kNodataI32);
                io::read_window(ds.layer_path(l, rc.years.back()), ds.grid, r,
                                "layer '" + l + "' year " + std::to_string(rc.years.back()));
                p.layers[l] = std::move(r);
            }
    p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return p;
}

namespace {
// The cells c of one row (c < n) whose east or south neighbour lies in another zone (both
// zones > 0), in increasing order, passed to f(c). The AVX-512 form skips 16 cells at a time
// inside zones; `z` and `below` are readable up to z[n] and below[n - 1].
template <class F>
void boundary_cells_scalar(const std::int32_t* z, const std::int32_t* below, std::int64_t c0,
                           std::int64_t n, F&& f) {
    for (std::int64_t c = c0; c < n; ++c) {
        const std::int32_t z0 = z[c];
        if (z0 > 0 && ((z[c + 1] > 0 && z[c + 1] != z0) || (below[c] > 0 && below[c] != z0))) f(c);
    }
}
#ifdef LEEFBAAR_AVX512
template <class F>
__attribute__((target("avx512f"))) void boundary_cells_avx512(const std::int32_t* z,
                                                              const std::int32_t* below,
                                                              std::int64_t n, F&& f) {
    const __m512i zero = _mm512_setzero_si512();
    std::int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        const __m512i a = _mm512_loadu_si512(z + c), e = _mm512_loadu_si512(z + c + 1),
                      s = _mm512_loadu_si512(below + c);
        const __mmask16 east =
            _mm512_mask_cmpneq_epi32_mask(_mm512_cmpgt_epi32_mask(e, zero), e, a);
        const __mmask16 south =
            _mm512_mask_cmpneq_epi32_mask(_mm512_cmpgt_epi32_mask(s, zero), s, a);
        for (unsigned m = _mm512_mask_cmpgt_epi32_mask(__mmask16(east | south), a, zero); m;
             m &= m - 1)
            f(c + __builtin_ctz(m));
    }
    boundary_cells_scalar(z, below, c, n, f);
}
// The same on AVX2, 8 cells at a time (comparisons give all-ones lanes; movemask their signs).
template <class F>
__attribute__((target("avx2"))) void boundary_cells_avx2(const std::int32_t* z,
                                                         const std::int32_t* below, std::int64_t n,
                                                         F&& f) {
    const __m256i zero = _mm256_setzero_si256();
    std::int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(z + c)),
                      e = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(z + c + 1)),
                      s = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(below + c));
        const __m256i east =
            _mm256_andnot_si256(_mm256_cmpeq_epi32(e, a), _mm256_cmpgt_epi32(e, zero));
        const __m256i south =
            _mm256_andnot_si256(_mm256_cmpeq_epi32(s, a), _mm256_cmpgt_epi32(s, zero));
        const __m256i hit =
            _mm256_and_si256(_mm256_or_si256(east, south), _mm256_cmpgt_epi32(a, zero));
        for (unsigned m = unsigned(_mm256_movemask_ps(_mm256_castsi256_ps(hit))); m; m &= m - 1)
            f(c + __builtin_ctz(m));
    }
    boundary_cells_scalar(z, below, c, n, f);
}
#endif
// acc[zid[c] - 1] += v[c] for the cells c < n with a zone (zid > 0) and a value (not nodata).
// The AVX-512 form skips 16 cells at a time without a value (most cells: no dwellings) and
// adds 16 cells of one zone as one sum (integer sums: the same result).
void add_by_zone_scalar(const std::int32_t* zid, const std::int32_t* v, std::int64_t c0,
                        std::int64_t n, std::int64_t* acc) {
    for (std::int64_t c = c0; c < n; ++c)
        if (zid[c] > 0 && v[c] != kernels::kNodataI32) acc[zid[c] - 1] += v[c];
}
#ifdef LEEFBAAR_AVX512
__attribute__((target("avx512f"))) void add_by_zone_avx512(const std::int32_t* zid,
                                                           const std::int32_t* v, std::int64_t n,
                                                           std::int64_t* acc) {
    const __m512i zero = _mm512_setzero_si512(), nodata = _mm512_set1_epi32(kernels::kNodataI32);
    std::int64_t c = 0;
    for (; c + 16 <= n; c += 16) {
        const __m512i zv = _mm512_loadu_si512(zid + c), vv = _mm512_loadu_si512(v + c);
        const __mmask16 m = _mm512_mask_cmpneq_epi32_mask(
            _mm512_mask_cmpneq_epi32_mask(_mm512_cmpgt_epi32_mask(zv, zero), vv, nodata), vv, zero);
        if (!m) continue;
        const std::int32_t z0 = zid[c + __builtin_ctz(m)];
        if ((_mm512_mask_cmpeq_epi32_mask(m, zv, _mm512_set1_epi32(z0))) == m) {
            const __m512i x = _mm512_maskz_mov_epi32(m, vv);
            acc[z0 - 1] += _mm512_reduce_add_epi64(
                _mm512_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(x)),
                                 _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(x, 1))));
            continue;
        }
        for (unsigned b = m; b; b &= b - 1) {
            const std::int64_t k = c + __builtin_ctz(b);
            acc[zid[k] - 1] += v[k];
        }
    }
    add_by_zone_scalar(zid, v, c, n, acc);
}
// The same on AVX2, 8 cells at a time.
__attribute__((target("avx2"))) void add_by_zone_avx2(const std::int32_t* zid,
                                                      const std::int32_t* v, std::int64_t n,
                                                      std::int64_t* acc) {
    const __m256i zero = _mm256_setzero_si256(), nodata = _mm256_set1_epi32(kernels::kNodataI32);
    std::int64_t c = 0;
    for (; c + 8 <= n; c += 8) {
        const __m256i zv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(zid + c)),
                      vv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(v + c));
        // A zone, and a value that is neither nodata nor 0.
        const __m256i mv = _mm256_andnot_si256(
            _mm256_or_si256(_mm256_cmpeq_epi32(vv, nodata), _mm256_cmpeq_epi32(vv, zero)),
            _mm256_cmpgt_epi32(zv, zero));
        const unsigned m = unsigned(_mm256_movemask_ps(_mm256_castsi256_ps(mv)));
        if (!m) continue;
        const std::int32_t z0 = zid[c + __builtin_ctz(m)];
        const unsigned same = unsigned(
            _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(zv, _mm256_set1_epi32(z0)))));
        if ((same & m) == m) {
            const __m256i x = _mm256_and_si256(mv, vv);
            const __m256i w =
                _mm256_add_epi64(_mm256_cvtepi32_epi64(_mm256_castsi256_si128(x)),
                                 _mm256_cvtepi32_epi64(_mm256_extracti128_si256(x, 1)));
            const __m128i h =
                _mm_add_epi64(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
            acc[z0 - 1] += _mm_cvtsi128_si64(h) + _mm_extract_epi64(h, 1);
            continue;
        }
        for (unsigned b = m; b; b &= b - 1) {
            const std::int64_t k = c + __builtin_ctz(b);
            acc[zid[k] - 1] += v[k];
        }
    }
    add_by_zone_scalar(zid, v, c, n, acc);
}
#endif
}  // namespace

void add_by_zone(const std::int32_t* zid, const std::int32_t* v, std::int64_t n,
                 std::int64_t* acc) {
#ifdef LEEFBAAR_AVX512
    if (simd::has_avx512f()) return add_by_zone_avx512(zid, v, n, acc);
    if (simd::has_avx2()) return add_by_zone_avx2(zid, v, n, acc);
#endif
    add_by_zone_scalar(zid, v, 0, n, acc);
}

std::vector<std::pair<std::int32_t, std::int32_t>> zone_adjacency(const Raster<std::int32_t>& ids,
                                                                  const Window& block,
                                                                  MPI_Comm comm) {
    // Each edge between two cells is looked at once, by the owner of its west or north cell
    // (the east and south neighbours may be halo cells of another rank's block).
    std::vector<std::int64_t> pairs;
    {
        // The distinct pairs (a < b) in an open-addressing hash set of a << 32 | b: most edges
        // of a boundary repeat a pair already seen, and sorting every edge would cost more.
        constexpr std::uint64_t kEmpty = ~std::uint64_t(0);
        std::vector<std::uint64_t> set(1 << 12, kEmpty);
        std::size_t count = 0;
        // A small direct-mapped cache of recent pairs in front of the set: a boundary repeats
        // its pair on every row it crosses.
        std::vector<std::uint64_t> recent(1024, kEmpty);
        auto insert = [&](std::uint64_t key) {
            std::uint64_t& slot = recent[std::size_t((key * 0x9E3779B97F4A7C15ULL) >> 54)];
            if (slot == key) return;
            slot = key;
            for (;;) {
                const std::size_t mask = set.size() - 1;
                std::size_t h = std::size_t((key * 0x9E3779B97F4A7C15ULL) >> 20) & mask;
                while (set[h] != kEmpty && set[h] != key) h = (h + 1) & mask;
                if (set[h] == key) return;
                if (2 * (count + 1) <= set.size()) {
                    set[h] = key;
                    ++count;
                    return;
                }
                std::vector<std::uint64_t> old(set.size() * 2, kEmpty);
                old.swap(set);
                count = 0;
                for (const auto k : old)
                    if (k != kEmpty) {
                        std::size_t g =
                            std::size_t((k * 0x9E3779B97F4A7C15ULL) >> 20) & (set.size() - 1);
                        while (set[g] != kEmpty) g = (g + 1) & (set.size() - 1);
                        set[g] = k;
                        ++count;
                    }
            }
        };
        for (auto row = block.row0; row < block.row1(); ++row) {
            const std::int32_t* z = &ids.at(block.col0, row);
            const std::int32_t* below = &ids.at(block.col0, row + 1);
            std::int32_t last0 = 0, last1 = 0;  // skips runs of the same edge along a row
            auto edge = [&](std::int64_t c) {
                const std::int32_t z0 = z[c];
                for (const std::int32_t z1 : {z[c + 1], below[c]})
                    if (z1 > 0 && z1 != z0 && !(z0 == last0 && z1 == last1)) {
                        insert(std::uint64_t(std::min(z0, z1) - 1) << 32 |
                               std::uint64_t(std::max(z0, z1) - 1));
                        last0 = z0;
                        last1 = z1;
                    }
            };
#ifdef LEEFBAAR_AVX512
            if (simd::has_avx512f()) {
                boundary_cells_avx512(z, below, block.ncols, edge);
                continue;
            }
            if (simd::has_avx2()) {
                boundary_cells_avx2(z, below, block.ncols, edge);
                continue;
            }
#endif
            boundary_cells_scalar(z, below, 0, block.ncols, edge);
        }
        std::vector<std::uint64_t> keys;
        keys.reserve(count);
        for (const auto k : set)
            if (k != kEmpty) keys.push_back(k);
        std::sort(keys.begin(), keys.end());
        for (const auto k : keys) {
            pairs.push_back(std::int64_t(k >> 32));
            pairs.push_back(std::int64_t(k & 0xffffffffu));
        }
    }
    int nranks = 1;
    MPI_Comm_size(comm, &nranks);
    std::vector<int> counts(static_cast<std::size_t>(nranks)),
        displs(static_cast<std::size_t>(nranks));
    const int mine = int(pairs.size());
    MPI_Allgather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, comm);
    for (int r = 1; r < nranks; ++r)
        displs[std::size_t(r)] = displs[std::size_t(r) - 1] + counts[std::size_t(r) - 1];
    std::vector<std::int64_t> all_pairs(std::size_t(displs.back() + counts.back()));
    MPI_Allgatherv(pairs.data(), mine, MPI_INT64_T, all_pairs.data(), counts.data(), displs.data(),
                   MPI_INT64_T, comm);
    std::vector<std::pair<std::int32_t, std::int32_t>> adj;
    for (std::size_t i = 0; i + 1 < all_pairs.size(); i += 2)
        adj.push_back({std::int32_t(all_pairs[i]), std::int32_t(all_pairs[i + 1])});
    std::sort(adj.begin(), adj.end());
    adj.erase(std::unique(adj.begin(), adj.end()), adj.end());
    return adj;
}

std::string aggregate_stage(const AggregateInputs& in, const std::string& out_dir) {
    const RunConfig& rc = *in.rc;
    const ModelConfig& m = rc.model;
    const AggregationConfig& ag = rc.aggregation;
    const dist::Decomposition& d = *in.d;
    const GridSpec& g = d.grid();
    const auto& years = *in.years;
    const auto& scores = *in.scores;
    const std::size_t nd = m.dimensions.size(), ni = m.indicators.size(),
                      nc = m.classes.labels.size();
    const std::size_t ny = years.size();
    const DatasetManifest& ds = rc.dataset;

    Sections sec(in.timings);
    // The zone tables and the finest level's raster: prepared before the stage (concurrently
    // with the write stage of `leefbaar run`) or here.
    std::optional<ZonePrep> own_prep;
    if (!in.zones) own_prep = prepare_zones(rc, d.block());
    const ZonePrep& prep = in.zones ? *in.zones : *own_prep;
    if (in.timings)
        in.timings->push_back(
            {in.zones ? "zones_prepared_before_stage" : "zones_prepared_in_stage", prep.seconds});
    const std::vector<ZoneLevelTable>& levels = prep.levels;
    const auto& rz = prep.finest;
    const std::int64_t overlaps = dist::allreduce_sum(rz.overlapping_cells, d.comm());
    if (overlaps > 0)
        throw Error("aggregate", "zones file " + ds.zones_file + " level '" + levels[0].name +
                                     "': " + std::to_string(overlaps) +
                                     " cells lie in more than one zone (zones overlap)");
    // Share-bin layers of the latest year: kept from the kernel stage, or read here.
    std::vector<std::string> share_layers;
    for (const auto& sb : ag.share_bins)
        for (const auto& l : {sb.numerator, sb.denominator})
            if (std::find(share_layers.begin(), share_layers.end(), l) == share_layers.end())
                share_layers.push_back(l);
    std::map<std::string, Raster<std::int32_t>> read_layers;
    std::vector<const Raster<std::int32_t>*> layer_of(share_layers.size());
    for (std::size_t i = 0; i < share_layers.size(); ++i) {
        const auto& l = share_layers[i];
        if (in.layers && in.layers->count(l)) {
            layer_of[i] = &in.layers->at(l);
            continue;
        }
        if (prep.layers.count(l)) {
            layer_of[i] = &prep.layers.at(l);
            continue;
        }
        Raster<std::int32_t> r(d.block(), 0, kernels::kNodataI32);
        io::read_window(ds.layer_path(l, rc.years.back()), g, r,
                        "layer '" + l + "' year " + std::to_string(rc.years.back()));
        layer_of[i] = &(read_layers[l] = std::move(r));
    }
    sec.mark("zones");
    if (in.timings) {
        // Baseline: one streaming pass over every per-cell byte the stage reads: the scored
        // cells of every year, the finest zone raster and the share-bin layers; the best of
        // three passes (the bound), not counted in the stage's time (in.untimed).
        const auto u0 = std::chrono::steady_clock::now();
        double t = 1e30, t_cells = 1e30;
        std::int64_t bytes = 0, cell_bytes = 0;
        std::uint64_t sink = 0;
        for (int pass = 0; pass < 3; ++pass) {
            bytes = 0;
            sink = 0;
            const auto t0 = std::chrono::steady_clock::now();
            for (std::size_t k = 0; k < ny; ++k)
                sink += stream_words(bytes, years[k].cell, years[k].residents, years[k].dwellings,
                                     scores[k].deviation, scores[k].dimension, scores[k].cls,
                                     scores[k].zq);
            t_cells = std::min(
                t_cells,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            cell_bytes = bytes;
            sink += stream_words(bytes, rz.ids.data);
            for (const auto* l : layer_of) sink += stream_words(bytes, l->data);
            t = std::min(
                t, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        in.timings->push_back({"stream_baseline", t});
        in.timings->push_back({"stream_baseline_bytes", double(bytes)});
        in.timings->push_back({"stream_baseline_checksum_mod_1e6", double(sink % 1000000)});
        // The part over the scored cells alone (what the baseline covered before the zone
        // raster and share layers were added to it).
        in.timings->push_back({"stream_baseline_cells_only", t_cells});
        in.timings->push_back({"stream_baseline_cells_only_bytes", double(cell_bytes)});
        sec.mark("_");
        in.timings->pop_back();
        if (in.untimed)
            in.untimed(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - u0).count());
    }

    std::vector<YearCellsView> views(ny);
    for (std::size_t k = 0; k < ny; ++k)
        views[k] = {years[k].cell,       years[k].residents,  years[k].dwellings,
                    scores[k].deviation, scores[k].dimension, scores[k].cls,
                    scores[k].zq};
    const std::size_t np = rc.periods.size();
    std::vector<std::pair<std::size_t, std::size_t>> period_years;
    for (const auto& [y1, y2] : rc.periods)
        period_years.push_back(
            {std::size_t(std::find(rc.years.begin(), rc.years.end(), y1) - rc.years.begin()),
             std::size_t(std::find(rc.years.begin(), rc.years.end(), y2) - rc.years.begin())});
    // One pass over the cells of every year for one zone grouping, reduced over the ranks.
    auto cell_pass = [&](const Raster<std::int32_t>& ids, std::size_t nz, bool national) {
        CellPassStats c =
            accumulate_cells(views, period_years, ids, g.nx, nz, nd, nc, ni, national);
        if (national) sec.mark("cells_pass");
        for (auto& y : c.years) reduce(y, d.comm());
        for (auto& p : c.periods) reduce(p, d.comm());
        for (auto& p : c.by_start_class) reduce(p, d.comm());
        for (auto& v : c.indicator_delta_q) dist::allreduce_sum(v, d.comm());
        dist::allreduce_sum(c.unassigned_residents, d.comm());
        dist::allreduce_sum(c.unassigned_cells, d.comm());
        return c;
    };
    // Finest level per year and period; the national change by class of the starting year and
    // by indicator.
    CellPassStats fine_pass = cell_pass(rz.ids, levels[0].size(), true);
    std::vector<std::int64_t> unassigned = std::move(fine_pass.unassigned_residents),
                              unassigned_cells = std::move(fine_pass.unassigned_cells);
    std::vector<YearZoneStats> fine = std::move(fine_pass.years);
    std::vector<PeriodZoneStats> pfine = std::move(fine_pass.periods),
                                 by_start_class = std::move(fine_pass.by_start_class);

    sec.mark("cells_reduce");
    // Zone layers the user added that need not nest: aggregated directly from the cells.
    struct ExtraLevel {
        ZoneLevelTable table;
        std::optional<io::ZoneSource> polygons;  // for the GeoPackage
        std::vector<YearZoneStats> ys;
        std::vector<PeriodZoneStats> ps;
        std::vector<std::int64_t> unassigned, unassigned_cells;
    };
    std::vector<ExtraLevel> extras;
    for (const auto& e : ag.extra_levels) {
        ExtraLevel x;
        x.table.name = e.name;
        Raster<std::int32_t> ids;  // 1-based index into x.table, 0 = none
        if (!e.file.empty()) {
            const io::ZoneSource src{e.file, e.layer, e.code_field, e.name_field, ""};
            auto rzx = io::rasterise_zones(src, g, d.block(), 0);
            const std::int64_t ov = dist::allreduce_sum(rzx.overlapping_cells, d.comm());
            if (ov > 0)
                throw Error("aggregate", "zone level '" + e.name + "' (" + e.file + ", layer '" +
                                             e.layer + "'): " + std::to_string(ov) +
                                             " cells lie in more than one zone (zones overlap)");
            x.table.codes = rzx.table.codes;
            x.table.names = rzx.table.names;
            x.polygons = src;
            ids = std::move(rzx.ids);
        } else {
            ids = Raster<std::int32_t>(d.block(), 0, 0);
            io::read_window(e.raster, g, ids, "zone raster of level '" + e.name + "'");
            // The zone codes are the distinct positive ids over every rank, ascending.
            std::set<std::int32_t> mine;
            for (const auto v : ids.data)
                if (v > 0) mine.insert(v);
            std::vector<std::int32_t> local(mine.begin(), mine.end());
            const int n = int(local.size());
            std::vector<int> counts(std::size_t(d.size())), displs(std::size_t(d.size()));
            MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, d.comm());
            for (int r = 1; r < d.size(); ++r)
                displs[std::size_t(r)] = displs[std::size_t(r) - 1] + counts[std::size_t(r) - 1];
            std::vector<std::int32_t> all(std::size_t(displs.back() + counts.back()));
            MPI_Allgatherv(local.data(), n, MPI_INT32_T, all.data(), counts.data(), displs.data(),
                           MPI_INT32_T, d.comm());
            std::sort(all.begin(), all.end());
            all.erase(std::unique(all.begin(), all.end()), all.end());
            for (auto& v : ids.data)
                v = v > 0
                        ? std::int32_t(std::lower_bound(all.begin(), all.end(), v) - all.begin()) +
                              1
                        : 0;
            for (const auto v : all) {
                x.table.codes.push_back(std::to_string(v));
                x.table.names.push_back(std::to_string(v));
            }
        }
        x.table.parent.assign(x.table.size(), -1);
        CellPassStats xc = cell_pass(ids, x.table.size(), false);
        x.ys = std::move(xc.years);
        x.ps = std::move(xc.periods);
        x.unassigned = std::move(xc.unassigned_residents);
        x.unassigned_cells = std::move(xc.unassigned_cells);
        progress("aggregate: zone level '" + e.name + "': " + std::to_string(x.table.size()) +
                 " zones, " + std::to_string(x.unassigned.back()) +
                 " residents outside every zone in " + std::to_string(rc.years.back()));
        extras.push_back(std::move(x));
    }

    sec.mark("extra_levels");
    const auto adjacency = zone_adjacency(rz.ids, d.block(), d.comm());

    sec.mark("adjacency");
    // Share-bin layers: buurt-level sums of each layer in the latest year (one pass over the
    // block for all layers).
    std::vector<std::vector<std::int64_t>> layer_sum(
        share_layers.size(), std::vector<std::int64_t>(levels[0].size(), 0));
    for (auto row = d.block().row0; row < d.block().row1(); ++row)
        for (std::size_t i = 0; i < share_layers.size(); ++i)
            add_by_zone(&rz.ids.at(d.block().col0, row), &layer_of[i]->at(d.block().col0, row),
                        d.block().ncols, layer_sum[i].data());
    for (auto& v : layer_sum) dist::allreduce_sum(v, d.comm());
    auto layer_index = [&](const std::string& l) {
        return std::size_t(std::find(share_layers.begin(), share_layers.end(), l) -
                           share_layers.begin());
    };
    std::vector<std::vector<std::int64_t>> bin_num(ag.share_bins.size()),
        bin_den(ag.share_bins.size());
    for (std::size_t s = 0; s < ag.share_bins.size(); ++s) {
        bin_num[s] = layer_sum[layer_index(ag.share_bins[s].numerator)];
        bin_den[s] = layer_sum[layer_index(ag.share_bins[s].denominator)];
    }

    sec.mark("share_bins");
    // Roll up the levels (exact integer sums), and the nation (one zone).
    std::vector<std::vector<YearZoneStats>> ys(levels.size());
    std::vector<std::vector<PeriodZoneStats>> ps(levels.size());
    ys[0] = std::move(fine);
    ps[0] = std::move(pfine);
    for (std::size_t k = 1; k < levels.size(); ++k)
        for (std::size_t y = 0; y < ny; ++y)
            ys[k].push_back(roll_up(ys[k - 1][y], levels[k - 1].parent, levels[k].size()));
    for (std::size_t k = 1; k < levels.size(); ++k)
        for (std::size_t p = 0; p < np; ++p)
            ps[k].push_back(roll_up(ps[k - 1][p], levels[k - 1].parent, levels[k].size()));
    std::vector<YearZoneStats> nat;
    std::vector<PeriodZoneStats> pnat;
    {
        const std::vector<std::int32_t> to_nation(levels[0].size(), 0);
        for (std::size_t y = 0; y < ny; ++y) nat.push_back(roll_up(ys[0][y], to_nation, 1));
        for (std::size_t p = 0; p < np; ++p) pnat.push_back(roll_up(ps[0][p], to_nation, 1));
        // The national change by indicator: quantised weight x the exact sum of residents x
        // quantised z changes (the same integer as summing each cell's contribution change).
        for (std::size_t p = 0; p < np; ++p) {
            pnat[p].indicators = ni;
            pnat[p].wsum_dind.assign(ni, 0);
            for (std::size_t ii = 0; ii < ni; ++ii)
                pnat[p].wsum_dind[ii] =
                    Wide(quantise_weight(in.weights[ii])) * fine_pass.indicator_delta_q[p][ii];
        }
    }
    // Index of a finest zone's ancestor at level k.
    auto ancestor = [&](std::size_t k, std::int32_t z) {
        for (std::size_t l = 0; l < k && z >= 0; ++l) z = levels[l].parent[std::size_t(z)];
        return z;
    };
    auto level_index = [&](const std::string& name) -> int {
        for (std::size_t k = 0; k < levels.size(); ++k)
            if (levels[k].name == name) return int(k);
        return -1;
    };

    sec.mark("roll_up");
    // Typology.
    const TypologyRules& rules = ag.typology;
    auto series = [&](std::size_t k) {
        LevelSeries s;
        s.level = &levels[k];
        for (std::size_t y = 0; y < ny; ++y) s.years.push_back(&ys[k][y]);
        // The last consecutive period ends in the latest year and starts in the year before.
        for (std::size_t p = 0; p < np; ++p)
            if (ny >= 2 && rc.periods[p] == std::make_pair(rc.years[ny - 2], rc.years[ny - 1])) {
                s.last_period = &ps[k][p];
                s.national_last_delta = pnat[p].mean_delta(0);
            }
        return s;
    };
    const int ib = level_index("buurt"), iw = level_index("wijk"), ig = level_index("gemeente"),
              ir = level_index(rules.region_level);
    const std::size_t kb = ib >= 0 ? std::size_t(ib) : 0;
    const bool enough_years = int(ny) >= rules.min_measurements;
    TypologyResult t2, t1w, t1b, t3;
    std::vector<std::int32_t> cluster_of;
    if (enough_years) {
        t2 = aandachtsbuurten(rules, m, series(kb));
        if (iw >= 0) t1w = kwetsbare_wijken(rules, m, series(std::size_t(iw)));
        t1b = kwetsbare_buurten(rules, m, series(kb));
        cluster_of = clusters(t1b.member, adjacency);
        if (ir >= 0) t3 = aandachtsregios(rules, series(std::size_t(ir)));
    }
    // Clusters of qualifying buurten with enough residents.
    std::map<std::int32_t, std::vector<std::int32_t>> cluster_members;
    for (std::size_t z = 0; z < cluster_of.size(); ++z)
        if (cluster_of[z] >= 0) cluster_members[cluster_of[z]].push_back(std::int32_t(z));
    std::vector<std::uint8_t> in_cluster(levels[kb].size(), 0);
    json clusters_json = json::array();
    for (const auto& [id, members] : cluster_members) {
        std::int64_t res = 0;
        for (auto z : members) res += ys[kb][ny - 1].residents[std::size_t(z)];
        if (res < rules.cluster_min_residents) continue;
        json c;
        c["residents"] = res;
        std::set<std::string> gms;
        for (auto z : members) {
            in_cluster[std::size_t(z)] = 1;
            c["buurten"].push_back(levels[kb].codes[std::size_t(z)]);
            if (ig >= 0) {
                const auto gz = ancestor(std::size_t(ig), z);
                if (gz >= 0) gms.insert(levels[std::size_t(ig)].names[std::size_t(gz)]);
            }
        }
        c["gemeenten"] = gms;
        clusters_json.push_back(c);
    }

    sec.mark("typology");
    // ---- Outputs (rank 0) ----
    const std::size_t L = ny - 1;  // latest year
    json sum;
    sum["model"] = m.name;
    sum["years"] = rc.years;
    sum["class_labels"] = m.classes.labels;
    sum["class_limits"] = m.classes.limits;
    sum["development_labels"] = m.development.labels;
    sum["dimensions"] = m.dimensions;
    std::vector<std::string> ind_names;
    for (const auto& i : m.indicators) ind_names.push_back(i.name);
    sum["indicators"] = ind_names;
    // National figures per year.
    for (std::size_t y = 0; y < ny; ++y) {
        const auto& s = nat[y];
        json j;
        j["year"] = rc.years[y];
        j["residents"] = s.residents[0];
        j["scored_cells"] = s.cells[0];
        j["dwellings"] = s.dwellings[0];
        j["mean_deviation"] = num(s.mean_deviation(0));
        std::vector<std::int64_t> rc_(nc), cc(nc);
        for (std::size_t c = 0; c < nc; ++c) {
            rc_[c] = s.res_class[c];
            cc[c] = s.cells_class[c];
        }
        j["residents_per_class"] = rc_;
        j["cells_per_class"] = cc;
        const double R = double(s.residents[0]);
        j["share_residents_onvoldoende"] =
            R > 0 ? double(s.residents_in_classes(0, 1, ag.onvoldoende_max_class)) / R : 0.0;
        j["share_residents_class6_plus"] =
            R > 0 ? double(s.residents_in_classes(0, 6, int(nc))) / R : 0.0;
        std::int64_t onv = 0;
        for (std::size_t z = 0; z < levels[kb].size(); ++z)
            onv += ys[kb][y].residents_in_classes(z, 1, ag.onvoldoende_max_class) >=
                   ag.onvoldoende_min_residents;
        j["onvoldoende_buurten"] = onv;
        j["buurten_with_residents"] =
            std::count_if(ys[kb][y].residents.begin(), ys[kb][y].residents.end(),
                          [](std::int64_t r) { return r > 0; });
        std::vector<json> dims;
        for (std::size_t dd = 0; dd < nd; ++dd) dims.push_back(num(s.mean_dimension(0, dd)));
        j["mean_dimension"] = dims;
        j["unassigned_residents"] = unassigned[y];
        j["unassigned_scored_cells"] = unassigned_cells[y];
        sum["national"].push_back(j);
    }
    // National change per period, decomposed by dimension and indicator; by start class.
    for (std::size_t p = 0; p < np; ++p) {
        json j;
        j["period"] = {rc.periods[p].first, rc.periods[p].second};
        j["residents"] = pnat[p].residents[0];
        j["mean_delta"] = num(pnat[p].mean_delta(0));
        for (std::size_t dd = 0; dd < nd; ++dd)
            j["by_dimension"][m.dimensions[dd]] = num(pnat[p].mean_ddim(0, dd));
        for (std::size_t ii = 0; ii < ni; ++ii)
            j["by_indicator"][m.indicators[ii].name] = num(pnat[p].mean_dind(0, ii));
        // Residents per class: change between the two years (all residents of scored cells).
        const auto k1 = std::size_t(
            std::find(rc.years.begin(), rc.years.end(), rc.periods[p].first) - rc.years.begin());
        const auto k2 = std::size_t(
            std::find(rc.years.begin(), rc.years.end(), rc.periods[p].second) - rc.years.begin());
        std::vector<std::int64_t> dc(nc);
        for (std::size_t c = 0; c < nc; ++c) dc[c] = nat[k2].res_class[c] - nat[k1].res_class[c];
        j["change_residents_per_class"] = dc;
        for (std::size_t c = 0; c < nc; ++c)
            j["by_start_class"].push_back({{"class", c + 1},
                                           {"residents", by_start_class[p].residents[c]},
                                           {"mean_delta", num(by_start_class[p].mean_delta(c))}});
        sum["national_change"].push_back(j);
    }
    // Breakdowns by municipality group and by decline.
    if (ig >= 0) {
        const auto& gl = ds.levels[std::size_t(ig)];
        const std::size_t kg = std::size_t(ig);
        auto breakdown = [&](const std::string& field, const std::string& key) {
            const auto& attr = prep.attributes.at(field);
            std::vector<std::string> groups;
            for (const auto& [code, v] : attr)
                if (std::find(groups.begin(), groups.end(), v) == groups.end()) groups.push_back(v);
            std::sort(groups.begin(), groups.end());
            std::vector<std::int32_t> to_group(levels[kg].size(), -1);
            for (std::size_t z = 0; z < levels[kg].size(); ++z) {
                const auto it = attr.find(levels[kg].codes[z]);
                if (it != attr.end())
                    to_group[z] = std::int32_t(std::find(groups.begin(), groups.end(), it->second) -
                                               groups.begin());
            }
            for (std::size_t gi = 0; gi < groups.size(); ++gi) {
                json j;
                j["group"] = groups[gi];
                for (std::size_t y = 0; y < ny; ++y) {
                    const auto s = roll_up(ys[kg][y], to_group, groups.size());
                    const double R = double(s.residents[gi]);
                    j["years"].push_back(
                        {{"year", rc.years[y]},
                         {"residents", s.residents[gi]},
                         {"mean_deviation", num(s.mean_deviation(gi))},
                         {"share_residents_onvoldoende",
                          R > 0
                              ? double(s.residents_in_classes(gi, 1, ag.onvoldoende_max_class)) / R
                              : 0.0}});
                }
                for (std::size_t p = 0; p < np; ++p) {
                    const auto s = roll_up(ps[kg][p], to_group, groups.size());
                    json pj{{"period", {rc.periods[p].first, rc.periods[p].second}},
                            {"mean_delta", num(s.mean_delta(gi))}};
                    for (std::size_t dd = 0; dd < nd; ++dd)
                        pj["by_dimension"][m.dimensions[dd]] = num(s.mean_ddim(gi, dd));
                    j["periods"].push_back(pj);
                }
                sum["breakdowns"][key].push_back(j);
            }
        };
        if (!gl.group_field.empty()) breakdown(gl.group_field, "municipality_group");
        if (!gl.declining_field.empty()) breakdown(gl.declining_field, "declining");
    }
    // Response curves against buurt-level shares (latest year, last period).
    const PeriodZoneStats* last_p = series(kb).last_period;
    for (std::size_t s = 0; s < ag.share_bins.size(); ++s) {
        const auto& sb = ag.share_bins[s];
        const std::size_t nb = sb.edges.size() - 1;
        std::vector<std::int32_t> to_bin(levels[kb].size(), -1);
        for (std::size_t z = 0; z < levels[kb].size(); ++z) {
            if (bin_den[s][z] <= 0) continue;
            const double share = double(bin_num[s][z]) / double(bin_den[s][z]);
            for (std::size_t b = 0; b < nb; ++b)
                if (share >= sb.edges[b] &&
                    (share < sb.edges[b + 1] || (b + 1 == nb && share <= sb.edges[b + 1])))
                    to_bin[z] = std::int32_t(b);
        }
        const auto yb = roll_up(ys[kb][L], to_bin, nb);
        std::optional<PeriodZoneStats> pb;
        if (last_p) pb = roll_up(*last_p, to_bin, nb);
        json j;
        j["name"] = sb.name;
        j["numerator"] = sb.numerator;
        j["denominator"] = sb.denominator;
        for (std::size_t b = 0; b < nb; ++b) {
            json bj{{"from", sb.edges[b]},
                    {"to", sb.edges[b + 1]},
                    {"residents", yb.residents[b]},
                    {"mean_deviation", num(yb.mean_deviation(b))},
                    {"share_residents_onvoldoende",
                     yb.residents[b] > 0
                         ? double(yb.residents_in_classes(b, 1, ag.onvoldoende_max_class)) /
                               double(yb.residents[b])
                         : 0.0}};
            if (pb) {
                bj["mean_delta_last_period"] = num(pb->mean_delta(b));
            }
            j["bins"].push_back(bj);
        }
        sum["share_bins"].push_back(j);
    }
    // Buurten with the worst safety scores.
    {
        const int sd = m.dimension_index(rules.safety_dimension);
        std::vector<std::size_t> idx;
        std::vector<double> safety(levels[kb].size());
        for (std::size_t z = 0; z < levels[kb].size(); ++z)
            if (ys[kb][L].residents[z] >= ag.onvoldoende_min_residents) {
                idx.push_back(z);
                safety[z] = ys[kb][L].mean_dimension(z, std::size_t(sd));
            }
        const std::size_t worst =
            std::min<std::size_t>(idx.size(), std::size_t(ag.worst_safety_buurten));
        std::partial_sort(idx.begin(), idx.begin() + std::ptrdiff_t(worst), idx.end(),
                          [&](std::size_t a, std::size_t b) {
                              return safety[a] < safety[b] || (safety[a] == safety[b] && a < b);
                          });
        for (std::size_t k = 0; k < worst; ++k) {
            const auto z = idx[k];
            json j{{"code", levels[kb].codes[z]},
                   {"name", levels[kb].names[z]},
                   {"residents", ys[kb][L].residents[z]},
                   {"safety", num(ys[kb][L].mean_dimension(z, std::size_t(sd)))},
                   {"mean_deviation", num(ys[kb][L].mean_deviation(z))}};
            if (ig >= 0) {
                const auto gz = ancestor(std::size_t(ig), std::int32_t(z));
                if (gz >= 0) j["gemeente"] = levels[std::size_t(ig)].names[std::size_t(gz)];
            }
            sum["worst_safety_buurten"].push_back(j);
        }
    }
    // Typology lists.
    auto gemeente_of = [&](std::size_t k, std::size_t z) -> std::string {
        if (ig < 0 || int(k) > ig) return "";
        std::int32_t zz = std::int32_t(z);
        for (std::size_t l = k; l < std::size_t(ig) && zz >= 0; ++l)
            zz = levels[l].parent[std::size_t(zz)];
        return zz >= 0 ? levels[std::size_t(ig)].names[std::size_t(zz)] : "";
    };
    json typ;
    typ["rules"]["min_measurements"] = rules.min_measurements;
    typ["applied"] = enough_years;
    if (!enough_years)
        typ["note"] = "the typology needs at least " + std::to_string(rules.min_measurements) +
                      " measurements; the run has " + std::to_string(ny);
    auto list = [&](const TypologyResult& t, std::size_t k, const char* key) {
        json j;
        j["criteria"] = t.criteria;
        std::set<std::string> gms;
        for (std::size_t z = 0; z < t.member.size(); ++z) {
            if (t.member[z]) {
                const std::string gm = gemeente_of(k, z);
                if (!gm.empty()) gms.insert(gm);
                j["members"].push_back({{"code", levels[k].codes[z]},
                                        {"name", levels[k].names[z]},
                                        {"gemeente", gm},
                                        {"residents", ys[k][L].residents[z]}});
            } else if (!t.missed[z].empty() && ys[k][L].residents[z] > 0) {
                j["near_misses"].push_back({{"code", levels[k].codes[z]},
                                            {"name", levels[k].names[z]},
                                            {"missed", t.missed[z]}});
            }
        }
        j["count"] = std::count(t.member.begin(), t.member.end(), 1);
        j["gemeenten"] = gms;
        typ[key] = j;
    };
    if (enough_years) {
        list(t2, kb, "aandachtsbuurten");
        if (iw >= 0) list(t1w, std::size_t(iw), "kwetsbare_wijken");
        typ["kwetsbare_clusters"] = clusters_json;
        typ["kwetsbare_clusters_rule"] =
            "contiguous clusters (4-neighbour cell adjacency) of buurten that meet the wijk "
            "criteria, with at least " +
            std::to_string(rules.cluster_min_residents) + " residents";
        std::set<std::string> t1_gms;
        if (typ.contains("kwetsbare_wijken"))
            for (const auto& g2 : typ["kwetsbare_wijken"]["gemeenten"])
                t1_gms.insert(g2.get<std::string>());
        for (const auto& c : clusters_json)
            for (const auto& g2 : c["gemeenten"]) t1_gms.insert(g2.get<std::string>());
        typ["kwetsbare_gemeenten"] = t1_gms;
        if (ir >= 0) list(t3, std::size_t(ir), "aandachtsregios");
    }
    sum["typology"] = typ;
    for (const auto& x : extras) {
        json j;
        j["name"] = x.table.name;
        j["zones"] = x.table.size();
        j["unassigned_residents"] = x.unassigned;
        j["unassigned_scored_cells"] = x.unassigned_cells;
        j["geopackage"] = x.polygons.has_value();
        sum["extra_zone_levels"].push_back(j);
    }
    sec.mark("summary_json");
    if (in.statistics_done) in.statistics_done();
    const std::string text = sum.dump(1);

    // Rank 0 writes the CSVs and the summary; the GeoPackage is written at the same time by the
    // last rank (rank 0 too when alone). Both build the same rows from the same reduced data.
    const int gpkg_rank = d.size() - 1;
    const bool csv_writer = d.rank() == 0, gpkg_writer = d.rank() == gpkg_rank;
    const fs::path adir = fs::path(out_dir) / "aggregates";
    if (csv_writer) fs::create_directories(adir);
    MPI_Barrier(d.comm());
    std::exception_ptr failure;
    auto write_outputs = [&] {
        if (!csv_writer && !gpkg_writer) return;
        std::vector<io::ZoneLayerOut> gpkg_layers;
        // One level's CSV and GeoPackage layer; k is its index in `levels` (-1 for a level
        // the user added, which has no parent and no typology).
        auto emit = [&](const ZoneLevelTable& lvl, const std::vector<YearZoneStats>& yss,
                        const std::vector<PeriodZoneStats>& pss,
                        const std::optional<io::ZoneSource>& polygons, int k) {
            std::vector<std::string> header{"code", "name", "parent"};
            std::vector<char> types;
            for (std::size_t y = 0; y < ny; ++y) {
                const std::string Y = std::to_string(rc.years[y]);
                for (const char* f : {"residents", "dwellings", "cells"})
                    header.push_back(std::string(f) + "_" + Y), types.push_back('i');
                header.push_back("score_" + Y), types.push_back('r');
                header.push_back("deviation_" + Y), types.push_back('r');
                header.push_back("class_" + Y), types.push_back('i');
                for (const auto& dn : m.dimensions)
                    header.push_back(dn + "_" + Y), types.push_back('r');
                for (std::size_t c = 1; c <= nc; ++c)
                    header.push_back("res_c" + std::to_string(c) + "_" + Y), types.push_back('i');
                header.push_back("onvoldoende_" + Y), types.push_back('i');
            }
            for (std::size_t p = 0; p < np; ++p) {
                const std::string P = std::to_string(rc.periods[p].first) + "_" +
                                      std::to_string(rc.periods[p].second);
                header.push_back("delta_" + P), types.push_back('r');
                for (const auto& dn : m.dimensions)
                    header.push_back("delta_" + dn + "_" + P), types.push_back('r');
            }
            const bool has_t2 = enough_years && k >= 0 && k == int(kb),
                       has_t1 = enough_years && k >= 0 && k == iw,
                       has_t3 = enough_years && k >= 0 && k == ir;
            if (has_t2)
                for (const char* f : {"aandachtsbuurt", "kwetsbaar_cluster"})
                    header.push_back(f), types.push_back('i');
            if (has_t2) header.push_back("aandachtsbuurt_missed"), types.push_back('s');
            if (has_t1)
                header.push_back("kwetsbare_wijk"), types.push_back('i'),
                    header.push_back("kwetsbare_wijk_missed"), types.push_back('s');
            if (has_t3)
                header.push_back("aandachtsregio"), types.push_back('i'),
                    header.push_back("aandachtsregio_missed"), types.push_back('s');
            // Each field once: formatted into the CSV record (rank 0) and kept as a number or
            // text for the GeoPackage (its writer), without a string per field.
            const bool to_csv = csv_writer, to_gpkg = gpkg_writer && polygons.has_value();
            io::CsvWriter csv(header);
            io::ZoneLayerOut gl;
            if (polygons) gl.source = *polygons;
            gl.name = lvl.name;
            gl.fields.assign(header.begin() + 3, header.end());
            gl.types = types;
            std::string line;
            std::size_t nf = 0;  // fields of the record so far
            auto sep = [&] {
                if (nf++) line += ',';
            };
            auto txt = [&](const std::string& v, bool gpkg) {
                if (to_csv) sep(), line += io::CsvWriter::quote(v);
                if (to_gpkg && gpkg) gl.texts.push_back(v);
            };
            auto num_i = [&](std::int64_t v, bool valid = true) {
                if (to_csv) {
                    sep();
                    char buf[32];
                    if (valid) line.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
                }
                if (to_gpkg) gl.numbers.push_back(valid ? double(v) : std::nan(""));
            };
            auto num_r = [&](double v) {
                if (to_csv) sep(), line += io::csv_number(v);
                if (to_gpkg) gl.numbers.push_back(v);
            };
            for (std::size_t z = 0; z < lvl.size(); ++z) {
                line.clear();
                nf = 0;
                txt(lvl.codes[z], false);
                txt(lvl.names[z], false);
                txt(lvl.parent[z] >= 0
                        ? levels[std::size_t(k) + 1].codes[std::size_t(lvl.parent[z])]
                        : "",
                    false);
                if (to_gpkg) gl.row_of[lvl.codes[z]] = z;
                for (std::size_t y = 0; y < ny; ++y) {
                    const auto& s = yss[y];
                    const double dev = s.mean_deviation(z);
                    num_i(s.residents[z]);
                    num_i(s.dwellings[z]);
                    num_i(s.cells[z]);
                    num_r(std::isnan(dev) ? dev : m.reference_level + dev);
                    num_r(dev);
                    num_i(std::isnan(dev) ? 0 : m.classes.classify(dev), !std::isnan(dev));
                    for (std::size_t dd = 0; dd < nd; ++dd) num_r(s.mean_dimension(z, dd));
                    for (std::size_t c = 0; c < nc; ++c) num_i(s.res_class[z * nc + c]);
                    num_i(s.residents_in_classes(z, 1, ag.onvoldoende_max_class) >=
                          ag.onvoldoende_min_residents);
                }
                for (std::size_t p = 0; p < np; ++p) {
                    num_r(pss[p].mean_delta(z));
                    for (std::size_t dd = 0; dd < nd; ++dd) num_r(pss[p].mean_ddim(z, dd));
                }
                if (has_t2) {
                    num_i(t2.member[z]);
                    num_i(in_cluster[z]);
                    txt(t2.missed[z], true);
                }
                if (has_t1) num_i(t1w.member[z]), txt(t1w.missed[z], true);
                if (has_t3) num_i(t3.member[z]), txt(t3.missed[z], true);
                if (to_csv) csv.line_text(line);
            }
            if (csv_writer) sec.mark("csv_rows");
            if (csv_writer) csv.save((adir / (lvl.name + ".csv")).string());
            if (csv_writer) sec.mark("csv_save");
            if (gpkg_writer && polygons) gpkg_layers.push_back(std::move(gl));
        };
        for (std::size_t k = 0; k < levels.size(); ++k)
            if (std::find(ag.levels.begin(), ag.levels.end(), levels[k].name) != ag.levels.end())
                emit(levels[k], ys[k], ps[k], zone_source(ds, ds.levels[k]), int(k));
        for (const auto& x : extras) emit(x.table, x.ys, x.ps, x.polygons, -1);
        if (csv_writer) {
            const fs::path sj = fs::path(out_dir) / "summary.json";
            std::ofstream(sj.string() + ".partial") << text << "\n";
            fs::rename(sj.string() + ".partial", sj);
            sec.mark("csv+summary");
        }
        if (gpkg_writer) io::write_zone_gpkg((adir / "zones.gpkg").string(), gpkg_layers);
    };
    try {
        write_outputs();
    } catch (...) {
        failure = std::current_exception();
    }
    // Every output is complete when the stage returns (the report reads them); a rank that
    // failed to write stops every rank.
    int failed = failure ? 1 : 0;
    MPI_Allreduce(MPI_IN_PLACE, &failed, 1, MPI_INT, MPI_MAX, d.comm());
    if (failure) std::rethrow_exception(failure);
    if (failed) throw Error("aggregate", "stopped: another rank failed to write the outputs");
    sec.mark(d.size() > 1 ? "wait_for_gpkg_rank" : "gpkg");
    return text;
}

}  // namespace leefbaar::app
