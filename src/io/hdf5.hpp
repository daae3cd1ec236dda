#pragma once
// Parallel HDF5 results file: collective, chunked, compressed, georeferenced grids
// (netCDF-4/CF conventions, so GDAL, QGIS and xarray read every grid with its CRS).

#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/grid.hpp"

namespace leefbaar::io {

// An owned HDF5 identifier, closed with the matching H5?close on destruction (no-throw).
class H5Id {
  public:
    H5Id() = default;
    explicit H5Id(hid_t id) : id_(id) {}
    ~H5Id() { reset(); }
    H5Id(H5Id&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
    H5Id& operator=(H5Id&& o) noexcept {
        if (this != &o) {
            reset();
            id_ = o.id_;
            o.id_ = H5I_INVALID_HID;
        }
        return *this;
    }
    H5Id(const H5Id&) = delete;
    H5Id& operator=(const H5Id&) = delete;
    hid_t get() const { return id_; }
    operator hid_t() const { return id_; }
    void reset() noexcept;

  private:
    hid_t id_ = H5I_INVALID_HID;
};

template <class T>
hid_t h5_type();

// The chunk extent of a grid dimension of n cells: the largest divisor of n in [256, 512] (so
// no chunk hangs over the grid's edge: HDF5 reads back, inflates and merges every chunk a write
// does not cover whole, and an edge chunk is never covered whole), else 512; n when n <= 512.
// The national grid's 3250 x 2800 cells give 325 x 400 chunks, ~1 MB of doubles, which also
// fits HDF5's default 1 MiB chunk cache of readers such as GDAL.
hsize_t grid_chunk_extent(hsize_t n);

// How the last collective transfer was actually done (H5Pget_mpio_actual_io_mode).
enum class IoMode { none, independent, collective_chunk, collective_contiguous, mixed };
const char* to_string(IoMode m);

// A results file opened collectively by every rank of `comm`. All methods are collective:
// every rank calls them in the same order with the same names and shapes (a rank with no
// cells passes an empty block).
class H5File {
  public:
    enum class Mode { create, read_write, read_only };
    // Driver::posix: this process alone through the POSIX (sec2) driver, independent
    // transfers (no MPI-IO: for files one rank reads or writes by itself; comm should be
    // MPI_COMM_SELF). MPI-IO with collective transfers on a single rank costs several times the
    // bytes in selection bookkeeping.
    enum class Driver { mpio, posix };
    H5File(const std::string& path, MPI_Comm comm, Mode mode, Driver driver = Driver::mpio);
    ~H5File();
    H5File(const H5File&) = delete;
    H5File& operator=(const H5File&) = delete;

    const std::string& path() const { return path_; }
    hid_t id() const { return file_.get(); }
    MPI_Comm comm() const { return comm_; }

    // Writes the grid's x/y coordinate variables (dimension scales) and the `crs` variable.
    // Call once after create.
    void write_georeference(const GridSpec& grid);
    // Reads the grid back from the georeference written above.
    GridSpec read_georeference() const;

    // Creates (or opens, if present with the same shape) a 2-D grid dataset at `path`
    // (intermediate groups created), chunked, deflate-compressed, with _FillValue = nodata,
    // grid_mapping and x/y dimension scales, and writes this rank's block collectively.
    template <class T>
    void write_grid(const std::string& path, const GridSpec& grid, const Window& block,
                    std::span<const T> values, T nodata, const std::string& long_name = "",
                    const std::string& units = "");
    // Reads this rank's window (any window inside the grid) of a grid dataset, collectively.
    template <class T>
    std::vector<T> read_grid(const std::string& path, const Window& window) const;

    // A 2-D table of rows x ncols where each rank contributes `values` (its rows, row-major)
    // at row `row_offset` of `total_rows`; chunked by rows; deflated when `deflate` (for tables
    // that compress, such as 0/1 flags; the filter is set when the dataset is created).
    template <class T>
    void write_rows(const std::string& path, std::int64_t total_rows, std::int64_t row_offset,
                    std::int64_t ncols, std::span<const T> values, bool deflate = false);
    template <class T>
    std::vector<T> read_rows(const std::string& path, std::int64_t row_offset,
                             std::int64_t nrows) const;
    // Rows in several segments: this rank's rows go to file rows [offset, offset+count) of
    // each segment, in order; `values` holds them back to back. Lets ranks whose rows
    // interleave in the global order (2-D blocks, rows sorted by cell id) write one table.
    struct Segment {
        std::int64_t offset = 0, count = 0;
    };
    template <class T>
    void write_row_segments(const std::string& path, std::int64_t total_rows, std::int64_t ncols,
                            const std::vector<Segment>& segments, std::span<const T> values,
                            bool deflate = false);
    template <class T>
    std::vector<T> read_row_segments(const std::string& path,
                                     const std::vector<Segment>& segments) const;
    // The dataset's dimensions, or nullopt if absent.
    std::optional<std::vector<std::int64_t>> shape(const std::string& path) const;
    bool exists(const std::string& path) const;
    // Every dataset in the file, as absolute paths in name order.
    std::vector<std::string> list_datasets() const;

    // String attributes on a group or dataset ("/" = the file). Same value on every rank.
    void set_attribute(const std::string& object, const std::string& name,
                       const std::string& value);
    std::optional<std::string> attribute(const std::string& object, const std::string& name) const;
    // 1-D string list attribute helpers (stored as one newline-joined string).
    void set_string_list(const std::string& object, const std::string& name,
                         const std::vector<std::string>& values);
    std::vector<std::string> string_list(const std::string& object, const std::string& name) const;

    // Wall time and bytes (this rank's) of every dataset write, in order.
    struct WriteTiming {
        std::string path;
        double seconds = 0;
        std::int64_t bytes = 0;
    };
    const std::vector<WriteTiming>& write_timings() const { return timings_; }
    // How the last write_grid / write_rows transfer was carried out.
    IoMode last_io_mode() const { return last_io_mode_; }
    void flush();

  private:
    H5Id dataset_for_grid(const std::string& path, hid_t type, const GridSpec& grid,
                          const void* fill);
    void ensure_parent_groups(const std::string& path);
    void transfer(hid_t dset, hid_t memtype, hid_t filespace, hid_t memspace, const void* buf);

    std::string path_;
    MPI_Comm comm_;
    H5Id file_;
    IoMode last_io_mode_ = IoMode::none;
    bool posix_ = false;
    std::vector<WriteTiming> timings_;
};

// True if `path` is an HDF5 file (H5Fis_hdf5), without opening it for MPI.
bool is_hdf5(const std::string& path);

}  // namespace leefbaar::io
