#pragma once
// Progress messages: printed by rank 0 only, with the elapsed wall time.

#include <string>

namespace leefbaar::app {

// Prints "[   1.23 s] message" to stderr on rank 0 (all ranks when `all_ranks`).
void progress(const std::string& message, bool all_ranks = false);
// Seconds since the process started the CLI.
double elapsed_seconds();
// Suppresses progress output (--quiet).
void set_quiet(bool quiet);

}  // namespace leefbaar::app
