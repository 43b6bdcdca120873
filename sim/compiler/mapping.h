#pragma once
// Workload compiler: maps every conv2d/linear layer onto crossbar arrays, replicates layers
// under the chip's crossbar budget and places them on PEs and tiles.
//
// Rules (README "Mapping rules" has a worked example):
// - A layer is a GEMM (im2col): rows = kept input channels x kh x kw, one matrix-vector
//   product (MVM) per output pixel.
// - Output channel j with w_j weight bits takes ceil(w_j / bits_per_cell) column slices
//   (x2 with differential encoding: a positive and a negative column per slice). Pruned
//   channels take no columns.
// - Rows split into row blocks of the array height; partial sums of row blocks are added
//   digitally. Every row block repeats the same column layout.
// - Columns: channels sorted by width (slices, then bits, descending; ties by channel index)
//   are packed next-fit into arrays of the array width, so channels of one bit-width sit
//   together and share shift amounts. A channel's slices stay in one array unless
//   mapping.split_channel_slices allows spanning arrays (then columns pack contiguously).
//   Next-fit on sizes sorted in decreasing order never needs more arrays when sizes shrink
//   or channels disappear, so fewer bits or more pruning never costs arrays.
// - An activation of a bits takes ceil(a / dac_bits) input cycles (bit-serial input).
// - A grouped convolution maps per group: output channel j's column meets only the rows of its
//   group's inputs. Consecutive groups are packed block-diagonally, next-fit, as many to an
//   array as fit its rows and (channels packed as above) its columns; each pack of groups has
//   its own row blocks and column arrays, and a row block meets only its pack's column arrays.
//   Cells where a pack's rows meet another group's columns hold weight 0. A group too large
//   for one array is a pack of its own, mapped like a dense layer.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/config/arch_config.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// Consecutive columns of one array that hold slices [first_slice, first_slice + slices) of
// one output channel. Slice s holds weight bits [s*bits_per_cell, (s+1)*bits_per_cell) and is
// shifted left by s*bits_per_cell in the shift-add unit. With differential encoding each
// slice is a column pair: positive part at the even column, negative part at the odd one.
struct ColumnSpan {
  int channel = 0;
  int bits = 0;
  int first_slice = 0;
  int slices = 0;
  int first_column = 0;
  int columns_per_slice = 1;  // 1 offset, 2 differential

  int columns() const { return slices * columns_per_slice; }
};

// Channels of one bit-width side by side in an array: the shift-add unit applies
// `slice_shifts` to their slices.
struct ColumnGroup {
  int bits = 0;
  int first_column = 0;
  int columns = 0;
  int channels = 0;               // channels with at least one slice here
  std::vector<int> slice_shifts;  // shift of each slice position, in bits
};

// Column layout of one array; identical for every row block of the layer.
struct ColumnArray {
  std::vector<ColumnSpan> spans;
  int used_columns = 0;
  std::vector<ColumnGroup> groups(int bits_per_cell) const;
};

struct LayerMapping {
  int layer = 0;  // index into Network::layers
  std::string name;
  int64_t rows = 0;  // GEMM rows: kept inputs x kh x kw
  int64_t kept_outputs = 0;
  int64_t macs_per_mvm = 0;         // kept weights: each kept output's kept rows (of its group)
  std::vector<int> row_block_rows;  // active rows of each row block
  std::vector<ColumnArray> column_arrays;
  int groups = 1;  // of a grouped convolution (one otherwise)
  // Grouped convolutions: row block b meets column arrays [first, second) only (its pack's).
  // Empty for other layers: every row block meets every column array.
  std::vector<std::pair<int, int>> row_block_columns;
  int activation_bits = 0;
  int input_cycles = 0;  // ceil(activation bits / DAC bits)
  int64_t mvms = 0;      // output pixels per inference (all replicas together)

