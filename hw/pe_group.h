#pragma once
// The PEs of one weight layer (every copy) and the stage that feeds them. For each MVM slot
// (sim/compiler/work_model.h) the load stage waits for the input rows the slot's pixels need (its input
// edges' RowQueues), reads the slot's inputs from the tile buffers over the tile bus (each
// tile's port serves its share), and writes the slot's read steps into every PE's input
// register. An input register holds one slot's steps, so the next slot loads while the PEs read
// the current one (double buffering). Each PE (pe.h) then runs its own pipeline; the tile merge
// (tile_merge.h) collects every PE's partial sums per slot.

#include <memory>
#include <systemc>
#include <vector>

#include "hw/channels.h"
#include "hw/pe.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class PeGroup : public sc_core::sc_module {
 public:
  sc_core::sc_port<RowQueueIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> inputs;  // program order
  sc_core::sc_port<ServiceIf, 0> buffer_ports;  // the layer's tiles, first to last
  sc_core::sc_port<ProgressIf, 1, sc_core::SC_ZERO_OR_MORE_BOUND> previous;  // layer by layer

  // `every_pe`: one pipeline per PE rather than per class of identical PEs.
  PeGroup(sc_core::sc_module_name name, const sim::LayerProgram& program,
          const sim::ArchConfig& arch, int64_t inferences, bool every_pe, int track,
          LayerCounters* counters, LayerTiming* timing, Kernel* kernel);

  size_t pes() const { return pes_.size(); }
  size_t representative() const { return representative_; }  // the busiest PE
  const Pe& pe(size_t i) const { return *pes_[i]; }
  sc_core::sc_fifo<Step>& partial_sums(size_t i) { return *partial_sums_[i]; }
  const StageStats& load_stats() const { return load_stats_; }
  LayerState& state() { return state_; }

 private:
  void load();
  const sim::LayerProgram& program_;
  int64_t inferences_;
  int track_;
  double buffer_bytes_per_ns_;
  LayerCounters* counters_;
  Kernel* kernel_;
  LayerState state_;
  StageStats load_stats_;
  size_t representative_ = 0;
  std::vector<std::unique_ptr<sc_core::sc_fifo<Step>>> input_registers_, partial_sums_;
  std::vector<sim::PeArrays> arrays_;  // one per pipeline
  std::vector<std::unique_ptr<Pe>> pes_;
};

}  // namespace mixpim::hw
