#include "allocation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "adc.h"
#include "analytic.h"
#include "work_model.h"
#include "memory_guard.h"

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

constexpr double kNever = std::numeric_limits<double>::infinity();

double bound_or_zero(const LayerProgram& perf, const char* name) {
  const auto it = perf.bounds_ns.find(name);
  return it == perf.bounds_ns.end() ? 0.0 : it->second;
}

TileWork tile_work(const LayerProgram& perf) {
  return {bound_or_zero(perf, "digital"), bound_or_zero(perf, "buffer"),
          bound_or_zero(perf, "noc")};
}

// The crossbar and ADC part of a layer's time: it depends on the PE count, not on where the
// PEs are.
struct ArrayTime {
  int64_t replication = 0;
  double ns = 0;
};

ArrayTime array_time(const LayerMapping& m, int64_t pes, int adc_bits, const ArchConfig& arch) {
  // As many copies as the PEs hold, less those that shorten nothing (same MVMs per copy).
  const int64_t fit = std::min(m.mvms, pes * arch.pe.crossbars / m.arrays());
  const int64_t mvms_per_copy = ceil_div(m.mvms, fit);
  const int64_t copies = ceil_div(m.mvms, mvms_per_copy);
  // The work model's read step (work_model.h, read_step_ns): the array read, the busiest PE's
  // conversions and shift-adds, overlapped behind a sample-and-hold.
  const auto reads = static_cast<double>(mvms_per_copy * m.input_cycles);
  const int64_t columns = m.busiest_pe_columns(arch.pe.crossbars, copies, pes);
  return {copies, reads * read_step_ns(arch, columns, adc_bits)};
}

// The busiest tile's share of PEs [first_pe, first_pe + pes) and the routers serving the tiles
// they span, as tile_shares() and the work model count them.
struct Spread {
  double busiest_share = 1;
  double routers = 1;
};

Spread spread(int64_t first_pe, int64_t pes, const ArchConfig& arch) {
  const int64_t per_tile = arch.tile.pes;
  const int64_t first_tile = first_pe / per_tile, last_tile = (first_pe + pes - 1) / per_tile;
  int64_t busiest = 0;
  if (first_tile == last_tile) {
    busiest = pes;
  } else {
    busiest =
        std::max((first_tile + 1) * per_tile - first_pe, first_pe + pes - last_tile * per_tile);
    if (last_tile - first_tile > 1) busiest = per_tile;
  }
  const auto tiles = static_cast<double>(last_tile - first_tile + 1);
  return {static_cast<double>(busiest) / static_cast<double>(pes),
          std::ceil(tiles / arch.chip.noc.tiles_per_router)};
}

double tile_time(const TileWork& w, const Spread& s) {
  return std::max(
      {w.digital_ns * s.busiest_share, w.buffer_ns * s.busiest_share, w.noc_ns / s.routers});
}

LayerTime combine(const ArrayTime& array, const LayerWork& work, const Spread& s) {
  LayerTime t;
  t.replication = array.replication;
  const double own = std::max(array.ns, tile_time(work.own, s));
  t.stage_ns = own;
  t.sequential_ns = own;
  for (const TileWork& follower : work.followers) {
    const double ns = tile_time(follower, s);
    t.stage_ns = std::max(t.stage_ns, ns);
    t.sequential_ns += ns;
  }
  return t;
}

// Times of one layer for every PE count it may take, from each offset inside a tile, stored
// by offset so that the program's inner loop over PE counts reads memory in order.
struct LayerOptions {
  int64_t min_pes = 0, max_pes = 0;
  int per_tile = 1;
  std::vector<int64_t> replication;                // [pes - min_pes]
  std::vector<std::vector<double>> stage_ns;       // [offset][pes - min_pes]
  std::vector<std::vector<double>> sequential_ns;  // [offset][pes - min_pes]
};

