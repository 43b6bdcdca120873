#pragma once
// Counts in, energy out: dynamic energy = sum of events x energy per event (technology table),
// leakage = power of the used hardware x time per inference; area per component, PE, tile and
// chip; peak power at full activity (what ISAAC's Table 2 reports).

#include <map>
#include <string>
#include <vector>

#include "sim/engines/performance.h"
#include "sim/config/arch_config.h"
#include "sim/config/tech_table.h"

namespace mixpim::sim {

// Instances of each component in one PE, one tile (router share included) and the chip.
struct AreaBreakdown {
  std::map<std::string, double> pe_mm2;    // per component, one PE
  std::map<std::string, double> tile_mm2;  // per component, one tile (its PEs included)
  double pe_total_mm2 = 0;
  double tile_total_mm2 = 0;
  double chip_total_mm2 = 0;                      // tiles + global buffer
  std::map<std::string, double> chip_mm2;         // per component, whole chip
  std::map<std::string, double> tile_leakage_mw;  // per component, one tile
  double global_leakage_mw = 0;                   // global buffer
  double links_mw = 0;                            // off-chip links, always on
};

AreaBreakdown area_breakdown(const ArchConfig& arch, const TechTable& table);

// Energy of one (component, action) event on this chip: the table's price at the chip's sizes
// (ADC and DAC resolution, a DAC's row length, storage capacities, flit width; see
// TechTable::sized_energy_pj). Every energy the model charges goes through here.
double event_energy_pj(const TechTable& table, const ArchConfig& arch, const std::string& component,
                       const std::string& action, int adc_bits);

// Power of one tile with every component busy at its peak rate (the rates of the
// architecture: one crossbar read per read latency, ADCs at their sample rate, digital units,
// buffer and bus once per clock, router ports once per clock), per component, plus leakage.
std::map<std::string, double> tile_peak_power_mw(const ArchConfig& arch, const TechTable& table);

// The chip's peak at one precision, as papers define it: every array busy with w-bit weights
// packed side by side and a-bit inputs, one read per max(array read, the PE's ADC time for all
// its columns); power at every component's peak rate (tile_peak_power_mw) plus the global
// buffer's and off-chip links' static power; area of the whole chip with its links.
struct PeakFigures {
  int weight_bits = 0, activation_bits = 0;
  double ops_per_s = 0;  // 2 per MAC
  double power_w = 0;
  double area_mm2 = 0;
  double tops() const { return ops_per_s / 1e12; }
  double tops_per_w() const { return tops() / power_w; }
  double tops_per_mm2() const { return tops() / area_mm2; }
};
PeakFigures peak_figures(const ArchConfig& arch, const TechTable& table, int weight_bits,
                         int activation_bits);

// Dynamic energy of counts, with ADC conversions at `adc_bits`, per component.
std::map<std::string, double> dynamic_energy_pj(const ActionCounts& counts, const TechTable& table,
                                                const ArchConfig& arch, int adc_bits);

struct ComponentResult {
  double dynamic_pj = 0;
  double leakage_pj = 0;
  double area_mm2 = 0;
  double energy_pj() const { return dynamic_pj + leakage_pj; }
};

struct Evaluation {
  PerformanceResult performance;
  std::vector<std::map<std::string, double>> layer_energy_pj;  // per layer, per component (dynamic)
  std::map<std::string, ComponentResult> components;
  AreaBreakdown area;
  int64_t batch = 1;        // inferences per programming of the weights
  double reprogram_ns = 0;  // per inference (the rewrite time over the batch)
  double latency_ns = 0;    // including reprogramming
  double interval_ns = 0;   // including reprogramming
  double dynamic_pj = 0;
  double leakage_pj = 0;
  double energy_pj() const { return dynamic_pj + leakage_pj; }
  double throughput_inferences_per_s() const { return 1e9 / interval_ns; }
  int64_t ops() const { return 2 * performance.macs(); }
  double tops_per_w() const { return static_cast<double>(ops()) / energy_pj(); }  // ops/pJ = TOPS/W
  double tops_per_mm2() const {
    return static_cast<double>(ops()) * throughput_inferences_per_s() / 1e12 / area.chip_total_mm2;
  }
};

// Energy, leakage and area of an analysed network. Leakage is charged for the tiles the
// mapping uses (unused tiles are assumed power-gated) and the global buffer, over the time
// between inferences.
// `batch`: inferences per programming of the weights; time-multiplexed weights are rewritten
// (and read from DRAM) once per batch, so reprogramming energy and time per inference fall as
// 1 / batch. Everything else is per inference already.
Evaluation evaluate(const PerformanceResult& performance, const ArchConfig& arch,
                    const TechTable& table, int64_t batch = 1);

}  // namespace mixpim::sim
