#pragma once
// The shift-add units of one PE: each read step's converted column sums are shifted by their
// slice and input-bit weights and added into the PE's output registers
// (sim::shift_add_ns_per_read for the step's columns). After a slot's last input bit-slice the
// output registers hold the slot's partial sums, which go to the tile (tile_merge.h).

#include <systemc>

#include "hw/channels.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class ShiftAdd : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;    // from the ADC bank
  sc_core::sc_fifo_out<Step> out;  // the slot's last step: partial sums to the tile merge

  // `trace`: this PE's slots appear in the trace.
  ShiftAdd(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
           const sim::ArchConfig& arch, bool trace, LayerCounters* counters, PeState* state,
           Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::PeArrays& arrays_;
  const sim::PeWork& work_;
  const sim::ArchConfig& arch_;
  bool trace_;
  LayerCounters* counters_;
  PeState* state_;
  Kernel* kernel_;
};

}  // namespace mixpim::hw
