#include "core/grid.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace leefbaar {

Window Window::intersect(const Window& o) const {
    const std::int64_t c0 = std::max(col0, o.col0), r0 = std::max(row0, o.row0);
    const std::int64_t c1 = std::min(col1(), o.col1()), r1 = std::min(row1(), o.row1());
    if (c1 <= c0 || r1 <= r0) return {c0, r0, 0, 0};
    return {c0, r0, c1 - c0, r1 - r0};
}

GridSpec GridSpec::crop(const Window& w) const {
    GridSpec g = *this;
    g.xmin = xmin + double(w.col0) * cell;
    g.ymax = ymax - double(w.row0) * cell;
    g.nx = w.ncols;
    g.ny = w.nrows;
    return g;
}

GridSpec GridSpec::from_extent(double x0, double y0, double x1, double y1, double cell, int epsg) {
    if (!(cell > 0.0) || !std::isfinite(cell))
        throw UsageError("grid", "cell size " + std::to_string(cell) + " m must be positive");
    if (!(x1 > x0) || !(y1 > y0))
        throw UsageError("grid", "extent " + std::to_string(x0) + "," + std::to_string(y0) + "," +
                                     std::to_string(x1) + "," + std::to_string(y1) +
                                     " is empty (need xmin < xmax and ymin < ymax)");
    const double fx = (x1 - x0) / cell, fy = (y1 - y0) / cell;
    if (std::abs(fx - std::round(fx)) > 1e-9 || std::abs(fy - std::round(fy)) > 1e-9)
        throw UsageError("grid",
                         "extent is not a whole number of " + std::to_string(cell) + " m cells");
    GridSpec g;
    g.xmin = x0;
    g.ymax = y1;
    g.cell = cell;
    g.nx = std::int64_t(std::llround(fx));
    g.ny = std::int64_t(std::llround(fy));
    g.epsg = epsg;
    return g;
}

std::string GridSpec::describe() const {
    std::ostringstream s;
    s.precision(17);
    s << "EPSG:" << epsg << " xmin=" << xmin << " ymax=" << ymax << " cell=" << cell << " nx=" << nx
      << " ny=" << ny;
    return s.str();
}

namespace {
bool whole_hm(double v) {
    return std::abs(v / 100.0 - std::round(v / 100.0)) < 1e-9;
}
}  // namespace

std::string cell_code(const GridSpec& grid, std::int64_t col, std::int64_t row) {
    const double x = grid.xmin + double(col) * grid.cell;
    const double y = grid.ymax - double(row + 1) * grid.cell;
    if (!whole_hm(x) || !whole_hm(y))
        throw Error("grid", "cell (" + std::to_string(col) + "," + std::to_string(row) +
                                ") has no CBS code: its corner is not on whole hectometres");
    char buf[32];
    std::snprintf(buf, sizeof buf, "E%04lldN%04lld", static_cast<long long>(std::llround(x / 100)),
                  static_cast<long long>(std::llround(y / 100)));
    return buf;
}

std::array<std::int64_t, 2> parse_cell_code(const GridSpec& grid, std::string_view code) {
    auto bad = [&](const char* why) {
        return Error("grid", "cell code '" + std::string(code) + "': " + why);
    };
    const auto npos = code.find('N');
    if (code.size() < 4 || code[0] != 'E' || npos == std::string_view::npos)
        throw bad("expected E<x hm>N<y hm>, e.g. E1213N4879");
    long long ex = 0, ny = 0;
    auto r1 = std::from_chars(code.data() + 1, code.data() + npos, ex);
    auto r2 = std::from_chars(code.data() + npos + 1, code.data() + code.size(), ny);
    if (r1.ec != std::errc{} || r1.ptr != code.data() + npos || r2.ec != std::errc{} ||
        r2.ptr != code.data() + code.size())
        throw bad("expected E<x hm>N<y hm>, e.g. E1213N4879");
    const double x = double(ex) * 100.0, y = double(ny) * 100.0;
    const double fc = (x - grid.xmin) / grid.cell;
    const double fr = (grid.ymax - y) / grid.cell - 1.0;
    if (std::abs(fc - std::round(fc)) > 1e-9 || std::abs(fr - std::round(fr)) > 1e-9)
        throw bad("not aligned with the grid's cells");
    const auto col = std::int64_t(std::llround(fc)), row = std::int64_t(std::llround(fr));
    if (!grid.window().contains(col, row)) throw bad("outside the grid");
    return {col, row};
}

}  // namespace leefbaar
