#pragma once
// One PE: its crossbar arrays, sample-and-hold, ADC bank and shift-add units, joined by sc_fifo
// channels of one item each:
//
//   input register --> CrossbarGroup --(sample-and-hold)--> AdcBank --> ShiftAdd --> out
//
// A read step moves on only when the next stage has room: reads overlap conversions behind the
// sample-and-hold, and a full stage back-pressures the ones before it. Without a sample-and-hold
// the arrays wait for the ADC bank's `converted` signal before the next read.

#include <systemc>

#include "hw/adc_bank.h"
#include "hw/channels.h"
#include "hw/crossbar.h"
#include "hw/shift_add.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class Pe : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;    // its input register (filled by the layer's load stage)
  sc_core::sc_fifo_out<Step> out;  // the output registers' partial sums, once per slot

  // `timing` non-null: the layer's representative PE (the busiest), whose stalls and slots are
  // charged to the layer and traced.
  Pe(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
     const sim::ArchConfig& arch, LayerCounters* counters, LayerState* layer, LayerTiming* timing,
     Kernel* kernel);

  const StageStats& crossbar_stats() const { return crossbar_.stats; }
  const StageStats& adc_stats() const { return adc_.stats; }
  const StageStats& shift_add_stats() const { return shift_add_.stats; }

 private:
  PeState state_;
  sc_core::sc_fifo<Step> sample_hold_, adc_out_;
  sc_core::sc_fifo<bool> converted_;
  CrossbarGroup crossbar_;
  AdcBank adc_;
  ShiftAdd shift_add_;
};

}  // namespace mixpim::hw
