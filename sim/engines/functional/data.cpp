#include "sim/engines/functional/data.h"

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

#include "sim/config/yaml_tree.h"
#include "sim/util/diagnostics.h"

namespace mixpim::sim::functional_detail {

std::vector<bool> input_mask(const Network& network, const std::vector<std::vector<bool>>& masks,
                             int layer) {
  const int producer = network.layers[layer].producers.at(0);
  if (producer == kNetworkInput)
    return std::vector<bool>(static_cast<size_t>(network.layers[layer].in_channels()), true);
  return masks[producer];
}

Shape weight_shape(const Layer& layer) {
  if (layer.type == LayerType::kLinear) return {layer.out_channels(), layer.in_channels()};
  return {layer.out_channels(), layer.group_in_channels(), layer.kernel_h, layer.kernel_w};
}

void apply_pruning(const Layer& layer, const LayerPrecision& precision,
                   const std::vector<bool>& kept_in, LayerWeights& w) {
  const int64_t cin = layer.group_in_channels(), area = layer.kernel_area();
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    const int64_t first_input = co / layer.group_out_channels() * cin;  // of its group
    for (int64_t ci = 0; ci < cin; ++ci) {
      if (precision.kept[co] && kept_in[first_input + ci]) continue;
      std::fill_n(w.values.begin() + (co * cin + ci) * area, area, 0);
    }
  }
}

LayerWeights random_weights(const Layer& layer, const LayerPrecision& precision, uint64_t seed,
                            int layer_index) {
  std::mt19937_64 rng(mix_seed(seed, static_cast<uint64_t>(layer_index) + 1));
  LayerWeights w;
  const int64_t per_channel = layer.group_in_channels() * layer.kernel_area();
  w.values.resize(static_cast<size_t>(layer.out_channels() * per_channel));
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    const int bits = precision.weight_bits[co];
    for (int64_t i = 0; i < per_channel; ++i) {
      // The top `bits` bits of a draw (the same on every platform), uniform over the symmetric
      // range [-(2^(w-1) - 1), 2^(w-1) - 1] by redrawing 0: zero mean, so that deep low-bit
      // layers fed by sparse ReLU outputs are not driven all negative (the full range's mean
      // is -1/2, which at 3 bits zeroed VGG19's last layers). 1-bit weights keep {-1, 0}.
      auto u = static_cast<int64_t>(rng() >> (64 - bits));
      while (bits > 1 && u == 0) u = static_cast<int64_t>(rng() >> (64 - bits));
      w.values[co * per_channel + i] = static_cast<int32_t>(u - (int64_t{1} << (bits - 1)));
    }
  }
  return w;
}

LayerWeights quantize_weights(const Layer& layer, const LayerPrecision& precision,
                              const std::vector<bool>& kept_in, const LayerParameters& p,
                              std::vector<double>& scales) {
  const int64_t cin = layer.group_in_channels(), area = layer.kernel_area();
  const int64_t per_channel = cin * area;
  LayerWeights w;
  w.values.assign(p.weights.size(), 0);
  scales.assign(static_cast<size_t>(layer.out_channels()), 0.0);
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    if (!precision.kept[co]) continue;
    const double* values = p.weights.data() + co * per_channel;
    const int64_t first_input = co / layer.group_out_channels() * cin;  // of its group
    auto kept = [&](int64_t i) { return kept_in[static_cast<size_t>(first_input + i / area)]; };
    double max_abs = 0;
    for (int64_t i = 0; i < per_channel; ++i)
      if (kept(i)) max_abs = std::max(max_abs, std::abs(values[i]));
    if (max_abs == 0) continue;
    const int bits = precision.weight_bits[co];
    // [-(2^(b-1) - 1), 2^(b-1) - 1]; one bit holds {-1, 0}.
    const int64_t hi = bits == 1 ? 0 : (int64_t{1} << (bits - 1)) - 1;
    const int64_t lo = bits == 1 ? -1 : -hi;
    const double scale = max_abs / static_cast<double>(bits == 1 ? 1 : hi);
    scales[co] = scale;
    for (int64_t i = 0; i < per_channel; ++i) {
      if (!kept(i)) continue;
      w.values[co * per_channel + i] =
          static_cast<int32_t>(std::clamp<int64_t>(round_to_int64(values[i] / scale), lo, hi));
    }
  }
  return w;
}

