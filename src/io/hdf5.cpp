#include "io/hdf5.hpp"

#include <H5DSpublic.h>
#include <cpl_conv.h>
#include <ogr_srs_api.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "io/rle_deflate.hpp"

namespace leefbaar::io {

namespace {

// The innermost message of the current HDF5 error stack, for context in our own errors.
herr_t walk_cb(unsigned n, const H5E_error2_t* err, void* data) {
    auto* out = static_cast<std::string*>(data);
    if (n == 0 && err->desc) *out = err->desc;
    return 0;
}

std::string hdf5_message() {
    std::string msg;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walk_cb, &msg);
    H5Eclear2(H5E_DEFAULT);
    return msg.empty() ? std::string("HDF5 error") : msg;
}

struct SilenceHdf5 {
    SilenceHdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};

[[noreturn]] void fail(const std::string& file, const std::string& what) {
    throw Error("hdf5", file + ": " + what + ": " + hdf5_message());
}

hid_t checked(hid_t id, const std::string& file, const std::string& what) {
    if (id < 0) fail(file, what);
    return id;
}

void checked_status(herr_t rc, const std::string& file, const std::string& what) {
    if (rc < 0) fail(file, what);
}

H5Id string_type(std::size_t len) {
    H5Id t(H5Tcopy(H5T_C_S1));
    H5Tset_size(t, std::max<std::size_t>(len, 1));
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

std::string epsg_wkt(int epsg) {
    OGRSpatialReferenceH srs = OSRNewSpatialReference(nullptr);
    char* wkt = nullptr;
    std::string out;
    if (OSRImportFromEPSG(srs, epsg) == OGRERR_NONE && OSRExportToWkt(srs, &wkt) == OGRERR_NONE)
        out = wkt;
    CPLFree(wkt);
    OSRDestroySpatialReference(srs);
    if (out.empty()) throw Error("hdf5", "no WKT for EPSG:" + std::to_string(epsg));
    return out;
}

void write_attr_string(hid_t obj, const std::string& file, const std::string& name,
                       const std::string& value) {
    if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
    H5Id type = string_type(value.size() + 1);
    H5Id space(H5Screate(H5S_SCALAR));
    H5Id attr(checked(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), file,
                      "create attribute '" + name + "'"));
    std::string buf = value;
    buf.resize(value.size() + 1, '\0');
    checked_status(H5Awrite(attr, type, buf.data()), file, "write attribute '" + name + "'");
}

template <class T>
void write_attr_scalar(hid_t obj, const std::string& file, const std::string& name, T value) {
    if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
    H5Id space(H5Screate(H5S_SCALAR));
    H5Id attr(checked(H5Acreate2(obj, name.c_str(), h5_type<T>(), space, H5P_DEFAULT, H5P_DEFAULT),
                      file, "create attribute '" + name + "'"));
    checked_status(H5Awrite(attr, h5_type<T>(), &value), file, "write attribute '" + name + "'");
}

template <class T>
T read_attr_scalar(hid_t obj, const std::string& file, const std::string& name) {
    H5Id attr(
        checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), file, "open attribute '" + name + "'"));
    T v{};
    checked_status(H5Aread(attr, h5_type<T>(), &v), file, "read attribute '" + name + "'");
    return v;
}

H5Id collective_dxpl() {
    H5Id dxpl(H5Pcreate(H5P_DATASET_XFER));
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    return dxpl;
}

IoMode convert(H5D_mpio_actual_io_mode_t m) {
    switch (m) {
        case H5D_MPIO_NO_COLLECTIVE:
            return IoMode::independent;
        case H5D_MPIO_CHUNK_INDEPENDENT:
            return IoMode::independent;
        case H5D_MPIO_CHUNK_COLLECTIVE:
            return IoMode::collective_chunk;
        case H5D_MPIO_CONTIGUOUS_COLLECTIVE:
            return IoMode::collective_contiguous;
        case H5D_MPIO_CHUNK_MIXED:
            return IoMode::mixed;
    }
    return IoMode::none;
}

}  // namespace

