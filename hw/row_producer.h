#pragma once
// Base of every module that makes rows for other layers (tile_merge.h, digital_layer.h,
// global_buffer.h): it reserves room for a row in every consumer's queue (blocking while one is
// full: back-pressure), then delivers it, directly when the consumer sits on the same tiles,
// else as packets over the NoC.

#include <cstdint>
#include <systemc>
#include <vector>

#include "hw/channels.h"
#include "hw/noc.h"
#include "hw/step.h"

namespace mixpim::hw {

class RowProducer : public sc_core::sc_module {
 public:
  sc_core::sc_port<RowQueueIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> consumers;
  sc_core::sc_port<NocIf> noc;
  // One per bound consumer, in binding order: its NoC transfer (null: same tiles) and where its
  // router flit-hops are counted (the consumer layer's counters).
  void add_route(const sim::NocTransfer* transfer, int64_t* flit_hops) {
    routes_.push_back({transfer, flit_hops});
  }

 protected:
  RowProducer(sc_core::sc_module_name name, int64_t rows, Kernel* kernel)
      : sc_module(name), rows_(rows), kernel_(kernel) {}
  // Sends row `row` of inference `inference`; stalls go to `timing` as backpressure and noc,
  // and `state` tells an upstream stage what this one waits for.
  void send_row(int64_t inference, int64_t row, LayerTiming* timing, const char** state);

  int64_t rows_;
  Kernel* kernel_;

 private:
  struct Route {
    const sim::NocTransfer* transfer;
    int64_t* flit_hops;
  };
  std::vector<Route> routes_;
};

}  // namespace mixpim::hw
