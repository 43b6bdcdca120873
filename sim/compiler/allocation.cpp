#include "sim/compiler/allocation.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "sim/compiler/adc.h"
#include "sim/compiler/allocation_time.h"
#include "sim/util/memory_guard.h"
#include "sim/compiler/work_model.h"

namespace mixpim::sim {

using namespace allocation_detail;

namespace {

double bound_or_zero(const LayerProgram& perf, const char* name) {
  const auto it = perf.bounds_ns.find(name);
  return it == perf.bounds_ns.end() ? 0.0 : it->second;
}

TileWork tile_work(const LayerProgram& perf) {
  return {bound_or_zero(perf, "digital"), bound_or_zero(perf, "buffer"),
          bound_or_zero(perf, "noc")};
}

// ---- The allocator (allocate_pes). It returns the reference's placement (the same PE counts,
// first PEs and copies) without running the reference's program over every position and PE
// count; tests/unit/compiler/test_allocation.cpp compares the two placement for placement.
//
// Why the answer is the reference's. The reference keeps the least objective, then the fewest
// PEs, and at each end position the earliest start among equals. The program below visits a
// subset of the reference's (position, option) pairs in the same order with the same
// comparisons and arithmetic, so it returns the reference's placement as long as the subset
// holds that placement (cost and back pointers along it are then the same, and nothing it
// visits beats them). It drops three kinds of pairs, none on the reference's placement:
// 1. Dominated positions: layers so far ending at PE b' < b, b' = b (mod PEs per tile), at no
//    more cost than at b. A layer's time depends only on its PE count and its first PE's offset
//    in a tile, so the rest of a placement through b, moved a whole number of tiles earlier,
//    follows b' at the same cost: a placement through b is never the reference's (it would
//    have one at no more cost on fewer PEs).
// 2. Pairs outside the band: positions e after layer k where a lower bound of the cost to
//    reach e plus a lower bound of the cost from e on exceeds an upper bound of the optimum.
//    The bounds relax each layer's time to the lower convex hull of its least time over
//    offsets; on a convex relaxation the least cost of a PE total is the inf-convolution of the
//    hulls (their slopes merged), a valid lower bound of every placement. The upper bound is a
//    placement found in a narrow band first: if it costs no more than that band's threshold it
//    is optimal; otherwise the band is redrawn at its cost.
// 3. The slowest-stage pass (layer-pipelined) needs only the least slowest stage, not a
//    placement: it is the least S for which PE positions can be reached with every stage
//    within S, found by bisection over the doubles, where reachability keeps per offset in a
//    tile only the earliest end (by 1., enough). allocation_stage.cpp; it first brackets S
//    between the layers' best-offset and worst-offset times.
// What remains grows with the PEs times the layers (times, per layer, evaluated once per PE
// count and offset) plus the band's positions times its width.

// The band and bound tests compare sums of one placement's times, added in another order, with
// a margin far above their rounding.
constexpr double kBoundMargin = 1e-9;

// ---- The bounds (2. above).

// A convex piecewise-linear function of a PE count: `value` at `start`, then segments of
// `length` PEs and a slope, slopes rising.
struct Convex {
  int64_t start = 0;
  double value = 0;
  std::vector<std::pair<double, int64_t>> segments;  // (slope, length)
};

// The lower convex hull of f over [first, first + f.size()), f infinite where not allowed.
Convex lower_hull(const std::vector<double>& f, int64_t first) {
  std::vector<int64_t> hull;  // indices into f
  for (int64_t i = 0; i < static_cast<int64_t>(f.size()); ++i) {
    if (f[static_cast<size_t>(i)] == kNever) continue;
    while (hull.size() >= 2) {
      const int64_t a = hull[hull.size() - 2], b = hull.back();
      // b lies on or above the chord from a to i: drop it.
      const double cross =
          (f[static_cast<size_t>(b)] - f[static_cast<size_t>(a)]) * static_cast<double>(i - a) -
          (f[static_cast<size_t>(i)] - f[static_cast<size_t>(a)]) * static_cast<double>(b - a);
      if (cross < 0) break;
      hull.pop_back();
    }
    hull.push_back(i);
  }
  Convex c;
  if (hull.empty()) return c;
  c.start = first + hull.front();
  c.value = f[static_cast<size_t>(hull.front())];
  for (size_t j = 1; j < hull.size(); ++j) {
    const int64_t length = hull[j] - hull[j - 1];
    c.segments.emplace_back(
        (f[static_cast<size_t>(hull[j])] - f[static_cast<size_t>(hull[j - 1])]) /
            static_cast<double>(length),
        length);
  }
  return c;
}

// The inf-convolution of two convex functions: the least sum of the two at a total.
Convex inf_convolution(const Convex& a, const Convex& b) {
  Convex c;
  c.start = a.start + b.start;
  c.value = a.value + b.value;
  c.segments.resize(a.segments.size() + b.segments.size());
  std::merge(a.segments.begin(), a.segments.end(), b.segments.begin(), b.segments.end(),
             c.segments.begin());
  return c;
}

// f at every integer 0..budget (infinite outside its domain).
std::vector<double> evaluate(const Convex& f, int64_t budget) {
  std::vector<double> out(static_cast<size_t>(budget) + 1, kNever);
  int64_t x = f.start;
  double v = f.value;
  if (x <= budget) out[static_cast<size_t>(x)] = v;
  for (const auto& [slope, length] : f.segments) {
    for (int64_t i = 1; i <= length && x + i <= budget; ++i)
      out[static_cast<size_t>(x + i)] = v + slope * static_cast<double>(i);
    x += length;
    v += slope * static_cast<double>(length);
    if (x > budget) break;
  }
  return out;
}

// ---- The program (1. and 2. above).

struct Band {
  int64_t low = 0, high = -1;  // positions [low, high]; empty when high < low
};

// The reference's second pass restricted to `bands` (one per layer, of end positions) and to
// states whose cost plus `to_go` (a lower bound of the rest) stays within `threshold`. Returns
// back pointers; `cost` as the reference's.
std::vector<std::vector<int64_t>> banded_program(const std::vector<LayerTimes>& times,
                                                 int64_t budget, double stage_cap,
                                                 const std::vector<Band>& bands,
                                                 const std::vector<std::vector<double>>& to_go,
                                                 double threshold, int64_t per_tile,
                                                 std::vector<double>& cost) {
  std::vector<std::vector<int64_t>> previous(times.size());
  cost.assign(static_cast<size_t>(budget) + 1, kNever);
  cost[0] = 0;
  std::vector<double> next;
  std::vector<double> least_at_offset(static_cast<size_t>(per_tile));
  int64_t later_least = 0;
  for (const LayerTimes& t : times) later_least += t.min_pes();
  Band from_band{0, 0};
  for (size_t k = 0; k < times.size(); ++k) {
    const LayerTimes& t = times[k];
    later_least -= t.min_pes();
    const int64_t room = budget - later_least;
    const Band& band = bands[k];
    next.assign(cost.size(), kNever);
    std::vector<int64_t>& from = previous[k];
    from.assign(cost.size(), -1);
    std::fill(least_at_offset.begin(), least_at_offset.end(), kNever);
    // Positions before the band are not reached (their cost is infinite): start the dominance
    // scan at the band.
    for (int64_t b = from_band.low; b <= from_band.high && b + t.min_pes() <= room; ++b) {
      const double before = cost[static_cast<size_t>(b)];
      const auto offset = static_cast<size_t>(b % per_tile);
      if (!(before < least_at_offset[offset])) continue;  // unreached or dominated
      least_at_offset[offset] = before;
      const std::vector<double>& rest = to_go[k];
      const int64_t first = std::max(t.min_pes(), band.low - b);
      const int64_t last = std::min({t.max_pes(), room - b, band.high - b});
      for (int64_t pes = first; pes <= last; ++pes) {
        const LayerTime lt = t.at(static_cast<int64_t>(offset), pes);
        if (lt.stage_ns > stage_cap) continue;
        const double c = before + lt.sequential_ns;
        const int64_t end = b + pes;
        if (!(c < next[static_cast<size_t>(end)])) continue;
        if (c + rest[static_cast<size_t>(end)] > threshold) continue;
        if (t.excluded(static_cast<int64_t>(offset), pes, lt)) continue;
        next[static_cast<size_t>(end)] = c;
        from[static_cast<size_t>(end)] = b;
      }
    }
    cost.swap(next);
    from_band = band;
  }
  return previous;
}

}  // namespace

std::vector<LayerWork> layer_work(const Network& network, const PrecisionProfile& profile,
                                  const ArchConfig& arch, const NetworkMapping& mapping) {
  // Every layer on a tile (and so a router) of its own, one PE share: the engine's digital,
  // buffer and NoC bounds are then the work of one tile and one router, and every input
  // crosses the NoC.
  NetworkMapping alone = mapping;
  alone.resident = true;
  for (size_t k = 0; k < alone.layers.size(); ++k) {
    LayerMapping& m = alone.layers[k];
    m.replication = 1;
    m.passes = 1;
    m.pes = 0;
    m.first_pe = 0;
    m.first_tile = m.last_tile = static_cast<int>(k);
  }
  const WorkModel perf = build_work_model(network, profile, arch, alone);
  std::vector<int> owner(network.layers.size(), -1);  // index into mapping.layers
  std::vector<LayerWork> work(mapping.layers.size());
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const LayerProgram& l = perf.layers[i];
    if (l.mapping >= 0) {
      owner[i] = l.mapping;
      work[static_cast<size_t>(l.mapping)].own = tile_work(l);
      continue;
    }
    const Layer& layer = network.layers[i];
    const int producer = layer.producers.empty() ? kNetworkInput : layer.producers.front();
    if (producer == kNetworkInput || owner[static_cast<size_t>(producer)] < 0) continue;
    owner[i] = owner[static_cast<size_t>(producer)];
    work[static_cast<size_t>(owner[i])].followers.push_back(tile_work(l));
  }
  return work;
}

