#pragma once
// The mesh NoC of the chip: one Router per mesh position (router.h), linked east-west and
// north-south, each ejecting to its tiles. Tiles sit at router tile / tiles_per_router; the
// global buffer at router 0 (sim/compiler/work_model.h, noc_router). A row crossing the NoC leaves as
// packets of at most `packet_flits` flits per route (sim::NocRoute), injected at the source
// router (blocking while its first queue is full).

#include <cstdint>
#include <memory>
#include <systemc>
#include <vector>

#include "hw/router.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"

namespace mixpim::hw {

class NocIf : public virtual sc_core::sc_interface {
 public:
  // Sends the share of producer row `row` (of `rows`; numbered across inferences as
  // `global_row`) that `transfer` carries, to `queue`; returns once every packet is injected.
  // With nothing to carry the row is delivered at once.
  virtual void send_row(const sim::NocTransfer& transfer, int64_t row, int64_t rows,
                        int64_t global_row, RowQueueIf* queue, int64_t* flit_hops) = 0;
};

class Noc : public sc_core::sc_module, public NocIf {
 public:
  Noc(sc_core::sc_module_name name, const sim::NocConfig& config, double clock_ghz, Kernel* kernel);
  void send_row(const sim::NocTransfer& transfer, int64_t row, int64_t rows, int64_t global_row,
                RowQueueIf* queue, int64_t* flit_hops) override;
  // Per link class: busy and blocked time summed over ports, peak queue, flits carried.
  StageStats link_stats(int64_t* flits) const;

 private:
  sim::NocConfig config_;
  std::vector<std::unique_ptr<Router>> routers_;
  Ejector ejector_;
  std::unique_ptr<Ejector> edge_;  // bound to ports leaving the mesh (never used by XY routes)
};

}  // namespace mixpim::hw
