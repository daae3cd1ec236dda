#pragma once
// Halo exchange of any width, including halos wider than a neighbouring block.

#include <mpi.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/raster.hpp"
#include "dist/comm.hpp"
#include "dist/decomposition.hpp"

namespace leefbaar::dist {

template <class T>
MPI_Datatype mpi_type();
template <>
inline MPI_Datatype mpi_type<std::int32_t>() {
    return MPI_INT32_T;
}
template <>
inline MPI_Datatype mpi_type<std::int64_t>() {
    return MPI_INT64_T;
}
template <>
inline MPI_Datatype mpi_type<std::uint8_t>() {
    return MPI_UINT8_T;
}
template <>
inline MPI_Datatype mpi_type<std::uint16_t>() {
    return MPI_UINT16_T;
}
template <>
inline MPI_Datatype mpi_type<float>() {
    return MPI_FLOAT;
}
template <>
inline MPI_Datatype mpi_type<double>() {
    return MPI_DOUBLE;
}

namespace detail {
template <class T>
void copy_window(const Raster<T>& r, const Window& w, T* out) {
    for (std::int64_t row = w.row0; row < w.row1(); ++row) {
        std::memcpy(out, &r.at(w.col0, row), sizeof(T) * std::size_t(w.ncols));
        out += w.ncols;
    }
}
template <class T>
void paste_window(Raster<T>& r, const Window& w, const T* in) {
    for (std::int64_t row = w.row0; row < w.row1(); ++row) {
        std::memcpy(&r.at(w.col0, row), in, sizeof(T) * std::size_t(w.ncols));
        in += w.ncols;
    }
}
}  // namespace detail

// Fills the halo of `r` (interior = this rank's block) from the ranks that own those cells,
// however far away; halo cells outside the grid get r.nodata. Collective over d.comm();
// every rank must pass the same halo width.
template <class T>
void exchange_halo(const Decomposition& d, Raster<T>& r) {
    if (!(r.interior == d.block()))
        throw Error("halo", "raster window does not match this rank's block");
    const std::int64_t h = r.halo;
    const Window grid = d.grid().window();
    const Window padded = r.padded();
    // Outside the grid: nodata.
    for (std::int64_t row = padded.row0; row < padded.row1(); ++row)
        for (std::int64_t col = padded.col0; col < padded.col1(); ++col)
            if (!grid.contains(col, row)) r.at(col, row) = r.nodata;
    if (h == 0) return;

    const int me = d.rank();
    std::vector<std::vector<T>> sendbuf, recvbuf;
    std::vector<Window> recvwin;
    std::vector<MPI_Request> reqs;
    const int tag = 4242;
    for (int p = 0; p < d.size(); ++p) {
        if (p == me) continue;
        const Window rw = padded.intersect(d.block(p));
        if (!rw.empty()) {
            recvbuf.emplace_back(std::size_t(rw.cells()));
            recvwin.push_back(rw);
            reqs.emplace_back();
            check(MPI_Irecv(recvbuf.back().data(), int(rw.cells()), mpi_type<T>(), p, tag, d.comm(),
                            &reqs.back()),
                  "MPI_Irecv(halo)");
        }
    }
    for (int p = 0; p < d.size(); ++p) {
        if (p == me) continue;
        const Window sw = d.block().intersect(d.block(p).grown(h));
        if (!sw.empty()) {
            sendbuf.emplace_back(std::size_t(sw.cells()));
            detail::copy_window(r, sw, sendbuf.back().data());
            reqs.emplace_back();
            check(MPI_Isend(sendbuf.back().data(), int(sw.cells()), mpi_type<T>(), p, tag, d.comm(),
                            &reqs.back()),
                  "MPI_Isend(halo)");
        }
    }
    check(MPI_Waitall(int(reqs.size()), reqs.data(), MPI_STATUSES_IGNORE), "MPI_Waitall(halo)");
    for (std::size_t i = 0; i < recvwin.size(); ++i)
        detail::paste_window(r, recvwin[i], recvbuf[i].data());
}

// Gathers the interiors of every rank's block into one whole-grid array on `root`
// (row-major, grid order); other ranks get an empty vector. Collective.
template <class T>
std::vector<T> gather_grid(const Decomposition& d, const Raster<T>& r, int root = 0) {
    const std::vector<T> mine = r.interior_copy();
    std::vector<int> counts(std::size_t(d.size())), displs(std::size_t(d.size()));
    for (int p = 0; p < d.size(); ++p) counts[std::size_t(p)] = int(d.block(p).cells());
    for (int p = 1; p < d.size(); ++p)
        displs[std::size_t(p)] = displs[std::size_t(p) - 1] + counts[std::size_t(p) - 1];
    std::vector<T> blocks;
    if (d.rank() == root) blocks.resize(std::size_t(d.grid().cells()));
    check(MPI_Gatherv(mine.data(), int(mine.size()), mpi_type<T>(), blocks.data(), counts.data(),
                      displs.data(), mpi_type<T>(), root, d.comm()),
          "MPI_Gatherv(grid)");
    if (d.rank() != root) return {};
    std::vector<T> out(blocks.size());
    const std::int64_t nx = d.grid().nx;
    for (int p = 0; p < d.size(); ++p) {
        const Window& w = d.block(p);
        const T* src = blocks.data() + displs[std::size_t(p)];
        for (std::int64_t row = 0; row < w.nrows; ++row)
            std::memcpy(&out[std::size_t((w.row0 + row) * nx + w.col0)], src + row * w.ncols,
                        sizeof(T) * std::size_t(w.ncols));
    }
    return out;
}

}  // namespace leefbaar::dist
