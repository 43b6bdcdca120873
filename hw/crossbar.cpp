#include "crossbar.h"

namespace mixpim::hw {

CrossbarGroup::CrossbarGroup(sc_core::sc_module_name name, const sim::PeWork& work, int dac_bits,
                             bool flipping, int track, LayerCounters* counters,
                             PipelineState* state, LayerTiming* timing, Kernel* kernel)
    : sc_module(name),
      work_(work),
      dac_bits_(dac_bits),
      flipping_(flipping),
      track_(track),
      counters_(counters),
      state_(state),
      timing_(timing),
      kernel_(kernel) {
  SC_HAS_PROCESS(CrossbarGroup);
  SC_THREAD(run);
}

void CrossbarGroup::run() {
  // The resource a blocked read step waits for: the ADC bank if it is converting, else what
  // holds the ADC bank up, and so on down the pipeline.
  auto downstream = [this]() -> const char* {
    if (state_->adc[0] != '-') return state_->adc;
    if (state_->shift_add[0] != '-') return state_->shift_add;
    return state_->merge;
  };
  for (;;) {
    double t = now_ns();
    const char* starved_by = state_->load;
    ++kernel_->events;
    Step step = in.read();
    const double waited = now_ns() - t;
    stats.idle_ns += waited;
    timing_->stall(starved_by, waited);
    if (timing_->start_ns < 0) timing_->start_ns = now_ns();
    if (step.cycle == 0) slot_start_ns_ = now_ns();
    step.slot_start_ns = slot_start_ns_;
    if (kernel_->tracing && waited > 0 && step.inference >= 0)
      kernel_->slice(starved_by, "stall", 1000 + track_, t, now_ns());
    kernel_->wait_ns(work_.read_ns);
    stats.busy_ns += work_.read_ns;
    if (step.inference == 0) timing_->busy_ns += work_.read_ns;
    const int64_t a = step.copies;
    counters_->read_cell += a * work_.gemm_rows * work_.used_columns;
    counters_->dac_convert += a * work_.gemm_rows * work_.column_arrays;
    if (flipping_) counters_->flip_input_bit += a * work_.gemm_rows * work_.column_arrays * dac_bits_;
    t = now_ns();
    const char* blocked_by = downstream();
    ++kernel_->events;
    out.write(step);
    if (!work_.sample_hold) {
      ++kernel_->events;
      converted.read();  // the columns stay on the bit lines until converted
    }
    const double blocked = now_ns() - t;
    stats.blocked_ns += blocked;
    // Without a sample-and-hold, waiting for the conversion is the ADC's time, not a stall.
    if (work_.sample_hold) {
      timing_->stall(blocked_by, blocked);
      if (kernel_->tracing && blocked > 0) kernel_->slice(blocked_by, "stall", 1000 + track_, t, now_ns());
    }
  }
}

}  // namespace mixpim::hw
