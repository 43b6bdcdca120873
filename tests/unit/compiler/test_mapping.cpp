// Compiler: property tests on random layers and per-channel bit vectors (every weight bit in
// exactly one cell, utilisation in (0, 1], monotone in bits and pruning, differential doubles
// columns), closed-form array counts of the shipped networks, replication and placement.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <tuple>

#include "sim/compiler/mapping.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

ArchConfig isaac() { return test::isaac_preset(); }

using test::one_conv;

PrecisionProfile profile_for(const Network& n, std::vector<int> bits, std::vector<bool> kept,
                             int activation_bits) {
  PrecisionProfile p = uniform_profile(n, 16);
  p.layers[0].weight_bits = std::move(bits);
  p.layers[0].kept = std::move(kept);
  p.layers[0].activation_bits = activation_bits;
  return p;
}

struct RandomCase {
  Network network;
  PrecisionProfile profile;
  ArchConfig arch;
};

RandomCase random_case(std::mt19937& rng, const ArchConfig& base) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  RandomCase c;
  c.arch = base;
  const int sizes[] = {16, 32, 64, 128, 256};
  c.arch.pe.crossbar.rows = sizes[uniform(0, 4)];
  c.arch.pe.crossbar.bits_per_cell = uniform(1, 4);
  c.arch.pe.crossbar.signed_weights =
      uniform(0, 1) ? SignedWeights::kDifferential : SignedWeights::kOffset;
  c.arch.mapping.split_channel_slices = uniform(0, 3) == 0;
  // Without splitting, the widest channel (16 bits, 1 bit per cell, differential) needs 32.
  c.arch.pe.crossbar.columns = sizes[uniform(c.arch.mapping.split_channel_slices ? 0 : 1, 4)];
  c.arch.pe.dac.bits = uniform(1, 4);
  const int64_t cin = uniform(1, 40), cout = uniform(1, 90);
  c.network = one_conv(cin, cout, uniform(0, 1) ? 3 : 1, 4);
  std::vector<int> bits(cout);
  std::vector<bool> kept(cout);
  const int style = uniform(0, 2);  // uniform bits, two groups, or every channel its own
  const int b1 = uniform(1, 16), b2 = uniform(1, 16);
  for (int64_t j = 0; j < cout; ++j) {
    bits[j] = style == 0 ? b1 : style == 1 ? (j % 3 == 0 ? b1 : b2) : uniform(1, 16);
    kept[j] = uniform(0, 4) != 0;
  }
  kept[uniform(0, static_cast<int>(cout) - 1)] = true;
  c.profile = profile_for(c.network, bits, kept, uniform(1, 16));
  return c;
}

