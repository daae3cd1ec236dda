#include "core/toml_reader.hpp"

#include <filesystem>
#include <sstream>

#include "core/error.hpp"

namespace leefbaar {

toml::table parse_toml_file(const std::string& file) {
    if (!std::filesystem::exists(file))
        throw UsageError("config", "file " + file + " does not exist");
    try {
        return toml::parse_file(file);
    } catch (const toml::parse_error& e) {
        std::ostringstream s;
        s << "file " << file << " line " << e.source().begin.line << ": " << e.description();
        throw UsageError("config", s.str());
    }
}

std::string TomlTable::where(const std::string& key) const {
    std::ostringstream s;
    s << "file " << file_;
    const toml::node* n = key.empty() ? nullptr : t_->get(key);
    const auto& src = n ? n->source() : t_->source();
    if (src.begin.line) s << " line " << src.begin.line;
    s << ": key '" << key_path(key) << "'";
    return s.str();
}

void TomlTable::fail(const std::string& key, const std::string& message) const {
    throw UsageError("config", where(key) + ": " + message);
}

const toml::node* TomlTable::get(const std::string& key, bool required) {
    used_.insert(key);
    const toml::node* n = t_->get(key);
    if (!n && required) fail(key, "is required but missing");
    return n;
}

namespace {
const char* type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::table:
            return "a table";
        default:
            return "a date or time";
    }
}
}  // namespace

std::string TomlTable::str(const std::string& key) {
    const auto* n = get(key, true);
    if (!n->is_string()) fail(key, std::string("must be a string, not ") + type_name(*n));
    return std::string(*n->value<std::string>());
}

double TomlTable::num(const std::string& key) {
    const auto* n = get(key, true);
    if (n->is_integer()) return double(*n->value<std::int64_t>());
    if (!n->is_floating_point()) fail(key, std::string("must be a number, not ") + type_name(*n));
    return *n->value<double>();
}

std::int64_t TomlTable::integer(const std::string& key) {
    const auto* n = get(key, true);
    if (!n->is_integer()) fail(key, std::string("must be an integer, not ") + type_name(*n));
    return *n->value<std::int64_t>();
}

bool TomlTable::boolean(const std::string& key) {
    const auto* n = get(key, true);
    if (!n->is_boolean()) fail(key, std::string("must be true or false, not ") + type_name(*n));
    return *n->value<bool>();
}

std::string TomlTable::str(const std::string& key, const std::string& dflt) {
    return has(key) ? str(key) : (used_.insert(key), dflt);
}
double TomlTable::num(const std::string& key, double dflt) {
    return has(key) ? num(key) : (used_.insert(key), dflt);
}
std::int64_t TomlTable::integer(const std::string& key, std::int64_t dflt) {
    return has(key) ? integer(key) : (used_.insert(key), dflt);
}
bool TomlTable::boolean(const std::string& key, bool dflt) {
    return has(key) ? boolean(key) : (used_.insert(key), dflt);
}

std::vector<std::string> TomlTable::str_list(const std::string& key) {
    const auto* n = get(key, true);
    const auto* a = n->as_array();
    if (!a) fail(key, std::string("must be an array of strings, not ") + type_name(*n));
    std::vector<std::string> out;
    for (const auto& e : *a) {
        if (!e.is_string())
            fail(key, std::string("must be an array of strings; an element is ") + type_name(e));
        out.emplace_back(*e.value<std::string>());
    }
    return out;
}

std::vector<std::string> TomlTable::str_list(const std::string& key,
                                             const std::vector<std::string>& dflt) {
    return has(key) ? str_list(key) : (used_.insert(key), dflt);
}

std::vector<double> TomlTable::num_list(const std::string& key) {
    const auto* n = get(key, true);
    const auto* a = n->as_array();
    if (!a) fail(key, std::string("must be an array of numbers, not ") + type_name(*n));
    std::vector<double> out;
    for (const auto& e : *a) {
        if (e.is_integer())
            out.push_back(double(*e.value<std::int64_t>()));
        else if (e.is_floating_point())
            out.push_back(*e.value<double>());
        else
            fail(key, std::string("must be an array of numbers; an element is ") + type_name(e));
    }
    return out;
}

std::vector<std::int64_t> TomlTable::int_list(const std::string& key) {
    const auto* n = get(key, true);
    const auto* a = n->as_array();
    if (!a) fail(key, std::string("must be an array of integers, not ") + type_name(*n));
    std::vector<std::int64_t> out;
    for (const auto& e : *a) {
        if (!e.is_integer())
            fail(key, std::string("must be an array of integers; an element is ") + type_name(e));
        out.push_back(*e.value<std::int64_t>());
    }
    return out;
}

TomlTable TomlTable::table(const std::string& key) {
    const auto* n = get(key, true);
    if (!n->is_table()) fail(key, std::string("must be a table, not ") + type_name(*n));
    return TomlTable(*n->as_table(), file_, key_path(key));
}

std::optional<TomlTable> TomlTable::optional_table(const std::string& key) {
    if (!has(key)) {
        used_.insert(key);
        return std::nullopt;
    }
    return table(key);
}

std::vector<TomlTable> TomlTable::table_array(const std::string& key) {
    const auto* n = get(key, true);
    const auto* a = n->as_array();
    if (!a)
        fail(key,
             std::string("must be an array of tables ([[") + key + "]]), not " + type_name(*n));
    std::vector<TomlTable> out;
    std::size_t i = 0;
    for (const auto& e : *a) {
        if (!e.is_table()) fail(key, "every element must be a table");
        out.emplace_back(*e.as_table(), file_, key_path(key) + "[" + std::to_string(i++) + "]");
    }
    return out;
}

std::vector<std::string> TomlTable::keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : *t_) out.emplace_back(k.str());
    return out;
}

void TomlTable::finish() const {
    for (const auto& [k, v] : *t_) {
        const std::string key(k.str());
        if (!used_.count(key)) fail(key, "is not a known key here");
    }
}

}  // namespace leefbaar
