#pragma once
// The one exception root of leefbaar, with the context every message must carry.

#include <stdexcept>
#include <string>

namespace leefbaar {

// Exit codes documented in the README and `leefbaar --help`.
enum ExitCode : int { kExitOk = 0, kExitRuntime = 1, kExitUsage = 2 };

// Every error leefbaar raises. `stage` names the pipeline stage or component ("ingest",
// "hdf5", "config", ...); the message names the file, layer, year, cell or key.
class Error : public std::runtime_error {
  public:
    Error(std::string stage, const std::string& message, int exit_code = kExitRuntime)
        : std::runtime_error(stage + ": " + message),
          stage_(std::move(stage)),
          exit_code_(exit_code) {}
    const std::string& stage() const { return stage_; }
    int exit_code() const { return exit_code_; }

  private:
    std::string stage_;
    int exit_code_;
};

// A usage or configuration error (exit code 2): bad flags, unknown keys, wrong types.
class UsageError : public Error {
  public:
    UsageError(std::string stage, const std::string& message)
        : Error(std::move(stage), message, kExitUsage) {}
};

}  // namespace leefbaar
