#include "kernels/circle.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "kernels/checks.hpp"

// cpp_int's small-buffer union trips a known GCC false positive at -O3.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/multiprecision/cpp_int.hpp>

namespace leefbaar::kernels {

namespace {

using boost::multiprecision::cpp_int;

// A finite double as mantissa * 2^exponent with an integer mantissa (exact).
struct Dyadic {
    cpp_int mantissa;
    int exponent = 0;
};

Dyadic to_dyadic(double v) {
    int e = 0;
    const double frac = std::frexp(v, &e);  // v = frac * 2^e, 0.5 <= |frac| < 1
    const auto m = static_cast<std::int64_t>(std::ldexp(frac, 53));
    return {cpp_int(m), e - 53};
}

// Windows wider than this are a configuration error long before they are a memory problem.
constexpr std::int64_t kMaxReach = std::int64_t(1) << 20;

void check_cell(double cell_size, const char* kernel) {
    if (!std::isfinite(cell_size) || !(cell_size > 0))
        throw std::invalid_argument(std::string(kernel) + ": cell size " +
                                    format_number(cell_size) + " m must be > 0");
}

}  // namespace

bool offset_within(std::int64_t dx, std::int64_t dy, double radius_m, double cell_size) {
    return squared_cells_within(dx * dx + dy * dy, radius_m, cell_size);
}

bool squared_cells_within(std::int64_t n, double radius_m, double cell_size) {
    // n * mc^2 * 2^(2 ec) <= mr^2 * 2^(2 er), all integers: no rounding anywhere.
    if (radius_m == 0.0) return n == 0;
    const Dyadic r = to_dyadic(radius_m);
    const Dyadic c = to_dyadic(cell_size);
    cpp_int lhs = cpp_int(n) * c.mantissa * c.mantissa;
    cpp_int rhs = r.mantissa * r.mantissa;
    const int shift = 2 * c.exponent - 2 * r.exponent;
    if (shift >= 0)
        lhs <<= shift;
    else
        rhs <<= -shift;
    return lhs <= rhs;
}

std::int64_t chord_half_width(std::int64_t dy, double radius_m, double cell_size) {
    if (!offset_within(0, dy, radius_m, cell_size)) return -1;
    // Floating-point guess, then exact correction in both directions.
    const double q = radius_m / cell_size;
    const double rem = q * q - double(dy) * double(dy);
    auto w = static_cast<std::int64_t>(std::floor(std::sqrt(std::max(rem, 0.0))));
    while (w > 0 && !offset_within(w, dy, radius_m, cell_size)) --w;
    while (offset_within(w + 1, dy, radius_m, cell_size)) ++w;
    return w;
}

std::int64_t window_reach(double radius_m, double cell_size) {
    check_cell(cell_size, "window reach");
    if (!std::isfinite(radius_m) || radius_m < 0)
        throw std::invalid_argument("window reach: radius " + format_number(radius_m) +
                                    " m must be finite and >= 0");
    if (radius_m / cell_size > double(kMaxReach))
        throw std::invalid_argument("window reach: radius " + format_number(radius_m) +
                                    " m is more than 2^20 cells");
    return chord_half_width(0, radius_m, cell_size);
}

std::int64_t max_squared_cells_within(double radius_m, double cell_size) {
    const double q = radius_m / cell_size;
    auto n = static_cast<std::int64_t>(std::floor(q * q));
    while (n > 0 && !squared_cells_within(n, radius_m, cell_size)) --n;
    while (squared_cells_within(n + 1, radius_m, cell_size)) ++n;
    return n;
}

bool CircularWindow::contains(std::int64_t dx, std::int64_t dy) const {
    if (dy < -reach || dy > reach) return false;
    const auto i = std::size_t(dy + reach);
    const std::int64_t ax = dx < 0 ? -dx : dx;
    return ax <= outer_half[i] && ax > inner_half[i];
}

CircularWindow make_circular_window(double radius_m, double cell_size) {
    check_radius(radius_m, "circular window", "radius");
    check_cell(cell_size, "circular window");
    CircularWindow w;
    w.outer_m = radius_m;
    w.cell_size = cell_size;
    w.reach = window_reach(radius_m, cell_size);
    w.outer_half.resize(std::size_t(2 * w.reach + 1));
    w.inner_half.assign(std::size_t(2 * w.reach + 1), -1);
    for (std::int64_t dy = 0; dy <= w.reach; ++dy) {
        const auto h = std::int32_t(chord_half_width(dy, radius_m, cell_size));
        w.outer_half[std::size_t(w.reach + dy)] = h;
        w.outer_half[std::size_t(w.reach - dy)] = h;
    }
    for (const auto h : w.outer_half) w.cells += 2 * std::int64_t(h) + 1;
    return w;
}

CircularWindow make_annulus_window(double inner_m, double outer_m, double cell_size) {
    check_radius(outer_m, "annulus window", "outer radius");
    if (!std::isfinite(inner_m) || inner_m < 0)
        throw std::invalid_argument("annulus window: inner radius " + format_number(inner_m) +
                                    " m must be >= 0");
    if (!(inner_m < outer_m))
        throw std::invalid_argument("annulus window: inner radius " + format_number(inner_m) +
                                    " m must be smaller than the outer radius " +
                                    format_number(outer_m) + " m");
    CircularWindow w = make_circular_window(outer_m, cell_size);
    w.inner_m = inner_m;
    const std::int64_t inner_reach = window_reach(inner_m, cell_size);
    for (std::int64_t dy = 0; dy <= inner_reach; ++dy) {
        const auto h = std::int32_t(chord_half_width(dy, inner_m, cell_size));
        w.inner_half[std::size_t(w.reach + dy)] = h;
        w.inner_half[std::size_t(w.reach - dy)] = h;
    }
    w.cells = 0;
    for (std::size_t i = 0; i < w.outer_half.size(); ++i)
        w.cells += (2 * std::int64_t(w.outer_half[i]) + 1) -
                   (w.inner_half[i] >= 0 ? 2 * std::int64_t(w.inner_half[i]) + 1 : 0);
    return w;
}

}  // namespace leefbaar::kernels

#pragma GCC diagnostic pop