// Stores a random weight matrix into cells following the mapping, reads it back, and checks
// that every (row, channel, slice) lands in exactly one in-bounds cell and nothing else does.
void expect_bit_exact_placement(const RandomCase& c, const LayerMapping& m, std::mt19937& rng) {
  const auto& xbar = c.arch.pe.crossbar;
  const auto& p = c.profile.layers[0];
  const int64_t cout = static_cast<int64_t>(p.weight_bits.size());
  // Signed weights: offset encoding stores w + 2^(w-1) (unsigned); differential stores the
  // magnitude in the positive or negative column.
  std::vector<std::vector<int64_t>> weights(m.rows, std::vector<int64_t>(cout));
  for (auto& row : weights) {
    for (int64_t j = 0; j < cout; ++j) {
      const int64_t half = int64_t{1} << (p.weight_bits[j] - 1);
      row[j] = std::uniform_int_distribution<int64_t>(-half + 1, half - 1)(rng);
    }
  }
  const bool differential = xbar.signed_weights == SignedWeights::kDifferential;
  const int64_t cell_mask = (int64_t{1} << xbar.bits_per_cell) - 1;
  std::map<std::tuple<int64_t, int, int>, int64_t> cells;  // (array, row, column) -> value
  std::set<std::tuple<int64_t, int64_t, int>> placed;      // (row, channel, slice)
  int64_t array = 0;
  for (int64_t rb = 0; rb < m.row_blocks(); ++rb) {
    ASSERT_LE(m.row_block_rows[rb], xbar.rows);
    for (const ColumnArray& ca : m.column_arrays) {
      ASSERT_LE(ca.used_columns, xbar.columns);
      for (const ColumnSpan& span : ca.spans) {
        ASSERT_TRUE(p.kept[span.channel]) << "pruned channel " << span.channel << " placed";
        ASSERT_EQ(span.bits, p.weight_bits[span.channel]);
        for (int r = 0; r < m.row_block_rows[rb]; ++r) {
          const int64_t row = rb * xbar.rows + r;
          const int64_t w = weights[row][span.channel];
          const int64_t stored =
              differential ? (w < 0 ? -w : w) : w + (int64_t{1} << (span.bits - 1));
          for (int s = span.first_slice; s < span.first_slice + span.slices; ++s) {
            ASSERT_TRUE(placed.emplace(row, span.channel, s).second) << "slice placed twice";
            const int column = span.first_column + (s - span.first_slice) * span.columns_per_slice +
                               (differential && w < 0 ? 1 : 0);
            ASSERT_LT(column, span.first_column + span.columns());
            ASSERT_TRUE(cells
                            .emplace(std::make_tuple(array, r, column),
                                     (stored >> (s * xbar.bits_per_cell)) & cell_mask)
                            .second)
                << "cell written twice";
          }
        }
      }
      ++array;
    }
  }
  // Every kept channel's every slice at every row, nothing more.
  int64_t expected_slices = 0;
  for (int64_t j = 0; j < cout; ++j) {
    if (p.kept[j])
      expected_slices += (p.weight_bits[j] + xbar.bits_per_cell - 1) / xbar.bits_per_cell;
  }
  ASSERT_EQ(static_cast<int64_t>(placed.size()), expected_slices * m.rows);
  // Rebuild from cells through the same spans and compare.
  std::vector<std::vector<int64_t>> rebuilt(m.rows, std::vector<int64_t>(cout, 0));
  array = 0;
  for (int64_t rb = 0; rb < m.row_blocks(); ++rb) {
    for (const ColumnArray& ca : m.column_arrays) {
      for (const ColumnSpan& span : ca.spans) {
        for (int r = 0; r < m.row_block_rows[rb]; ++r) {
          for (int s = span.first_slice; s < span.first_slice + span.slices; ++s) {
            const int column = span.first_column + (s - span.first_slice) * span.columns_per_slice;
            auto value_at = [&](int col) {
              auto it = cells.find(std::make_tuple(array, r, col));
              return it == cells.end() ? int64_t{0} : it->second;
            };
            // A multiply, not a shift: the differential value is negative, and shifting a
            // negative number left is undefined before C++20 (UBSan caught it).
            const int64_t weight = int64_t{1} << (int64_t{s} * xbar.bits_per_cell);
            rebuilt[rb * xbar.rows + r][span.channel] +=
                differential ? (value_at(column) - value_at(column + 1)) * weight
                             : value_at(column) * weight;
          }
        }
      }
      ++array;
    }
  }
  for (int64_t row = 0; row < m.rows; ++row) {
    for (int64_t j = 0; j < cout; ++j) {
      if (!p.kept[j]) continue;
      const int64_t want =
          differential ? weights[row][j] : weights[row][j] + (int64_t{1} << (p.weight_bits[j] - 1));
      ASSERT_EQ(rebuilt[row][j], want) << "row " << row << " channel " << j;
    }
  }
}

TEST(MappingProperties, RandomLayersPlaceEveryWeightBitInExactlyOneCell) {
  const ArchConfig base = isaac();
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 300; ++trial) {
    RandomCase c = random_case(rng, base);
    SCOPED_TRACE("trial " + std::to_string(trial));
    const auto masks = output_channel_masks(c.network, c.profile);
    const LayerMapping m = map_layer(c.network, c.profile, masks, 0, c.arch);
    expect_bit_exact_placement(c, m, rng);
    if (HasFatalFailure()) return;
    const int R = c.arch.pe.crossbar.rows, C = c.arch.pe.crossbar.columns;
    for (double u : {m.row_utilization(R), m.column_utilization(C), m.cell_utilization(R, C)}) {
      EXPECT_GT(u, 0.0);
      EXPECT_LE(u, 1.0);
    }
    EXPECT_EQ(m.input_cycles, (m.activation_bits + c.arch.pe.dac.bits - 1) / c.arch.pe.dac.bits);
    // Column groups cover the used columns and carry one shift per slice position.
    for (const ColumnArray& ca : m.column_arrays) {
      int covered = 0;
      for (const ColumnGroup& g : ca.groups(c.arch.pe.crossbar.bits_per_cell)) {
        covered += g.columns;
        EXPECT_FALSE(g.slice_shifts.empty());
        EXPECT_EQ(g.slice_shifts.front() % c.arch.pe.crossbar.bits_per_cell, 0);
      }
      EXPECT_EQ(covered, ca.used_columns);
    }
  }
}

