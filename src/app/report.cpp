#include "app/report.hpp"

#include <gdal.h>
#include <ogr_api.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "app/log.hpp"
#include "core/error.hpp"
#include "io/csv.hpp"
#include "io/gdal_raster.hpp"
#include "io/hdf5.hpp"
#include "io/zones.hpp"

namespace leefbaar::app {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

// ---------------------------------------------------------------- text and numbers

// Picks the Dutch or the English text.
struct Tr {
    bool en = false;
    std::string operator()(const std::string& nl, const std::string& e) const {
        return en ? e : nl;
    }
};

std::string esc(const std::string& s) {
    std::string o;
    o.reserve(s.size());
    for (const char c : s) switch (c) {
            case '&':
                o += "&amp;";
                break;
            case '<':
                o += "&lt;";
                break;
            case '>':
                o += "&gt;";
                break;
            case '"':
                o += "&quot;";
                break;
            case '\'':
                o += "&#39;";
                break;
            default:
                o += c;
        }
    return o;
}

std::string raw(double v) {
    char b[40];
    std::snprintf(b, sizeof b, "%.17g", v);
    return b;
}

std::string group_digits(const std::string& digits, char sep) {
    std::string o;
    const std::size_t n = digits.size();
    for (std::size_t i = 0; i < n; ++i) {
        if (i > 0 && (n - i) % 3 == 0) o += sep;
        o += digits[i];
    }
    return o;
}

// 1234567 -> "1.234.567" (nl) or "1,234,567" (en); `sign` adds "+" to positive values.
std::string fmt_int(std::int64_t v, bool en, bool sign = false) {
    const std::string d = std::to_string(v < 0 ? -v : v);
    return std::string(v < 0 ? "\u2212" : (sign && v > 0 ? "+" : "")) +
           group_digits(d, en ? ',' : '.');
}

// Fixed decimals with the language's decimal mark; a minus sign for negatives.
std::string fmt_dec(double v, int decimals, bool en, bool sign = false) {
    if (std::isnan(v)) return "\u2013";
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, std::fabs(v));
    std::string s = b;
    // A value that rounds to zero shows without a sign.
    const bool zero = s.find_first_not_of("0.") == std::string::npos;
    const auto dot = s.find('.');
    std::string ip = dot == std::string::npos ? s : s.substr(0, dot);
    std::string fp = dot == std::string::npos ? "" : s.substr(dot + 1);
    std::string out = group_digits(ip, en ? ',' : '.');
    if (!fp.empty()) out += (en ? "." : ",") + fp;
    if (!zero && v < 0) return "\u2212" + out;
    if (!zero && sign && v > 0) return "+" + out;
    return out;
}

std::string fmt_pct(double share, int decimals, bool en, bool sign = false) {
    return fmt_dec(share * 100.0, decimals, en, sign) + "%";
}

// Formats a value as the tables show it: int, sint (signed int), pct1, dec3/dec4 (signed).
std::string fmt_as(double v, const std::string& f, bool en) {
    if (std::isnan(v)) return "\u2013";
    if (f == "int") return fmt_int(std::llround(v), en);
    if (f == "sint") return fmt_int(std::llround(v), en, true);
    if (f == "pct1") return fmt_pct(v, 1, en);
    if (f == "dec3") return fmt_dec(v, 3, en, true);
    if (f == "dec4") return fmt_dec(v, 4, en, true);
    return raw(v);
}

std::string ptr_escape(const std::string& k) {
    std::string o;
    for (const char c : k) {
        if (c == '~')
            o += "~0";
        else if (c == '/')
            o += "~1";
        else
            o += c;
    }
    return o;
}

// A table cell showing the summary.json value at `ptr` (a JSON pointer), formatted as `f`.
// data-src / data-v / data-fmt let a reader (and the tests) check it against summary.json.
std::string td(const json& s, const std::string& ptr, const std::string& f, bool en,
               const std::string& cls = "n") {
    const json::json_pointer p(ptr);
    if (!s.contains(p)) return "<td class=\"" + cls + "\">\u2013</td>";
    const json& v = s.at(p);
    std::string dv, text;
    if (v.is_null()) {
        dv = "null";
        text = "\u2013";
    } else {
        const double d = v.get<double>();
        dv = v.is_number_integer() ? std::to_string(v.get<std::int64_t>()) : raw(d);
        text = fmt_as(d, f, en);
    }
    return "<td class=\"" + cls + "\" data-src=\"" + esc(ptr) + "\" data-v=\"" + dv +
           "\" data-fmt=\"" + f + "\">" + text + "</td>";
}

double num(const json& v) {
    return v.is_number() ? v.get<double>() : std::nan("");
}

std::string pretty_dimension(const std::string& d, bool en) {
    static const std::map<std::string, std::string> e{
        {"wonen", "housing"},
        {"bewoners", "residents"},
        {"voorzieningen", "amenities"},
        {"veiligheid", "safety"},
        {"fysieke_omgeving", "physical environment"},
        {"woningvoorraad", "housing stock"},
        {"sociale_samenhang", "social cohesion"},
        {"overlast_en_onveiligheid", "nuisance and insecurity"}};
    if (en) {
        const auto it = e.find(d);
        if (it != e.end()) return it->second;
    }
    std::string o = d;
    std::replace(o.begin(), o.end(), '_', ' ');
    return o;
}

std::string translate_label(const std::string& l, bool en) {
    if (!en) return l;
    static const std::map<std::string, std::string> e{{"zeer onvoldoende", "very poor"},
                                                      {"ruim onvoldoende", "poor"},
                                                      {"onvoldoende", "inadequate"},
                                                      {"zwak", "weak"},
                                                      {"voldoende", "adequate"},
                                                      {"ruim voldoende", "more than adequate"},
                                                      {"goed", "good"},
                                                      {"zeer goed", "very good"},
                                                      {"uitstekend", "excellent"},
                                                      {"sterke achteruitgang", "sharp decline"},
                                                      {"achteruitgang", "decline"},
                                                      {"lichte achteruitgang", "slight decline"},
                                                      {"stabiel", "stable"},
                                                      {"lichte vooruitgang", "slight improvement"},
                                                      {"vooruitgang", "improvement"},
                                                      {"sterke vooruitgang", "sharp improvement"}};
    const auto it = e.find(l);
    return it == e.end() ? l : it->second;
}

std::string group_label(const std::string& key, const std::string& g, bool en) {
    if (key == "declining") {
        if (g == "1") return en ? "declining regions" : "krimpregio's";
        if (g == "0") return en ? "other regions" : "overige regio's";
    }
    if (g == "other") return en ? "other municipalities" : "overige gemeenten";
    return g;
}

std::string share_bin_label(const std::string& name, const json& sb, bool en) {
    if (name == "social_rent")
        return en ? "social rent (housing associations)" : "corporatiewoningen (sociale huur)";
    if (name == "cheap_private_rent")
        return en ? "cheap private rent" : "goedkope particuliere huur";
    return name + " (" + sb.value("numerator", "") + " / " + sb.value("denominator", "") + ")";
}

// The typology's rule texts come from the engine in English; Dutch versions of the known
// sentences (anything else is shown as written).
std::string translate_rule(const std::string& s, bool en) {
    if (en) return s;
    static const std::vector<std::pair<std::regex, std::string>> rules = [] {
        std::vector<std::pair<std::regex, std::string>> r;
        auto add = [&](const char* re, const char* nl) { r.emplace_back(std::regex(re), nl); };
        add(R"(class of the mean score at most (\d+) \((\w+)\) in at least (\d+) measurements, the latest included)",
            "klasse van de gemiddelde score hoogstens $1 ($2) in minstens $3 metingen, waaronder "
            "de laatste");
        add(R"(change over the last period minus the national change <= (\S+))",
            "ontwikkeling in de laatste periode min de landelijke ontwikkeling <= $1");
        add(R"(safety dimension \((\w+)\) among the lowest (\S+) of buurten in the latest year)",
            "veiligheidsdimensie ($1) bij de laagste $2 van de buurten in het laatste jaar");
        add(R"(safety dimension \((\w+)\) among the lowest (\S+) in the latest year)",
            "veiligheidsdimensie ($1) bij de laagste $2 in het laatste jaar");
        add(R"(at least (\d+)% of the scored cells in classes 1-(\d+) in the latest year)",
            "minstens $1% van de cellen met een score in klasse 1-$2 in het laatste jaar");
        add(R"(buurt-level candidates form contiguous clusters of at least (\d+) residents)",
            "kandidaat-buurten vormen aaneengesloten clusters van minstens $1 inwoners");
        add(R"(at least (\d+) residents in the latest year)",
            "minstens $1 inwoners in het laatste jaar");
        add(R"(at least (\d+) residents)", "minstens $1 inwoners");
        add(R"(residents in cells of class 1-(\d+) in the latest year)",
            "inwoners in cellen van klasse 1-$1 in het laatste jaar");
        add(R"(share of residents in cells of class <= (\d+) among the highest (\S+) of regions in at least (\d+) measurements, the latest included)",
            "aandeel inwoners in cellen van klasse <= $1 bij de hoogste $2 van de regio's in "
            "minstens $3 metingen, waaronder de laatste");
        add(R"(share of the scored area in class >= (\d+) among the lowest (\S+) of regions in at least (\d+) measurements, the latest included)",
            "aandeel van de gescoorde oppervlakte in klasse >= $1 bij de laagste $2 van de regio's "
            "in minstens $3 metingen, waaronder de laatste");
        add(R"(contiguous clusters \(4-neighbour cell adjacency\) of buurten that meet the wijk criteria, with at least (\d+) residents)",
            "aaneengesloten clusters (aangrenzende cellen, 4-buren) van buurten die aan de "
            "wijkcriteria voldoen, met minstens $1 inwoners");
        add(R"(the typology needs at least (\d+) measurements; the run has (\d+))",
            "de typologie vereist minstens $1 metingen; deze run heeft er $2");
        add(R"(at best zwak in >= (\d+) measurements)", "hoogstens zwak in >= $1 metingen");
        add(R"(weak in >= (\d+) measurements)", "zwak in >= $1 metingen");
        add(R"(safety among the lowest (\S+))", "veiligheid bij de laagste $1");
        add(R"(onvoldoende area share)", "aandeel onvoldoende oppervlakte");
        add(R"(negative trend)", "negatieve ontwikkeling");
        add(R"(residents)", "inwoners");
        add(R"(>= (\d+) residents)", ">= $1 inwoners");
        add(R"(onvoldoende cells present)", "cellen met onvoldoende aanwezig");
        add(R"(large share in class <= (\d+))", "groot aandeel in klasse <= $1");
        add(R"(small area share in class >= (\d+))", "klein oppervlakteaandeel in klasse >= $1");
        return r;
    }();
    // Several missed criteria may be joined; translate each part.
    std::string out;
    std::size_t start = 0;
    while (true) {
        const auto pos = s.find("; ", start);
        std::string part =
            s.substr(start, pos == std::string::npos ? std::string::npos : pos - start);
        for (const auto& [re, nl] : rules)
            if (std::regex_match(part, re)) {
                part = std::regex_replace(part, re, nl);
                break;
            }
        out += (out.empty() && start == 0 ? "" : "; ") + part;
        if (pos == std::string::npos) break;
        start = pos + 2;
    }
    return out;
}

// ---------------------------------------------------------------- colours

struct Rgb {
    std::uint8_t r = 0, g = 0, b = 0;
};

Rgb hex(const char* h) {
    unsigned v = 0;
    std::sscanf(h + 1, "%x", &v);
    return {std::uint8_t(v >> 16), std::uint8_t((v >> 8) & 255), std::uint8_t(v & 255)};
}
std::string css(Rgb c) {
    char b[8];
    std::snprintf(b, sizeof b, "#%02x%02x%02x", c.r, c.g, c.b);
    return b;
}
Rgb mix(Rgb a, Rgb b, double t) {
    auto m = [t](std::uint8_t x, std::uint8_t y) {
        return std::uint8_t(std::lround(double(x) + (double(y) - double(x)) * t));
    };
    return {m(a.r, b.r), m(a.g, b.g), m(a.b, b.b)};
}
// Samples a palette at n evenly spaced points (the palette itself when n equals its size).
std::vector<Rgb> sample(const std::vector<const char*>& stops, std::size_t n) {
    std::vector<Rgb> out;
    for (std::size_t i = 0; i < n; ++i) {
        const double p = n == 1 ? 0.0 : double(i) * double(stops.size() - 1) / double(n - 1);
        const auto k = std::min<std::size_t>(std::size_t(p), stops.size() - 2);
        out.push_back(mix(hex(stops[k]), hex(stops[k + 1]), p - double(k)));
    }
    return out;
}
// Classes: reds for 1-3, yellows for 4-5, greens for 6-9.
std::vector<Rgb> class_palette(std::size_t n) {
    return sample({"#a50026", "#d73027", "#f46d43", "#fdd049", "#fff08a", "#c7e9a0", "#8cce6e",
                   "#3fa150", "#00683a"},
                  n);
}
// Development classes: diverging, red (decline) - grey (stable) - blue (improvement).
std::vector<Rgb> change_palette(std::size_t n) {
    return sample({"#b2182b", "#ef8a62", "#fddbc7", "#efefef", "#d1e5f0", "#67a9cf", "#2166ac"}, n);
}
const Rgb kNotScored = hex("#e3e3e3");  // land (inside a zone) without a score
const Rgb kOutside = hex("#ffffff");    // outside every zone (sea, abroad)
const Rgb kBoundary = hex("#6e6e6e");   // gemeente boundaries
const Rgb kTypePopulated = hex("#c4c4c4");
const Rgb kType1 = hex("#f28e2b");
const Rgb kType2 = hex("#a50026");
const Rgb kType3 = hex("#c7b3e5");
const Rgb kType1Cluster = hex("#f7b267");

