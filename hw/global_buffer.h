#pragma once
// The chip's global buffer (at router 0): it holds the network input, handed to the first
// layers as rows already present at time 0, and receives the final output (16 bits per
// value); off-chip DRAM traffic for both, and for rewritten weights, when DRAM is modelled.

#include <cstdint>

#include "sim/action_counts.h"

namespace mixpim::hw {

class GlobalBuffer {
 public:
  // global_buffer.read_byte of the input, write_byte of the output, dram.byte when enabled.
  static void transfer(int64_t input_bytes, int64_t output_bytes, bool dram,
                       int64_t dram_weight_bytes, sim::ActionCounts& counts);
};

}  // namespace mixpim::hw
