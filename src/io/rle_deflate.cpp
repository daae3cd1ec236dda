#include "io/rle_deflate.hpp"

#include <hdf5.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>

namespace leefbaar::io {

namespace {

constexpr std::uint64_t kAdlerMod = 65521;

std::uint32_t reverse_bits(std::uint32_t v, unsigned n) {
    std::uint32_t r = 0;
    for (unsigned i = 0; i < n; ++i) r |= ((v >> i) & 1u) << (n - 1 - i);
    return r;
}

// A code as DEFLATE packs it: bits LSB first (Huffman codes bit-reversed), and their count.
struct Code {
    std::uint32_t bits, len;
};

// RFC 1951 section 3.2.6: the fixed literal/length code.
Code fixed_code(unsigned sym) {
    if (sym < 144) return {reverse_bits(0x30u + sym, 8), 8};
    if (sym < 256) return {reverse_bits(0x190u + (sym - 144), 9), 9};
    if (sym < 280) return {reverse_bits(sym - 256, 7), 7};
    return {reverse_bits(0xc0u + (sym - 280), 8), 8};
}

struct Tables {
    std::array<Code, 256> literal{};
    // A match of length L (3..258) at distance 1: length code, its extra bits, distance code 0
    // (fixed 5-bit code 00000, no extra bits), as one bit string of at most 8 + 5 + 5 bits.
    std::array<Code, 259> match{};
    Code end{};
    Tables() {
        for (unsigned b = 0; b < 256; ++b) literal[b] = fixed_code(b);
        end = fixed_code(256);
        static constexpr unsigned base[29] = {3,  4,  5,  6,   7,   8,   9,   10,  11, 13,
                                              15, 17, 19, 23,  27,  31,  35,  43,  51, 59,
                                              67, 83, 99, 115, 131, 163, 195, 227, 258};
        static constexpr unsigned extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                               2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
        for (unsigned len = 3; len <= 258; ++len) {
            // 258 has its own code (285); 227..257 are code 284 with 5 extra bits.
            unsigned s = len == 258 ? 28 : 27;
            while (base[s] > len) --s;
            const Code c = fixed_code(257 + s);
            match[len] = {c.bits | ((len - base[s]) << c.len), c.len + extra[s] + 5};
        }
    }
};

const Tables& tables() {
    static const Tables t;
    return t;
}

// The number of bytes equal to v from in[i] on (at most n - i), 8 bytes per step.
std::size_t run_length(const std::uint8_t* in, std::size_t i, std::size_t n, std::uint8_t v) {
    const std::uint64_t pattern = 0x0101010101010101ull * v;
    std::size_t j = i;
    for (; j + 8 <= n; j += 8) {
        std::uint64_t x;
        std::memcpy(&x, in + j, 8);
        x ^= pattern;
        if (x) return j + (std::size_t(__builtin_ctzll(x)) >> 3) - i;  // little-endian
    }
    while (j < n && in[j] == v) ++j;
    return j - i;
}

}  // namespace

std::size_t rle_deflate(const std::uint8_t* in, std::size_t n, std::uint8_t* out, std::size_t cap) {
    static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "bit packing assumes little-endian");
    const Tables& t = tables();
    if (cap < 20) return 0;
    // Between two checks of `limit` at most 4 bytes are written; after the last check come at
    // most one literal, the end-of-block code, the last bits (4 bytes each) and the checksum.
    const std::size_t limit = cap - 16;
    std::size_t pos = 0;
    out[pos++] = 0x78;  // CM = 8 (deflate), CINFO = 7 (32 KiB window)
    out[pos++] = 0x01;  // FCHECK: 0x7801 is a multiple of 31; FLEVEL 0, no dictionary
    std::uint64_t acc = 0;
    unsigned cnt = 0;
    auto put = [&](Code c) {
        acc |= std::uint64_t(c.bits) << cnt;
        cnt += c.len;
        if (cnt >= 32) {
            const auto word = std::uint32_t(acc);
            std::memcpy(out + pos, &word, 4);
            pos += 4;
            acc >>= 32;
            cnt -= 32;
        }
    };
    put({0x3, 3});  // BFINAL = 1, BTYPE = 01 (fixed Huffman codes)
    // Adler-32 (RFC 1950): a = 1 + sum of bytes, b = sum of the a's, both mod 65521; literals
    // add byte by byte (reduced every 4096 bytes, far below 2^64), a run of r bytes v adds
    // r v to a and r a + v r (r + 1) / 2 to b.
    std::uint64_t a = 1, b = 0;
    unsigned pending = 0;
    std::size_t i = 0;
    while (i < n) {
        if (pos > limit) return 0;
        const std::uint8_t v = in[i++];
        put(t.literal[v]);
        a += v;
        b += a;
        if (++pending == 4096) {
            a %= kAdlerMod;
            b %= kAdlerMod;
            pending = 0;
        }
        std::size_t run = run_length(in, i, n, v);
        if (run < 3) continue;  // too short for a match: the next bytes go out as literals
        a %= kAdlerMod;
        b %= kAdlerMod;
        pending = 0;
        const std::uint64_t r = run % kAdlerMod;
        const std::uint64_t tri = run % 2 == 0 ? (run / 2) % kAdlerMod * ((run + 1) % kAdlerMod)
                                               : r * (((run + 1) / 2) % kAdlerMod);
        b = (b + r * a + (tri % kAdlerMod) * v) % kAdlerMod;
        a = (a + r * v) % kAdlerMod;
        i += run;
        while (run > 0) {
            if (pos > limit) return 0;
            // Matches are 3..258 long: leave no remainder of 1 or 2.
            const std::size_t len = run > 258 ? (run - 258 < 3 ? run - 3 : 258) : run;
            put(t.match[len]);
            run -= len;
        }
    }
    put(t.end);
    a %= kAdlerMod;
    b %= kAdlerMod;
    for (; cnt > 0; cnt = cnt > 8 ? cnt - 8 : 0) {
        out[pos++] = std::uint8_t(acc);
        acc >>= 8;
    }
    const auto adler = std::uint32_t((b << 16) | a);
    for (int k = 3; k >= 0; --k) out[pos++] = std::uint8_t(adler >> (8 * k));  // big-endian
    return pos;
}

