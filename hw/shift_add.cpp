#include "hw/shift_add.h"

#include <string>

namespace mixpim::hw {

ShiftAdd::ShiftAdd(sc_core::sc_module_name name, const sim::PeArrays& arrays,
                   const sim::PeWork& work, const sim::ArchConfig& arch, bool trace,
                   LayerCounters* counters, PeState* state, Kernel* kernel)
    : sc_module(name),
      arrays_(arrays),
      work_(work),
      arch_(arch),
      trace_(trace),
      counters_(counters),
      state_(state),
      kernel_(kernel) {
  SC_HAS_PROCESS(ShiftAdd);
  SC_THREAD(run);
}

void ShiftAdd::run() {
  int64_t copies = -1, columns = 0;
  double ns = 0;
  for (;;) {
    state_->shift_add = "-";
    double t = now_ns();
    ++kernel_->events;
    const Step step = in.read();
    stats.idle_ns += now_ns() - t;
    if (step.copies != copies) {
      copies = step.copies;
      columns = arrays_.step(copies).columns;
      ns = columns == 0
               ? 0
               : sim::shift_add_ns_per_read(arch_, columns) * static_cast<double>(work_.passes);
    }
    state_->shift_add = "shift_add";
    kernel_->wait_ns(ns);
    stats.busy_ns += ns;
    counters_->shift_add += arrays_.count * columns;            // and for each identical PE
    counters_->output_register += 2 * arrays_.count * columns;  // a 16-bit accumulate each
    state_->shift_add = "-";
    if (step.cycle + 1 < work_.input_cycles) continue;
    if (trace_ && kernel_->tracing) {
      kernel_->slice("slot " + std::to_string(step.slot), "read_steps", step.track,
                     step.slot_start_ns, now_ns());
    }
    t = now_ns();
    ++kernel_->events;
    out.write(step);
    stats.blocked_ns += now_ns() - t;
  }
}

}  // namespace mixpim::hw
