#include "row_buffer.h"

#include <algorithm>
#include <utility>

namespace mixpim::hw {

double now_ns() { return sc_core::sc_time_stamp().to_seconds() * 1e9; }

void wait_until_ns(double ns, int64_t* events) {
  const sc_core::sc_time target(ns, sc_core::SC_NS);
  const sc_core::sc_time now = sc_core::sc_time_stamp();
  if (target > now) {
    sc_core::wait(target - now);
    ++*events;
  }
}

RowBuffer::RowBuffer(std::string name, int64_t rows, int64_t capacity_rows, int64_t* events)
    : name_(std::move(name)), rows_(rows), capacity_(capacity_rows), events_(events) {}

double RowBuffer::released_at(int64_t count) const {
  if (count <= 0) return 0;
  // First declaration covering `count` rows: declarations are monotone in count and time.
  auto it = std::lower_bound(releases_.begin(), releases_.end(), count,
                             [](const Release& r, int64_t c) { return r.count < c; });
  return it == releases_.end() ? -1 : it->at_ns;
}

double RowBuffer::reserve_slot() {
  const double start = now_ns();
  if (capacity_ > 0) {
    // Row `reserved_` fits once rows [0, reserved_ + 1 - capacity) have left.
    const int64_t must_leave = reserved_ + 1 - capacity_;
    double at = released_at(must_leave);
    while (at < 0) {
      sc_core::wait(released_event_);
      ++*events_;
      at = released_at(must_leave);
    }
    wait_until_ns(at, events_);
  }
  ++reserved_;
  int64_t released = 0;
  for (auto it = releases_.rbegin(); it != releases_.rend(); ++it) {
    if (it->at_ns <= now_ns()) {
      released = it->count;
      break;
    }
  }
  peak_rows_ = std::max(peak_rows_, reserved_ - released);
  return now_ns() - start;
}

void RowBuffer::produce(double ready_ns) {
  if (!ready_ns_.empty()) ready_ns = std::max(ready_ns, ready_ns_.back());  // rows leave in order
  ready_ns_.push_back(ready_ns);
  produced_event_.notify(sc_core::SC_ZERO_TIME);
  ++*events_;
}

void RowBuffer::produce_all(double ready_ns) {
  reserved_ = rows_;
  ready_ns_.assign(static_cast<size_t>(rows_), ready_ns);
}

void RowBuffer::wait_rows(int64_t count) {
  count = std::min(count, rows_);
  if (count <= 0) return;
  while (produced() < count) {
    sc_core::wait(produced_event_);
    ++*events_;
  }
  wait_until_ns(ready_ns_[static_cast<size_t>(count - 1)], events_);
}

void RowBuffer::release(int64_t count, double at_ns) {
  if (!releases_.empty()) {
    if (count <= releases_.back().count) return;
    at_ns = std::max(at_ns, releases_.back().at_ns);
  }
  releases_.push_back({count, at_ns});
  released_event_.notify(sc_core::SC_ZERO_TIME);
  ++*events_;
}

}  // namespace mixpim::hw
