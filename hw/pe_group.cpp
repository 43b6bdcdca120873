#include "hw/pe_group.h"

#include <algorithm>
#include <string>

namespace mixpim::hw {

PeGroup::PeGroup(sc_core::sc_module_name name, const sim::LayerProgram& program,
                 const sim::ArchConfig& arch, int64_t inferences, bool every_pe, int track,
                 LayerCounters* counters, LayerTiming* timing, Kernel* kernel)
    : sc_module(name),
      program_(program),
      inferences_(inferences),
      track_(track),
      buffer_bytes_per_ns_(arch.tile.buffer.bandwidth_bytes_per_cycle * arch.clock_mhz / 1000.0),
      counters_(counters),
      kernel_(kernel) {
  const sim::PeWork& w = program.pe;
  for (const sim::PeArrays& pe : w.pes) {
    if (!every_pe) {
      arrays_.push_back(pe);
      continue;
    }
    sim::PeArrays one = pe;
    one.count = 1;
    arrays_.insert(arrays_.end(), static_cast<size_t>(pe.count), one);
  }
  int64_t most = -1;
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const int64_t columns = arrays_[i].step(w.copies).columns;
    if (columns > most) {
      most = columns;
      representative_ = i;
    }
  }
  for (size_t i = 0; i < arrays_.size(); ++i) {
    const std::string id = std::to_string(i);
    input_registers_.push_back(std::make_unique<sc_core::sc_fifo<Step>>(
        ("input_register_" + id).c_str(), static_cast<int>(w.input_cycles)));
    partial_sums_.push_back(
        std::make_unique<sc_core::sc_fifo<Step>>(("output_register_" + id).c_str(), 1));
    pes_.push_back(std::make_unique<Pe>(("pe_" + id).c_str(), arrays_[i], w, arch, counters,
                                        &state_, i == representative_ ? timing : nullptr, kernel));
    pes_.back()->in(*input_registers_.back());
    pes_.back()->out(*partial_sums_.back());
  }
  SC_HAS_PROCESS(PeGroup);
  SC_THREAD(load);
}

void PeGroup::load() {
  const sim::PeWork& w = program_.pe;
  for (int64_t k = 0; k < inferences_; ++k) {
    if (previous.size() > 0) {
      state_.load = "input";
      previous[0]->wait_finished(program_.layer == 0 ? k - 1 : k);
    }
    counters_->reprogram_cells += w.reprogram_cells;  // arrays rewritten for this inference
    int64_t rows_released = 0;
    for (int64_t s = 0; s < w.slots; ++s) {
      const int64_t copies = w.active_copies(s);
      const int64_t row = (w.pixels_done(s) - 1) / w.pixels_per_row;  // the slot's last pixel's
      double t = now_ns();
      state_.load = "input";
      for (size_t e = 0; e < program_.inputs.size(); ++e) {
        const sim::EdgeWork& edge = program_.inputs[e];
        inputs[static_cast<int>(e)]->wait_rows(k * edge.producer_rows +
                                               edge.need[static_cast<size_t>(row)]);
      }
      load_stats_.idle_ns += now_ns() - t;
      // The slot's inputs from the tile buffers, broadcast over the tile bus.
      t = now_ns();
      state_.load = "tile_buffer";
      const int64_t bytes = copies * w.input_bytes_per_mvm;
      serve_shares(buffer_ports, program_.tile_shares,
                   static_cast<double>(bytes) / buffer_bytes_per_ns_, kernel_);
      load_stats_.busy_ns += now_ns() - t;
      counters_->buffer_read += bytes;
      counters_->tile_bus += bytes;
      state_.load = "input";
      t = now_ns();
      for (int64_t c = 0; c < w.input_cycles; ++c) {
        const Step step{k, s, c, copies, track_, 0};
        for (auto& input_register : input_registers_) {
          ++kernel_->events;
          input_register->write(step);
        }
      }
      load_stats_.blocked_ns += now_ns() - t;
      // Input rows no output row still to come needs.
      const int64_t rows_done =
          s + 1 == w.slots ? program_.rows : w.pixels_done(s) / w.pixels_per_row;
      if (rows_done > rows_released) {
        rows_released = rows_done;
        for (size_t e = 0; e < program_.inputs.size(); ++e) {
          const sim::EdgeWork& edge = program_.inputs[e];
          inputs[static_cast<int>(e)]->release(k * edge.producer_rows +
                                               edge.release[static_cast<size_t>(rows_done - 1)]);
        }
      }
    }
  }
}

}  // namespace mixpim::hw
