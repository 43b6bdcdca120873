#pragma once
// Analytic engine: closed-form event counts and latency of one inference (batch 1) of a mapped
// network. It produces counts and times only; energy comes from EnergyModel (energy_model.h)
// so that every engine is charged from the same table. README "Energy, latency and area
// model" states every equation; tests/unit/test_analytic.cpp checks them by hand.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "action_counts.h"
#include "adc.h"
#include "arch_config.h"
#include "mapping.h"
#include "precision.h"
#include "work_model.h"
#include "workload.h"

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

// Fraction of a weight layer's PEs in each tile from first_tile to last_tile: a tile's adders,
// activation and pool units and buffer port serve the PEs it holds, so a tile holding few of a
// layer's PEs does little of its digital work and buffer traffic.
std::vector<double> tile_shares(const LayerMapping& layer, int pes_per_tile);

// Output rows of a tensor: H of [C, H, W], 1 for a vector. Layer-pipelined, layers work row
// by row.
int64_t output_rows(const Shape& shape);

// How many of its producer's output rows (with output shape `producer_output`) `consumer`
// needs before computing its output row `row` (0-based): its kernel window for convolutions
// and pools (the first row waits for a whole kernel), the same row for ReLU and add, and
// everything for the last row and for linear, global pooling and flatten.
int64_t rows_needed(const Layer& consumer, const Shape& producer_output, int64_t row);
// How many of those rows `consumer` no longer needs once its row `row` is done: those below its
// next row's window (all of them after its last row, and for whole-input layers).
int64_t rows_released(const Layer& consumer, const Shape& producer_output, int64_t row);

// Bits each layer's output is stored with: the activation bits of the weight layers that
// consume it (through relu, pools, add, flatten; the widest if several), or 16 for the
// network output.
std::vector<int> output_bits(const Network& network, const PrecisionProfile& profile);

// `activity`: a data-aware run (build_work_model).
PerformanceResult analyze(const Network& network, const PrecisionProfile& profile,
                          const ArchConfig& arch, const NetworkMapping& mapping,
                          const Activity* activity = nullptr);
// The same from the compiler's work model (work_model.h): its counts and bounds, and the row
// schedule below.
PerformanceResult analyze(const WorkModel& model);

}  // namespace mixpim::sim
