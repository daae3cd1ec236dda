#include "kernels/checks.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace leefbaar::kernels {

std::string format_number(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.10g", v);
    return buf;
}

namespace {
[[noreturn]] void fail(std::string_view kernel, const std::string& msg) {
    throw std::invalid_argument(std::string(kernel) + ": " + msg);
}
}  // namespace

void check_tile(const TileDesc& tile, std::string_view kernel) {
    if (tile.nx < 0 || tile.ny < 0 || tile.halo < 0)
        fail(kernel, "tile " + std::to_string(tile.nx) + " x " + std::to_string(tile.ny) +
                         " with halo " + std::to_string(tile.halo) + " has a negative extent");
    if (!std::isfinite(tile.cell_size) || tile.cell_size <= 0)
        fail(kernel, "cell size " + format_number(tile.cell_size) + " m must be > 0");
}

void check_padded_span(const TileDesc& tile, std::size_t size, std::string_view kernel,
                       std::string_view name) {
    if (size != tile.padded_size())
        fail(kernel, std::string(name) + " span has " + std::to_string(size) +
                         " cells, expected the padded tile " + std::to_string(tile.padded_nx()) +
                         " x " + std::to_string(tile.padded_ny()) + " = " +
                         std::to_string(tile.padded_size()));
}

void check_interior_span(const TileDesc& tile, std::size_t size, std::string_view kernel,
                         std::string_view name, bool optional) {
    if (optional && size == 0) return;
    if (size != tile.interior_size())
        fail(kernel, std::string(name) + " span has " + std::to_string(size) +
                         " cells, expected the interior " + std::to_string(tile.nx) + " x " +
                         std::to_string(tile.ny) + " = " + std::to_string(tile.interior_size()));
}

void check_reach(const TileDesc& tile, std::int64_t reach, std::string_view kernel,
                 std::string_view what) {
    if (reach > tile.halo)
        fail(kernel, std::string(what) + " reaches " + std::to_string(reach) +
                         " cells but the tile halo is only " + std::to_string(tile.halo) +
                         " cells");
}

void check_radius(double radius_m, std::string_view kernel, std::string_view what) {
    if (!(radius_m > 0) || !std::isfinite(radius_m))
        fail(kernel, std::string(what) + " " + format_number(radius_m) + " m must be > 0");
}

}  // namespace leefbaar::kernels
