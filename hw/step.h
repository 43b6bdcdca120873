#pragma once
// What flows through a layer's PE pipeline (pe.h), and what the stages share: the layer's
// event counters (accumulated as steps execute) and each stage's current state, from which a
// stalled crossbar learns what held it up.

#include <cstdint>
#include <map>
#include <ostream>
#include <string>

#include "sim/compiler/activity.h"

namespace mixpim::hw {

// One read step: input bit-slice `cycle` of MVM slot `slot` of inference `inference`, with
// `copies` copies of the layer active in the slot.
struct Step {
  int64_t inference = 0, slot = 0, cycle = 0, copies = 0;
  int track = 0;             // trace row of the layer
  double slot_start_ns = 0;  // when the slot's first read began (set by the crossbar)
};
inline std::ostream& operator<<(std::ostream& out, const Step& s) {
  return out << "step(" << s.inference << "," << s.slot << "," << s.cycle << ")";
}

// Event counters of one layer, over all simulated inferences, keyed like sim::ActionCounts
// (plain integers on the hot path; turned into ActionCounts when the run ends).
struct LayerCounters {
  int64_t read_cell = 0, dac_convert = 0, flip_input_bit = 0;
  int64_t sample = 0, adc_convert = 0, flip_subtract = 0;
  int64_t shift_add = 0, output_register = 0;
  int64_t input_register = 0, buffer_read = 0, buffer_write = 0, tile_bus = 0;
  int64_t tile_shift_add = 0, tile_output_register = 0;
  int64_t unit_ops = 0;  // digital layers: their tile unit's operations
  int64_t flit_hops = 0, reprogram_cells = 0;
  int64_t read_steps = 0;            // PE read steps executed (a class's pipeline: each PE's)
  int64_t simulated_read_steps = 0;  // read steps the pipelines executed
  // Data-aware runs: the layer's active share of DAC drives, cell reads and conversions
  // (sim/compiler/activity.h), taken by all its PEs so the layer counts the compiler's closed forms.
  sim::ActiveShare dac_share, cell_share, conversion_share;
};

// What each stage is doing, for stall attribution: the resource it is using or waiting for,
// "-" when it is idle or passing on what holds it up further down.
struct LayerState {  // the layer's load (input registers) and tile merge
  const char* load = "input";
  const char* merge = "-";
};
struct PeState {  // one PE's ADC bank and shift-add units
  const char* adc = "-";
  const char* shift_add = "-";
};

// Per layer: when it first issued and last finished (inference 0), busy time of its main unit,
// and stall time by cause after its first issue.
struct LayerTiming {
  double start_ns = -1, end_ns = 0, busy_ns = 0;
  std::map<std::string, double> stall_ns;
  void stall(const char* cause, double ns) {
    if (ns > 0 && start_ns >= 0) stall_ns[cause] += ns;
  }
};

}  // namespace mixpim::hw