namespace {

// H5Z_func_t for H5Z_FILTER_DEFLATE. cd_values[0] is the dataset's deflate level (zlib's
// fallback for dense chunks). Returns the new size of *buf, 0 on failure (HDF5's convention);
// buffers are HDF5's (H5allocate_memory / H5free_memory).
size_t deflate_filter(unsigned flags, size_t cd_nelmts, const unsigned cd_values[], size_t nbytes,
                      size_t* buf_size, void** buf) {
    if (flags & H5Z_FLAG_REVERSE) {
        // Inflate, doubling the output buffer until the chunk fits (as HDF5's own filter).
        std::size_t cap = std::max<std::size_t>(*buf_size, 64);
        auto* out = static_cast<std::uint8_t*>(H5allocate_memory(cap, false));
        if (!out) return 0;
        z_stream s{};
        s.next_in = static_cast<Bytef*>(*buf);
        s.avail_in = uInt(nbytes);
        s.next_out = out;
        s.avail_out = uInt(cap);
        if (inflateInit(&s) != Z_OK) {
            H5free_memory(out);
            return 0;
        }
        for (;;) {
            const int rc = inflate(&s, Z_SYNC_FLUSH);
            if (rc == Z_STREAM_END) break;
            if (rc != Z_OK && rc != Z_BUF_ERROR) {
                inflateEnd(&s);
                H5free_memory(out);
                return 0;
            }
            if (s.avail_out == 0) {
                auto* bigger = static_cast<std::uint8_t*>(H5resize_memory(out, cap * 2));
                if (!bigger) {
                    inflateEnd(&s);
                    H5free_memory(out);
                    return 0;
                }
                out = bigger;
                s.next_out = out + cap;
                s.avail_out = uInt(cap);
                cap *= 2;
            } else if (rc == Z_BUF_ERROR) {  // input ended before the stream did
                inflateEnd(&s);
                H5free_memory(out);
                return 0;
            }
        }
        const std::size_t size = s.total_out;
        inflateEnd(&s);
        H5free_memory(*buf);
        *buf = out;
        *buf_size = cap;
        return size;
    }
    const int level = cd_nelmts > 0 ? int(cd_values[0]) : 1;
    const std::size_t cap = std::max<std::size_t>(compressBound(uLong(nbytes)), 64);
    auto* out = static_cast<std::uint8_t*>(H5allocate_memory(cap, false));
    if (!out) return 0;
    const auto* in = static_cast<const std::uint8_t*>(*buf);
    // Sparse chunks (the bulk of the grids) by rle_deflate; where it cannot reach 2:1 the chunk
    // is dense, and zlib's dynamic Huffman codes pay for themselves.
    std::size_t size = rle_deflate(in, nbytes, out, nbytes / 2);
    if (size == 0) {
        uLongf zsize = uLongf(cap);
        if (compress2(out, &zsize, in, uLong(nbytes), level) != Z_OK) {
            H5free_memory(out);
            return 0;
        }
        size = zsize;
    }
    H5free_memory(*buf);
    *buf = out;
    *buf_size = cap;
    return size;
}

}  // namespace

// HDF5's public H5Zregister refuses to replace a predefined filter ("unable to modify predefined
// filters"); its internal H5Z_register, which H5Zregister calls after that check, replaces an
// existing entry of the filter table. libhdf5 exports it (Debian: H5Z_register@HDF5_MPI_1.8.7,
// signature unchanged from 1.8 to 1.14). It is declared weak: where a build of HDF5 does not
// export it, or the library is outside the versions checked below, the stock deflate filter
// stays, which writes the same data, only slower.
extern "C" __attribute__((weak)) herr_t H5Z_register(const H5Z_class2_t* cls);

namespace {

bool try_register() {
    // LEEFBAAR_HDF5_STOCK_DEFLATE=1 keeps HDF5's own filter (for A/B benchmarks).
    if (const char* e = std::getenv("LEEFBAAR_HDF5_STOCK_DEFLATE"); e && *e && *e != '0')
        return false;
    unsigned major = 0, minor = 0, release = 0;
    if (H5get_libversion(&major, &minor, &release) < 0) return false;
    if (major != 1 || minor < 10 || minor > 14 || H5Z_register == nullptr) return false;
    static const H5Z_class2_t cls = {
        H5Z_CLASS_T_VERS,
        H5Z_FILTER_DEFLATE,
        1,
        1,
        "deflate (leefbaar: run-length encoder for sparse chunks, zlib for dense ones)",
        nullptr,
        nullptr,
        deflate_filter};
    return H5Z_register(&cls) >= 0;
}

}  // namespace

bool register_fast_deflate_filter() {
    static const bool ok = try_register();
    return ok;
}

}  // namespace leefbaar::io
