// The plain dynamic program the allocator (allocation.cpp) must agree with: every PE count of
// every layer at every position, time and memory growing with the square of the PEs. Kept for
// the tests (tests/unit/compiler/test_allocation.cpp) and the benchmark (tests/bench).
#include <algorithm>
#include <limits>

#include "sim/compiler/adc.h"
#include "sim/compiler/allocation.h"
#include "sim/compiler/allocation_time.h"
#include "sim/util/memory_guard.h"

namespace mixpim::sim {

using namespace allocation_detail;

namespace {

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
}  // namespace

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

}  // namespace mixpim::sim