TEST(MappingProperties, FewerBitsOrMorePruningNeverNeedMoreArrays) {
  const ArchConfig base = isaac();
  std::mt19937 rng(7);
  for (int trial = 0; trial < 400; ++trial) {
    RandomCase c = random_case(rng, base);
    SCOPED_TRACE("trial " + std::to_string(trial));
    auto arrays = [&](const PrecisionProfile& p) {
      return map_layer(c.network, p, output_channel_masks(c.network, p), 0, c.arch).arrays();
    };
    const int64_t before = arrays(c.profile);
    LayerPrecision& lp = c.profile.layers[0];
    const size_t j = rng() % lp.weight_bits.size();
    PrecisionProfile fewer_bits = c.profile;
    fewer_bits.layers[0].weight_bits[j] = 1 + static_cast<int>(rng() % lp.weight_bits[j]);
    EXPECT_LE(arrays(fewer_bits), before);
    PrecisionProfile all_fewer = c.profile;
    for (int& b : all_fewer.layers[0].weight_bits) b = std::max(1, b - static_cast<int>(rng() % 4));
    EXPECT_LE(arrays(all_fewer), before);
    if (lp.kept_count() > 1) {
      PrecisionProfile pruned = c.profile;
      for (size_t k = 0; k < lp.kept.size(); ++k) {
        if (pruned.layers[0].kept[k] && pruned.layers[0].kept_count() > 1 && rng() % 2)
          pruned.layers[0].kept[k] = false;
      }
      EXPECT_LE(arrays(pruned), before);
    }
  }
}

// The busiest PE's columns, walked array by array: the definition the closed form in
// mapping.cpp must reproduce.
int64_t busiest_pe_columns_by_walking(const LayerMapping& m, int crossbars_per_pe, int64_t copies,
                                      int64_t pes) {
  int64_t per_pe = crossbars_per_pe;
  if (pes > 0) per_pe = std::min<int64_t>(per_pe, (m.arrays() * copies + pes - 1) / pes);
  int64_t best = 0, current = 0, in_pe = 0;
  for (int64_t copy = 0; copy < copies; ++copy) {
    for (int64_t b = 0; b < m.row_blocks(); ++b) {
      const auto [first, last] = m.columns_of_block(b);
      for (int a = first; a < last; ++a) {
        current += m.column_arrays[a].used_columns;
        if (++in_pe == per_pe) {
          best = std::max(best, current);
          current = in_pe = 0;
        }
      }
    }
  }
  return std::max(best, current);
}

