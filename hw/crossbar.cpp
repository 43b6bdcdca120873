#include "crossbar.h"

#include <ostream>
#include <string>

namespace mixpim::hw {

std::ostream& operator<<(std::ostream& out, const MvmRequest& r) {
  return out << "MvmRequest{id=" << r.id << ", rows=" << r.active_rows
             << ", columns=" << r.active_columns << ", input_cycles=" << r.input_cycles << "}";
}

// sc_module_name is taken by value: SystemC's naming stack relies on that copy.
Crossbar::Crossbar(sc_core::sc_module_name name, int rows, int columns,
                   const sc_core::sc_time& read_latency)
    : sc_module(name), rows_(rows), columns_(columns), read_latency_(read_latency) {
  SC_HAS_PROCESS(Crossbar);
  SC_THREAD(run);
}

void Crossbar::run() {
  while (true) {
    const MvmRequest r = request.read();
    if (r.active_rows < 1 || r.active_rows > rows_ || r.active_columns < 1 ||
        r.active_columns > columns_ || r.input_cycles < 1) {
      // A compiler bug, not user input: the program handed the array an impossible request.
      SC_REPORT_ERROR(name(), ("impossible request " + std::to_string(r.id)).c_str());
      continue;
    }
    // All input slices of one request are read back to back: one wait covers them.
    wait(read_latency_ * r.input_cycles);
    counts_.add("xbar", "activate", r.input_cycles);
    counts_.add("xbar", "row_cycles", int64_t{r.active_rows} * r.input_cycles);
    counts_.add("xbar", "column_cycles", int64_t{r.active_columns} * r.input_cycles);
    done.write(r);
  }
}

}  // namespace mixpim::hw
