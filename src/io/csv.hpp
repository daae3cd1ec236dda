#pragma once
// Minimal RFC 4180 CSV: writing (fields quoted when needed, written atomically) and reading
// back what CsvWriter writes.

#include <string>
#include <vector>

namespace leefbaar::io {

class CsvWriter {
  public:
    explicit CsvWriter(std::vector<std::string> header);
    // Appends one record to the text (the fields are not kept).
    void row(const std::vector<std::string>& fields);
    // Appends one record already formatted (fields quoted as quote() does, no line end).
    void line_text(const std::string& record);
    // Writes "<path>.partial" then renames; throws Error naming the file on failure.
    void save(const std::string& path) const;
    static std::string quote(const std::string& f);

  private:
    void line(const std::vector<std::string>& fields);
    std::size_t width_ = 0;
    std::string text_;  // the file's text so far
};

// A CSV file read back: the first record is the header.
struct CsvTable {
    std::vector<std::string> header;
    std::vector<std::vector<std::string>> rows;
    int col(const std::string& name) const;  // -1 when absent
};
// Records of RFC 4180 text ("" escapes a quote inside a quoted field; CR LF or LF ends a record).
std::vector<std::vector<std::string>> parse_csv(const std::string& text);
// Reads a CSV file; throws Error naming the file when it cannot be read.
CsvTable read_csv(const std::string& path);

// Formats a double for CSV: shortest round-trip form; NaN as an empty field.
std::string csv_number(double v);

}  // namespace leefbaar::io
