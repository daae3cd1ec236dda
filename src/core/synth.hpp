#pragma once
// The synthetic Netherlands: a deterministic world (coastline, settlements, roads, zones)
// and per-cell generation of every input layer for any window of any grid on it.
//
// Everything is a pure function of (options, cell): a rank generates its own block and the
// whole dataset is identical for any number of ranks and threads. Randomness comes from
// Philox keyed by (seed, cell in world coordinates, layer) and, for the world's features,
// (seed, feature); see core/random.hpp.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/grid.hpp"
#include "core/raster.hpp"

namespace leefbaar::synth {

class World;
class Generator;
namespace detail {
class SegmentIndex;
}

inline constexpr const char* kGenerator = "leefbaar synth 0.1.0";

enum class Preset { national, small, tiny };
Preset parse_preset(const std::string& name);  // throws UsageError for an unknown name
std::string preset_name(Preset p);

// Calibration knobs for areas under pressure (problem districts). The liveability model is
// calibrated against these: raising an intensity lowers the scores of that city's districts
// (more social rent, vacancy, incidents, fewer owner-occupiers) and slows their improvement.
struct ProblemParams {
    double g4_intensity = 0.85;        // each problem district in the four large cities
    int g4_districts = 2;              // problem districts per large city
    double district_radius_m = 450.0;  // Gaussian radius of a district (large cities)
    // Small pockets in the large cities: onvoldoende cells within otherwise fair buurten.
    int g4_pockets = 0;
    double pocket_radius_m = 200.0;
    double town_radius_m = 400.0;  // ... of the problem district of a named town
    // Mid-size towns with a problem district (name -> intensity); in the national world these
    // are the report's towns with vulnerable districts plus a few former growth towns.
    std::map<std::string, double> towns = {
        {"Schiedam", 0.95},   {"Vlaardingen", 0.9}, {"Zaanstad", 0.9},  {"Tilburg", 0.9},
        {"Heerlen", 0.45},    {"Arnhem", 0.4},      {"Dordrecht", 0.4}, {"Almere", 0.4},
        {"Zoetermeer", 0.35}, {"Lelystad", 0.4},    {"Enschede", 0.4}};
    // Scattered mild problem spots: this share of other towns/cities get one district with an
    // intensity drawn from an exponential with this mean (spreads aandachtsbuurten over
    // 30-80 municipalities).
    double scattered_share = 0.6;
    double scattered_mean = 0.5;
    double scattered_max = 1.0;
    // Small spots: onvoldoende cells in otherwise fair buurten (most onvoldoende buurten are not
    // aandachtsbuurten), too small to make a whole wijk kwetsbaar.
    double scattered_radius_m = 150.0;
    double declining_intensity = 0.35;  // extra pressure in the centres of declining towns
    // Safety share of the second and later districts of a large city (housing-type districts)
    // and of declining town centres; scattered spots draw theirs uniformly in [0, 1].
    double housing_district_safety = 0.2;
    // How much less problem areas improve: incident trends are raised to 1/(1 + k * p).
    double improvement_damping = 2.0;
    // Historic cores of towns and cities (weight exp(-1.8 d / r0) of the nearest one, 0.6 for
    // towns): social rent gives way to private rent and owner-occupation by these shares, so
    // that centres score well on housing, as in the 2018 analysis, and the weak areas are the
    // post-war districts around them.
    double core_social_cut = 0.7;
    double core_private_rent = 0.25;
    // Nightlife and shopping crowds: incidents per visitor-equivalent in centres, as a multiple of
    // the base rates (nuisance 0.01, violence 0.002, vandalism 0.001 per person-equivalent).
    // Centres are less safe than their housing suggests (the calibration moved little with it).
    double centre_incidents = 4.0;
};

// National incident trends, as factors relative to 2012 at the measurement years; linear
// in between and flat outside. Nuisance falls most between 2016 and 2018.
struct TrendParams {
    std::map<int, double> nuisance = {{2012, 1.04}, {2014, 1.02}, {2016, 0.92}, {2018, 0.82}};
    std::map<int, double> violence = {{2012, 1.0}, {2014, 0.99}, {2016, 0.95}, {2018, 0.93}};
    std::map<int, double> vandalism = {{2012, 1.0}, {2014, 0.97}, {2016, 0.94}, {2018, 0.91}};
    std::map<int, double> burglary = {{2012, 1.0}, {2014, 0.95}, {2016, 0.85}, {2018, 0.82}};
    double declining_amenity_loss_per_year = 0.025;  // share of amenities lost per year
    double declining_population_per_year = -0.006;   // growth rate in declining regions
};

struct SynthOptions {
    Preset preset = Preset::national;
    std::uint64_t seed = 2018;
    std::vector<int> years = {2012, 2014, 2016, 2018};
    double cell = 100.0;                          // metres
    std::optional<std::array<double, 4>> extent;  // xmin, ymin, xmax, ymax (default: preset)
    ProblemParams problems;
    TrendParams trends;
};

// Checks years (sorted, unique, 1900-2100), cell size and extent; returns the grid. Throws
// UsageError naming the offending value.
GridSpec make_grid(const SynthOptions& o);
void check_years(const std::vector<int>& years);

// ---- layers ---------------------------------------------------------------------------

struct LayerInfo {
    std::string name;
    std::string unit;
    bool byte = false;  // 0/1 flag stored as Byte; everything else Int32
    std::string description;
};
// The layers every year gets, in a fixed order (the index keys the random streams).
const std::vector<LayerInfo>& layers();
int layer_index(const std::string& name);  // -1 if absent
// Index of the first amenity layer and the amenity type names (point `type` values).
int first_amenity_layer();
const std::vector<std::string>& amenity_types();

// ---- zones ----------------------------------------------------------------------------

inline constexpr int kLevels = 5;
// Finest first, as in the manifest.
inline constexpr std::array<const char*, kLevels> kLevelNames = {"buurt", "wijk", "gemeente",
                                                                 "coropplus", "corop"};
enum Level { buurt = 0, wijk = 1, gemeente = 2, coropplus = 3, corop = 4 };

struct Zone {
    std::string code, name;
    int parent = -1;      // index in the next coarser level (gemeente: its COROP-plus)
    double x = 0, y = 0;  // seed (world metres)
};

// Real municipalities and COROP(-plus) regions rasterised on the grid (--boundaries); built
// by the app from GDAL sources. Ids are 1-based into the code/name vectors; 0 = none.
struct ExternalZones {
    GridSpec grid;
    std::vector<std::int32_t> gemeente_ids;  // whole grid, row-major
    std::vector<std::string> gm_codes, gm_names;
    std::vector<int> gm_coropplus;  // 0-based COROP-plus of each gemeente (-1 = none)
    std::vector<std::string> cp_codes, cp_names;
    std::vector<int> cp_corop;  // 0-based COROP of each COROP-plus
    std::vector<std::string> cr_codes, cr_names;
};

// ---- the world ------------------------------------------------------------------------

struct Settlement {
    std::string name;
    double x = 0, y = 0;  // centre, metres
    double pop = 0;       // residents in 2018
    double r0 = 0;        // e-folding radius of the density profile, metres
    int kind = 3;         // 0 large city (G4), 1 mid-size city (G40), 2 town, 3 village
    double growth = 0;    // annual growth rate
    double decline = 0;   // 0..1 membership of a declining region
};

struct Disc {
    double x = 0, y = 0, r = 0, w = 0;  // centre, radius, weight
    // Problem districts: the share of the intensity that acts on safety (incidents); the
    // housing side (social rent, vacancy) always takes the whole intensity. Districts weak
    // through housing alone are weak but not unsafe, as many weak buurten are.
    double safety = 1.0;
};

struct Segment {
    double x0, y0, x1, y1;
};

class World {
  public:
    // Builds the deterministic world for these options (identical on every rank).
    // `external` (optional) supplies real municipalities; the World keeps a reference.
    World(const SynthOptions& o, const ExternalZones* external = nullptr);

