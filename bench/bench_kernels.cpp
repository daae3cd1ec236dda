// bench_kernels GRID.tif FEATURES.tif [reps] [radius_m ...]
// Times, inside one process and at OMP_NUM_THREADS threads, what `leefbaar focal` computes between
// reading and writing: the circular sum (prefix pass + chords + Int32 conversion, through the
// same BlockInputs dispatch as the CLI) per radius, the exact EDT on the whole grid, and a plain
// memcpy of the same bytes (Int32 input + Int32 output) as the memory-bandwidth floor; as
// same-run baselines, the previous stored-prefix circular sum and the per-cell R-tree point
// kernels (checked bit for bit against the new ones); the demo model's decay kernels.
// Prints one "key value" line per figure (seconds, best of reps; *_cpu_s: process CPU seconds of
// all threads in the best repetition). Same-run baselines of the current circular sum: the int64
// path with a conversion pass (sum_via_int64), and the chord pass with one output row
// (chords_rows1) or 4 output rows (chords_rows4) per pass at every radius, both without the
// disc's square decomposition; the whole Int32 kernel with the current defaults (kernel_i32)
// and without the square decomposition (kernel_i32_nosquare), also with the value bound
// scanned first (kernel_i32_scan_nosquare, the previous algorithm). Env:
// BENCH_SKIP_EXTRA=1 stops after the EDT; BENCH_STRIP_COLS sets the streaming strip width.
// BENCH_ONLY_SUM=1 times only the circular sum of each radius (e.g. under perf).

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <limits>
#include <string>
#include <vector>

#include "core/indicators.hpp"
#include "io/gdal_raster.hpp"
#include "kernels/circle.hpp"
#include "kernels/circular.hpp"
#include "kernels/decay.hpp"
#include "kernels/edt.hpp"
#include "kernels/points.hpp"
#include "kernels/row_prefix.hpp"

using namespace leefbaar;

