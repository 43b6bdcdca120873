#pragma once
// A tile's eDRAM/SRAM buffer: one port of `bandwidth_bytes_per_cycle` shared by every layer
// that reads or writes in this tile, and `capacity_bytes` split evenly between the layer inputs
// it holds (their row buffers, row_buffer.h, block the producer when full).

#include <cstdint>

#include "server.h"
#include "sim/action_counts.h"
#include "sim/arch_config.h"

namespace mixpim::hw {

class TileBuffer {
 public:
  TileBuffer(const sim::BufferConfig& config, double clock_ghz)
      : capacity_bytes_(config.capacity_bytes),
        bytes_per_ns_(config.bandwidth_bytes_per_cycle * clock_ghz) {}

  // Port time of `bytes` (fraction of a layer's traffic that goes through this tile).
  double port_ns(double bytes) const { return bytes / bytes_per_ns_; }
  Server& port() { return port_; }
  const Server& port() const { return port_; }
  int64_t capacity_bytes() const { return capacity_bytes_; }
  // A layer input held here (the capacity is shared evenly between them).
  void add_resident_input() { ++resident_inputs_; }
  int resident_inputs() const { return resident_inputs_; }

  static void read(int64_t bytes, sim::ActionCounts& counts) {
    counts.add("tile_buffer", "read_byte", bytes);
  }
  static void write(int64_t bytes, sim::ActionCounts& counts) {
    counts.add("tile_buffer", "write_byte", bytes);
  }

 private:
  int64_t capacity_bytes_;
  double bytes_per_ns_;
  Server port_;
  int resident_inputs_ = 0;
};

}  // namespace mixpim::hw
