// Out-of-line anchor so leefbaar_kernels is a real library even before other kernels land.
#include "kernels/tile.hpp"

#include <type_traits>

namespace leefbaar::kernels {
static_assert(sizeof(TileDesc) == 64, "TileDesc is a small value type");
static_assert(std::is_aggregate_v<TileDesc>, "TileDesc{nx, ny, halo, cell} must keep working");
}  // namespace leefbaar::kernels
