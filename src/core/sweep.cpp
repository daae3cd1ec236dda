#include "core/sweep.hpp"

#include <toml++/toml.h>
#include <algorithm>
#include <bit>
#include <cmath>
#include <fstream>
#include <numeric>
#include <sstream>

#include "core/error.hpp"
#include "core/model.hpp"
#include "core/random.hpp"

namespace leefbaar {

namespace {

[[noreturn]] void bad(const std::string& file, const std::string& msg) {
    throw UsageError("sweep", "weights " + file + ": " + msg);
}

std::size_t index_of(const std::vector<std::string>& v, const std::string& s) {
    return std::size_t(std::find(v.begin(), v.end(), s) - v.begin());
}

std::string trim(std::string s) {
    const auto a = s.find_first_not_of(" \t\r\"");
    const auto b = s.find_last_not_of(" \t\r\"");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split_csv(const std::string& line) {
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, ',')) out.push_back(trim(f));
    if (!line.empty() && line.back() == ',') out.push_back("");
    return out;
}

double number_of(const toml::node& n, const std::string& file, const std::string& key) {
    if (auto v = n.value<double>()) return *v;
    bad(file, "key '" + key + "' must be a number");
}

void parse_csv(SweepSpec& s) {
    std::ifstream in(s.file);
    std::string line;
    if (!std::getline(in, line))
        bad(s.file, "empty CSV (expected a header with the indicator names)");
    const auto header = split_csv(line);
    const std::size_t ni = s.indicators.size();
    std::vector<std::size_t> col_of(ni, std::size_t(-1));
    for (std::size_t c = 0; c < header.size(); ++c) {
        if (header[c] == "member" || header[c] == "name") continue;
        const auto i = index_of(s.indicators, header[c]);
        if (i == ni)
            bad(s.file, "column '" + header[c] + "' is not an indicator of the run's model");
        if (col_of[i] != std::size_t(-1)) bad(s.file, "column '" + header[c] + "' appears twice");
        col_of[i] = c;
    }
    for (std::size_t i = 0; i < ni; ++i)
        if (col_of[i] == std::size_t(-1))
            bad(s.file, "no column for indicator '" + s.indicators[i] +
                            "' (every one of the model's " + std::to_string(ni) +
                            " indicators needs a column)");
    std::int64_t row = 1;
    while (std::getline(in, line)) {
        ++row;
        if (trim(line).empty()) continue;
        const auto f = split_csv(line);
        if (f.size() != header.size())
            bad(s.file, "line " + std::to_string(row) + " has " + std::to_string(f.size()) +
                            " fields, the header " + std::to_string(header.size()));
        std::vector<double> w(ni);
        for (std::size_t i = 0; i < ni; ++i) {
            const std::string& t = f[col_of[i]];
            char* end = nullptr;
            w[i] = std::strtod(t.c_str(), &end);
            if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(w[i]))
                bad(s.file, "line " + std::to_string(row) + " column '" + s.indicators[i] + "': '" +
                                t + "' is not a number");
        }
        s.list.push_back(std::move(w));
    }
    if (s.list.empty()) bad(s.file, "no members (rows after the header)");
}

void check_keys(const toml::table& t, const std::vector<std::string>& allowed,
                const std::string& file, const std::string& where) {
    for (const auto& [k, v] : t)
        if (std::find(allowed.begin(), allowed.end(), std::string(k.str())) == allowed.end())
            bad(file, "unknown key '" + std::string(k.str()) + "' in " + where);
}

}  // namespace

std::int64_t SweepSpec::size() const {
    switch (kind) {
        case Kind::list:
            return std::int64_t(list.size());
        case Kind::grid: {
            std::int64_t n = 1;
            for (const auto& a : axes) n *= std::int64_t(a.values.size());
            return n;
        }
        case Kind::montecarlo:
            return members;
    }
    return 0;
}

std::string SweepSpec::describe() const {
    std::ostringstream o;
    switch (kind) {
        case Kind::list:
            o << "list of " << list.size() << " weight sets from " << file;
            break;
        case Kind::grid:
            o << "grid of " << size() << " members over";
            for (const auto& a : axes)
                o << " " << (a.indicator.empty() ? "dimension " + a.dimension : a.indicator) << "["
                  << a.values.size() << "]";
            break;
        case Kind::montecarlo:
            o << "montecarlo " << members << " members, seed " << seed << ", "
              << (normal ? "normal" : "uniform") << ", " << (relative ? "relative" : "absolute")
              << " scale " << scale << (include_base ? ", member 0 = base" : "");
            break;
    }
    return o.str();
}

