#include "hw/router.h"

#include <cmath>

namespace mixpim::hw {

void Ejector::accept(Packet* packet) {
  RowDelivery* row = packet->row;
  delete packet;
  if (--row->packets == 0) {
    row->queue->deliver(row->row);
    delete row;
  }
}

RouterPort::RouterPort(sc_core::sc_module_name name, double cycle_ns, int latency_cycles,
                       int flits_per_cycle, int buffer_packets, Kernel* kernel)
    : sc_module(name),
      cycle_ns_(cycle_ns),
      latency_cycles_(latency_cycles),
      flits_per_cycle_(flits_per_cycle),
      capacity_(buffer_packets),
      kernel_(kernel) {
  SC_HAS_PROCESS(RouterPort);
  SC_THREAD(run);
}

void RouterPort::put(Packet* packet) {
  while (static_cast<int>(queue_.size()) >= capacity_) kernel_->wait(popped_);
  queue_.push_back(packet);
  stats.peak_queue = std::max<int64_t>(stats.peak_queue, static_cast<int64_t>(queue_.size()));
  pushed_.notify(sc_core::SC_ZERO_TIME);
}

void RouterPort::run() {
  for (;;) {
    const double idle_from = now_ns();
    while (queue_.empty()) kernel_->wait(pushed_);
    stats.idle_ns += now_ns() - idle_from;
    Packet* packet = queue_.front();
    queue_.pop_front();
    popped_.notify(sc_core::SC_ZERO_TIME);
    const double cycles =
        latency_cycles_ + std::ceil(static_cast<double>(packet->flits) / flits_per_cycle_);
    kernel_->wait_ns(cycles * cycle_ns_);
    stats.busy_ns += cycles * cycle_ns_;
    flits += packet->flits;
    *packet->flit_hops += packet->flits;
    const double blocked_from = now_ns();
    next->accept(packet);  // blocks while the next queue is full (no credit)
    stats.blocked_ns += now_ns() - blocked_from;
  }
}

Router::Router(sc_core::sc_module_name name, int column, int row, int mesh_columns, double cycle_ns,
               int latency_cycles, int flits_per_cycle, int buffer_packets, Kernel* kernel)
    : sc_module(name), column_(column), row_(row), mesh_columns_(mesh_columns) {
  static const char* const kNames[kPorts] = {"east", "west", "north", "south", "local"};
  for (int p = 0; p < kPorts; ++p) {
    ports_[p] = std::make_unique<RouterPort>(kNames[p], cycle_ns, latency_cycles, flits_per_cycle,
                                             buffer_packets, kernel);
  }
}

void Router::accept(Packet* packet) {
  const int column = packet->dest_router % mesh_columns_;
  const int row = packet->dest_router / mesh_columns_;
  Port p = kLocal;
  if (column > column_) {
    p = kEast;
  } else if (column < column_) {
    p = kWest;
  } else if (row > row_) {
    p = kSouth;
  } else if (row < row_) {
    p = kNorth;
  }
  ports_[p]->put(packet);
}

}  // namespace mixpim::hw