// ---------------------------------------------------------------- maps (PNG)

void write_png(const std::string& path, int w, int h, const std::vector<Rgb>& px) {
    io::gdal_init();
    GDALDriverH mem = GDALGetDriverByName("MEM");
    GDALDriverH png = GDALGetDriverByName("PNG");
    if (!mem || !png) throw Error("report", "GDAL has no MEM or PNG driver: cannot write " + path);
    GDALDatasetH ds = GDALCreate(mem, "", w, h, 3, GDT_Byte, nullptr);
    if (!ds)
        throw Error("report",
                    "cannot create an in-memory image for " + path + ": " + io::gdal_last_error());
    auto* base = reinterpret_cast<std::uint8_t*>(const_cast<Rgb*>(px.data()));
    bool ok = true;
    for (int b = 0; b < 3; ++b)
        ok = ok && GDALRasterIO(GDALGetRasterBand(ds, b + 1), GF_Write, 0, 0, w, h, base + b, w, h,
                                GDT_Byte, 3, GSpacing(3) * w) == CE_None;
    GDALDatasetH out =
        ok ? GDALCreateCopy(png, path.c_str(), ds, FALSE, nullptr, nullptr, nullptr) : nullptr;
    GDALClose(ds);
    if (!out) throw Error("report", "cannot write image " + path + ": " + io::gdal_last_error());
    GDALClose(out);
    fs::remove(path + ".aux.xml");
}

// The national grid shown at `f` cells per image cell (downsampled) and `u` pixels per image
// cell (enlarged), with the zone ids used for the land mask, boundaries and typology.
struct Canvas {
    GridSpec g;
    std::int64_t f = 1, u = 1, cw = 0, ch = 0;
    std::vector<std::int32_t> land;  // downsampled finest zone id (0 = outside every zone)
    std::vector<std::int32_t> gem;   // downsampled gemeente id (boundaries), may be empty
    int width() const { return int(cw * u); }
    int height() const { return int(ch * u); }
};

// Most frequent non-zero value of each f x f block (ties: the smallest), 0 if none.
template <class T>
std::vector<T> down_mode(const std::vector<T>& v, const Canvas& c) {
    std::vector<T> out(std::size_t(c.cw * c.ch), T(0));
    std::vector<T> buf;
    for (std::int64_t cy = 0; cy < c.ch; ++cy)
        for (std::int64_t cx = 0; cx < c.cw; ++cx) {
            buf.clear();
            for (std::int64_t r = cy * c.f; r < std::min(c.g.ny, (cy + 1) * c.f); ++r)
                for (std::int64_t q = cx * c.f; q < std::min(c.g.nx, (cx + 1) * c.f); ++q) {
                    const T x = v[std::size_t(r * c.g.nx + q)];
                    if (x != T(0)) buf.push_back(x);
                }
            if (buf.empty()) continue;
            std::sort(buf.begin(), buf.end());
            T best = buf[0];
            std::size_t best_n = 0;
            for (std::size_t i = 0; i < buf.size();) {
                std::size_t j = i;
                while (j < buf.size() && buf[j] == buf[i]) ++j;
                if (j - i > best_n) best = buf[i], best_n = j - i;
                i = j;
            }
            out[std::size_t(cy * c.cw + cx)] = best;
        }
    return out;
}

// Mean of the scored cells (mask != 0) of each block; NaN if none.
std::vector<double> down_mean(const std::vector<double>& v, const std::vector<std::uint8_t>& mask,
                              const Canvas& c) {
    std::vector<double> out(std::size_t(c.cw * c.ch), std::nan(""));
    for (std::int64_t cy = 0; cy < c.ch; ++cy)
        for (std::int64_t cx = 0; cx < c.cw; ++cx) {
            double s = 0;
            int n = 0;
            for (std::int64_t r = cy * c.f; r < std::min(c.g.ny, (cy + 1) * c.f); ++r)
                for (std::int64_t q = cx * c.f; q < std::min(c.g.nx, (cx + 1) * c.f); ++q) {
                    const auto i = std::size_t(r * c.g.nx + q);
                    if (mask[i]) s += v[i], ++n;
                }
            if (n) out[std::size_t(cy * c.cw + cx)] = s / n;
        }
    return out;
}

// Paints the image: colour of each image cell, gemeente boundaries drawn on top.
void render(const Canvas& c, const std::function<Rgb(std::size_t)>& colour,
            const std::string& path) {
    const int w = c.width(), h = c.height();
    std::vector<Rgb> px(std::size_t(w) * std::size_t(h));
    const bool lines = !c.gem.empty();
    for (int py = 0; py < h; ++py)
        for (int pxx = 0; pxx < w; ++pxx) {
            const std::int64_t cx = pxx / c.u, cy = py / c.u;
            const auto i = std::size_t(cy * c.cw + cx);
            Rgb col = colour(i);
            if (lines) {
                const std::int32_t g0 = c.gem[i];
                bool edge = false;
                if (pxx % c.u == c.u - 1 && cx + 1 < c.cw && c.gem[i + 1] != g0) edge = true;
                if (py % c.u == c.u - 1 && cy + 1 < c.ch && c.gem[i + std::size_t(c.cw)] != g0)
                    edge = true;
                if (edge) col = mix(col, kBoundary, 0.75);
            }
            px[std::size_t(py) * std::size_t(w) + std::size_t(pxx)] = col;
        }
    write_png(path, w, h, px);
}

// ---------------------------------------------------------------- SVG charts

const char* kFont = "font-family=\"DejaVu Sans, Arial, Helvetica, sans-serif\"";

double nice_step(double range, int ticks) {
    if (!(range > 0)) return 1.0;
    const double raw_step = range / ticks, mag = std::pow(10.0, std::floor(std::log10(raw_step)));
    for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0})
        if (m * mag >= raw_step) return m * mag;
    return 10 * mag;
}

// Axis tick label: as few decimals as the step needs; signed unless a percentage.
std::string tick_label(double t, double step, bool en, bool pct) {
    if (pct) t *= 100, step *= 100;
    int dec = 0;
    while (dec < 8 &&
           std::fabs(step * std::pow(10.0, dec) - std::round(step * std::pow(10.0, dec))) > 1e-6)
        ++dec;
    return fmt_dec(t, dec, en, !pct) + (pct ? "%" : "");
}

struct Bar {
    std::string label;
    double value = 0;
    Rgb colour;
    bool strong = false;
};

// Horizontal bars around zero: labels left, value at the bar's end.
std::string svg_hbars(const std::vector<Bar>& bars, const std::function<std::string(double)>& fmt,
                      const std::string& title, bool en, int width = 640, int label_w = 210) {
    const int row = 22, top = 8, bottom = 26, vw = 78;
    const int h = top + bottom + row * int(bars.size());
    double lo = 0, hi = 0;
    for (const auto& b : bars)
        if (!std::isnan(b.value)) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
    if (lo == hi) hi = lo + 1e-9;
    const double step = nice_step(hi - lo, std::max(2, (width - label_w - 2 * vw) / 75));
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    const double x0 = label_w + vw * (lo < 0 ? 1.0 : 0.0), x1 = width - vw;
    auto X = [&](double v) { return x0 + (v - lo) / (hi - lo) * (x1 - x0); };
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << width << " "
      << h << "\" width=\"" << width << "\" height=\"" << h << "\" " << kFont
      << " font-size=\"12\"><title>" << esc(title) << "</title>";
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        const double tt = std::fabs(t) < step * 1e-9 ? 0.0 : t;
        o << "<line x1=\"" << X(tt) << "\" x2=\"" << X(tt) << "\" y1=\"" << top << "\" y2=\""
          << h - bottom + 4 << "\" stroke=\"" << (tt == 0 ? "#333" : "#ddd") << "\"/>";
        o << "<text x=\"" << X(tt) << "\" y=\"" << h - 8
          << "\" text-anchor=\"middle\" fill=\"#555\">" << esc(tick_label(tt, step, en, false))
          << "</text>";
    }
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        const double y = top + row * double(i);
        o << "<text x=\"" << label_w - 6 << "\" y=\"" << y + 15 << "\" text-anchor=\"end\""
          << (b.strong ? " font-weight=\"bold\"" : "") << ">" << esc(b.label) << "</text>";
        if (std::isnan(b.value)) continue;
        const double a = X(std::min(0.0, b.value)), z = X(std::max(0.0, b.value));
        o << "<rect x=\"" << a << "\" y=\"" << y + 4 << "\" width=\"" << std::max(z - a, 0.5)
          << "\" height=\"" << row - 8 << "\" fill=\"" << css(b.colour)
          << "\" stroke=\"#555\" stroke-width=\"0.4\"><title>" << esc(b.label + ": " + fmt(b.value))
          << "</title></rect>";
        const bool left = b.value < 0;
        o << "<text x=\"" << (left ? a - 4 : z + 4) << "\" y=\"" << y + 15 << "\" text-anchor=\""
          << (left ? "end" : "start") << "\" fill=\"#222\">" << esc(fmt(b.value)) << "</text>";
    }
    o << "</svg>";
    return o.str();
}

// One 100% stacked bar per row (e.g. per year), segments coloured per class.
std::string svg_stacked(const std::vector<std::string>& rows,
                        const std::vector<std::vector<double>>& shares,
                        const std::vector<Rgb>& colours, bool en, const std::string& title,
                        int width = 760) {
    const int label_w = 60, row = 30, top = 8, bottom = 26, right = 12;
    const int h = top + bottom + row * int(rows.size());
    auto X = [&](double s) { return label_w + s * (width - label_w - right); };
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << width << " "
      << h << "\" width=\"" << width << "\" height=\"" << h << "\" " << kFont
      << " font-size=\"11\"><title>" << esc(title) << "</title>";
    for (int t = 0; t <= 4; ++t) {
        const double s = t / 4.0;
        o << "<line x1=\"" << X(s) << "\" x2=\"" << X(s) << "\" y1=\"" << top << "\" y2=\""
          << h - bottom + 4 << "\" stroke=\"#ccc\"/>";
        o << "<text x=\"" << X(s) << "\" y=\"" << h - 8
          << "\" text-anchor=\"middle\" fill=\"#555\">" << t * 25 << "%</text>";
    }
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const double y = top + row * double(r);
        o << "<text x=\"" << label_w - 6 << "\" y=\"" << y + 19
          << "\" text-anchor=\"end\" font-size=\"12\">" << esc(rows[r]) << "</text>";
        double acc = 0;
        for (std::size_t c = 0; c < shares[r].size(); ++c) {
            const double s = shares[r][c];
            const double a = X(acc), z = X(acc + s);
            o << "<rect x=\"" << a << "\" y=\"" << y + 4 << "\" width=\"" << std::max(0.0, z - a)
              << "\" height=\"" << row - 8 << "\" fill=\"" << css(colours[c])
              << "\" stroke=\"#fff\" stroke-width=\"0.5\"><title>" << esc(rows[r]) << ", "
              << (en ? "class " : "klasse ") << c + 1 << ": " << esc(fmt_pct(s, 1, en))
              << "</title></rect>";
            if (z - a > 34) {
                const Rgb cc = colours[c];
                const bool dark = 0.299 * cc.r + 0.587 * cc.g + 0.114 * cc.b < 110;
                o << "<text x=\"" << (a + z) / 2 << "\" y=\"" << y + 18
                  << "\" text-anchor=\"middle\" fill=\"" << (dark ? "#fff" : "#222") << "\">"
                  << esc(fmt_pct(s, 0, en)) << "</text>";
            }
            acc += s;
        }
    }
    o << "</svg>";
    return o.str();
}

struct Series {
    std::string name;
    Rgb colour;
    std::vector<double> values;
};

