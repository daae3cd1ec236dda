#pragma once
// Exact Euclidean distance transform (Meijster, Roerdink & Hesselink 2000): two separable
// passes in integer arithmetic, O(N) for the padded tile. Distances are between cell centres,
// in metres, to the nearest cell that is valid and non-zero.
//
// Conventions:
//  - nodata input cells are never features, and their own output is nodata (outside the area);
//  - with a cap, cells whose nearest feature is farther than the cap (d > cap, exact test) get
//    the cap or nodata (CapPolicy); the cap's reach floor(cap / cell) must fit in the halo,
//    which makes the result exact for every tile split (any feature within the cap of an
//    interior cell lies inside the padded tile);
//  - without a cap the transform sees only the padded tile: exact when the tile is the whole
//    grid (or the halo covers the true nearest feature); no feature at all gives nodata.

#include <cstdint>
#include <optional>
#include <span>

#include "kernels/tile.hpp"

namespace leefbaar::kernels {

// What a cell farther than the cap receives.
enum class CapPolicy {
    kNodata,  // NaN (kNodataI64 for squared distances)
    kClamp,   // the cap itself (metres; for squared distances the largest n with n*cell^2 <= cap^2)
};

struct DistanceCap {
    std::optional<double> cap_m;  // none: uncapped
    CapPolicy beyond = CapPolicy::kNodata;
};

// Squared distance in cells (exact int64) to the nearest valid non-zero cell.
void squared_distance_to_nonzero(const TileDesc& tile, std::span<const std::int32_t> in,
                                 std::span<std::int64_t> out, const DistanceCap& cap = {});

// Distance in metres, sqrt(n) * cell, to the nearest valid non-zero cell.
void distance_to_nonzero(const TileDesc& tile, std::span<const std::int32_t> in,
                         std::span<double> out, const DistanceCap& cap = {});

}  // namespace leefbaar::kernels
