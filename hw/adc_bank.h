#pragma once
// The ADC banks of one layer's PEs. Each PE's `pe.adc.count` ADCs share its columns through a
// column mux, so a read step takes ceil(columns / ADCs) conversions back to back at the
// layer's resolution (sim::adc_read_ns); the busiest PE sets the time (`adc_ns`). Conversions
// are counted, not evented: one wait per read step.

#include <systemc>

#include "channels.h"
#include "sim/work_model.h"
#include "step.h"

namespace mixpim::hw {

class AdcBank : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;          // from the sample-and-hold (or the arrays)
  sc_core::sc_fifo_out<Step> out;        // to the shift-add units
  sc_core::sc_fifo_out<bool> converted;  // without sample-and-hold: releases the arrays

  AdcBank(sc_core::sc_module_name name, const sim::PeWork& work, bool flipping,
          LayerCounters* counters, PipelineState* state, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::PeWork& work_;
  bool flipping_;
  LayerCounters* counters_;
  PipelineState* state_;
  Kernel* kernel_;
};

}  // namespace mixpim::hw