// Lines over categories (years), legend below.
std::string svg_lines(const std::vector<std::string>& xs, const std::vector<Series>& series,
                      const std::function<std::string(double)>& fmt, const std::string& title,
                      bool en, bool pct, int width = 460) {
    const int left = 66, right = 16, top = 12, plot_h = 190, legend_row = 18;
    const int h = top + plot_h + 30 + legend_row * int(series.size());
    double lo = INFINITY, hi = -INFINITY;
    for (const auto& s : series)
        for (const double v : s.values)
            if (!std::isnan(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.01, hi += 0.01;
    const double step = nice_step(hi - lo, 5);
    lo = std::floor(lo / step) * step;
    hi = std::ceil(hi / step) * step;
    auto X = [&](std::size_t i) {
        return xs.size() <= 1
                   ? left + (width - left - right) / 2.0
                   : left + 10 + double(i) * (width - left - right - 20) / double(xs.size() - 1);
    };
    auto Y = [&](double v) { return top + (hi - v) / (hi - lo) * plot_h; };
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << width << " "
      << h << "\" width=\"" << width << "\" height=\"" << h << "\" " << kFont
      << " font-size=\"11\"><title>" << esc(title) << "</title>";
    for (double t = lo; t <= hi + step * 1e-6; t += step) {
        const double tt = std::fabs(t) < step * 1e-9 ? 0.0 : t;
        o << "<line x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << Y(tt)
          << "\" y2=\"" << Y(tt) << "\" stroke=\"" << (tt == 0 ? "#888" : "#e2e2e2") << "\"/>";
        o << "<text x=\"" << left - 6 << "\" y=\"" << Y(tt) + 4
          << "\" text-anchor=\"end\" fill=\"#555\">" << esc(tick_label(tt, step, en, pct))
          << "</text>";
    }
    for (std::size_t i = 0; i < xs.size(); ++i)
        o << "<text x=\"" << X(i) << "\" y=\"" << top + plot_h + 16
          << "\" text-anchor=\"middle\" fill=\"#333\">" << esc(xs[i]) << "</text>";
    for (std::size_t s = 0; s < series.size(); ++s) {
        const auto& se = series[s];
        std::string d;
        for (std::size_t i = 0; i < se.values.size(); ++i) {
            if (std::isnan(se.values[i])) continue;
            d += (d.empty() ? "M" : " L") + raw(X(i)) + " " + raw(Y(se.values[i]));
        }
        o << "<path d=\"" << d << "\" fill=\"none\" stroke=\"" << css(se.colour)
          << "\" stroke-width=\"2.2\"/>";
        for (std::size_t i = 0; i < se.values.size(); ++i)
            if (!std::isnan(se.values[i]))
                o << "<circle cx=\"" << X(i) << "\" cy=\"" << Y(se.values[i])
                  << "\" r=\"3.2\" fill=\"" << css(se.colour) << "\"><title>"
                  << esc(se.name + ", " + xs[i] + ": " + fmt(se.values[i])) << "</title></circle>";
        const double ly = top + plot_h + 30 + legend_row * double(s);
        o << "<rect x=\"" << left << "\" y=\"" << ly << "\" width=\"14\" height=\"10\" fill=\""
          << css(se.colour) << "\"/>";
        o << "<text x=\"" << left + 20 << "\" y=\"" << ly + 9 << "\">" << esc(se.name) << "</text>";
    }
    o << "</svg>";
    return o.str();
}

const std::vector<Rgb>& series_colours() {
    static const std::vector<Rgb> c{hex("#1f77b4"), hex("#d62728"), hex("#2ca02c"), hex("#9467bd"),
                                    hex("#ff7f0e"), hex("#8c564b"), hex("#e377c2"), hex("#17becf")};
    return c;
}

// ---------------------------------------------------------------- sweep outputs

// A CSV file as written by io::CsvWriter (header row; fields quoted with "" when needed).
using io::CsvTable;

CsvTable read_csv_table(const fs::path& p) {
    return io::read_csv(p.string());
}

double csv_num(const std::string& v) {
    if (v.empty()) return std::nan("");
    try {
        return std::stod(v);
    } catch (...) {
        return std::nan("");
    }
}

// Histogram of values over members (integer bins when the values are integers), with the base
// run marked by a dashed line.
std::string svg_histogram(const std::vector<double>& v, double base,
                          const std::function<std::string(double)>& fmt, const std::string& title,
                          const std::string& xlabel, bool en, int width = 460) {
    const int left = 46, right = 14, top = 12, plot_h = 160, bottom = 44;
    const int h = top + plot_h + bottom;
    double lo = INFINITY, hi = -INFINITY;
    bool ints = true;
    for (double x : v)
        if (std::isfinite(x))
            lo = std::min(lo, x), hi = std::max(hi, x), ints &= x == std::floor(x);
    if (std::isfinite(base)) lo = std::min(lo, base), hi = std::max(hi, base);
    if (!std::isfinite(lo)) lo = 0, hi = 1;
    std::size_t nb = 20;
    double bw;
    if (ints && hi - lo + 1 <= 30) {
        nb = std::size_t(hi - lo + 1);
        bw = 1;
        lo -= 0.5;
    } else {
        if (hi == lo) hi = lo + 1;
        bw = (hi - lo) / double(nb);
    }
    const double xhi = lo + bw * double(nb);
    std::vector<std::size_t> cnt(nb, 0);
    for (double x : v)
        if (std::isfinite(x))
            ++cnt[std::min(nb - 1, std::size_t(std::max(0.0, std::floor((x - lo) / bw))))];
    const std::size_t cmax = std::max<std::size_t>(1, *std::max_element(cnt.begin(), cnt.end()));
    auto X = [&](double x) { return left + (x - lo) / (xhi - lo) * (width - left - right); };
    auto Y = [&](double c) { return top + plot_h - c / double(cmax) * plot_h; };
    std::ostringstream o;
    o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << width << " "
      << h << "\" width=\"" << width << "\" height=\"" << h << "\" " << kFont
      << " font-size=\"11\"><title>" << esc(title) << "</title>";
    const double ys = nice_step(double(cmax), 4);
    for (double t = 0; t <= double(cmax) + 1e-9; t += ys) {
        o << "<line x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << Y(t)
          << "\" y2=\"" << Y(t) << "\" stroke=\"#e2e2e2\"/><text x=\"" << left - 5 << "\" y=\""
          << Y(t) + 4 << "\" text-anchor=\"end\" fill=\"#555\">" << fmt_int(std::int64_t(t), en)
          << "</text>";
    }
    for (std::size_t b = 0; b < nb; ++b) {
        const double a = lo + bw * double(b);
        o << "<rect x=\"" << X(a) + 0.5 << "\" y=\"" << Y(double(cnt[b])) << "\" width=\""
          << std::max(0.5, X(a + bw) - X(a) - 1) << "\" height=\"" << Y(0) - Y(double(cnt[b]))
          << "\" fill=\"#4e79a7\"><title>" << esc(fmt(a) + " \u2013 " + fmt(a + bw) + ": ")
          << cnt[b] << "</title></rect>";
    }
    const double xs = nice_step(xhi - lo, 5);
    for (double t = std::ceil(lo / xs) * xs; t <= xhi + 1e-9 * xs; t += xs)
        o << "<text x=\"" << X(t) << "\" y=\"" << top + plot_h + 14
          << "\" text-anchor=\"middle\" fill=\"#333\">" << esc(fmt(t)) << "</text>";
    if (std::isfinite(base))
        o << "<line x1=\"" << X(base) << "\" x2=\"" << X(base) << "\" y1=\"" << top << "\" y2=\""
          << top + plot_h << "\" stroke=\"#d62728\" stroke-width=\"2\" "
          << "stroke-dasharray=\"5 3\"><title>"
          << esc((en ? "base run: " : "basisrun: ") + fmt(base)) << "</title></line>";
    o << "<text x=\"" << (left + width - right) / 2 << "\" y=\"" << h - 8
      << "\" text-anchor=\"middle\" fill=\"#333\">" << esc(xlabel) << "</text></svg>";
    return o.str();
}

// ---------------------------------------------------------------- the report

std::string swatch(Rgb c) {
    return "<span class=\"sw\" style=\"background:" + css(c) + "\"></span>";
}

struct Report {
    fs::path run;
    fs::path dir;  // the temporary report folder
    Tr L;
    bool en = false;
    json s;     // summary.json
    json runj;  // run.json (may be empty)
    std::vector<std::int64_t> years;
    std::vector<std::string> dims, class_labels, dev_labels;
    std::vector<double> class_limits, dev_limits;
    std::vector<std::string> indicator_dims;  // dimension of each indicator (from leefbaar.h5)
    double ref_level = 0;
    std::string ref_year;
    std::vector<Rgb> cpal, dpal;
    std::ostringstream html;
    std::vector<std::string> toc;  // id|title
    // A weight sweep of this run (the folder given to write_report, else <run>/sweep).
    fs::path sweep_dir;
    bool has_sweep = false;
    CsvTable sw_members, sw_zones;
    json sw_summary;
    std::string sweep_map_html;  // the probability map, rendered by maps()

    std::string F(double v, const char* f) const { return fmt_as(v, f, en); }
    std::string period_str(const json& p) const {
        return std::to_string(p[0].get<std::int64_t>()) + "\u2013" +
               std::to_string(p[1].get<std::int64_t>());
    }
    std::string class_name(std::size_t c) const {  // 1-based
        return std::to_string(c) + " " +
               translate_label(c - 1 < class_labels.size() ? class_labels[c - 1] : "", en);
    }
    // "afwijking < -0,30 (score < 3,80)" style range of class c (1-based).
    std::string class_range(std::size_t c, const std::vector<double>& lim, bool with_score) const {
        auto v = [&](double x) {
            std::string t = fmt_dec(x, 2, en, true);
            if (with_score) t += " (" + L("score ", "score ") + fmt_dec(ref_level + x, 2, en) + ")";
            return t;
        };
        if (lim.empty()) return "";
        if (c == 1) return "< " + v(lim[0]);
        if (c == lim.size() + 1) return "\u2265 " + v(lim.back());
        return v(lim[c - 2]) + L(" tot ", " to ") + v(lim[c - 1]);
    }
    void section(const std::string& id, const std::string& title) {
        toc.push_back(id + "|" + title);
        html << "<section id=\"" << id << "\"><h2>" << esc(title) << "</h2>\n";
    }
    void end_section() { html << "</section>\n"; }
    void rule(const std::string& text) {
        html << "<p class=\"rule\"><b>" << L("Regel: ", "Rule: ") << "</b>" << text << "</p>\n";
    }

    int period_index(std::int64_t a, std::int64_t b) const {
        if (!s.contains("national_change")) return -1;
        for (std::size_t p = 0; p < s["national_change"].size(); ++p) {
            const auto& pp = s["national_change"][p]["period"];
            if (pp[0].get<std::int64_t>() == a && pp[1].get<std::int64_t>() == b) return int(p);
        }
        return -1;
    }
    // The periods the charts focus on: the last consecutive one and the whole span.
    std::vector<int> focus_periods() const {
        std::vector<int> out;
        if (years.size() >= 2) {
            const int a = period_index(years[years.size() - 2], years.back());
            if (a >= 0) out.push_back(a);
            const int b = period_index(years.front(), years.back());
            if (b >= 0 && b != a) out.push_back(b);
        }
        if (out.empty() && s.contains("national_change") && !s["national_change"].empty())
            out.push_back(int(s["national_change"].size()) - 1);
        return out;
    }
    int last_period() const {
        return years.size() >= 2 ? period_index(years[years.size() - 2], years.back()) : -1;
    }

    void load();
    void maps();
    void key_figures();
    void class_distribution();
    void decomposition();
    void start_class();
    void response_curves();
    void breakdowns();
    void typology();
    void safety();
    void load_sweep();
    void sweep_section();
    std::string page() const;
};

void Report::load() {
    {
        std::ifstream in(run / "summary.json");
        try {
            s = json::parse(in);
        } catch (const std::exception& e) {
            throw Error("report",
                        "cannot read " + (run / "summary.json").string() + ": " + e.what());
        }
    }
    if (fs::exists(run / "run.json")) {
        std::ifstream in(run / "run.json");
        runj = json::parse(in, nullptr, false);
        if (runj.is_discarded()) runj = json::object();
    }
    for (const char* k : {"years", "class_labels", "class_limits", "dimensions", "national"})
        if (!s.contains(k))
            throw Error("report", (run / "summary.json").string() + " has no '" + k +
                                      "': not a summary of this leefbaar version");
    years = s["years"].get<std::vector<std::int64_t>>();
    dims = s["dimensions"].get<std::vector<std::string>>();
    class_labels = s["class_labels"].get<std::vector<std::string>>();
    class_limits = s["class_limits"].get<std::vector<double>>();
    dev_labels = s.value("development_labels", std::vector<std::string>{});
    cpal = class_palette(class_labels.size());
    dpal = change_palette(std::max<std::size_t>(dev_labels.size(), 2));
}

void Report::maps() {
    const std::string h5 = (run / "leefbaar.h5").string();
    io::H5File f(h5, MPI_COMM_SELF, io::H5File::Mode::read_only);
    if (auto v = f.attribute("/", "reference_level")) ref_level = std::stod(*v);
    ref_year = f.attribute("/", "reference_year").value_or("");
    for (const auto& v : f.string_list("/", "development_limits"))
        dev_limits.push_back(std::stod(v));
    if (f.exists("/matrix")) indicator_dims = f.string_list("/matrix", "indicator_dimensions");
    const GridSpec g = f.read_georeference();
    const Window all = g.window();
    Canvas c;
    c.g = g;
    const std::int64_t big = std::max(g.nx, g.ny);
    c.f = std::max<std::int64_t>(1, (big + 1799) / 1800);  // national: 2 cells per pixel
    c.cw = (g.nx + c.f - 1) / c.f;
    c.ch = (g.ny + c.f - 1) / c.f;
    c.u = std::max<std::int64_t>(1, 900 / std::max(c.cw, c.ch));  // small grids enlarged
    const std::string cellsize = fmt_int(std::int64_t(g.cell * double(c.f)), en);
    const std::string scale =
        c.f == 1 ? L("1 cel van ", "1 cell of ") + cellsize + " m = " + std::to_string(c.u) +
                       L(" beeldpunt(en)", " pixel(s)")
                 : L("1 beeldpunt = ", "1 pixel = ") + cellsize + " m \u00d7 " + cellsize + " m (" +
                       std::to_string(c.f * c.f) +
                       L(" cellen; de meest voorkomende klasse of het gemiddelde",
                         " cells; the most frequent class or the mean") +
                       ")";

    // Zones from the run's aggregates: the finest layer for the land mask, gemeenten for
    // boundaries, and the typology flags per layer.
    const std::string gpkg = (run / "aggregates" / "zones.gpkg").string();
    std::map<std::string, std::vector<std::string>> layer_fields;  // layer -> field names
    if (fs::exists(gpkg)) {
        io::gdal_init();
        if (GDALDatasetH ds = GDALOpenEx(gpkg.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                                         nullptr, nullptr)) {
            for (int i = 0; i < GDALDatasetGetLayerCount(ds); ++i) {
                OGRLayerH l = GDALDatasetGetLayer(ds, i);
                OGRFeatureDefnH fd = OGR_L_GetLayerDefn(l);
                auto& v = layer_fields[OGR_L_GetName(l)];
                for (int k = 0; k < OGR_FD_GetFieldCount(fd); ++k)
                    v.push_back(OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(fd, k)));
            }
            GDALClose(ds);
        }
    }
    auto has_field = [&](const std::string& layer, const std::string& field) {
        const auto it = layer_fields.find(layer);
        return it != layer_fields.end() &&
               std::find(it->second.begin(), it->second.end(), field) != it->second.end();
    };
    auto raster = [&](const std::string& layer) {
        return io::rasterise_zones(
            {gpkg, layer, "code", has_field(layer, "name") ? "name" : "", ""}, g, all, 0);
    };
    // A per-cell flag from a zone layer's 0/1 field.
    auto flagged = [&](const io::RasterisedZones& rz, const std::string& layer,
                       const std::string& field) {
        const auto attr = io::read_zone_attribute({gpkg, layer, "code", "", ""}, field);
        std::vector<std::uint8_t> zf(rz.table.size() + 1, 0);
        for (std::size_t z = 0; z < rz.table.size(); ++z) {
            const auto it = attr.find(rz.table.codes[z]);
            zf[z + 1] = it != attr.end() && it->second != "0" && !it->second.empty();
        }
        std::vector<std::uint8_t> out(std::size_t(g.cells()));
        for (std::size_t i = 0; i < out.size(); ++i) out[i] = zf[std::size_t(rz.ids.data[i])];
        return out;
    };
    const std::string finest = layer_fields.count("buurt")
                                   ? "buurt"
                                   : (layer_fields.empty() ? "" : layer_fields.begin()->first);
    std::vector<std::int32_t> finest_ids;
    if (!finest.empty()) {
        progress("report: rasterising zones");
        auto rz = raster(finest);
        c.land = down_mode(rz.ids.data, c);
        if (layer_fields.count("gemeente")) c.gem = down_mode(raster("gemeente").ids.data, c);
    } else {
        c.land.assign(std::size_t(c.cw * c.ch), 1);
    }
    auto base = [&](std::size_t i) { return c.land[i] ? kNotScored : kOutside; };

    struct MapOut {
        std::string file, title, legend, rule;
    };
    std::vector<MapOut> out;
    const std::string Ylast = std::to_string(years.back()), Yfirst = std::to_string(years.front());
    std::vector<std::uint8_t> cls_last;

    // Score (continuous), latest year.
    progress("report: maps");
    {
        cls_last = f.read_grid<std::uint8_t>("/" + Ylast + "/class", all);
        const auto dev = f.read_grid<double>("/" + Ylast + "/deviation", all);
        const auto m = down_mean(dev, cls_last, c);
        // Colour stops at the class centres, in the class colours.
        std::vector<std::pair<double, Rgb>> stops;
        const auto& lim = class_limits;
        const std::size_t n = class_labels.size();
        for (std::size_t k = 1; k <= n && lim.size() + 1 == n && n >= 2; ++k) {
            double x;
            if (k == 1)
                x = lim[0] - (lim.size() > 1 ? (lim[1] - lim[0]) / 2 : 0.05);
            else if (k == n)
                x = lim.back() + (lim.size() > 1 ? (lim.back() - lim[lim.size() - 2]) / 2 : 0.05);
            else
                x = (lim[k - 2] + lim[k - 1]) / 2;
            stops.emplace_back(x, cpal[k - 1]);
        }
        if (stops.size() < 2) stops = {{-0.3, cpal.front()}, {0.3, cpal.back()}};
        auto ramp = [&](double v) {
            if (v <= stops.front().first) return stops.front().second;
            if (v >= stops.back().first) return stops.back().second;
            for (std::size_t k = 0; k + 1 < stops.size(); ++k)
                if (v <= stops[k + 1].first)
                    return mix(stops[k].second, stops[k + 1].second,
                               (v - stops[k].first) / (stops[k + 1].first - stops[k].first));
            return stops.back().second;
        };
        const std::string file = "kaart-score-" + Ylast + ".png";
        render(
            c, [&](std::size_t i) { return std::isnan(m[i]) ? base(i) : ramp(m[i]); },
            (dir / file).string());
        std::ostringstream lg;
        const double a = stops.front().first, b = stops.back().first;
        lg << "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 420 48\" width=\"420\" "
              "height=\"48\" "
           << kFont
           << " font-size=\"10\"><defs><linearGradient id=\"scoreramp\" x1=\"0\" x2=\"1\" y1=\"0\" "
              "y2=\"0\">";
        for (const auto& [x, col] : stops)
            lg << "<stop offset=\"" << (x - a) / (b - a) << "\" stop-color=\"" << css(col)
               << "\"/>";
        lg << "</linearGradient></defs><rect x=\"10\" y=\"4\" width=\"400\" height=\"16\" "
              "fill=\"url(#scoreramp)\" stroke=\"#888\"/>";
        for (const double x : lim)
            if (x >= a && x <= b) {
                const double px = 10 + (x - a) / (b - a) * 400;
                lg << "<line x1=\"" << px << "\" x2=\"" << px
                   << "\" y1=\"4\" y2=\"24\" stroke=\"#333\"/><text x=\"" << px
                   << "\" y=\"36\" text-anchor=\"middle\">" << esc(fmt_dec(ref_level + x, 2, en))
                   << "</text>";
            }
        lg << "</svg><div>" << swatch(kNotScored) << L("geen score", "not scored") << " "
           << swatch(kOutside) << L("buiten de zones", "outside the zones")
           << " <span class=\"sw line\"></span>" << L("gemeentegrens", "municipal boundary")
           << "</div>";
        out.push_back(
            {file, L("Score ", "Score ") + Ylast, lg.str(),
             L("score = referentieniveau ", "score = reference level ") +
                 fmt_dec(ref_level, 2, en) +
                 L(" + afwijking (som van de vijf dimensies); kleuren lopen continu mee en vallen "
                   "in het midden van elke klasse samen met de klassekleur; streepjes = "
                   "klassegrenzen. Alleen cellen met een score (voldoende inwoners en woningen). ",
                   " + deviation (sum of the dimensions); colours run continuously and equal the "
                   "class colour in the middle of each class; ticks = class limits. Only scored "
                   "cells (enough residents and dwellings). ") +
                 scale});
    }
    // Classes, latest and first year.
    for (const std::string& Y : years.size() > 1 ? std::vector<std::string>{Ylast, Yfirst}
                                                 : std::vector<std::string>{Ylast}) {
        const auto cls = Y == Ylast ? cls_last : f.read_grid<std::uint8_t>("/" + Y + "/class", all);
        const auto m = down_mode(cls, c);
        const std::string file = "kaart-klasse-" + Y + ".png";
        render(
            c,
            [&](std::size_t i) {
                return m[i] ? cpal[std::min<std::size_t>(m[i] - 1, cpal.size() - 1)] : base(i);
            },
            (dir / file).string());
        std::ostringstream lg;
        lg << "<ul class=\"legend\">";
        for (std::size_t k = 1; k <= class_labels.size(); ++k)
            lg << "<li>" << swatch(cpal[k - 1]) << esc(class_name(k)) << " <small>"
               << esc(class_range(k, class_limits, true)) << "</small></li>";
        lg << "<li>" << swatch(kNotScored) << L("geen score", "not scored") << "</li></ul>";
        out.push_back({file, L("Klasse ", "Class ") + Y, lg.str(),
                       L("klasse = vaste grenzen op de afwijking, voor alle jaren gelijk (rood "
                         "1\u20133 onvoldoende of slechter, geel 4\u20135, groen 6\u20139). ",
                         "class = fixed limits on the deviation, the same every year (red 1\u20133 "
                         "inadequate or worse, yellow 4\u20135, green 6\u20139). ") +
                           scale});
    }
    // Change: development classes of the last period and the whole span.
    for (const int p : focus_periods()) {
        const auto& pp = s["national_change"][std::size_t(p)]["period"];
        const std::string key = std::to_string(pp[0].get<std::int64_t>()) + "-" +
                                std::to_string(pp[1].get<std::int64_t>());
        const std::string ds = "/delta/" + key + "/class";
        if (!f.exists(ds)) continue;
        const auto m = down_mode(f.read_grid<std::uint8_t>(ds, all), c);
        const std::string file = "kaart-ontwikkeling-" + key + ".png";
        render(
            c,
            [&](std::size_t i) {
                return m[i] ? dpal[std::min<std::size_t>(m[i] - 1, dpal.size() - 1)] : base(i);
            },
            (dir / file).string());
        std::ostringstream lg;
        lg << "<ul class=\"legend\">";
        for (std::size_t k = 1; k <= dev_labels.size(); ++k)
            lg << "<li>" << swatch(dpal[k - 1]) << esc(translate_label(dev_labels[k - 1], en))
               << " <small>" << esc(class_range(k, dev_limits, false)) << "</small></li>";
        lg << "<li>" << swatch(kNotScored)
           << L("niet in beide jaren een score", "not scored in both years") << "</li></ul>";
        out.push_back({file, L("Ontwikkeling ", "Change ") + period_str(pp), lg.str(),
                       L("verschil van de score tussen de twee jaren (cellen met een score in "
                         "beide jaren), ingedeeld in ontwikkelingsklassen met vaste grenzen op het "
                         "verschil; rood = achteruitgang, blauw = vooruitgang. ",
                         "difference of the score between the two years (cells scored in both "
                         "years), in development classes with fixed limits on the difference; red "
                         "= decline, blue = improvement. ") +
                           scale});
    }
    // Typology: regions (type 3) as background, kwetsbare wijken and clusters (type 1),
    // aandachtsbuurten (type 2) on top; other populated cells grey.
    const json t = s.contains("typology") ? s["typology"] : json::object();
    if (t.value("applied", false) && !finest.empty()) {
        const std::size_t n = std::size_t(g.cells());
        std::vector<std::uint8_t> type(n, 0);  // 3, 1 (wijk), 4 (cluster), 2, later wins
        auto paint = [&](const std::vector<std::uint8_t>& fl, std::uint8_t v) {
            for (std::size_t i = 0; i < n; ++i)
                if (fl[i]) type[i] = v;
        };
        std::string region_layer;
        for (const auto& [layer, fields] : layer_fields)
            if (has_field(layer, "aandachtsregio")) region_layer = layer;
        std::string wijk_layer;
        for (const auto& [layer, fields] : layer_fields)
            if (has_field(layer, "kwetsbare_wijk")) wijk_layer = layer;
        if (!region_layer.empty())
            paint(flagged(raster(region_layer), region_layer, "aandachtsregio"), 3);
        const auto rb = raster(finest);
        if (has_field(finest, "kwetsbaar_cluster"))
            paint(flagged(rb, finest, "kwetsbaar_cluster"), 4);
        if (!wijk_layer.empty())
            paint(flagged(raster(wijk_layer), wijk_layer, "kwetsbare_wijk"), 1);
        if (has_field(finest, "aandachtsbuurt")) paint(flagged(rb, finest, "aandachtsbuurt"), 2);
        // Populated = scored in the latest year; the type colour is stronger on populated cells.
        std::vector<std::uint8_t> code(n, 0);
        for (std::size_t i = 0; i < n; ++i)
            code[i] = std::uint8_t(type[i] * 2 + (cls_last[i] ? 1 : 0) + 1);
        const auto m = down_mode(code, c);
        auto colour = [&](std::size_t i) {
            if (!m[i]) return base(i);
            const int ty = (m[i] - 1) / 2;
            const bool pop = (m[i] - 1) % 2;
            Rgb col = ty == 3   ? kType3
                      : ty == 1 ? kType1
                      : ty == 4 ? kType1Cluster
                      : ty == 2 ? kType2
                                : (pop ? kTypePopulated : kNotScored);
            if (ty != 0 && !pop) col = mix(col, hex("#ffffff"), ty == 3 ? 0.45 : 0.35);
            if (ty == 0 && !c.land[i]) col = kOutside;
            return col;
        };
        const std::string file = "kaart-typologie-" + Ylast + ".png";
        render(c, colour, (dir / file).string());
        std::ostringstream lg;
        lg << "<ul class=\"legend\"><li>" << swatch(kType2)
           << L("type 2: aandachtsbuurt", "type 2: buurt needing attention") << "</li><li>"
           << swatch(kType1) << L("type 1: kwetsbare wijk", "type 1: vulnerable district (wijk)")
           << "</li><li>" << swatch(kType1Cluster)
           << L("type 1: cluster van kwetsbare buurten", "type 1: cluster of vulnerable buurten")
           << "</li><li>" << swatch(kType3)
           << L("type 3: aandachtsregio", "type 3: region needing attention") << "</li><li>"
           << swatch(kTypePopulated) << L("overige cellen met een score", "other scored cells")
           << "</li><li>" << swatch(kNotScored) << L("geen score", "not scored") << "</li></ul>";
        out.push_back(
            {file, L("Typologie ", "Typology ") + Ylast, lg.str(),
             L("gebieden die aan alle criteria van een type voldoen (zie de criteria bij de "
               "tabellen hieronder); lichtere tint = cellen zonder score in het gebied. ",
               "areas that meet every criterion of a type (see the criteria with the tables "
               "below); lighter tint = unscored cells in the area. ") +
                 scale});
    }

    // Sweep: probability of being onvoldoende per buurt over the members (rendered here with the
    // other maps, shown in the sweep section).
    if (has_sweep && !finest.empty()) {
        const int cl = sw_zones.col("level"), cc = sw_zones.col("code"),
                  cp = sw_zones.col("p_onvoldoende");
        std::map<std::string, double> prob;
        std::string level = finest;
        for (const auto& r : sw_zones.rows)
            if (cl >= 0 && cc >= 0 && cp >= 0 && std::size_t(cp) < r.size() &&
                r[std::size_t(cl)] == level && !r[std::size_t(cp)].empty())
                prob[r[std::size_t(cc)]] = csv_num(r[std::size_t(cp)]);
        const std::vector<Rgb> pal{hex("#fee5d9"), hex("#fcbba1"), hex("#fc9272"),
                                   hex("#fb6a4a"), hex("#de2d26"), hex("#a50f15")};
        auto bin = [](double p) -> std::uint8_t {
            if (!(p >= 0)) return 0;
            if (p <= 0) return 1;
            if (p < 0.1) return 2;
            if (p < 0.5) return 3;
            if (p < 0.9) return 4;
            if (p < 1) return 5;
            return 6;
        };
        const auto rb = raster(finest);
        std::vector<std::uint8_t> zb(rb.table.size() + 1, 0);
        for (std::size_t z = 0; z < rb.table.size(); ++z) {
            const auto it = prob.find(rb.table.codes[z]);
            if (it != prob.end()) zb[z + 1] = bin(it->second);
        }
        std::vector<std::uint8_t> code(std::size_t(g.cells()));
        for (std::size_t i = 0; i < code.size(); ++i) code[i] = zb[std::size_t(rb.ids.data[i])];
        const auto m = down_mode(code, c);
        const std::string file = "kaart-sweep-kans-onvoldoende.png";
        render(
            c, [&](std::size_t i) { return m[i] ? pal[m[i] - 1] : base(i); },
            (dir / file).string());
        const char* names_nl[] = {"nooit (0%)",
                                  "zelden (< 10%)",
                                  "soms (10\u201350%)",
                                  "vaak (50\u201390%)",
                                  "bijna altijd (\u2265 90%)",
                                  "altijd (100%)"};
        const char* names_en[] = {"never (0%)",
                                  "rarely (< 10%)",
                                  "sometimes (10\u201350%)",
                                  "often (50\u201390%)",
                                  "almost always (\u2265 90%)",
                                  "always (100%)"};
        std::ostringstream lg;
        lg << "<ul class=\"legend\">";
        for (std::size_t k = 0; k < pal.size(); ++k)
            lg << "<li>" << swatch(pal[k]) << esc(L(names_nl[k], names_en[k])) << "</li>";
        lg << "<li>" << swatch(kNotScored)
           << L("geen kans bekend (buurt zonder inwoners of buiten de sweep)",
                "no probability (buurt without residents or outside the sweep)")
           << "</li></ul>";
        const std::string title =
            L("Kans op onvoldoende per ", "Probability of onvoldoende per ") + level;
        std::ostringstream fig;
        fig << "<figure class=\"map\"><h3>" << esc(title) << "</h3><img src=\"" << esc(file)
            << "\" width=\"" << c.width() << "\" height=\"" << c.height() << "\" alt=\""
            << esc(title) << "\"><figcaption>" << lg.str() << "<p class=\"rule\"><b>"
            << L("Regel: ", "Rule: ") << "</b>"
            << esc(L("aandeel van de leden van de sweep waarin de buurt onvoldoende is (in het "
                     "laatste jaar genoeg inwoners in cellen van een onvoldoende klasse, de regel "
                     "van de run); elke buurt in zijn klasse van kans, hele buurt gekleurd. ",
                     "share of the sweep's members in which the buurt is onvoldoende (in the "
                     "latest "
                     "year enough residents in cells of an onvoldoende class, the run's rule); "
                     "each buurt coloured by its probability bin, whole buurt. ") +
                   scale)
            << "</p></figcaption></figure>\n";
        sweep_map_html = fig.str();
    }

    section("kaarten", L("Kaarten", "Maps"));
    html << "<p>"
         << esc(L("Landelijk grid van ", "National grid of ") + fmt_int(g.nx, en) + " \u00d7 " +
                fmt_int(g.ny, en) + L(" cellen van ", " cells of ") +
                fmt_int(std::int64_t(g.cell), en) + " m (EPSG:" + std::to_string(g.epsg) + ")")
         << ". " << L("Noorden boven.", "North up.") << "</p>\n<div class=\"maps\">\n";
    for (const auto& mo : out)
        html << "<figure class=\"map\"><h3>" << esc(mo.title) << "</h3><img src=\"" << esc(mo.file)
             << "\" width=\"" << c.width() << "\" height=\"" << c.height() << "\" alt=\""
             << esc(mo.title) << "\"><figcaption>" << mo.legend << "<p class=\"rule\"><b>"
             << L("Regel: ", "Rule: ") << "</b>" << esc(mo.rule) << "</p></figcaption></figure>\n";
    html << "</div>\n";
    end_section();
}

void Report::key_figures() {
    section("kerncijfers", L("Kerncijfers", "Key figures"));
    html << "<table><thead><tr><th>" << L("jaar", "year") << "</th><th>"
         << L("inwoners", "residents") << "</th><th>" << L("cellen met score", "scored cells")
         << "</th><th>" << L("gem. afwijking", "mean deviation") << "</th><th>"
         << L("gem. score", "mean score") << "</th><th>"
         << L("aandeel inwoners klasse 1\u20133 (onvoldoende of slechter)",
              "share of residents in class 1\u20133 (inadequate or worse)")
         << "</th><th>"
         << L("aandeel inwoners klasse \u2265 6 (ruim voldoende of beter)",
              "share of residents in class \u2265 6 (more than adequate or better)")
         << "</th><th>" << L("onvoldoende buurten", "inadequate buurten") << "</th><th>"
         << L("buurten met inwoners", "buurten with residents") << "</th></tr></thead><tbody>\n";
    for (std::size_t y = 0; y < s["national"].size(); ++y) {
        const std::string P = "/national/" + std::to_string(y);
        const json& n = s["national"][y];
        html << "<tr>"
             << "<th>" << n["year"].get<std::int64_t>() << "</th>"
             << td(s, P + "/residents", "int", en) << td(s, P + "/scored_cells", "int", en)
             << td(s, P + "/mean_deviation", "dec3", en) << "<td class=\"n\">"
             << fmt_dec(ref_level + num(n["mean_deviation"]), 3, en) << "</td>"
             << td(s, P + "/share_residents_onvoldoende", "pct1", en)
             << td(s, P + "/share_residents_class6_plus", "pct1", en)
             << td(s, P + "/onvoldoende_buurten", "int", en)
             << td(s, P + "/buurten_with_residents", "int", en) << "</tr>\n";
    }
    html << "</tbody></table>\n";
    rule(
        esc(L("aandelen van de inwoners van cellen met een score; een onvoldoende buurt is een "
              "buurt waarin minstens 100 inwoners (instelbaar: "
              "aggregation.onvoldoende_min_residents) in cellen van klasse 1\u20133 wonen; "
              "gemiddelden zijn inwoners-gewogen; score = referentieniveau ",
              "shares of the residents of scored cells; an inadequate buurt is a buurt in which at "
              "least 100 residents (configurable: aggregation.onvoldoende_min_residents) live in "
              "cells of class 1\u20133; means are resident-weighted; score = reference level ") +
            fmt_dec(ref_level, 2, en) +
            L(" + afwijking; referentiejaar ", " + deviation; reference year ") + ref_year + "."));
    if (s.contains("national_change")) {
        html << "<h3>"
             << L("Verandering van het aantal inwoners per klasse", "Change in residents per class")
             << "</h3>\n<table><thead><tr><th>" << L("periode", "period") << "</th><th>"
             << L("gem. ontwikkeling", "mean change") << "</th>";
        for (std::size_t k = 1; k <= class_labels.size(); ++k)
            html << "<th>" << esc(class_name(k)) << "</th>";
        html << "</tr></thead><tbody>\n";
        for (std::size_t p = 0; p < s["national_change"].size(); ++p) {
            const std::string P = "/national_change/" + std::to_string(p);
            html << "<tr><th>" << period_str(s["national_change"][p]["period"]) << "</th>"
                 << td(s, P + "/mean_delta", "dec4", en);
            for (std::size_t k = 0; k < class_labels.size(); ++k)
                html << td(s, P + "/change_residents_per_class/" + std::to_string(k), "sint", en,
                           k == 3 ? "n hl" : "n");
            html << "</tr>\n";
        }
        html << "</tbody></table>\n";
        rule(
            esc(L("inwoners per klasse in het eindjaar min die in het beginjaar (alle inwoners van "
                  "cellen met een score); gem. ontwikkeling = inwoners-gewogen gemiddelde "
                  "verandering van de afwijking over cellen met een score in beide jaren. Klasse 4 "
                  "(zwak) gemarkeerd.",
                  "residents per class in the final year minus those in the first year (all "
                  "residents of scored cells); mean change = resident-weighted mean change of the "
                  "deviation over cells scored in both years. Class 4 (weak) highlighted.")));
    }
    end_section();
}

void Report::class_distribution() {
    section("klassen", L("Verdeling over de klassen", "Distribution over the classes"));
    std::vector<std::string> rows;
    std::vector<std::vector<double>> shares;
    for (const auto& n : s["national"]) {
        rows.push_back(std::to_string(n["year"].get<std::int64_t>()));
        const auto rc = n["residents_per_class"].get<std::vector<double>>();
        double tot = 0;
        for (const double v : rc) tot += v;
        std::vector<double> sh;
        for (const double v : rc) sh.push_back(tot > 0 ? v / tot : 0.0);
        shares.push_back(sh);
    }
    html << "<figure class=\"chart\">"
         << svg_stacked(rows, shares, cpal, en, L("Inwoners per klasse", "Residents per class"))
         << "<figcaption><ul class=\"legend\">";
    for (std::size_t k = 1; k <= class_labels.size(); ++k)
        html << "<li>" << swatch(cpal[k - 1]) << esc(class_name(k)) << "</li>";
    html << "</ul><p class=\"rule\"><b>" << L("Regel: ", "Rule: ") << "</b>"
         << esc(L("aandeel van de inwoners van cellen met een score per klasse, per meetjaar; "
                  "klassegrenzen op de afwijking: ",
                  "share of the residents of scored cells per class, per measurement year; class "
                  "limits on the deviation: "));
    for (std::size_t k = 0; k < class_limits.size(); ++k)
        html << (k ? "; " : "") << esc(fmt_dec(class_limits[k], 2, en, true));
    html << ".</p></figcaption></figure>\n<table><thead><tr><th>" << L("jaar", "year") << "</th>";
    for (std::size_t k = 1; k <= class_labels.size(); ++k)
        html << "<th>" << esc(class_name(k)) << "</th>";
    html << "</tr></thead><tbody>\n";
    for (std::size_t y = 0; y < s["national"].size(); ++y) {
        html << "<tr><th>" << s["national"][y]["year"].get<std::int64_t>() << "</th>";
        for (std::size_t k = 0; k < class_labels.size(); ++k)
            html << td(
                s, "/national/" + std::to_string(y) + "/residents_per_class/" + std::to_string(k),
                "int", en);
        html << "</tr>\n";
    }
    html << "</tbody></table>\n<p class=\"note\">"
         << L("Inwoners per klasse.", "Residents per class.") << "</p>\n";
    end_section();
}

void Report::decomposition() {
    if (!s.contains("national_change") || s["national_change"].empty()) return;
    section("ontwikkeling", L("Ontwikkeling en ontleding", "Change and its decomposition"));
    auto f4 = [&](double v) { return fmt_dec(v, 4, en, true); };
    html << "<div class=\"charts\">";
    for (const int p : focus_periods()) {
        const json& c = s["national_change"][std::size_t(p)];
        std::vector<Bar> bars;
        for (std::size_t d = 0; d < dims.size(); ++d)
            bars.push_back({pretty_dimension(dims[d], en),
                            num(c["by_dimension"].value(dims[d], json())), series_colours()[d % 8],
                            false});
        bars.push_back({L("totaal", "total"), num(c["mean_delta"]), hex("#444444"), true});
        html << "<figure class=\"chart\"><h3>" << L("Per dimensie, ", "By dimension, ")
             << period_str(c["period"]) << "</h3>"
             << svg_hbars(bars, f4, L("Ontwikkeling per dimensie", "Change by dimension"), en)
             << "</figure>";
    }
    html << "</div>\n";
    rule(esc(
        L("het model is additief: de inwoners-gewogen gemiddelde verandering van de afwijking "
          "(cellen met een score in beide jaren) is precies de som van de veranderingen van de "
          "dimensies, en elke dimensie de som van haar indicatoren (gewicht \u00d7 verandering van "
          "de gestandaardiseerde waarde).",
          "the model is additive: the resident-weighted mean change of the deviation (cells scored "
          "in both years) is exactly the sum of the dimensions' changes, and each dimension the "
          "sum of its indicators (weight \u00d7 change of the standardised value).")));
    html << "<table><thead><tr><th>" << L("dimensie", "dimension") << "</th>";
    for (const auto& c : s["national_change"]) html << "<th>" << period_str(c["period"]) << "</th>";
    html << "</tr></thead><tbody>\n";
    for (const auto& d : dims) {
        html << "<tr><th>" << esc(pretty_dimension(d, en)) << "</th>";
        for (std::size_t p = 0; p < s["national_change"].size(); ++p)
            html << td(s,
                       "/national_change/" + std::to_string(p) + "/by_dimension/" + ptr_escape(d),
                       "dec4", en);
        html << "</tr>\n";
    }
    html << "<tr class=\"total\"><th>" << L("totaal", "total") << "</th>";
    for (std::size_t p = 0; p < s["national_change"].size(); ++p)
        html << td(s, "/national_change/" + std::to_string(p) + "/mean_delta", "dec4", en);
    html << "</tr></tbody></table>\n";

    // Top indicators.
    const auto inds = s.value("indicators", std::vector<std::string>{});
    auto dim_of = [&](const std::string& name) -> std::string {
        for (std::size_t i = 0; i < inds.size() && i < indicator_dims.size(); ++i)
            if (inds[i] == name) return indicator_dims[i];
        return "";
    };
    const std::size_t top_n = 10;
    for (const int p : focus_periods()) {
        const json& c = s["national_change"][std::size_t(p)];
        if (!c.contains("by_indicator")) continue;
        std::vector<std::pair<std::string, double>> v;
        for (const auto& [k, x] : c["by_indicator"].items()) v.emplace_back(k, num(x));
        std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
            return std::fabs(a.second) > std::fabs(b.second) ||
                   (std::fabs(a.second) == std::fabs(b.second) && a.first < b.first);
        });
        if (v.size() > top_n) v.resize(top_n);
        std::vector<Bar> bars;
        for (const auto& [k, x] : v) {
            const std::string d = dim_of(k);
            const auto di = std::size_t(std::find(dims.begin(), dims.end(), d) - dims.begin());
            bars.push_back(
                {k, x, di < dims.size() ? series_colours()[di % 8] : hex("#888888"), false});
        }
        html << "<h3>"
             << L("Grootste bijdragen van indicatoren, ", "Largest indicator contributions, ")
             << period_str(c["period"]) << "</h3>"
             << "<figure class=\"chart\">"
             << svg_hbars(bars, f4, L("Bijdrage per indicator", "Contribution per indicator"), en,
                          700, 240)
             << "<figcaption><ul class=\"legend\">";
        for (std::size_t d = 0; d < dims.size(); ++d)
            html << "<li>" << swatch(series_colours()[d % 8]) << esc(pretty_dimension(dims[d], en))
                 << "</li>";
        html << "</ul><p class=\"rule\"><b>" << L("Regel: ", "Rule: ") << "</b>"
             << esc(L("de " + std::to_string(v.size()) +
                          " indicatoren met de grootste absolute bijdrage aan de gemiddelde "
                          "verandering; kleur = dimensie.",
                      "the " + std::to_string(v.size()) +
                          " indicators with the largest absolute contribution to the mean change; "
                          "colour = dimension."))
             << "</p></figcaption></figure>\n<table><thead><tr><th>" << L("indicator", "indicator")
             << "</th><th>" << L("dimensie", "dimension") << "</th><th>"
             << L("bijdrage", "contribution") << "</th></tr></thead><tbody>\n";
        for (const auto& [k, x] : v)
            html << "<tr><td><code>" << esc(k) << "</code></td><td>"
                 << esc(pretty_dimension(dim_of(k), en)) << "</td>"
                 << td(s,
                       "/national_change/" + std::to_string(p) + "/by_indicator/" + ptr_escape(k),
                       "dec4", en)
                 << "</tr>\n";
        html << "</tbody></table>\n";
    }
    end_section();
}

