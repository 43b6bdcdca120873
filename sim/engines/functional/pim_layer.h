#pragma once
// Inside the functional engine (functional.h states the semantics):
// one conv2d/linear layer on its crossbar arrays: programming (offset or differential
// slices, weight flipping, the drawn cells of the non-ideal analog path), bit-serial reads,
// ADC conversions and the shift-add.
//
// Over 500 lines: one class whose read loops call its small members in their innermost
// loops; defined in the class (inline) and included by functional.cpp alone, it compiles
// as it did inside that file. Splitting it would move members out of line and out of
// reach of the inliner in the hottest code of the engine.

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "sim/compiler/adc.h"
#include "sim/compiler/mapping.h"
#include "sim/engines/device.h"
#include "sim/engines/functional.h"
#include "sim/engines/functional/adc_model.h"
#include "sim/engines/functional/kernels.h"
#include "sim/engines/functional/tensor.h"

namespace mixpim::sim::functional_detail {

// What the shift-add unit does with one column.
struct PimColumn {
  int channel = 0;
  int shift = 0;          // slice shift s * bits_per_cell
  bool negative = false;  // differential: the negative column of a pair
};

// One conv2d/linear layer on its arrays.
class PimLayer {
 public:
  // One array as programmed on one copy (sim/engines/device.h): per row and used column, the cell's
  // conductance in level steps above G_off, (G - G_off) / dG, and in siemens.
  struct AnalogArray {
    int rows = 0, columns = 0;
    std::vector<float> level;  // rows x columns, row major (integers when ideal: exact)
    std::vector<double> g_s;   // the same in siemens (IR drop)
  };

