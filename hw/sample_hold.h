#pragma once
// Sample-and-hold of a PE: latches every used column of every row block after each crossbar
// read, so the crossbar may start its next read while the ADCs still convert the last one
// (the one-deep decoupling the PE's analog pipeline relies on, see pe.h).

#include <cstdint>

#include "sim/action_counts.h"

namespace mixpim::hw {

class SampleHold {
 public:
  // sample_hold.sample = mvms x input_cycles x row blocks x used columns.
  static void sample(int64_t mvms, int64_t input_cycles, int64_t row_blocks, int64_t columns,
                     sim::ActionCounts& counts) {
    counts.add("sample_hold", "sample", mvms * input_cycles * row_blocks * columns);
  }
};

}  // namespace mixpim::hw
