#include "hw/adc_bank.h"

#include "sim/compiler/adc.h"

namespace mixpim::hw {

AdcBank::AdcBank(sc_core::sc_module_name name, const sim::PeArrays& arrays, const sim::PeWork& work,
                 const sim::ArchConfig& arch, LayerCounters* counters, PeState* state,
                 Kernel* kernel)
    : sc_module(name),
      arrays_(arrays),
      work_(work),
      arch_(arch),
      counters_(counters),
      state_(state),
      kernel_(kernel) {
  SC_HAS_PROCESS(AdcBank);
  SC_THREAD(run);
}

void AdcBank::run() {
  const bool flipping = arch_.pe.crossbar.weight_flipping;
  // With pe.adc.skip_zero_blocks on a data-aware run, only a share of the columns is converted
  // (sim/compiler/activity.h): this PE's share sets its time, the layer's share its counts. (A member:
  // the thread never returns, so what its stack owns would never be freed.)
  share_.fraction = work_.active.conversion;
  int64_t copies = -1, columns = 0;
  for (;;) {
    state_->adc = "-";
    double t = now_ns();
    ++kernel_->events;
    const Step step = in.read();
    stats.idle_ns += now_ns() - t;
    if (step.copies != copies) {
      copies = step.copies;
      columns = arrays_.step(copies).columns;
    }
    const int64_t converted_columns = share_.take(columns, step.inference);
    const double ns = sim::adc_read_ns(arch_, converted_columns, work_.adc_bits) *
                      static_cast<double>(work_.passes);
    state_->adc = "adc";
    kernel_->wait_ns(ns);
    stats.busy_ns += ns;
    // This PE and each identical one it stands for.
    const int64_t conversions =
        counters_->conversion_share.take(arrays_.count * columns, step.inference);
    counters_->sample += conversions;
    counters_->adc_convert += conversions;
    if (flipping) counters_->flip_subtract += conversions;
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
