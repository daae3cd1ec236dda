#pragma once
// Every dataset of an HDF5 file as raw bytes (in its file type), for bit-for-bit comparisons of
// results written by different rank counts, thread counts or after a resume.

#include <hdf5.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace leefbaar::testing {

inline std::map<std::string, std::vector<char>> dataset_bytes(const std::string& file) {
    std::map<std::string, std::vector<char>> out;
    const hid_t f = H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) throw std::runtime_error("cannot open " + file);
    struct Ctx {
        hid_t f;
        std::map<std::string, std::vector<char>>* out;
    } ctx{f, &out};
    H5Ovisit(
        f, H5_INDEX_NAME, H5_ITER_INC,
        [](hid_t, const char* name, const H5O_info_t* info, void* data) -> herr_t {
            if (info->type != H5O_TYPE_DATASET) return 0;
            auto* c = static_cast<Ctx*>(data);
            const hid_t d = H5Dopen2(c->f, name, H5P_DEFAULT);
            const hid_t t = H5Dget_type(d);
            const hid_t s = H5Dget_space(d);
            std::vector<char> buf(std::size_t(H5Sget_select_npoints(s)) * H5Tget_size(t));
            H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data());
            (*c->out)[std::string("/") + name] = std::move(buf);
            H5Sclose(s);
            H5Tclose(t);
            H5Dclose(d);
            return 0;
        },
        &ctx);
    H5Fclose(f);
    return out;
}

}  // namespace leefbaar::testing
