#pragma once
// The tile side of a weight layer: partial sums of each slot arrive from the PEs' output
// registers over the tile bus; the tile's shift-and-add units merge row blocks and PEs
// (row blocks x spans - kept outputs additions per MVM, each tile its share), the results pass
// the tile output register into the tile buffer, and every output row the slot completes is
// sent to the layer's consumers (row_producer.h).

#include <systemc>

#include "hw/channels.h"
#include "hw/row_producer.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"

namespace mixpim::hw {

class TileMerge : public RowProducer {
 public:
  sc_core::sc_port<sc_core::sc_fifo_in_if<Step>, 0> from_pes;  // every PE's output registers
  sc_core::sc_port<ServiceIf, 0> units;         // tile shift-add units, first tile to last
  sc_core::sc_port<ServiceIf, 0> buffer_ports;  // tile buffer ports, likewise
  sc_core::sc_port<ProgressIf> progress;        // this layer's finished inferences

  TileMerge(sc_core::sc_module_name name, const sim::LayerProgram& program,
            const sim::ArchConfig& arch, LayerCounters* counters, LayerTiming* timing,
            LayerState* state, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::LayerProgram& program_;
  double ops_per_ns_, buffer_bytes_per_ns_;
  LayerCounters* counters_;
  LayerTiming* timing_;
  LayerState* state_;
};

}  // namespace mixpim::hw