void Report::start_class() {
    if (!s.contains("national_change") || s["national_change"].empty()) return;
    section("startklasse",
            L("Ontwikkeling naar klasse in het beginjaar", "Change by class of the starting year"));
    html << "<p>"
         << L("Verbeteren zwakke gebieden minder dan goede?",
              "Do weak areas improve less than good ones?")
         << "</p>\n<div class=\"charts\">";
    auto f4 = [&](double v) { return fmt_dec(v, 4, en, true); };
    for (const int p : focus_periods()) {
        const json& c = s["national_change"][std::size_t(p)];
        if (!c.contains("by_start_class")) continue;
        std::vector<Bar> bars;
        for (const auto& b : c["by_start_class"]) {
            const auto k = b["class"].get<std::size_t>();
            bars.push_back({class_name(k), num(b["mean_delta"]),
                            cpal[std::min(k - 1, cpal.size() - 1)], false});
        }
        bars.push_back({L("alle cellen", "all cells"), num(c["mean_delta"]), hex("#444444"), true});
        html << "<figure class=\"chart\"><h3>" << period_str(c["period"]) << "</h3>"
             << svg_hbars(bars, f4, L("Ontwikkeling naar beginklasse", "Change by starting class"),
                          en, 560, 190)
             << "</figure>";
    }
    html << "</div>\n";
    rule(esc(
        L("inwoners-gewogen gemiddelde verandering van de afwijking over cellen met een score in "
          "beide jaren, gegroepeerd naar de klasse van de cel in het beginjaar; kleur = klasse.",
          "resident-weighted mean change of the deviation over cells scored in both years, grouped "
          "by the cell's class in the starting year; colour = class.")));
    html << "<table><thead><tr><th>" << L("klasse in beginjaar", "class in starting year")
         << "</th>";
    for (const auto& c : s["national_change"])
        html << "<th>" << period_str(c["period"]) << "<br><small>" << L("inwoners", "residents")
             << "</small></th><th>" << period_str(c["period"]) << "<br><small>"
             << L("gem. ontwikkeling", "mean change") << "</small></th>";
    html << "</tr></thead><tbody>\n";
    for (std::size_t k = 0; k < class_labels.size(); ++k) {
        html << "<tr><th>" << esc(class_name(k + 1)) << "</th>";
        for (std::size_t p = 0; p < s["national_change"].size(); ++p) {
            const std::string P =
                "/national_change/" + std::to_string(p) + "/by_start_class/" + std::to_string(k);
            html << td(s, P + "/residents", "int", en) << td(s, P + "/mean_delta", "dec4", en);
        }
        html << "</tr>\n";
    }
    html << "</tbody></table>\n";
    end_section();
}

