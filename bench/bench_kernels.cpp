// bench_kernels GRID.tif FEATURES.tif [reps] [radius_m ...]
// Times, inside one process and at OMP_NUM_THREADS threads, what `leefbaar focal` computes between
// reading and writing: the circular sum (prefix pass + chords + Int32 conversion, through the
// same BlockInputs dispatch as the CLI) per radius, the exact EDT on the whole grid, and a plain
// memcpy of the same bytes (Int32 input + Int32 output) as the memory-bandwidth floor.
// Prints one "key value" line per figure (seconds, best of reps).

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/indicators.hpp"
#include "io/gdal_raster.hpp"
#include "kernels/circle.hpp"
#include "kernels/circular.hpp"
#include "kernels/edt.hpp"
#include "kernels/row_prefix.hpp"

using namespace leefbaar;

namespace {

template <class F>
double best_of(int reps, F&& f) {
    double best = 1e300;
    for (int i = 0; i < reps; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
}

GridSpec grid_of(const std::string& path) {
    const auto info = io::probe_raster(path);
    GridSpec g;
    g.xmin = info.geotransform[0];
    g.ymax = info.geotransform[3];
    g.cell = info.geotransform[1];
    g.nx = info.nx;
    g.ny = info.ny;
    g.epsg = info.epsg;
    return g;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_kernels GRID.tif FEATURES.tif [reps] [radius_m ...]\n");
        return 2;
    }
    const std::string grid_path = argv[1], feat_path = argv[2];
    const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
    std::vector<double> radii;
    for (int i = 4; i < argc; ++i) radii.push_back(std::atof(argv[i]));
    if (radii.empty()) radii = {100, 500, 1000, 5000};
    io::gdal_init();
    const GridSpec grid = grid_of(grid_path);
    const std::size_t n = std::size_t(grid.cells());
    std::printf("threads %d\ncells %zu\n", omp_get_max_threads(), n);

    // Memory floor: copy input + output bytes (Int32 each) once.
    {
        std::vector<char> src(2 * n * sizeof(std::int32_t), 1), dst(src.size(), 0);
        const double t = best_of(reps, [&] { std::memcpy(dst.data(), src.data(), src.size()); });
        std::printf("memcpy_s %.6f\n", t);
    }
    for (const double r : radii) {
        const auto reach = kernels::make_circular_window(r, grid.cell).reach;
        Raster<std::int32_t> in(grid.window(), reach, kernels::kNodataI32);
        io::read_window(grid_path, grid, in, "bench grid");
        KernelSpec k;
        k.op = "sum";
        k.layers = {"a"};
        k.radius = r;
        std::vector<std::int64_t> e(n);
        std::vector<std::int32_t> out(n);
        double best = 1e300;
        for (int i = 0; i < reps; ++i) {
            BlockInputs bi(grid, 0);
            bi.add_layer("a", in);  // copy, not timed
            const auto t0 = std::chrono::steady_clock::now();
            bi.evaluate_exact(k, e);
#pragma omp parallel for schedule(static)
            for (std::size_t j = 0; j < n; ++j)
                out[j] = e[j] == kernels::kNodataI64 ? kernels::kNodataI32 : std::int32_t(e[j]);
            best = std::min(
                best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        }
        std::printf("sum_%g_s %.6f\n", r, best);
        // Breakdown: the prefix pass alone and the chord pass alone (int64 out, no conversion).
        const auto tile = in.tile(grid);
        kernels::RowPrefix p;
        const double tp = best_of(reps, [&] { p = kernels::build_row_prefix(tile, in.span()); });
        const auto w = kernels::make_circular_window(r, grid.cell);
        const double tc = best_of(reps, [&] { kernels::circular_sum(p, w, e); });
        std::printf("prefix_%g_s %.6f\nchords_%g_s %.6f\n", r, tp, r, tc);
    }
    {
        Raster<std::int32_t> f(grid.window(), 0, kernels::kNodataI32);
        io::read_window(feat_path, grid, f, "bench features");
        std::vector<double> d(n);
        const double t =
            best_of(reps, [&] { kernels::distance_to_nonzero(f.tile(grid), f.span(), d); });
        std::printf("edt_s %.6f\n", t);
    }
    return 0;
}
