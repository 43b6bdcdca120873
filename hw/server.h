#pragma once
// A shared hardware unit served in arrival order: a tile-buffer port, a pool of digital units,
// a NoC link, a PE's crossbars or ADC bank. A request reserves it for a duration starting no
// earlier than it arrives and no earlier than the previous reservation ends. This is how the
// cycle engine times whole row groups with one SystemC event each: callers reserve every unit a
// row group needs, then wait once for the latest end (no process per unit, no clock).

#include <cstdint>

namespace mixpim::hw {

class Server {
 public:
  // Reserves the unit for `duration_ns` from max(at_ns, the end of the last reservation) and
  // returns the end. Requests must come in non-decreasing `at_ns` (simulation order).
  double reserve(double at_ns, double duration_ns) {
    const double start = at_ns > free_at_ns_ ? at_ns : free_at_ns_;
    waited_ns_ += start - at_ns;
    busy_ns_ += duration_ns;
    ++requests_;
    free_at_ns_ = start + duration_ns;
    return free_at_ns_;
  }
  double free_at_ns() const { return free_at_ns_; }
  double busy_ns() const { return busy_ns_; }      // sum of reserved durations
  double waited_ns() const { return waited_ns_; }  // sum of queueing delays
  int64_t requests() const { return requests_; }

 private:
  double free_at_ns_ = 0;
  double busy_ns_ = 0;
  double waited_ns_ = 0;
  int64_t requests_ = 0;
};

}  // namespace mixpim::hw
