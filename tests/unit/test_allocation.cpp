// PE allocation: the allocator times a layer as the analytic engine does, and its dynamic
// program finds the best placement that exhaustive search over every PE split finds.
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <random>

#include "sim/allocation.h"
#include "sim/analytic.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::source_path;

// The mapping index of the weight layer each network layer runs on (-1: none): a weight
// layer's own, else its first producer's.
std::vector<int> owners(const Network& n, const PerformanceResult& perf) {
  std::vector<int> owner(n.layers.size(), -1);
  for (size_t i = 0; i < n.layers.size(); ++i) {
    const int producer = n.layers[i].producers.empty() ? kNetworkInput : n.layers[i].producers[0];
    owner[i] = perf.layers[i].mapping >= 0 ? perf.layers[i].mapping
               : producer == kNetworkInput ? -1
                                           : owner[static_cast<size_t>(producer)];
  }
  return owner;
}

TEST(Allocation, LayerTimeIsTheAnalyticEnginesTime) {
  for (MappingMode mode : {MappingMode::kLayerPipelined, MappingMode::kLayerByLayer}) {
    ArchConfig arch = test::isaac_preset();
    arch.mapping.mode = mode;
    for (const char* family : {"vgg19", "resnet18"}) {
      const Network n =
          load_network(source_path(std::string("workloads/") + family + "-cifar10.yaml"));
      const PrecisionProfile p = load_profile(
          source_path(std::string("workloads/profiles/") + family + "/mixed-channel.yaml"), n);
      const NetworkMapping m = map_network(n, p, arch);
      const PerformanceResult perf = analyze(n, p, arch, m);
      const std::vector<LayerWork> work = layer_work(n, p, arch, m);
      const std::vector<int> owner = owners(n, perf);
      int exact = 0;
      for (size_t k = 0; k < m.layers.size(); ++k) {
        const LayerMapping& l = m.layers[k];
        SCOPED_TRACE(std::string(family) + " " + std::string(to_string(mode)) + " " + l.name);
        const LayerTime t = layer_time(l, work[k], l.first_pe, l.pes, arch);
        EXPECT_EQ(t.replication, l.replication);
        double stage = 0, sequential = 0;
        bool inputs_cross = true;  // every input of its layers comes from other tiles
        for (size_t i = 0; i < n.layers.size(); ++i) {
          if (owner[i] != static_cast<int>(k)) continue;
          stage = std::max(stage, perf.layers[i].time_ns);
          sequential += perf.layers[i].time_ns;
          for (int producer : n.layers[i].producers) {
            if (producer == kNetworkInput || owner[static_cast<size_t>(producer)] == owner[i])
              continue;
            const LayerPerformance& from = perf.layers[static_cast<size_t>(producer)];
            if (from.first_tile == perf.layers[i].first_tile &&
                from.last_tile == perf.layers[i].last_tile) {
              inputs_cross = false;
            }
          }
        }
        // The allocator assumes inputs cross the NoC; the engine skips those from a producer
        // on exactly the same tiles, so it can only be faster.
        if (inputs_cross) {
          EXPECT_NEAR(t.stage_ns, stage, 1e-9 * stage);
          EXPECT_NEAR(t.sequential_ns, sequential, 1e-9 * sequential);
          ++exact;
        } else {
          EXPECT_GE(t.stage_ns, stage * (1 - 1e-12));
          EXPECT_GE(t.sequential_ns, sequential * (1 - 1e-12));
        }
      }
      EXPECT_GE(exact, static_cast<int>(m.layers.size()) - 2);
    }
  }
}