void H5Id::reset() noexcept {
    if (id_ < 0) return;
    switch (H5Iget_type(id_)) {
        case H5I_FILE:
            H5Fclose(id_);
            break;
        case H5I_GROUP:
            H5Gclose(id_);
            break;
        case H5I_DATASET:
            H5Dclose(id_);
            break;
        case H5I_DATASPACE:
            H5Sclose(id_);
            break;
        case H5I_DATATYPE:
            H5Tclose(id_);
            break;
        case H5I_ATTR:
            H5Aclose(id_);
            break;
        case H5I_GENPROP_LST:
            H5Pclose(id_);
            break;
        default:
            break;
    }
    id_ = H5I_INVALID_HID;
}

template <>
hid_t h5_type<float>() {
    return H5T_NATIVE_FLOAT;
}
template <>
hid_t h5_type<double>() {
    return H5T_NATIVE_DOUBLE;
}
template <>
hid_t h5_type<std::int8_t>() {
    return H5T_NATIVE_INT8;
}
template <>
hid_t h5_type<std::uint8_t>() {
    return H5T_NATIVE_UINT8;
}
template <>
hid_t h5_type<std::int16_t>() {
    return H5T_NATIVE_INT16;
}
template <>
hid_t h5_type<std::int32_t>() {
    return H5T_NATIVE_INT32;
}
template <>
hid_t h5_type<std::int64_t>() {
    return H5T_NATIVE_INT64;
}

const char* to_string(IoMode m) {
    switch (m) {
        case IoMode::none:
            return "none";
        case IoMode::independent:
            return "independent";
        case IoMode::collective_chunk:
            return "collective (chunked)";
        case IoMode::collective_contiguous:
            return "collective (contiguous)";
        case IoMode::mixed:
            return "mixed";
    }
    return "?";
}

bool is_hdf5(const std::string& path) {
    static SilenceHdf5 silence;
    return H5Fis_hdf5(path.c_str()) > 0;
}

H5File::H5File(const std::string& path, MPI_Comm comm, Mode mode, Driver driver)
    : path_(path), comm_(comm), posix_(driver == Driver::posix) {
    static SilenceHdf5 silence;
    register_fast_deflate_filter();
    H5Id fapl(H5Pcreate(H5P_FILE_ACCESS));
    if (posix_) {
        checked_status(H5Pset_fapl_sec2(fapl), path, "set POSIX driver");
    } else {
        checked_status(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL), path, "set MPI-IO driver");
        // Collective metadata: every rank reads and writes metadata together, which both
        // scales and keeps the file consistent.
        H5Pset_all_coll_metadata_ops(fapl, 1);
        H5Pset_coll_metadata_write(fapl, 1);
    }
    if (mode == Mode::create) {
        H5Id fcpl(H5Pcreate(H5P_FILE_CREATE));
        // netCDF-4 readers expect creation-order tracking on groups.
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
        file_ =
            H5Id(checked(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl), path, "create file"));
        write_attr_string(file_, path, "Conventions", "CF-1.8");
    } else {
        const unsigned flags = mode == Mode::read_write ? H5F_ACC_RDWR : H5F_ACC_RDONLY;
        file_ = H5Id(checked(H5Fopen(path.c_str(), flags, fapl), path,
                             "open file (is it a complete HDF5 file?)"));
    }
}

H5File::~H5File() = default;

