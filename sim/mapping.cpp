#include "mapping.h"

#include <algorithm>
#include <limits>
#include <set>

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A kept output channel waiting to be packed.
struct ChannelItem {
  int channel;
  int bits;
  int slices;
};

std::vector<ChannelItem> sorted_channels(const LayerPrecision& p, int bits_per_cell) {
  std::vector<ChannelItem> items;
  for (size_t j = 0; j < p.weight_bits.size(); ++j) {
    if (!p.kept[j]) continue;
    const int bits = p.weight_bits[j];
    items.push_back({static_cast<int>(j), bits, static_cast<int>(ceil_div(bits, bits_per_cell))});
  }
  std::sort(items.begin(), items.end(), [](const ChannelItem& a, const ChannelItem& b) {
    if (a.slices != b.slices) return a.slices > b.slices;
    if (a.bits != b.bits) return a.bits > b.bits;
    return a.channel < b.channel;
  });
  return items;
}

// Next-fit packing of whole channels, or contiguous packing of slices when splitting is
// allowed.
std::vector<ColumnArray> pack_columns(const std::vector<ChannelItem>& items, int array_columns,
                                      int columns_per_slice, bool split) {
  std::vector<ColumnArray> arrays(1);
  for (const ChannelItem& item : items) {
    if (!split) {
      const int width = item.slices * columns_per_slice;
      if (arrays.back().used_columns + width > array_columns) arrays.emplace_back();
      ColumnArray& array = arrays.back();
      array.spans.push_back(
          {item.channel, item.bits, 0, item.slices, array.used_columns, columns_per_slice});
      array.used_columns += width;
      continue;
    }
    int slice = 0;
    while (slice < item.slices) {
      int room = (array_columns - arrays.back().used_columns) / columns_per_slice;
      if (room == 0) {
        arrays.emplace_back();
        room = array_columns / columns_per_slice;
      }
      ColumnArray& array = arrays.back();
      const int take = std::min(room, item.slices - slice);
      array.spans.push_back(
          {item.channel, item.bits, slice, take, array.used_columns, columns_per_slice});
      array.used_columns += take * columns_per_slice;
      slice += take;
    }
  }
  return arrays;
}

int64_t pes_for(const LayerMapping& m, int64_t replication, int crossbars_per_pe) {
  return ceil_div(m.arrays() * replication, crossbars_per_pe);
}

// MVMs per copy after replication, times input cycles: the pipeline-stage time in reads.
int64_t stage_reads(const LayerMapping& m, int64_t replication) {
  return ceil_div(m.mvms, replication) * m.input_cycles * m.passes;
}

// What the replication policies need to estimate a layer's stage time (the bounds that
// sim/analytic.cpp charges, approximately): its crossbar reads, each as long as the read or
// as the PE's ADCs take to convert its columns; the merging of its row blocks' partial sums
// on the adders of the tiles it spans; and the activation units those tiles apply to its
// outputs. Copies on more tiles bring more adders and activation units.
struct StageModel {
  int crossbars_per_pe = 1;
  int pes_per_tile = 1;
  double read_ns = 1;
  int adcs_per_pe = 1;
  double adc_ns = 1;                       // one conversion
  double merges_per_ns_per_tile = 1;       // tile S+A units x clock
  double activations_per_ns_per_tile = 1;  // activation units x clock
};

// Partial-sum merges per inference: every output of every row block and column span, minus
// one per kept output.
int64_t merge_ops(const LayerMapping& m) {
  int64_t spans = 0;
  for (const ColumnArray& a : m.column_arrays) spans += static_cast<int64_t>(a.spans.size());
  return m.mvms * (m.row_blocks() * spans - m.kept_outputs);
}

