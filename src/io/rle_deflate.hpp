#pragma once
// A fast DEFLATE encoder for the results file's grids, and the HDF5 deflate filter built on it.
//
// The 2-D grids of a results file are mostly nodata: about 4.5% of the national grid's cells
// are scored, so after HDF5's shuffle filter every byte plane of a chunk is long runs of one
// byte with sparse other bytes. zlib (level 1, what HDF5's deflate filter calls) spends ~2.6 ns
// per byte on such data hashing and searching; libdeflate (Debian's libdeflate0) was 1.0-1.5x
// faster on them. rle_deflate codes every run of a repeated byte as matches at
// distance 1 and everything else as literals, in one fixed-Huffman block: 6.3x faster than zlib
// level 1 on every chunk of the national grids, for a 33% larger output (bench_deflate;
// bench/RESULTS.md, National recompute, "the write stage ..."). Its output is an ordinary zlib
// stream (RFC 1950 / 1951), so every HDF5 reader (GDAL, h5py, QGIS, h5dump) decodes it with
// the standard deflate filter; nothing about the file format changes.
#include <cstddef>
#include <cstdint>

namespace leefbaar::io {

// Compresses in[0, n) into out as a zlib stream. Returns the stream's size, or 0 when it would
// need more than `cap` bytes (the caller then uses another encoder; a stream of k bytes is
// always produced when cap >= k + 16). Deterministic: the output depends on the input alone.
std::size_t rle_deflate(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t cap);

// Replaces this process's HDF5 deflate filter (H5Z_FILTER_DEFLATE) with one that compresses by
// rle_deflate, and by zlib at the dataset's level where rle_deflate does not reach 2:1 (dense
// chunks); decompression is zlib's inflate, as before. Returns whether the replacement is in
// place (false: this HDF5 does not allow it, and the stock filter writes the same data more
// slowly, as it does when the environment sets LEEFBAAR_HDF5_STOCK_DEFLATE=1). Idempotent;
// H5File's constructor calls it.
bool register_fast_deflate_filter();

}  // namespace leefbaar::io