void Report::response_curves() {
    if (!s.contains("share_bins") || s["share_bins"].empty()) return;
    section("huurwoningen", L("Score en ontwikkeling naar aandeel huurwoningen",
                              "Score and change by share of rental housing"));
    const int lp = last_period();
    const std::string lps =
        lp >= 0 ? period_str(s["national_change"][std::size_t(lp)]["period"]) : "";
    auto f3 = [&](double v) { return fmt_dec(v, 3, en, true); };
    auto f4 = [&](double v) { return fmt_dec(v, 4, en, true); };
    for (std::size_t i = 0; i < s["share_bins"].size(); ++i) {
        const json& sb = s["share_bins"][i];
        const std::string name = share_bin_label(sb.value("name", ""), sb, en);
        html << "<h3>" << esc(name) << "</h3>\n<div class=\"charts\">";
        std::vector<Bar> a, b;
        for (const auto& bin : sb["bins"]) {
            const std::string lab =
                fmt_pct(num(bin["from"]), 0, en) + "\u2013" + fmt_pct(num(bin["to"]), 0, en);
            const double dev = num(bin["mean_deviation"]);
            const int cls =
                std::isnan(dev)
                    ? 0
                    : 1 + int(std::upper_bound(class_limits.begin(), class_limits.end(), dev) -
                              class_limits.begin());
            a.push_back({lab, dev, cls ? cpal[std::size_t(cls - 1)] : hex("#999999"), false});
            const double d = bin.contains("mean_delta_last_period")
                                 ? num(bin["mean_delta_last_period"])
                                 : std::nan("");
            b.push_back({lab, d, d < 0 ? dpal.front() : dpal.back(), false});
        }
        html << "<figure class=\"chart\"><h4>" << L("gemiddelde afwijking ", "mean deviation ")
             << years.back() << "</h4>" << svg_hbars(a, f3, name, en, 460, 110) << "</figure>";
        if (lp >= 0)
            html << "<figure class=\"chart\"><h4>" << L("gemiddelde ontwikkeling ", "mean change ")
                 << lps << "</h4>" << svg_hbars(b, f4, name, en, 460, 110) << "</figure>";
        html << "</div>\n";
        rule(esc(
            L("buurten ingedeeld naar hun aandeel " + sb.value("numerator", "") + " / " +
                  sb.value("denominator", "") + " in " + std::to_string(years.back()) +
                  "; per klasse het inwoners-gewogen gemiddelde van de afwijking van alle cellen "
                  "in die buurten (kleur = klasse van dat gemiddelde) en de gemiddelde "
                  "ontwikkeling in de laatste periode (rood = achteruitgang, blauw = vooruitgang).",
              "buurten grouped by their share " + sb.value("numerator", "") + " / " +
                  sb.value("denominator", "") + " in " + std::to_string(years.back()) +
                  "; per bin the resident-weighted mean deviation of all cells in those buurten "
                  "(colour = class of that mean) and the mean change over the last period (red = "
                  "decline, blue = improvement).")));
        html << "<table><thead><tr><th>" << L("aandeel", "share") << "</th><th>"
             << L("inwoners", "residents") << "</th><th>" << L("gem. afwijking", "mean deviation")
             << "</th><th>"
             << L("aandeel inwoners klasse 1\u20133", "share of residents in class 1\u20133")
             << "</th><th>" << L("gem. ontwikkeling ", "mean change ") << lps
             << "</th></tr></thead><tbody>\n";
        for (std::size_t k = 0; k < sb["bins"].size(); ++k) {
            const std::string P = "/share_bins/" + std::to_string(i) + "/bins/" + std::to_string(k);
            html << "<tr><th>" << esc(a[k].label) << "</th>" << td(s, P + "/residents", "int", en)
                 << td(s, P + "/mean_deviation", "dec3", en)
                 << td(s, P + "/share_residents_onvoldoende", "pct1", en)
                 << td(s, P + "/mean_delta_last_period", "dec4", en) << "</tr>\n";
        }
        html << "</tbody></table>\n";
    }
    end_section();
}