// Stage time of a layer with `replication` copies spread over `pes` PEs (at least the PEs the
// copies need; more spreads the arrays thinner to reach more tiles).
double stage_ns(const LayerMapping& m, int64_t replication, int64_t pes, const StageModel& model) {
  int widest = 0;
  for (const ColumnArray& a : m.column_arrays) widest = std::max(widest, a.used_columns);
  const int64_t arrays_per_pe = ceil_div(m.arrays() * replication, pes);
  const auto conversions = static_cast<double>(ceil_div(widest * arrays_per_pe, model.adcs_per_pe));
  const double read = std::max(model.read_ns, conversions * model.adc_ns);
  const double reads = static_cast<double>(stage_reads(m, replication)) * read;
  // Tiles serve the PEs they hold, so wherever the layer lands its busiest tile does at most
  // min(1, pes_per_tile / pes) of its digital work (sim/analytic.h, tile_shares).
  const double tiles = std::max(1.0, static_cast<double>(pes) / model.pes_per_tile);
  const double merges = static_cast<double>(merge_ops(m)) / (model.merges_per_ns_per_tile * tiles);
  const double activations =
      static_cast<double>(m.kept_outputs * m.mvms) / (model.activations_per_ns_per_tile * tiles);
  return std::max({reads, merges, activations});
}

double stage_ns(const LayerMapping& m, const StageModel& model) {
  return stage_ns(m, m.replication, m.pes, model);
}

// One step that shortens a layer's stage: another copy (the smallest replication that helps),
// or the same copies spread over one more tile's worth of PEs (when the tile adders or
// activation units bind: a layer that fewer bits made smaller can take back the tiles, and so
// the adders, it had). The cheaper of the two in PEs; none when neither helps.
struct Step {
  int64_t replication = 0;
  int64_t pes = 0;
  bool valid() const { return replication > 0; }
};

Step next_step(const LayerMapping& m, const StageModel& model) {
  const double now = stage_ns(m, model);
  Step best;
  for (int64_t next = m.replication + 1; next <= m.mvms; ++next) {
    const int64_t pes = std::max(m.pes, pes_for(m, next, model.crossbars_per_pe));
    if (stage_ns(m, next, pes, model) < now) {
      best = {next, pes};
      break;
    }
  }
  const int64_t spread = (ceil_div(m.pes, model.pes_per_tile) + 1) * model.pes_per_tile;
  if (stage_ns(m, m.replication, spread, model) < now && (!best.valid() || spread < best.pes)) {
    best = {m.replication, spread};
  }
  return best;
}

// Layer-pipelined: shorten the slowest stage that can still be shortened, while the PEs
// last. A layer's stage time depends only on its own allotment and never grows with it, so
// the slowest stage of all ends as short as the steps can make it (throughput); the PEs left
// then shorten the other stages, which fill the pipeline (latency).
void balance_pipeline(std::vector<LayerMapping*>& layers, int64_t pe_budget,
                      const StageModel& model) {
  int64_t used = 0;
  for (LayerMapping* m : layers) {
    m->pes = std::max(m->pes, pes_for(*m, m->replication, model.crossbars_per_pe));
    used += m->pes;
  }
  std::vector<bool> done(layers.size(), false);  // no affordable step shortens it any more
  while (true) {
    int slowest = -1;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (!done[i] &&
          (slowest < 0 || stage_ns(*layers[i], model) > stage_ns(*layers[slowest], model))) {
        slowest = static_cast<int>(i);
      }
    }
    if (slowest < 0) return;
    LayerMapping& m = *layers[slowest];
    const Step step = next_step(m, model);
    if (!step.valid() || used + step.pes - m.pes > pe_budget) {
      done[slowest] = true;
      continue;
    }
    used += step.pes - m.pes;
    m.replication = step.replication;
    m.pes = step.pes;
  }
}

