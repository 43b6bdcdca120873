#pragma once
// ADC bank of a PE: `count` ADCs shared through a column mux by all columns of the PE's
// crossbars. Conversions are counted, not evented: a crossbar read of the PE needs
// ceil(columns / count) conversion slots of 1 / sample rate each, which sets the bank's time
// per read (the busiest PE of a layer sets the layer's).

#include <cstdint>

#include "sim/action_counts.h"
#include "sim/arch_config.h"

namespace mixpim::hw {

class AdcBank {
 public:
  // Conversions at `bits` (sim::layer_adc), timed by sim::adc_read_ns.
  AdcBank(const sim::ArchConfig& arch, int64_t busiest_pe_columns, int bits);

  // Time the busiest PE's bank needs to convert the columns of one crossbar read.
  double ns_per_read() const { return ns_per_read_; }
  // adc.convert = mvms x input_cycles x row blocks x used columns.
  static void convert(int64_t mvms, int64_t input_cycles, int64_t row_blocks, int64_t columns,
                      sim::ActionCounts& counts) {
    counts.add("adc", "convert", mvms * input_cycles * row_blocks * columns);
  }

 private:
  double ns_per_read_;
};

}  // namespace mixpim::hw