void H5File::flush() {
    checked_status(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flush");
}

void H5File::ensure_parent_groups(const std::string& path) {
    std::size_t pos = 1;
    while ((pos = path.find('/', pos)) != std::string::npos) {
        const std::string g = path.substr(0, pos);
        if (H5Lexists(file_, g.c_str(), H5P_DEFAULT) <= 0) {
            H5Id gcpl(H5Pcreate(H5P_GROUP_CREATE));
            H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
            H5Id grp(checked(H5Gcreate2(file_, g.c_str(), H5P_DEFAULT, gcpl, H5P_DEFAULT), path_,
                             "create group '" + g + "'"));
        }
        ++pos;
    }
}

bool H5File::exists(const std::string& path) const {
    // Walk the path so that a missing intermediate group is "absent", not an error.
    std::size_t pos = 1;
    while (true) {
        pos = path.find('/', pos);
        const std::string part = pos == std::string::npos ? path : path.substr(0, pos);
        if (H5Lexists(file_, part.c_str(), H5P_DEFAULT) <= 0) return false;
        if (pos == std::string::npos) return true;
        ++pos;
    }
}

std::optional<std::vector<std::int64_t>> H5File::shape(const std::string& path) const {
    if (!exists(path)) return std::nullopt;
    H5Id d(
        checked(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), path_, "open dataset '" + path + "'"));
    H5Id s(H5Dget_space(d));
    const int rank = H5Sget_simple_extent_ndims(s);
    std::vector<hsize_t> dims(std::size_t(std::max(rank, 0)));
    H5Sget_simple_extent_dims(s, dims.data(), nullptr);
    return std::vector<std::int64_t>(dims.begin(), dims.end());
}

namespace {
herr_t visit_cb(hid_t, const char* name, const H5O_info_t* info, void* data) {
    if (info->type == H5O_TYPE_DATASET)
        static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
    return 0;
}
}  // namespace

std::vector<std::string> H5File::list_datasets() const {
    std::vector<std::string> out;
    checked_status(H5Ovisit(file_, H5_INDEX_NAME, H5_ITER_INC, visit_cb, &out), path_,
                   "list datasets");
    return out;
}

