#pragma once
// 2-D block decomposition of the national grid over an MPI Cartesian communicator.

#include <mpi.h>

#include <vector>

#include "core/grid.hpp"

namespace leefbaar::dist {

// Splits `grid` into px x py blocks (any rank count: primes, more ranks than rows or columns,
// one rank). Rank r of the Cartesian communicator owns block r; blocks may be empty.
class Decomposition {
  public:
    // px = py = 0 chooses a near-square process grid for this grid.
    Decomposition(const GridSpec& grid, MPI_Comm comm, int px = 0, int py = 0);
    ~Decomposition();
    Decomposition(const Decomposition&) = delete;
    Decomposition& operator=(const Decomposition&) = delete;

    const GridSpec& grid() const { return grid_; }
    MPI_Comm comm() const { return cart_; }
    int rank() const { return rank_; }
    int size() const { return int(blocks_.size()); }
    int px() const { return px_; }
    int py() const { return py_; }
    const Window& block() const { return blocks_[std::size_t(rank_)]; }
    const Window& block(int r) const { return blocks_[std::size_t(r)]; }
    const std::vector<Window>& blocks() const { return blocks_; }

  private:
    GridSpec grid_;
    MPI_Comm cart_ = MPI_COMM_NULL;
    int rank_ = 0, px_ = 1, py_ = 1;
    std::vector<Window> blocks_;
};

}  // namespace leefbaar::dist
