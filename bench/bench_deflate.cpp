// The results file's deflate encoder against zlib level 1 (what HDF5's stock deflate filter
// calls) and a memcpy of the same bytes, on the real chunks of a results file: every chunk of
// every 2-D grid is read raw (H5Dread_chunk), inflated and so brought back to the shuffled bytes
// the deflate filter receives when the file is written, then compressed by each encoder.
//
//   bench_deflate RESULTS.h5 [REPS]      prints one table row per encoder (best of REPS passes)
#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "io/rle_deflate.hpp"

namespace {

struct Chunks {
    std::vector<std::vector<std::uint8_t>> data;  // shuffled chunk bytes, as the filter gets them
    std::size_t bytes = 0, stored = 0;
};

herr_t visit(hid_t obj, const char* name, const H5O_info_t* info, void* op) {
    auto* c = static_cast<Chunks*>(op);
    if (info->type != H5O_TYPE_DATASET) return 0;
    const hid_t ds = H5Dopen2(obj, name, H5P_DEFAULT);
    const hid_t dcpl = H5Dget_create_plist(ds);
    const hid_t space = H5Dget_space(ds);
    hsize_t chunk[2] = {0, 0}, n = 0;
    if (H5Pget_layout(dcpl) == H5D_CHUNKED && H5Sget_simple_extent_ndims(space) == 2 &&
        H5Pget_nfilters(dcpl) == 2 && H5Pget_chunk(dcpl, 2, chunk) == 2 &&
        H5Dget_num_chunks(ds, space, &n) >= 0) {
        const hid_t type = H5Dget_type(ds);
        const std::size_t raw = chunk[0] * chunk[1] * H5Tget_size(type);
        H5Tclose(type);
        for (hsize_t k = 0; k < n; ++k) {
            hsize_t off[2];
            unsigned mask = 0;
            haddr_t addr = 0;
            hsize_t size = 0;
            H5Dget_chunk_info(ds, space, k, off, &mask, &addr, &size);
            std::vector<std::uint8_t> z(size), out(raw);
            std::uint32_t filters = 0;
            H5Dread_chunk(ds, H5P_DEFAULT, off, &filters, z.data());
            uLongf len = uLongf(out.size());
            if (uncompress(out.data(), &len, z.data(), uLong(z.size())) != Z_OK || len != raw) {
                std::fprintf(stderr, "bench_deflate: %s: chunk %llu does not inflate\n", name,
                             (unsigned long long)k);
                std::exit(1);
            }
            c->bytes += raw;
            c->stored += size;
            c->data.push_back(std::move(out));
        }
    }
    H5Sclose(space);
    H5Pclose(dcpl);
    H5Dclose(ds);
    return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: bench_deflate RESULTS.h5 [REPS]\n");
        return 2;
    }
    const int reps = argc > 2 ? std::atoi(argv[2]) : 3;
    const hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) {
        std::fprintf(stderr, "bench_deflate: cannot open %s\n", argv[1]);
        return 1;
    }
    Chunks c;
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_NATIVE, visit, &c);
    H5Fclose(f);
    std::size_t largest = 0;
    for (const auto& d : c.data) largest = std::max(largest, d.size());
    std::vector<std::uint8_t> out(compressBound(uLong(largest)) + 64);
    std::printf("%zu chunks of 2-D grids, %.1f MB shuffled, %.1f MB stored in the file\n",
                c.data.size(), double(c.bytes) / 1e6, double(c.stored) / 1e6);
    std::printf("| encoder | seconds (best of %d) | MB/s | output MB | ratio to memcpy |\n", reps);
    std::printf("| --- | --- | --- | --- | --- |\n");
    double memcpy_s = 0;
    for (int e = 0; e < 4; ++e) {
        double best = 1e300;
        std::size_t total = 0;
        for (int r = 0; r < reps; ++r) {
            total = 0;
            const auto t0 = std::chrono::steady_clock::now();
            for (const auto& d : c.data) {
                if (e == 0) {
                    std::memcpy(out.data(), d.data(), d.size());
                    total += d.size();
                } else if (e == 1) {
                    total += leefbaar::io::rle_deflate(d.data(), d.size(), out.data(), out.size());
                } else {
                    uLongf len = uLongf(out.size());
                    compress2(out.data(), &len, d.data(), uLong(d.size()), e == 2 ? 1 : 6);
                    total += len;
                }
            }
            best = std::min(best, seconds_since(t0));
        }
        if (e == 0) memcpy_s = best;
        static const char* names[] = {"memcpy", "rle_deflate", "zlib level 1", "zlib level 6"};
        std::printf("| %s | %.4f | %.0f | %.1f | %.1fx |\n", names[e], best,
                    double(c.bytes) / best / 1e6, double(total) / 1e6, best / memcpy_s);
    }
    return 0;
}
