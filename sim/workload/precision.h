#pragma once
// Precision profiles: bits per weight (per output channel) and per input activation of every
// conv2d/linear layer, and pruned output channels. See workloads/README.md for the format.

#include <cstdint>
#include <string>
#include <vector>

#include "sim/workload/workload.h"

namespace mixpim::sim {

inline constexpr int kMinBits = 1;
inline constexpr int kMaxBits = 16;
inline constexpr int kBaselineBits = 16;

struct LayerPrecision {
  int activation_bits = 0;       // bits of the layer's input activations
  std::vector<int> weight_bits;  // per output channel (entries of pruned channels unused)
  std::vector<bool> kept;        // per output channel; all true without pruning

  int64_t kept_count() const;
  // Distinct bit-widths of the kept channels, ascending.
  std::vector<int> distinct_weight_bits() const;
};

struct PrecisionProfile {
  std::string name;
  std::string description;
  std::string network;      // family the profile was written for; empty = any
  std::string source_path;  // empty for built-in profiles
  // One entry per network layer, in layer order; empty (no bits) for layers without weights.
  std::vector<LayerPrecision> layers;
};

// Loads a profile for `network`; throws InputError listing every problem.
PrecisionProfile load_profile(const std::string& path, const Network& network);

// The same bits everywhere, nothing pruned (the 16-bit baseline is uniform_profile(net, 16)).
PrecisionProfile uniform_profile(const Network& network, int bits);

// Per-layer counts under a profile, pruning included (pruned output channels remove their
// weights and the matching input rows of the layers that consume them).
struct LayerCounts {
  int64_t kept_inputs = 0;   // input channels (features for linear) still consumed
  int64_t kept_outputs = 0;  // output channels (features) kept
  int64_t macs = 0;
  int64_t weights = 0;
  int64_t weight_memory_bits = 0;
};

// Per-layer kept-channel masks of every layer's output tensor (channels of [C, H, W],
// features of [N]); the basis of LayerCounts and of the compiler's row counts.
std::vector<std::vector<bool>> output_channel_masks(const Network& network,
                                                    const PrecisionProfile& profile);

// Kept input channels of each group of weight layer `layer` (one group unless it is a grouped
// convolution), from its producer's mask (all channels for the network input).
std::vector<int64_t> kept_inputs_per_group(const Network& network,
                                           const std::vector<std::vector<bool>>& masks, int layer);

std::vector<LayerCounts> count_layers(const Network& network, const PrecisionProfile& profile);

// Pruning that buys nothing or changes the task, said as warnings (one line each, no
// "warning:" prefix): channels pruned on one input of a residual add that the other input
// keeps (the add restores them, so no layer after it loses a row), and pruned outputs of the
// network's final weight layer (the classifier loses classes).
std::vector<std::string> profile_warnings(const Network& network, const PrecisionProfile& profile);

}  // namespace mixpim::sim
