#include "core/model_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "core/toml_reader.hpp"

namespace leefbaar {

const std::vector<std::pair<std::string, std::string>>& kernel_ops() {
    static const std::vector<std::pair<std::string, std::string>> ops = {
        {"cell", "the layer's own value in the cell (layers = [A])"},
        {"sum", "sum of A over a circular window (radius)"},
        {"mean", "mean of A over the valid cells of a circular window (radius)"},
        {"share", "sum A / sum B over a circular window (layers = [A, B], radius)"},
        {"rate", "sum A per 1,000 of sum B over a circular window (layers = [A, B], radius)"},
        {"density", "sum of A per km2 of the window's valid area (radius)"},
        {"min", "minimum of A over a circular window (radius)"},
        {"max", "maximum of A over a circular window (radius)"},
        {"annulus_sum", "sum of A between inner_radius (exclusive) and radius"},
        {"gaussian", "Gaussian-weighted sum of A (sigma; truncated at 4 sigma)"},
        {"exponential", "exp(-d/length)-weighted sum of A, cut at radius"},
        {"linear", "(1 - d/radius)-weighted sum of A"},
        {"distance",
         "distance in m from the cell centre to the nearest cell with A > 0, capped at "
         "max_distance"},
        {"point_distance",
         "distance in m to the nearest point of point_type, capped at max_distance"},
        {"kth_point_distance",
         "distance in m to the k-th nearest point of point_type, capped at max_distance"},
        {"point_count", "number of points of point_type within radius of the cell centre"},
    };
    return ops;
}

std::int64_t KernelSpec::reach_cells(double cell) const {
    auto cells = [&](double m) { return std::int64_t(std::floor(m / cell + 1e-9)); };
    if (op == "cell" || uses_points()) return 0;  // points come from a layer, not a halo
    if (op == "gaussian") return cells(4.0 * sigma);
    if (op == "distance") return cells(max_distance);
    return cells(radius);
}

double TransformSpec::apply(double x) const {
    if (std::isnan(x)) return x;
    switch (kind) {
        case Kind::identity:
            return x;
        case Kind::log1p:
            return std::log1p(std::max(x, 0.0));
        case Kind::sqrt:
            return std::sqrt(std::max(x, 0.0));
        case Kind::clamp:
            return std::clamp(x, lo, hi);
        case Kind::piecewise: {
            if (x <= points.front().first) return points.front().second;
            if (x >= points.back().first) return points.back().second;
            for (std::size_t i = 1; i < points.size(); ++i)
                if (x <= points[i].first) {
                    const auto [x0, y0] = points[i - 1];
                    const auto [x1, y1] = points[i];
                    return y0 + (y1 - y0) * (x - x0) / (x1 - x0);
                }
            return points.back().second;
        }
    }
    return x;
}

int ModelConfig::dimension_index(const std::string& d) const {
    const auto it = std::find(dimensions.begin(), dimensions.end(), d);
    return it == dimensions.end() ? -1 : int(it - dimensions.begin());
}

std::vector<std::string> ModelConfig::input_layers() const {
    std::set<std::string> s{scoring.residents_layer, scoring.dwellings_layer};
    for (const auto& i : indicators)
        for (const auto& l : i.kernel.layers) s.insert(l);
    return {s.begin(), s.end()};
}

std::int64_t ModelConfig::max_reach_cells(double cell) const {
    std::int64_t r = 0;
    for (const auto& i : indicators) r = std::max(r, i.kernel.reach_cells(cell));
    return r;
}

bool ModelConfig::uses_points() const {
    return std::any_of(indicators.begin(), indicators.end(),
                       [](const auto& i) { return i.kernel.uses_points(); });
}

namespace {

ClassScheme parse_classes(TomlTable t, std::size_t want_min) {
    ClassScheme c;
    c.limits = t.num_list("limits");
    if (c.limits.size() < want_min)
        t.fail("limits", "needs at least " + std::to_string(want_min) + " limits");
    for (std::size_t i = 1; i < c.limits.size(); ++i)
        if (!(c.limits[i] > c.limits[i - 1]))
            t.fail("limits", "must be strictly increasing (element " + std::to_string(i + 1) + ")");
    c.labels = t.str_list("labels");
    if (c.labels.size() != c.limits.size() + 1)
        t.fail("labels", "needs " + std::to_string(c.limits.size() + 1) + " labels for " +
                             std::to_string(c.limits.size()) + " limits, got " +
                             std::to_string(c.labels.size()));
    t.finish();
    return c;
}

KernelSpec parse_kernel(TomlTable t) {
    KernelSpec k;
    k.op = t.str("op");
    const auto& ops = kernel_ops();
    if (std::none_of(ops.begin(), ops.end(), [&](const auto& o) { return o.first == k.op; })) {
        std::string names;
        for (const auto& o : ops) names += (names.empty() ? "" : ", ") + o.first;
        t.fail("op", "unknown operation '" + k.op + "' (known: " + names + ")");
    }
    const bool two = k.op == "share" || k.op == "rate";
    if (k.uses_points()) {
        k.point_type = t.str("point_type");
        k.layers = t.str_list("layers", {});
        if (!k.layers.empty())
            t.fail("layers", "point operations read the points file, not layers");
    } else {
        k.layers = t.str_list("layers");
        if (k.layers.size() != (two ? 2u : 1u))
            t.fail("layers", "operation '" + k.op + "' needs " + (two ? "2 layers" : "1 layer") +
                                 ", got " + std::to_string(k.layers.size()));
    }
    auto positive = [&](const char* key) {
        const double v = t.num(key);
        if (!(v > 0)) t.fail(key, "must be > 0 m, got " + std::to_string(v));
        return v;
    };
    if (k.op == "gaussian")
        k.sigma = positive("sigma");
    else if (k.op == "exponential") {
        k.length = positive("length");
        k.radius = positive("radius");
    } else if (k.op == "distance" || k.op == "point_distance" || k.op == "kth_point_distance") {
        k.max_distance = t.num("max_distance", 5000.0);
        if (!(k.max_distance > 0)) t.fail("max_distance", "must be > 0 m");
        if (k.op == "kth_point_distance") {
            k.k = int(t.integer("k"));
            if (k.k < 1) t.fail("k", "must be >= 1");
        }
    } else if (k.op != "cell") {
        k.radius = positive("radius");
        if (k.op == "annulus_sum") {
            k.inner_radius = t.num("inner_radius");
            if (!(k.inner_radius >= 0 && k.inner_radius < k.radius))
                t.fail("inner_radius", "must be >= 0 and < radius");
        }
    }
    t.finish();
    return k;
}

TransformSpec parse_transform(std::optional<TomlTable> t) {
    TransformSpec tr;
    if (!t) return tr;
    const std::string type = t->str("type", "identity");
    using K = TransformSpec::Kind;
    if (type == "identity")
        tr.kind = K::identity;
    else if (type == "log1p")
        tr.kind = K::log1p;
    else if (type == "sqrt")
        tr.kind = K::sqrt;
    else if (type == "clamp") {
        tr.kind = K::clamp;
        tr.lo = t->num("min");
        tr.hi = t->num("max");
        if (!(tr.hi > tr.lo)) t->fail("max", "must be greater than min");
    } else if (type == "piecewise") {
        tr.kind = K::piecewise;
        const auto xs = t->num_list("x"), ys = t->num_list("y");
        if (xs.size() < 2 || xs.size() != ys.size())
            t->fail("x", "needs at least 2 points and as many y as x");
        for (std::size_t i = 0; i < xs.size(); ++i) {
            if (i && !(xs[i] > xs[i - 1])) t->fail("x", "must be strictly increasing");
            tr.points.emplace_back(xs[i], ys[i]);
        }
    } else {
        t->fail("type", "unknown transform '" + type +
                            "' (known: identity, log1p, sqrt, clamp, piecewise)");
    }
    tr.standardise = t->boolean("standardise", false);
    t->finish();
    return tr;
}

}  // namespace

ModelConfig parse_model_config(const std::string& file) {
    const toml::table root = parse_toml_file(file);
    TomlTable top(root, file, "");
    ModelConfig m;
    m.file = file;
    {
        auto t = top.table("model");
        m.name = t.str("name");
        m.reference_year = t.integer("reference_year");
        m.reference_level = t.num("reference_level", 0.0);
        m.dimensions = t.str_list("dimensions");
        if (m.dimensions.empty()) t.fail("dimensions", "needs at least one dimension");
        std::set<std::string> seen;
        for (const auto& d : m.dimensions)
            if (!seen.insert(d).second) t.fail("dimensions", "dimension '" + d + "' appears twice");
        t.finish();
    }
    if (auto t = top.optional_table("scoring")) {
        m.scoring.residents_layer = t->str("residents_layer", m.scoring.residents_layer);
        m.scoring.dwellings_layer = t->str("dwellings_layer", m.scoring.dwellings_layer);
        m.scoring.min_residents = t->integer("min_residents", m.scoring.min_residents);
        m.scoring.min_dwellings = t->integer("min_dwellings", m.scoring.min_dwellings);
        t->finish();
    }
    m.classes = parse_classes(top.table("classes"), 1);
    m.development = parse_classes(top.table("development"), 1);
    std::set<std::string> names;
    for (auto t : top.table_array("indicator")) {
        IndicatorSpec i;
        i.name = t.str("name");
        if (i.name.empty() || i.name.find_first_of("/ \t") != std::string::npos)
            t.fail("name", "'" + i.name + "' must be non-empty without '/' or spaces");
        if (!names.insert(i.name).second)
            t.fail("name", "indicator '" + i.name + "' is defined twice");
        i.dimension = t.str("dimension");
        if (m.dimension_index(i.dimension) < 0)
            t.fail("dimension",
                   "unknown dimension '" + i.dimension + "' (not in model.dimensions)");
        i.description = t.str("description", "");
        i.weight = t.num("weight");
        if (!std::isfinite(i.weight)) t.fail("weight", "must be finite");
        i.kernel = parse_kernel(t.table("kernel"));
        i.transform = parse_transform(t.optional_table("transform"));
        t.finish();
        m.indicators.push_back(std::move(i));
    }
    if (m.indicators.empty()) top.fail("indicator", "the model defines no [[indicator]]");
    top.finish();
    return m;
}

}  // namespace leefbaar
