#pragma once
// PE allocation: how many copies of each weight layer run, on how many PEs, and where. The
// compiler (mapping.cpp) maps every layer first, then calls allocate_pes on each group of
// layers that are resident together.
//
// The choice is exact, not greedy: a dynamic program over PE positions tries every PE count
// for every layer at the position the layers before it leave, and times each choice with the
// compiler's work model bounds (sim/compiler/work_model.h): read steps (array read, the busiest PE's ADCs
// and shift-adds, read_step_ns), and
// the digital, buffer and NoC work of the busiest tile it spans, together with the layers
// that run on its tiles after it (ReLU, pooling, residual adds). The objective:
// - layer-by-layer: the sum of those times (the layers run one after another);
// - layer-pipelined: first the slowest stage (throughput), then, at that stage time, the sum
//   (pipeline fill, so latency).
// Ties go to the fewest PEs, then the earliest start. One model approximation remains (README
// "Mapping rules"): a layer's inputs are assumed to cross the NoC, where the work model skips
// inputs from a producer on exactly the same tiles. allocate_pes returns that program's answer
// visiting only positions and PE counts that can be on it (allocation.cpp says why), in time
// about linear in the PEs; allocate_pes_reference runs the whole program.

#include <cstdint>
#include <vector>

#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// Placement-free work of one weight layer and the layers that run on its tiles, as the time
// each bound of the analytic engine takes on one tile's units and one router.
struct TileWork {
  double digital_ns = 0;
  double buffer_ns = 0;
  double noc_ns = 0;
};

struct LayerWork {
  TileWork own;
  std::vector<TileWork> followers;  // non-weight layers placed on this layer's tiles
};

// Work of every layer of `mapping.layers` (in that order), from the work model built on a
// placement where every layer has a tile and a router to itself.
std::vector<LayerWork> layer_work(const Network& network, const PrecisionProfile& profile,
                                  const ArchConfig& arch, const NetworkMapping& mapping);

// Time of mapped layer `m` with `pes` PEs starting at global PE `first_pe` (the copies are as
// many as fit, without copies that shorten nothing): `stage_ns` is its slowest part (its own
// time or a follower's), `sequential_ns` its own time plus its followers'.
struct LayerTime {
  int64_t replication = 0;
  double stage_ns = 0;
  double sequential_ns = 0;
};
LayerTime layer_time(const LayerMapping& m, const LayerWork& work, int64_t first_pe, int64_t pes,
                     const ArchConfig& arch);

// Sets replication, pes, first_pe, first_tile and last_tile of `layers` (consecutive layers,
// placed in order from PE 0) within `pe_budget` PEs, optimally for the mapping mode. Returns
// the PEs used. The layers must fit: at least ceil(arrays / crossbars per PE) PEs each.
int64_t allocate_pes(const std::vector<LayerMapping*>& layers,
                     const std::vector<const LayerWork*>& work, int64_t pe_budget, MappingMode mode,
                     const ArchConfig& arch);

// The same result by the plain program: every PE count of every layer at every position, time
// and memory growing with the square of the PEs. Kept as the reference the allocator is tested
// against (tests/unit/compiler/test_allocation.cpp) and timed against
// (tests/bench/bench_allocation.cpp).
int64_t allocate_pes_reference(const std::vector<LayerMapping*>& layers,
                               const std::vector<const LayerWork*>& work, int64_t pe_budget,
                               MappingMode mode, const ArchConfig& arch);

}  // namespace mixpim::sim
