#include "shift_add.h"

#include <string>

namespace mixpim::hw {

ShiftAdd::ShiftAdd(sc_core::sc_module_name name, const sim::PeWork& work, int track,
                   LayerCounters* counters, PipelineState* state, Kernel* kernel)
    : sc_module(name),
      work_(work),
      track_(track),
      counters_(counters),
      state_(state),
      kernel_(kernel) {
  SC_HAS_PROCESS(ShiftAdd);
  SC_THREAD(run);
}

void ShiftAdd::run() {
  for (;;) {
    state_->shift_add = "-";
    double t = now_ns();
    ++kernel_->events;
    const Step step = in.read();
    stats.idle_ns += now_ns() - t;
    state_->shift_add = "shift_add";
    kernel_->wait_ns(work_.shift_add_ns);
    stats.busy_ns += work_.shift_add_ns;
    const int64_t ops = step.copies * work_.row_blocks * work_.used_columns;
    counters_->shift_add += ops;
    counters_->output_register += 2 * ops;  // a 16-bit accumulate per shift-add
    state_->shift_add = "-";
    if (step.cycle + 1 < work_.input_cycles) continue;
    if (kernel_->tracing) {
      kernel_->slice("slot " + std::to_string(step.slot), "read_steps", track_,
                     step.slot_start_ns, now_ns());
    }
    t = now_ns();
    ++kernel_->events;
    out.write(step);
    stats.blocked_ns += now_ns() - t;
  }
}

}  // namespace mixpim::hw