Tensor rescale(const Layer& layer, const Tensor& acc, const std::vector<double>& scales,
               const std::vector<double>& bias, int shift, const std::vector<bool>& kept) {
  Tensor out = acc;
  const int64_t cout = layer.out_channels(), pixels = layer.output_pixels();
  for (int n = 0; n < acc.batch; ++n) {
    for (int64_t j = 0; j < cout; ++j) {
      const double factor = std::ldexp(scales[j], shift);
      const double offset = std::ldexp(bias[j], kFractionBits);
      int64_t* o = out.data.data() + (n * cout + j) * pixels;
      for (int64_t q = 0; q < pixels; ++q)
        o[q] = kept[j] ? round_to_int64(static_cast<double>(o[q]) * factor + offset) : 0;
    }
  }
  return out;
}

Tensor random_input(const Shape& shape, int batch, int bits, uint64_t seed) {
  std::mt19937_64 rng(mix_seed(seed, 0));
  Tensor t = zeros(shape, batch);
  for (int64_t& v : t.data) v = static_cast<int64_t>(rng() >> (64 - bits));
  return t;
}

std::vector<double> finite_reals(const NpyArray& array, const std::string& what) {
  std::vector<double> values = array.reals;
  if (!array.is_float()) values.assign(array.integers.begin(), array.integers.end());
  for (double v : values) {
    if (!std::isfinite(v)) {
      throw InputError(
          {{SourceLocation{array.path, 0, 0}, "", what + " holds a value that is not finite"}});
    }
  }
  return values;
}

