#pragma once
// Mesh NoC (plain or concentrated: `tiles_per_router` tiles share a router) with XY routing.
// Every router has four mesh output links and one ejection port to its tiles, each carrying
// `link_flits_per_cycle` flits per clock and modelled as a Server. A transfer spreads its
// flits evenly over the (source tile, destination tile) pairs, as the analytic engine does,
// and reserves every link on each pair's XY route; its flits arrive when the busiest link of
// the route has carried them, plus one router latency per router crossed. The global buffer
// (tile -1) sits at router 0.

#include <cstdint>
#include <systemc>
#include <utility>
#include <vector>

#include "server.h"
#include "sim/arch_config.h"

namespace mixpim::hw {

class Noc : public sc_core::sc_module {
 public:
  Noc(sc_core::sc_module_name name, const sim::NocConfig& config, double clock_ghz);

  // Routers a flit passes from one tile to another: 0 on the same tile, else the Manhattan
  // distance plus the source router.
  int64_t hops(int from_tile, int to_tile) const;
  // Flit-hops of `flits` spread evenly over every (source, destination) tile pair, rounded up
  // (the analytic engine's count, so both engines count the same router events).
  int64_t flit_hops(int64_t flits, int from_first, int from_last, int to_first, int to_last) const;

  struct Route {
    std::vector<int> links;  // link servers on the XY route, the ejection port last
    double share = 0;        // fraction of the transfer's flits
    int routers = 0;
  };
  using Plan = std::vector<Route>;
  // Routes from tiles [from_first, from_last] to [to_first, to_last], aggregated per router pair.
  Plan plan(int from_first, int from_last, int to_first, int to_last) const;
  // Sends `flits` along `plan` from `at_ns`; returns when the last flit has arrived.
  double send(double at_ns, const Plan& plan, double flits);

  int links() const { return static_cast<int>(links_.size()); }
  double link_busy_ns() const;  // summed over links
  double link_waited_ns() const;

 private:
  std::pair<int, int> position(int tile) const;  // router (column, row) of a tile
  int link_id(int column, int row, int direction) const;

  sim::NocConfig config_;
  double clock_ghz_;
  std::vector<Server> links_;
};

}  // namespace mixpim::hw
