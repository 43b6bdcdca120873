#pragma once
// A layer without weights (ReLU, max/average pooling, residual add, flatten, global pooling),
// executed output row by output row on the tile units where its producer's outputs are: a row
// waits for the input rows its window needs, reads them from the tile buffer and uses the
// tile's units (each tile its share; the buffer port and the units work side by side), writes
// its output, and is sent to the consumers. ReLU is applied as rows leave the PEs (no buffer
// traffic) and flatten is a view (no work): their rows pass straight on.

#include <systemc>

#include "hw/channels.h"
#include "hw/row_producer.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/work_model.h"
#include "hw/step.h"
#include "hw/tile.h"

namespace mixpim::hw {

class DigitalLayer : public RowProducer {
 public:
  sc_core::sc_port<RowQueueIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> inputs;       // program order
  sc_core::sc_port<ServiceIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> units;         // tiles in order
  sc_core::sc_port<ServiceIf, 0, sc_core::SC_ZERO_OR_MORE_BOUND> buffer_ports;  // likewise
  sc_core::sc_port<ProgressIf, 1, sc_core::SC_ZERO_OR_MORE_BOUND> previous;     // layer by layer
  sc_core::sc_port<ProgressIf> progress;

  DigitalLayer(sc_core::sc_module_name name, const sim::LayerProgram& program,
               const sim::ArchConfig& arch, int64_t inferences, int track, LayerCounters* counters,
               LayerTiming* timing, Kernel* kernel);
  StageStats stats;

 private:
  void run();
  const sim::LayerProgram& program_;
  int64_t inferences_;
  int track_;
  double ops_per_ns_, buffer_bytes_per_ns_;
  LayerCounters* counters_;
  LayerTiming* timing_;
};

}  // namespace mixpim::hw
