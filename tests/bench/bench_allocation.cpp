// The PE allocator against the plain program it replaced (allocate_pes_reference), on
// ResNet18 CIFAR-10 mixed-channel, ISAAC tiles, at 168, 672, 2,688 and 10,752 tiles (the
// reference at 10,752 takes minutes and is left out). Each case times the allocation alone, on
// a mapping and layer work built once. scripts/bench.sh runs it and prints the ratios.
#include <benchmark/benchmark.h>

#include <string>

#include "sim/compiler/allocation.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {
namespace {

std::string source(const std::string& relative) {
  return std::string(MIXPIM_SOURCE_DIR) + "/" + relative;
}

struct Case {
  Network network;
  PrecisionProfile profile;
  ArchConfig arch;
  NetworkMapping mapping;
  std::vector<LayerWork> work;
};

Case make_case(int tiles) {
  Case c;
  c.network = load_network(source("workloads/resnet18-cifar10.yaml"));
  c.profile = load_profile(source("workloads/profiles/resnet18/mixed-channel.yaml"), c.network);
  c.arch = load_arch_config(source("configs/arch/isaac.yaml"));
  // Concentrated mesh as ISAAC's (4 tiles per router), grown with the tiles.
  const int routers = tiles / c.arch.chip.noc.tiles_per_router;
  int columns = 1;
  while (columns * columns < routers) ++columns;
  while (routers % columns != 0) ++columns;
  c.arch.chip.tiles = tiles;
  c.arch.chip.noc.mesh_columns = columns;
  c.arch.chip.noc.mesh_rows = routers / columns;
  c.mapping = map_network(c.network, c.profile, c.arch);
  c.work = layer_work(c.network, c.profile, c.arch, c.mapping);
  return c;
}

template <bool kReference>
void allocate(benchmark::State& state) {
  const Case c = make_case(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    NetworkMapping m = c.mapping;
    std::vector<LayerMapping*> layers;
    std::vector<const LayerWork*> work;
    for (size_t k = 0; k < m.layers.size(); ++k) {
      layers.push_back(&m.layers[k]);
      work.push_back(&c.work[k]);
    }
    const int64_t used = kReference
                             ? allocate_pes_reference(layers, work, m.pes_available, m.mode, c.arch)
                             : allocate_pes(layers, work, m.pes_available, m.mode, c.arch);
    benchmark::DoNotOptimize(used);
  }
  state.counters["pes"] = static_cast<double>(c.mapping.pes_available);
}

BENCHMARK(allocate<false>)
    ->Name("allocate_pes")
    ->Arg(168)
    ->Arg(672)
    ->Arg(2688)
    ->Arg(10752)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(allocate<true>)
    ->Name("allocate_pes_reference")
    ->Arg(168)
    ->Arg(672)
    ->Arg(2688)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mixpim::sim

BENCHMARK_MAIN();
