#pragma once
// A tile's shared units: the tile-buffer port (bandwidth_bytes_per_cycle) and its pools of
// shift-and-add (row-block and PE merges, residual adds), activation and pooling units. Every
// layer placed on the tile queues on them in arrival order (channels.h, FifoServer). The PEs'
// own units are per layer (pe.h).

#include <systemc>

#include "channels.h"
#include "sim/arch_config.h"
#include "sim/work_model.h"

namespace mixpim::hw {

class Tile : public sc_core::sc_module {
 public:
  Tile(sc_core::sc_module_name name, const sim::ArchConfig& arch);
  FifoServer buffer_port;
  FifoServer shift_add, activation, pool;
  FifoServer& unit(sim::TileUnit unit);
  // Time of `bytes` on the buffer port, and of `ops` on the tile's units of one kind.
  double buffer_ns(double bytes) const { return bytes / buffer_bytes_per_ns_; }
  double unit_ns(sim::TileUnit unit, double ops) const;

 private:
  double buffer_bytes_per_ns_;
  double ops_per_ns_[3];
};

}  // namespace mixpim::hw
