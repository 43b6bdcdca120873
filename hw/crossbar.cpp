#include "hw/crossbar.h"

namespace mixpim::hw {

CrossbarGroup::CrossbarGroup(sc_core::sc_module_name name, const sim::PeArrays& arrays,
                             const sim::PeWork& work, int dac_bits, bool flipping,
                             LayerCounters* counters, LayerState* layer, PeState* state,
                             LayerTiming* timing, Kernel* kernel)
    : sc_module(name),
      arrays_(arrays),
      work_(work),
      dac_bits_(dac_bits),
      flipping_(flipping),
      counters_(counters),
      layer_(layer),
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
    return layer_->merge[0] != '-' ? layer_->merge : "merge";
  };
  int64_t copies = -1;
  sim::PeArrays::Part work;
  for (;;) {
    double t = now_ns();
    const char* starved_by = layer_->load;
    ++kernel_->events;
    Step step = in.read();
    const double waited = now_ns() - t;
    stats.idle_ns += waited;
    if (timing_ != nullptr) {
      timing_->stall(starved_by, waited);
      if (timing_->start_ns < 0) timing_->start_ns = now_ns();
      if (kernel_->tracing && waited > 0 && timing_->start_ns < t)
        kernel_->slice(starved_by, "stall", 1000 + step.track, t, now_ns());
    }
    if (step.cycle == 0) slot_start_ns_ = now_ns();
    step.slot_start_ns = slot_start_ns_;
    kernel_->wait_ns(work_.read_ns);
    stats.busy_ns += work_.read_ns;
    if (timing_ != nullptr && step.inference == 0) timing_->busy_ns += work_.read_ns;
    if (step.copies != copies) {
      copies = step.copies;
      work = arrays_.step(copies);
    }
    const int64_t k = arrays_.count;  // identical PEs this one stands for
    counters_->read_steps += k;
    counters_->simulated_read_steps += 1;
    // Data-aware runs: only rows with an input bit drive their DACs and read their cells.
    counters_->read_cell += counters_->cell_share.take(k * work.cells, step.inference);
    counters_->dac_convert += counters_->dac_share.take(k * work.dac_rows, step.inference);
    if (flipping_) counters_->flip_input_bit += k * work.dac_rows * dac_bits_;
    if (step.cycle == 0) counters_->input_register += 2 * k * work.input_bytes;  // written, read
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
    if (work_.sample_hold && timing_ != nullptr) {
      timing_->stall(blocked_by, blocked);
      if (kernel_->tracing && blocked > 0)
        kernel_->slice(blocked_by, "stall", 1000 + step.track, t, now_ns());
    }
  }
}

}  // namespace mixpim::hw
