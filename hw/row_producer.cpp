#include "hw/row_producer.h"

namespace mixpim::hw {

void RowProducer::send_row(int64_t inference, int64_t row, LayerTiming* timing,
                           const char** state) {
  const int64_t global = inference * rows_ + row;
  double t = now_ns();
  if (state != nullptr) *state = "backpressure";
  for (int i = 0; i < consumers.size(); ++i) consumers[i]->reserve();
  if (timing != nullptr) timing->stall("backpressure", now_ns() - t);
  t = now_ns();
  if (state != nullptr) *state = "noc";
  for (int i = 0; i < consumers.size(); ++i) {
    const Route& route = routes_[static_cast<size_t>(i)];
    if (route.transfer == nullptr) {
      consumers[i]->deliver(global);
    } else {
      noc->send_row(*route.transfer, row, rows_, global, consumers[i], route.flit_hops);
    }
  }
  if (timing != nullptr) timing->stall("noc", now_ns() - t);
}

}  // namespace mixpim::hw
