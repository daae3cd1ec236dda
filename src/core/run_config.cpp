#include "core/run_config.hpp"

#include <algorithm>
#include <filesystem>

#include "core/error.hpp"
#include "core/toml_reader.hpp"

namespace leefbaar {

namespace fs = std::filesystem;

namespace {
std::string replace_year(std::string s, std::int64_t year) {
    const std::string key = "{year}";
    for (auto pos = s.find(key); pos != std::string::npos; pos = s.find(key, pos))
        s.replace(pos, key.size(), std::to_string(year));
    return s;
}
std::string resolve(const std::string& base_dir, const std::string& p) {
    if (p.empty()) return p;
    return fs::path(p).is_absolute() ? p : (fs::path(base_dir) / p).lexically_normal().string();
}
}  // namespace

std::string DatasetManifest::layer_path(const std::string& layer, std::int64_t year) const {
    const auto it = layers.find(layer);
    if (it == layers.end())
        throw Error("ingest", "dataset " + dir + " has no layer '" + layer + "'");
    return resolve(dir, replace_year(it->second.file, year));
}

std::string DatasetManifest::points_path(std::int64_t year) const {
    return replace_year(points_file, year);
}

bool DatasetManifest::has_year(std::int64_t y) const {
    return std::find(years.begin(), years.end(), y) != years.end();
}

DatasetManifest parse_manifest(const std::string& dir) {
    const std::string file = (fs::path(dir) / "manifest.toml").string();
    if (!fs::exists(file))
        throw UsageError(
            "config",
            "dataset folder " + dir + " has no manifest.toml (generate one with `leefbaar synth`)");
    const toml::table root = parse_toml_file(file);
    TomlTable top(root, file, "");
    DatasetManifest m;
    m.dir = dir;
    {
        auto d = top.table("dataset");
        m.years = d.int_list("years");
        if (m.years.empty()) d.fail("years", "lists no year");
    }
    {
        auto g = top.table("grid");
        m.grid.epsg = int(g.integer("epsg"));
        m.grid.xmin = g.num("xmin");
        m.grid.ymax = g.num("ymax");
        m.grid.cell = g.num("cell");
        m.grid.nx = g.integer("nx");
        m.grid.ny = g.integer("ny");
        if (!(m.grid.cell > 0) || m.grid.nx <= 0 || m.grid.ny <= 0) g.fail("cell", "grid is empty");
    }
    {
        auto ls = top.table("layers");
        for (const auto& name : ls.keys()) {
            auto l = ls.table(name);
            LayerInfo li;
            li.name = name;
            li.file = l.str("file");
            li.unit = l.str("unit", "");
            li.type = l.str("type", "");
            li.description = l.str("description", "");
            m.layers[name] = li;
        }
    }
    if (auto z = top.optional_table("zones")) {
        m.zones_file = resolve(dir, z->str("file"));
        for (const auto& lvl : z->str_list("levels")) {
            auto t = z->table(lvl);
            ZoneLevel zl;
            zl.name = lvl;
            zl.layer = t.str("layer", lvl);
            zl.code_field = t.str("code", "code");
            zl.name_field = t.str("name", "name");
            zl.parent_field = t.str("parent", "");
            zl.group_field = t.str("group", "");
            zl.declining_field = t.str("declining", "");
            m.levels.push_back(zl);
        }
    }
    if (auto p = top.optional_table("points")) {
        m.points_file = resolve(dir, p->str("file"));
        m.points_layer = p->str("layer", m.points_layer);
        m.points_type_field = p->str("type_field", m.points_type_field);
    }
    return m;
}

RunConfig parse_run_config(const std::string& file) {
    const toml::table root = parse_toml_file(file);
    TomlTable top(root, file, "");
    const std::string base = fs::path(file).parent_path().string();
    RunConfig rc;
    rc.file = file;
    auto run = top.table("run");
    rc.model_file = resolve(base, run.str("model"));
    rc.data_dir = resolve(base, run.str("data"));
    rc.out_dir = resolve(base, run.str("out", "out"));
    rc.lang = run.str("lang", "nl");
    if (rc.lang != "nl" && rc.lang != "en") run.fail("lang", "must be \"nl\" or \"en\"");
    if (!fs::exists(rc.model_file)) run.fail("model", "file " + rc.model_file + " does not exist");
    rc.model = parse_model_config(rc.model_file);
    if (!fs::exists(fs::path(rc.data_dir) / "manifest.toml"))
        run.fail("data", "folder " + rc.data_dir +
                             " has no manifest.toml (generate it with `leefbaar synth --out " +
                             rc.data_dir + "`)");
    rc.dataset = parse_manifest(rc.data_dir);

    rc.years = run.has("years") ? run.int_list("years") : rc.dataset.years;
    run.touch("years");
    if (rc.years.empty()) run.fail("years", "lists no year");
    for (std::size_t i = 0; i < rc.years.size(); ++i) {
        if (i && rc.years[i] <= rc.years[i - 1])
            run.fail("years", "must be increasing without duplicates");
        if (!rc.dataset.has_year(rc.years[i]))
            run.fail("years", "year " + std::to_string(rc.years[i]) + " is not in the dataset " +
                                  rc.data_dir);
    }
    if (std::find(rc.years.begin(), rc.years.end(), rc.model.reference_year) == rc.years.end())
        throw UsageError("config", "file " + rc.model_file + ": key 'model.reference_year': " +
                                       std::to_string(rc.model.reference_year) +
                                       " is not among the run's years");
    if (run.has("periods")) {
        auto* arr = root["run"]["periods"].as_array();
        if (!arr) run.fail("periods", "must be an array of [from, to] pairs");
        for (const auto& e : *arr) {
            const auto* p = e.as_array();
            if (!p || p->size() != 2 || !(*p)[0].is_integer() || !(*p)[1].is_integer())
                run.fail("periods", "every period must be [from, to] with integer years");
            const std::int64_t a = *(*p)[0].value<std::int64_t>(),
                               b = *(*p)[1].value<std::int64_t>();
            if (!(a < b))
                run.fail("periods", "period [" + std::to_string(a) + ", " + std::to_string(b) +
                                        "] must go forward in time");
            for (auto y : {a, b})
                if (std::find(rc.years.begin(), rc.years.end(), y) == rc.years.end())
                    run.fail("periods",
                             "year " + std::to_string(y) + " is not among the run's years");
            rc.periods.emplace_back(a, b);
        }
        run.touch("periods");
    } else {
        run.touch("periods");
        for (std::size_t i = 1; i < rc.years.size(); ++i)
            rc.periods.emplace_back(rc.years[i - 1], rc.years[i]);
        if (rc.years.size() > 2) rc.periods.emplace_back(rc.years.front(), rc.years.back());
    }
    run.finish();
    for (const auto& layer : rc.model.input_layers())
        if (!rc.dataset.layers.count(layer))
            throw UsageError("config", "file " + rc.model_file + ": layer '" + layer +
                                           "' used by the model is not in the dataset " +
                                           rc.data_dir);
    // Aggregation and typology.
    AggregationConfig& ag = rc.aggregation;
    for (const auto& l : rc.dataset.levels) ag.levels.push_back(l.name);
    ag.enabled = !rc.dataset.levels.empty();
    const bool has_share_layers = rc.dataset.layers.count("dwellings") > 0;
    const std::vector<double> default_edges{0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 1.0};
    if (has_share_layers && rc.dataset.layers.count("dw_social_rent"))
        ag.share_bins.push_back({"social_rent", "dw_social_rent", "dwellings", default_edges});
    if (has_share_layers && rc.dataset.layers.count("dw_private_cheap"))
        ag.share_bins.push_back(
            {"cheap_private_rent", "dw_private_cheap", "dwellings", default_edges});
    if (auto a = top.optional_table("aggregation")) {
        ag.enabled = a->boolean("enabled", ag.enabled);
        ag.levels = a->str_list("levels", ag.levels);
        for (const auto& l : ag.levels)
            if (std::none_of(rc.dataset.levels.begin(), rc.dataset.levels.end(),
                             [&](const auto& z) { return z.name == l; }))
                a->fail("levels",
                        "level '" + l + "' is not a zone level of the dataset " + rc.data_dir);
        ag.onvoldoende_min_residents =
            a->integer("onvoldoende_min_residents", ag.onvoldoende_min_residents);
        ag.onvoldoende_max_class =
            int(a->integer("onvoldoende_max_class", ag.onvoldoende_max_class));
        ag.worst_safety_buurten = int(a->integer("worst_safety_buurten", ag.worst_safety_buurten));
        if (auto t = a->optional_table("typology")) {
            TypologyRules& r = ag.typology;
            r.min_measurements = int(t->integer("min_measurements", r.min_measurements));
            r.safety_dimension = t->str("safety_dimension", r.safety_dimension);
            r.onvoldoende_max_class = ag.onvoldoende_max_class;
            r.buurt_max_class = int(t->integer("buurt_max_class", r.buurt_max_class));
            r.buurt_safety_percentile =
                t->num("buurt_safety_percentile", r.buurt_safety_percentile);
            r.buurt_min_residents = t->integer("buurt_min_residents", r.buurt_min_residents);
            r.wijk_max_class = int(t->integer("wijk_max_class", r.wijk_max_class));
            r.wijk_safety_percentile = t->num("wijk_safety_percentile", r.wijk_safety_percentile);
            r.wijk_min_onvoldoende_share =
                t->num("wijk_min_onvoldoende_share", r.wijk_min_onvoldoende_share);
            r.wijk_max_relative_trend =
                t->num("wijk_max_relative_trend", r.wijk_max_relative_trend);
            r.wijk_min_residents = t->integer("wijk_min_residents", r.wijk_min_residents);
            r.cluster_min_residents = t->integer("cluster_min_residents", r.cluster_min_residents);
            r.region_level = t->str("region_level", r.region_level);
            r.region_max_class = int(t->integer("region_max_class", r.region_max_class));
            r.region_weak_share_top_percent =
                t->num("region_weak_share_top_percent", r.region_weak_share_top_percent);
            r.region_min_good_class =
                int(t->integer("region_min_good_class", r.region_min_good_class));
            r.region_good_share_bottom_percent =
                t->num("region_good_share_bottom_percent", r.region_good_share_bottom_percent);
            if (rc.model.dimension_index(r.safety_dimension) < 0)
                t->fail("safety_dimension",
                        "'" + r.safety_dimension + "' is not a dimension of the model");
            t->finish();
        }
        if (a->has("zones")) {
            for (auto z : a->table_array("zones")) {
                ExtraZoneLevel e;
                e.name = z.str("name");
                const auto clash = [&](const std::string& n) { return n == e.name; };
                if (std::any_of(ag.extra_levels.begin(), ag.extra_levels.end(),
                                [&](const auto& o) { return clash(o.name); }) ||
                    std::any_of(rc.dataset.levels.begin(), rc.dataset.levels.end(),
                                [&](const auto& o) { return clash(o.name); }))
                    z.fail("name", "zone level '" + e.name + "' is defined twice");
                if (e.name.empty() ||
                    e.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
                        std::string::npos)
                    z.fail("name", "'" + e.name + "': use lower-case letters, digits and _");
                if (z.has("raster") == z.has("file"))
                    z.fail("file", "give either file (a polygon layer) or raster (zone ids)");
                if (z.has("raster")) {
                    e.raster = resolve(base, z.str("raster"));
                    if (!fs::exists(e.raster)) z.fail("raster", "no such file: " + e.raster);
                } else {
                    e.file = resolve(base, z.str("file"));
                    if (!fs::exists(e.file)) z.fail("file", "no such file: " + e.file);
                    e.layer = z.str("layer", "");
                    e.code_field = z.str("code");
                    e.name_field = z.str("name_field", "");
                }
                z.finish();
                ag.extra_levels.push_back(e);
            }
        } else {
            a->touch("zones");
        }
        if (a->has("share_bins")) {
            ag.share_bins.clear();
            for (auto b : a->table_array("share_bins")) {
                ShareBins sb;
                sb.name = b.str("name");
                sb.numerator = b.str("numerator");
                sb.denominator = b.str("denominator");
                sb.edges = b.has("edges") ? b.num_list("edges") : (b.touch("edges"), default_edges);
                for (const auto& l : {sb.numerator, sb.denominator})
                    if (!rc.dataset.layers.count(l))
                        b.fail("numerator", "layer '" + l + "' is not in the dataset");
                for (std::size_t i = 1; i < sb.edges.size(); ++i)
                    if (!(sb.edges[i] > sb.edges[i - 1]))
                        b.fail("edges", "must be strictly increasing");
                b.finish();
                ag.share_bins.push_back(sb);
            }
        } else {
            a->touch("share_bins");
        }
        a->finish();
    }
    if (rc.model.uses_points() && rc.dataset.points_file.empty())
        throw UsageError("config", "file " + rc.model_file +
                                       ": the model uses point operations but the dataset " +
                                       rc.data_dir + " has no [points]");
    top.finish();
    return rc;
}

}  // namespace leefbaar
