// BlockInputs::evaluate with the run's cell mask against the same call without one, for every
// operation a model config may name: the needed cells must get the same bits (the run keeps
// only its scored cells), whatever the op does with the mask.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/indicators.hpp"
#include "core/model_config.hpp"

using namespace leefbaar;

namespace {

// A block of the middle of a small grid, with a halo that reaches past the grid's edge on one
// side (nodata there, as in the run).
struct Fixture {
    GridSpec grid;
    Window block;
    std::int64_t halo = 31;
    BlockInputs in;

    Fixture() : grid(make_grid()), block{5, 0, 150, 40}, in(grid, 2018) {
        std::mt19937_64 rng(17);
        std::uniform_real_distribution<double> u(0.0, 1.0);
        for (const std::string name : {"a", "b", "sparse"}) {
            Raster<std::int32_t> r(block, halo, kernels::kNodataI32);
            for (std::int64_t row = r.padded().row0; row < r.padded().row1(); ++row)
                for (std::int64_t col = r.padded().col0; col < r.padded().col1(); ++col) {
                    if (row < 0 || row >= grid.ny || col < 0 || col >= grid.nx) continue;
                    const double p = u(rng);
                    std::int32_t v = 0;
                    if (name == "sparse")
                        v = p < 0.04 ? std::int32_t(1 + rng() % 5) : 0;
                    else
                        v = p < 0.05 ? kernels::kNodataI32 : std::int32_t(rng() % 60);
                    r.at(col, row) = v;
                }
            in.add_layer(name, std::move(r));
        }
        std::vector<double> xs, ys;
        for (int i = 0; i < 60; ++i) {
            xs.push_back(grid.xmin + u(rng) * grid.cell * double(grid.nx));
            ys.push_back(grid.ymax - u(rng) * grid.cell * double(grid.ny));
        }
        in.add_points("shop", xs, ys);
    }
    static GridSpec make_grid() {
        GridSpec g;
        g.xmin = 100000.0;
        g.ymax = 500000.0;
        g.nx = 170;
        g.ny = 60;
        return g;
    }
};

KernelSpec spec(const std::string& op) {
    KernelSpec k;
    k.op = op;
    k.layers = {op == "gaussian" || op == "exponential" || op == "linear" ? "sparse" : "a"};
    if (op == "share" || op == "rate") k.layers = {"a", "b"};
    k.radius = op == "exponential" ? 800.0 : 600.0;
    k.inner_radius = 250.0;
    k.sigma = 300.0;
    k.length = 200.0;
    k.max_distance = 1500.0;
    if (k.uses_points()) {
        k.layers.clear();
        k.point_type = "shop";
        k.k = 2;
    }
    return k;
}

}  // namespace

TEST_CASE("every config op gives the needed cells the same bits with the run's cell mask",
          "[core][mask]") {
    Fixture f;
    const std::size_t n = std::size_t(f.block.cells());
    std::mt19937_64 rng(23);
    std::vector<std::uint8_t> scattered(n), clustered(n, 0);
    for (auto& m : scattered) m = rng() % 20 == 0;  // about the run's 5 %
    for (std::int64_t r = 10; r < 25; ++r)
        for (std::int64_t c = 40; c < 90; ++c) clustered[std::size_t(r * f.block.ncols + c)] = 1;
    std::size_t ops = 0;
    for (const auto& [op, help] : kernel_ops()) {
        const KernelSpec k = spec(op);
        IndicatorSpec ind;
        ind.name = "x_" + op;
        ind.kernel = k;
        std::vector<double> full(n), masked(n);
        f.in.evaluate(ind, full);
        for (const auto* m : {&scattered, &clustered}) {
            std::fill(masked.begin(), masked.end(), -1.0);
            f.in.evaluate(ind, masked, kernels::CellMask{*m});
            std::size_t diff = 0, values = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if ((*m)[i] == 0) continue;
                diff += std::memcmp(&full[i], &masked[i], sizeof(double)) != 0;
                values += !std::isnan(full[i]);
            }
            INFO("op " << op);
            CHECK(diff == 0);
            CHECK(values > 0);  // the comparison covers real values, not just nodata
        }
        ++ops;
    }
    CHECK(ops == kernel_ops().size());
    CHECK(ops >= 16);
}
