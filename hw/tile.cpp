#include "tile.h"

namespace mixpim::hw {

Tile::Tile(sc_core::sc_module_name name, int index, const sim::ArchConfig& arch)
    : sc_module(name),
      index_(index),
      clock_ghz_(arch.clock_mhz / 1000.0),
      units_{arch.tile.shift_add_units, arch.tile.activation_units, arch.tile.pool_units},
      buffer_(arch.tile.buffer, arch.clock_mhz / 1000.0) {}

Server& Tile::unit(DigitalUnit unit) { return servers_[static_cast<int>(unit)]; }
const Server& Tile::unit(DigitalUnit unit) const { return servers_[static_cast<int>(unit)]; }

double Tile::unit_ns(DigitalUnit unit, double ops) const {
  return ops / (units_[static_cast<int>(unit)] * clock_ghz_);
}

}  // namespace mixpim::hw