namespace {

// Process CPU time (all threads) of the best repetition of the last best_of: on a shared,
// oversubscribed machine wall time mostly measures the other jobs, CPU time much less so.
double g_best_cpu = 0.0;

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

template <class F>
double best_of(int reps, F&& f) {
    double best = 1e300, best_cpu = 1e300;
    for (int i = 0; i < reps; ++i) {
        const double c0 = cpu_seconds();
        const auto t0 = std::chrono::steady_clock::now();
        f();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        best_cpu = std::min(best_cpu, cpu_seconds() - c0);
    }
    g_best_cpu = best_cpu;
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

template <class T>
std::size_t mismatches(const std::vector<T>& a, const std::vector<T>& b) {
    std::size_t m = 0;
    for (std::size_t i = 0; i < a.size(); ++i) m += std::memcmp(&a[i], &b[i], sizeof(T)) != 0;
    return m;
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
        std::printf("memcpy_s %.6f\nmemcpy_cpu_s %.6f\n", t, g_best_cpu);
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
        double best = 1e300, best_cpu = 1e300;
        for (int i = 0; i < reps; ++i) {
            BlockInputs bi(grid, 0);
            bi.add_layer("a", in);  // copy, not timed
            const double c0 = cpu_seconds();
            const auto t0 = std::chrono::steady_clock::now();
            if (!bi.evaluate_exact_i32(k, out)) {  // as leefbaar focal does
                bi.evaluate_exact(k, e);
#pragma omp parallel for schedule(static)
                for (std::size_t j = 0; j < n; ++j)
                    out[j] = e[j] == kernels::kNodataI64 ? kernels::kNodataI32 : std::int32_t(e[j]);
            }
            best = std::min(
                best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
            best_cpu = std::min(best_cpu, cpu_seconds() - c0);
        }
        std::printf("sum_%g_s %.6f\nsum_%g_cpu_s %.6f\n", r, best, r, best_cpu);
        if (std::getenv("BENCH_ONLY_SUM")) continue;  // e.g. for a profile of the CLI's path
        // Same-run baseline: the previous path, int64 window sums then a conversion pass (a
        // fresh BlockInputs per repetition, as above, so the prefix set-up is timed too).
        {
            double t64 = 1e300, c64 = 1e300;
            for (int i = 0; i < reps; ++i) {
                BlockInputs bi(grid, 0);
                bi.add_layer("a", in);  // copy, not timed
                const double c0 = cpu_seconds();
                const auto t0 = std::chrono::steady_clock::now();
                bi.evaluate_exact(k, e);
#pragma omp parallel for schedule(static)
                for (std::size_t j = 0; j < n; ++j)
                    out[j] = e[j] == kernels::kNodataI64 ? kernels::kNodataI32 : std::int32_t(e[j]);
                t64 = std::min(
                    t64,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
                c64 = std::min(c64, cpu_seconds() - c0);
            }
            std::printf("sum_via_int64_%g_s %.6f\nsum_via_int64_%g_cpu_s %.6f\n", r, t64, r, c64);
        }
        // Breakdown: the streaming prefix set-up (validation and bound scan) and the fused
        // ring-buffer chord pass (int64 out, no conversion); and the baseline of the previous
        // version, a stored whole-tile prefix (allocated and zero-filled per call) + chords.
        const auto tile = in.tile(grid);
        kernels::RowPrefix p;
        const double tp = best_of(reps, [&] { p = kernels::stream_row_prefix(tile, in.span()); });
        if (const char* sc = std::getenv("BENCH_STRIP_COLS")) p.strip_cols = std::atoll(sc);
        const auto w = kernels::make_circular_window(r, grid.cell);
        const double tc = best_of(reps, [&] { kernels::circular_sum(p, w, e); });
        std::printf("prefix_%g_s %.6f\nchords_%g_s %.6f\nchords_%g_cpu_s %.6f\n", r, tp, r, tc, r,
                    g_best_cpu);
        // Same-run baselines of the whole Int32 kernel (prefix set-up + chord pass + Int32
        // output, as BlockInputs runs it): the current defaults (kernel_i32) against the disc
        // without the square decomposition (kernel_i32_nosquare) and, in addition, with the
        // input scanned for its value bound first (kernel_i32_scan_nosquare: the previous
        // algorithm), outputs compared bit for bit.
        {
            std::vector<std::int32_t> o_new(n), o_old(n);
            const auto run = [&](std::vector<std::int32_t>& o, bool square, bool scan) {
                return best_of(reps, [&] {
                    auto q = kernels::stream_row_prefix(tile, in.span(), scan);
                    if (!square) q.square_min_reach = std::numeric_limits<std::int64_t>::max();
                    kernels::circular_sum(q, w, std::span(o));
                });
            };
            const char* names[] = {"kernel_i32", "kernel_i32_nosquare", "kernel_i32_scan_nosquare"};
            for (int m = 0; m < 3; ++m) {
                auto& o = m == 0 ? o_new : o_old;
                const double t = run(o, m == 0, m == 2);
                std::printf("%s_%g_s %.6f\n%s_%g_cpu_s %.6f\n", names[m], r, t, names[m], r,
                            g_best_cpu);
                if (m > 0 && std::memcmp(o_new.data(), o_old.data(), n * sizeof(std::int32_t)) != 0)
                    std::printf("MISMATCH %s vs kernel_i32 at radius %g\n", names[m], r);
            }
            if (std::memcmp(o_new.data(), out.data(), n * sizeof(std::int32_t)) != 0)
                std::printf("MISMATCH kernel_i32 vs BlockInputs at radius %g\n", r);
        }
        // Same-run baseline of the chord pass: one output row at a time (the previous loop).
        {
            kernels::RowPrefix p1 = p, p4 = p;
            p1.row_block_min_reach = std::numeric_limits<std::int64_t>::max();
            p4.row_block_min_reach = 0;
            p1.square_min_reach = p4.square_min_reach = std::numeric_limits<std::int64_t>::max();
            std::vector<std::int64_t> e4(n);
            const double t4 = best_of(reps, [&] { kernels::circular_sum(p4, w, e4); });
            std::printf("chords_rows4_%g_s %.6f\nchords_rows4_%g_cpu_s %.6f\n", r, t4, r,
                        g_best_cpu);
            if (std::memcmp(e.data(), e4.data(), n * sizeof(std::int64_t)) != 0)
                std::printf("MISMATCH 4-row blocks vs default at radius %g\n", r);
            std::vector<std::int64_t> e1(n);
            const double t1 = best_of(reps, [&] { kernels::circular_sum(p1, w, e1); });
            std::printf("chords_rows1_%g_s %.6f\nchords_rows1_%g_cpu_s %.6f\n", r, t1, r,
                        g_best_cpu);
            if (std::memcmp(e.data(), e1.data(), n * sizeof(std::int64_t)) != 0)
                std::printf("MISMATCH row-blocked vs one row at radius %g\n", r);
        }
        std::vector<std::int64_t> e2(n);
        const double ts = best_of(reps, [&] {
            const auto sp = kernels::build_row_prefix(tile, in.span());
            kernels::circular_sum(sp, w, e2);
        });
        std::printf("stored_sum_%g_s %.6f\n", r, ts);
        if (std::memcmp(e.data(), e2.data(), n * sizeof(std::int64_t)) != 0)
            std::printf("MISMATCH stored vs streaming at radius %g\n", r);
    }
    {
        Raster<std::int32_t> f(grid.window(), 0, kernels::kNodataI32);
        io::read_window(feat_path, grid, f, "bench features");
        std::vector<double> d(n);
        const double t =
            best_of(reps, [&] { kernels::distance_to_nonzero(f.tile(grid), f.span(), d); });
        std::printf("edt_s %.6f\nedt_cpu_s %.6f\n", t, g_best_cpu);
        if (std::getenv("BENCH_SKIP_EXTRA")) return 0;

        // Point kernels: points at the centres of every 40th feature cell, shifted by a fixed
        // pseudo-random offset within the cell; block-candidate kernels against the per-cell
        // R-tree reference (the previous implementation), results compared bit for bit.
        std::vector<double> xs, ys;
        std::uint64_t state = 12345;
        const auto tile = f.tile(grid);
        std::size_t seen = 0;
        for (std::int64_t y = 0; y < tile.ny; ++y)
            for (std::int64_t x = 0; x < tile.nx; ++x) {
                const auto v = f.span()[tile.padded_index(x, y)];
                if (v == 0 || v == kernels::kNodataI32 || seen++ % 40 != 0) continue;
                state = state * 6364136223846793005ULL + 1442695040888963407ULL;
                const double ox = double((state >> 20) % 1000) / 1000.0 - 0.5;
                const double oy = double((state >> 40) % 1000) / 1000.0 - 0.5;
                xs.push_back(tile.centre_x(x) + ox * grid.cell);
                ys.push_back(tile.centre_y(y) + oy * grid.cell);
            }
        std::printf("points %zu\n", xs.size());
        const kernels::PointIndex index(xs, ys);
        std::vector<double> a(n), b(n);
        const kernels::DistanceCap cap{5000.0, kernels::CapPolicy::kClamp};
        std::printf("point_nearest_s %.6f\n",
                    best_of(reps, [&] { kernels::nearest_point_distance(tile, index, a, cap); }));
        std::printf("point_nearest_rtree_s %.6f\n", best_of(reps, [&] {
                        kernels::nearest_point_distance_rtree(tile, index, b, cap);
                    }));
        std::printf("point_nearest_mismatches %zu\n", mismatches(a, b));
        std::printf("point_kth2_s %.6f\n",
                    best_of(reps, [&] { kernels::kth_nearest_point_distance(tile, index, 2, a); }));
        std::printf("point_kth2_rtree_s %.6f\n", best_of(reps, [&] {
                        kernels::kth_nearest_point_distance_rtree(tile, index, 2, b);
                    }));
        std::printf("point_kth2_mismatches %zu\n", mismatches(a, b));
        std::vector<std::int32_t> ca(n), cb(n);
        std::printf("point_count1000_s %.6f\n",
                    best_of(reps, [&] { kernels::count_points_within(tile, index, 1000.0, ca); }));
        std::printf("point_count1000_rtree_s %.6f\n", best_of(reps, [&] {
                        kernels::count_points_within_rtree(tile, index, 1000.0, cb);
                    }));
        std::printf("point_count1000_mismatches %zu\n", mismatches(ca, cb));

        // Decay kernels of the demo model on the same grid (halo = support).
        for (const auto& [name, dk] :
             {std::pair{std::string("gaussian2000"),
                        kernels::make_gaussian_kernel(2000.0, grid.cell)},
              std::pair{std::string("exponential500_2000"),
                        kernels::make_exponential_kernel(500.0, 2000.0, grid.cell)}}) {
            Raster<std::int32_t> g(grid.window(), dk.reach, kernels::kNodataI32);
            io::read_window(grid_path, grid, g, "bench grid");
            std::printf("decay_%s_s %.6f\n", name.c_str(),
                        best_of(reps, [&] { kernels::decay_sum(g.tile(grid), g.span(), dk, a); }));
        }
    }
    return 0;
}
