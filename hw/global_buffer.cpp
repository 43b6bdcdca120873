#include "global_buffer.h"

namespace mixpim::hw {

void GlobalBuffer::transfer(int64_t input_bytes, int64_t output_bytes, bool dram,
                            int64_t dram_weight_bytes, sim::ActionCounts& counts) {
  counts.add("global_buffer", "read_byte", input_bytes);
  counts.add("global_buffer", "write_byte", output_bytes);
  if (dram) {
    counts.add("dram", "byte", input_bytes + output_bytes);
    // Rewritten weights from DRAM count as reprogramming (as the analytic engine does).
    if (dram_weight_bytes > 0) counts.add("reprogram", "dram_byte", dram_weight_bytes);
  }
}

}  // namespace mixpim::hw
