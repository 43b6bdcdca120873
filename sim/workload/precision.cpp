#include "sim/workload/precision.h"

#include <algorithm>
#include <numeric>
#include <utility>

#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

int64_t LayerPrecision::kept_count() const { return std::count(kept.begin(), kept.end(), true); }

std::vector<int> LayerPrecision::distinct_weight_bits() const {
  std::vector<int> bits;
  for (size_t j = 0; j < weight_bits.size(); ++j) {
    if (kept[j]) bits.push_back(weight_bits[j]);
  }
  std::sort(bits.begin(), bits.end());
  bits.erase(std::unique(bits.begin(), bits.end()), bits.end());
  return bits;
}

namespace {

// Fields a layer entry (or `default`) may set; unset ones stay empty.
struct PartialPrecision {
  std::optional<int> activation_bits;
  std::optional<std::vector<int>> weight_bits;  // already per channel, or one value
  std::optional<std::vector<bool>> kept;
  bool weight_bits_scalar = false;
};

// weight_bits: N | [per-channel list] | [{bits: N, count: M}, ...]
std::optional<std::vector<int>> read_weight_bits(const YamlNode& node, const std::string& path,
                                                 int64_t channels, bool& scalar,
                                                 Diagnostics& diagnostics) {
  if (node.is_scalar()) {
    auto bits = read_integer(node, path, kMinBits, kMaxBits, diagnostics);
    if (!bits) return std::nullopt;
    scalar = true;
    return std::vector<int>{static_cast<int>(*bits)};
  }
  if (!node.is_sequence() || node.items.empty()) {
    diagnostics.add(
        node.where, path,
        "expected bits (integer), a per-channel list or run-length groups, got " + node.describe());
    return std::nullopt;
  }
  if (channels < 0) {  // in `default`: only a single value makes sense for every layer
    diagnostics.add(node.where, path, "default weight_bits must be a single integer");
    return std::nullopt;
  }
  std::vector<int> bits;
  bool ok = true;
  if (node.items.front().is_map()) {  // run-length groups
    int64_t total = 0;
    for (size_t g = 0; g < node.items.size(); ++g) {
      const std::string gpath = index_path(path, g);
      MapReader group(&node.items[g], gpath, diagnostics, node.items[g].where);
      auto b = group.integer("bits", kMinBits, kMaxBits);
      auto count = group.integer("count", 1, int64_t{1} << 24);
      if (!group.present() || !b || !count) {
        ok = false;
        continue;
      }
      total += *count;
      if (total <= channels)
        bits.insert(bits.end(), static_cast<size_t>(*count), static_cast<int>(*b));
    }
    if (ok && total != channels) {
      diagnostics.add(node.where, path,
                      "run-length counts sum to " + std::to_string(total) + ", layer has " +
                          std::to_string(channels) + " output channels");
      ok = false;
    }
  } else {
    if (static_cast<int64_t>(node.items.size()) != channels) {
      diagnostics.add(node.where, path,
                      "per-channel list has " + std::to_string(node.items.size()) +
                          " entries, layer has " + std::to_string(channels) + " output channels");
      return std::nullopt;
    }
    for (size_t j = 0; j < node.items.size(); ++j) {
      auto b = read_integer(node.items[j], index_path(path, j), kMinBits, kMaxBits, diagnostics);
      ok = ok && b.has_value();
      bits.push_back(static_cast<int>(b.value_or(0)));
    }
  }
  if (!ok) return std::nullopt;
  return bits;
}

// kept_channels: N (first N) | [strictly increasing indices]
std::optional<std::vector<bool>> read_kept(const YamlNode& node, const std::string& path,
                                           int64_t channels, Diagnostics& diagnostics) {
  std::vector<bool> kept(static_cast<size_t>(channels), false);
  if (node.is_scalar()) {
    auto n = read_integer(node, path, 1, channels, diagnostics);
    if (!n) return std::nullopt;
    std::fill(kept.begin(), kept.begin() + *n, true);
    return kept;
  }
  if (!node.is_sequence() || node.items.empty()) {
    diagnostics.add(
        node.where, path,
        "expected a count or a non-empty list of channel indices, got " + node.describe());
    return std::nullopt;
  }
  int64_t previous = -1;
  for (size_t k = 0; k < node.items.size(); ++k) {
    auto index = read_integer(node.items[k], index_path(path, k), 0, channels - 1, diagnostics);
    if (!index) return std::nullopt;
    if (*index <= previous) {
      diagnostics.add(node.items[k].where, index_path(path, k),
                      "channel indices must be strictly increasing");
      return std::nullopt;
    }
    previous = *index;
    kept[static_cast<size_t>(*index)] = true;
  }
  return kept;
}

PartialPrecision read_entry(const YamlNode* node, const std::string& path, int64_t channels,
                            Diagnostics& diagnostics) {
  PartialPrecision partial;
  MapReader entry(node, path, diagnostics, node ? node->where : SourceLocation{});
  if (!entry.present()) return partial;
  if (const YamlNode* a = entry.get("activation_bits", false)) {
    auto bits =
        read_integer(*a, join_path(path, "activation_bits"), kMinBits, kMaxBits, diagnostics);
    if (bits) partial.activation_bits = static_cast<int>(*bits);
  }
  if (const YamlNode* w = entry.get("weight_bits", false)) {
    partial.weight_bits = read_weight_bits(*w, join_path(path, "weight_bits"), channels,
                                           partial.weight_bits_scalar, diagnostics);
  }
  if (channels >= 0) {
    if (const YamlNode* k = entry.get("kept_channels", false)) {
      partial.kept = read_kept(*k, join_path(path, "kept_channels"), channels, diagnostics);
    }
  }
  return partial;
}

LayerPrecision uniform_layer(const Layer& layer, int bits) {
  LayerPrecision precision;
  precision.activation_bits = bits;
  precision.weight_bits.assign(static_cast<size_t>(layer.out_channels()), bits);
  precision.kept.assign(static_cast<size_t>(layer.out_channels()), true);
  return precision;
}

}  // namespace

