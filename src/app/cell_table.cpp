#include "app/cell_table.hpp"

#include "core/error.hpp"
#include "dist/comm.hpp"
#include "dist/ordering.hpp"

namespace leefbaar::app {

CellLayout make_layout(const dist::Decomposition& d, std::vector<std::int64_t> cells) {
    const auto rows = dist::global_rows(d, cells);
    CellLayout l;
    l.total = rows.total;
    l.cells = std::move(cells);
    l.row_start = rows.row_start;
    // Consecutive runs merge: with row strips a rank's cells are one contiguous range.
    for (const auto& [off, n] : rows.runs) {
        if (!l.segments.empty() && l.segments.back().offset + l.segments.back().count == off)
            l.segments.back().count += n;
        else
            l.segments.push_back({off, n});
    }
    return l;
}

void write_layout(io::H5File& f, const std::string& group, const CellLayout& l) {
    write_column<std::int64_t>(f, group + "/cell", l, 1, l.cells);
    const auto ny1 = std::int64_t(l.row_start.size());
    const bool root = dist::rank(f.comm()) == 0;
    f.write_rows<std::int64_t>(
        group + "/row_start", ny1, 0, 1,
        root ? std::span<const std::int64_t>(l.row_start) : std::span<const std::int64_t>());
}

CellLayout read_layout(const io::H5File& f, const std::string& group,
                       const dist::Decomposition& d) {
    const GridSpec& g = d.grid();
    const auto shape = f.shape(group + "/row_start");
    if (!shape || (*shape)[0] != g.ny + 1)
        throw Error("resume",
                    f.path() + ": '" + group + "/row_start' is missing or not for this grid");
    CellLayout l;
    l.row_start = f.read_rows<std::int64_t>(group + "/row_start", 0, g.ny + 1);
    l.total = l.row_start.back();
    const Window b = d.block();
    // The cells of this rank's rows (all columns), then the runs inside its columns.
    const std::int64_t first = b.empty() ? 0 : l.row_start[std::size_t(b.row0)];
    const std::int64_t last = b.empty() ? 0 : l.row_start[std::size_t(b.row1())];
    const auto ids = f.read_rows<std::int64_t>(group + "/cell", first, last - first);
    std::int64_t run_start = -1, run_len = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::int64_t col = ids[i] % g.nx;
        const bool mine = col >= b.col0 && col < b.col1();
        const std::int64_t pos = first + std::int64_t(i);
        if (mine) {
            l.cells.push_back(ids[i]);
            if (run_len > 0 && run_start + run_len == pos) {
                ++run_len;
            } else {
                if (run_len > 0) l.segments.push_back({run_start, run_len});
                run_start = pos;
                run_len = 1;
            }
        }
    }
    if (run_len > 0) l.segments.push_back({run_start, run_len});
    return l;
}

}  // namespace leefbaar::app
