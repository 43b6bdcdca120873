#pragma once
// The chip: its tiles on the NoC, and the global buffer. Owns the shared hardware that layer
// stages (layer_stage.h) reserve as they execute.

#include <memory>
#include <systemc>
#include <vector>

#include "noc.h"
#include "sim/arch_config.h"
#include "tile.h"

namespace mixpim::hw {

class Chip : public sc_core::sc_module {
 public:
  Chip(sc_core::sc_module_name name, const sim::ArchConfig& arch);

  int tiles() const { return static_cast<int>(tiles_.size()); }
  Tile& tile(int index) { return *tiles_[static_cast<size_t>(index)]; }
  const Tile& tile(int index) const { return *tiles_[static_cast<size_t>(index)]; }
  Noc& noc() { return noc_; }
  const Noc& noc() const { return noc_; }

 private:
  std::vector<std::unique_ptr<Tile>> tiles_;
  Noc noc_;
};

}  // namespace mixpim::hw