// A chain of convolutions (each followed by a ReLU) of random sizes and bits.
Network random_chain(std::mt19937& rng, int layers) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  Network n = test::one_conv(uniform(1, 40), uniform(4, 80), 3, uniform(2, 8));
  for (int k = 0; k < layers; ++k) {
    if (k > 0) {
      Layer conv = n.layers.front();
      conv.name = "conv" + std::to_string(k);
      conv.producers = {static_cast<int>(n.layers.size()) - 1};
      conv.input_shape = n.layers.back().output_shape;
      conv.kernel_h = conv.kernel_w = uniform(0, 1) ? 3 : 1;
      conv.pad_h = conv.pad_w = conv.kernel_h / 2;
      conv.output_shape = {uniform(4, 80), conv.input_shape[1], conv.input_shape[2]};
      n.layers.push_back(conv);
    }
    Layer relu;
    relu.name = "relu" + std::to_string(k);
    relu.type = LayerType::kRelu;
    relu.producers = {static_cast<int>(n.layers.size()) - 1};
    relu.input_shape = relu.output_shape = n.layers.back().output_shape;
    n.layers.push_back(relu);
  }
  return n;
}

TEST(Allocation, DynamicProgramMatchesExhaustiveSearch) {
  std::mt19937 rng(11);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  int trials = 0;
  while (trials < 40) {
    ArchConfig arch = test::isaac_preset();
    arch.chip.tiles = uniform(1, 3);
    arch.tile.pes = uniform(2, 4);
    arch.pe.crossbars = uniform(1, 2);
    arch.pe.crossbar.rows = arch.pe.crossbar.columns = 64;
    arch.tile.activation_units = uniform(1, 2);
    arch.mapping.mode = uniform(0, 1) ? MappingMode::kLayerPipelined : MappingMode::kLayerByLayer;
    const Network n = random_chain(rng, uniform(2, 3));
    PrecisionProfile p = uniform_profile(n, 16);
    for (LayerPrecision& l : p.layers) {
      if (l.weight_bits.empty()) continue;
      l.activation_bits = uniform(1, 16);
      for (int& b : l.weight_bits) b = uniform(1, 8);
    }
    NetworkMapping m;
    try {
      m = map_network(n, p, arch);
    } catch (const InputError&) {
      continue;  // does not fit this chip
    }
    if (!m.resident) continue;
    ++trials;
    SCOPED_TRACE("trial " + std::to_string(trials));
    const std::vector<LayerWork> work = layer_work(n, p, arch, m);
    const int64_t budget = m.pes_available;
    const bool pipelined = arch.mapping.mode == MappingMode::kLayerPipelined;
    // Every split of the budget into consecutive runs of PEs, at least the arrays' worth each.
    double best_stage = 1e300, best_sequential = 1e300;
    std::vector<int64_t> pes(m.layers.size());
    std::function<void(size_t, int64_t, double, double)> search = [&](size_t k, int64_t first,
                                                                      double stage, double seq) {
      if (k == m.layers.size()) {
        if (!pipelined) stage = 0;  // layer-by-layer: the sum alone
        if (stage < best_stage || (stage == best_stage && seq < best_sequential)) {
          best_stage = stage;
          best_sequential = seq;
        }
        return;
      }
      const LayerMapping& l = m.layers[k];
      const int64_t least = (l.arrays() + arch.pe.crossbars - 1) / arch.pe.crossbars;
      for (int64_t count = least; first + count <= budget; ++count) {
        const LayerTime t = layer_time(l, work[k], first, count, arch);
        search(k + 1, first + count, std::max(stage, t.stage_ns), seq + t.sequential_ns);
      }
    };
    search(0, 0, 0, 0);
    double stage = 0, sequential = 0;
    for (size_t k = 0; k < m.layers.size(); ++k) {
      const LayerMapping& l = m.layers[k];
      EXPECT_EQ(l.first_pe, k == 0 ? 0 : m.layers[k - 1].first_pe + m.layers[k - 1].pes);
      const LayerTime t = layer_time(l, work[k], l.first_pe, l.pes, arch);
      stage = std::max(stage, t.stage_ns);
      sequential += t.sequential_ns;
    }
    if (pipelined) {
      EXPECT_DOUBLE_EQ(stage, best_stage);
    }
    EXPECT_DOUBLE_EQ(sequential, best_sequential);
  }
}

}  // namespace
}  // namespace mixpim::sim
