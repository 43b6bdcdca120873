#include "hw/channels.h"

#include <algorithm>

namespace mixpim::hw {

double now_ns() { return sc_core::sc_time_stamp().to_seconds() * 1e9; }

void Kernel::wait_ns(double ns) {
  if (ns <= 0) return;
  ++events;
  sc_core::wait(sc_core::sc_time(ns, sc_core::SC_NS));
}

void Kernel::wait(const sc_core::sc_event& e) {
  ++events;
  sc_core::wait(e);
}

void Kernel::slice(const std::string& name, const char* category, int track, double start_ns,
                   double end_ns) {
  if (!tracing || end_ns <= start_ns) return;
  if (!first_slice) trace << ",\n";
  first_slice = false;
  trace << R"({"name":")" << name << R"(","cat":")" << category << R"(","ph":"X","pid":0,"tid":)"
        << track << R"(,"ts":)" << start_ns / 1000.0 << R"(,"dur":)" << (end_ns - start_ns) / 1000.0
        << "}";
}

double FifoServer::reserve(double ns) {
  const double now = now_ns();
  pending_ends_.erase(std::remove_if(pending_ends_.begin(), pending_ends_.end(),
                                     [now](double end) { return end <= now; }),
                      pending_ends_.end());
  const double start = std::max(now, free_at_ns_);
  waited_ns_ += start - now;
  busy_ns_ += ns;
  ++requests_;
  free_at_ns_ = start + ns;
  pending_ends_.push_back(free_at_ns_);
  peak_queue_ = std::max(peak_queue_, static_cast<int64_t>(pending_ends_.size()));
  return free_at_ns_;
}

RowQueue::RowQueue(sc_core::sc_module_name name, int64_t capacity_rows, Kernel* kernel)
    : sc_module(name), capacity_(capacity_rows), kernel_(kernel) {}

void RowQueue::reserve() {
  while (capacity_ > 0 && reserved_ - released_ >= capacity_) kernel_->wait(freed_);
  ++reserved_;
  peak_rows_ = std::max(peak_rows_, reserved_ - released_);
}

void RowQueue::deliver(int64_t row) {
  const auto offset = static_cast<size_t>(row - ready_);
  if (arrived_.size() <= offset) arrived_.resize(offset + 1, false);
  arrived_[offset] = true;
  size_t advance = 0;
  while (advance < arrived_.size() && arrived_[advance]) ++advance;
  if (advance == 0) return;
  arrived_.erase(arrived_.begin(), arrived_.begin() + static_cast<std::ptrdiff_t>(advance));
  ready_ += static_cast<int64_t>(advance);
  delivered_.notify(sc_core::SC_ZERO_TIME);
}

void RowQueue::wait_rows(int64_t count) {
  while (ready_ < count) kernel_->wait(delivered_);
}

void RowQueue::release(int64_t count) {
  if (count <= released_) return;
  released_ = count;
  freed_.notify(sc_core::SC_ZERO_TIME);
}

void LayerProgress::finish(int64_t inference) {
  finished_ = std::max(finished_, inference + 1);
  event_.notify(sc_core::SC_ZERO_TIME);
}

void LayerProgress::wait_finished(int64_t inference) {
  while (finished_ <= inference) kernel_->wait(event_);
}

}  // namespace mixpim::hw