// Grouped convolutions (mapping.h): random group counts, channel widths, pruning and arrays.
// Every kept channel's every slice meets every row of its own group in exactly one array;
// arrays stay within the crossbar; the counts over the array list add up; the busiest PE
// matches walking the arrays.
TEST(MappingProperties, GroupedLayersMeetEachOwnRowOnceAndPackBlockDiagonally) {
  const ArchConfig base = isaac();
  std::mt19937 rng(77);
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  for (int trial = 0; trial < 200; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    ArchConfig arch = base;
    const int sizes[] = {16, 32, 64, 128, 256};
    arch.pe.crossbar.rows = sizes[uniform(0, 4)];
    arch.pe.crossbar.bits_per_cell = uniform(1, 4);
    arch.pe.crossbar.signed_weights =
        uniform(0, 1) ? SignedWeights::kDifferential : SignedWeights::kOffset;
    arch.mapping.split_channel_slices = uniform(0, 3) == 0;
    arch.pe.crossbar.columns = sizes[uniform(arch.mapping.split_channel_slices ? 0 : 1, 4)];
    const int groups = uniform(2, 24), cin_g = uniform(1, 6), cout_g = uniform(1, 6);
    const int k = uniform(0, 1) ? 3 : 1;
    Network n = one_conv(int64_t{groups} * cin_g, int64_t{groups} * cout_g, k, 4);
    n.layers[0].groups = groups;
    std::vector<int> bits(static_cast<size_t>(groups * cout_g));
    std::vector<bool> kept(bits.size());
    for (size_t j = 0; j < bits.size(); ++j) {
      bits[j] = uniform(1, 16);
      kept[j] = uniform(0, 5) != 0;
    }
    const PrecisionProfile profile = profile_for(n, bits, kept, 8);
    const auto masks = output_channel_masks(n, profile);
    const LayerMapping m = map_layer(n, profile, masks, 0, arch);
    const int64_t group_rows = int64_t{cin_g} * k * k;
    ASSERT_EQ(m.rows, groups * group_rows);
    // (channel, slice, row) -> arrays meeting it.
    std::map<std::tuple<int, int, int64_t>, int> met;
    std::vector<int64_t> block_first(static_cast<size_t>(m.row_blocks()) + 1, 0);
    for (int64_t b = 0; b < m.row_blocks(); ++b) {
      ASSERT_LE(m.row_block_rows[b], arch.pe.crossbar.rows);
      block_first[b + 1] = block_first[b] + m.row_block_rows[b];
    }
    int64_t cells = 0, columns = 0;
    for (const LayerMapping::ArrayRef& a : m.array_list()) {
      const ColumnArray& ca = m.column_arrays[a.column_array];
      ASSERT_LE(ca.used_columns, arch.pe.crossbar.columns);
      cells += int64_t{m.row_block_rows[a.row_block]} * ca.used_columns;
      columns += ca.used_columns;
      for (const ColumnSpan& span : ca.spans) {
        const int g = span.channel / cout_g;
        for (int64_t row = block_first[a.row_block]; row < block_first[a.row_block + 1]; ++row) {
          if (row / group_rows != g) continue;  // another group's row: weight 0
          for (int sl = span.first_slice; sl < span.first_slice + span.slices; ++sl)
            met[{span.channel, sl, row}] += 1;
        }
      }
    }
    int64_t expected = 0, macs = 0;
    for (size_t j = 0; j < bits.size(); ++j) {
      if (!kept[j]) continue;
      const int slices =
          (bits[j] + arch.pe.crossbar.bits_per_cell - 1) / arch.pe.crossbar.bits_per_cell;
      expected += slices * group_rows;
      macs += group_rows;
    }
    ASSERT_EQ(static_cast<int64_t>(met.size()), expected);
    for (const auto& [key, count] : met) ASSERT_EQ(count, 1);
    EXPECT_EQ(m.active_cells(), cells);
    EXPECT_EQ(m.array_columns(), columns);
    EXPECT_EQ(m.macs_per_mvm, macs);
    EXPECT_EQ(m.arrays(), static_cast<int64_t>(m.array_list().size()));
    const int crossbars = 1 + static_cast<int>(rng() % 12);
    for (int64_t pes : {int64_t{0}, m.arrays(), 2 * m.arrays() + 1})
      EXPECT_EQ(m.busiest_pe_columns(crossbars, 3, pes),
                busiest_pe_columns_by_walking(m, crossbars, 3, pes));
  }
}

TEST(Mapping, DepthwiseAndGroupedByHand) {
  // ISAAC: 128 x 128 arrays, 2 bits per cell, offset: an 8-bit channel takes 4 columns.
  // Depthwise 32 channels, 3x3: a group is 9 rows and 4 columns, so 14 groups fill an array
  // (126 rows, 56 columns): packs of 14, 14 and 4 groups.
  Network dw = one_conv(32, 32, 3, 8);
  dw.layers[0].groups = 32;
  const ArchConfig arch = isaac();
  const PrecisionProfile p8 = uniform_profile(dw, 8);
  const LayerMapping m = map_layer(dw, p8, output_channel_masks(dw, p8), 0, arch);
  EXPECT_EQ(m.row_block_rows, (std::vector<int>{126, 126, 36}));
  ASSERT_EQ(m.column_arrays.size(), 3u);
  EXPECT_EQ(m.column_arrays[0].used_columns, 56);
  EXPECT_EQ(m.column_arrays[2].used_columns, 16);
  EXPECT_EQ(m.arrays(), 3);
  EXPECT_EQ(m.array_rows(), 288);
  EXPECT_EQ(m.array_columns(), 128);
  EXPECT_EQ(m.active_cells(), 126 * 56 * 2 + 36 * 16);
  EXPECT_EQ(m.macs_per_mvm, 32 * 9);
  EXPECT_EQ(m.partial_sum_merges(), 0);
  // 4 groups of 32 -> 64 channels, 3x3: a group is 8 x 9 = 72 rows and 16 x 4 = 64 columns;
  // two groups would need 144 rows, so each group is a pack: 4 arrays of 72 x 64.
  Network g4 = one_conv(32, 64, 3, 8);
  g4.layers[0].groups = 4;
  const PrecisionProfile q8 = uniform_profile(g4, 8);
  const LayerMapping n = map_layer(g4, q8, output_channel_masks(g4, q8), 0, arch);
  EXPECT_EQ(n.row_block_rows, (std::vector<int>{72, 72, 72, 72}));
  EXPECT_EQ(n.arrays(), 4);
  EXPECT_EQ(n.active_cells(), 4 * 72 * 64);
  EXPECT_EQ(n.macs_per_mvm, 64 * 72);
  EXPECT_EQ(n.used_columns(), 256);
}

