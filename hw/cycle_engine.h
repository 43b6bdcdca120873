#pragma once
// Cycle engine: executes the compiler's work model (sim/compiler/work_model.h) on SystemC modules of the
// chip, one crossbar read step at a time through each layer's PE pipeline (pe.h), with tiles'
// shared units (tile.h), rows moving between layers through bounded queues (channels.h) and
// packets crossing the mesh hop by hop (noc.h, router.h). It returns the same
// PerformanceResult as the analytic engine, so energy and reports are shared (sim::evaluate);
// its counts are accumulated as the steps execute and must equal the analytic ones (tests).
//
// Layer-pipelined programs run `inferences` inferences back to back: latency is the first's,
// the interval the mean spacing of their completions. The SystemC kernel elaborates once per
// process: run_cycle may be called once (a second call throws std::logic_error); a CLI run
// simulates its 16-bit baseline in a child process (sim/cli/cli.cpp).

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/compiler/activity.h"
#include "sim/engines/performance.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::hw {

struct CycleOptions {
  int64_t inferences = 0;  // 0: 4 when layer-pipelined (steady state), else 1
  std::string trace_path;  // non-empty: write a Chrome trace-event timeline there (Perfetto)
  // Simulate one pipeline per class of identical PEs (sim::PeArrays::count; identical PEs are
  // fed the same read steps and take the same time) and count its work for each; false: one
  // pipeline per PE (slower; the same counts, times equal up to the order of simultaneous events).
  bool merge_identical_pes = true;
  // Data-aware run (sim/compiler/activity.h): the layers' measured activity scales what their PEs drive,
  // read and convert, and with pe.adc.skip_zero_blocks the ADC banks' time.
  const sim::Activity* activity = nullptr;
};

struct UnitStats {
  std::string name;
  double busy_ns = 0, idle_ns = 0, blocked_ns = 0;  // blocked: done, waiting for room downstream
  int64_t peak_queue = 0;
};

struct CycleLayerStats {
  std::string name;
  double start_ns = 0, end_ns = 0;  // first issue and last row sent, first inference
  double busy_ns = 0;               // its crossbars' (or digital units') busy time, first inference
  double analytic_stage_ns = 0;     // the analytic engine's stage time (its lower bound)
  std::map<std::string, int64_t> stall_cycles;  // by cause, after its first issue, whole run
  std::vector<UnitStats> units;                 // its pipeline stages (of its busiest PE)
  int64_t pes = 0;                              // PEs of the layer (weight layers)
  int64_t pe_classes = 0;  // pipelines simulated: identical PEs share one (sim::PeArrays::count)
};

struct CycleResult {
  sim::PerformanceResult performance;  // counts per inference, first-inference latency
  int64_t inferences = 1;
  bool merge_identical_pes = true;
  std::vector<double> completed_ns;  // each inference's last output row at the global buffer
  std::vector<CycleLayerStats> layers;
  std::vector<UnitStats> shared_units;  // tile buffer ports and units, NoC links
  std::vector<std::string> clamped_buffers;
  std::map<std::string, int64_t> queue_peak_rows;  // per edge "producer->consumer"
  int64_t simulated_cycles = 0;                    // whole run x clock
  int64_t kernel_events = 0;  // waits and blocking channel calls (fifo, queue) the modules made
  int64_t delta_cycles = 0;   // SystemC delta cycles
  int64_t read_steps = 0;     // PE read steps executed (one per PE per step), whole run
  int64_t simulated_read_steps = 0;  // of which simulated (one per class of identical PEs)
  double wall_seconds = 0;           // host measurements: never in report.json
  double peak_rss_mib = 0;
};

// Throws sim::InputError for programs the hardware cannot run.
CycleResult run_cycle(const sim::Network& network, const sim::PrecisionProfile& profile,
                      const sim::ArchConfig& arch, const sim::NetworkMapping& mapping,
                      const CycleOptions& options);

// The report's "cycle" block: deterministic (no host measurements).
nlohmann::ordered_json cycle_extras_json(const CycleResult& result);
// Host measurements (wall seconds, peak RSS, events per second), for benchmarks and stderr.
nlohmann::ordered_json cycle_host_json(const CycleResult& result);

}  // namespace mixpim::hw
