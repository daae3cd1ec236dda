#pragma once
// Internals shared by the synthetic-world sources (not part of the public synth interface).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/synth.hpp"

namespace leefbaar::synth::detail {

using Poly = std::vector<std::array<double, 2>>;

std::array<double, 4> world_box(Preset p);
bool in_poly(const Poly& p, double x, double y);
double seg_dist(const Segment& s, double x, double y);
std::string place_name(std::uint64_t seed, std::uint32_t id);

// Segments bucketed on a coarse grid: distance from a point to the nearest segment, capped at
// `reach` metres (the cap keeps lookups local).
class SegmentIndex {
  public:
    SegmentIndex(std::vector<Segment> segs, std::array<double, 4> box, double bucket, double reach);
    double distance(double x, double y) const;

  private:
    std::int64_t col(double x) const;
    std::int64_t row(double y) const;
    std::vector<Segment> segs_;
    std::array<double, 4> box_;
    double bucket_, reach_;
    std::int64_t nx_ = 1, ny_ = 1;
    std::vector<std::vector<int>> cells_;
};

// Items with a centre and a reach, bucketed so a point finds the items that reach it.
class DiscIndex {
  public:
    DiscIndex(const std::vector<Disc>& discs, std::array<double, 4> box, double bucket);
    // Indices of the discs whose reach (Disc::r) may cover (x, y).
    const std::vector<int>& near(double x, double y) const;

  private:
    std::array<double, 4> box_;
    double bucket_;
    std::int64_t nx_ = 1, ny_ = 1;
    std::vector<std::vector<int>> cells_;
    std::vector<int> empty_;
};

}  // namespace leefbaar::synth::detail