void H5File::write_georeference(const GridSpec& grid) {
    const int rank = [&] {
        int r = 0;
        MPI_Comm_rank(comm_, &r);
        return r;
    }();
    auto coord = [&](const char* name, std::int64_t n, auto value, const char* std_name,
                     const char* axis) {
        std::vector<double> v(static_cast<std::size_t>(n));
        for (std::int64_t i = 0; i < n; ++i) v[std::size_t(i)] = value(i);
        hsize_t dims[1] = {hsize_t(n)};
        H5Id space(H5Screate_simple(1, dims, nullptr));
        H5Id d(checked(
            H5Dcreate2(file_, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            path_, std::string("create coordinate '") + name + "'"));
        H5Id fs(H5Dget_space(d));
        H5Id ms(H5Screate_simple(1, dims, nullptr));
        if (rank != 0) {
            H5Sselect_none(fs);
            H5Sselect_none(ms);
        }
        transfer(d, H5T_NATIVE_DOUBLE, fs, ms, v.data());
        checked_status(H5DSset_scale(d, name), path_,
                       std::string("dimension scale '") + name + "'");
        write_attr_string(d, path_, "units", "m");
        write_attr_string(d, path_, "standard_name", std_name);
        write_attr_string(d, path_, "axis", axis);
    };
    coord(
        "x", grid.nx, [&](std::int64_t i) { return grid.centre_x(i); }, "projection_x_coordinate",
        "X");
    coord(
        "y", grid.ny, [&](std::int64_t i) { return grid.centre_y(i); }, "projection_y_coordinate",
        "Y");

    H5Id space(H5Screate(H5S_SCALAR));
    H5Id crs(checked(
        H5Dcreate2(file_, "crs", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
        path_, "create 'crs'"));
    const std::string wkt = epsg_wkt(grid.epsg);
    write_attr_string(crs, path_, "grid_mapping_name", "oblique_stereographic");
    write_attr_string(crs, path_, "crs_wkt", wkt);
    write_attr_string(crs, path_, "spatial_ref", wkt);
    std::ostringstream gt;
    gt.precision(17);
    const auto g = grid.geotransform();
    gt << g[0] << ' ' << g[1] << ' ' << g[2] << ' ' << g[3] << ' ' << g[4] << ' ' << g[5];
    write_attr_string(crs, path_, "GeoTransform", gt.str());
    write_attr_scalar<double>(crs, path_, "leefbaar_xmin", grid.xmin);
    write_attr_scalar<double>(crs, path_, "leefbaar_ymax", grid.ymax);
    write_attr_scalar<double>(crs, path_, "leefbaar_cell", grid.cell);
    write_attr_scalar<std::int64_t>(crs, path_, "leefbaar_nx", grid.nx);
    write_attr_scalar<std::int64_t>(crs, path_, "leefbaar_ny", grid.ny);
    write_attr_scalar<std::int32_t>(crs, path_, "leefbaar_epsg", grid.epsg);
}

GridSpec H5File::read_georeference() const {
    if (!exists("/crs"))
        throw Error("hdf5", path_ + ": no 'crs' variable (not a leefbaar results file?)");
    H5Id crs(checked(H5Dopen2(file_, "crs", H5P_DEFAULT), path_, "open 'crs'"));
    GridSpec g;
    g.xmin = read_attr_scalar<double>(crs, path_, "leefbaar_xmin");
    g.ymax = read_attr_scalar<double>(crs, path_, "leefbaar_ymax");
    g.cell = read_attr_scalar<double>(crs, path_, "leefbaar_cell");
    g.nx = read_attr_scalar<std::int64_t>(crs, path_, "leefbaar_nx");
    g.ny = read_attr_scalar<std::int64_t>(crs, path_, "leefbaar_ny");
    g.epsg = read_attr_scalar<std::int32_t>(crs, path_, "leefbaar_epsg");
    return g;
}

void H5File::transfer(hid_t dset, hid_t memtype, hid_t filespace, hid_t memspace, const void* buf) {
    if (posix_) {
        checked_status(H5Dwrite(dset, memtype, memspace, filespace, H5P_DEFAULT, buf), path_,
                       "write");
        last_io_mode_ = IoMode::independent;
        return;
    }
    H5Id dxpl = collective_dxpl();
    checked_status(H5Dwrite(dset, memtype, memspace, filespace, dxpl, buf), path_,
                   "collective write");
    H5D_mpio_actual_io_mode_t mode{};
    H5Pget_mpio_actual_io_mode(dxpl, &mode);
    last_io_mode_ = convert(mode);
}

hsize_t grid_chunk_extent(hsize_t n) {
    if (n <= 512) return std::max<hsize_t>(n, 1);
    for (hsize_t d = 512; d >= 256; --d)
        if (n % d == 0) return d;
    return 512;
}

H5Id H5File::dataset_for_grid(const std::string& path, hid_t type, const GridSpec& grid,
                              const void* fill) {
    if (exists(path)) {
        H5Id d(checked(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), path_,
                       "open dataset '" + path + "'"));
        H5Id s(H5Dget_space(d));
        hsize_t dims[2] = {0, 0};
        if (H5Sget_simple_extent_ndims(s) != 2 ||
            (H5Sget_simple_extent_dims(s, dims, nullptr),
             dims[0] != hsize_t(grid.ny) || dims[1] != hsize_t(grid.nx)))
            throw Error("hdf5", path_ + ": dataset '" + path + "' exists with another shape");
        return d;
    }
    ensure_parent_groups(path);
    hsize_t dims[2] = {hsize_t(grid.ny), hsize_t(grid.nx)};
    H5Id space(H5Screate_simple(2, dims, nullptr));
    H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
    hsize_t chunk[2] = {grid_chunk_extent(dims[0]), grid_chunk_extent(dims[1])};
    H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_shuffle(dcpl);
    H5Pset_deflate(dcpl, 1);
    H5Pset_fill_value(dcpl, type, fill);
    H5Id d(checked(H5Dcreate2(file_, path.c_str(), type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
                   path_, "create dataset '" + path + "'"));
    H5Id xs(
        checked(H5Dopen2(file_, "/x", H5P_DEFAULT), path_, "open '/x' (write_georeference first)"));
    H5Id ys(checked(H5Dopen2(file_, "/y", H5P_DEFAULT), path_, "open '/y'"));
    checked_status(H5DSattach_scale(d, ys, 0), path_, "attach y to '" + path + "'");
    checked_status(H5DSattach_scale(d, xs, 1), path_, "attach x to '" + path + "'");
    write_attr_string(d, path_, "grid_mapping", "crs");
    {
        H5Id as(H5Screate(H5S_SCALAR));
        H5Id a(checked(H5Acreate2(d, "_FillValue", type, as, H5P_DEFAULT, H5P_DEFAULT), path_,
                       "create _FillValue"));
        checked_status(H5Awrite(a, type, fill), path_, "write _FillValue");
    }
    return d;
}

template <class T>
void H5File::write_grid(const std::string& path, const GridSpec& grid, const Window& block,
                        std::span<const T> values, T nodata, const std::string& long_name,
                        const std::string& units) {
    if (values.size() != std::size_t(std::max<std::int64_t>(block.cells(), 0)))
        throw Error("hdf5", path_ + ": '" + path + "': block of " + std::to_string(block.cells()) +
                                " cells but " + std::to_string(values.size()) + " values");
    const auto t0 = std::chrono::steady_clock::now();
    H5Id d = dataset_for_grid(path, h5_type<T>(), grid, &nodata);
    if (!long_name.empty()) write_attr_string(d, path_, "long_name", long_name);
    if (!units.empty()) write_attr_string(d, path_, "units", units);
    H5Id fs(H5Dget_space(d));
    H5Id ms;
    if (block.empty()) {
        H5Sselect_none(fs);
        hsize_t one[1] = {1};
        ms = H5Id(H5Screate_simple(1, one, nullptr));
        H5Sselect_none(ms);
    } else {
        hsize_t start[2] = {hsize_t(block.row0), hsize_t(block.col0)};
        hsize_t count[2] = {hsize_t(block.nrows), hsize_t(block.ncols)};
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, count, nullptr);
        ms = H5Id(H5Screate_simple(2, count, nullptr));
    }
    transfer(d, h5_type<T>(), fs, ms, values.data());
    timings_.push_back(
        {path, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
         std::int64_t(values.size() * sizeof(T))});
}

template <class T>
std::vector<T> H5File::read_grid(const std::string& path, const Window& window) const {
    if (!exists(path)) throw Error("hdf5", path_ + ": no dataset '" + path + "'");
    H5Id d(
        checked(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), path_, "open dataset '" + path + "'"));
    H5Id fs(H5Dget_space(d));
    std::vector<T> out(std::size_t(std::max<std::int64_t>(window.cells(), 0)));
    H5Id ms;
    if (window.empty()) {
        H5Sselect_none(fs);
        hsize_t one[1] = {1};
        ms = H5Id(H5Screate_simple(1, one, nullptr));
        H5Sselect_none(ms);
    } else {
        hsize_t start[2] = {hsize_t(window.row0), hsize_t(window.col0)};
        hsize_t count[2] = {hsize_t(window.nrows), hsize_t(window.ncols)};
        if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, nullptr, count, nullptr) < 0)
            fail(path_, "select window of '" + path + "'");
        ms = H5Id(H5Screate_simple(2, count, nullptr));
    }
    H5Id dxpl = posix_ ? H5Id(H5Pcreate(H5P_DATASET_XFER)) : collective_dxpl();
    checked_status(H5Dread(d, h5_type<T>(), ms, fs, dxpl, out.data()), path_,
                   "read '" + path + "'");
    return out;
}

