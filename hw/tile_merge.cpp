#include "hw/tile_merge.h"

namespace mixpim::hw {

TileMerge::TileMerge(sc_core::sc_module_name name, const sim::LayerProgram& program,
                     const sim::ArchConfig& arch, LayerCounters* counters, LayerTiming* timing,
                     LayerState* state, Kernel* kernel)
    : RowProducer(name, program.rows, kernel),
      program_(program),
      ops_per_ns_(sim::tile_units(arch, sim::TileUnit::kShiftAdd) * arch.clock_mhz / 1000.0),
      buffer_bytes_per_ns_(arch.tile.buffer.bandwidth_bytes_per_cycle * arch.clock_mhz / 1000.0),
      counters_(counters),
      timing_(timing),
      state_(state) {
  SC_HAS_PROCESS(TileMerge);
  SC_THREAD(run);
}

void TileMerge::run() {
  const sim::PeWork& w = program_.pe;
  for (;;) {
    state_->merge = "-";
    double t = now_ns();
    ++kernel_->events;
    Step slot = from_pes[0]->read();
    for (int i = 1; i < from_pes.size(); ++i) {
      ++kernel_->events;
      slot = from_pes[i]->read();  // the slot's partial sums from every PE
    }
    stats.idle_ns += now_ns() - t;
    t = now_ns();
    const int64_t a = slot.copies;
    const int64_t merges = a * (w.array_spans - w.kept_outputs);
    state_->merge = "digital";
    // Stalls are charged where they delay a read step (crossbar.cpp), through state_->merge.
    serve_shares(units, program_.tile_shares, static_cast<double>(merges) / ops_per_ns_, kernel_);
    counters_->tile_bus += 2 * a * w.array_spans;  // 16-bit partial sums to the tile
    counters_->tile_shift_add += merges;
    counters_->tile_output_register += 2 * a * w.kept_outputs;
    // Output rows this slot completes: written to the tile buffer, then sent on.
    const int64_t before = slot.slot == 0 ? 0 : w.pixels_done(slot.slot - 1) / w.pixels_per_row;
    const int64_t after =
        slot.slot + 1 == w.slots ? program_.rows : w.pixels_done(slot.slot) / w.pixels_per_row;
    for (int64_t row = before; row < after; ++row) {
      const int64_t bytes = sim::split_share(program_.buffer_write_bytes, row, program_.rows);
      state_->merge = "tile_buffer";
      serve_shares(buffer_ports, program_.tile_shares,
                   static_cast<double>(bytes) / buffer_bytes_per_ns_, kernel_);
      counters_->buffer_write += bytes;
      stats.busy_ns += now_ns() - t;
      t = now_ns();
      send_row(slot.inference, row, nullptr, &state_->merge);
      stats.blocked_ns += now_ns() - t;
      t = now_ns();
      if (row + 1 == program_.rows) {
        if (slot.inference == 0) timing_->end_ns = now_ns();
        progress->finish(slot.inference);
      }
    }
    stats.busy_ns += now_ns() - t;
  }
}

}  // namespace mixpim::hw