// Layer-by-layer with resident weights: layers run one after another, so spend spare PEs
// where they save the most time per PE (greedy on the total).
void balance_sequence(std::vector<LayerMapping*>& layers, int64_t pe_budget,
                      const StageModel& model) {
  int64_t used = 0;
  for (LayerMapping* m : layers) {
    m->pes = std::max(m->pes, pes_for(*m, m->replication, model.crossbars_per_pe));
    used += m->pes;
  }
  while (true) {
    LayerMapping* best = nullptr;
    Step best_step;
    double best_gain = 0;
    for (LayerMapping* m : layers) {
      const Step step = next_step(*m, model);
      if (!step.valid()) continue;
      const int64_t extra = step.pes - m->pes;
      if (used + extra > pe_budget) continue;
      const double saved = stage_ns(*m, model) - stage_ns(*m, step.replication, step.pes, model);
      const double gain =
          extra == 0 ? std::numeric_limits<double>::infinity() : saved / static_cast<double>(extra);
      if (best == nullptr || gain > best_gain) {
        best = m;
        best_step = step;
        best_gain = gain;
      }
    }
    if (best == nullptr) return;
    used += best_step.pes - best->pes;
    best->replication = best_step.replication;
    best->pes = best_step.pes;
  }
}

// Assigns consecutive PEs (and so tiles) to `layers` starting at PE 0; returns PEs used.
int64_t assign_pes(std::vector<LayerMapping*>& layers, int crossbars_per_pe, int pes_per_tile) {
  int64_t next_pe = 0;
  for (LayerMapping* m : layers) {
    m->pes = std::max(m->pes, pes_for(*m, m->replication, crossbars_per_pe));  // may be spread
    m->first_pe = next_pe;
    m->first_tile = static_cast<int>(next_pe / pes_per_tile);
    m->last_tile = static_cast<int>((next_pe + m->pes - 1) / pes_per_tile);
    next_pe += m->pes;
  }
  return next_pe;
}

}  // namespace

std::vector<ColumnGroup> ColumnArray::groups(int bits_per_cell) const {
  std::vector<ColumnGroup> out;
  std::set<int> shifts;
  for (const ColumnSpan& span : spans) {
    if (out.empty() || out.back().bits != span.bits) {
      if (!out.empty()) out.back().slice_shifts.assign(shifts.begin(), shifts.end());
      shifts.clear();
      out.push_back({span.bits, span.first_column, 0, 0, {}});
    }
    ColumnGroup& group = out.back();
    group.columns += span.columns();
    group.channels += 1;
    for (int s = span.first_slice; s < span.first_slice + span.slices; ++s)
      shifts.insert(s * bits_per_cell);
  }
  if (!out.empty()) out.back().slice_shifts.assign(shifts.begin(), shifts.end());
  return out;
}

int64_t LayerMapping::used_columns() const {
  int64_t total = 0;
  for (const ColumnArray& a : column_arrays) total += a.used_columns;
  return total;
}

int64_t LayerMapping::active_cells() const { return rows * used_columns(); }

double LayerMapping::row_utilization(int array_rows) const {
  return static_cast<double>(rows) / static_cast<double>(row_blocks() * array_rows);
}

double LayerMapping::column_utilization(int array_columns) const {
  return static_cast<double>(used_columns()) /
         static_cast<double>(static_cast<int64_t>(column_arrays.size()) * array_columns);
}

double LayerMapping::cell_utilization(int array_rows, int array_columns) const {
  return static_cast<double>(active_cells()) /
         (static_cast<double>(arrays()) * array_rows * array_columns);
}

int64_t LayerMapping::reads_per_inference() const { return stage_reads(*this, replication); }

int64_t LayerMapping::busiest_pe_columns(int crossbars_per_pe) const {
  const int64_t copies = passes > 1 ? 1 : replication;
  int64_t per_pe = crossbars_per_pe;
  if (passes == 1 && pes > 0) per_pe = std::min(per_pe, ceil_div(arrays() * copies, pes));
  int64_t best = 0, current = 0, in_pe = 0;
  for (int64_t copy = 0; copy < copies; ++copy) {
    for (int64_t b = 0; b < row_blocks(); ++b) {
      for (const ColumnArray& array : column_arrays) {
        current += array.used_columns;
        if (++in_pe == per_pe) {
          best = std::max(best, current);
          current = in_pe = 0;
        }
      }
    }
  }
  return std::max(best, current);
}

