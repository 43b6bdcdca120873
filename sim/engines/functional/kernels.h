#pragma once
// Inside the functional engine (functional.h states the semantics):
// the hot loops of the PIM path: an array's column values, ideal and analog, chosen
// at run time for the machine (POPCNT, AVX2) with identical results.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "sim/engines/functional/adc_model.h"

namespace mixpim::sim::functional_detail {

// Column values of one array for one MVM: per column, sum over input cycles t of
// ADC(column sum of cycle t) << (t * dac_bits). planes: input bit q over the block's rows,
// words per plane; cells: per column, bits_per_cell bit planes over the rows.
struct KernelArgs {
  const uint64_t* planes;
  const uint8_t* active;  // per input cycle: any input bit set
  const uint64_t* cells;
  int words, activation_bits, dac_bits, cycles, bits_per_cell, columns;
  const AdcModel* adc;
  int64_t* out;
  AdcCounts* counts;
};

using ColumnKernel = void (*)(const KernelArgs&);

ColumnKernel column_kernel();

// The analog path's inner loops (PimLayer::analog_column_values), compiled for AVX2 and for
// the baseline with the same operations in the same order (no fused multiply-adds), so results
// do not depend on the machine.
//
// The column sums of up to 32 columns of one array over the rows one input cycle drives: each
// row adds value x its cells' level steps to the sums and, with read noise, value^2 x (level +
// G_off / dG)^2 to the variances, row after row. The 32 columns' sums stay in registers while
// the rows stream past. With 1-bit DACs (every value 1) the variance is summed as
// sum(l^2) + 2 off sum(l) + n off^2 (off = G_off / dG, n rows): two adds and a multiply a row
// and column rather than three adds and a multiply.
struct AnalogChunkArgs {
  const float* level;  // the chunk's first column in row 0
  size_t stride;       // floats from one row to the next
  const int32_t* rows;
  const float* values;  // the rows' slice values
  int count;            // rows
  int width;            // columns, at most kAnalogChunk
  float off_steps;
  bool unit;        // every value is 1 (1-bit DACs): value x a = a, skipped
  float* sum;       // width outputs
  float* variance;  // width outputs; null: no read noise
};

constexpr int kAnalogChunk = 32;

// The unit variance's last step, sum(l^2) + 2 off sum(l) + n off^2, in this order.
struct UnitVariance {
  float two_off, n_off2;
  explicit UnitVariance(const AnalogChunkArgs& a)
      : two_off(2.0f * a.off_steps),
        n_off2(static_cast<float>(a.count) * a.off_steps * a.off_steps) {}
  float operator()(float squares, float sum) const { return (squares + two_off * sum) + n_off2; }
};

// What the columns read: the sum plus ADC offset and, with noise, sqrt(variance) x a standard
// normal, rounded half away from zero (as std::llround) and clamped to [0, max_sum]; a negative
// value gives 0 either way. s - trunc(s) is exact. Into `level_sum`, or (a lossless ADC) added
// shifted by the cycle's place into the column values `out`.
struct ColumnReadArgs {
  const float* sum;
  const float* variance;  // null: no read noise
  const float* normals;   // null: no noise at all
  int count;
  double offset, read_sigma2, adc_noise2;
  double max_sum;  // below 2^51
  int64_t* level_sum;
  int64_t* out;  // null: to level_sum
  int shift;     // of a level sum in `out`
};

using AnalogChunkKernel = void (*)(const AnalogChunkArgs&);
using ColumnReadKernel = void (*)(const ColumnReadArgs&);

AnalogChunkKernel analog_chunk_kernel();

ColumnReadKernel column_read_kernel();

// Bits of rows [lo, hi) in 64-row word w (row r is bit r % 64 of word r / 64).
inline uint64_t rows_mask(int lo, int hi, int w) {
  const int a = std::clamp(lo - w * 64, 0, 64), b = std::clamp(hi - w * 64, 0, 64);
  if (b <= a) return 0;  // (and no shift by 64)
  return b - a == 64 ? ~uint64_t{0} : ((uint64_t{1} << (b - a)) - 1) << a;
}

}  // namespace mixpim::sim::functional_detail