PrecisionProfile uniform_profile(const Network& network, int bits) {
  PrecisionProfile profile;
  profile.name = "uniform" + std::to_string(bits);
  profile.description = "built-in: " + std::to_string(bits) + "-bit weights and activations";
  profile.layers.resize(network.layers.size());
  for (size_t i = 0; i < network.layers.size(); ++i) {
    if (network.layers[i].has_weights()) profile.layers[i] = uniform_layer(network.layers[i], bits);
  }
  return profile;
}

PrecisionProfile load_profile(const std::string& path, const Network& network) {
  YamlNode root = load_yaml_file(path);
  Diagnostics diagnostics;
  PrecisionProfile profile;
  profile.source_path = path;
  profile.layers.resize(network.layers.size());
  {
    MapReader top(&root, "", diagnostics, root.where);
    if (!top.present()) diagnostics.throw_if_any();
    profile.name = top.string("name").value_or("");
    profile.description = top.string_or("description", "");
    if (const YamlNode* family = top.get("network", false)) {
      profile.network = read_string(*family, "network", diagnostics).value_or("");
      if (!profile.network.empty() && profile.network != network.family) {
        diagnostics.add(family->where, "network",
                        "profile is for \"" + profile.network + "\" but workload " +
                            network.source_path + " is \"" + network.family + "\"");
      }
    }
    const YamlNode* default_node = top.get("default", false);
    const size_t before_default = diagnostics.size();
    PartialPrecision defaults = read_entry(default_node, "default", -1, diagnostics);
    const bool default_failed = diagnostics.size() > before_default;

    const YamlNode* layers = top.get("layers", false);
    std::vector<const YamlNode*> entry_of(network.layers.size(), nullptr);
    if (layers != nullptr) {
      MapReader layer_map(layers, "layers", diagnostics, layers->where);
      if (layer_map.present()) {
        for (const YamlMapEntry& e : layers->entries) {
          layer_map.allow(e.key);
          int index = network.index_of(e.key);
          const std::string lpath = join_path("layers", e.key);
          if (index < 0) {
            diagnostics.add(e.key_where, lpath, "no layer of that name in " + network.source_path);
          } else if (!network.layers[index].has_weights()) {
            diagnostics.add(e.key_where, lpath,
                            "is a " + std::string(to_string(network.layers[index].type)) +
                                " layer; precision applies to conv2d and linear layers only");
          } else {
            entry_of[index] = &e.value;
          }
        }
      }
    }

    for (size_t i = 0; i < network.layers.size(); ++i) {
      const Layer& layer = network.layers[i];
      if (!layer.has_weights()) continue;
      const std::string lpath = join_path("layers", layer.name);
      const size_t before_own = diagnostics.size();
      PartialPrecision own = read_entry(entry_of[i], lpath, layer.out_channels(), diagnostics);
      const bool own_failed = diagnostics.size() > before_own;
      LayerPrecision& p = profile.layers[i];
      const SourceLocation where = entry_of[i] ? entry_of[i]->where : top.where();

      auto activation = own.activation_bits ? own.activation_bits : defaults.activation_bits;
      auto weights = own.weight_bits ? own.weight_bits : defaults.weight_bits;
      bool scalar = own.weight_bits ? own.weight_bits_scalar : defaults.weight_bits_scalar;
      if (!activation || !weights) {
        // A failed read of the entry or of `default` already explains the gap.
        if (!own_failed && !default_failed) {
          diagnostics.add(where, lpath,
                          std::string("no ") + (!activation ? "activation_bits" : "weight_bits") +
                              " for this layer and no default");
        }
        continue;
      }
      p.activation_bits = *activation;
      p.weight_bits =
          scalar ? std::vector<int>(static_cast<size_t>(layer.out_channels()), weights->front())
                 : *weights;
      p.kept =
          own.kept ? *own.kept : std::vector<bool>(static_cast<size_t>(layer.out_channels()), true);
    }
  }
  diagnostics.throw_if_any();
  return profile;
}

