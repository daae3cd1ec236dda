#include "io/csv.hpp"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace leefbaar::io {

std::string CsvWriter::quote(const std::string& f) {
    if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

void CsvWriter::row(std::vector<std::string> fields) {
    if (fields.size() != header_.size())
        throw Error("csv", "row of " + std::to_string(fields.size()) + " fields for a header of " +
                               std::to_string(header_.size()));
    rows_.push_back(std::move(fields));
}

void CsvWriter::save(const std::string& path) const {
    const std::string tmp = path + ".partial";
    {
        std::ofstream out(tmp);
        if (!out) throw Error("csv", "cannot write " + tmp);
        auto line = [&](const std::vector<std::string>& v) {
            for (std::size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << quote(v[i]);
            out << "\n";
        };
        line(header_);
        for (const auto& r : rows_) line(r);
        if (!out) throw Error("csv", "error writing " + tmp);
    }
    std::filesystem::rename(tmp, path);
}

std::string csv_number(double v) {
    if (std::isnan(v)) return "";
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

}  // namespace leefbaar::io