  // Placement (filled by place_network).
  int64_t replication = 1;  // copies of the layer's arrays sharing its MVMs
  int64_t pes = 0;          // PEs holding the copies (more than they fill when the
                            // layer is spread to reach more tiles' adders)
  int64_t first_pe = 0;     // global index of its first PE
  int first_tile = 0, last_tile = -1;
  int64_t passes = 1;     // > 1: the layer exceeds the chip and is reprogrammed in parts
  int rows_per_read = 0;  // pe.crossbar.rows_per_read (0: a read activates every row)

  int64_t row_blocks() const { return static_cast<int64_t>(row_block_rows.size()); }
  // Column arrays [first, second) that row block b meets.
  std::pair<int, int> columns_of_block(int64_t b) const;
  // One copy's arrays in placement order: (row block, column array) pairs, row block major.
  struct ArrayRef {
    int row_block = 0;
    int column_array = 0;
  };
  std::vector<ArrayRef> array_list() const;
  int64_t arrays() const;
  int64_t arrays_placed() const { return arrays() * replication; }
  int64_t used_columns() const;  // columns of the column layout (summed over column arrays)
  // Sums over one copy's arrays: rows driven (DACs), columns converted per read, channel spans
  // sending partial sums, and cells (rows x used columns).
  int64_t array_rows() const;
  int64_t array_columns() const;
  // Row groups read one after another per read of row block `b` (1 unless rows_per_read is
  // smaller than its rows), their largest count over the blocks, the most rows one read
  // activates, and the conversions per MVM and input cycle summed over one copy's arrays (each
  // used column once per row group of its block).
  int64_t read_groups(int64_t b) const;
  int read_group_rows(int64_t b, int64_t g) const;  // rows of group g of block b
  int64_t max_read_groups() const;
  int rows_per_conversion() const;
  int64_t conversions_per_cycle() const;
  int64_t array_spans() const;
  int64_t active_cells() const;
  // Fractions of the arrays' rows, columns and cells that hold weights, in (0, 1].
  double row_utilization(int array_rows) const;
  double column_utilization(int array_columns) const;
  double cell_utilization(int array_rows, int array_columns) const;
  // Digital additions merging row-block partial sums: (row blocks meeting the channel - 1)
  // per output value.
  int64_t partial_sum_merges() const;
  // Pipeline time of the layer in crossbar reads per inference: ceil(mvms / replication)
  // MVMs per copy, each input_cycles reads of max_read_groups() row groups, times
  // reprogramming passes.
  int64_t reads_per_inference() const;
  // Columns the busiest PE converts per read step, a column once per row group of its block
  // (its ADCs share them): arrays of every copy are placed in order (copy, row block, column
  // array), as many per PE as spreading them evenly over the layer's `pes` gives, at most
  // `crossbars_per_pe`.
  int64_t busiest_pe_columns(int crossbars_per_pe) const;
  // The same for `copies` copies on `pes` PEs (before they are chosen).
  int64_t busiest_pe_columns(int crossbars_per_pe, int64_t copies, int64_t pes) const;
};

struct NetworkMapping {
  MappingMode mode = MappingMode::kLayerPipelined;
  std::vector<LayerMapping> layers;  // weight layers, in network order
  int64_t pes_available = 0;
  int64_t arrays_available = 0;
  int64_t pes_used = 0;
  int tiles_used = 0;
  bool resident = true;               // false: weights are rewritten (time-multiplexed)
  int64_t reprogram_cell_writes = 0;  // cells written per inference when not resident
  std::vector<int> segments;          // first layer (index into layers) of each resident segment

  int64_t arrays() const;         // one copy of every layer
  int64_t arrays_placed() const;  // with replication
};

// Maps one layer (no placement). Throws InputError when a channel is wider than the array
// and splitting is not allowed.
LayerMapping map_layer(const Network& network, const PrecisionProfile& profile,
                       const std::vector<std::vector<bool>>& masks, int layer,
                       const ArchConfig& arch);

// Maps every weight layer, then replicates and places them (see mapping.cpp for the
// policies). Throws InputError when the network does not fit and reprogramming is off.
NetworkMapping map_network(const Network& network, const PrecisionProfile& profile,
                           const ArchConfig& arch);

}  // namespace mixpim::sim