    const SynthOptions& options() const { return opt_; }
    const GridSpec& grid() const { return grid_; }
    const std::vector<Settlement>& settlements() const { return settlements_; }
    const std::vector<Zone>& zones(Level l) const { return zones_[l]; }
    const std::vector<std::string>& gemeente_group() const { return gm_group_; }
    const std::vector<int>& gemeente_declining() const { return gm_declining_; }
    const std::vector<Disc>& problem_districts() const { return problems_; }
    bool uses_boundaries() const { return external_ != nullptr; }

    // Zone chain of a point: indices per level (buurt .. corop), -1 when not on land.
    std::array<int, kLevels> locate(double x, double y) const;
    // Buurt index (0-based) of every cell of `block`, -1 where not on land.
    std::vector<std::int32_t> buurt_ids(const Window& block) const;

    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Synthetic land test (coast, islands, lakes; no rivers, no boundaries).
    bool synthetic_land(double x, double y) const;
    // The land layer: synthetic land or, with boundaries, inside a municipality; minus rivers.
    bool land(double x, double y) const;
    bool in_world_box(double x, double y) const;

  private:
    friend class Generator;
    void build_geography();
    void build_settlements();
    void build_networks();
    void build_zones();
    void build_problems();
    int nearest(const std::vector<int>& candidates, const std::vector<Zone>& z, double x,
                double y) const;
    bool land_for_seed(double x, double y, bool& inside) const;

