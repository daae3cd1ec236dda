#include "dist/decomposition.hpp"

#include "core/blocks.hpp"
#include "core/error.hpp"
#include "dist/comm.hpp"

namespace leefbaar::dist {

Decomposition::Decomposition(const GridSpec& grid, MPI_Comm comm, int px, int py) : grid_(grid) {
    const int n = dist::size(comm);
    if (px <= 0 || py <= 0) {
        const auto pg = choose_process_grid(grid, n);
        px = pg[0];
        py = pg[1];
    }
    if (px * py != n)
        throw UsageError("decomposition", "process grid " + std::to_string(px) + "x" +
                                              std::to_string(py) + " does not match " +
                                              std::to_string(n) + " ranks");
    // MPI dims are (rows, cols) in C order: dim 0 = y (north to south), dim 1 = x.
    int dims[2] = {py, px};
    int periods[2] = {0, 0};
    check(MPI_Cart_create(comm, 2, dims, periods, /*reorder=*/0, &cart_), "MPI_Cart_create");
    MPI_Comm_set_errhandler(cart_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(cart_, &rank_);
    int coords[2] = {0, 0};
    check(MPI_Cart_coords(cart_, rank_, 2, coords), "MPI_Cart_coords");
    if (coords[0] * px + coords[1] != rank_)
        throw Error("decomposition", "unexpected Cartesian rank order");
    px_ = px;
    py_ = py;
    blocks_ = block_windows(grid, px, py);
}

Decomposition::~Decomposition() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (cart_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&cart_);
}

}  // namespace leefbaar::dist
