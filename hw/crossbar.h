#pragma once
// The crossbar arrays of one PE (pe.h): each read step applies one input bit-slice through the
// DACs to every array the PE holds for the slot's active copies and reads their columns
// (`read_ns`). With a sample-and-hold the columns are latched and the next read may start
// while the ADCs convert; without one, the arrays hold their outputs until the ADC bank reports
// the conversion done (`converted`).

#include <systemc>

#include "hw/channels.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class CrossbarGroup : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;         // from the input register
  sc_core::sc_fifo_out<Step> out;       // to the sample-and-hold (or straight to the ADCs)
  sc_core::sc_fifo_in<bool> converted;  // without sample-and-hold: the ADCs are done

  // `timing` null: not the layer's representative PE (its stalls are not charged).
  CrossbarGroup(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
                int dac_bits, bool flipping, LayerCounters* counters, LayerState* layer,
                PeState* state, LayerTiming* timing, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::PeArrays& arrays_;
  const sim::PeWork& work_;
  int dac_bits_;
  bool flipping_;
  LayerCounters* counters_;
  LayerState* layer_;
  PeState* state_;
  LayerTiming* timing_;
  Kernel* kernel_;
  double slot_start_ns_ = 0;
};

}  // namespace mixpim::hw