void Report::breakdowns() {
    if (!s.contains("breakdowns")) return;
    section("groepen",
            L("Gemeentegroepen en krimpregio's", "Municipality groups and declining regions"));
    auto f3 = [&](double v) { return fmt_dec(v, 3, en, true); };
    auto fp = [&](double v) { return fmt_pct(v, 1, en); };
    for (const char* key : {"municipality_group", "declining"}) {
        if (!s["breakdowns"].contains(key)) continue;
        const json& b = s["breakdowns"][key];
        const bool mg = std::string(key) == "municipality_group";
        html << "<h3>"
             << (mg ? L("Gemeentegroepen (G4, G40, overige)",
                        "Municipality groups (G4, G40, other)")
                    : L("Krimpregio's tegenover de rest", "Declining regions against the rest"))
             << "</h3>\n<div class=\"charts\">";
        std::vector<std::string> xs;
        for (const auto y : years) xs.push_back(std::to_string(y));
        std::vector<Series> dev, onv;
        for (std::size_t gi = 0; gi < b.size(); ++gi) {
            Series a{group_label(key, b[gi]["group"].get<std::string>(), en),
                     series_colours()[gi % 8],
                     {}},
                o = a;
            for (const auto& y : b[gi]["years"]) {
                a.values.push_back(num(y["mean_deviation"]));
                o.values.push_back(num(y["share_residents_onvoldoende"]));
            }
            dev.push_back(a);
            onv.push_back(o);
        }
        html << "<figure class=\"chart\"><h4>" << L("gemiddelde afwijking", "mean deviation")
             << "</h4>"
             << svg_lines(xs, dev, f3,
                          L("Gemiddelde afwijking per groep", "Mean deviation per group"), en,
                          false)
             << "</figure>";
        html << "<figure class=\"chart\"><h4>"
             << L("aandeel inwoners klasse 1\u20133", "share of residents in class 1\u20133")
             << "</h4>"
             << svg_lines(xs, onv, fp,
                          L("Aandeel onvoldoende per groep", "Share inadequate per group"), en,
                          true)
             << "</figure></div>\n";
        rule(esc(mg ? L("gemeenten ingedeeld naar het groepsveld van de gemeentelaag (G4 = de vier "
                        "grootste steden, G40 = de volgende 40); inwoners-gewogen gemiddelden over "
                        "alle cellen met een score in de groep.",
                        "municipalities grouped by the gemeente layer's group field (G4 = the four "
                        "largest cities, G40 = the next 40); resident-weighted means over all "
                        "scored cells in the group.")
                    : L("gemeenten ingedeeld naar het krimpveld van de gemeentelaag (1 = regio met "
                        "bevolkingsdaling); inwoners-gewogen gemiddelden.",
                        "municipalities grouped by the gemeente layer's decline field (1 = region "
                        "with population decline); resident-weighted means.")));
        html << "<table><thead><tr><th>" << L("groep", "group") << "</th><th>" << L("jaar", "year")
             << "</th><th>" << L("inwoners", "residents") << "</th><th>"
             << L("gem. afwijking", "mean deviation") << "</th><th>"
             << L("aandeel inwoners klasse 1\u20133", "share of residents in class 1\u20133")
             << "</th></tr></thead><tbody>\n";
        for (std::size_t gi = 0; gi < b.size(); ++gi)
            for (std::size_t y = 0; y < b[gi]["years"].size(); ++y) {
                const std::string P = "/breakdowns/" + std::string(key) + "/" + std::to_string(gi) +
                                      "/years/" + std::to_string(y);
                html << "<tr><th>" << esc(group_label(key, b[gi]["group"].get<std::string>(), en))
                     << "</th><td>" << b[gi]["years"][y]["year"].get<std::int64_t>() << "</td>"
                     << td(s, P + "/residents", "int", en)
                     << td(s, P + "/mean_deviation", "dec3", en)
                     << td(s, P + "/share_residents_onvoldoende", "pct1", en) << "</tr>\n";
            }
        html << "</tbody></table>\n<table><thead><tr><th>" << L("groep", "group") << "</th><th>"
             << L("periode", "period") << "</th><th>" << L("gem. ontwikkeling", "mean change")
             << "</th>";
        for (const auto& d : dims) html << "<th>" << esc(pretty_dimension(d, en)) << "</th>";
        html << "</tr></thead><tbody>\n";
        for (std::size_t gi = 0; gi < b.size(); ++gi)
            for (std::size_t p = 0; p < b[gi].value("periods", json::array()).size(); ++p) {
                const std::string P = "/breakdowns/" + std::string(key) + "/" + std::to_string(gi) +
                                      "/periods/" + std::to_string(p);
                html << "<tr><th>" << esc(group_label(key, b[gi]["group"].get<std::string>(), en))
                     << "</th><td>" << period_str(b[gi]["periods"][p]["period"]) << "</td>"
                     << td(s, P + "/mean_delta", "dec4", en);
                for (const auto& d : dims)
                    html << td(s, P + "/by_dimension/" + ptr_escape(d), "dec4", en);
                html << "</tr>\n";
            }
        html << "</tbody></table>\n";
    }
    end_section();
}

