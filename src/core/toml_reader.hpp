#pragma once
// Strict reading of TOML tables: typed access that names the file, line and key on error,
// and a check that no unknown key was given.

#include <toml++/toml.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace leefbaar {

// Wraps one TOML table. Every key read is marked; finish() rejects the keys never read.
class TomlTable {
  public:
    TomlTable(const toml::table& t, std::string file, std::string path)
        : t_(&t), file_(std::move(file)), path_(std::move(path)) {}

    bool has(const std::string& key) const { return t_->contains(key); }
    // Required values; UsageError naming file, line and key when missing or of another type.
    std::string str(const std::string& key);
    double num(const std::string& key);
    std::int64_t integer(const std::string& key);
    bool boolean(const std::string& key);
    // Optional values with a default.
    std::string str(const std::string& key, const std::string& dflt);
    double num(const std::string& key, double dflt);
    std::int64_t integer(const std::string& key, std::int64_t dflt);
    bool boolean(const std::string& key, bool dflt);
    std::vector<std::string> str_list(const std::string& key);
    std::vector<std::string> str_list(const std::string& key, const std::vector<std::string>& dflt);
    std::vector<double> num_list(const std::string& key);
    std::vector<std::int64_t> int_list(const std::string& key);
    // A nested table (required / optional) or an array of tables.
    TomlTable table(const std::string& key);
    std::optional<TomlTable> optional_table(const std::string& key);
    std::vector<TomlTable> table_array(const std::string& key);
    // All keys of this table (for tables keyed by name, e.g. [layers.residents]).
    std::vector<std::string> keys() const;
    // Marks a key as read when the caller validated it another way.
    void touch(const std::string& key) { used_.insert(key); }
    // Rejects every key that was not read, naming the first one and its line.
    void finish() const;

    // "file.toml line 12: key 'model.reference_year'"
    std::string where(const std::string& key) const;
    // Throws UsageError("config", where(key) + ": " + message).
    [[noreturn]] void fail(const std::string& key, const std::string& message) const;
    const std::string& file() const { return file_; }
    const std::string& path() const { return path_; }

  private:
    const toml::node* get(const std::string& key, bool required);
    std::string key_path(const std::string& key) const {
        return path_.empty() ? key : path_ + "." + key;
    }

    const toml::table* t_;
    std::string file_;
    std::string path_;
    std::set<std::string> used_;
};

// Parses a TOML file; UsageError naming the file and line on a syntax error.
toml::table parse_toml_file(const std::string& file);

}  // namespace leefbaar
