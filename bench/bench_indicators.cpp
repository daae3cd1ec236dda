// bench_indicators RUN.toml YEAR [reps] [ROWS]
// Times the kernel calls of one year of a run, inside one process, on one block (the whole grid,
// or its first ROWS rows): every indicator of the run's model evaluated on every cell against the
// same call with the scored-cell mask that `leefbaar run` passes (kernels::CellMask), alternating
// the two (best of reps each), and checks that the scored cells get the same bits both ways.
// Next to them, as the memory-bandwidth floor: a memcpy of the bytes the calls read (the padded
// layers) and must write (every cell, or the scored ones). Prints one line per indicator and a
// "key value" summary (seconds). Memory as in `leefbaar run` (src/app/memory.hpp). Env:
// BENCH_ONLY=NAME times one indicator.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "app/memory.hpp"
#include "core/indicators.hpp"
#include "core/run_config.hpp"
#include "io/gdal_raster.hpp"
#include "io/points.hpp"

using namespace leefbaar;

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <class F>
double timed(F&& f) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    return seconds_since(t0);
}

double memcpy_seconds(std::size_t bytes, int reps) {
    if (bytes == 0) return 0.0;
    std::vector<char> a(bytes, 1), b(bytes, 0);
    double best = 1e300;
    for (int i = 0; i < reps; ++i)
        best = std::min(best, timed([&] { std::memcpy(b.data(), a.data(), bytes); }));
    if (b[bytes / 2] != 1) std::abort();
    return best;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_indicators RUN.toml YEAR [reps] [ROWS]\n");
        return 2;
    }
    // The memory policy of `leefbaar run` (huge-page heap, freed memory kept).
    app::use_huge_page_malloc(argv);
    app::keep_freed_memory();
    const RunConfig rc = parse_run_config(argv[1]);
    const std::int64_t year = std::atoll(argv[2]);
    const int reps = argc > 3 ? std::max(1, std::atoi(argv[3])) : 3;
    const GridSpec& g = rc.dataset.grid;
    const ModelConfig& m = rc.model;
    const std::int64_t rows = argc > 4 ? std::min<std::int64_t>(std::atoll(argv[4]), g.ny) : g.ny;
    const Window block{0, 0, g.nx, rows};
    const std::int64_t halo = m.max_reach_cells(g.cell);

    BlockInputs in(g, year);
    std::size_t layer_bytes = 0;
    const double t_read = timed([&] {
        for (const auto& layer : m.input_layers()) {
            Raster<std::int32_t> r(block, halo, kernels::kNodataI32);
            io::read_window(rc.dataset.layer_path(layer, year), g, r,
                            "layer '" + layer + "' year " + std::to_string(year));
            layer_bytes += r.data.size() * sizeof(std::int32_t);
            in.add_layer(layer, std::move(r));
        }
        for (const auto& [type, s] : io::read_model_points(rc, year)) in.add_points(type, s.x, s.y);
    });
    // The scored cells, by the model's rule, as compute_year finds them.
    const auto& res = in.layer(m.scoring.residents_layer);
    const auto& dw = in.layer(m.scoring.dwellings_layer);
    std::vector<std::uint8_t> mask(std::size_t(block.cells()), 0);
    std::vector<std::size_t> scored;
    for (std::int64_t row = 0; row < block.nrows; ++row)
        for (std::int64_t col = 0; col < block.ncols; ++col) {
            const std::int32_t r = res.at(col, row), w = dw.at(col, row);
            const std::int64_t rv = r == kernels::kNodataI32 ? 0 : r;
            const std::int64_t wv = w == kernels::kNodataI32 ? 0 : w;
            if (!m.scoring.scored(rv, wv)) continue;
            const std::size_t i = std::size_t(row * block.ncols + col);
            mask[i] = 1;
            scored.push_back(i);
        }
    const kernels::CellMask need{mask};

    std::printf(
        "block %lld x %lld cells (halo %lld), %zu scored (%.2f %%), %zu layers read in "
        "%.2f s\n",
        (long long)block.ncols, (long long)block.nrows, (long long)halo, scored.size(),
        100.0 * double(scored.size()) / double(block.cells()), m.input_layers().size(), t_read);
    std::printf("%-28s %10s %10s %7s %s\n", "indicator", "full s", "masked s", "ratio",
                "honours mask");
    std::vector<double> full(std::size_t(block.cells())), masked(full.size());
    double sum_full = 0, sum_masked = 0;
    std::size_t bytes_full = 0, bytes_masked = 0;
    bool identical = true;
    const char* only = std::getenv("BENCH_ONLY");  // one indicator by name (e.g. under perf)
    for (const auto& ind : m.indicators) {
        if (only != nullptr && ind.name != only) continue;
        double bf = 1e300, bm = 1e300;
        for (int r = 0; r < reps; ++r) {  // alternate, so that drift hits both alike
            bf = std::min(bf, timed([&] { in.evaluate(ind, full); }));
            bm = std::min(bm, timed([&] { in.evaluate(ind, masked, need); }));
        }
        std::size_t diff = 0;
        for (const std::size_t i : scored)
            diff += std::memcmp(&full[i], &masked[i], sizeof(double)) != 0;
        if (diff != 0) {
            identical = false;
            std::printf("MISMATCH %s: %zu scored cells differ\n", ind.name.c_str(), diff);
        }
        const bool honours = BlockInputs::honours_mask(ind.kernel);
        const std::int64_t reach = ind.kernel.reach_cells(g.cell);
        const std::size_t in_bytes = ind.kernel.layers.size() *
                                     std::size_t(block.ncols + 2 * reach) *
                                     std::size_t(block.nrows + 2 * reach) * sizeof(std::int32_t);
        bytes_full += in_bytes + full.size() * sizeof(double);
        bytes_masked += in_bytes + (honours ? scored.size() : full.size()) * sizeof(double);
        sum_full += bf;
        sum_masked += bm;
        std::printf("%-28s %10.4f %10.4f %6.2fx %s\n", ind.name.c_str(), bf, bm, bf / bm,
                    honours ? "yes" : "no");
    }
    const double mc_full = memcpy_seconds(bytes_full, 3);
    const double mc_masked = memcpy_seconds(bytes_masked, 3);
    std::printf("calls_full_s %.4f\ncalls_masked_s %.4f\nspeedup %.2f\n", sum_full, sum_masked,
                sum_full / sum_masked);
    std::printf("memcpy_full_bytes %zu\nmemcpy_full_s %.4f\nratio_full %.1f\n", bytes_full, mc_full,
                sum_full / mc_full);
    std::printf("memcpy_masked_bytes %zu\nmemcpy_masked_s %.4f\nratio_masked %.1f\n", bytes_masked,
                mc_masked, sum_masked / mc_masked);
    std::printf("scored_cells_identical %s\n", identical ? "yes" : "NO");
    return identical ? 0 : 1;
}