std::vector<std::vector<bool>> output_channel_masks(const Network& network,
                                                    const PrecisionProfile& profile) {
  std::vector<std::vector<bool>> masks(network.layers.size());
  const std::vector<bool> input_mask(static_cast<size_t>(network.input_shape.at(0)), true);
  auto producer_mask = [&](int p) -> const std::vector<bool>& {
    return p == kNetworkInput ? input_mask : masks[static_cast<size_t>(p)];
  };
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    const std::vector<bool>& in = producer_mask(layer.producers.at(0));
    switch (layer.type) {
      case LayerType::kConv2d:
      case LayerType::kLinear:
        masks[i] = profile.layers.at(i).kept;
        break;
      case LayerType::kAdd: {
        const std::vector<bool>& other = producer_mask(layer.producers.at(1));
        masks[i].resize(in.size());
        for (size_t c = 0; c < in.size(); ++c) masks[i][c] = in[c] || other[c];
        break;
      }
      case LayerType::kConcat:
        for (int p : layer.producers) {
          const std::vector<bool>& m = producer_mask(p);
          masks[i].insert(masks[i].end(), m.begin(), m.end());
        }
        break;
      case LayerType::kFlatten: {
        if (layer.input_shape.size() == 1) {
          masks[i] = in;
          break;
        }
        const int64_t per_channel = layer.input_shape[1] * layer.input_shape[2];
        masks[i].reserve(static_cast<size_t>(layer.output_shape[0]));
        for (bool kept : in)
          masks[i].insert(masks[i].end(), static_cast<size_t>(per_channel), kept);
        break;
      }
      case LayerType::kMaxPool:
      case LayerType::kAvgPool:
      case LayerType::kGlobalAvgPool:
      case LayerType::kRelu:
        masks[i] = in;
        break;
    }
  }
  return masks;
}

