#pragma once
// The digital 16-bit baseline: the same network, dense and at 16 bits, on a conventional
// weight-stationary systolic MAC array (configs/digital/*.yaml) charged from its own
// technology table (configs/tech/digital-45nm.yaml). `mixpim run --digital FILE` reports a PIM
// run against it. Closed form, layer by layer; README "Digital 16-bit baseline" states every
// equation and tests/unit/engines/test_digital_baseline.cpp checks them by hand.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "sim/compiler/action_counts.h"
#include "sim/config/arch_config.h"
#include "sim/util/diagnostics.h"
#include "sim/config/tech_table.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

inline constexpr int kDigitalDataBytes = 2;  // 16-bit weights and activations

// Bits a signed accumulator needs to hold any sum of `k` products of an unsigned 16-bit
// activation and a signed 16-bit weight (mixpim's quantization semantics): |sum| <= k x
// (2^16 - 1) x 2^15, so 1 + ceil(log2(k x (2^16 - 1) x 2^15)); 32 for k = 1, 45 for k = 4608.
int digital_accumulator_bits_needed(int64_t k);

struct DigitalConfig {
  std::string name;
  std::string description;
  std::string tech;  // table name (configs/tech/<tech>.yaml) or a .yaml path
  double clock_mhz = 0;
  int array_rows = 0;              // reduction dimension per fold
  int array_columns = 0;           // output channels per fold
  int accumulator_bits = 32;       // partial sums (mac_array.accumulator_bits)
  BufferConfig activation_buffer;  // the PIM presets' buffer shape (arch_config.h)
  BufferConfig weight_buffer;
  int vector_units = 0;  // element operations per cycle
  double dram_bandwidth_gb_per_s = 0;

  std::string path;                    // the preset file
  std::vector<std::string> overrides;  // --digital-set assignments, in order
  SourceLocation tech_where;           // where `tech` was set, for a missing table's error
  SourceLocation accumulator_where;    // where accumulator_bits was set (or the preset)

  double cycle_ns() const { return 1e3 / clock_mhz; }
  int accumulator_bytes() const { return (accumulator_bits + 7) / 8; }
};

// Loads a digital preset and applies `overrides` ("mac_array.rows=64"). Throws InputError
// with every problem (file, line, key), unknown keys included.
DigitalConfig load_digital_config(const std::string& path,
                                  const std::vector<std::string>& overrides = {});

// The (component, action) pairs the digital model charges; its table must have them all.
const std::vector<std::pair<std::string, std::string>>& digital_required_actions();

// Loads a digital technology table: energies only, every required action present, area and
// leakage keys refused (the model has neither). Throws InputError listing every problem.
TechTable load_digital_table(const std::string& path);

// Where `tech:` points: a name is configs/tech/<name>.yaml beside the preset's directory, a
// path ending in .yaml is relative to the preset. Throws InputError naming the key if absent.
std::string resolve_digital_tech_path(const DigitalConfig& config);

struct DigitalLayer {
  std::string name;
  LayerType type = LayerType::kRelu;
  ActionCounts counts;
  int64_t macs = 0;
  int64_t folds = 0;                // weight layers: ceil(K / rows) x ceil(N / columns)
  int64_t compute_cycles = 0;       // weight layers: folds x (2 rows + columns + P - 2)
  int accumulator_bits_needed = 0;  // weight layers: digital_accumulator_bits_needed(K)
  std::map<std::string, double> bounds_ns;
  double time_ns = 0;
  std::string bound;
  std::map<std::string, double> energy_pj;  // per component
  double total_energy_pj() const;
};

struct DigitalResult {
  std::vector<DigitalLayer> layers;  // every network layer, in order
  ActionCounts io_counts;            // network input and output through DRAM
  bool weights_resident = false;     // the 16-bit weights fit the weight buffer
  int64_t weight_bytes = 0;
  double latency_ns = 0;  // layer by layer: the sum of the layers' times
  std::map<std::string, double> component_energy_pj;
  double energy_pj = 0;
  int64_t macs = 0;
  int accumulator_bits_needed = 0;  // the largest over the layers
  bool exact = true;                // the accumulators hold every sum (no silent loss)

  double throughput_inferences_per_s() const { return 1e9 / latency_ns; }
  double tops_per_w() const { return 2.0 * static_cast<double>(macs) / energy_pj; }
  ActionCounts total_counts() const;
};

// Counts, times and charges one dense 16-bit inference of `network`.
DigitalResult analyze_digital(const Network& network, const DigitalConfig& config,
                              const TechTable& table);

// The report's `digital_baseline` block: what went in (preset echo, table path and hash),
// totals, components, layers, and the PIM run's ratios against it (energy_reduction =
// digital energy / PIM energy; latency_ratio = PIM latency / digital latency; throughput_ratio
// = PIM throughput / digital throughput).
nlohmann::ordered_json digital_baseline_json(const DigitalResult& result,
                                             const DigitalConfig& config, const TechTable& table,
                                             double pim_energy_pj, double pim_latency_ns,
                                             double pim_interval_ns, int pim_technology_nm);

}  // namespace mixpim::sim
