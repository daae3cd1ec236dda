#pragma once
// Tables over the scored cells in an HDF5 group, in global cell-id order: identical for any
// decomposition, and readable back by any other decomposition.
//   <group>/cell       int64 (n x 1): cell id = row * nx + col
//   <group>/row_start  int64 (ny + 1 x 1): first table row of each grid row
//   <group>/<column>   (n x k) per named column

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dist/decomposition.hpp"
#include "io/hdf5.hpp"

namespace leefbaar::app {

struct CellLayout {
    std::int64_t total = 0;
    std::vector<std::int64_t> cells;            // this rank's cell ids, increasing
    std::vector<io::H5File::Segment> segments;  // where they are in the table
    std::vector<std::int64_t> row_start;        // ny + 1
};

// Layout for this rank's cells (collective).
CellLayout make_layout(const dist::Decomposition& d, std::vector<std::int64_t> cells);
// Writes <group>/cell and <group>/row_start (collective).
void write_layout(io::H5File& f, const std::string& group, const CellLayout& l);
// Reads the layout back for this rank's block of `d`, whatever decomposition wrote it.
CellLayout read_layout(const io::H5File& f, const std::string& group, const dist::Decomposition& d);

template <class T>
void write_column(io::H5File& f, const std::string& path, const CellLayout& l, std::int64_t ncols,
                  std::span<const T> values) {
    f.write_row_segments<T>(path, l.total, ncols, l.segments, values);
}
template <class T>
std::vector<T> read_column(const io::H5File& f, const std::string& path, const CellLayout& l) {
    return f.read_row_segments<T>(path, l.segments);
}

}  // namespace leefbaar::app