void Report::typology() {
    if (!s.contains("typology")) return;
    const json& t = s["typology"];
    section("typologie",
            L("Typologie van gebieden onder druk", "Typology of areas under pressure"));
    if (!t.value("applied", false)) {
        html << "<p class=\"note\">" << esc(translate_rule(t.value("note", ""), en)) << "</p>\n";
        end_section();
        return;
    }
    auto criteria = [&](const json& j) {
        html << "<p class=\"rule\"><b>" << L("Criteria (alle): ", "Criteria (all): ")
             << "</b></p><ol class=\"criteria\">";
        for (const auto& c : j.value("criteria", json::array()))
            html << "<li>" << esc(translate_rule(c.get<std::string>(), en)) << "</li>";
        html << "</ol>\n";
    };
    auto members = [&](const std::string& key, bool gemeente) {
        const json& j = t[key];
        html << "<p>" << L("Aantal: ", "Count: ") << "<span class=\"n\" data-src=\"/typology/"
             << key << "/count\" data-v=\"" << j.value("count", 0) << "\" data-fmt=\"int\">"
             << fmt_int(j.value("count", 0), en) << "</span>";
        if (gemeente && j.contains("gemeenten") && !j["gemeenten"].empty()) {
            html << "; " << L("in ", "in ") << j["gemeenten"].size()
                 << L(" gemeente(n): ", " municipalities: ");
            std::string gs;
            for (const auto& g : j["gemeenten"])
                gs += (gs.empty() ? "" : ", ") + g.get<std::string>();
            html << esc(gs);
        }
        html << "</p>\n";
        const auto& ms = j.value("members", json::array());
        if (!ms.empty()) {
            html << (ms.size() > 40 ? "<details><summary>" + L("Leden", "Members") + " (" +
                                          std::to_string(ms.size()) + ")</summary>"
                                    : std::string())
                 << "<table><thead><tr><th>" << L("code", "code") << "</th><th>"
                 << L("naam", "name") << "</th>"
                 << (gemeente ? "<th>" + L("gemeente", "municipality") + "</th>" : std::string())
                 << "<th>" << L("inwoners", "residents") << " " << years.back()
                 << "</th></tr></thead><tbody>\n";
            for (std::size_t i = 0; i < ms.size(); ++i) {
                html << "<tr><td>" << esc(ms[i].value("code", "")) << "</td><td>"
                     << esc(ms[i].value("name", "")) << "</td>";
                if (gemeente) html << "<td>" << esc(ms[i].value("gemeente", "")) << "</td>";
                html << td(s, "/typology/" + key + "/members/" + std::to_string(i) + "/residents",
                           "int", en)
                     << "</tr>\n";
            }
            html << "</tbody></table>" << (ms.size() > 40 ? "</details>" : "") << "\n";
        }
        const auto& nm = j.value("near_misses", json::array());
        html << "<h4>"
             << L("Bijna (op \u00e9\u00e9n criterium na)", "Near misses (all criteria but one)")
             << "</h4>\n";
        if (nm.empty()) {
            html << "<p class=\"note\">" << L("Geen.", "None.") << "</p>\n";
        } else {
            html << (nm.size() > 25 ? "<details><summary>" + std::to_string(nm.size()) +
                                          L(" gebieden", " areas") + "</summary>"
                                    : std::string())
                 << "<table><thead><tr><th>" << L("code", "code") << "</th><th>"
                 << L("naam", "name") << "</th><th>" << L("gemist criterium", "criterion missed")
                 << "</th></tr></thead><tbody>\n";
            for (const auto& x : nm)
                html << "<tr><td>" << esc(x.value("code", "")) << "</td><td>"
                     << esc(x.value("name", "")) << "</td><td>"
                     << esc(translate_rule(x.value("missed", ""), en)) << "</td></tr>\n";
            html << "</tbody></table>" << (nm.size() > 25 ? "</details>" : "") << "\n";
        }
    };
    html << "<p>"
         << esc(L("Elk type vereist minstens " +
                      std::to_string(t["rules"].value("min_measurements", 3)) +
                      " metingen. De drempels zijn instelbaar; hieronder staan de regels zoals "
                      "toegepast.",
                  "Each type needs at least " +
                      std::to_string(t["rules"].value("min_measurements", 3)) +
                      " measurements. Thresholds are configurable; the rules as applied are listed "
                      "below."))
         << "</p>\n";
    // Type 1.
    html << "<h3>"
         << L("Type 1: kwetsbare wijken", "Type 1: vulnerable districts (kwetsbare wijken)")
         << "</h3>\n";
    if (t.contains("kwetsbare_wijken")) {
        criteria(t["kwetsbare_wijken"]);
        members("kwetsbare_wijken", true);
    }
    if (t.contains("kwetsbare_clusters")) {
        html << "<h4>" << L("Clusters van kwetsbare buurten", "Clusters of vulnerable buurten")
             << "</h4>\n<p class=\"rule\"><b>" << L("Regel: ", "Rule: ") << "</b>"
             << esc(translate_rule(t.value("kwetsbare_clusters_rule", ""), en)) << "</p>\n";
        const auto& cl = t["kwetsbare_clusters"];
        if (cl.empty())
            html << "<p class=\"note\">" << L("Geen.", "None.") << "</p>\n";
        else {
            html << "<table><thead><tr><th>#</th><th>" << L("inwoners", "residents") << "</th><th>"
                 << L("buurten", "buurten") << "</th><th>" << L("gemeente(n)", "municipalities")
                 << "</th></tr></thead><tbody>\n";
            for (std::size_t i = 0; i < cl.size(); ++i) {
                std::string gs, bs;
                for (const auto& g : cl[i].value("gemeenten", json::array()))
                    gs += (gs.empty() ? "" : ", ") + g.get<std::string>();
                for (const auto& b : cl[i].value("buurten", json::array()))
                    bs += (bs.empty() ? "" : ", ") + b.get<std::string>();
                html << "<tr><td>" << i + 1 << "</td>"
                     << td(s, "/typology/kwetsbare_clusters/" + std::to_string(i) + "/residents",
                           "int", en)
                     << "<td><small>" << esc(bs) << "</small></td><td>" << esc(gs)
                     << "</td></tr>\n";
            }
            html << "</tbody></table>\n";
        }
    }
    if (t.contains("kwetsbare_gemeenten")) {
        std::string gs;
        for (const auto& g : t["kwetsbare_gemeenten"])
            gs += (gs.empty() ? "" : ", ") + g.get<std::string>();
        html << "<p><b>"
             << L("Gemeenten met kwetsbare wijken of clusters: ",
                  "Municipalities with vulnerable districts or clusters: ")
             << "</b>" << (gs.empty() ? L("geen", "none") : esc(gs)) << "</p>\n";
    }
    // Type 2.
    html << "<h3>"
         << L("Type 2: aandachtsbuurten", "Type 2: buurten needing attention (aandachtsbuurten)")
         << "</h3>\n";
    if (t.contains("aandachtsbuurten")) {
        criteria(t["aandachtsbuurten"]);
        members("aandachtsbuurten", true);
    }
    // Type 3.
    html << "<h3>"
         << L("Type 3: aandachtsregio's", "Type 3: regions needing attention (aandachtsregio's)")
         << "</h3>\n";
    if (t.contains("aandachtsregios")) {
        criteria(t["aandachtsregios"]);
        members("aandachtsregios", false);
    }
    end_section();
}

void Report::load_sweep() {
    if (sweep_dir.empty()) sweep_dir = run / "sweep";
    for (const char* f : {"members.csv", "zones.csv", "summary.json"})
        if (!fs::exists(sweep_dir / f)) return;
    sw_members = read_csv_table(sweep_dir / "members.csv");
    sw_zones = read_csv_table(sweep_dir / "zones.csv");
    std::ifstream in(sweep_dir / "summary.json");
    sw_summary = json::parse(in, nullptr, false);
    if (sw_summary.is_discarded()) sw_summary = json::object();
    has_sweep = sw_members.col("member") == 0 && !sw_members.rows.empty();
}

void Report::sweep_section() {
    if (!has_sweep) return;
    section("sweep",
            L("Gevoeligheid voor de gewichten (sweep)", "Sensitivity to the weights (sweep)"));
    const std::string Y = std::to_string(years.back());
    // Values of a members.csv column over the members, and the base run's value.
    auto column = [&](const std::string& name, double& base) {
        std::vector<double> v;
        base = std::nan("");
        const int c = sw_members.col(name);
        if (c < 0) return v;
        for (const auto& r : sw_members.rows) {
            if (std::size_t(c) >= r.size()) continue;
            if (r[0] == "base")
                base = csv_num(r[std::size_t(c)]);
            else
                v.push_back(csv_num(r[std::size_t(c)]));
        }
        return v;
    };
    double b0 = 0;
    const std::size_t K = column("member", b0).size();
    html << "<p>"
         << esc(L("Een sweep over de indicatorgewichten: ", "A sweep over the indicator weights: "))
         << "<span class=\"n\" data-sweep-members=\"" << K << "\">" << fmt_int(std::int64_t(K), en)
         << "</span> " << esc(L("leden (gewichtensets), ", "members (weight sets), "))
         << esc(sw_summary.value("spec", std::string())) << ". "
         << esc(L("Elke lid herberekent de scores van alle cellen met zijn gewichten op de "
                  "opgeslagen indicatormatrix van deze run; de grafieken tonen hoe de landelijke "
                  "uitkomsten van " +
                      Y +
                      " over de leden verdeeld zijn, de rode streeplijn is de "
                      "basisrun. Bron: ",
                  "Each member rescores every cell with its weights on this run's stored "
                  "indicator matrix; the charts show how the national outcomes of " +
                      Y +
                      " are distributed over the members, the red dashed line is the base run. "
                      "Source: "))
         << "<code>" << esc(sweep_dir.string()) << "</code>.</p>\n<div class=\"charts\">";
    auto int_fmt = [&](double v) { return fmt_int(std::int64_t(std::llround(v)), en); };
    auto pct_fmt = [&](double v) { return fmt_pct(v, 1, en); };
    auto chart = [&](const std::string& col, const std::string& title, const std::string& xlabel,
                     const std::function<std::string(double)>& fmt, const std::string& rule_text) {
        double base = 0;
        const auto v = column(col, base);
        if (v.empty()) return;
        html << "<figure class=\"chart\"><h3>" << esc(title) << "</h3>"
             << svg_histogram(v, base, fmt, title, xlabel, en) << "<p class=\"rule\"><b>"
             << L("Regel: ", "Rule: ") << "</b>" << esc(rule_text) << "</p></figure>";
    };
    chart("onvoldoende_buurten_" + Y, L("Aantal onvoldoende buurten ", "Onvoldoende buurten ") + Y,
          L("aantal buurten (leden per staaf)", "number of buurten (members per bar)"), int_fmt,
          L("per lid het aantal buurten met genoeg inwoners in cellen van een onvoldoende klasse "
            "(de regel van de run); staven = aantal leden.",
            "per member the number of buurten with enough residents in cells of an onvoldoende "
            "class (the run's rule); bars = number of members."));
    chart(
        "aandachtsbuurten", L("Aantal aandachtsbuurten (type 2)", "Aandachtsbuurten (type 2)"),
        L("aantal buurten (leden per staaf)", "number of buurten (members per bar)"), int_fmt,
        L("per lid het aantal buurten dat aan alle criteria van type 2 voldoet (zie de typologie).",
          "per member the number of buurten meeting every type 2 criterion (see the typology)."));
    chart("share_onvoldoende_" + Y,
          L("Aandeel inwoners in onvoldoende klassen ",
            "Share of residents in onvoldoende classes ") +
              Y,
          L("aandeel inwoners", "share of residents"), pct_fmt,
          L("per lid het aandeel van de inwoners dat in een cel van een onvoldoende klasse woont.",
            "per member the share of residents living in a cell of an onvoldoende class."));
    // Class shares: per class the range over the members (5th-95th percentile bar, min-max
    // whisker, median tick) and the base run (red dot).
    {
        const std::size_t nc = class_labels.size();
        const int row = 22, left = 150, right = 70, top = 8, width = 640;
        const int h = top + 30 + row * int(nc);
        double hi = 0;
        std::vector<std::vector<double>> vs(nc);
        std::vector<double> bs(nc);
        for (std::size_t k = 0; k < nc; ++k) {
            vs[k] = column("share_c" + std::to_string(k + 1) + "_" + Y, bs[k]);
            for (double x : vs[k])
                if (std::isfinite(x)) hi = std::max(hi, x);
            if (std::isfinite(bs[k])) hi = std::max(hi, bs[k]);
        }
        const double step = nice_step(hi > 0 ? hi : 1, 5);
        hi = std::ceil((hi > 0 ? hi : 1) / step) * step;
        auto X = [&](double v) { return left + v / hi * (width - left - right); };
        auto q = [](std::vector<double> v, double p) {
            v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); }),
                    v.end());
            if (v.empty()) return std::nan("");
            std::sort(v.begin(), v.end());
            const double pos = p * double(v.size() - 1);
            const auto lo = std::size_t(std::floor(pos));
            const auto up = std::min(lo + 1, v.size() - 1);
            return v[lo] + (pos - double(lo)) * (v[up] - v[lo]);
        };
        const std::string title =
            L("Klasseverdeling over de leden, ", "Class shares over the members, ") + Y;
        std::ostringstream o;
        o << "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 " << width << " "
          << h << "\" width=\"" << width << "\" height=\"" << h << "\" " << kFont
          << " font-size=\"11\"><title>" << esc(title) << "</title>";
        for (double t = 0; t <= hi + 1e-9; t += step)
            o << "<line x1=\"" << X(t) << "\" x2=\"" << X(t) << "\" y1=\"" << top << "\" y2=\""
              << h - 26 << "\" stroke=\"#e2e2e2\"/><text x=\"" << X(t) << "\" y=\"" << h - 10
              << "\" text-anchor=\"middle\" fill=\"#555\">" << esc(tick_label(t, step, en, true))
              << "</text>";
        for (std::size_t k = 0; k < nc; ++k) {
            const double y = top + row * double(k);
            const double mn = q(vs[k], 0), p5 = q(vs[k], 0.05), md = q(vs[k], 0.5),
                         p95 = q(vs[k], 0.95), mx = q(vs[k], 1);
            o << "<text x=\"" << left - 6 << "\" y=\"" << y + 15 << "\" text-anchor=\"end\">"
              << esc(class_name(k + 1)) << "</text>";
            if (std::isfinite(mn)) {
                o << "<line x1=\"" << X(mn) << "\" x2=\"" << X(mx) << "\" y1=\"" << y + 11
                  << "\" y2=\"" << y + 11 << "\" stroke=\"#555\"/>";
                o << "<rect x=\"" << X(p5) << "\" y=\"" << y + 4 << "\" width=\""
                  << std::max(1.0, X(p95) - X(p5)) << "\" height=\"" << row - 8 << "\" fill=\""
                  << css(cpal[k]) << "\" stroke=\"#555\" stroke-width=\"0.5\"><title>"
                  << esc(class_name(k + 1) + ": " + fmt_pct(p5, 1, en) + " \u2013 " +
                         fmt_pct(p95, 1, en))
                  << "</title></rect>";
                o << "<line x1=\"" << X(md) << "\" x2=\"" << X(md) << "\" y1=\"" << y + 3
                  << "\" y2=\"" << y + row - 3 << "\" stroke=\"#000\" stroke-width=\"2\"/>";
                o << "<text x=\"" << X(mx) + 6 << "\" y=\"" << y + 15 << "\" fill=\"#222\">"
                  << esc(fmt_pct(md, 1, en)) << "</text>";
            }
            if (std::isfinite(bs[k]))
                o << "<circle cx=\"" << X(bs[k]) << "\" cy=\"" << y + 11
                  << "\" r=\"3.5\" fill=\"#d62728\"><title>"
                  << esc(L("basisrun: ", "base run: ") + fmt_pct(bs[k], 1, en))
                  << "</title></circle>";
        }
        o << "</svg>";
        html << "<figure class=\"chart\"><h3>" << esc(title) << "</h3>" << o.str()
             << "<p class=\"rule\"><b>" << L("Regel: ", "Rule: ") << "</b>"
             << esc(L("per klasse het aandeel van de inwoners over de leden: balk = 5e tot 95e "
                      "percentiel, lijn = minimum tot maximum, zwart streepje = mediaan (getal "
                      "rechts), rode stip = basisrun.",
                      "per class the share of residents over the members: bar = 5th to 95th "
                      "percentile, line = minimum to maximum, black tick = median (number on the "
                      "right), red dot = base run."))
             << "</p></figure>";
    }
    html << "</div>\n";
    if (!sweep_map_html.empty()) html << "<div class=\"maps\">" << sweep_map_html << "</div>\n";
    end_section();
}