LayerOptions layer_options(const LayerMapping& m, const LayerWork& work, int64_t max_pes,
                           const ArchConfig& arch) {
  LayerOptions o;
  o.per_tile = arch.tile.pes;
  o.min_pes = ceil_div(m.arrays(), arch.pe.crossbars);
  o.max_pes = max_pes;
  o.stage_ns.resize(static_cast<size_t>(o.per_tile));
  o.sequential_ns.resize(static_cast<size_t>(o.per_tile));
  std::vector<std::vector<LayerTime>> times(static_cast<size_t>(o.per_tile));  // undominated
  const int adc_bits = layer_adc(m, arch).bits;  // the same for every PE count
  for (int64_t pes = o.min_pes; pes <= max_pes; ++pes) {
    const ArrayTime array = array_time(m, pes, adc_bits, arch);
    o.replication.push_back(array.replication);
    for (size_t offset = 0; offset < times.size(); ++offset) {
      const LayerTime t = combine(array, work, spread(static_cast<int64_t>(offset), pes, arch));
      times[offset].push_back(t);
      // A tile's worth fewer PEs from the same offset, no slower, dominates this option: the
      // layers after it keep their offsets and have more room. Dropping dominated options keeps
      // the program exact and skips the PEs that shorten nothing.
      const int64_t fewer = pes - o.min_pes - o.per_tile;
      const bool dominated =
          fewer >= 0 && times[offset][static_cast<size_t>(fewer)].stage_ns <= t.stage_ns &&
          times[offset][static_cast<size_t>(fewer)].sequential_ns <= t.sequential_ns;
      o.stage_ns[offset].push_back(dominated ? kNever : t.stage_ns);
      o.sequential_ns[offset].push_back(dominated ? kNever : t.sequential_ns);
    }
  }
  return o;
}

// One pass of the dynamic program over PE positions; cost[b] is the best objective of the
// layers so far ending at PE b. kSlowestStage: the objective is the slowest stage; otherwise
// the sum of sequential times, over options whose stage is within `stage_cap`. Returns, for
// every layer and end position, where the layer starts.
template <bool kSlowestStage>
std::vector<std::vector<int64_t>> run_program(const std::vector<LayerOptions>& options,
                                              int64_t budget, double stage_cap,
                                              std::vector<double>& cost) {
  std::vector<std::vector<int64_t>> previous(options.size());
  cost.assign(static_cast<size_t>(budget) + 1, kNever);
  cost[0] = 0;
  std::vector<double> next;
  int64_t later_least = 0;  // PEs the layers after k need at least
  for (const LayerOptions& o : options) later_least += o.min_pes;
  for (size_t k = 0; k < options.size(); ++k) {
    const LayerOptions& o = options[k];
    later_least -= o.min_pes;
    const int64_t room = budget - later_least;  // where layer k must end by
    next.assign(cost.size(), kNever);
    std::vector<int64_t>& from = previous[k];
    from.assign(cost.size(), -1);
    for (int64_t b = 0; b + o.min_pes <= room; ++b) {
      const double before = cost[static_cast<size_t>(b)];
      if (before == kNever) continue;
      const auto offset = static_cast<size_t>(b % o.per_tile);
      const double* stage = o.stage_ns[offset].data();
      const double* sequential = o.sequential_ns[offset].data();
      const int64_t count = std::min(o.max_pes, room - b) - o.min_pes + 1;
      double* out = next.data() + b + o.min_pes;
      int64_t* out_from = from.data() + b + o.min_pes;
      for (int64_t i = 0; i < count; ++i) {
        double c = 0;
        if constexpr (kSlowestStage) {
          c = std::max(before, stage[i]);
        } else {
          if (stage[i] > stage_cap) continue;
          c = before + sequential[i];
        }
        if (c < out[i]) {
          out[i] = c;
          out_from[i] = b;
        }
      }
    }
    cost.swap(next);
  }
  return previous;
}

