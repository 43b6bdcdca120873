#include "hw/noc.h"

#include <algorithm>

namespace mixpim::hw {

Noc::Noc(sc_core::sc_module_name name, const sim::NocConfig& config, double clock_ghz,
         Kernel* kernel)
    : sc_module(name), config_(config), ejector_("ejector") {
  edge_ = std::make_unique<Ejector>("edge");
  const double cycle_ns = 1.0 / clock_ghz;
  for (int r = 0; r < config.mesh_rows; ++r) {
    for (int c = 0; c < config.mesh_columns; ++c) {
      routers_.push_back(std::make_unique<Router>(
          ("router_" + std::to_string(c) + "_" + std::to_string(r)).c_str(), c, r,
          config.mesh_columns, cycle_ns, config.router_latency_cycles, config.link_flits_per_cycle,
          config.buffer_packets, kernel));
    }
  }
  auto at = [&](int c, int r) -> Router& {
    return *routers_[static_cast<size_t>(r * config.mesh_columns + c)];
  };
  for (int r = 0; r < config.mesh_rows; ++r) {
    for (int c = 0; c < config.mesh_columns; ++c) {
      Router& router = at(c, r);
      router.port(Router::kEast)
          .next(c + 1 < config.mesh_columns ? static_cast<PacketSinkIf&>(at(c + 1, r)) : *edge_);
      router.port(Router::kWest).next(c > 0 ? static_cast<PacketSinkIf&>(at(c - 1, r)) : *edge_);
      router.port(Router::kSouth)
          .next(r + 1 < config.mesh_rows ? static_cast<PacketSinkIf&>(at(c, r + 1)) : *edge_);
      router.port(Router::kNorth).next(r > 0 ? static_cast<PacketSinkIf&>(at(c, r - 1)) : *edge_);
      router.port(Router::kLocal).next(ejector_);
    }
  }
}

void Noc::send_row(const sim::NocTransfer& transfer, int64_t row, int64_t rows, int64_t global_row,
                   RowQueueIf* queue, int64_t* flit_hops) {
  auto* delivery = new RowDelivery{queue, global_row, 1};  // 1: held until every packet is out
  for (const sim::NocRoute& route : transfer.routes) {
    int64_t left = route.row_flits(row, rows);
    while (left > 0) {
      const int64_t flits = std::min<int64_t>(left, config_.packet_flits);
      left -= flits;
      ++delivery->packets;
      routers_[static_cast<size_t>(route.from_router)]->accept(
          new Packet{flits, route.to_router, flit_hops, delivery});
    }
  }
  if (--delivery->packets == 0) {
    queue->deliver(global_row);
    delete delivery;
  }
}

StageStats Noc::link_stats(int64_t* flits) const {
  StageStats total;
  *flits = 0;
  for (const auto& router : routers_) {
    for (int p = 0; p < Router::kPorts; ++p) {
      const RouterPort& port = router->port(p);
      total.busy_ns += port.stats.busy_ns;
      total.blocked_ns += port.stats.blocked_ns;
      total.peak_queue = std::max(total.peak_queue, port.stats.peak_queue);
      *flits += port.flits;
    }
  }
  return total;
}

}  // namespace mixpim::hw
