#pragma once
// A tile: its PEs (pe.h, instantiated per layer since a PE serves one layer), the tile buffer,
// the bus from the buffer to the PEs, the output register, and the digital units that every
// layer placed on the tile shares: shift-and-add (row-block merges, residual adds), activation
// (ReLU as outputs leave) and pooling. Each unit pool is a Server whose request time is
// operations / (units x clock).

#include <systemc>

#include "server.h"
#include "sim/arch_config.h"
#include "tile_buffer.h"

namespace mixpim::hw {

enum class DigitalUnit { kShiftAdd, kActivation, kPool };

class Tile : public sc_core::sc_module {
 public:
  Tile(sc_core::sc_module_name name, int index, const sim::ArchConfig& arch);

  int index() const { return index_; }
  TileBuffer& buffer() { return buffer_; }
  const TileBuffer& buffer() const { return buffer_; }
  Server& unit(DigitalUnit unit);
  const Server& unit(DigitalUnit unit) const;
  // Time of `ops` operations on the tile's units of one kind.
  double unit_ns(DigitalUnit unit, double ops) const;

 private:
  int index_;
  double clock_ghz_;
  int units_[3];
  TileBuffer buffer_;
  Server servers_[3];
};

}  // namespace mixpim::hw