  // `input_offset` (2^(a-1) for signed inputs, else 0) is added to every input, padding
  // included, so the arrays see unsigned values; offset x (the channel's weight sum) is removed
  // digitally after the row blocks merge.
  PimLayer(const Layer& layer, const LayerMapping& mapping, const std::vector<int>& kept_inputs,
           const LayerWeights& weights, const ArchConfig& arch, int64_t input_offset, int threads,
           uint64_t device_key_base, const std::vector<FunctionalOptions::CellFault>& faults)
      : layer_(layer),
        mapping_(mapping),
        adc_(adc_model(layer_adc(mapping, arch), arch.pe.adc)),
        input_offset_(input_offset) {
    device_ = arch.pe.crossbar.device;
    analog_ = device_.non_ideal() || arch.pe.adc.offset_lsb != 0 || arch.pe.adc.noise_lsb > 0;
    cell_ = cell_model(device_, arch.pe.crossbar.bits_per_cell);
    adc_offset_ = arch.pe.adc.offset_lsb;
    adc_noise_ = arch.pe.adc.noise_lsb;
    skip_zero_blocks_ = arch.pe.adc.skip_zero_blocks;
    device_key_base_ = device_key_base;
    for (const FunctionalOptions::CellFault& f : faults) {
      if (f.layer == layer.name) faults_.push_back(f);
    }
    analog_ = analog_ || !faults_.empty();
    bits_per_cell_ = arch.pe.crossbar.bits_per_cell;
    cell_max_ = (int64_t{1} << bits_per_cell_) - 1;
    dac_bits_ = arch.pe.dac.bits;
    activation_bits_ = mapping.activation_bits;
    cycles_ = mapping.input_cycles;
    const int64_t area = layer.kernel_area();
    if (mapping.rows != static_cast<int64_t>(kept_inputs.size()) * area) {
      throw std::logic_error("functional: mapping of " + layer.name + " has " +
                             std::to_string(mapping.rows) + " rows, expected " +
                             std::to_string(kept_inputs.size() * area));
    }
    // Row r = (kept input index, ky, kx): where its input comes from.
    row_channel_.resize(static_cast<size_t>(mapping.rows));
    row_ky_.resize(row_channel_.size());
    row_kx_.resize(row_channel_.size());
    for (int64_t r = 0; r < mapping.rows; ++r) {
      row_channel_[r] = kept_inputs[static_cast<size_t>(r / area)];
      row_ky_[r] = static_cast<int>((r % area) / layer.kernel_w);
      row_kx_[r] = static_cast<int>(r % layer.kernel_w);
    }
    // Weights are [Cout, Cin / groups, kh, kw]; a row of another group's input holds 0.
    const int64_t cin_g = layer.group_in_channels(), cout_g = layer.group_out_channels();
    // A channel's weights over rows [first, first + count), 0 on rows of another group's input,
    // into `channel_rows`.
    auto channel_weights = [&](int channel, int64_t first, int64_t count,
                               std::vector<int64_t>& channel_rows) {
      channel_rows.assign(static_cast<size_t>(count), 0);
      const int64_t group_first = (channel / cout_g) * cin_g;
      const int32_t* w = weights.values.data() + static_cast<size_t>(channel) * cin_g * area;
      for (int64_t i = 0; i < count; ++i) {
        const int64_t r = first + i;
        const int64_t local = row_channel_[r] - group_first;
        if (local < 0 || local >= cin_g) continue;
        channel_rows[i] = w[local * area + row_ky_[r] * layer.kernel_w + row_kx_[r]];
      }
      return channel_rows.data();
    };

    const int64_t cell_mask = (int64_t{1} << bits_per_cell_) - 1;
    offset_.assign(static_cast<size_t>(layer.out_channels()), 0);
    weight_sum_.assign(static_cast<size_t>(layer.out_channels()), 0);
    std::vector<int64_t> all_rows;
    for (int64_t j = 0; j < layer.out_channels(); ++j) {
      const int64_t* w = channel_weights(static_cast<int>(j), 0, mapping.rows, all_rows);
      for (int64_t r = 0; r < mapping.rows; ++r) weight_sum_[j] += w[r];
    }
    for (const ColumnArray& array : mapping.column_arrays) {
      std::vector<PimColumn> columns(static_cast<size_t>(array.used_columns));
      for (const ColumnSpan& span : array.spans) {
        const bool differential = span.columns_per_slice == 2;
        if (!differential) offset_[span.channel] = int64_t{1} << (span.bits - 1);
        for (int s = 0; s < span.slices; ++s) {
          for (int part = 0; part < span.columns_per_slice; ++part) {
            PimColumn& col = columns[span.first_column + s * span.columns_per_slice + part];
            col.channel = span.channel;
            col.shift = (span.first_slice + s) * bits_per_cell_;
            col.negative = part == 1;
          }
        }
      }
      columns_.push_back(std::move(columns));
    }

    // Program the cells: per row block and each column array it meets, per column, bit
    // planes of the cell values over the block's rows. The arrays are listed first, then
    // programmed in parallel (each writes only its own cells).
    struct ArrayJob {
      int array = 0;
      int64_t block = 0, first_row = 0;
      int rows = 0, words = 0;
    };
    std::vector<ArrayJob> jobs;
    int64_t first_row = 0;
    for (int64_t block = 0; block < mapping.row_blocks(); ++block) {
      const int block_rows = mapping.row_block_rows[static_cast<size_t>(block)];
      const int words = (block_rows + 63) / 64;
      block_first_row_.push_back(first_row);
      block_words_.push_back(words);
      const auto [first_array, last_array] = mapping.columns_of_block(block);
      block_first_cells_.push_back(static_cast<int>(jobs.size()));
      std::vector<std::pair<int, int64_t>> offsets;  // offset-encoded channels the block meets
      std::vector<uint8_t> seen(offset_.size(), 0);  // a channel's slices may span arrays
      for (int a = first_array; a < last_array; ++a) {
        block_arrays_.push_back(a);
        jobs.push_back({a, block, first_row, block_rows, words});
        for (const ColumnSpan& span : mapping.column_arrays[a].spans) {
          if (offset_[span.channel] != 0 && !seen[span.channel])
            offsets.emplace_back(span.channel, offset_[span.channel]);
          seen[span.channel] = 1;
        }
      }
      block_offsets_.push_back(std::move(offsets));
      first_row += block_rows;
    }
    cells_.resize(jobs.size());
    flipped_.resize(jobs.size());
    if (analog_) levels_.resize(jobs.size());
    parallel_parts(
        static_cast<int64_t>(jobs.size()), threads, [&](int, int64_t begin, int64_t end) {
          std::vector<int64_t> channel_rows;
          for (int64_t k = begin; k < end; ++k) {
            const ArrayJob& job = jobs[static_cast<size_t>(k)];
            const int a = job.array, block_rows = job.rows, words = job.words;
            const std::vector<PimColumn>& columns = columns_[a];
            std::vector<uint64_t> cells(columns.size() * bits_per_cell_ * words, 0);
            for (const ColumnSpan& span : mapping.column_arrays[a].spans) {
              const bool differential = span.columns_per_slice == 2;
              // The channel's weights over the block's rows, once for all its slices.
              const int64_t* block_weights =
                  channel_weights(span.channel, job.first_row, block_rows, channel_rows);
              for (int s = 0; s < span.slices; ++s) {
                const int slice_shift = (span.first_slice + s) * bits_per_cell_;
                for (int part = 0; part < span.columns_per_slice; ++part) {
                  const int column = span.first_column + s * span.columns_per_slice + part;
                  uint64_t* planes =
                      cells.data() + static_cast<size_t>(column) * bits_per_cell_ * words;
                  // 64 rows at a time into one word per cell bit.
                  for (int word = 0; word < words; ++word) {
                    uint64_t bits[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // bits_per_cell <= 8
                    const int last = std::min(block_rows, (word + 1) * 64);
                    for (int r = word * 64; r < last; ++r) {
                      const int64_t w = block_weights[r];  // 0: other groups
                      int64_t stored;                      // the bits this slice's cell holds
                      if (!differential) {
                        stored = w + (int64_t{1} << (span.bits - 1));
                      } else {
                        stored = (part == 0) ? (w > 0 ? w : 0) : (w < 0 ? -w : 0);
                      }
                      const auto cell = static_cast<uint64_t>((stored >> slice_shift) & cell_mask);
                      for (int cb = 0; cb < bits_per_cell_; ++cb)
                        bits[cb] |= ((cell >> cb) & 1) << (r % 64);
                    }
                    for (int cb = 0; cb < bits_per_cell_; ++cb)
                      planes[cb * words + word] = bits[cb];
                  }
                }
              }
            }
            // Per column and row group (pe.crossbar.rows_per_read; one group unless it splits
            // the block), flagged where the group's cells were stored complemented.
            const int per_read =
                mapping.read_groups(job.block) > 1 ? mapping.rows_per_read : block_rows;
            flipped_[static_cast<size_t>(k)] =
                arch.pe.crossbar.weight_flipping
                    ? flip_columns(cells, columns.size(), block_rows, words, per_read)
                    : std::vector<uint8_t>(
                          columns.size() *
                              static_cast<size_t>((block_rows + per_read - 1) / per_read),
                          0);
            if (analog_) {
              // Levels row major, for drawing every copy's cells (sim/engines/device.h);
              // branch-free (the bits are as good as random: a test per bit mispredicts half the
              // time).
              std::vector<uint8_t>& levels = levels_[static_cast<size_t>(k)];
              levels.assign(static_cast<size_t>(block_rows) * columns.size(), 0);
              for (size_t c = 0; c < columns.size(); ++c) {
                for (int cb = 0; cb < bits_per_cell_; ++cb) {
                  const uint64_t* plane = cells.data() + (c * bits_per_cell_ + cb) * words;
                  for (int r = 0; r < block_rows; ++r) {
                    levels[static_cast<size_t>(r) * columns.size() + c] |=
                        static_cast<uint8_t>(((plane[r / 64] >> (r % 64)) & 1) << cb);
                  }
                }
              }
            }
            cells_[static_cast<size_t>(k)] = std::move(cells);
          }
        });
    block_first_cells_.push_back(static_cast<int>(cells_.size()));
    for (int64_t block = 0; block < mapping.row_blocks(); ++block) {
      const auto [first_array, last_array] = mapping.columns_of_block(block);
      int64_t columns = 0;
      for (int a = first_array; a < last_array; ++a)
        columns += mapping.column_arrays[a].used_columns;
      block_columns_.push_back(columns);
    }
  }

  // Runs every MVM of the layer on each of `inputs`, already requantised (unsigned activation
  // bits), counting into the matching `counts`. The (input, image, output row) items are split
  // over `threads` threads, each with its own buffers and counts.
  // With non-idealities (sim/engines/device.h) every copy of the layer's arrays is programmed with
  // its own draws, one copy at a time, and computes the output pixels the work model gives it
  // (pixel p of an image on copy p mod replication). Several inputs (a layer's isolated and
  // end-to-end input) share each copy's draws, drawn once, as one programmed chip would; the
  // draws are keyed by what they model, not by the input, so each output is what a run of its
  // input alone gives. `arrays` holds the drawn cells; the caller keeps it from layer to layer,
  // so each layer reuses the memory (and pages) of the last rather than faulting in new ones.
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs,
                          const std::vector<AdcCounts*>& counts, int threads,
                          std::vector<AnalogArray>& arrays) const {
    const bool conv = layer_.type == LayerType::kConv2d;
    const int64_t ho = conv ? layer_.output_shape[1] : 1;
    const int batch = inputs.at(0)->batch;
    std::vector<Tensor> out;
    for (const Tensor* x : inputs) {
      if (x->batch != batch) throw std::logic_error("functional: inputs of different batches");
      out.push_back(zeros(layer_.output_shape, batch));
    }
    const size_t parts = static_cast<size_t>(std::max(1, threads));
    std::vector<AdcCounts> part_counts(inputs.size() * parts);  // part major
    const int64_t copies = analog_ ? std::max<int64_t>(1, mapping_.replication) : 1;
    for (int64_t copy = 0; copy < copies; ++copy) {
      if (analog_) program_copy(copy, threads, arrays);
      parallel_parts(batch * ho, threads, [&](int part, int64_t begin, int64_t end) {
        std::vector<RowInput> row_inputs(inputs.size());
        for (size_t i = 0; i < inputs.size(); ++i) {
          row_inputs[i].x = inputs[i];
          row_inputs[i].out = &out[i];
          row_inputs[i].counts = &part_counts[static_cast<size_t>(part) * inputs.size() + i];
        }
        run_rows(row_inputs, begin, end, analog_ ? &arrays : nullptr, copy, copies);
      });
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      counts[i]->bit_ones.resize(static_cast<size_t>(activation_bits_), 0);
      for (size_t part = 0; part < parts; ++part)
        counts[i]->merge(part_counts[part * inputs.size() + i]);
    }
    return out;
  }

