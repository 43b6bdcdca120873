#pragma once
// One crossbar array executing matrix-vector products bit-serially: each request applies
// `input_cycles` input slices to `active_rows` rows and reads `active_columns` columns; each
// slice is one analog read of `read_latency`. One SystemC event per read group (the whole
// request), never per conversion: counts are accumulated, not evented.

#include <cstdint>
#include <iosfwd>
#include <systemc>

#include "sim/action_counts.h"

namespace mixpim::hw {

struct MvmRequest {
  int64_t id = 0;
  int active_rows = 0;
  int active_columns = 0;
  int input_cycles = 0;  // ceil(activation bits / DAC bits)
  bool operator==(const MvmRequest& o) const {
    return id == o.id && active_rows == o.active_rows && active_columns == o.active_columns &&
           input_cycles == o.input_cycles;
  }
};
std::ostream& operator<<(std::ostream& out, const MvmRequest& request);

class Crossbar : public sc_core::sc_module {
 public:
  sc_core::sc_fifo_in<MvmRequest> request;
  sc_core::sc_fifo_out<MvmRequest> done;  // the request, once its last input slice is read

  // rows/columns bound the active ones; requests outside them are reported as SystemC errors.
  Crossbar(sc_core::sc_module_name name, int rows, int columns,
           const sc_core::sc_time& read_latency);

  // xbar.activate: one per input slice; xbar.row_cycles / xbar.column_cycles: active rows and
  // columns times input slices (what row drivers and sense circuits spend energy on).
  const sim::ActionCounts& counts() const { return counts_; }

 private:
  void run();

  int rows_;
  int columns_;
  sc_core::sc_time read_latency_;
  sim::ActionCounts counts_;
};

}  // namespace mixpim::hw