SweepSpec parse_sweep_spec(const std::string& file, const std::vector<std::string>& indicators,
                           const std::vector<std::string>& indicator_dimensions,
                           const std::vector<std::string>& dimensions,
                           const std::vector<double>& base) {
    SweepSpec s;
    s.file = file;
    s.indicators = indicators;
    s.indicator_dimensions = indicator_dimensions;
    s.dimensions = dimensions;
    s.base = base;
    const std::size_t ni = indicators.size();
    {
        std::ifstream probe(file);
        if (!probe) throw UsageError("sweep", "weights " + file + ": cannot open the file");
    }
    const bool csv = file.size() >= 4 && file.substr(file.size() - 4) == ".csv";
    if (csv) {
        s.kind = SweepSpec::Kind::list;
        parse_csv(s);
        return s;
    }
    toml::table root;
    try {
        root = toml::parse_file(file);
    } catch (const toml::parse_error& e) {
        std::ostringstream o;
        o << "line " << e.source().begin.line << ": " << e.description();
        bad(file, o.str());
    }
    const toml::table* t = root["sweep"].as_table();
    if (!t) bad(file, "no [sweep] table (see `leefbaar sweep --help` for the format)");
    check_keys(root, {"sweep"}, file, "the file (only [sweep] is allowed)");
    const auto kind = (*t)["kind"].value<std::string>();
    if (!kind) bad(file, "[sweep] needs kind = \"list\", \"grid\" or \"montecarlo\"");
    if (*kind == "list") {
        check_keys(*t, {"kind", "member"}, file, "[sweep]");
        s.kind = SweepSpec::Kind::list;
        const toml::array* ms = (*t)["member"].as_array();
        if (!ms || ms->empty()) bad(file, "a list needs [[sweep.member]] tables, one per member");
        for (std::size_t m = 0; m < ms->size(); ++m) {
            const toml::table* mt = (*ms)[m].as_table();
            const std::string where = "[[sweep.member]] #" + std::to_string(m + 1);
            if (!mt) bad(file, where + " is not a table");
            std::vector<double> w(ni, std::nan(""));
            for (const auto& [k, v] : *mt) {
                const std::string key(k.str());
                if (key == "name") continue;
                const auto i = index_of(indicators, key);
                if (i == ni)
                    bad(file, where + ": '" + key + "' is not an indicator of the run's model");
                w[i] = number_of(v, file, key);
            }
            for (std::size_t i = 0; i < ni; ++i)
                if (std::isnan(w[i]))
                    bad(file, where + ": no weight for indicator '" + indicators[i] + "'");
            s.list.push_back(std::move(w));
        }
    } else if (*kind == "grid") {
        check_keys(*t, {"kind", "axis"}, file, "[sweep]");
        s.kind = SweepSpec::Kind::grid;
        const toml::array* as = (*t)["axis"].as_array();
        if (!as || as->empty()) bad(file, "a grid needs [[sweep.axis]] tables");
        for (std::size_t a = 0; a < as->size(); ++a) {
            const toml::table* at = (*as)[a].as_table();
            const std::string where = "[[sweep.axis]] #" + std::to_string(a + 1);
            if (!at) bad(file, where + " is not a table");
            check_keys(*at, {"indicator", "dimension", "values"}, file, where);
            SweepSpec::Axis ax;
            ax.indicator = (*at)["indicator"].value_or(std::string());
            ax.dimension = (*at)["dimension"].value_or(std::string());
            if (ax.indicator.empty() == ax.dimension.empty())
                bad(file, where + ": give exactly one of indicator or dimension");
            if (!ax.indicator.empty() && index_of(indicators, ax.indicator) == ni)
                bad(file,
                    where + ": '" + ax.indicator + "' is not an indicator of the run's model");
            if (!ax.dimension.empty() && index_of(dimensions, ax.dimension) == dimensions.size())
                bad(file, where + ": '" + ax.dimension + "' is not a dimension of the run's model");
            const toml::array* vs = (*at)["values"].as_array();
            if (!vs || vs->empty())
                bad(file, where + ": values must be a non-empty array of numbers");
            for (const auto& v : *vs) ax.values.push_back(number_of(v, file, "values"));
            s.axes.push_back(std::move(ax));
        }
    } else if (*kind == "montecarlo") {
        check_keys(*t,
                   {"kind", "members", "seed", "distribution", "mode", "scale", "include_base",
                    "scale_indicator", "scale_dimension"},
                   file, "[sweep]");
        s.kind = SweepSpec::Kind::montecarlo;
        const auto members = (*t)["members"].value<std::int64_t>();
        if (!members || *members < 1) bad(file, "montecarlo needs members = N (N >= 1)");
        s.members = *members;
        s.seed = std::uint64_t((*t)["seed"].value_or(std::int64_t(1)));
        const std::string dist = (*t)["distribution"].value_or(std::string("normal"));
        if (dist != "normal" && dist != "uniform")
            bad(file, "distribution must be \"normal\" or \"uniform\", not '" + dist + "'");
        s.normal = dist == "normal";
        const std::string mode = (*t)["mode"].value_or(std::string("relative"));
        if (mode != "relative" && mode != "absolute")
            bad(file, "mode must be \"relative\" or \"absolute\", not '" + mode + "'");
        s.relative = mode == "relative";
        if ((*t)["scale"]) s.scale = number_of(*(*t)["scale"].node(), file, "scale");
        if ((*t)["include_base"] && !(*t)["include_base"].is_boolean())
            bad(file, "include_base must be true or false");
        s.include_base = (*t)["include_base"].value_or(false);
        s.scale_of.assign(ni, s.scale);
        if (const toml::table* sd = (*t)["scale_dimension"].as_table())
            for (const auto& [k, v] : *sd) {
                const std::string d(k.str());
                if (index_of(dimensions, d) == dimensions.size())
                    bad(file, "[sweep.scale_dimension]: '" + d +
                                  "' is not a dimension of the run's model");
                const double x = number_of(v, file, "scale_dimension." + d);
                for (std::size_t i = 0; i < ni; ++i)
                    if (indicator_dimensions[i] == d) s.scale_of[i] = x;
            }
        if (const toml::table* si = (*t)["scale_indicator"].as_table())
            for (const auto& [k, v] : *si) {
                const std::string n(k.str());
                const auto i = index_of(indicators, n);
                if (i == ni)
                    bad(file, "[sweep.scale_indicator]: '" + n +
                                  "' is not an indicator of the run's model");
                s.scale_of[i] = number_of(v, file, "scale_indicator." + n);
            }
        for (double x : s.scale_of)
            if (!(x >= 0) || !std::isfinite(x)) bad(file, "scales must be finite and >= 0");
    } else {
        bad(file, "kind must be \"list\", \"grid\" or \"montecarlo\", not '" + *kind + "'");
    }
    return s;
}

