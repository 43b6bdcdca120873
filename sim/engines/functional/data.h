#pragma once
// Inside the functional engine (functional.h states the semantics):
// inputs and weights: random, from .npy files, or real weights quantized.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/engines/functional.h"
#include "sim/engines/functional/tensor.h"
#include "sim/util/npy.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim::functional_detail {

// ---------------------------------------------------------------------------------------
// Inputs: random or from .npy files.
struct DataFiles {
  std::optional<Tensor> input;
  bool input_fixed_point = false;  // a float file, read with kFractionBits fraction bits
  std::string input_path;
  std::map<int, LayerWeights> weights;        // integer weights, by layer index
  std::map<int, LayerParameters> parameters;  // float weights and biases, by layer index
  std::vector<std::pair<std::string, std::string>> weight_files;
};

// Input channels of `layer` that have weight rows (kept channels of its producer).
std::vector<bool> input_mask(const Network& network, const std::vector<std::vector<bool>>& masks,
                             int layer);

Shape weight_shape(const Layer& layer);

// Zeroes the weights of pruned output channels and of input channels without rows.
void apply_pruning(const Layer& layer, const LayerPrecision& precision,
                   const std::vector<bool>& kept_in, LayerWeights& w);

LayerWeights random_weights(const Layer& layer, const LayerPrecision& precision, uint64_t seed,
                            int layer_index);

// Real weights (header comment): the float weights of the kept rows and output channels,
// quantized per output channel, symmetric, to the channel's bits; `scales` gets each channel's
// step (0 for pruned or all-zero channels).
LayerWeights quantize_weights(const Layer& layer, const LayerPrecision& precision,
                              const std::vector<bool>& kept_in, const LayerParameters& p,
                              std::vector<double>& scales);

// Real weights: the accumulator back to a real value with kFractionBits fraction bits:
// acc x scale_j x 2^shift + bias_j x 2^F per kept output channel j, rounded half away; pruned
// channels are 0 (they do not exist).
Tensor rescale(const Layer& layer, const Tensor& acc, const std::vector<double>& scales,
               const std::vector<double>& bias, int shift, const std::vector<bool>& kept);

Tensor random_input(const Shape& shape, int batch, int bits, uint64_t seed);

// The values of an .npy array as reals (integers converted); InputError naming the file and
// `what` when one is not finite.
std::vector<double> finite_reals(const NpyArray& array, const std::string& what);

DataFiles load_data_files(const std::string& map_path, const Network& network,
                          const PrecisionProfile& profile, int batch);

}  // namespace mixpim::sim::functional_detail
