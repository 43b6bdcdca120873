#pragma once
// Functional, bit-accurate engine: pushes quantized integers through the mapped crossbar
// arrays and compares every layer with an exact integer reference.
//
// Quantization semantics (identical in the reference and the PIM path):
// - Weights of output channel j are signed integers of w_j bits (the profile's per-channel
//   width): [-2^(w_j-1), 2^(w_j-1) - 1]. Pruned output channels, and weight rows of pruned
//   input channels, are zero (they have no cells).
// - The input of every conv2d/linear layer has the layer's `activation_bits` a: unsigned,
//   [0, 2^a - 1], unless the calibration tensor (the reference's input over the whole batch)
//   has a negative value; then signed, [-2^(a-1), 2^(a-1) - 1]. The producer's integer tensor
//   X becomes clamp(round(X / 2^s), lo, hi), rounding half up. The shift s is the smallest
//   that keeps the reference's extreme values in range, calibrated on the reference run and
//   then used unchanged by both paths, so a layer is exact exactly when its MVMs are. Signed
//   inputs reach the arrays as x + 2^(a-1) (unsigned, a bits; padding too), and 2^(a-1) x the
//   channel's weight sum is removed digitally.
// - conv2d/linear produce the raw integer accumulator (no bias). relu = max(0, x) (with real
//   weights, a relu `max` m also clamps at m x 2^16: ReLU6); add = a + b; maxpool takes the maximum
//   of the window's in-bounds values; avgpool and global_avgpool divide the window sum (padding
//   counts as zeros) by the window area, rounding half up; flatten reshapes in C order.
// - The network input is random in [0, 2^a - 1], a = activation bits of the first weight layer
//   (or integers from a .npy file); weights are random, uniform over each channel's symmetric
//   range [-(2^(w-1) - 1), 2^(w-1) - 1] (zero mean; {-1, 0} at 1 bit), unless a .npy file
//   gives them. Random values come from std::mt19937_64 streams seeded from
//   (seed, layer), so a file given for one layer leaves every other tensor unchanged.
//   A float input file is read as fixed point: round(x x 2^16), halves away from zero.
//
// Real weights (an imported model's parameters, or float .npy weights in --data; then every
// conv2d/linear layer has float weights W and a bias b, zero when absent):
// - Every tensor between layers holds round(value x 2^F), F = 16 fraction bits (inputs given
//   as integers, and random inputs, are values: x 2^F).
// - Weights are quantized per output channel j, symmetric, to the channel's bits w_j: step
//   d_j = max |W_j| / (2^(w_j-1) - 1) over the kept input rows, q = clamp(round(W / d_j),
//   -(2^(w_j-1) - 1), 2^(w_j-1) - 1), halves away from zero (1 bit: d_j = max |W_j|, q in
//   {-1, 0}). The input rule above is unchanged, so a layer input's step is 2^(s - F), a
//   power of two.
// - A conv2d/linear output is acc_j x d_j x 2^s + b_j x 2^F, rounded half away from zero, for
//   each kept channel; pruned channels are 0 (they do not exist, bias included).
// - relu, pooling, add and flatten act on the fixed-point values as above. A PyTorch model
//   quantized by this rule (fake quantization with the same calibration) gives the same
//   activations up to the 2^-16 rounding of the fixed point (tests/onnx/agreement.py).
//
// The PIM path uses the compiler's mapping (sim/compiler/mapping.h) as the hardware would: rows are
// ordered (kept input channel, ky, kx) and split into the mapping's row blocks; each column of
// a ColumnSpan holds one weight slice (offset encoding: bits of w + 2^(w-1); differential:
// bits of |w| in the positive or the negative column of a pair). For every array and input
// cycle (DAC slice of `dac.bits` input bits) each column's integer sum over the block's rows
// is converted by the ADC model, then shifted by the slice shift and the input-bit position
// and added; the offset (2^(w-1) x sum of the block's inputs) is removed digitally, row-block
// partial sums are merged, and relu/pool/add/flatten run as digital units (own code, not the
// reference's). With weight flipping (pe.crossbar.weight_flipping) each array's column whose
// cells add up to more than floor(block rows x (2^b_c - 1) / 2) is programmed with the cells'
// complements and flagged; its converted sum s is restored as (2^b_c - 1) x (sum of the
// block's inputs) - s before the shift-add (ISAAC's encoding; sim/compiler/adc.h).
//
// ADC model (pe.adc, sim/compiler/adc.h layer_adc): the largest column sum (rows x (2^bits_per_cell -
// 1) x (2^dac_bits - 1), halved by flipping) sets the bits needed: `adc_bits_needed` for the
// array's physical rows. With full_scale: exact_bound the range covers it (the array's with
// resolution: fixed, the layer's tallest row block's with per_layer or exact), so an ADC of
// B < range bits has a step of 2^(range - B): sums round (nearest or floor) to a multiple of
// the step, and codes above 2^B - 1 saturate. With full_scale: clip the step is 1 and sums
// above 2^B - 1 saturate. Either way B >= the bits needed converts every sum exactly.
//
// Errors: each layer's PIM path is fed the reference's input for that layer, so per-layer
// errors do not compound ("isolated"); a second pass where the PIM path feeds itself gives
// the end-to-end errors and the end-to-end top-1 agreement of the final layer.

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/engines/analytic.h"
#include "sim/config/arch_config.h"
#include "sim/engines/energy_model.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