std::vector<int64_t> kept_inputs_per_group(const Network& network,
                                           const std::vector<std::vector<bool>>& masks,
                                           int layer_index) {
  const Layer& layer = network.layers.at(layer_index);
  const int p = layer.producers.at(0);
  const int64_t per_group = layer.group_in_channels();
  std::vector<int64_t> kept(static_cast<size_t>(layer.groups), per_group);
  if (p == kNetworkInput) return kept;
  for (int g = 0; g < layer.groups; ++g) {
    const auto first = masks[p].begin() + g * per_group;
    kept[static_cast<size_t>(g)] = std::count(first, first + per_group, true);
  }
  return kept;
}

std::vector<LayerCounts> count_layers(const Network& network, const PrecisionProfile& profile) {
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);
  std::vector<LayerCounts> counts(network.layers.size());
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    if (!layer.has_weights()) continue;
    LayerCounts& c = counts[i];
    const LayerPrecision& precision = profile.layers.at(i);
    c.kept_outputs = precision.kept_count();
    // Output channel j reads the kept inputs of its group (all of them unless grouped).
    const std::vector<int64_t> group_inputs =
        kept_inputs_per_group(network, masks, static_cast<int>(i));
    c.kept_inputs = std::accumulate(group_inputs.begin(), group_inputs.end(), int64_t{0});
    const int64_t per_group = layer.group_out_channels();
    for (size_t j = 0; j < precision.weight_bits.size(); ++j) {
      if (!precision.kept[j]) continue;
      const int64_t rows = group_inputs[static_cast<size_t>(static_cast<int64_t>(j) / per_group)] *
                           layer.kernel_area();
      c.weights += rows;
      c.weight_memory_bits += precision.weight_bits[j] * rows;
    }
    c.macs = c.weights * layer.output_pixels();
  }
  return counts;
}

std::vector<std::string> profile_warnings(const Network& network, const PrecisionProfile& profile) {
  std::vector<std::string> warnings;
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);
  // The weight layer whose channel mask a tensor carries (through ReLU, pooling, flatten), or
  // -1 (the network input or another add).
  auto source = [&](int p) {
    while (p != kNetworkInput && !network.layers[static_cast<size_t>(p)].has_weights() &&
           network.layers[static_cast<size_t>(p)].type != LayerType::kAdd) {
      p = network.layers[static_cast<size_t>(p)].producers.at(0);
    }
    return p != kNetworkInput && network.layers[static_cast<size_t>(p)].has_weights() ? p : -1;
  };
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    if (layer.type != LayerType::kAdd || layer.producers.size() != 2) continue;
    for (size_t k = 0; k < 2; ++k) {
      const int mine = layer.producers[k], other = layer.producers[1 - k];
      if (mine == kNetworkInput) continue;
      const std::vector<bool>& a = masks[static_cast<size_t>(mine)];
      const std::vector<bool> all(a.size(), true);
      const std::vector<bool>& b = other == kNetworkInput ? all : masks[static_cast<size_t>(other)];
      int64_t restored = 0;
      for (size_t c = 0; c < a.size() && c < b.size(); ++c) restored += !a[c] && b[c];
      const int from = source(mine);
      if (restored == 0 || from < 0) continue;
      warnings.push_back("pruning " + std::to_string(restored) + " channel(s) of " +
                         network.layers[static_cast<size_t>(from)].name + " saves nothing after " +
                         layer.name +
                         ": its other input keeps them, so the layers after the add keep their "
                         "rows (prune the same channels on both inputs)");
    }
  }
  // The classifier: the weight layer the network's output comes from.
  if (!network.layers.empty()) {
    const int last = source(static_cast<int>(network.layers.size()) - 1);
    if (last >= 0) {
      const LayerPrecision& p = profile.layers[static_cast<size_t>(last)];
      const int64_t pruned = static_cast<int64_t>(p.kept.size()) - p.kept_count();
      if (pruned > 0) {
        warnings.push_back("pruning " + std::to_string(pruned) + " of " +
                           std::to_string(p.kept.size()) + " outputs of the classifier " +
                           network.layers[static_cast<size_t>(last)].name +
                           " removes classes from the network's answer");
      }
    }
  }
  return warnings;
}

}  // namespace mixpim::sim
