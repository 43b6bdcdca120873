#include "adc_bank.h"

namespace mixpim::hw {

AdcBank::AdcBank(sc_core::sc_module_name name, const sim::PeWork& work, bool flipping,
                 LayerCounters* counters, PipelineState* state, Kernel* kernel)
    : sc_module(name),
      work_(work),
      flipping_(flipping),
      counters_(counters),
      state_(state),
      kernel_(kernel) {
  SC_HAS_PROCESS(AdcBank);
  SC_THREAD(run);
}

void AdcBank::run() {
  for (;;) {
    state_->adc = "-";
    double t = now_ns();
    ++kernel_->events;
    const Step step = in.read();
    stats.idle_ns += now_ns() - t;
    state_->adc = "adc";
    kernel_->wait_ns(work_.adc_ns);
    stats.busy_ns += work_.adc_ns;
    const int64_t conversions = step.copies * work_.row_blocks * work_.used_columns;
    counters_->sample += conversions;
    counters_->adc_convert += conversions;
    if (flipping_) counters_->flip_subtract += conversions;
    state_->adc = "-";
    t = now_ns();
    if (!work_.sample_hold) {
      ++kernel_->events;
      converted.write(true);
    }
    ++kernel_->events;
    out.write(step);
    stats.blocked_ns += now_ns() - t;
  }
}

}  // namespace mixpim::hw