struct FunctionalOptions {
  uint64_t seed = 1;
  int batch = 1;
  // Optional YAML map: a weight layer's name, or `input`, -> .npy file (paths relative to the
  // map). Weights: [Cout, Cin, kh, kw] (conv2d) or [out, in] (linear), integers within each
  // channel's range. Input: [batch, C, H, W] ([C, H, W] when batch is 1), non-negative
  // integers.
  std::string data_map_path;
  // Float weights and biases by layer name (an imported model's): the run quantizes them
  // ("Real weights" above). Every conv2d/linear layer must then have float weights, from here
  // or from --data (whose files replace these).
  std::map<std::string, LayerParameters> parameters;
  std::string parameters_source;  // where they came from (names it in errors and the report)
  // Optional .npy of integer class labels, one per input ([batch]): accuracy is reported.
  std::string labels_path;
  bool end_to_end = true;  // also run the PIM path on its own outputs
  // Threads for the array multiplies and the reference convolutions (0: one per core). Results
  // do not depend on it.
  int threads = 0;
  // Faults injected at known cells (fault-injection studies and tests), on the analog path
  // (sim/engines/device.h): layer, copy, array (row block major, as the mapping lists them), row in the
  // block and used column of the array; the cell conducts G_on or G_off whatever was written.
  struct CellFault {
    std::string layer;
    int64_t copy = 0;
    int array = 0, row = 0, column = 0;
    bool stuck_on = true;
  };
  std::vector<CellFault> faults;
  // Called before each layer (index into Network::layers, layer count); may be empty.
  std::function<void(int layer, int layers)> progress;
};

struct FunctionalLayerResult {
  std::string name;
  LayerType type = LayerType::kRelu;
  int64_t outputs = 0;  // values compared: batch x output elements
  // Isolated: the layer's PIM path fed the reference's input.
  int64_t max_abs_error = 0;
  double rms_error = 0;
  int64_t mismatches = 0;    // outputs that differ from the reference
  double reference_rms = 0;  // RMS of the reference output, to put the errors in scale
  // The reference output is one value throughout (e.g. all zeros): agreement with it says
  // nothing, so the layer is flagged.
  bool degenerate = false;
  // End-to-end: the PIM path fed by its own previous layers (0 when end_to_end is off).
  int64_t end_to_end_max_abs_error = 0;
  double end_to_end_rms_error = 0;
  // conv2d/linear only.
  int activation_bits = 0;
  int input_shift = 0;          // calibrated requantisation shift of the layer input
  bool input_signed = false;    // the input has negative values: signed activations
  int64_t adc_conversions = 0;  // column conversions of the isolated pass
  int64_t adc_clipped = 0;      // conversions that saturated at the top code
  int64_t adc_lossy = 0;        // conversions whose result differs from the analog sum
  // Data-aware energy (isolated pass, whole batch): DAC drives (row x input cycle x array)
  // and cell reads (row x input cycle x used column), all and those whose input slice is not
  // zero; a zero slice draws no DAC or cell-read energy.
  int64_t dac_drives = 0, dac_active = 0;
  int64_t cell_reads = 0, cell_active = 0;
  // Conversions (used column x input cycle x array) and those whose row block has an input bit
  // in the cycle (the rest are skipped with pe.adc.skip_zero_blocks).
  int64_t conversion_slots = 0, conversion_active = 0;
  // Driven inputs (rows x MVMs, padding and signed offset included), the non-zero ones, and
  // per activation bit those with the bit set (sim/compiler/activity.h).
  int64_t driven_inputs = 0, nonzero_inputs = 0;
  std::vector<int64_t> bit_ones;
  int64_t flipped_columns = 0;  // weight flipping: columns stored as complements (all arrays)
};