std::vector<double> member_weights(const SweepSpec& s, std::int64_t member) {
    const std::size_t ni = s.indicators.size();
    if (member < 0 || member >= s.size())
        throw UsageError("sweep", "member " + std::to_string(member) +
                                      " out of range 0:" + std::to_string(s.size()));
    switch (s.kind) {
        case SweepSpec::Kind::list:
            return s.list[std::size_t(member)];
        case SweepSpec::Kind::grid: {
            std::vector<double> w = s.base;
            std::int64_t rest = member;
            std::vector<std::size_t> pick(s.axes.size());
            for (std::size_t a = s.axes.size(); a-- > 0;) {
                const auto n = std::int64_t(s.axes[a].values.size());
                pick[a] = std::size_t(rest % n);
                rest /= n;
            }
            // Dimension multipliers first, then explicit indicator weights (which win).
            for (std::size_t a = 0; a < s.axes.size(); ++a)
                if (!s.axes[a].dimension.empty())
                    for (std::size_t i = 0; i < ni; ++i)
                        if (s.indicator_dimensions[i] == s.axes[a].dimension)
                            w[i] *= s.axes[a].values[pick[a]];
            for (std::size_t a = 0; a < s.axes.size(); ++a)
                if (!s.axes[a].indicator.empty())
                    w[index_of(s.indicators, s.axes[a].indicator)] = s.axes[a].values[pick[a]];
            return w;
        }
        case SweepSpec::Kind::montecarlo: {
            std::vector<double> w = s.base;
            if (s.include_base && member == 0) return w;
            for (std::size_t i = 0; i < ni; ++i) {
                // Philox keyed by the seed, counter (member, indicator, stream tag "SWEE").
                const auto r = rnd::philox(s.seed, std::uint32_t(member),
                                           std::uint32_t(std::uint64_t(member) >> 32),
                                           std::uint32_t(i), 0x53574545u);
                double u;
                if (s.normal)
                    u = std::sqrt(-2.0 * std::log(rnd::to_unit(r[0]))) *
                        std::cos(2.0 * M_PI * rnd::to_unit(r[1]));
                else
                    u = 2.0 * rnd::to_unit(r[0]) - 1.0;
                w[i] = s.relative ? s.base[i] * (1.0 + s.scale_of[i] * u)
                                  : s.base[i] + s.scale_of[i] * u;
            }
            return w;
        }
    }
    return {};
}

