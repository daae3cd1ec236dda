// The results file's deflate encoder: every stream it writes must decode with stock zlib (the
// decoder every HDF5 reader uses) to exactly the input, for any input, and it must give up
// (return 0) rather than overrun its output buffer.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "io/hdf5.hpp"
#include "io/rle_deflate.hpp"

using leefbaar::io::rle_deflate;

namespace {

// Compresses with rle_deflate and returns zlib's inflation of the stream (empty + flag on failure).
std::vector<std::uint8_t> round_trip(const std::vector<std::uint8_t>& in, std::size_t* size,
                                     bool* ok) {
    std::vector<std::uint8_t> out(in.size() * 2 + 64), back(in.size() + 16);
    *size = rle_deflate(in.data(), in.size(), out.data(), out.size());
    uLongf n = uLongf(back.size());
    *ok = *size > 0 && uncompress(back.data(), &n, out.data(), uLong(*size)) == Z_OK;
    back.resize(*ok ? n : 0);
    return back;
}

void require_round_trip(const std::vector<std::uint8_t>& in) {
    std::size_t size = 0;
    bool ok = false;
    const auto back = round_trip(in, &size, &ok);
    INFO("input of " << in.size() << " bytes, stream of " << size);
    REQUIRE(ok);
    REQUIRE(back == in);
}

}  // namespace

TEST_CASE("rle_deflate streams inflate with zlib to the input", "[io][deflate]") {
    SECTION("runs at and around the match length limits (3 and 258) and empty input") {
        for (std::size_t n :
             {0, 1, 2, 3, 4, 5, 257, 258, 259, 260, 261, 262, 516, 517, 518, 519, 65536, 1 << 20})
            for (int v : {0, 1, 143, 144, 255}) require_round_trip(std::vector<std::uint8_t>(n, v));
    }
    SECTION("a run after a different byte, short runs, alternating bytes") {
        for (std::size_t run = 0; run < 600; run += 7) {
            std::vector<std::uint8_t> v{9};
            v.insert(v.end(), run, 200);
            v.push_back(9);
            v.push_back(9);
            v.push_back(200);
            require_round_trip(v);
        }
        std::vector<std::uint8_t> alt(10000);
        for (std::size_t i = 0; i < alt.size(); ++i) alt[i] = std::uint8_t(i % 2 ? 0xAA : 0x55);
        require_round_trip(alt);
    }
    SECTION("random inputs: dense, sparse, runs of random length; Adler-32 over long inputs") {
        std::mt19937_64 rng(7);
        for (int t = 0; t < 3000; ++t) {
            const std::size_t n = t < 2990 ? rng() % 4000 : 3'000'000 + rng() % 1000;
            std::vector<std::uint8_t> v(n);
            const int mode = t % 4;
            for (std::size_t i = 0; i < n; ++i) {
                if (mode == 0)
                    v[i] = std::uint8_t(rng());
                else if (mode == 1)
                    v[i] = rng() % 40 == 0 ? std::uint8_t(rng()) : 0xC0;
                else if (mode == 2)
                    v[i] = i > 0 && rng() % 3 != 0 ? v[i - 1] : std::uint8_t(rng() % 4);
                else
                    v[i] = std::uint8_t((i / (1 + t % 300)) % 3 * 120);
            }
            require_round_trip(v);
        }
    }
    SECTION("shuffled sparse doubles, as the grids' chunks reach the filter") {
        const std::size_t cells = 325 * 400;
        std::vector<double> grid(cells, -9999.0);
        std::mt19937_64 rng(3);
        std::normal_distribution<double> z(0.0, 0.2);
        for (std::size_t i = 0; i < cells; ++i)
            if (rng() % 22 == 0) grid[i] = z(rng);
        std::vector<std::uint8_t> shuffled(cells * 8);
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(grid.data());
        for (std::size_t i = 0; i < cells; ++i)
            for (std::size_t k = 0; k < 8; ++k) shuffled[k * cells + i] = bytes[i * 8 + k];
        std::size_t size = 0;
        bool ok = false;
        REQUIRE(round_trip(shuffled, &size, &ok) == shuffled);
        REQUIRE(ok);
        CHECK(size < shuffled.size() / 4);  // sparse chunks compress well
    }
}

TEST_CASE("rle_deflate returns 0 instead of overrunning its buffer", "[io][deflate]") {
    std::mt19937_64 rng(11);
    std::vector<std::uint8_t> dense(100000);
    for (auto& b : dense) b = std::uint8_t(rng());
    // 0x100 guard bytes after the allowed capacity must stay untouched.
    for (std::size_t cap : {0, 15, 19, 20, 21, 100, 1000, 50000}) {
        std::vector<std::uint8_t> out(cap + 0x100, 0x5A);
        CHECK(rle_deflate(dense.data(), dense.size(), out.data(), cap) == 0);
        for (std::size_t i = cap; i < out.size(); ++i) REQUIRE(out[i] == 0x5A);
    }
    // A stream that fits exactly is still produced once the buffer allows it.
    std::vector<std::uint8_t> out(dense.size() * 2);
    const std::size_t need = rle_deflate(dense.data(), dense.size(), out.data(), out.size());
    REQUIRE(need > dense.size());                // random bytes do not compress
    std::vector<std::uint8_t> exact(need + 16);  // the documented slack
    CHECK(rle_deflate(dense.data(), dense.size(), exact.data(), exact.size()) == need);
}

TEST_CASE("grid chunk extents divide the grid where a divisor in [256, 512] exists", "[io][hdf5]") {
    using leefbaar::io::grid_chunk_extent;
    CHECK(grid_chunk_extent(3250) == 325);  // the national grid: 325 x 400 chunks
    CHECK(grid_chunk_extent(2800) == 400);
    CHECK(grid_chunk_extent(512) == 512);
    CHECK(grid_chunk_extent(100) == 100);
    CHECK(grid_chunk_extent(1) == 1);
    CHECK(grid_chunk_extent(1024) == 512);
    CHECK(grid_chunk_extent(1021) == 512);  // prime: edge chunks cannot be avoided
    CHECK(grid_chunk_extent(1026) == 342);  // 1026 = 3 x 342
}
