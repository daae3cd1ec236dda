#include "core/blocks.hpp"

#include <array>
#include <limits>

#include "core/error.hpp"

namespace leefbaar {

std::vector<std::int64_t> balanced_offsets(std::int64_t n, int parts) {
    if (parts < 1)
        throw Error("decomposition", "need at least one part, got " + std::to_string(parts));
    std::vector<std::int64_t> off(std::size_t(parts) + 1, 0);
    const std::int64_t base = n / parts, extra = n % parts;
    for (int i = 0; i < parts; ++i)
        off[std::size_t(i) + 1] = off[std::size_t(i)] + base + (i < extra ? 1 : 0);
    return off;
}

std::vector<Window> block_windows(const GridSpec& grid, int px, int py) {
    const auto xo = balanced_offsets(grid.nx, px);
    const auto yo = balanced_offsets(grid.ny, py);
    std::vector<Window> out;
    out.reserve(std::size_t(px) * std::size_t(py));
    for (int by = 0; by < py; ++by)
        for (int bx = 0; bx < px; ++bx)
            out.push_back({xo[std::size_t(bx)], yo[std::size_t(by)],
                           xo[std::size_t(bx) + 1] - xo[std::size_t(bx)],
                           yo[std::size_t(by) + 1] - yo[std::size_t(by)]});
    return out;
}

std::array<int, 2> choose_process_grid(const GridSpec& grid, int ranks) {
    if (ranks < 1) throw Error("decomposition", "need at least one rank");
    // Minimise the largest block's perimeter (halo traffic), then prefer more rows of
    // blocks (row-major strips are friendlier to GDAL and HDF5 row chunks).
    std::array<int, 2> best{ranks, 1};
    double best_cost = std::numeric_limits<double>::infinity();
    for (int px = 1; px <= ranks; ++px) {
        if (ranks % px) continue;
        const int py = ranks / px;
        const double bw = double((grid.nx + px - 1) / px), bh = double((grid.ny + py - 1) / py);
        const double cost = bw + bh + 1e-6 * double(px);
        if (cost < best_cost) {
            best_cost = cost;
            best = {px, py};
        }
    }
    return best;
}

}  // namespace leefbaar
