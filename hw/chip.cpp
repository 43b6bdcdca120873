#include "chip.h"

#include <string>

namespace mixpim::hw {

Chip::Chip(sc_core::sc_module_name name, const sim::ArchConfig& arch)
    : sc_module(name), noc_("noc", arch.chip.noc, arch.clock_mhz / 1000.0) {
  tiles_.reserve(static_cast<size_t>(arch.chip.tiles));
  for (int t = 0; t < arch.chip.tiles; ++t) {
    tiles_.push_back(std::make_unique<Tile>(("tile_" + std::to_string(t)).c_str(), t, arch));
  }
}

}  // namespace mixpim::hw