namespace {
// Selects the union of row segments of a (rows x ncols) dataspace; returns the row count.
std::int64_t select_segments(hid_t fs, const std::vector<H5File::Segment>& segs, hsize_t ncols) {
    H5Sselect_none(fs);
    std::int64_t rows = 0;
    for (const auto& s : segs) {
        if (s.count <= 0) continue;
        hsize_t start[2] = {hsize_t(s.offset), 0};
        hsize_t count[2] = {hsize_t(s.count), ncols};
        H5Sselect_hyperslab(fs, H5S_SELECT_OR, start, nullptr, count, nullptr);
        rows += s.count;
    }
    return rows;
}
}  // namespace

// A contiguous block of rows is one segment of the general case.
template <class T>
void H5File::write_rows(const std::string& path, std::int64_t total_rows, std::int64_t row_offset,
                        std::int64_t ncols, std::span<const T> values, bool deflate) {
    if (ncols <= 0 || values.size() % std::size_t(ncols) != 0)
        throw Error("hdf5", path_ + ": '" + path + "': " + std::to_string(values.size()) +
                                " values is not a whole number of rows of " +
                                std::to_string(ncols));
    const std::int64_t nrows = std::int64_t(values.size()) / ncols;
    write_row_segments<T>(path, total_rows, ncols, {Segment{row_offset, nrows}}, values, deflate);
}

