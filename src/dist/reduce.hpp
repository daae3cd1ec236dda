#pragma once
// Reductions across ranks that are exact and independent of the split.

#include <mpi.h>

#include <cstdint>
#include <span>

#include "core/exact_sum.hpp"

namespace leefbaar::dist {

// In-place element-wise sums over all ranks of `comm` (integer: exact in any order).
void allreduce_sum(std::span<std::int64_t> values, MPI_Comm comm);
void allreduce_sum(std::span<ExactSum::Raw> values, MPI_Comm comm);
std::int64_t allreduce_sum(std::int64_t value, MPI_Comm comm);
ExactSum allreduce_sum(const ExactSum& value, MPI_Comm comm);
// Min and max are exact in any order too.
void allreduce_min(std::span<double> values, MPI_Comm comm);
void allreduce_max(std::span<double> values, MPI_Comm comm);

}  // namespace leefbaar::dist
