#pragma once
// The ADC bank of one PE: `pe.adc.count` ADCs share the PE's columns through a column mux, so a
// read step takes ceil(columns / ADCs) conversions back to back at the layer's resolution
// (sim::adc_read_ns) for the columns of its active copies. Conversions are counted, not evented:
// one wait per read step.

#include <systemc>

#include "hw/channels.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class AdcBank : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<Step> in;          // from the sample-and-hold (or the arrays)
  sc_core::sc_fifo_out<Step> out;        // to the shift-add units
  sc_core::sc_fifo_out<bool> converted;  // without sample-and-hold: releases the arrays

  AdcBank(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
          const sim::ArchConfig& arch, LayerCounters* counters, PeState* state, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::PeArrays& arrays_;
  const sim::PeWork& work_;
  const sim::ArchConfig& arch_;
  LayerCounters* counters_;
  PeState* state_;
  Kernel* kernel_;
  sim::ActiveShare share_;  // this PE's share of conversions (its ADC time)
};

}  // namespace mixpim::hw
