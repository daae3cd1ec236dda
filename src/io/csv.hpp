#pragma once
// Minimal RFC 4180 CSV writing (fields quoted when needed), written atomically.

#include <string>
#include <vector>

namespace leefbaar::io {

class CsvWriter {
  public:
    explicit CsvWriter(std::vector<std::string> header) : header_(std::move(header)) {}
    void row(std::vector<std::string> fields);
    // Writes "<path>.partial" then renames; throws Error naming the file on failure.
    void save(const std::string& path) const;
    static std::string quote(const std::string& f);

  private:
    std::vector<std::string> header_;
    std::vector<std::vector<std::string>> rows_;
};

// Formats a double for CSV: shortest round-trip form; NaN as an empty field.
std::string csv_number(double v);

}  // namespace leefbaar::io