int64_t NetworkMapping::arrays() const {
  int64_t total = 0;
  for (const LayerMapping& m : layers) total += m.arrays();
  return total;
}

int64_t NetworkMapping::arrays_placed() const {
  int64_t total = 0;
  for (const LayerMapping& m : layers) total += m.arrays_placed();
  return total;
}

LayerMapping map_layer(const Network& network, const PrecisionProfile& profile,
                       const std::vector<std::vector<bool>>& masks, int layer_index,
                       const ArchConfig& arch) {
  const Layer& layer = network.layers.at(layer_index);
  const LayerPrecision& precision = profile.layers.at(layer_index);
  const CrossbarConfig& xbar = arch.pe.crossbar;
  LayerMapping m;
  m.layer = layer_index;
  m.name = layer.name;
  const int producer = layer.producers.at(0);
  const int64_t kept_inputs =
      producer == kNetworkInput ? layer.in_channels()
                                : std::count(masks[producer].begin(), masks[producer].end(), true);
  m.rows = kept_inputs * layer.kernel_area();
  m.kept_outputs = precision.kept_count();
  for (int64_t row = 0; row < m.rows; row += xbar.rows) {
    m.row_block_rows.push_back(static_cast<int>(std::min<int64_t>(xbar.rows, m.rows - row)));
  }
  m.activation_bits = precision.activation_bits;
  m.input_cycles = static_cast<int>(ceil_div(precision.activation_bits, arch.pe.dac.bits));
  m.mvms = layer.output_pixels();

  const int columns_per_slice = xbar.signed_weights == SignedWeights::kDifferential ? 2 : 1;
  const std::vector<ChannelItem> items = sorted_channels(precision, xbar.bits_per_cell);
  if (!arch.mapping.split_channel_slices && !items.empty() &&
      items.front().slices * columns_per_slice > xbar.columns) {
    const ChannelItem& wide = items.front();
    throw InputError(
        {{SourceLocation{profile.source_path.empty() ? network.source_path : profile.source_path, 0,
                         0},
          "layers." + layer.name,
          "channel " + std::to_string(wide.channel) + " has " + std::to_string(wide.bits) +
              "-bit weights: " + std::to_string(wide.slices * columns_per_slice) + " columns at " +
              std::to_string(xbar.bits_per_cell) + " bits per cell" +
              (columns_per_slice == 2 ? " (differential)" : "") + ", but arrays have " +
              std::to_string(xbar.columns) +
              "; set mapping.split_channel_slices: true to let slices span arrays"}});
  }
  m.column_arrays =
      pack_columns(items, xbar.columns, columns_per_slice, arch.mapping.split_channel_slices);
  return m;
}