DataFiles load_data_files(const std::string& map_path, const Network& network,
                          const PrecisionProfile& profile, int batch) {
  DataFiles files;
  if (map_path.empty()) return files;
  const YamlNode root = load_yaml_file(map_path);
  Diagnostics diagnostics;
  if (!root.is_map()) {
    diagnostics.add(
        root.where, "",
        "expected a map from layer names (or `input`) to .npy files, got " + root.describe());
    diagnostics.throw_if_any();
  }
  namespace fs = std::filesystem;
  const fs::path base = fs::path(map_path).parent_path();
  for (const YamlMapEntry& entry : root.entries) {
    if (!entry.value.is_scalar() || entry.value.scalar.empty()) {
      diagnostics.add(entry.value.where, entry.key,
                      "expected the path of a .npy file, got " + entry.value.describe());
      continue;
    }
    const std::string path = (base / fs::path(entry.value.scalar)).lexically_normal().string();
    int index = entry.key == "input" ? kNetworkInput : network.index_of(entry.key);
    // `<layer>.bias`: the float bias of a layer with float weights (unless a layer has that name).
    const std::string suffix = ".bias";
    bool is_bias = false;
    if (index < 0 && entry.key.size() > suffix.size() &&
        entry.key.compare(entry.key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      index = network.index_of(entry.key.substr(0, entry.key.size() - suffix.size()));
      is_bias = index >= 0;
    }
    if (entry.key != "input" && (index < 0 || !network.layers[index].has_weights())) {
      diagnostics.add(entry.key_where, entry.key,
                      index < 0
                          ? "no layer of that name in " + network.name +
                                " (keys: conv2d/linear layer names, <layer>.bias or `input`)"
                          : "layer " + network.layers[index].name +
                                " has no weights (keys: conv2d/linear layer names, <layer>.bias "
                                "or `input`)");
      continue;
    }
    try {
      const NpyArray array = read_npy(path);
      if (index == kNetworkInput) {
        Shape expected = network.input_shape;
        expected.insert(expected.begin(), batch);
        if (!(batch == 1 && array.shape == network.input_shape)) {
          expect_npy_shape(
              array, expected,
              "network input of " + network.name + " (batch " + std::to_string(batch) + ")");
        }
        Tensor t;
        t.shape = network.input_shape;
        t.batch = batch;
        constexpr double kLimit = 1099511627776.0;  // 2^40
        if (array.is_float()) {
          // Fixed point with kFractionBits fraction bits (header comment).
          t.data.resize(array.reals.size());
          for (size_t i = 0; i < t.data.size(); ++i) {
            const double v = array.reals[i];
            if (!std::isfinite(v) || std::abs(v) > kLimit) {
              throw InputError({{SourceLocation{path, 0, 0}, "",
                                 "element " + std::to_string(i) + " is " + std::to_string(v) +
                                     ": expected finite values within +-2^40"}});
            }
            t.data[i] = round_to_int64(std::ldexp(v, kFractionBits));
          }
          files.input_fixed_point = true;
        } else {
          t.data = npy_integer_values(array);
          for (size_t i = 0; i < t.data.size(); ++i) {
            if (t.data[i] < -(int64_t{1} << 40) || t.data[i] > (int64_t{1} << 40)) {
              throw InputError(
                  {{SourceLocation{path, 0, 0}, "",
                    "element " + std::to_string(i) + " is " + std::to_string(t.data[i]) +
                        ": expected integers within +-2^40"}});
            }
          }
        }
        files.input = std::move(t);
        files.input_path = path;
        continue;
      }
      const Layer& layer = network.layers[index];
      if (is_bias) {
        expect_npy_shape(array, {layer.out_channels()}, "bias of layer " + layer.name);
        files.parameters[index].bias = finite_reals(array, "bias of layer " + layer.name);
        files.weight_files.emplace_back(entry.key, path);
        continue;
      }
      expect_npy_shape(array, weight_shape(layer),
                       "weights of " + std::string(to_string(layer.type)) + " layer " + layer.name);
      if (array.is_float()) {
        // Real weights, quantized per output channel by the run (header comment).
        LayerParameters& p = files.parameters[index];
        p.weight_shape = weight_shape(layer);
        p.weights = finite_reals(array, "weights of layer " + layer.name);
        files.weight_files.emplace_back(layer.name, path);
        continue;
      }
      std::vector<int64_t> values = npy_integer_values(array);
      const LayerPrecision& precision = profile.layers[index];
      const int64_t per_channel = layer.group_in_channels() * layer.kernel_area();
      LayerWeights w;
      w.values.resize(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        const int64_t co = static_cast<int64_t>(i) / per_channel;
        const int bits = precision.weight_bits[co];
        const int64_t lo = -(int64_t{1} << (bits - 1)), hi = (int64_t{1} << (bits - 1)) - 1;
        if (precision.kept[co] && (values[i] < lo || values[i] > hi)) {
          throw InputError(
              {{SourceLocation{path, 0, 0}, "",
                "weights of layer " + layer.name + ": element " + std::to_string(i) +
                    " (output channel " + std::to_string(co) + ") is " + std::to_string(values[i]) +
                    ", outside the channel's " + std::to_string(bits) + "-bit range [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "]"}});
        }
        w.values[i] = precision.kept[co] ? static_cast<int32_t>(values[i]) : 0;
      }
      files.weights[index] = std::move(w);
      files.weight_files.emplace_back(layer.name, path);
    } catch (const InputError& e) {
      // Name the map entry that led to the file as well.
      for (const Diagnostic& d : e.diagnostics()) {
        diagnostics.add(d.where, d.key_path,
                        d.message + " (from " + entry.value.where.to_string() + ")");
      }
    }
  }
  diagnostics.throw_if_any();
  return files;
}

}  // namespace mixpim::sim::functional_detail