namespace {
// The order of doubles as unsigned integers: a < b exactly when key(a) < key(b), and a == b
// (also -0 == +0) exactly when key(a) == key(b). Finite or infinite values; not NaN.
std::uint64_t order_key(double x) {
    const auto bits = std::bit_cast<std::uint64_t>(x + 0.0);  // -0 + 0 = +0
    return bits >> 63 ? ~bits : bits | (std::uint64_t(1) << 63);
}

// Average ranks (1-based) of v over the positions idx: the (value, position) pairs in ascending
// order, so ties are in position order and share their average rank. The pairs are ordered by
// an LSD radix sort of order_key (11-bit digits, a digit all keys share skipped), stable from
// position order: the same order as sorting the pairs, in a few passes over n instead of
// n log n comparisons (a sweep ranks ~13,000 buurten per member).
std::vector<double> average_ranks(const std::vector<double>& v,
                                  const std::vector<std::size_t>& idx) {
    const std::size_t n = idx.size();
    if (n >= (std::size_t(1) << 32)) throw Error("sweep", "too many zones to rank");
    constexpr int kBits = 11, kDigits = (64 + kBits - 1) / kBits;
    constexpr std::size_t kBuckets = std::size_t(1) << kBits;
    std::vector<std::uint64_t> key(n), key2(n);
    std::vector<std::uint32_t> pos(n), pos2(n);
    std::vector<std::uint32_t> count(kDigits * kBuckets, 0);
    for (std::size_t i = 0; i < n; ++i) {
        key[i] = order_key(v[idx[i]]);
        pos[i] = std::uint32_t(i);
        for (int d = 0; d < kDigits; ++d)
            ++count[std::size_t(d) * kBuckets + ((key[i] >> (d * kBits)) & (kBuckets - 1))];
    }
    for (int d = 0; d < kDigits; ++d) {
        std::uint32_t* c = count.data() + std::size_t(d) * kBuckets;
        if (n == 0 || c[(key[0] >> (d * kBits)) & (kBuckets - 1)] == n) continue;  // shared
        std::uint32_t sum = 0;
        for (std::size_t b = 0; b < kBuckets; ++b) {
            const std::uint32_t t = c[b];
            c[b] = sum;
            sum += t;
        }
        for (std::size_t i = 0; i < n; ++i) {
            const std::uint32_t at = c[(key[i] >> (d * kBits)) & (kBuckets - 1)]++;
            key2[at] = key[i];
            pos2[at] = pos[i];
        }
        key.swap(key2);
        pos.swap(pos2);
    }
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i;
        while (j + 1 < n && key[j + 1] == key[i]) ++j;
        const double avg = 0.5 * double(i + j) + 1.0;
        for (std::size_t q = i; q <= j; ++q) r[pos[q]] = avg;
        i = j + 1;
    }
    return r;
}

double correlate(const std::vector<double>& ra, double ma, const std::vector<double>& rb) {
    const std::size_t n = ra.size();
    const double mb = std::accumulate(rb.begin(), rb.end(), 0.0) / double(n);
    double sab = 0, saa = 0, sbb = 0;
    for (std::size_t i = 0; i < n; ++i) {
        sab += (ra[i] - ma) * (rb[i] - mb);
        saa += (ra[i] - ma) * (ra[i] - ma);
        sbb += (rb[i] - mb) * (rb[i] - mb);
    }
    return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : std::nan("");
}
}  // namespace

double spearman(const std::vector<double>& a, const std::vector<double>& b) {
    std::vector<std::size_t> idx;
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i)
        if (std::isfinite(a[i]) && std::isfinite(b[i])) idx.push_back(i);
    const std::size_t n = idx.size();
    if (n < 2) return std::nan("");
    const auto ra = average_ranks(a, idx);
    const double ma = std::accumulate(ra.begin(), ra.end(), 0.0) / double(n);
    return correlate(ra, ma, average_ranks(b, idx));
}

SpearmanReference::SpearmanReference(std::vector<double> a) : a_(std::move(a)) {
    for (std::size_t i = 0; i < a_.size(); ++i)
        if (std::isfinite(a_[i])) idx_.push_back(i);
    if (idx_.size() >= 2) {
        ra_ = average_ranks(a_, idx_);
        ma_ = std::accumulate(ra_.begin(), ra_.end(), 0.0) / double(idx_.size());
    }
}

double SpearmanReference::operator()(const std::vector<double>& b) const {
    // Same positions as spearman(a, b) when b is finite wherever a is: reuse a's ranks.
    bool same = b.size() >= a_.size() && idx_.size() >= 2;
    for (std::size_t k = 0; k < idx_.size() && same; ++k) same = std::isfinite(b[idx_[k]]);
    if (!same) return spearman(a_, b);
    return correlate(ra_, ma_, average_ranks(b, idx_));
}

}  // namespace leefbaar