template <class T>
std::vector<T> H5File::read_rows(const std::string& path, std::int64_t row_offset,
                                 std::int64_t nrows) const {
    return read_row_segments<T>(path, {Segment{row_offset, nrows}});
}

template <class T>
void H5File::write_row_segments(const std::string& path, std::int64_t total_rows,
                                std::int64_t ncols, const std::vector<Segment>& segments,
                                std::span<const T> values, bool deflate) {
    const auto t0 = std::chrono::steady_clock::now();
    H5Id d;
    if (exists(path)) {
        d = H5Id(checked(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), path_, "open '" + path + "'"));
    } else {
        ensure_parent_groups(path);
        hsize_t dims[2] = {hsize_t(total_rows), hsize_t(ncols)};
        H5Id space(H5Screate_simple(2, dims, nullptr));
        H5Id dcpl(H5Pcreate(H5P_DATASET_CREATE));
        const hsize_t rows_per_chunk = std::max<hsize_t>(
            1, std::min<hsize_t>(std::max<hsize_t>(dims[0], 1),
                                 hsize_t((1 << 20) / (sizeof(T) * std::size_t(ncols))) + 1));
        hsize_t chunk[2] = {rows_per_chunk, hsize_t(ncols)};
        // Tables of cells hold mostly incompressible floats: chunked, no filter unless asked
        // (deflate would cost more time than the bytes it saves).
        H5Pset_chunk(dcpl, 2, chunk);
        if (deflate) H5Pset_deflate(dcpl, 1);
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
        d = H5Id(checked(
            H5Dcreate2(file_, path.c_str(), h5_type<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT),
            path_, "create dataset '" + path + "'"));
    }
    H5Id fs(H5Dget_space(d));
    const std::int64_t rows = select_segments(fs, segments, hsize_t(ncols));
    if (std::size_t(rows * ncols) != values.size())
        throw Error("hdf5", path_ + ": '" + path + "': segments hold " + std::to_string(rows) +
                                " rows but " + std::to_string(values.size()) +
                                " values were given");
    hsize_t n[1] = {hsize_t(std::max<std::int64_t>(rows * ncols, 1))};
    hsize_t n2[2] = {hsize_t(rows), hsize_t(ncols)};  // as in read_row_segments
    H5Id ms(segments.size() == 1 && rows > 0 ? H5Screate_simple(2, n2, nullptr)
                                             : H5Screate_simple(1, n, nullptr));
    if (rows == 0) H5Sselect_none(ms);
    transfer(d, h5_type<T>(), fs, ms, values.data());
    timings_.push_back(
        {path, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
         std::int64_t(values.size() * sizeof(T))});
}

template <class T>
std::vector<T> H5File::read_row_segments(const std::string& path,
                                         const std::vector<Segment>& segments) const {
    if (!exists(path)) throw Error("hdf5", path_ + ": no dataset '" + path + "'");
    H5Id d(checked(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), path_, "open '" + path + "'"));
    H5Id fs(H5Dget_space(d));
    hsize_t dims[2] = {0, 1};
    H5Sget_simple_extent_dims(fs, dims, nullptr);
    const std::int64_t rows = select_segments(fs, segments, dims[1]);
    std::vector<T> out(std::size_t(rows) * std::size_t(dims[1]));
    hsize_t n[1] = {hsize_t(std::max<std::int64_t>(std::int64_t(out.size()), 1))};
    // One block of rows: a memory space of the same shape as the file selection, so that the
    // library copies whole chunks instead of iterating a 1-D/2-D shape mismatch span by span.
    hsize_t n2[2] = {hsize_t(rows), dims[1]};
    H5Id ms(segments.size() == 1 && rows > 0 ? H5Screate_simple(2, n2, nullptr)
                                             : H5Screate_simple(1, n, nullptr));
    if (rows == 0) H5Sselect_none(ms);
    H5Id dxpl = posix_ ? H5Id(H5Pcreate(H5P_DATASET_XFER)) : collective_dxpl();
    checked_status(H5Dread(d, h5_type<T>(), ms, fs, dxpl, out.data()), path_,
                   "read '" + path + "'");
    return out;
}

