#pragma once
// Helpers for the synth CLI tests: running the binary (optionally under mpiexec), checksums of
// raster pixels, files and zone tables, and reading zone layers back through OGR.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace synth_test {

// A fresh, empty scratch folder under /tmp, removed at exit by the caller if wanted.
std::string scratch(const std::string& name);
// Runs `leefbaar -q <args>` under mpiexec with `np` ranks (np = 0: without mpiexec); returns
// the exit code. stderr goes to `<log>` when given.
int run_cli(int np, const std::string& args, const std::string& log = "");
std::string slurp(const std::string& path);

std::uint64_t fnv1a(const void* data, std::size_t n, std::uint64_t h = 1469598103934665603ULL);
std::uint64_t file_hash(const std::string& path);
// Checksum of band 1's pixels (as Int32).
std::uint64_t raster_checksum(const std::string& path);
std::vector<std::int32_t> read_raster(const std::string& path, std::int64_t& nx, std::int64_t& ny);

struct ZoneRow {
    std::string code, name, parent;
    std::map<std::string, std::string> extra;
    std::vector<unsigned char> wkb;
};
// The features of one layer of a GeoPackage, in file order.
std::vector<ZoneRow> read_layer(const std::string& gpkg, const std::string& layer,
                                const std::string& parent_field);
std::uint64_t table_checksum(const std::vector<ZoneRow>& rows);
// Every file below `dir` (relative path -> content hash).
std::map<std::string, std::uint64_t> tree_hashes(const std::string& dir);

}  // namespace synth_test
