#include "sim/compiler/mapping.h"

#include <algorithm>
#include <numeric>
#include <set>

#include "sim/compiler/allocation.h"

namespace mixpim::sim {

namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// A kept output channel waiting to be packed.
struct ChannelItem {
  int channel;
  int bits;
  int slices;
};

// The packing order: slices, then bits, descending; ties by channel index.
bool wider_first(const ChannelItem& a, const ChannelItem& b) {
  if (a.slices != b.slices) return a.slices > b.slices;
  if (a.bits != b.bits) return a.bits > b.bits;
  return a.channel < b.channel;
}

std::vector<ChannelItem> sorted_channels(const LayerPrecision& p, int bits_per_cell) {
  std::vector<ChannelItem> items;
  for (size_t j = 0; j < p.weight_bits.size(); ++j) {
    if (!p.kept[j]) continue;
    const int bits = p.weight_bits[j];
    items.push_back({static_cast<int>(j), bits, static_cast<int>(ceil_div(bits, bits_per_cell))});
  }
  std::sort(items.begin(), items.end(), wider_first);
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

// MVMs per copy after replication, times input cycles (and passes): the stage time in reads.
int64_t stage_reads(const LayerMapping& m, int64_t replication) {
  return ceil_div(m.mvms, replication) * m.input_cycles * m.max_read_groups() * m.passes;
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

std::pair<int, int> LayerMapping::columns_of_block(int64_t b) const {
  if (row_block_columns.empty()) return {0, static_cast<int>(column_arrays.size())};
  return row_block_columns[static_cast<size_t>(b)];
}

std::vector<LayerMapping::ArrayRef> LayerMapping::array_list() const {
  std::vector<ArrayRef> list;
  for (int64_t b = 0; b < row_blocks(); ++b) {
    const auto [first, last] = columns_of_block(b);
    for (int a = first; a < last; ++a) list.push_back({static_cast<int>(b), a});
  }
  return list;
}

int64_t LayerMapping::arrays() const {
  if (row_block_columns.empty()) return row_blocks() * static_cast<int64_t>(column_arrays.size());
  int64_t n = 0;
  for (const auto& [first, last] : row_block_columns) n += last - first;
  return n;
}

int64_t LayerMapping::array_rows() const {
  int64_t total = 0;
  for (int64_t b = 0; b < row_blocks(); ++b) {
    const auto [first, last] = columns_of_block(b);
    total += int64_t{row_block_rows[static_cast<size_t>(b)]} * (last - first);
  }
  return total;
}

int64_t LayerMapping::array_columns() const {
  int64_t total = 0;
  for (const ArrayRef& a : array_list()) total += column_arrays[a.column_array].used_columns;
  return total;
}

int64_t LayerMapping::read_groups(int64_t b) const {
  const int rows = row_block_rows[static_cast<size_t>(b)];
  return rows_per_read > 0 && rows_per_read < rows ? ceil_div(rows, rows_per_read) : 1;
}

int LayerMapping::read_group_rows(int64_t b, int64_t g) const {
  const int rows = row_block_rows[static_cast<size_t>(b)];
  if (read_groups(b) == 1) return rows;
  return std::min<int>(rows_per_read, rows - static_cast<int>(g) * rows_per_read);
}

int64_t LayerMapping::max_read_groups() const {
  int64_t most = 1;
  for (int64_t b = 0; b < row_blocks(); ++b) most = std::max(most, read_groups(b));
  return most;
}

int LayerMapping::rows_per_conversion() const {
  int rows = 1;
  for (int r : row_block_rows) rows = std::max(rows, r);
  return rows_per_read > 0 ? std::min(rows, rows_per_read) : rows;
}

int64_t LayerMapping::conversions_per_cycle() const {
  int64_t total = 0;
  for (const ArrayRef& a : array_list())
    total += column_arrays[a.column_array].used_columns * read_groups(a.row_block);
  return total;
}

int64_t LayerMapping::array_spans() const {
  int64_t total = 0;
  for (const ArrayRef& a : array_list())
    total += static_cast<int64_t>(column_arrays[a.column_array].spans.size());
  return total;
}

int64_t LayerMapping::active_cells() const {
  int64_t total = 0;
  for (const ArrayRef& a : array_list())
    total += int64_t{row_block_rows[a.row_block]} * column_arrays[a.column_array].used_columns;
  return total;
}

int64_t LayerMapping::partial_sum_merges() const {
  // Each row block adds a partial sum to every channel in its column arrays.
  int64_t sums = 0;
  for (int64_t b = 0; b < row_blocks(); ++b) {
    const auto [first, last] = columns_of_block(b);
    std::set<int> channels;
    for (int a = first; a < last; ++a)
      for (const ColumnSpan& span : column_arrays[a].spans) channels.insert(span.channel);
    sums += static_cast<int64_t>(channels.size());
  }
  return (sums - kept_outputs) * mvms;
}

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
  return busiest_pe_columns(crossbars_per_pe, passes > 1 ? 1 : replication, passes > 1 ? 0 : pes);
}

int64_t LayerMapping::busiest_pe_columns(int crossbars_per_pe, int64_t copies, int64_t pes) const {
  int64_t per_pe = crossbars_per_pe;
  if (pes > 0) per_pe = std::min(per_pe, ceil_div(arrays() * copies, pes));
  // Array j of the sequence (copy, row block, column array) is entry j % n of one copy's
  // array list (for a dense layer, column array j % (column arrays)), so the columns of arrays
  // [0, k) are whole periods plus a prefix; PE w holds arrays [w * per_pe, (w + 1) * per_pe).
  // PEs repeat their pattern every n / gcd(n, per_pe).
  // A column converts once per row group of its block.
  std::vector<int64_t> period;
  if (row_block_columns.empty() && max_read_groups() == 1) {
    for (const ColumnArray& a : column_arrays) period.push_back(a.used_columns);
  } else {
    for (const ArrayRef& a : array_list())
      period.push_back(column_arrays[a.column_array].used_columns * read_groups(a.row_block));
  }
  const auto n = static_cast<int64_t>(period.size());
  std::vector<int64_t> prefix(static_cast<size_t>(n) + 1, 0);
  for (int64_t a = 0; a < n; ++a)
    prefix[static_cast<size_t>(a) + 1] =
        prefix[static_cast<size_t>(a)] + period[static_cast<size_t>(a)];
  const auto columns_before = [&](int64_t k) {
    return (k / n) * prefix[static_cast<size_t>(n)] + prefix[static_cast<size_t>(k % n)];
  };
  const int64_t total = copies * arrays();
  const int64_t full_pes = total / per_pe;
  const int64_t distinct = std::min(full_pes, n / std::gcd(n, per_pe));
  int64_t best = 0;
  for (int64_t w = 0; w < distinct; ++w)
    best = std::max(best, columns_before((w + 1) * per_pe) - columns_before(w * per_pe));
  if (total % per_pe != 0)
    best = std::max(best, columns_before(total) - columns_before(full_pes * per_pe));
  return best;
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
  const std::vector<int64_t> group_inputs = kept_inputs_per_group(network, masks, layer_index);
  m.groups = layer.groups;
  m.rows = 0;
  for (int64_t kept : group_inputs) m.rows += kept * layer.kernel_area();
  m.kept_outputs = precision.kept_count();
  for (size_t j = 0; j < precision.kept.size(); ++j) {
    if (precision.kept[j])
      m.macs_per_mvm +=
          group_inputs[j / static_cast<size_t>(layer.group_out_channels())] * layer.kernel_area();
  }
  m.activation_bits = precision.activation_bits;
  m.rows_per_read = arch.pe.crossbar.rows_per_read;
  m.input_cycles = static_cast<int>(ceil_div(precision.activation_bits, arch.pe.dac.bits));
  m.mvms = layer.output_pixels();

  const int columns_per_slice = xbar.signed_weights == SignedWeights::kDifferential ? 2 : 1;
  const std::vector<ChannelItem> items = sorted_channels(precision, xbar.bits_per_cell);
  auto split_rows = [&](int64_t rows) {
    for (int64_t row = 0; row < rows; row += xbar.rows)
      m.row_block_rows.push_back(static_cast<int>(std::min<int64_t>(xbar.rows, rows - row)));
  };
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
  if (layer.groups == 1) {
    const int64_t positions = layer.kernel_area();
    if (arch.mapping.row_blocks == RowBlocks::kPerKernelPosition && positions > 1 &&
        m.rows > xbar.rows) {
      for (int64_t p = 0; p < positions; ++p) split_rows(m.rows / positions);
    } else {
      split_rows(m.rows);
    }
    m.column_arrays =
        pack_columns(items, xbar.columns, columns_per_slice, arch.mapping.split_channel_slices);
    return m;
  }
  // Grouped: packs of consecutive groups, next-fit by rows and columns (header comment).
  const int64_t per_group = layer.group_out_channels();
  std::vector<std::vector<ChannelItem>> group_items(static_cast<size_t>(layer.groups));
  for (const ChannelItem& item : items) group_items[item.channel / per_group].push_back(item);
  auto group_columns = [&](int g) {
    int64_t columns = 0;
    for (const ChannelItem& item : group_items[static_cast<size_t>(g)])
      columns += int64_t{item.slices} * columns_per_slice;
    return columns;
  };
  int g = 0;
  while (g < layer.groups) {
    int64_t rows = group_inputs[static_cast<size_t>(g)] * layer.kernel_area();
    int64_t columns = group_columns(g);
    std::vector<ChannelItem> pack = group_items[static_cast<size_t>(g)];
    int end = g + 1;
    const bool fits_one_array = rows <= xbar.rows && columns <= xbar.columns;
    while (fits_one_array && end < layer.groups) {
      const int64_t more_rows = group_inputs[static_cast<size_t>(end)] * layer.kernel_area();
      const int64_t more_columns = group_columns(end);
      if (rows + more_rows > xbar.rows || columns + more_columns > xbar.columns) break;
      rows += more_rows;
      columns += more_columns;
      pack.insert(pack.end(), group_items[static_cast<size_t>(end)].begin(),
                  group_items[static_cast<size_t>(end)].end());
      ++end;
    }
    // Within a pack, channels sorted as in a dense layer (widest first).
    std::sort(pack.begin(), pack.end(), wider_first);
    const int first_array = static_cast<int>(m.column_arrays.size());
    std::vector<ColumnArray> arrays = pack.empty()
                                          ? std::vector<ColumnArray>{}
                                          : pack_columns(pack, xbar.columns, columns_per_slice,
                                                         arch.mapping.split_channel_slices);
    m.column_arrays.insert(m.column_arrays.end(), arrays.begin(), arrays.end());
    const int last_array = static_cast<int>(m.column_arrays.size());
    const size_t blocks_before = m.row_block_rows.size();
    split_rows(rows);
    for (size_t b = blocks_before; b < m.row_block_rows.size(); ++b)
      m.row_block_columns.emplace_back(first_array, last_array);
    g = end;
  }
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
  out.pes_available = int64_t{arch.chip.tiles} * per_tile;
  out.arrays_available = out.pes_available * per_pe;
  const std::vector<LayerWork> work = layer_work(network, profile, arch, out);
  // Allocates PEs to consecutive layers out.layers[first..last) from PE 0; returns PEs used.
  auto allocate = [&](size_t first, size_t last) {
    std::vector<LayerMapping*> group;
    std::vector<const LayerWork*> group_work;
    for (size_t k = first; k < last; ++k) {
      group.push_back(&out.layers[k]);
      group_work.push_back(&work[k]);
    }
    // Time-multiplexed layers run one after another (analyze()), whatever the mode.
    const MappingMode mode = out.resident ? out.mode : MappingMode::kLayerByLayer;
    return allocate_pes(group, group_work, out.pes_available, mode, arch);
  };

  int64_t pes_needed = 0;
  for (const LayerMapping& m : out.layers) pes_needed += pes_for(m, 1, per_pe);

  if (pes_needed <= out.pes_available) {
    // Everything resident: replicate with the spare PEs, then place in layer order.
    out.segments = {0};
    out.pes_used = allocate(0, out.layers.size());
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
      const auto k = static_cast<size_t>(&m - out.layers.data());
      out.pes_used = std::max(out.pes_used, allocate(k, k + 1));
    }
  } else {
    // Consecutive layers that fit together form a segment, pipelined inside.
    size_t i = 0;
    while (i < out.layers.size()) {
      const size_t first = i;
      int64_t pes = 0;
      out.segments.push_back(static_cast<int>(i));
      while (i < out.layers.size() &&
             (i == first || pes + pes_for(out.layers[i], 1, per_pe) <= out.pes_available)) {
        pes += pes_for(out.layers[i], 1, per_pe);
        ++i;
        if (pes > out.pes_available) break;  // a layer larger than the chip stands alone
      }
      if (i == first + 1 && pes > out.pes_available) {
        place_alone_in_passes(out.layers[first]);
        continue;
      }
      out.pes_used = std::max(out.pes_used, allocate(first, i));
    }
  }
  for (const LayerMapping& m : out.layers)
    out.reprogram_cell_writes += m.active_cells() * m.replication;
  out.tiles_used = static_cast<int>(ceil_div(out.pes_used, per_tile));
  return out;
}

}  // namespace mixpim::sim