NetworkMapping map_network(const Network& network, const PrecisionProfile& profile,
                           const ArchConfig& arch) {
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);
  NetworkMapping out;
  out.mode = arch.mapping.mode;
  for (size_t i = 0; i < network.layers.size(); ++i) {
    if (network.layers[i].has_weights()) {
      out.layers.push_back(map_layer(network, profile, masks, static_cast<int>(i), arch));
    }
  }
  const int per_pe = arch.pe.crossbars;
  const int per_tile = arch.tile.pes;
  StageModel model;
  model.crossbars_per_pe = per_pe;
  model.pes_per_tile = per_tile;
  model.read_ns = arch.pe.crossbar.read_latency_ns;
  model.adcs_per_pe = arch.pe.adc.count;
  model.adc_ns = 1000.0 / arch.pe.adc.sample_rate_msps;
  model.merges_per_ns_per_tile = arch.tile.shift_add_units * arch.clock_mhz / 1000.0;
  model.activations_per_ns_per_tile = arch.tile.activation_units * arch.clock_mhz / 1000.0;
  out.pes_available = int64_t{arch.chip.tiles} * per_tile;
  out.arrays_available = out.pes_available * per_pe;

  int64_t pes_needed = 0;
  for (const LayerMapping& m : out.layers) pes_needed += pes_for(m, 1, per_pe);

  std::vector<LayerMapping*> all;
  for (LayerMapping& m : out.layers) all.push_back(&m);

  if (pes_needed <= out.pes_available) {
    // Everything resident: replicate with the spare PEs, then place in layer order.
    out.segments = {0};
    if (out.mode == MappingMode::kLayerPipelined) {
      balance_pipeline(all, out.pes_available, model);
    } else {
      balance_sequence(all, out.pes_available, model);
    }
    out.pes_used = assign_pes(all, per_pe, per_tile);
    out.tiles_used = static_cast<int>(ceil_div(out.pes_used, per_tile));
    return out;
  }

  if (!arch.mapping.allow_reprogramming) {
    int64_t before = 0;
    for (const LayerMapping& m : out.layers) {
      const int64_t pes = pes_for(m, 1, per_pe);
      if (before + pes > out.pes_available) {
        const std::string origin = arch.files.empty() ? "architecture" : arch.files.front();
        throw InputError(
            {{SourceLocation{origin, 0, 0}, "",
              "network " + network.name + " does not fit: layer " + m.name + " needs " +
                  std::to_string(m.arrays()) + " arrays (" + std::to_string(pes) + " PEs of " +
                  std::to_string(per_pe) + " arrays), but the layers before it hold " +
                  std::to_string(before) + " of the chip's " + std::to_string(out.pes_available) +
                  " PEs (" + std::to_string(out.arrays_available) +
                  " arrays); the whole network needs " + std::to_string(pes_needed) +
                  " PEs. Use larger arrays or more tiles, or set mapping.allow_reprogramming: "
                  "true"}});
      }
      before += pes;
    }
  }

  // Time-multiplexed: weights are rewritten while the inference runs.
  out.resident = false;
  // A layer larger than the whole chip runs in passes, each on the whole chip.
  auto place_alone_in_passes = [&](LayerMapping& m) {
    m.passes = ceil_div(pes_for(m, 1, per_pe), out.pes_available);
    m.pes = out.pes_available;
    m.first_pe = 0;
    m.first_tile = 0;
    m.last_tile = arch.chip.tiles - 1;
    out.pes_used = out.pes_available;
  };
  if (out.mode == MappingMode::kLayerByLayer) {
    // Each layer in turn gets the whole chip.
    for (LayerMapping& m : out.layers) {
      out.segments.push_back(static_cast<int>(&m - out.layers.data()));
      if (pes_for(m, 1, per_pe) > out.pes_available) {
        place_alone_in_passes(m);
        continue;
      }
      std::vector<LayerMapping*> one = {&m};
      balance_pipeline(one, out.pes_available, model);
      out.pes_used = std::max(out.pes_used, assign_pes(one, per_pe, per_tile));
    }
  } else {
    // Consecutive layers that fit together form a segment, pipelined inside.
    size_t i = 0;
    while (i < out.layers.size()) {
      std::vector<LayerMapping*> segment;
      int64_t pes = 0;
      out.segments.push_back(static_cast<int>(i));
      while (i < out.layers.size() &&
             (segment.empty() || pes + pes_for(out.layers[i], 1, per_pe) <= out.pes_available)) {
        pes += pes_for(out.layers[i], 1, per_pe);
        segment.push_back(&out.layers[i]);
        ++i;
        if (pes > out.pes_available) break;  // a layer larger than the chip stands alone
      }
      if (segment.size() == 1 && pes > out.pes_available) {
        place_alone_in_passes(*segment.front());
        continue;
      }
      balance_pipeline(segment, out.pes_available, model);
      out.pes_used = std::max(out.pes_used, assign_pes(segment, per_pe, per_tile));
    }
  }
  for (const LayerMapping& m : out.layers)
    out.reprogram_cell_writes += m.active_cells() * m.replication;
  out.tiles_used = static_cast<int>(ceil_div(out.pes_used, per_tile));
  return out;
}

}  // namespace mixpim::sim
