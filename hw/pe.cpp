#include "pe.h"

#include <algorithm>

namespace mixpim::hw {

PeGroup::PeGroup(sc_core::sc_module_name name, const sim::LayerProgram& program,
                 const sim::ArchConfig& arch, int64_t inferences, int track,
                 LayerCounters* counters, LayerTiming* timing, Kernel* kernel)
    : sc_module(name),
      program_(program),
      inferences_(inferences),
      buffer_bytes_per_ns_(arch.tile.buffer.bandwidth_bytes_per_cycle * arch.clock_mhz / 1000.0),
      counters_(counters),
      timing_(timing),
      kernel_(kernel),
      input_register_("input_register", static_cast<int>(program.pe.input_cycles)),
      sample_hold_("sample_hold", 1),
      adc_out_("adc_out", 1),
      converted_("converted", 1),
      crossbar_("crossbar", program.pe, arch.pe.dac.bits, arch.pe.crossbar.weight_flipping, track,
                counters, &state_, timing, kernel),
      adc_("adc", program.pe, arch.pe.crossbar.weight_flipping, counters, &state_, kernel),
      shift_add_("shift_add", program.pe, track, counters, &state_, kernel) {
  crossbar_.in(input_register_);
  crossbar_.out(sample_hold_);
  crossbar_.converted(converted_);
  adc_.in(sample_hold_);
  adc_.out(adc_out_);
  adc_.converted(converted_);
  shift_add_.in(adc_out_);
  shift_add_.out(to_merge);
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
      // The slot's inputs from the tile buffers to the input registers.
      t = now_ns();
      state_.load = "tile_buffer";
      const int64_t bytes = copies * w.input_bytes_per_mvm;
      serve_shares(buffer_ports, program_.tile_shares,
                   static_cast<double>(bytes) / buffer_bytes_per_ns_, kernel_);
      load_stats_.busy_ns += now_ns() - t;
      counters_->buffer_read += bytes;
      counters_->tile_bus += bytes;
      counters_->input_register += 2 * copies * w.column_arrays * w.input_bytes_per_mvm;
      state_.load = "input";
      t = now_ns();
      for (int64_t c = 0; c < w.input_cycles; ++c) {
        ++kernel_->events;
        input_register_.write(Step{k, s, c, copies, 0});
      }
      load_stats_.blocked_ns += now_ns() - t;
      // Input rows no output row still to come needs.
      const int64_t rows_done = s + 1 == w.slots ? program_.rows : w.pixels_done(s) / w.pixels_per_row;
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
