#pragma once
// The channels the cycle engine's modules talk through (besides sc_fifo inside a PE):
// - ServiceIf / FifoServer: a shared unit (tile-buffer port, a tile's digital units) serving
//   requests in arrival order, one at a time; a request of d ns arriving at t ends at
//   max(t, end of the previous request) + d. Callers wait for the end.
// - RowQueue: the rows of one producer held for one consumer (its input edge). The producer
//   reserves room for a row before it sends it (back-pressure; so a packet never waits in the NoC
//   for buffer room and the NoC cannot deadlock), the row is delivered when its last packet
//   arrives, the consumer waits for the rows its window needs and releases rows it is done with.
//   Rows are numbered across inferences (inference k's row r is k x rows + r).
// - Kernel: the run's event counter and trace sink, shared by every module.

#include <cstdint>
#include <sstream>
#include <string>
#include <systemc>
#include <vector>

namespace mixpim::hw {

// Counts every SystemC wait the modules perform and collects trace slices as they happen.
struct Kernel {
  int64_t events = 0;
  bool tracing = false;
  std::ostringstream trace;  // Chrome trace-event objects, comma-separated
  bool first_slice = true;
  void wait_ns(double ns);                // wait for a duration (skips 0)
  void wait(const sc_core::sc_event& e);  // wait for an event
  void slice(const std::string& name, const char* category, int track, double start_ns,
             double end_ns);
};

double now_ns();

// Busy, idle and blocked time of a pipeline stage, and its input queue's peak occupancy.
struct StageStats {
  double busy_ns = 0, idle_ns = 0, blocked_ns = 0;
  int64_t peak_queue = 0;
};

class ServiceIf : public virtual sc_core::sc_interface {
 public:
  // Reserves the unit for `ns` from now (after the requests before it); returns the end time.
  virtual double reserve(double ns) = 0;
};

class FifoServer : public sc_core::sc_module, public ServiceIf {
 public:
  explicit FifoServer(sc_core::sc_module_name name) : sc_module(name) {}
  double reserve(double ns) override;
  double busy_ns() const { return busy_ns_; }
  double waited_ns() const { return waited_ns_; }
  int64_t requests() const { return requests_; }
  int64_t peak_queue() const { return peak_queue_; }

 private:
  double free_at_ns_ = 0;
  double busy_ns_ = 0, waited_ns_ = 0;
  int64_t requests_ = 0, peak_queue_ = 0;
  std::vector<double> pending_ends_;  // ends of requests not yet finished (queue occupancy)
};

class RowQueueIf : public virtual sc_core::sc_interface {
 public:
  virtual void reserve() = 0;                 // producer: blocks until one more row fits
  virtual void deliver(int64_t row) = 0;      // the row has arrived (rows may arrive out of order)
  virtual void wait_rows(int64_t count) = 0;  // consumer: blocks until rows [0, count) arrived
  virtual void release(int64_t count) = 0;    // consumer: rows [0, count) are no longer needed
};

class RowQueue : public sc_core::sc_module, public RowQueueIf {
 public:
  // capacity_rows <= 0: unbounded.
  RowQueue(sc_core::sc_module_name name, int64_t capacity_rows, Kernel* kernel);
  void reserve() override;
  void deliver(int64_t row) override;
  void wait_rows(int64_t count) override;
  void release(int64_t count) override;
  int64_t capacity_rows() const { return capacity_; }
  int64_t peak_rows() const { return peak_rows_; }
  int64_t ready() const { return ready_; }
  int64_t reserved() const { return reserved_; }
  int64_t released() const { return released_; }

 private:
  int64_t capacity_;
  Kernel* kernel_;
  int64_t reserved_ = 0, released_ = 0, ready_ = 0, peak_rows_ = 0;
  std::vector<bool> arrived_;  // rows at or after ready_ that arrived early, by row - ready_
  sc_core::sc_event delivered_, freed_;
};

// Inferences a layer has finished (its last output row sent): layer-by-layer schedules start a
// layer's inference k once the layer before it has finished it.
class ProgressIf : public virtual sc_core::sc_interface {
 public:
  virtual void finish(int64_t inference) = 0;
  virtual void wait_finished(int64_t inference) = 0;
};

class LayerProgress : public sc_core::sc_module, public ProgressIf {
 public:
  LayerProgress(sc_core::sc_module_name name, Kernel* kernel) : sc_module(name), kernel_(kernel) {}
  void finish(int64_t inference) override;
  void wait_finished(int64_t inference) override;

 private:
  Kernel* kernel_;
  int64_t finished_ = 0;
  sc_core::sc_event event_;
};

// Reserves each tile's share of `ns` on its unit (ports bound in tile order, shares alike) and
// waits until the last share is done. Returns the time waited beyond the longest share (queueing).
template <typename Port>
double serve_shares(Port& units, const std::vector<double>& shares, double ns, Kernel* kernel) {
  if (ns <= 0) return 0;
  const double start = now_ns();
  double end = start, longest = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    if (shares[i] <= 0) continue;
    const double part = ns * shares[i];
    longest = part > longest ? part : longest;
    const double e = units[static_cast<int>(i)]->reserve(part);
    end = e > end ? e : end;
  }
  kernel->wait_ns(end - start);
  return end - start - longest;
}

}  // namespace mixpim::hw
