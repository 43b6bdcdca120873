#pragma once
// Shift-add units of a PE: combine each column's conversion with its per-column-group shift
// (weight slice position) and input-bit position into a 16-bit accumulator in the output
// register. One operation per conversion, pipelined behind the ADCs (never the bottleneck at
// ISAAC's 4 units per 8 ADC outputs of 8 bits), so counted, not timed.

#include <cstdint>

#include "sim/action_counts.h"

namespace mixpim::hw {

class ShiftAdd {
 public:
  // shift_add.op = conversions; output_register.access_byte = 2 per op (16-bit accumulate).
  static void accumulate(int64_t conversions, sim::ActionCounts& counts) {
    counts.add("shift_add", "op", conversions);
    counts.add("output_register", "access_byte", 2 * conversions);
  }
};

}  // namespace mixpim::hw
