#include "hw/digital_layer.h"

#include <algorithm>
#include <string>

namespace mixpim::hw {

DigitalLayer::DigitalLayer(sc_core::sc_module_name name, const sim::LayerProgram& program,
                           const sim::ArchConfig& arch, int64_t inferences, int track,
                           LayerCounters* counters, LayerTiming* timing, Kernel* kernel)
    : RowProducer(name, program.rows, kernel),
      program_(program),
      inferences_(inferences),
      track_(track),
      counters_(counters),
      timing_(timing) {
  const double ghz = arch.clock_mhz / 1000.0;
  ops_per_ns_ = sim::tile_units(arch, program.unit) * ghz;
  buffer_bytes_per_ns_ = arch.tile.buffer.bandwidth_bytes_per_cycle * ghz;
  SC_HAS_PROCESS(DigitalLayer);
  SC_THREAD(run);
}

void DigitalLayer::run() {
  const sim::LayerProgram& p = program_;
  for (int64_t k = 0; k < inferences_; ++k) {
    if (previous.size() > 0) previous[0]->wait_finished(p.layer == 0 ? k - 1 : k);
    for (int64_t row = 0; row < p.rows; ++row) {
      double t = now_ns();
      for (size_t e = 0; e < p.inputs.size(); ++e) {
        const sim::EdgeWork& edge = p.inputs[e];
        inputs[static_cast<int>(e)]->wait_rows(k * edge.producer_rows +
                                               edge.need[static_cast<size_t>(row)]);
      }
      stats.idle_ns += now_ns() - t;
      timing_->stall("input", now_ns() - t);
      if (timing_->start_ns < 0) timing_->start_ns = now_ns();
      const double start = now_ns();
      const int64_t ops = sim::split_share(p.unit_ops, row, p.rows);
      const int64_t read = sim::split_share(p.buffer_read_bytes, row, p.rows);
      const int64_t written = sim::split_share(p.buffer_write_bytes, row, p.rows);
      // Buffer port and units side by side: the row takes the longer, each tile its share.
      double end = start, longest = 0;
      for (size_t i = 0; i < p.tile_shares.size(); ++i) {
        const double share = p.tile_shares[i];
        if (share <= 0) continue;
        if (ops > 0 && units.size() > 0) {
          const double ns = static_cast<double>(ops) * share / ops_per_ns_;
          longest = std::max(longest, ns);
          end = std::max(end, units[static_cast<int>(i)]->reserve(ns));
        }
        if (read + written > 0 && buffer_ports.size() > 0) {
          const double ns = static_cast<double>(read + written) * share / buffer_bytes_per_ns_;
          longest = std::max(longest, ns);
          end = std::max(end, buffer_ports[static_cast<int>(i)]->reserve(ns));
        }
      }
      kernel_->wait_ns(end - start);
      timing_->stall(p.unit == sim::TileUnit::kNone ? "tile_buffer" : "digital",
                     end - start - longest);
      stats.busy_ns += longest;
      if (k == 0) timing_->busy_ns += longest;
      counters_->unit_ops += ops;
      counters_->buffer_read += read;
      counters_->buffer_write += written;
      if (kernel_->tracing)
        kernel_->slice("row " + std::to_string(row), "rows", track_, start, now_ns());
      t = now_ns();
      send_row(k, row, timing_, nullptr);
      stats.blocked_ns += now_ns() - t;
      for (size_t e = 0; e < p.inputs.size(); ++e) {
        const sim::EdgeWork& edge = p.inputs[e];
        inputs[static_cast<int>(e)]->release(k * edge.producer_rows +
                                             edge.release[static_cast<size_t>(row)]);
      }
      if (row + 1 == p.rows) {
        if (k == 0) timing_->end_ns = now_ns();
        progress->finish(k);
      }
    }
  }
}

}  // namespace mixpim::hw
