#include "io/csv.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "core/error.hpp"

namespace leefbaar::io {

std::string CsvWriter::quote(const std::string& f) {
    if (f.find_first_of(",\"\n\r") == std::string::npos) return f;
    std::string q = "\"";
    for (char c : f) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
}

CsvWriter::CsvWriter(std::vector<std::string> header) : width_(header.size()) {
    line(header);
}

void CsvWriter::line(const std::vector<std::string>& v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i) text_ += ',';
        if (v[i].find_first_of(",\"\n\r") == std::string::npos)
            text_ += v[i];
        else
            text_ += quote(v[i]);
    }
    text_ += '\n';
}

void CsvWriter::row(const std::vector<std::string>& fields) {
    if (fields.size() != width_)
        throw Error("csv", "row of " + std::to_string(fields.size()) + " fields for a header of " +
                               std::to_string(width_));
    line(fields);
}

void CsvWriter::line_text(const std::string& record) {
    text_ += record;
    text_ += '\n';
}

void CsvWriter::save(const std::string& path) const {
    const std::string tmp = path + ".partial";
    {
        std::ofstream out(tmp, std::ios::binary);
        if (!out) throw Error("csv", "cannot write " + tmp);
        out.write(text_.data(), std::streamsize(text_.size()));
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

int CsvTable::col(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : int(it - header.begin());
}

std::vector<std::vector<std::string>> parse_csv(const std::string& t) {
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> row;
    std::string f;
    bool q = false, any = false;
    auto end_row = [&] {
        row.push_back(f);
        f.clear();
        out.push_back(std::move(row));
        row.clear();
        any = false;
    };
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (q) {
            if (c == '"' && i + 1 < t.size() && t[i + 1] == '"')
                f += '"', ++i;
            else if (c == '"')
                q = false;
            else
                f += c;
        } else if (c == '"') {
            q = true, any = true;
        } else if (c == ',') {
            row.push_back(f), f.clear(), any = true;
        } else if (c == '\n') {
            end_row();
        } else if (c != '\r') {
            f += c, any = true;
        }
    }
    if (any || !f.empty()) end_row();
    return out;
}

CsvTable read_csv(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("csv", "cannot read " + path);
    std::stringstream ss;
    ss << in.rdbuf();
    auto records = parse_csv(ss.str());
    CsvTable out;
    if (records.empty()) return out;
    out.header = std::move(records.front());
    out.rows.assign(std::make_move_iterator(records.begin() + 1),
                    std::make_move_iterator(records.end()));
    return out;
}

}  // namespace leefbaar::io