TEST(MappingProperties, BusiestPeColumnsMatchesWalkingTheArrays) {
  const ArchConfig base = isaac();
  std::mt19937 rng(99);
  for (int trial = 0; trial < 300; ++trial) {
    RandomCase c = random_case(rng, base);
    const auto masks = output_channel_masks(c.network, c.profile);
    const LayerMapping m = map_layer(c.network, c.profile, masks, 0, c.arch);
    const int crossbars = 1 + static_cast<int>(rng() % 12);
    const int64_t copies = 1 + static_cast<int64_t>(rng() % 9);
    const int64_t least = (m.arrays() * copies + crossbars - 1) / crossbars;
    for (int64_t pes : {int64_t{0}, least, least + 1, 3 * least + 2}) {
      EXPECT_EQ(m.busiest_pe_columns(crossbars, copies, pes),
                busiest_pe_columns_by_walking(m, crossbars, copies, pes))
          << "trial " << trial << " crossbars " << crossbars << " copies " << copies << " pes "
          << pes;
    }
  }
}

TEST(MappingProperties, DifferentialEncodingDoublesColumns) {
  const ArchConfig base = isaac();
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    RandomCase c = random_case(rng, base);
    const auto masks = output_channel_masks(c.network, c.profile);
    c.arch.pe.crossbar.signed_weights = SignedWeights::kOffset;
    const LayerMapping offset = map_layer(c.network, c.profile, masks, 0, c.arch);
    c.arch.pe.crossbar.signed_weights = SignedWeights::kDifferential;
    const LayerMapping differential = map_layer(c.network, c.profile, masks, 0, c.arch);
    EXPECT_EQ(differential.used_columns(), 2 * offset.used_columns());
    EXPECT_GE(differential.arrays(), offset.arrays());
  }
}

TEST(MappingProperties, SplittingPacksColumnsContiguously) {
  const ArchConfig base = isaac();
  std::mt19937 rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    RandomCase c = random_case(rng, base);
    c.arch.mapping.split_channel_slices = true;
    const LayerMapping m =
        map_layer(c.network, c.profile, output_channel_masks(c.network, c.profile), 0, c.arch);
    const int64_t columns = c.arch.pe.crossbar.columns;
    EXPECT_EQ(static_cast<int64_t>(m.column_arrays.size()),
              (m.used_columns() + columns - 1) / columns);
  }
}

TEST(Mapping, WideChannelWithoutSplittingIsAClearError) {
  ArchConfig arch = isaac();
  arch.pe.crossbar.columns = 16;
  arch.pe.crossbar.bits_per_cell = 1;
  arch.pe.crossbar.signed_weights = SignedWeights::kDifferential;
  const Network n = one_conv(4, 4, 3, 4);
  const PrecisionProfile p = profile_for(n, {16, 8, 8, 8}, {true, true, true, true}, 8);
  const std::string error =
      input_error_of([&] { map_layer(n, p, output_channel_masks(n, p), 0, arch); });
  EXPECT_NE(error.find("layers.conv: channel 0 has 16-bit weights: 32 columns at 1 bits per cell "
                       "(differential), but arrays have 16"),
            std::string::npos)
      << error;
}

