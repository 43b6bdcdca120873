#include "hw/global_buffer.h"

namespace mixpim::hw {

GlobalBuffer::GlobalBuffer(sc_core::sc_module_name name, const sim::WorkModel& model,
                           int64_t input_rows, int64_t output_rows, int64_t inferences, bool dram,
                           IoCounters* counters, Kernel* kernel)
    : RowProducer(name, input_rows, kernel),
      arrivals("arrivals", 0, kernel),
      model_(model),
      output_rows_(output_rows),
      inferences_(inferences),
      dram_(dram),
      counters_(counters) {
  SC_HAS_PROCESS(GlobalBuffer);
  SC_THREAD(source);
  SC_THREAD(sink);
}

void GlobalBuffer::source() {
  for (int64_t k = 0; k < inferences_; ++k) {
    counters_->dram_weights += model_.io_counts.get("reprogram", "dram_byte");
    for (int64_t row = 0; row < rows_; ++row) {
      const int64_t bytes = sim::split_share(model_.input_bytes, row, rows_);
      counters_->read += bytes;
      if (dram_) counters_->dram += bytes;
      send_row(k, row, nullptr, nullptr);
    }
  }
}

void GlobalBuffer::sink() {
  for (int64_t k = 0; k < inferences_; ++k) {
    for (int64_t row = 0; row < output_rows_; ++row) {
      arrivals.wait_rows(k * output_rows_ + row + 1);
      const int64_t bytes = sim::split_share(model_.final_bytes, row, output_rows_);
      counters_->write += bytes;
      if (dram_) counters_->dram += bytes;
    }
    completed_ns.push_back(now_ns());
  }
}

}  // namespace mixpim::hw
