#include "layer_stage.h"

#include <algorithm>

#include "registers.h"
#include "sim/analytic.h"
#include "tile_buffer.h"

namespace mixpim::hw {

int64_t InputEdge::need(int64_t row) const {
  return sim::rows_needed(*consumer, producer_output, row);
}

int64_t InputEdge::release(int64_t row, int64_t rows) const {
  if (row >= rows - 1 || window == Window::kAll) return producer_rows;
  if (window == Window::kSame) return std::min(producer_rows, row + 1);
  return std::min(producer_rows, std::max<int64_t>(0, (row + 1) * stride - pad));
}

LayerStage::LayerStage(sc_core::sc_module_name name, LayerProgram& program, Chip& chip,
                       LayerStage* previous, const StageOptions& options, int64_t* events)
    : sc_module(name),
      program_(program),
      chip_(chip),
      previous_(previous),
      options_(options),
      events_(events) {
  SC_HAS_PROCESS(LayerStage);
  SC_THREAD(run);
}

void LayerStage::wait_for_inputs(int64_t row) {
  if ((!options_.pipelined) && row == 0 && previous_ != nullptr && !previous_->done()) {
    sc_core::wait(previous_->done_event());
    ++*events_;
  }
  // Layer by layer the previous layer has ended: every input is complete. Pipelined, a row
  // waits for the producer rows its window needs (unbounded buffers without contention: the
  // analytic engine's row schedule, sim/analytic.h rows_needed).
  if (!options_.contention && !options_.pipelined) return;
  for (const InputEdge& in : program_.inputs) in.rows->wait_rows(in.need(row));
}

void LayerStage::count(int64_t row) {
  const LayerProgram& p = program_;
  const int64_t n = p.rows;
  if (p.pe) {
    const int64_t mvms = group_share(p.mvms, row, n);
    p.pe->execute(mvms, counts_);
    TileBuffer::read(mvms * p.input_bytes_per_mvm, counts_);
    // Inputs broadcast on the tile bus to the arrays, 16-bit partial sums back.
    counts_.add("tile_bus", "byte",
                mvms * p.input_bytes_per_mvm + 2 * mvms * p.row_blocks * p.spans);
    counts_.add("tile_shift_add", "op", mvms * (p.row_blocks * p.spans - p.kept_outputs));
    Registers::tile_outputs(mvms, p.kept_outputs, counts_);
    TileBuffer::write(group_share(p.buffer_write_bytes, row, n), counts_);
    if (row == 0 && p.write_cells > 0) counts_.add("reprogram", "write_cell", p.write_cells);
  } else {
    static const char* const kUnit[] = {"tile_shift_add", "activation_unit", "pool_unit"};
    const bool digital = p.type == sim::LayerType::kRelu || p.type == sim::LayerType::kAdd ||
                         p.type == sim::LayerType::kMaxPool || p.type == sim::LayerType::kAvgPool ||
                         p.type == sim::LayerType::kGlobalAvgPool;
    if (digital) {
      counts_.add(kUnit[static_cast<int>(p.unit)], "op", group_share(p.unit_ops, row, n));
    }
    if (p.type != sim::LayerType::kRelu && p.type != sim::LayerType::kFlatten) {
      TileBuffer::read(group_share(p.buffer_read_bytes, row, n), counts_);
      TileBuffer::write(group_share(p.buffer_write_bytes, row, n), counts_);
    }
  }
  for (const InputEdge& in : p.inputs) {
    if (in.crosses_noc) counts_.add("router", "flit_hop", group_share(in.flit_hops, row, n));
  }
}

double LayerStage::execute(int64_t row, double issue) {
  const LayerProgram& p = program_;
  const double n = static_cast<double>(p.rows);
  const double stage_ns = p.time_ns / n;
  // The layer's own stage time per group (its units at the analytic rates).
  const double floor_start = std::max(issue, floor_free_ns_);
  floor_free_ns_ = floor_start + stage_ns;
  double completion = floor_free_ns_;
  if (!options_.contention) {
    next_issue_ns_ = completion;
    return completion;
  }
  const double base = completion;
  std::string cause;
  auto consider = [&](double end, const char* name) {
    if (end > completion) {
      completion = end;
      cause = name;
    }
  };
  double crossbar_free = 0;
  if (p.pe) {
    const PeGroup::Timing t =
        p.pe->read_group(issue, static_cast<double>(p.pe->reads_per_copy()) / n);
    crossbar_free = t.crossbar_free_ns;
    consider(t.end_ns, p.pe->adc_ns_per_read() > p.pe->read_ns() ? "adc" : "crossbar");
  }
  // Each tile takes its share of the group's traffic and operations (the PEs it holds).
  const double group_bytes = static_cast<double>(p.buffer_read_bytes + p.buffer_write_bytes) / n;
  const double group_ops = static_cast<double>(p.unit_ops) / n;
  for (int t = p.first_tile; t <= p.last_tile; ++t) {
    const double share = p.tile_shares[static_cast<size_t>(t - p.first_tile)];
    if (share <= 0) continue;
    const double bytes = group_bytes * share;
    const double ops = group_ops * share;
    Tile& tile = chip_.tile(t);
    if (bytes > 0) {
      consider(tile.buffer().port().reserve(issue, tile.buffer().port_ns(bytes)), "tile_buffer");
    }
    if (ops > 0) consider(tile.unit(p.unit).reserve(issue, tile.unit_ns(p.unit, ops)), "digital");
  }
  for (const InputEdge& in : p.inputs) {
    if (in.crosses_noc && in.flits > 0) {
      consider(chip_.noc().send(issue, in.plan, static_cast<double>(in.flits) / n), "noc");
    }
  }
  // A group finishing `lag` after its stage-time slot delays the layer only by the growth of
  // that lag (a constant lag is one pipeline fill): charge the growth to the unit that set it.
  const double lag = completion - base;
  if (!cause.empty() && lag > lag_ns_) stall_ns_[cause] += lag - lag_ns_;
  lag_ns_ = lag;
  // The next group may start its crossbar reads while this one's last conversion is in the
  // sample-and-hold; other layers' groups follow when the whole group is done.
  next_issue_ns_ = p.pe ? std::max(crossbar_free,
                                   completion - std::min(p.pe->read_ns(), p.pe->adc_ns_per_read()))
                        : completion;
  (void)row;
  return completion;
}

void LayerStage::run() {
  const int64_t rows = program_.rows;
  double last_completion = 0;
  for (int64_t row = 0; row < rows; ++row) {
    // Waits overlapping the previous group's own pipeline slot are not stalls.
    const double t0 = now_ns();
    wait_for_inputs(row);
    const double t1 = now_ns();
    if (t1 > std::max(t0, next_issue_ns_)) stall_ns_["input"] += t1 - std::max(t0, next_issue_ns_);
    for (RowBuffer* out : program_.outputs) out->reserve_slot();
    const double t2 = now_ns();
    if (t2 > std::max(t1, next_issue_ns_))
      stall_ns_["backpressure"] += t2 - std::max(t1, next_issue_ns_);
    wait_until_ns(next_issue_ns_, events_);
    const double issue = now_ns();
    if (row == 0) {
      start_ns_ = issue;
    }
    const double completion = execute(row, issue);
    count(row);
    for (RowBuffer* out : program_.outputs) out->produce(completion);
    if (options_.contention) {
      for (const InputEdge& in : program_.inputs)
        in.rows->release(in.release(row, rows), completion);
    }
    busy_ns_ += completion - std::max(issue, last_completion);
    last_completion = std::max(last_completion, completion);
  }
  wait_until_ns(last_completion, events_);
  end_ns_ = last_completion;
  done_ = true;
  done_event_.notify(sc_core::SC_ZERO_TIME);
  ++*events_;
}

}  // namespace mixpim::hw