// mapping.row_blocks: per_kernel_position (DNN+NeuroSim's novel mapping) gives each position
// of a 3x3 kernel its own blocks when the rows exceed an array: 64 input channels are 9 blocks
// of 64 rows (packed: 4 x 128 + 64), 300 are 9 x (128, 128, 44); a layer that fits one array
// (3 channels, 27 rows) and a 1x1 layer stay packed. Cell reads are the same, conversions grow.
TEST(Mapping, RowBlocksPerKernelPosition) {
  ArchConfig arch = isaac();
  arch.mapping.row_blocks = RowBlocks::kPerKernelPosition;
  auto blocks = [&](int64_t cin, int k) {
    const Network n = one_conv(cin, 8, k, 8);
    const PrecisionProfile p = uniform_profile(n, 8);
    return map_layer(n, p, output_channel_masks(n, p), 0, arch).row_block_rows;
  };
  EXPECT_EQ(blocks(64, 3), std::vector<int>(9, 64));
  std::vector<int> wide;
  for (int p = 0; p < 9; ++p) wide.insert(wide.end(), {128, 128, 44});
  EXPECT_EQ(blocks(300, 3), wide);
  EXPECT_EQ(blocks(3, 3), std::vector<int>{27});
  EXPECT_EQ(blocks(300, 1), (std::vector<int>{128, 128, 44}));
  arch.mapping.row_blocks = RowBlocks::kPacked;
  EXPECT_EQ(blocks(64, 3), (std::vector<int>{128, 128, 128, 128, 64}));
  EXPECT_EQ(to_string(RowBlocks::kPerKernelPosition), "per_kernel_position");
}

TEST(Mapping, WorkedExampleFromTheReadme) {
  // 3x3 conv, 32 -> 8 channels; channels 0-1 at 8 bits, 2-7 at 4 bits; 2 bits per cell,
  // 128x16 arrays, offset encoding, 1-bit DAC, 6-bit activations.
  ArchConfig arch = isaac();
  arch.pe.crossbar.rows = 128;
  arch.pe.crossbar.columns = 16;
  const Network n = one_conv(32, 8, 3, 8);
  const PrecisionProfile p =
      profile_for(n, {8, 8, 4, 4, 4, 4, 4, 4}, std::vector<bool>(8, true), 6);
  const LayerMapping m = map_layer(n, p, output_channel_masks(n, p), 0, arch);
  EXPECT_EQ(m.rows, 288);  // 32 x 3 x 3
  EXPECT_EQ(m.row_block_rows, (std::vector<int>{128, 128, 32}));
  ASSERT_EQ(m.column_arrays.size(), 2u);           // 2x4 + 6x2 = 20 columns > 16
  EXPECT_EQ(m.column_arrays[0].used_columns, 16);  // 8-bit pair (8) + four 4-bit (8)
  EXPECT_EQ(m.column_arrays[1].used_columns, 4);   // two 4-bit channels
  EXPECT_EQ(m.arrays(), 6);
  EXPECT_EQ(m.input_cycles, 6);
  EXPECT_EQ(m.mvms, 64);
  const auto groups = m.column_arrays[0].groups(2);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].bits, 8);
  EXPECT_EQ(groups[0].slice_shifts, (std::vector<int>{0, 2, 4, 6}));
  EXPECT_EQ(groups[1].bits, 4);
  EXPECT_EQ(groups[1].channels, 4);
  EXPECT_EQ(groups[1].slice_shifts, (std::vector<int>{0, 2}));
  EXPECT_EQ(m.partial_sum_merges(), 2 * 8 * 64);
  EXPECT_DOUBLE_EQ(m.row_utilization(128), 288.0 / 384.0);
  EXPECT_DOUBLE_EQ(m.column_utilization(16), 20.0 / 32.0);
  EXPECT_EQ(m.conversions_per_cycle(), 3 * 20);  // each used column once per read
  EXPECT_EQ(m.reads_per_inference(), 64 * 6);

  // Reading 32 rows at a time: the 128-row blocks take 4 row groups, the 32-row block 1; each
  // used column converts once per group: (16 + 4) x (4 + 4 + 1) = 180 per input cycle, a read
  // step is 4 reads long, and a conversion sums at most 32 rows. Arrays and cells do not change.
  arch.pe.crossbar.rows_per_read = 32;
  const LayerMapping g = map_layer(n, p, output_channel_masks(n, p), 0, arch);
  EXPECT_EQ(g.arrays(), 6);
  EXPECT_EQ(g.active_cells(), m.active_cells());
  EXPECT_EQ(g.read_groups(0), 4);
  EXPECT_EQ(g.read_groups(2), 1);
  EXPECT_EQ(g.read_group_rows(1, 3), 32);
  EXPECT_EQ(g.max_read_groups(), 4);
  EXPECT_EQ(g.rows_per_conversion(), 32);
  EXPECT_EQ(g.conversions_per_cycle(), 180);
  EXPECT_EQ(g.reads_per_inference(), 64 * 6 * 4);
  // 48 rows at a time: groups of 48, 48 and 32 rows in each 128-row block.
  arch.pe.crossbar.rows_per_read = 48;
  const LayerMapping h = map_layer(n, p, output_channel_masks(n, p), 0, arch);
  EXPECT_EQ(h.read_groups(0), 3);
  EXPECT_EQ(h.read_group_rows(0, 2), 32);
  EXPECT_EQ(h.conversions_per_cycle(), 20 * (3 + 3 + 1));
}

