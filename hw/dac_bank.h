#pragma once
// DAC bank of a PE: one DAC per active row of each array applies `dac.bits` input bits per
// crossbar read (1-bit DACs: bit-serial inputs). Counts, never events: its conversions happen
// inside the crossbar read they feed.

#include <cstdint>

#include "sim/action_counts.h"

namespace mixpim::hw {

class DacBank {
 public:
  // One row group of `mvms` MVMs, each `input_cycles` reads driving `rows` rows of every one of
  // `column_arrays` arrays per row block: dac.convert = mvms x input_cycles x rows x arrays.
  static void convert(int64_t mvms, int64_t input_cycles, int64_t rows, int64_t column_arrays,
                      sim::ActionCounts& counts) {
    counts.add("dac", "convert", mvms * input_cycles * rows * column_arrays);
  }
};

}  // namespace mixpim::hw
