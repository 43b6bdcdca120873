#pragma once
// The chip's global buffer, at router 0: it sends each inference's input rows to the first
// layers over the NoC (as their buffers have room) and receives the final output rows (16 bits
// per value); an inference is complete when its last output row is in. Counts its reads and
// writes and, when DRAM is modelled, the off-chip traffic of inputs, outputs and rewritten
// weights.

#include <cstdint>
#include <systemc>
#include <vector>

#include "hw/channels.h"
#include "hw/row_producer.h"
#include "sim/compiler/work_model.h"

namespace mixpim::hw {

struct IoCounters {
  int64_t read = 0, write = 0, dram = 0, dram_weights = 0, flit_hops = 0;
};

class GlobalBuffer : public RowProducer {
 public:
  GlobalBuffer(sc_core::sc_module_name name, const sim::WorkModel& model, int64_t input_rows,
               int64_t output_rows, int64_t inferences, bool dram, IoCounters* counters,
               Kernel* kernel);
  RowQueue arrivals;                 // the final output's rows, bound as the last layer's consumer
  std::vector<double> completed_ns;  // per inference: its last output row arrived

 private:
  void source();
  void sink();
  const sim::WorkModel& model_;
  int64_t output_rows_, inferences_;
  bool dram_;
  IoCounters* counters_;
};

}  // namespace mixpim::hw