void Report::safety() {
    if (!s.contains("worst_safety_buurten")) return;
    section("veiligheid",
            L("Buurten met de laagste veiligheidsscore", "Buurten with the worst safety scores"));
    rule(
        esc(L("buurten met minstens 100 inwoners, gerangschikt naar de inwoners-gewogen gemiddelde "
              "score op de veiligheidsdimensie in " +
                  std::to_string(years.back()) + " (laagste eerst).",
              "buurten with at least 100 residents, ranked by the resident-weighted mean score of "
              "the safety dimension in " +
                  std::to_string(years.back()) + " (lowest first).")));
    html << "<table><thead><tr><th>#</th><th>" << L("code", "code") << "</th><th>"
         << L("buurt", "buurt") << "</th><th>" << L("gemeente", "municipality") << "</th><th>"
         << L("inwoners", "residents") << "</th><th>" << L("veiligheid", "safety") << "</th><th>"
         << L("gem. afwijking", "mean deviation") << "</th></tr></thead><tbody>\n";
    const auto& w = s["worst_safety_buurten"];
    for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string P = "/worst_safety_buurten/" + std::to_string(i);
        html << "<tr><td>" << i + 1 << "</td><td>" << esc(w[i].value("code", "")) << "</td><td>"
             << esc(w[i].value("name", "")) << "</td><td>" << esc(w[i].value("gemeente", ""))
             << "</td>" << td(s, P + "/residents", "int", en) << td(s, P + "/safety", "dec3", en)
             << td(s, P + "/mean_deviation", "dec3", en) << "</tr>\n";
    }
    html << "</tbody></table>\n";
    end_section();
}

const char* kCss = R"(
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;margin:0 auto;max-width:1500px;padding:0 24px 40px;color:#1d1d1d;line-height:1.4;background:#fff}
header{border-bottom:3px solid #154273;margin-bottom:12px}
h1{color:#154273;margin:18px 0 4px;font-size:26px}
h2{color:#154273;border-bottom:1px solid #ccc;padding-bottom:3px;margin-top:34px}
h3{margin:20px 0 6px;font-size:17px}
h4{margin:10px 0 4px;font-size:14px}
nav ul{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:6px 18px;margin:6px 0 10px}
nav a{color:#154273}
.meta{color:#555;font-size:13px;margin:2px 0}
table{border-collapse:collapse;margin:8px 0 14px;font-size:13px}
th,td{border:1px solid #d4d4d4;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#eef2f7}
td.n,span.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.hl{background:#fff6cc}
tr.total th,tr.total td{font-weight:bold}
.maps{display:flex;flex-wrap:wrap;gap:22px}
figure{margin:0}
figure.map{flex:1 1 560px;max-width:720px}
figure.map img{width:100%;height:auto;border:1px solid #bbb;image-rendering:pixelated;display:block}
.charts{display:flex;flex-wrap:wrap;gap:10px 36px;align-items:flex-start}
figure.chart svg{max-width:100%;height:auto}
figcaption{font-size:12.5px;color:#333}
ul.legend{list-style:none;padding:0;margin:6px 0;display:flex;flex-wrap:wrap;gap:2px 16px}
ul.legend li{white-space:nowrap}
.sw{display:inline-block;width:14px;height:11px;border:1px solid #777;margin-right:5px;vertical-align:-1px}
.sw.line{border:none;border-top:2px solid #6e6e6e;height:0;vertical-align:3px;margin-left:10px}
p.rule{font-size:12.5px;color:#444;max-width:1000px}
p.note{color:#666;font-size:13px}
ol.criteria{font-size:13px;margin-top:0}
footer{margin-top:40px;border-top:1px solid #ccc;color:#777;font-size:12px}
@media print{figure.map{break-inside:avoid}section{break-before:auto}}
)";

std::string Report::page() const {
    std::ostringstream o;
    const std::string title = L("Leefbaarheid in Nederland ", "Liveability in the Netherlands ") +
                              std::to_string(years.front()) + "\u2013" +
                              std::to_string(years.back());
    o << "<!DOCTYPE html>\n<html lang=\"" << (en ? "en" : "nl")
      << "\" data-report-check=\"pending\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta "
         "name=\"generator\" content=\"leefbaar "
      << LEEFBAAR_VERSION << "\">\n<title>" << esc(title) << "</title>\n<style>" << kCss
      << "</style>\n"
      << "<script>window.__reportErrors=[];window.addEventListener('error',function(e){var "
         "t=e.target;"
         "window.__reportErrors.push(t&&t.src?'resource "
         "'+t.src:String(e.message));},true);</script>\n</head>\n<body>\n<header><h1>"
      << esc(title) << "</h1>\n<p class=\"meta\">"
      << esc(L("Model ", "Model ") + s.value("model", "") +
             L(", meetjaren ", ", measurement years "));
    for (std::size_t i = 0; i < years.size(); ++i) o << (i ? ", " : "") << years[i];
    o << esc(L("; referentiejaar ", "; reference year ") + ref_year +
             L(", referentieniveau ", ", reference level ") + fmt_dec(ref_level, 2, en))
      << ".</p>\n<p class=\"meta\">"
      << esc(L("Berekend met leefbaar ", "Computed with leefbaar ") +
             runj.value("leefbaar_version", std::string(LEEFBAAR_VERSION)));
    if (runj.contains("ranks"))
        o << esc(L(" op ", " on ") + std::to_string(runj["ranks"].get<int>()) +
                 L(" MPI-processen", " MPI ranks"));
    o << esc(L(". Dit rapport: ", ". This report: ") + std::string("leefbaar report ") +
             L("(zelfstandige HTML; kaarten als PNG ernaast).",
               "(self-contained HTML; maps as PNG files beside it)."))
      << "</p>\n<nav><ul>";
    for (const auto& t : toc) {
        const auto bar = t.find('|');
        o << "<li><a href=\"#" << t.substr(0, bar) << "\">" << esc(t.substr(bar + 1))
          << "</a></li>";
    }
    o << "</ul></nav></header>\n<main>\n"
      << html.str() << "</main>\n<footer><p>"
      << esc(L("Gegenereerd door leefbaar " LEEFBAAR_VERSION
               " uit summary.json, leefbaar.h5 en aggregates/zones.gpkg van deze run. Synthetische "
               "of illustratieve modellen geven illustratieve uitkomsten.",
               "Generated by leefbaar " LEEFBAAR_VERSION
               " from this run's summary.json, leefbaar.h5 and aggregates/zones.gpkg. Synthetic "
               "data or illustrative models give illustrative results."))
      << "</p></footer>\n"
      << "<script>window.addEventListener('load',function(){var im=document.images,b=0;for(var "
         "i=0;i<im.length;i++){if(!im[i].complete||"
         "im[i].naturalWidth===0)b++;}document.documentElement.setAttribute('data-report-check','"
         "images='+im.length+';broken='+b+"
         "';svg='+document.querySelectorAll('svg').length+';errors='+window.__reportErrors.length);"
         "});</script>\n</body>\n</html>\n";
    return o.str();
}

}  // namespace

std::string report_lang_of_run(const std::string& run_dir) {
    try {
        const fs::path rj = fs::path(run_dir) / "run.json";
        if (!fs::exists(rj)) return "nl";
        std::ifstream in(rj);
        const json j = json::parse(in, nullptr, false);
        if (j.is_discarded() || !j.contains("config") || !j["config"].is_string()) return "nl";
        const std::string cfg = j["config"].get<std::string>();
        if (!fs::exists(cfg)) return "nl";
        const toml::table t = toml::parse_file(cfg);
        const std::string lang = t["run"]["lang"].value_or(std::string("nl"));
        return lang == "en" ? "en" : "nl";
    } catch (const std::exception&) {
        return "nl";
    }
}

std::string write_report(const std::string& run_dir, const std::string& lang,
                         const std::string& sweep_dir) {
    if (lang != "nl" && lang != "en")
        throw UsageError("report", "--lang must be nl or en, not '" + lang + "'");
    const fs::path run(run_dir);
    if (!fs::is_directory(run))
        throw UsageError("report", "run folder " + run_dir + " does not exist");
    for (const char* need : {"summary.json", "leefbaar.h5"})
        if (!fs::exists(run / need))
            throw UsageError(
                "report",
                "run folder " + run_dir + " has no " + need +
                    ": not a finished run (run `leefbaar run` with aggregation enabled first)");
    Report r;
    r.run = run;
    r.en = lang == "en";
    r.L = Tr{r.en};
    r.load();
    r.sweep_dir = sweep_dir;
    r.load_sweep();
    const fs::path final_dir = run / kReportDir;
    r.dir = run / (std::string(kReportDir) + ".partial-" + std::to_string(::getpid()));
    fs::remove_all(r.dir);
    fs::create_directories(r.dir);
    try {
        r.maps();  // reads leefbaar.h5 first: reference level and limits for the tables
        std::ostringstream maps_html;
        maps_html << r.html.str();
        const auto maps_toc = r.toc;
        r.html.str("");
        r.toc.clear();
        r.key_figures();
        const std::string key_html = r.html.str();
        const auto key_toc = r.toc;
        r.html.str("");
        r.toc.clear();
        r.class_distribution();
        r.decomposition();
        r.start_class();
        r.response_curves();
        r.breakdowns();
        r.typology();
        r.safety();
        r.sweep_section();
        // Order: key figures, maps, then the analyses.
        const std::string rest = r.html.str();
        auto rest_toc = r.toc;
        r.html.str("");
        r.html << key_html << maps_html.str() << rest;
        r.toc = key_toc;
        r.toc.insert(r.toc.end(), maps_toc.begin(), maps_toc.end());
        r.toc.insert(r.toc.end(), rest_toc.begin(), rest_toc.end());
        {
            std::ofstream out(r.dir / kReportIndex);
            out << r.page();
            if (!out) throw Error("report", "cannot write " + (r.dir / kReportIndex).string());
        }
        // Swap in the finished folder.
        const fs::path old = run / (std::string(kReportDir) + ".old-" + std::to_string(::getpid()));
        if (fs::exists(final_dir)) fs::rename(final_dir, old);
        fs::rename(r.dir, final_dir);
        fs::remove_all(old);
    } catch (...) {
        std::error_code ec;
        fs::remove_all(r.dir, ec);
        throw;
    }
    const std::string index = (final_dir / kReportIndex).string();
    progress("report: " + index);
    return index;
}

}  // namespace leefbaar::app
