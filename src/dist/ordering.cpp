#include "dist/ordering.hpp"

#include "dist/reduce.hpp"

namespace leefbaar::dist {

GlobalRows global_rows(const Decomposition& d, const std::vector<std::int64_t>& cells) {
    const GridSpec& g = d.grid();
    const int px = d.px();
    const int bx = d.rank() % px;
    // counts[row * px + block column]: selected cells of that grid row in that block column.
    std::vector<std::int64_t> counts(std::size_t(g.ny) * std::size_t(px), 0);
    for (const auto id : cells)
        ++counts[std::size_t(id / g.nx) * std::size_t(px) + std::size_t(bx)];
    allreduce_sum(counts, d.comm());
    GlobalRows out;
    out.row_start.assign(std::size_t(g.ny) + 1, 0);
    std::int64_t pos = 0;
    for (std::int64_t row = 0; row < g.ny; ++row) {
        out.row_start[std::size_t(row)] = pos;
        for (int b = 0; b < px; ++b) {
            const std::int64_t n = counts[std::size_t(row) * std::size_t(px) + std::size_t(b)];
            if (b == bx && n > 0 && d.block().nrows > 0 && row >= d.block().row0 &&
                row < d.block().row1())
                out.runs.emplace_back(pos, n);
            pos += n;
        }
    }
    out.row_start[std::size_t(g.ny)] = pos;
    out.total = pos;
    return out;
}

}  // namespace leefbaar::dist