struct FunctionalResult {
  std::vector<FunctionalLayerResult> layers;  // every network layer, in order
  uint64_t seed = 0;
  int batch = 0;
  std::string input_source;    // "random" or the .npy path
  std::string weights;         // "random", "integer" (from --data) or "real" (float, quantized)
  std::string weights_source;  // the model the real weights came from ("" when none)
  // Tensors between layers hold value x 2^fraction_bits: 16 with real weights, else 0.
  int fraction_bits = 0;
  std::vector<std::pair<std::string, std::string>> weight_files;  // layer -> .npy path
  int adc_bits = 0;         // converters as built (sim/compiler/adc.h adc_built_bits)
  int adc_bits_needed = 0;  // bits the array's full height needs (weight flipping counted)
  std::string final_layer;
  double top1_agreement = 0;             // final layer, isolated
  double end_to_end_top1_agreement = 0;  // final layer, PIM path end to end
  // False when the final layer's reference is degenerate or an image's maximum is tied: top-1
  // agreement is then not reported (null in functional_json), and top1_note says why.
  bool top1_reported = true;
  std::string top1_note;
  bool exact = false;  // every layer equals the reference (both passes)
  // With labels: the fraction of inputs whose final arg-max (first maximum) is the label, for
  // the PIM path end to end (isolated when end_to_end is off) and for the integer reference
  // (the quantized model without the hardware: what the rule gives in PyTorch).
  std::string labels_path;
  double accuracy = 0;
  double reference_accuracy = 0;
  // Final layer outputs, batch x output elements (not in functional_json): the reference and
  // the PIM path end to end (isolated when end_to_end is off).
  std::vector<int64_t> final_reference;
  std::vector<int64_t> final_pim;
  double wall_seconds = 0;  // not deterministic: not in functional_json
};

// Bits needed to convert every column sum exactly: bit width of
// rows x (2^bits_per_cell - 1) x (2^dac_bits - 1). At most log2(rows) + bits per cell + DAC
// bits.
int adc_bits_needed(const ArchConfig& arch);

// The ADC model of the header comment, for one column sum in [0, max sum]; sets *clipped when
// the sum saturated. Exposed for tests.
int64_t adc_convert(int64_t sum, const ArchConfig& arch, bool* clipped = nullptr);

// Refuses (InputError naming --batch) a batch whose tensors would exceed the memory limit
// (sim/util/memory_guard.h). run_functional calls it too.
void check_functional_memory(const Network& network, const FunctionalOptions& options);

// Runs the reference and the PIM path. `mapping` must come from map_network(network,
// profile, arch). Throws InputError for bad options or data files (naming the file and, for
// shape mismatches, the expected shape).
FunctionalResult run_functional(const Network& network, const PrecisionProfile& profile,
                                const ArchConfig& arch, const NetworkMapping& mapping,
                                const FunctionalOptions& options);

// The input activity of the run's isolated pass, per weight layer (sim/compiler/activity.h): what
// data-aware energy uses and `--activity-out` writes.
Activity measured_activity(const Network& network, const FunctionalResult& result,
                           const std::string& source);

// The `functional` block of report.json (deterministic: no wall time).
nlohmann::ordered_json functional_json(const FunctionalResult& result);

}  // namespace mixpim::sim
