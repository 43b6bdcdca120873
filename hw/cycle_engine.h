#pragma once
// Cycle engine: executes a compiled program (sim/mapping.h) on SystemC modules of the chip
// (chip.h, tile.h, noc.h, pe.h, ...) one output row group per layer per event, and returns the
// same PerformanceResult as the analytic engine, so energy and reports are shared
// (sim::evaluate). With contention off it reproduces the analytic counts exactly and its
// schedule within rounding; with contention on, counts are unchanged (contention changes time,
// not work) and latency is never below the analytic one.
//
// The SystemC kernel elaborates once per process: run_cycle may be called once per process
// (a second call throws std::logic_error). A CLI run simulates its 16-bit baseline with the
// cycle engine in a child process (sim/cli.cpp).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/analytic.h"
#include "sim/arch_config.h"
#include "sim/mapping.h"
#include "sim/precision.h"
#include "sim/workload.h"

namespace mixpim::hw {

struct CycleOptions {
  bool contention = true;  // share units between layers, finite buffers, analog pipeline fill
  std::string trace_path;  // non-empty: write a Chrome trace-event JSON timeline there
};

struct CycleLayerStats {
  std::string name;
  double start_ns = 0, end_ns = 0;
  double busy_ns = 0;  // union of its row groups' service times
  int64_t row_groups = 0;
  std::map<std::string, int64_t> stall_cycles;  // per cause (layer_stage.h), clock cycles
};

struct CycleResult {
  sim::PerformanceResult performance;
  bool contention = true;
  std::vector<CycleLayerStats> layers;        // every network layer, in order
  std::map<std::string, double> utilization;  // per component class, fraction of capacity
  std::vector<std::string> clamped_buffers;   // inputs whose buffer share was below one window
  int64_t simulated_cycles = 0;               // latency x clock
  int64_t kernel_events = 0;                  // SystemC waits and notifications performed
  int64_t row_groups = 0;
  // Host measurements: vary from run to run, so never in report.json (see cycle_host_json).
  double wall_seconds = 0;
  double peak_rss_mib = 0;  // VmHWM of the process after the run
};

// Throws sim::InputError for programs the hardware cannot run (e.g. a tile buffer deadlock).
CycleResult run_cycle(const sim::Network& network, const sim::PrecisionProfile& profile,
                      const sim::ArchConfig& arch, const sim::NetworkMapping& mapping,
                      const CycleOptions& options);

// The report's "cycle" block: contention switch, simulated cycles, kernel events, stalls per
// layer, utilisation. Deterministic (no host measurements): two runs give identical bytes.
nlohmann::ordered_json cycle_extras_json(const CycleResult& result);

// Host measurements of the run (wall seconds, peak RSS, simulated cycles and kernel events per
// wall second), for benchmarks and stderr; not for report.json.
nlohmann::ordered_json cycle_host_json(const CycleResult& result);

}  // namespace mixpim::hw
