#pragma once
// A tile's shared units: the tile-buffer port (bandwidth_bytes_per_cycle) and its pools of
// shift-and-add (row-block and PE merges, residual adds), activation and pooling units. Every
// layer placed on the tile queues on them in arrival order (channels.h, FifoServer). The PEs'
// own units are per layer (pe.h).

#include <systemc>

#include "hw/channels.h"
#include "sim/compiler/work_model.h"

namespace mixpim::hw {

class Tile : public sc_core::sc_module {
 public:
  explicit Tile(sc_core::sc_module_name name);
  FifoServer buffer_port;
  FifoServer shift_add, activation, pool;
  FifoServer& unit(sim::TileUnit unit);
};

}  // namespace mixpim::hw