void H5File::set_attribute(const std::string& object, const std::string& name,
                           const std::string& value) {
    H5Id obj(checked(H5Oopen(file_, object.c_str(), H5P_DEFAULT), path_, "open '" + object + "'"));
    write_attr_string(obj, path_, name, value);
}

std::optional<std::string> H5File::attribute(const std::string& object,
                                             const std::string& name) const {
    if (object != "/" && !exists(object)) return std::nullopt;
    H5Id obj(checked(H5Oopen(file_, object.c_str(), H5P_DEFAULT), path_, "open '" + object + "'"));
    if (H5Aexists(obj, name.c_str()) <= 0) return std::nullopt;
    H5Id attr(
        checked(H5Aopen(obj, name.c_str(), H5P_DEFAULT), path_, "open attribute '" + name + "'"));
    H5Id type(H5Aget_type(attr));
    if (H5Tget_class(type) != H5T_STRING)
        throw Error("hdf5",
                    path_ + ": attribute '" + name + "' of '" + object + "' is not a string");
    if (H5Tis_variable_str(type) > 0) {
        char* s = nullptr;
        H5Id mt = H5Id(H5Tcopy(H5T_C_S1));
        H5Tset_size(mt, H5T_VARIABLE);
        checked_status(H5Aread(attr, mt, &s), path_, "read attribute '" + name + "'");
        std::string out = s ? s : "";
        H5free_memory(s);
        return out;
    }
    std::string buf(H5Tget_size(type), '\0');
    checked_status(H5Aread(attr, type, buf.data()), path_, "read attribute '" + name + "'");
    return std::string(buf.c_str());
}

void H5File::set_string_list(const std::string& object, const std::string& name,
                             const std::vector<std::string>& values) {
    std::string joined;
    for (std::size_t i = 0; i < values.size(); ++i) joined += (i ? "\n" : "") + values[i];
    set_attribute(object, name, joined);
}

std::vector<std::string> H5File::string_list(const std::string& object,
                                             const std::string& name) const {
    const auto s = attribute(object, name);
    std::vector<std::string> out;
    if (!s || s->empty()) return out;
    std::size_t start = 0;
    while (true) {
        const auto pos = s->find('\n', start);
        out.push_back(s->substr(start, pos == std::string::npos ? std::string::npos : pos - start));
        if (pos == std::string::npos) break;
        start = pos + 1;
    }
    return out;
}

#define LEEFBAAR_H5_INSTANTIATE(T)                                                               \
    template void H5File::write_grid<T>(const std::string&, const GridSpec&, const Window&,      \
                                        std::span<const T>, T, const std::string&,               \
                                        const std::string&);                                     \
    template std::vector<T> H5File::read_grid<T>(const std::string&, const Window&) const;       \
    template void H5File::write_rows<T>(const std::string&, std::int64_t, std::int64_t,          \
                                        std::int64_t, std::span<const T>, bool);                 \
    template std::vector<T> H5File::read_rows<T>(const std::string&, std::int64_t, std::int64_t) \
        const;                                                                                   \
    template void H5File::write_row_segments<T>(const std::string&, std::int64_t, std::int64_t,  \
                                                const std::vector<Segment>&, std::span<const T>, \
                                                bool);                                           \
    template std::vector<T> H5File::read_row_segments<T>(const std::string&,                     \
                                                         const std::vector<Segment>&) const;
LEEFBAAR_H5_INSTANTIATE(float)
LEEFBAAR_H5_INSTANTIATE(double)
LEEFBAAR_H5_INSTANTIATE(std::int8_t)
LEEFBAAR_H5_INSTANTIATE(std::uint8_t)
LEEFBAAR_H5_INSTANTIATE(std::int16_t)
LEEFBAAR_H5_INSTANTIATE(std::int32_t)
LEEFBAAR_H5_INSTANTIATE(std::int64_t)
#undef LEEFBAAR_H5_INSTANTIATE

}  // namespace leefbaar::io
