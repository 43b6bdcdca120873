#pragma once
// What every engine returns (sim/engines/engine.h): per layer the event counts, the ADC
// resolution and the times of one inference (batch 1) of a mapped network. Counts and times
// only; energy comes from EnergyModel (energy_model.h), so every engine is charged from the
// same table.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/compiler/action_counts.h"
#include "sim/compiler/adc.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

struct LayerPerformance {
  int layer = 0;  // index into Network::layers
  std::string name;
  LayerType type = LayerType::kRelu;
  int mapping = -1;  // index into NetworkMapping::layers for weight layers, else -1
  ActionCounts counts;
  LayerAdc adc;      // its conversions' resolution and exactness (weight layers)
  int64_t macs = 0;  // kept MACs (pruning applied)
  int first_tile = 0, last_tile = 0;
  // Share of the layer's work done in each tile it spans (first_tile..last_tile): its PEs
  // there over all its PEs (non-weight layers run where their producer's outputs are).
  std::vector<double> tile_shares;
  // Lower bounds on the layer's time; the stage time is their maximum and `bound` names it.
  std::map<std::string, double> bounds_ns;
  double time_ns = 0;
  std::string bound;
  double start_ns = 0, end_ns = 0;  // in the single-inference schedule
};

struct PerformanceResult {
  std::vector<LayerPerformance> layers;  // every network layer, in order
  ActionCounts io_counts;                // network input/output traffic and reprogramming
  double latency_ns = 0;                 // one inference, start to finish, without reprogramming
  double interval_ns = 0;                // time between inferences in steady state, likewise
  // Not resident: arrays are programmed row by row, all arrays in parallel, once per segment
  // and once per extra pass; the time per round (rows x write_row_latency_ns) comes from the
  // technology table and is added by evaluate() (energy_model.h).
  int64_t reprogram_rounds = 0;
  int tiles_used = 0;

  ActionCounts total_counts() const;
  int64_t macs() const;
};

}  // namespace mixpim::sim