  // The rows each converted input cycle of a read drives and their slice values, cycle after
  // cycle; cycle t's at [first[t], first[t + 1]). The same for every array of the row block.
  struct DrivenRows {
    std::vector<int32_t> rows;
    std::vector<float> values;
    std::vector<int> first;
  };
  // One input of run_rows and its buffers.
  struct RowInput {
    const Tensor* x = nullptr;
    Tensor* out = nullptr;
    AdcCounts* counts = nullptr;
    std::vector<int64_t> input, acc, values;
    std::vector<uint64_t> planes, group_planes;  // group_planes: one row group's share
    std::vector<uint8_t> active;
    int64_t input_sum = 0, read_sum = 0;  // of the block's rows, of the read's rows
    const uint64_t* read_planes = nullptr;
    bool skip = false;  // nothing of this read to convert
    DrivenRows driven;  // the analog path's
  };

  // Output rows [begin, end) of (image, output row) pairs, image major, of every input: each
  // pixel's reads of an array for every input one after another, while its cells are in cache.
  void run_rows(std::vector<RowInput>& inputs, int64_t begin, int64_t end,
                const std::vector<AnalogArray>* analog, int64_t copy, int64_t copies) const {
    static const ColumnKernel kernel = column_kernel();
    const bool conv = layer_.type == LayerType::kConv2d;
    const int64_t h = conv ? layer_.input_shape[1] : 1, wd = conv ? layer_.input_shape[2] : 1;
    const int64_t ho = conv ? layer_.output_shape[1] : 1, wo = conv ? layer_.output_shape[2] : 1;
    const int64_t cout = layer_.out_channels();
    const int64_t rows = mapping_.rows;
    size_t max_words = 0, max_columns = 0;
    for (int w : block_words_) max_words = std::max<size_t>(max_words, w);
    for (const auto& c : columns_) max_columns = std::max(max_columns, c.size());
    for (RowInput& in : inputs) {
      in.counts->bit_ones.resize(static_cast<size_t>(activation_bits_), 0);
      in.input.resize(static_cast<size_t>(rows));
      in.acc.resize(static_cast<size_t>(cout));
      in.planes.resize(max_words * activation_bits_);
      in.group_planes.resize(in.planes.size());
      in.active.resize(static_cast<size_t>(cycles_));
      in.values.resize(max_columns);
    }
    AnalogScratch scratch;
    std::vector<AnalogRead> reads;

    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / ho, oy = item % ho;
      for (int64_t ox = 0; ox < wo; ++ox) {
        const int64_t pixel = oy * wo + ox;
        if (analog != nullptr && pixel % copies != copy) continue;  // another copy's MVM
        for (RowInput& in : inputs) {
          // im2col: the input vector of this MVM, in row order.
          const int64_t* image = in.x->data.data() + n * in.x->per_image();
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t iy =
                oy * layer_.stride_h - layer_.pad_h + int64_t{row_ky_[r]} * layer_.dilation_h;
            const int64_t ix =
                ox * layer_.stride_w - layer_.pad_w + int64_t{row_kx_[r]} * layer_.dilation_w;
            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
            in.input[r] =
                (inside ? image[(row_channel_[r] * h + iy) * wd + ix] : 0) + input_offset_;
          }
          std::fill(in.acc.begin(), in.acc.end(), 0);
        }
        for (size_t block = 0; block < block_words_.size(); ++block) {
          const int words = block_words_[block];
          const int64_t first = block_first_row_[block];
          const int block_rows = mapping_.row_block_rows[block];
          const int64_t block_arrays = block_first_cells_[block + 1] - block_first_cells_[block];
          for (RowInput& in : inputs) {
            AdcCounts& counts = *in.counts;
            // Bit-serial input: plane q holds bit q of every row's activation.
            std::fill(in.planes.begin(),
                      in.planes.begin() + static_cast<size_t>(words) * activation_bits_, 0);
            in.input_sum = 0;
            for (int r = 0; r < block_rows; ++r) {
              uint64_t v = static_cast<uint64_t>(in.input[first + r]);
              in.input_sum += static_cast<int64_t>(v);
              counts.nonzero_inputs += v != 0;
              while (v != 0) {
                const int q = __builtin_ctzll(v);
                in.planes[static_cast<size_t>(q) * words + r / 64] |= uint64_t{1} << (r % 64);
                v &= v - 1;
              }
            }
            counts.driven_inputs += block_rows;
            for (int q = 0; q < activation_bits_; ++q) {
              int64_t ones = 0;
              for (int w = 0; w < words; ++w)
                ones += __builtin_popcountll(in.planes[static_cast<size_t>(q) * words + w]);
              counts.bit_ones[static_cast<size_t>(q)] += ones;
            }
            int64_t active_rows = 0;  // rows x input cycles whose DAC slice is not zero
            for (int t = 0; t < cycles_; ++t) {
              for (int w = 0; w < words; ++w) {
                uint64_t slice = 0;
                for (int q = t * dac_bits_; q < std::min(activation_bits_, (t + 1) * dac_bits_);
                     ++q)
                  slice |= in.planes[static_cast<size_t>(q) * words + w];
                active_rows += __builtin_popcountll(slice);
              }
            }
            counts.dac_drives += int64_t{block_rows} * cycles_ * block_arrays;
            counts.dac_active += active_rows * block_arrays;
            counts.cell_reads += int64_t{block_rows} * cycles_ * block_columns_[block];
            counts.cell_active += active_rows * block_columns_[block];
          }
          // Row groups (pe.crossbar.rows_per_read) are read and converted one after another:
          // each sees the inputs of its own rows only.
          const int64_t groups = mapping_.read_groups(static_cast<int64_t>(block));
          for (int64_t g = 0; g < groups; ++g) {
            int read_rows = block_rows;
            int lo = 0;
            if (groups > 1) {
              lo = static_cast<int>(g) * mapping_.rows_per_read;
              read_rows = mapping_.read_group_rows(static_cast<int64_t>(block), g);
            }
            bool any_read = false;
            for (RowInput& in : inputs) {
              in.read_planes = in.planes.data();
              in.read_sum = in.input_sum;  // of the rows this read drives
              if (groups > 1) {
                const int hi = lo + read_rows;
                in.read_sum = 0;
                for (int r = lo; r < hi; ++r) in.read_sum += in.input[first + r];
                for (int w = 0; w < words; ++w) {
                  const uint64_t mask = rows_mask(lo, hi, w);
                  for (int q = 0; q < activation_bits_; ++q)
                    in.group_planes[static_cast<size_t>(q) * words + w] =
                        in.planes[static_cast<size_t>(q) * words + w] & mask;
                }
                in.read_planes = in.group_planes.data();
              }
              bool any = false;
              int64_t active_cycles = 0;
              for (int t = 0; t < cycles_; ++t) {
                in.active[t] = 0;
                for (int w = 0; w < words && !in.active[t]; ++w) {
                  for (int q = t * dac_bits_; q < std::min(activation_bits_, (t + 1) * dac_bits_);
                       ++q)
                    in.active[t] |= in.read_planes[static_cast<size_t>(q) * words + w] != 0;
                }
                any |= in.active[t] != 0;
                active_cycles += in.active[t];
              }
              in.counts->conversion_slots += int64_t{cycles_} * block_columns_[block];
              in.counts->conversion_active += active_cycles * block_columns_[block];
              // All-zero input: every column sum and the offset term are 0 (with ADC offset or
              // noise the analog path still converts, unless skip_zero_blocks skips).
              in.skip = !any && (analog == nullptr || (adc_offset_ == 0 && adc_noise_ == 0));
              any_read |= !in.skip;
              // The analog path's driven rows, once for every array of the block.
              if (analog != nullptr && !in.skip)
                driven_rows(in.read_planes, words, in.active.data(), in.driven);
            }
            if (!any_read) continue;
            for (int k = block_first_cells_[block]; k < block_first_cells_[block + 1]; ++k) {
              const std::vector<PimColumn>& columns = columns_[block_arrays_[k]];
              if (analog != nullptr) {
                // The read's noise is keyed by the read, not the input: every input of this
                // pixel sees the same draws.
                NormalStreams rng(
                    groups == 1
                        ? device_key({device_key_base_, 2, static_cast<uint64_t>(n),
                                      static_cast<uint64_t>(pixel), static_cast<uint64_t>(k)})
                        : device_key({device_key_base_, 2, static_cast<uint64_t>(n),
                                      static_cast<uint64_t>(pixel), static_cast<uint64_t>(k),
                                      static_cast<uint64_t>(g)}));
                reads.clear();
                for (RowInput& in : inputs) {
                  if (!in.skip)
                    reads.push_back({&in.driven, in.active.data(), in.values.data(), in.counts});
                }
                analog_column_values((*analog)[static_cast<size_t>(k)], read_rows, reads, rng,
                                     scratch);
              }
              for (RowInput& in : inputs) {
                if (in.skip) continue;
                if (analog == nullptr) {
                  KernelArgs args{
                      in.read_planes, in.active.data(), cells_[k].data(),
                      words,          activation_bits_, dac_bits_,
                      cycles_,        bits_per_cell_,   static_cast<int>(columns.size()),
                      &adc_,          in.values.data(), in.counts};
                  kernel(args);
                }
                // Flagged (flipped) columns hold complements over the read's rows: their true
                // sum is (2^b_c - 1) x (sum of those rows' inputs) - the converted sum
                // (sim/compiler/adc.h). Flags are per column and row group.
                const uint8_t* flipped =
                    flipped_[k].data() + g * static_cast<int64_t>(columns.size());
                const int64_t complement = cell_max_ * in.read_sum;
                // Shift-add: slice shift, sign of the column, into the channel's partial sum.
                for (size_t c = 0; c < columns.size(); ++c) {
                  const int64_t value = flipped[c] ? complement - in.values[c] : in.values[c];
                  const int64_t v = value * (int64_t{1} << columns[c].shift);
                  in.acc[columns[c].channel] += columns[c].negative ? -v : v;
                }
              }
            }
          }
          // Offset encoding: remove 2^(w-1) x (sum of this block's inputs) digitally from
          // each channel the block's arrays hold.
          for (RowInput& in : inputs) {
            for (const auto& [j, offset] : block_offsets_[block])
              in.acc[j] -= offset * in.input_sum;
          }
        }
        for (RowInput& in : inputs) {
          int64_t* o = in.out->data.data() + n * in.out->per_image();
          for (int64_t j = 0; j < cout; ++j)
            o[(j * ho + oy) * wo + ox] = in.acc[j] - input_offset_ * weight_sum_[j];
        }
      }
    }
  }

  // Every array's cells drawn for copy `copy`, from the levels they were written to.
  void program_copy(int64_t copy, int threads, std::vector<AnalogArray>& arrays) const {
    if (arrays.size() < cells_.size()) arrays.resize(cells_.size());
    parallel_parts(static_cast<int64_t>(cells_.size()), threads,
                   [&](int, int64_t begin, int64_t end) {
                     for (int64_t k = begin; k < end; ++k) program_array(copy, k, arrays);
                   });
  }

  void program_array(int64_t copy, int64_t k, std::vector<AnalogArray>& arrays) const {
    int block = 0;
    while (block_first_cells_[static_cast<size_t>(block) + 1] <= k) ++block;
    const int rows = mapping_.row_block_rows[static_cast<size_t>(block)];
    const int columns = static_cast<int>(columns_[block_arrays_[k]].size());
    AnalogArray& a = arrays[static_cast<size_t>(k)];
    a.rows = rows;
    a.columns = columns;
    a.level.resize(static_cast<size_t>(rows) * columns);
    // Siemens only where wire resistance needs them.
    const bool siemens = device_.wire_resistance_ohm > 0;
    if (siemens) a.g_s.resize(a.level.size());
    DeviceRng rng(
        device_key({device_key_base_, 1, static_cast<uint64_t>(copy), static_cast<uint64_t>(k)}));
    draw_cells(levels_[static_cast<size_t>(k)].data(), a.level.size(), cell_, device_, rng,
               a.level.data(), siemens ? a.g_s.data() : nullptr);
    for (const FunctionalOptions::CellFault& f : faults_) {
      if (f.copy != copy || f.array != k || f.row >= rows || f.column >= columns) continue;
      const double g = f.stuck_on ? cell_.g_on_s : cell_.g_off_s;
      const size_t at = static_cast<size_t>(f.row) * columns + f.column;
      if (siemens) a.g_s[at] = g;
      a.level[at] = static_cast<float>((g - cell_.g_off_s) / cell_.step_s);
    }
  }

  // The analog path's column values of one array for one MVM (sim/engines/device.h): per input
  // cycle, the column sums of the drawn conductances over the active rows (with IR drop, the wires'
  // first-order model), read noise, ADC offset and noise, rounded, clamped and converted as the
  // ideal path converts.
  // One input's read of an array: its driven rows, its active cycles, where the column values
  // go and what is counted.
  struct AnalogRead {
    const DrivenRows* driven;
    const uint8_t* active;
    int64_t* out;
    AdcCounts* counts;
  };
  // Per-thread buffers of analog_column_values.
  struct AnalogScratch {
    std::vector<float> sum, variance;
    std::vector<double> v;
    std::vector<float> normals;
    std::vector<int64_t> level_sum;
  };

  // Whether the analog path converts cycle t of a read with these active cycles (skipped: the
  // sum is 0).
  bool converted(const uint8_t* active, int t) const { return active[t] || !skip_zero_blocks_; }

  // A read's driven rows (`planes` over the read's rows, `words` a plane) into `driven`.
  void driven_rows(const uint64_t* planes, int words, const uint8_t* active,
                   DrivenRows& driven) const {
    const int d = dac_bits_;
    driven.rows.clear();
    driven.values.clear();
    driven.first.assign(static_cast<size_t>(cycles_) + 1, 0);
    for (int t = 0; t < cycles_; ++t) {
      driven.first[static_cast<size_t>(t)] = static_cast<int>(driven.rows.size());
      if (!converted(active, t)) continue;
      const int first_plane = t * d, last_plane = std::min(activation_bits_, (t + 1) * d);
      for (int w = 0; w < words; ++w) {
        uint64_t any = 0;  // rows of this word with a bit in the slice
        for (int q = first_plane; q < last_plane; ++q)
          any |= planes[static_cast<size_t>(q) * words + w];
        while (any != 0) {
          const int bit = __builtin_ctzll(any);
          any &= any - 1;
          int value = 0;
          for (int q = first_plane; q < last_plane; ++q)
            value |= static_cast<int>((planes[static_cast<size_t>(q) * words + w] >> bit) & 1)
                     << (q - first_plane);
          driven.rows.push_back(w * 64 + bit);
          driven.values.push_back(static_cast<float>(value));
        }
      }
    }
    driven.first[static_cast<size_t>(cycles_)] = static_cast<int>(driven.rows.size());
  }

  // The reads of one array by one or more inputs at one pixel (`read_rows`: the rows a read
  // drives, the block's or a row group's). `rng` gives the read's noise, one normal per cycle
  // and column, the same for every input (the draws are keyed by the read).
  void analog_column_values(const AnalogArray& a, int read_rows,
                            const std::vector<AnalogRead>& reads, NormalStreams& rng,
                            AnalogScratch& scratch) const {
    const int columns = a.columns, d = dac_bits_, block_rows = a.rows;
    const int64_t max_sum = int64_t{read_rows} * cell_max_ * ((int64_t{1} << d) - 1);
    if (max_sum >= (int64_t{1} << 51)) throw std::logic_error("functional: column sums too large");
    const bool read_noise = device_.read_noise_sigma > 0;
    const bool noise = read_noise || adc_noise_ > 0;
    const bool wires = device_.wire_resistance_ohm > 0;
    static const AnalogChunkKernel chunk_kernel = analog_chunk_kernel();
    static const ColumnReadKernel read_kernel = column_read_kernel();
    const auto off_steps = static_cast<float>(cell_.g_off_s / cell_.step_s);
    scratch.sum.resize(static_cast<size_t>(columns));
    scratch.variance.resize(scratch.sum.size());
    scratch.level_sum.resize(scratch.sum.size());
    for (const AnalogRead& read : reads) std::fill(read.out, read.out + columns, 0);
    // One normal per cycle and column, whether or not a read converts in that cycle.
    if (noise) {
      scratch.normals.resize(static_cast<size_t>(cycles_) * columns);
      fill_normals(rng, scratch.normals.data(), scratch.normals.size());
    }
    // Columns c0 .. c0 + width of read j's cycle t: sums (and variances) over the cycle's rows.
    const auto column_sums = [&](size_t j, int t, int c0, int width) {
      const DrivenRows& driven = *reads[j].driven;
      const int r0 = driven.first[static_cast<size_t>(t)];
      chunk_kernel({a.level.data() + c0, static_cast<size_t>(columns), driven.rows.data() + r0,
                    driven.values.data() + r0, driven.first[static_cast<size_t>(t) + 1] - r0, width,
                    off_steps, d == 1, scratch.sum.data() + c0,
                    read_noise ? scratch.variance.data() + c0 : nullptr});
    };
    // ... then what the converters make of them, into the read's values.
    const auto convert_columns = [&](const AnalogRead& read, int t, int c0, int width) {
      read_kernel({scratch.sum.data() + c0, read_noise ? scratch.variance.data() + c0 : nullptr,
                   noise ? scratch.normals.data() + static_cast<size_t>(t) * columns + c0 : nullptr,
                   width, adc_offset_, device_.read_noise_sigma * device_.read_noise_sigma,
                   adc_noise_ * adc_noise_, static_cast<double>(max_sum),
                   scratch.level_sum.data() + c0, adc_.lossless ? read.out + c0 : nullptr, t * d});
      if (adc_.lossless) return;  // already in read.out
      for (int c = c0; c < c0 + width; ++c) {
        const int64_t level_sum = scratch.level_sum[static_cast<size_t>(c)];
        bool clipped = false;
        const int64_t converted_sum = convert(level_sum, adc_, clipped);
        read.counts->clipped += clipped;
        read.counts->lossy += converted_sum != level_sum;
        read.out[c] += converted_sum << (t * d);
      }
    };
    if (!wires) {
      // A chunk of columns through every read and cycle while its cells stay in the L1 cache.
      for (int c0 = 0; c0 < columns; c0 += kAnalogChunk) {
        const int width = std::min(kAnalogChunk, columns - c0);
        for (size_t j = 0; j < reads.size(); ++j) {
          for (int t = 0; t < cycles_; ++t) {
            if (!converted(reads[j].active, t)) continue;
            column_sums(j, t, c0, width);
            convert_columns(reads[j], t, c0, width);
          }
        }
      }
      return;
    }
    std::vector<double>& v = scratch.v;
    for (size_t j = 0; j < reads.size(); ++j) {
      const std::vector<int32_t>& rows = reads[j].driven->rows;
      const std::vector<float>& values = reads[j].driven->values;
      const std::vector<int>& first = reads[j].driven->first;
      for (int t = 0; t < cycles_; ++t) {
        if (!converted(reads[j].active, t)) continue;
        for (int c0 = 0; c0 < columns; c0 += kAnalogChunk)
          column_sums(j, t, c0, std::min(kAnalogChunk, columns - c0));
        v.assign(static_cast<size_t>(block_rows), 0.0);
        double driven = 0;  // sum of the slice values (the G_off the periphery removes)
        for (int i = first[static_cast<size_t>(t)]; i < first[static_cast<size_t>(t) + 1]; ++i) {
          v[static_cast<size_t>(rows[static_cast<size_t>(i)])] = values[static_cast<size_t>(i)];
          driven += values[static_cast<size_t>(i)];
        }
        if (driven > 0) {
          // One volt per input unit: currents are siemens x volts.
          const std::vector<double> current = column_currents_first_order(
              a.g_s, block_rows, columns, v, device_.wire_resistance_ohm);
          for (int c = 0; c < columns; ++c) {
            scratch.sum[static_cast<size_t>(c)] = static_cast<float>(
                (current[static_cast<size_t>(c)] - cell_.g_off_s * driven) / cell_.step_s);
          }
        }
        convert_columns(reads[j], t, 0, columns);
      }
    }
  }

  // Flagged columns of every array (row block x column array), for tests and statistics.
  int64_t flipped_columns() const {
    int64_t n = 0;
    for (const auto& f : flipped_) n += std::count(f.begin(), f.end(), uint8_t{1});
    return n;
  }

  // Conversions of one run: MVMs x the used columns of every array x input cycles.
  int64_t conversions(int batch) const {
    return int64_t{batch} * mapping_.mvms * mapping_.array_columns() * cycles_;
  }

 private:
  // Weight flipping (sim/compiler/adc.h), as the weights are programmed: a column whose cells add
  // up to more than floor(rows x (2^b_c - 1) / 2) stores every cell's complement instead and is
  // flagged. `cells` holds, per column, bits_per_cell bit planes of `words` words over `rows`
  // rows; returns the flags.
  std::vector<uint8_t> flip_columns(std::vector<uint64_t>& cells, size_t columns, int rows,
                                    int words, int per_read) const {
    // Row group g holds rows [g x per_read, min(rows, (g + 1) x per_read)); each is read and
    // converted on its own, so each decides its flip against half of its own largest sum.
    const int groups = (rows + per_read - 1) / per_read;
    std::vector<uint8_t> flags(columns * static_cast<size_t>(groups), 0);
    std::vector<uint64_t> mask(static_cast<size_t>(words));
    for (int g = 0; g < groups; ++g) {
      const int lo = g * per_read, hi = std::min(rows, lo + per_read);
      for (int w = 0; w < words; ++w) mask[static_cast<size_t>(w)] = rows_mask(lo, hi, w);
      const int64_t half = int64_t{hi - lo} * cell_max_ / 2;
      for (size_t c = 0; c < columns; ++c) {
        uint64_t* planes = cells.data() + c * bits_per_cell_ * words;
        int64_t sum = 0;
        for (int cb = 0; cb < bits_per_cell_; ++cb) {
          for (int w = 0; w < words; ++w)
            sum +=
                int64_t{__builtin_popcountll(planes[cb * words + w] & mask[static_cast<size_t>(w)])}
                << cb;
        }
        if (sum <= half) continue;
        flags[static_cast<size_t>(g) * columns + c] = 1;
        for (int cb = 0; cb < bits_per_cell_; ++cb) {
          for (int w = 0; w < words; ++w) planes[cb * words + w] ^= mask[static_cast<size_t>(w)];
        }
      }
    }
    return flags;
  }

  const Layer& layer_;
  const LayerMapping& mapping_;
  AdcModel adc_;
  int64_t input_offset_ = 0;
  std::vector<int64_t> weight_sum_;  // per output channel, over the kept rows
  int bits_per_cell_ = 1, dac_bits_ = 1, activation_bits_ = 1, cycles_ = 1;
  int64_t cell_max_ = 1;  // 2^bits_per_cell - 1
  std::vector<int> row_channel_, row_ky_, row_kx_;
  std::vector<int64_t> offset_;                  // per output channel (0: differential or pruned)
  std::vector<std::vector<PimColumn>> columns_;  // per column array
  std::vector<int64_t> block_first_row_;
  std::vector<int> block_words_;
  // Per array of the layer (row block major; [block_first_cells_[b], block_first_cells_[b + 1])
  // are block b's): its column array, cells and flipped-column flags.
  std::vector<int> block_first_cells_;
  std::vector<int64_t> block_columns_;  // used columns of each row block's arrays
  std::vector<int> block_arrays_;
  std::vector<std::vector<uint64_t>> cells_;
  std::vector<std::vector<uint8_t>> levels_;  // analog path: each array's levels, row major
  std::vector<std::vector<uint8_t>> flipped_;
  std::vector<std::vector<std::pair<int, int64_t>>> block_offsets_;  // (channel, 2^(w-1))
  // The non-ideal analog path (sim/engines/device.h).
  bool analog_ = false;
  DeviceConfig device_;
  CellModel cell_;
  double adc_offset_ = 0, adc_noise_ = 0;
  bool skip_zero_blocks_ = false;
  uint64_t device_key_base_ = 0;
  std::vector<FunctionalOptions::CellFault> faults_;  // this layer's injected faults
};

}  // namespace mixpim::sim::functional_detail