LayerTime layer_time(const LayerMapping& m, const LayerWork& work, int64_t first_pe, int64_t pes,
                     const ArchConfig& arch) {
  return combine(array_time(m, pes, layer_adc(m, arch).bits, arch), work,
                 spread(first_pe, pes, arch));
}

int64_t allocate_pes(const std::vector<LayerMapping*>& layers,
                     const std::vector<const LayerWork*>& work, int64_t pe_budget, MappingMode mode,
                     const ArchConfig& arch) {
  const int64_t per_tile = arch.tile.pes;
  const size_t n = layers.size();
  std::vector<int64_t> min_pes, max_pes;
  int64_t least = 0;
  for (const LayerMapping* m : layers) {
    min_pes.push_back(ceil_div(m->arrays(), arch.pe.crossbars));
    least += min_pes.back();
  }
  for (int64_t own_least : min_pes) max_pes.push_back(pe_budget - (least - own_least));
  // Memory, before allocating: per layer the array time of every PE count it may take, its
  // stage records (at worst one per PE count and offset in a tile, 16 bytes, twice for the
  // lists' growth, and a list per
  // pair of offsets), two bounds and the back pointers per position; the cost arrays.
  const double counts = static_cast<double>(std::max<int64_t>(0, pe_budget - least + 1));
  const auto positions = static_cast<double>(pe_budget + 1);
  const double bytes = static_cast<double>(n) *
                           (counts * (16.0 + 32.0 * per_tile) +
                            static_cast<double>(per_tile) * per_tile * 24.0 + positions * 24.0) +
                       4 * positions * 8;
  check_memory(bytes,
               "the PE allocator for " + std::to_string(pe_budget) + " PEs (" +
                   std::to_string(arch.chip.tiles) + " tiles x " + std::to_string(per_tile) +
                   " PEs) and " + std::to_string(n) + " layers",
               key_location(arch, {"tile", "pes"}), "tile.pes",
               "use fewer PEs per tile or fewer tiles (chip.tiles), or raise the limit");

  std::vector<LayerTimes> times;
  times.reserve(n);
  for (size_t k = 0; k < n; ++k)
    times.emplace_back(*layers[k], *work[k], min_pes[k], max_pes[k], arch);

  double stage_cap = kNever;
  if (mode == MappingMode::kLayerPipelined) {
    // Throughput first: the least slowest stage any placement reaches (allocation_stage.cpp).
    stage_cap = least_slowest_stage(times, min_pes, max_pes, pe_budget, per_tile);
  }

  // ...then the least total time at that stage time. Each layer's least time per PE count over
  // the offsets, relaxed to its lower convex hull; `reach[k]` bounds the cost of layers 0..k
  // ending at a position, `to_go[k]` that of layers k+1.. from it (within the budget).
  std::vector<Convex> hulls;
  std::vector<LayerTime> by_offset(static_cast<size_t>(per_tile));
  for (size_t k = 0; k < n; ++k) {
    std::vector<double> f(static_cast<size_t>(max_pes[k] - min_pes[k] + 1), kNever);
    for (int64_t pes = min_pes[k]; pes <= max_pes[k]; ++pes) {
      double& least_ns = f[static_cast<size_t>(pes - min_pes[k])];
      times[k].at_every_offset(pes, by_offset.data());
      for (const LayerTime& t : by_offset)
        if (t.stage_ns <= stage_cap) least_ns = std::min(least_ns, t.sequential_ns);
    }
    hulls.push_back(lower_hull(f, min_pes[k]));
  }
  std::vector<std::vector<double>> reach(n), to_go(n);
  Convex sum = hulls[0];
  reach[0] = evaluate(sum, pe_budget);
  for (size_t k = 1; k < n; ++k) {
    sum = inf_convolution(sum, hulls[k]);
    reach[k] = evaluate(sum, pe_budget);
  }
  // to_go[k][e]: the least of the later layers' hull sum over totals up to budget - e.
  to_go[n - 1].assign(static_cast<size_t>(pe_budget) + 1, 0.0);
  Convex later;
  for (size_t k = n - 1; k-- > 0;) {
    later = k == n - 2 ? hulls[k + 1] : inf_convolution(hulls[k + 1], later);
    const std::vector<double> at_total = evaluate(later, pe_budget);
    std::vector<double>& out = to_go[k];
    out.assign(static_cast<size_t>(pe_budget) + 1, kNever);
    double best = kNever;
    for (int64_t total = 0; total <= pe_budget; ++total) {
      best = std::min(best, at_total[static_cast<size_t>(total)]);
      out[static_cast<size_t>(pe_budget - total)] = best;
    }
  }
  double lower = kNever;  // of the optimum
  for (double v : reach[n - 1]) lower = std::min(lower, v);

  // The band at a threshold: the positions whose two bounds sum within it.
  auto bands_at = [&](double threshold) {
    std::vector<Band> bands(n);
    for (size_t k = 0; k < n; ++k) {
      Band& band = bands[k];
      for (int64_t e = 0; e <= pe_budget; ++e) {
        if (reach[k][static_cast<size_t>(e)] + to_go[k][static_cast<size_t>(e)] > threshold)
          continue;
        if (band.high < band.low) band.low = e;
        band.high = e;
      }
    }
    return bands;
  };
  std::vector<double> cost;
  std::vector<std::vector<int64_t>> previous;
  int64_t used = -1;
  double threshold = lower * (1 + 1e-6);
  for (;;) {
    const double with_margin = threshold * (1 + kBoundMargin);
    previous = banded_program(times, pe_budget, stage_cap, bands_at(with_margin), to_go,
                              with_margin, per_tile, cost);
    used = best_end(cost);
    if (used < 0) {  // nothing within the band: widen it (to every position, at worst)
      if (threshold == kNever) throw std::logic_error("allocate_pes: no placement of the layers");
      threshold = threshold > lower ? lower + (threshold - lower) * 16 : kNever;
      continue;
    }
    const double found = cost[static_cast<size_t>(used)];
    if (found <= threshold) break;  // no placement outside the band costs less
    threshold = found;              // a placement costs `found`: the optimum is within that band
  }

  int64_t end = used;
  for (size_t k = n; k-- > 0;) {
    LayerMapping& m = *layers[k];
    const int64_t first = previous[k][static_cast<size_t>(end)];
    m.pes = end - first;
    m.replication = times[k].replication(m.pes);
    m.first_pe = first;
    m.first_tile = static_cast<int>(first / per_tile);
    m.last_tile = static_cast<int>((end - 1) / per_tile);
    end = first;
  }
  return used;
}

}  // namespace mixpim::sim
