#pragma once
// The PEs of one weight layer (every copy; they work in lockstep on MVM slots, sim/work_model.h)
// as a pipeline of modules joined by sc_fifo channels:
//
//   tile buffer --(load: input register)--> CrossbarGroup --(sample-and-hold)--> AdcBank
//       --> ShiftAdd --(output registers)--> TileMerge (tile_merge.h)
//
// The load stage waits for the input rows a slot's pixels need (its input edges' RowQueues),
// reads the slot's inputs from the tile buffers over the tile bus (each tile's port serves its
// share), and issues the slot's read steps one by one. Every fifo holds one item, so a read
// step moves on only when the next stage has room: reads overlap conversions behind the
// sample-and-hold, and a full stage back-pressures the ones before it. The input-register fifo holds
// one slot (its read steps) while the next slot loads: double-buffered.

#include <systemc>
#include <vector>

#include "adc_bank.h"
#include "channels.h"
#include "crossbar.h"
#include "shift_add.h"
#include "sim/arch_config.h"
#include "sim/work_model.h"
#include "step.h"

namespace mixpim::hw {

class PeGroup : public sc_core::sc_module {
 public:
  sc_core::sc_port<RowQueueIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> inputs;  // program order
  sc_core::sc_port<ServiceIf, 0> buffer_ports;  // the layer's tiles, first to last
  sc_core::sc_port<ProgressIf, 1, sc_core::SC_ZERO_OR_MORE_BOUND> previous;  // layer by layer
  sc_core::sc_fifo_out<Step> to_merge;

  PeGroup(sc_core::sc_module_name name, const sim::LayerProgram& program,
          const sim::ArchConfig& arch, int64_t inferences, int track, LayerCounters* counters,
          LayerTiming* timing, Kernel* kernel);

  const StageStats& load_stats() const { return load_stats_; }
  const StageStats& crossbar_stats() const { return crossbar_.stats; }
  const StageStats& adc_stats() const { return adc_.stats; }
  const StageStats& shift_add_stats() const { return shift_add_.stats; }

 private:
  void load();
  const sim::LayerProgram& program_;
  int64_t inferences_;
  double buffer_bytes_per_ns_;
  LayerCounters* counters_;
  LayerTiming* timing_;
  Kernel* kernel_;
  PipelineState state_;
  StageStats load_stats_;
  sc_core::sc_fifo<Step> input_register_, sample_hold_, adc_out_;
  sc_core::sc_fifo<bool> converted_;
  CrossbarGroup crossbar_;
  AdcBank adc_;
  ShiftAdd shift_add_;

 public:
  PipelineState& state() { return state_; }
};

}  // namespace mixpim::hw
