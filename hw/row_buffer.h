#pragma once
// Rows of one producer layer's output held for one consumer layer (in the consumer's tile
// buffer, or passed straight through for ReLU/flatten). The producer reserves a slot before it
// starts a row group (back-pressure: it blocks while the buffer is full), then declares when the
// row will be ready; the consumer waits for the rows its window needs and releases the rows it
// no longer needs at the time its own row group completes. Ready and release times are
// declared ahead (they are computed when the row group is issued), so one SystemC event per
// declaration is enough: waiters then wait for the declared time.

#include <cstdint>
#include <string>
#include <systemc>
#include <vector>

namespace mixpim::hw {

class RowBuffer {
 public:
  // `rows`: rows the producer makes per inference; `capacity_rows` <= 0: unlimited.
  RowBuffer(std::string name, int64_t rows, int64_t capacity_rows, int64_t* events);

  // Producer, from an SC_THREAD: blocks until the next row fits. Returns the nanoseconds waited.
  double reserve_slot();
  // Producer: the row reserved last is ready at `ready_ns` (>= now).
  void produce(double ready_ns);
  // Every row ready at `ready_ns` (the network input, already in the global buffer).
  void produce_all(double ready_ns);
  // Consumer, from an SC_THREAD: blocks until the first `count` rows are ready.
  void wait_rows(int64_t count);
  // Consumer: rows [0, count) are no longer needed from `at_ns` on.
  void release(int64_t count, double at_ns);

  const std::string& name() const { return name_; }
  int64_t rows() const { return rows_; }
  int64_t capacity_rows() const { return capacity_; }
  int64_t produced() const { return static_cast<int64_t>(ready_ns_.size()); }
  int64_t peak_rows() const { return peak_rows_; }  // most rows held at once (at issue times)

 private:
  // Time at which `count` rows have been released (declared), or a negative value if unknown.
  double released_at(int64_t count) const;

  std::string name_;
  int64_t rows_;
  int64_t capacity_;
  int64_t reserved_ = 0;
  std::vector<double> ready_ns_;  // per produced row, non-decreasing
  struct Release {
    int64_t count;
    double at_ns;
  };
  std::vector<Release> releases_;  // counts and times non-decreasing
  int64_t peak_rows_ = 0;
  int64_t* events_;
  sc_core::sc_event produced_event_;
  sc_core::sc_event released_event_;
};

// Waits (from an SC_THREAD) until absolute simulated time `ns`; counts one kernel event.
void wait_until_ns(double ns, int64_t* events);
double now_ns();

}  // namespace mixpim::hw
