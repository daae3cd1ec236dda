#pragma once
// `leefbaar sweep`: sensitivity sweeps over indicator weights on a finished run, and the merge
// of sweep slices. Members are split over MPI ranks (OpenMP tiles within a rank); every output
// is identical for any number of ranks, threads and member slices.

#include <cstdint>
#include <string>
#include <vector>

namespace leefbaar::app {

struct SweepOptions {
    std::string run_dir;
    std::string weights;     // spec: TOML ([sweep] table) or CSV list
    std::string out;         // default <run_dir>/sweep
    std::string config;      // run config; default: the one named in <run_dir>/run.json
    std::int64_t first = 0;  // members [first, last); last < 0 = every member
    std::int64_t last = -1;
    std::size_t tile = 16;  // members per OpenMP task (the kernel scores 16 at a time)
};

// Parses "A:B" (either side may be empty) into [first, last). Throws UsageError.
void parse_member_range(const std::string& text, std::int64_t& first, std::int64_t& last);

// Collective. Writes <out>/sweep.h5 and the CSV/JSON summaries on rank 0.
void run_sweep(const SweepOptions& opt);

// Concatenates the members of slice folders (any order; ranges must not overlap) into
// <out>/sweep.h5 and writes the summaries. Rank 0 does the work.
void merge_sweeps(const std::string& out, const std::vector<std::string>& dirs,
                  const std::string& config = "");

// The help text describing the spec format (also README text).
extern const char* kSweepSpecHelp;

}  // namespace leefbaar::app
