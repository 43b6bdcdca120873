#pragma once
// The shift-add units of one layer's PEs: each read step's converted column sums are shifted by
// their slice and input-bit weights and added into the PE output registers (`shift_add_ns`:
// ceil(columns / (units x ops per cycle)) cycles of the busiest PE). After a slot's last input
// bit-slice the output registers hold the slot's partial sums, which go to the tile.

#include <systemc>

#include "channels.h"
#include "sim/work_model.h"
#include "step.h"

namespace mixpim::hw {

class ShiftAdd : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;    // from the ADC bank
  sc_core::sc_fifo_out<Step> out;  // the slot's last step: partial sums to the tile merge

  ShiftAdd(sc_core::sc_module_name name, const sim::PeWork& work, int track,
           LayerCounters* counters, PipelineState* state, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::PeWork& work_;
  int track_;
  LayerCounters* counters_;
  PipelineState* state_;
  Kernel* kernel_;
};

}  // namespace mixpim::hw