// The cheapest end position (the fewest PEs among equals).
int64_t best_end(const std::vector<double>& cost) {
  int64_t end = -1;
  for (size_t b = 0; b < cost.size(); ++b) {
    if (cost[b] != kNever && (end < 0 || cost[b] < cost[static_cast<size_t>(end)])) {
      end = static_cast<int64_t>(b);
    }
  }
  return end;
}


// ---- The allocator (allocate_pes): the reference's program over PE positions, without the
// positions and options that cannot be on its answer.
//
// Two facts make most of the reference's work unnecessary. (1) A layer's time depends on its
// PE count and its first PE's offset in a tile, nothing else; so if layers placed so far can
// end at PE b' < b with b' = b (mod PEs per tile) at no more cost than at b, whatever follows
// from b also follows from b', a whole number of tiles earlier, at the same cost: position b
// is dominated. (2) Likewise an option (start offset, p PEs) is dominated by (the same offset,
// p' < p PEs) with p' = p (mod PEs per tile) at no more cost: the layers after it keep their
// offsets and have more room. The reference keeps the cheapest objective with the fewest PEs
// and breaks ties toward the earliest start; a dominated position or option on its answer would
// give an answer at no more cost on fewer PEs, so its answer uses neither, and the program
// below, which visits positions in the same order with the same strict comparison, returns
// the same placement (tests/unit/test_allocation.cpp checks it against the reference).
// What is left grows with the PEs and layers, times the undominated options per offset: those
// stop once more PEs shorten nothing.

// A layer's time for PE counts visited in increasing order: the array part changes only when
// the copies or the arrays per PE do, so the busiest PE's columns are recomputed only then.
class LayerTimer {
 public:
  LayerTimer(const LayerMapping& m, const LayerWork& work, const ArchConfig& arch)
      : m_(m), work_(work), arch_(arch), adc_bits_(layer_adc(m, arch).bits) {}

  const ArrayTime& array(int64_t pes) {
    const int64_t fit = std::min(m_.mvms, pes * arch_.pe.crossbars / m_.arrays());
    const int64_t copies = ceil_div(m_.mvms, ceil_div(m_.mvms, fit));
    const int64_t per_pe = std::min<int64_t>(arch_.pe.crossbars, ceil_div(m_.arrays() * copies, pes));
    if (copies != copies_ || per_pe != per_pe_) {
      copies_ = copies;
      per_pe_ = per_pe;
      cached_ = array_time(m_, pes, adc_bits_, arch_);
    }
    return cached_;
  }
  LayerTime at(const ArrayTime& array, int64_t offset, int64_t pes) const {
    return combine(array, work_, spread(offset, pes, arch_));
  }

 private:
  const LayerMapping& m_;
  const LayerWork& work_;
  const ArchConfig& arch_;
  int adc_bits_;
  int64_t copies_ = -1, per_pe_ = -1;
  ArrayTime cached_;
};

struct Option {
  int64_t pes;
  double value;  // the stage time (first pass) or the sequential time (second pass)
};

// Per start offset in a tile, the options of one layer that no option with fewer PEs ending at
// the same offset matches: kSlowestStage ranks by stage time; otherwise by sequential time,
// among options whose stage is within `stage_cap`. Sorted by PEs.
template <bool kSlowestStage>
std::vector<std::vector<Option>> undominated_options(const LayerMapping& m, const LayerWork& work,
                                                     int64_t min_pes, int64_t max_pes,
                                                     double stage_cap, const ArchConfig& arch) {
  const int64_t per_tile = arch.tile.pes;
  std::vector<std::vector<Option>> options(static_cast<size_t>(per_tile));
  // best[offset * per_tile + end offset]: the least value so far.
  std::vector<double> best(static_cast<size_t>(per_tile * per_tile), kNever);
  LayerTimer timer(m, work, arch);
  for (int64_t pes = min_pes; pes <= max_pes; ++pes) {
    const ArrayTime array = timer.array(pes);
    for (int64_t offset = 0; offset < per_tile; ++offset) {
      const LayerTime t = timer.at(array, offset, pes);
      double value = t.stage_ns;
      if constexpr (!kSlowestStage) {
        if (t.stage_ns > stage_cap) continue;
        value = t.sequential_ns;
      }
      double& least = best[static_cast<size_t>(offset * per_tile + (offset + pes) % per_tile)];
      if (value < least) {
        least = value;
        options[static_cast<size_t>(offset)].push_back({pes, value});
      }
    }
  }
  return options;
}