    SynthOptions opt_;
    GridSpec grid_;
    const ExternalZones* external_ = nullptr;
    std::array<double, 4> world_box_{};  // xmin, ymin, xmax, ymax of the preset's world
    std::vector<std::vector<std::array<double, 2>>> coast_;  // land polygons (metres)
    std::vector<std::vector<std::array<double, 2>>> lakes_;  // water polygons inside land
    std::vector<Disc> islands_;
    std::vector<std::vector<std::array<double, 2>>> rivers_;
    double river_halfwidth_ = 150.0;
    std::unique_ptr<detail::SegmentIndex> river_index_;
    std::vector<Settlement> settlements_;
    std::vector<Segment> motorways_, railways_;
    std::vector<Disc> declining_regions_, problems_;
    std::array<std::vector<Zone>, kLevels> zones_;
    std::vector<std::vector<int>> cp_gm_, gm_wk_, wk_bu_;
    std::vector<int> cp_all_;
    // Urban areas that belong to one gemeente whole: a large or mid-size city's disc of
    // kCityReach e-folding radii around its centre (tested in gemeente-warped coordinates, so
    // the boundary is irregular). Without it the Voronoi gemeenten cut the cities into pieces
    // and a G4 municipality held a fraction of its city.
    struct CityArea {
        double x = 0, y = 0, r = 0;
        int gemeente = -1;
    };
    std::vector<CityArea> cities_;
    // The city gemeente whose area holds the (gemeente-warped) point, -1 if none; where areas
    // overlap, the one with the smallest distance relative to its radius.
    int city_at(double wx, double wy) const;
    // The smallest (distance / reach)^2 to a city area's centre (1e300 without cities).
    double city_q(double wx, double wy) const;
    std::vector<std::string> gm_group_;
    std::vector<int> gm_declining_;
    std::array<double, kLevels> warp_{};  // domain-warp amplitude per level, metres
};

// ---- per-cell generation ----------------------------------------------------------------

struct AmenityPoint {
    std::int32_t type = 0;  // index into amenity_types()
    std::int32_t k = 0;     // the k-th point of this type in its cell
    std::int64_t row = 0, col = 0;
    double x = 0, y = 0;
    bool operator<(const AmenityPoint& o) const;  // type, row, col, k
};

// The static (year-independent) fields of one block, computed once; then layers per year.
class Generator {
  public:
    Generator(const World& w, const Window& block);
    ~Generator();
    Generator(const Generator&) = delete;
    Generator& operator=(const Generator&) = delete;
    // All layers of `year` for the block (one interior-only raster per layers() entry).
    std::vector<Raster<std::int32_t>> generate(int year) const;
    // Amenity points consistent with the amenity rasters of `year` (from generate()).
    std::vector<AmenityPoint> points(int year, const std::vector<Raster<std::int32_t>>& l) const;
    const std::vector<std::int32_t>& buurt() const { return buurt_; }

  private:
    struct Cell;
    const World& w_;
    Window block_;
    std::vector<std::int32_t> buurt_;
    std::vector<Cell> cells_;
};

// ---- outputs ------------------------------------------------------------------------------

// Zones present on the grid, per level, with attributes for the zones GeoPackage. `index` maps
// a world zone index to its 1-based row here (0 = absent).
struct ZoneOutput {
    struct Level {
        std::string name;
        std::vector<std::string> codes, names, parent_codes;
        std::vector<int> world_index;
        std::vector<std::int32_t> index;  // world index -> 1-based output id
        // gemeente only
        std::vector<std::string> corop_codes, group;
        std::vector<int> declining;
    };
    std::array<Level, kLevels> levels;
};
// `buurt_cells[i]` = number of cells of world buurt i on the grid (summed over ranks).
ZoneOutput zone_output(const World& w, const std::vector<std::int64_t>& buurt_cells);
// Id raster of one level from the buurt raster (world buurt index, -1 = none).
std::vector<std::int32_t> level_ids(const ZoneOutput& z, const World& w, Level level,
                                    const std::vector<std::int32_t>& buurt_index);

// manifest.toml text (layout documented in the synth command's help and the README).
std::string manifest_toml(const World& w, const std::map<std::string, std::string>& extra = {});

}  // namespace leefbaar::synth