// --- closed-form array counts of the shipped networks --------------------------------

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Arrays of one copy of a layer with uniform w-bit weights, offset encoding:
// row blocks x column arrays = ceil(K / R) x ceil(Cout / floor(C / ceil(w / b))).
int64_t closed_form_arrays(const Layer& l, int64_t size, int64_t bits, int64_t bits_per_cell) {
  const int64_t rows = l.in_channels() * l.kernel_area();
  const int64_t per_array = size / ceil_div(bits, bits_per_cell);
  return ceil_div(rows, size) * ceil_div(l.out_channels(), per_array);
}

TEST(MappingClosedForm, ShippedNetworksUniform8And16BitsAt64To512) {
  const ArchConfig base = isaac();
  for (const char* file :
       {"workloads/vgg19-cifar10.yaml", "workloads/resnet18-cifar10.yaml",
        "workloads/vgg19-tinyimagenet.yaml", "workloads/resnet18-cifar100.yaml"}) {
    const Network n = load_network(source_path(file));
    for (int bits : {8, 16}) {
      const PrecisionProfile p = uniform_profile(n, bits);
      const auto masks = output_channel_masks(n, p);
      for (int size : {64, 128, 256, 512}) {
        ArchConfig arch = base;
        arch.pe.crossbar.rows = arch.pe.crossbar.columns = size;
        int64_t total = 0, expected_total = 0;
        for (size_t i = 0; i < n.layers.size(); ++i) {
          if (!n.layers[i].has_weights()) continue;
          const int64_t expected =
              closed_form_arrays(n.layers[i], size, bits, arch.pe.crossbar.bits_per_cell);
          EXPECT_EQ(map_layer(n, p, masks, static_cast<int>(i), arch).arrays(), expected)
              << file << " " << n.layers[i].name << " " << bits << "b " << size;
          total += map_layer(n, p, masks, static_cast<int>(i), arch).arrays();
          expected_total += expected;
        }
        EXPECT_EQ(total, expected_total);
      }
    }
  }
}

TEST(MappingClosedForm, Vgg19At128x128With16BitWeights) {
  // 16-bit weights at 2 bits per cell are 8 slices: 16 channels per 128 columns. Per layer
  // ceil(K/128) row blocks x ceil(Cout/16) column arrays, e.g. conv1_1: K = 27 -> 1 x 4.
  const Network n = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  ArchConfig arch = isaac();
  arch.mapping.allow_reprogramming = true;
  const NetworkMapping m = map_network(n, uniform_profile(n, 16), arch);
  const std::vector<int64_t> expected_by_layer = {
      1 * 4,   5 * 4,   5 * 8,   9 * 8,   9 * 16,  18 * 16, 18 * 16, 18 * 16, 18 * 32,
      36 * 32, 36 * 32, 36 * 32, 36 * 32, 36 * 32, 36 * 32, 36 * 32, 4 * 1};
  ASSERT_EQ(m.layers.size(), expected_by_layer.size());
  int64_t total = 0;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    EXPECT_EQ(m.layers[i].arrays(), expected_by_layer[i]) << m.layers[i].name;
    total += expected_by_layer[i];
  }
  EXPECT_EQ(m.arrays(), total);
  EXPECT_EQ(total, 9788);  // fits ISAAC's 16,128 arrays without time-multiplexing
  EXPECT_TRUE(m.resident);
}

// --- replication and placement ----------------------------------------------------------