// The reference's program over undominated positions and options; same arguments and result.
template <bool kSlowestStage>
std::vector<std::vector<int64_t>> run_pruned_program(
    const std::vector<LayerMapping*>& layers, const std::vector<const LayerWork*>& work,
    const std::vector<int64_t>& min_pes, const std::vector<int64_t>& max_pes, int64_t budget,
    double stage_cap, const ArchConfig& arch, std::vector<double>& cost) {
  const int64_t per_tile = arch.tile.pes;
  std::vector<std::vector<int64_t>> previous(layers.size());
  cost.assign(static_cast<size_t>(budget) + 1, kNever);
  cost[0] = 0;
  std::vector<double> next;
  std::vector<double> least_at_offset(static_cast<size_t>(per_tile));
  int64_t later_least = 0;
  for (int64_t least : min_pes) later_least += least;
  for (size_t k = 0; k < layers.size(); ++k) {
    later_least -= min_pes[k];
    const int64_t room = budget - later_least;
    const std::vector<std::vector<Option>> options = undominated_options<kSlowestStage>(
        *layers[k], *work[k], min_pes[k], std::min(max_pes[k], room), stage_cap, arch);
    next.assign(cost.size(), kNever);
    std::vector<int64_t>& from = previous[k];
    from.assign(cost.size(), -1);
    std::fill(least_at_offset.begin(), least_at_offset.end(), kNever);
    for (int64_t b = 0; b + min_pes[k] <= room; ++b) {
      const double before = cost[static_cast<size_t>(b)];
      const auto offset = static_cast<size_t>(b % per_tile);
      if (!(before < least_at_offset[offset])) continue;  // unreached or dominated
      least_at_offset[offset] = before;
      for (const Option& o : options[offset]) {
        const int64_t end = b + o.pes;
        if (end > room) break;
        const double c = kSlowestStage ? std::max(before, o.value) : before + o.value;
        if (c < next[static_cast<size_t>(end)]) {
          next[static_cast<size_t>(end)] = c;
          from[static_cast<size_t>(end)] = b;
        }
      }
    }
    cost.swap(next);
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

int64_t allocate_pes_reference(const std::vector<LayerMapping*>& layers,
                               const std::vector<const LayerWork*>& work, int64_t pe_budget,
                               MappingMode mode, const ArchConfig& arch) {
  std::vector<LayerOptions> options;
  int64_t least = 0;
  for (const LayerMapping* m : layers) least += ceil_div(m->arrays(), arch.pe.crossbars);
  // Memory, before allocating: per layer a PE count's replication and two times per offset in
  // a tile, for every PE count it may take; the program's cost and back-pointer arrays.
  // Every layer may take from its least PEs up to what the others' least leave: budget - least
  // + 1 counts.
  const double counts = static_cast<double>(std::max<int64_t>(0, pe_budget - least + 1));
  const double bytes =
      static_cast<double>(layers.size()) * counts * (8.0 + 16.0 * arch.tile.pes) +
      static_cast<double>(layers.size() + 2) * static_cast<double>(pe_budget + 1) * 8;
  check_memory(bytes,
               "the PE allocator for " + std::to_string(pe_budget) + " PEs (" +
                   std::to_string(arch.chip.tiles) + " tiles x " + std::to_string(arch.tile.pes) +
                   " PEs) and " + std::to_string(layers.size()) + " layers",
               key_location(arch, {"tile", "pes"}), "tile.pes",
               "use fewer PEs per tile or fewer tiles (chip.tiles), or raise the limit");
  for (size_t k = 0; k < layers.size(); ++k) {
    const int64_t own_least = ceil_div(layers[k]->arrays(), arch.pe.crossbars);
    options.push_back(layer_options(*layers[k], *work[k], pe_budget - (least - own_least), arch));
  }

  std::vector<double> cost;
  double stage_cap = kNever;
  if (mode == MappingMode::kLayerPipelined) {
    // Throughput first: the least slowest stage any placement reaches...
    run_program<true>(options, pe_budget, kNever, cost);
    stage_cap = cost[static_cast<size_t>(best_end(cost))];
  }
  // ...then the least total time at that stage time.
  const std::vector<std::vector<int64_t>> previous =
      run_program<false>(options, pe_budget, stage_cap, cost);
  const int64_t used = best_end(cost);

  int64_t end = used;
  for (size_t k = layers.size(); k-- > 0;) {
    LayerMapping& m = *layers[k];
    const int64_t first = previous[k][static_cast<size_t>(end)];
    m.pes = end - first;
    m.replication = options[k].replication[static_cast<size_t>(m.pes - options[k].min_pes)];
    m.first_pe = first;
    m.first_tile = static_cast<int>(first / arch.tile.pes);
    m.last_tile = static_cast<int>((end - 1) / arch.tile.pes);
    end = first;
  }
  return used;
}

int64_t allocate_pes(const std::vector<LayerMapping*>& layers,
                     const std::vector<const LayerWork*>& work, int64_t pe_budget, MappingMode mode,
                     const ArchConfig& arch) {
  std::vector<int64_t> min_pes, max_pes;
  int64_t least = 0;
  for (const LayerMapping* m : layers) {
    min_pes.push_back(ceil_div(m->arrays(), arch.pe.crossbars));
    least += min_pes.back();
  }
  for (int64_t own_least : min_pes) max_pes.push_back(pe_budget - (least - own_least));
  // Memory, before allocating: the program's cost arrays and back pointers, and one layer's
  // options at a time, at worst one per PE count and offset in a tile.
  const double counts = static_cast<double>(std::max<int64_t>(0, pe_budget - least + 1));
  const double bytes = counts * 16.0 * arch.tile.pes +
                       static_cast<double>(arch.tile.pes) * arch.tile.pes * 8.0 +
                       static_cast<double>(layers.size() + 2) * static_cast<double>(pe_budget + 1) * 8;
  check_memory(bytes,
               "the PE allocator for " + std::to_string(pe_budget) + " PEs (" +
                   std::to_string(arch.chip.tiles) + " tiles x " + std::to_string(arch.tile.pes) +
                   " PEs) and " + std::to_string(layers.size()) + " layers",
               key_location(arch, {"tile", "pes"}), "tile.pes",
               "use fewer PEs per tile or fewer tiles (chip.tiles), or raise the limit");

  std::vector<double> cost;
  double stage_cap = kNever;
  if (mode == MappingMode::kLayerPipelined) {
    run_pruned_program<true>(layers, work, min_pes, max_pes, pe_budget, kNever, arch, cost);
    stage_cap = cost[static_cast<size_t>(best_end(cost))];
  }
  const std::vector<std::vector<int64_t>> previous =
      run_pruned_program<false>(layers, work, min_pes, max_pes, pe_budget, stage_cap, arch, cost);
  const int64_t used = best_end(cost);

  int64_t end = used;
  for (size_t k = layers.size(); k-- > 0;) {
    LayerMapping& m = *layers[k];
    const int64_t first = previous[k][static_cast<size_t>(end)];
    m.pes = end - first;
    m.replication = array_time(m, m.pes, layer_adc(m, arch).bits, arch).replication;
    m.first_pe = first;
    m.first_tile = static_cast<int>(first / arch.tile.pes);
    m.last_tile = static_cast<int>((end - 1) / arch.tile.pes);
    end = first;
  }
  return used;
}

}  // namespace mixpim::sim
