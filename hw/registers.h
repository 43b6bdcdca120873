#pragma once
// Input and output registers at the PE and tile boundaries. Each array of a row block gets its
// block's inputs written into its input register and read out bit-serially (2 accesses per
// byte); the tile output register collects merged 16-bit outputs (written, then read).

#include <cstdint>

#include "sim/action_counts.h"

namespace mixpim::hw {

class Registers {
 public:
  // input_register.access_byte = 2 x mvms x column arrays x input bytes per MVM.
  static void pe_inputs(int64_t mvms, int64_t column_arrays, int64_t input_bytes_per_mvm,
                        sim::ActionCounts& counts) {
    counts.add("input_register", "access_byte", 2 * mvms * column_arrays * input_bytes_per_mvm);
  }
  // tile_output_register.access_byte = 2 x mvms x kept outputs.
  static void tile_outputs(int64_t mvms, int64_t kept_outputs, sim::ActionCounts& counts) {
    counts.add("tile_output_register", "access_byte", 2 * mvms * kept_outputs);
  }
};

}  // namespace mixpim::hw