TEST(Placement, PipelineReplicatesTheSlowestLayerUntilPesRunOut) {
  // Two 1x1 convs of 8 channels on 8x8 maps with 16-bit weights, 2 bits/cell, 128x128:
  // each layer is 1 array, 64 MVMs, 16 input cycles. One array per PE, 6 PEs.
  ArchConfig arch = isaac();
  arch.chip.tiles = 1;
  arch.tile.pes = 6;
  arch.pe.crossbars = 1;
  Network n = one_conv(8, 8, 1, 8);
  Layer second = n.layers[0];
  second.name = "conv2";
  second.producers = {0};
  n.layers.push_back(second);
  const NetworkMapping m = map_network(n, uniform_profile(n, 16), arch);
  // The best split of 6 PEs is 3 + 3 (2 + 4 leaves a 32-MVM stage): 64/3 -> 22 MVMs x 16 reads.
  EXPECT_EQ(m.layers[0].replication, 3);
  EXPECT_EQ(m.layers[1].replication, 3);
  EXPECT_EQ(m.layers[0].reads_per_inference(), 22 * 16);
  EXPECT_EQ(m.pes_used, 6);
  EXPECT_EQ(m.layers[1].first_pe, 3);
  EXPECT_EQ(m.tiles_used, 1);
}

TEST(Placement, NetworkThatDoesNotFitNamesLayerArraysAndAvailability) {
  ArchConfig arch = isaac();
  arch.chip.tiles = 4;  // 4 x 12 x 8 = 384 arrays
  arch.chip.noc.mesh_columns = 1;
  arch.chip.noc.mesh_rows = 1;
  const Network n = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  const std::string error = input_error_of([&] { map_network(n, uniform_profile(n, 16), arch); });
  EXPECT_NE(error.find("does not fit: layer conv3_2 needs 288 arrays (36 PEs of 8 arrays), but the "
                       "layers before it hold 36 of the chip's 48 PEs (384 arrays)"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("allow_reprogramming"), std::string::npos) << error;
}

TEST(Placement, TimeMultiplexingCountsReprogrammingWrites) {
  ArchConfig arch = isaac();
  arch.chip.tiles = 4;
  arch.mapping.allow_reprogramming = true;
  const Network n = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  const NetworkMapping m = map_network(n, uniform_profile(n, 16), arch);
  EXPECT_FALSE(m.resident);
  EXPECT_GT(m.segments.size(), 1u);
  int64_t cells = 0;
  for (const LayerMapping& l : m.layers) {
    cells += l.active_cells() * l.replication;
    EXPECT_LE(l.pes, m.pes_available);
  }
  EXPECT_EQ(m.reprogram_cell_writes, cells);
  // Every weight bit is written: 16-bit weights at 2 bits per cell are 8 cells per weight.
  int64_t weights = 0;
  for (const Layer& l : n.layers) weights += l.dense_weights();
  EXPECT_GE(m.reprogram_cell_writes, 8 * weights);
}

TEST(Placement, LayerByLayerGivesEachLayerTheChipWhenNotResident) {
  ArchConfig arch = isaac();
  arch.chip.tiles = 4;
  arch.mapping.allow_reprogramming = true;
  arch.mapping.mode = MappingMode::kLayerByLayer;
  const Network n = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  const NetworkMapping m = map_network(n, uniform_profile(n, 16), arch);
  EXPECT_EQ(m.segments.size(), m.layers.size());
  // conv1_1: 4 arrays, 1024 MVMs; 48 PEs of 8 arrays hold 96 copies, but 94 copies already
  // give ceil(1024/94) = 11 MVMs each and 11 -> 10 would need 103 copies: 94 is kept.
  EXPECT_EQ(m.layers[0].replication, 94);
  for (const LayerMapping& l : m.layers) EXPECT_LE(l.pes, 48);
}

TEST(Placement, ResidentLayerByLayerUsesSparePes) {
  const Network n = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  ArchConfig arch = isaac();
  arch.mapping.mode = MappingMode::kLayerByLayer;
  const NetworkMapping m = map_network(n, uniform_profile(n, 8), arch);
  EXPECT_TRUE(m.resident);
  EXPECT_LE(m.pes_used, m.pes_available);
  int64_t base_reads = 0, reads = 0;
  for (const LayerMapping& l : m.layers) {
    reads += l.reads_per_inference();
    base_reads += l.mvms * l.input_cycles;
  }
  EXPECT_LT(reads, base_reads);
}

}  // namespace
}  // namespace mixpim::sim
