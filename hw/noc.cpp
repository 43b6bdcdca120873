#include "noc.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

namespace mixpim::hw {

namespace {
enum Direction { kEast, kWest, kNorth, kSouth, kEject, kDirections };
}

Noc::Noc(sc_core::sc_module_name name, const sim::NocConfig& config, double clock_ghz)
    : sc_module(name),
      config_(config),
      clock_ghz_(clock_ghz),
      links_(static_cast<size_t>(std::max(1, config.mesh_columns) * std::max(1, config.mesh_rows) *
                                 kDirections)) {}

std::pair<int, int> Noc::position(int tile) const {
  if (tile < 0) return {0, 0};
  const int router = tile / config_.tiles_per_router;
  return {router % config_.mesh_columns, router / config_.mesh_columns};
}

int Noc::link_id(int column, int row, int direction) const {
  const int id = (row * config_.mesh_columns + column) * kDirections + direction;
  // Unreachable: arch validation keeps every tile's router inside the mesh. Fail loudly
  // rather than charge traffic to the wrong link should that ever change.
  if (id < 0 || id >= static_cast<int>(links_.size())) {
    throw std::logic_error("NoC: router (" + std::to_string(column) + ", " + std::to_string(row) +
                           ") is outside the " + std::to_string(config_.mesh_columns) + "x" +
                           std::to_string(config_.mesh_rows) + " mesh");
  }
  return id;
}

int64_t Noc::hops(int from_tile, int to_tile) const {
  if (from_tile == to_tile) return 0;
  const auto [fx, fy] = position(from_tile);
  const auto [tx, ty] = position(to_tile);
  return std::abs(fx - tx) + std::abs(fy - ty) + 1;
}

int64_t Noc::flit_hops(int64_t flits, int from_first, int from_last, int to_first,
                       int to_last) const {
  int64_t total = 0, pairs = 0;
  for (int f = from_first; f <= from_last; ++f) {
    for (int t = to_first; t <= to_last; ++t) {
      total += hops(f, t);
      ++pairs;
    }
  }
  return pairs == 0 ? 0 : (flits * total + pairs - 1) / pairs;
}

Noc::Plan Noc::plan(int from_first, int from_last, int to_first, int to_last) const {
  std::map<std::pair<std::pair<int, int>, std::pair<int, int>>, int64_t> pairs_per_route;
  int64_t pairs = 0;
  for (int f = from_first; f <= from_last; ++f) {
    for (int t = to_first; t <= to_last; ++t) {
      ++pairs;
      if (f != t) ++pairs_per_route[{position(f), position(t)}];
    }
  }
  Plan plan;
  for (const auto& [ends, count] : pairs_per_route) {
    Route route;
    auto [x, y] = ends.first;
    const auto [tx, ty] = ends.second;
    while (x != tx) {  // X first
      route.links.push_back(link_id(x, y, x < tx ? kEast : kWest));
      x += x < tx ? 1 : -1;
    }
    while (y != ty) {
      route.links.push_back(link_id(x, y, y < ty ? kSouth : kNorth));
      y += y < ty ? 1 : -1;
    }
    route.links.push_back(link_id(tx, ty, kEject));
    route.routers = static_cast<int>(route.links.size());
    route.share = static_cast<double>(count) / static_cast<double>(pairs);
    plan.push_back(std::move(route));
  }
  return plan;
}

double Noc::send(double at_ns, const Plan& plan, double flits) {
  const double ns_per_flit = 1.0 / (config_.link_flits_per_cycle * clock_ghz_);
  const double router_ns = config_.router_latency_cycles / clock_ghz_;
  double end = at_ns;
  for (const Route& route : plan) {
    double arrive = at_ns;
    for (int link : route.links) {
      arrive = std::max(arrive, links_[static_cast<size_t>(link)].reserve(
                                    at_ns, flits * route.share * ns_per_flit));
    }
    end = std::max(end, arrive + route.routers * router_ns);
  }
  return end;
}

double Noc::link_busy_ns() const {
  double busy = 0;
  for (const Server& s : links_) busy += s.busy_ns();
  return busy;
}

double Noc::link_waited_ns() const {
  double waited = 0;
  for (const Server& s : links_) waited += s.waited_ns();
  return waited;
}

}  // namespace mixpim::hw
