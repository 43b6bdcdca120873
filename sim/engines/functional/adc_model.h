#pragma once
// Inside the functional engine (functional.h states the semantics):
// the ADC model of one column sum (inline: the hot loops convert every sum).

#include <algorithm>
#include <cstdint>

#include "sim/compiler/adc.h"
#include "sim/config/arch_config.h"

namespace mixpim::sim::functional_detail {

// ---------------------------------------------------------------------------------------
// PIM path: crossbar arrays built from the mapping, ADC, shift-add, digital units.

struct AdcModel {
  bool lossless = true;  // every possible sum converts exactly: skip the conversion
  bool clip_mode = false;
  bool nearest = true;
  int step_shift = 0;    // exact_bound: log2 of the step
  int64_t top_code = 0;  // 2^bits - 1
};

// An ADC of `bits` whose full scale (exact_bound) covers sums of `needed` bits.
inline AdcModel adc_model(int bits, int needed, const AdcConfig& adc) {
  AdcModel m;
  m.lossless = bits >= needed;
  m.clip_mode = adc.full_scale == AdcFullScale::kClip;
  m.nearest = adc.rounding == AdcRounding::kNearest;
  m.step_shift = m.clip_mode ? 0 : std::max(0, needed - bits);
  m.top_code = (int64_t{1} << bits) - 1;
  return m;
}

// A layer's ADC as sim/compiler/adc.h sizes it: its bits, the sums its full scale spans, and
// whether every sum converts exactly (then the conversion is skipped).
inline AdcModel adc_model(const LayerAdc& layer, const AdcConfig& adc) {
  AdcModel m = adc_model(layer.bits, layer.range_bits, adc);
  m.lossless = layer.exact;
  return m;
}

struct AdcCounts {
  int64_t clipped = 0;
  int64_t lossy = 0;
  // Row activity (data-aware energy): DAC drives (row x input cycle x array) and cell reads
  // (row x input cycle x used column), all and those whose input slice is not zero.
  int64_t dac_drives = 0, dac_active = 0;
  int64_t cell_reads = 0, cell_active = 0;
  // Input activity (FunctionalLayerResult): conversions with an input bit in their row block,
  // driven inputs, non-zero ones and set bits per bit-plane.
  int64_t conversion_slots = 0, conversion_active = 0;
  int64_t driven_inputs = 0, nonzero_inputs = 0;
  std::vector<int64_t> bit_ones;
  void merge(const AdcCounts& o) {
    clipped += o.clipped;
    lossy += o.lossy;
    dac_drives += o.dac_drives;
    dac_active += o.dac_active;
    cell_reads += o.cell_reads;
    cell_active += o.cell_active;
    conversion_slots += o.conversion_slots;
    conversion_active += o.conversion_active;
    driven_inputs += o.driven_inputs;
    nonzero_inputs += o.nonzero_inputs;
    if (bit_ones.size() < o.bit_ones.size()) bit_ones.resize(o.bit_ones.size(), 0);
    for (size_t q = 0; q < o.bit_ones.size(); ++q) bit_ones[q] += o.bit_ones[q];
  }
};

inline int64_t convert(int64_t sum, const AdcModel& m, bool& clipped) {
  int64_t code = m.step_shift == 0 ? sum
                 : m.nearest       ? (sum + (int64_t{1} << (m.step_shift - 1))) >> m.step_shift
                                   : sum >> m.step_shift;
  clipped = code > m.top_code;
  if (clipped) code = m.top_code;
  return code << m.step_shift;
}

}  // namespace mixpim::sim::functional_detail
