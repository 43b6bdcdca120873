#pragma once
// Input activity of the weight layers (data-aware energy): what the rows a layer's arrays are
// driven with look like on real data, per inference.
//
// - density: the fraction of driven inputs (the im2col stream of every MVM, padding included,
//   after the signed-input offset) that are not zero;
// - bit_ones[q]: the fraction of them whose bit q is 1 (bit-plane q, least significant first);
// - optionally the fractions the energy model uses, measured exactly by the functional engine:
//   DAC drives (row x input cycle x array) whose input slice is not zero, cell reads of such
//   rows, and conversions of arrays whose row block has some input bit in the cycle.
//
// Where the measured fractions are absent (an activity file written by another tool) they are
// derived from bit_ones under independence (layer_fractions): an input cycle's DAC slice
// (planes [t x d, t x d + d)) is active with 1 - prod(1 - bit_ones[q]), clamped to
// [max bit_ones[q], density] (a non-zero slice needs a set bit, and a set bit a non-zero input),
// and a row block of r rows is all zero in cycle t with (1 - active_t)^r. Independence across
// rows ignores the spatial correlation of zeros (ReLU maps are zero in patches), so the derived
// conversion fraction overstates the conversions left (the skipping saves at least that much).
//
// Applied by the compiler (build_work_model): DAC and cell-read counts scale with the active
// fractions; with pe.adc.skip_zero_blocks, a row block whose inputs are all zero in an input
// cycle is not converted (its columns sum to 0), so sample-and-hold samples, conversions, flip
// corrections and the ADC's time scale with the conversion fraction. The idea of skipping the
// reads of all-zero input groups follows SRE (Yang et al., "Sparse ReRAM Engine", ISCA 2019);
// the zero detection (an OR over the input register's slice) is not charged.
//
// File format (YAML, written by `mixpim run --engine functional --activity-out FILE`, read by
// `--activity FILE`):
//   source: "what measured it"          # optional
//   layers:
//     conv1:
//       density: 0.61
//       bit_ones: [0.31, 0.30, ...]      # one per activation bit of the layer
//       dac_active_fraction: 0.44        # optional (measured)
//       cell_active_fraction: 0.44       # optional (measured)
//       conversion_active_fraction: 0.98 # optional (measured)
// Weight layers not listed run at full activity (the data-independent worst case).

#include <cmath>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

struct LayerActivity {
  double density = 1;
  std::vector<double> bit_ones;  // per activation bit, least significant first
  // Measured fractions; negative: derive from bit_ones and density.
  double dac_active_fraction = -1;
  double cell_active_fraction = -1;
  double conversion_active_fraction = -1;
};

struct Activity {
  std::string source;
  std::string path;  // the file it was read from (empty: measured in this run)
  std::vector<std::pair<std::string, LayerActivity>> layers;  // in network order
  const LayerActivity* find(const std::string& layer) const {
    for (const auto& [name, a] : layers)
      if (name == layer) return &a;
    return nullptr;
  }
};

// The fractions of a layer's events that happen (1: every one, the data-independent case).
struct ActiveFractions {
  double dac = 1;         // DAC drives
  double cell = 1;        // cell reads
  double conversion = 1;  // conversions (sample, convert, flip subtract) and ADC time
};

// Events that happen of `total` at fraction f: floor(f x total), all of them at f >= 1 (the
// 1e-6 keeps a measured ratio a / b times b from landing just below a whole number).
inline int64_t active_events(int64_t total, double f) {
  if (f >= 1) return total;
  return static_cast<int64_t>(std::floor(f * static_cast<double>(total) + 1e-6));
}

// Running share of events per inference: take(n, inference) returns how many of the next n
// events of that inference happen, so that an inference's takes add up to active_events of
// their sum in whatever order they come. The cycle engine keeps one per layer for its counts
// (so a layer counts what the compiler's closed forms give) and one per PE for its ADC time.
struct ActiveShare {
  double fraction = 1;
  std::vector<int64_t> seen;  // events taken so far, per inference
  int64_t take(int64_t n, int64_t inference) {
    if (fraction >= 1) return n;
    if (inference >= static_cast<int64_t>(seen.size()))
      seen.resize(static_cast<size_t>(inference) + 1, 0);
    int64_t& taken = seen[static_cast<size_t>(inference)];
    const int64_t before = active_events(taken, fraction);
    taken += n;
    return active_events(taken, fraction) - before;
  }
};

// The fractions build_work_model applies to a layer: measured ones where given, else derived
// from bit_ones (header comment); conversion stays 1 unless arch.pe.adc.skip_zero_blocks.
ActiveFractions layer_fractions(const LayerActivity& activity, const LayerMapping& mapping,
                                const ArchConfig& arch);

// Reads an activity file, checked against the network and profile: layer names, one bit_ones
// entry per activation bit, fractions in [0, 1]. Throws InputError naming file, line and key.
Activity load_activity(const std::string& path, const Network& network,
                       const PrecisionProfile& profile);

// The YAML text load_activity reads (fractions to the last digit, so a file read back gives
// the same counts as the run that measured it).
std::string activity_yaml(const Activity& activity);

}  // namespace mixpim::sim
