#include "hw/tile.h"

namespace mixpim::hw {

Tile::Tile(sc_core::sc_module_name name)
    : sc_module(name),
      buffer_port("buffer_port"),
      shift_add("shift_add"),
      activation("activation"),
      pool("pool") {}

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

}  // namespace mixpim::hw
