#include "tile.h"

namespace mixpim::hw {

Tile::Tile(sc_core::sc_module_name name, const sim::ArchConfig& arch)
    : sc_module(name),
      buffer_port("buffer_port"),
      shift_add("shift_add"),
      activation("activation"),
      pool("pool") {
  const double ghz = arch.clock_mhz / 1000.0;
  buffer_bytes_per_ns_ = arch.tile.buffer.bandwidth_bytes_per_cycle * ghz;
  ops_per_ns_[0] = arch.tile.shift_add_units * ghz;
  ops_per_ns_[1] = arch.tile.activation_units * ghz;
  ops_per_ns_[2] = arch.tile.pool_units * ghz;
}

FifoServer& Tile::unit(sim::TileUnit unit) {
  switch (unit) {
    case sim::TileUnit::kActivation:
      return activation;
    case sim::TileUnit::kPool:
      return pool;
    default:
      return shift_add;
  }
}

double Tile::unit_ns(sim::TileUnit unit, double ops) const {
  const int k = unit == sim::TileUnit::kActivation ? 1 : unit == sim::TileUnit::kPool ? 2 : 0;
  return ops / ops_per_ns_[k];
}

}  // namespace mixpim::hw
