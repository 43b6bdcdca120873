#include "sim/workload/workload.h"

#include <unordered_map>
#include <utility>

#include "sim/workload/onnx_import.h"
#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

namespace {

const std::vector<std::string_view> kLayerTypeNames = {
    "conv2d", "linear", "maxpool", "avgpool", "global_avgpool", "relu", "add", "flatten", "concat"};

constexpr int64_t kMaxDimension = 1 << 20;
constexpr int kMaxKernel = 1024;
// Products of shapes and MAC counts stay far below int64 overflow.
constexpr int64_t kMaxCount = int64_t{1} << 53;

// Multiplies positive factors; returns -1 once the product exceeds kMaxCount.
int64_t checked_product(const std::vector<int64_t>& factors) {
  int64_t product = 1;
  for (int64_t factor : factors) {
    if (factor != 0 && product > kMaxCount / factor) return -1;
    product *= factor;
  }
  return product;
}

std::optional<Shape> read_shape(const YamlNode* node, const std::string& path,
                                Diagnostics& diagnostics) {
  if (node == nullptr) return std::nullopt;
  if (!node->is_sequence() || node->items.empty() || node->items.size() > 3 ||
      node->items.size() == 2) {
    diagnostics.add(node->where, path,
                    "expected a shape [C, H, W] or [N], got " + node->describe());
    return std::nullopt;
  }
  Shape shape;
  bool ok = true;
  for (size_t i = 0; i < node->items.size(); ++i) {
    auto value = read_integer(node->items[i], index_path(path, i), 1, kMaxDimension, diagnostics);
    ok = ok && value.has_value();
    shape.push_back(value.value_or(0));
  }
  if (ok && checked_product(shape) < 0) {
    diagnostics.add(node->where, path,
                    "shape " + to_string(shape) + " is too large (more than 2^53 elements)");
    ok = false;
  }
  return ok ? std::optional<Shape>(shape) : std::nullopt;
}

// `kernel: 3` or `kernel: [3, 5]`.
// An integer or [height, width]; with `first` 0 or 2, items first and first + 1 of a list of
// four ([top, left, bottom, right] padding).
std::optional<std::pair<int, int>> read_pair(const YamlNode& node, const std::string& path, int min,
                                             int max, Diagnostics& diagnostics, int first = -1) {
  if (node.is_sequence()) {
    const size_t expected = first < 0 ? 2 : 4;
    if (node.items.size() != expected) {
      diagnostics.add(node.where, path,
                      "expected an integer or [height, width], got a list of " +
                          std::to_string(node.items.size()));
      return std::nullopt;
    }
    const size_t at = first < 0 ? 0 : static_cast<size_t>(first);
    auto h = read_integer(node.items[at], index_path(path, at), min, max, diagnostics);
    auto w = read_integer(node.items[at + 1], index_path(path, at + 1), min, max, diagnostics);
    if (!h || !w) return std::nullopt;
    return std::make_pair(static_cast<int>(*h), static_cast<int>(*w));
  }
  auto v = read_integer(node, path, min, max, diagnostics);
  if (!v) return std::nullopt;
  return std::make_pair(static_cast<int>(*v), static_cast<int>(*v));
}

int64_t window_output(int64_t size, int64_t extent, int stride, int64_t pads) {
  int64_t span = size + pads - extent;
  return span < 0 ? 0 : span / stride + 1;
}

// The output shape implied by a layer's type, parameters and input shape; empty with a
// diagnostic when the input shape does not suit the type.
Shape expected_output(const Layer& layer, const std::string& path, Diagnostics& diagnostics) {
  const Shape& in = layer.input_shape;
  auto need_rank = [&](size_t rank) {
    if (in.size() == rank) return true;
    diagnostics.add(layer.where, path + ".input",
                    std::string(to_string(layer.type)) + " expects a " +
                        (rank == 3 ? "[C, H, W]" : "[N]") + " input, got " + to_string(in));
    return false;
  };
  switch (layer.type) {
    case LayerType::kConv2d:
    case LayerType::kMaxPool:
    case LayerType::kAvgPool: {
      if (!need_rank(3)) return {};
      int64_t h = window_output(in[1], layer.kernel_extent_h(), layer.stride_h,
                                int64_t{layer.pad_h} + layer.pad_bottom);
      int64_t w = window_output(in[2], layer.kernel_extent_w(), layer.stride_w,
                                int64_t{layer.pad_w} + layer.pad_right);
      if (h == 0 || w == 0) {
        diagnostics.add(layer.where, path + ".kernel",
                        "kernel " + std::to_string(layer.kernel_h) + "x" +
                            std::to_string(layer.kernel_w) + " is larger than the padded input " +
                            to_string(in));
        return {};
      }
      int64_t channels = layer.type == LayerType::kConv2d
                             ? (layer.output_shape.empty() ? 0 : layer.output_shape[0])
                             : in[0];
      return {channels, h, w};
    }
    case LayerType::kLinear:
      if (!need_rank(1)) return {};
      if (layer.output_shape.size() != 1) {
        diagnostics.add(layer.where, path + ".output",
                        "linear expects an [N] output, got " + to_string(layer.output_shape));
        return {};
      }
      return layer.output_shape;
    case LayerType::kGlobalAvgPool:
      if (!need_rank(3)) return {};
      return {in[0], 1, 1};
    case LayerType::kFlatten:
      if (in.size() == 1) return in;
      if (!need_rank(3)) return {};
      return {in[0] * in[1] * in[2]};
    case LayerType::kRelu:
    case LayerType::kAdd:
      return in;
    case LayerType::kConcat:  // checked against every producer where they are known
      return layer.output_shape;
  }
  return {};
}

}  // namespace

std::string_view to_string(LayerType type) { return kLayerTypeNames.at(static_cast<size_t>(type)); }

std::string to_string(const Shape& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

int64_t Layer::dense_weights() const {
  if (!has_weights()) return 0;
  return out_channels() * group_in_channels() * kernel_area();
}

int64_t Layer::dense_macs() const { return dense_weights() * output_pixels(); }

int Network::index_of(std::string_view name) const {
  for (size_t i = 0; i < layers.size(); ++i) {
    if (layers[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

namespace {
Network network_from_yaml(YamlNode root, const std::string& path);
}  // namespace

Network load_network(const std::string& path) {
  // An ONNX model is imported (onnx_import.h) and read like a workload file.
  return is_onnx_path(path) ? load_imported_network(path, onnx_workload_yaml(path))
                            : network_from_yaml(load_yaml_file(path), path);
}

Network load_imported_network(const std::string& path, const std::string& workload_yaml) {
  return network_from_yaml(load_yaml_text(workload_yaml, path + " (imported)", false), path);
}

namespace {

Network network_from_yaml(YamlNode root, const std::string& path) {
  Diagnostics diagnostics;
  Network network;
  network.source_path = path;
  {
    MapReader top(&root, "", diagnostics, root.where);
    if (!top.present()) diagnostics.throw_if_any();
    network.name = top.string("name").value_or("");
    network.family = top.string("network").value_or("");
    network.dataset = top.string_or("dataset", "");
    network.input_shape =
        read_shape(top.get("input", true), "input", diagnostics).value_or(Shape{});
    if (!network.input_shape.empty() && network.input_shape.size() != 3) {
      diagnostics.add(top.get("input", false)->where, "input", "expected [C, H, W]");
    }

    const YamlNode* layers = top.get("layers", true);
    if (layers != nullptr && (!layers->is_sequence() || layers->items.empty())) {
      diagnostics.add(layers->where, "layers",
                      "expected a non-empty list of layers, got " + layers->describe());
      layers = nullptr;
    }
    std::unordered_map<std::string, int> index_by_name;
    for (size_t i = 0; layers != nullptr && i < layers->items.size(); ++i) {
      const YamlNode& node = layers->items[i];
      const std::string path_i = index_path("layers", i);
      MapReader entry(&node, path_i, diagnostics, node.where);
      if (!entry.present()) {
        // A placeholder keeps network.layers indexed like the items: names, `from` and the
        // default producer (i - 1) all use item indices.
        network.layers.emplace_back();
        continue;
      }
      Layer layer;
      layer.where = node.where;
      layer.name = entry.string("name").value_or("");
      if (!layer.name.empty()) {
        if (layer.name == "input") {
          diagnostics.add(entry.get("name", false)->where, path_i + ".name",
                          "\"input\" is reserved for the network input");
        } else if (!index_by_name.emplace(layer.name, static_cast<int>(i)).second) {
          diagnostics.add(entry.get("name", false)->where, path_i + ".name",
                          "duplicate layer name \"" + layer.name + "\"");
        }
      }
      auto type_index = entry.choice("type", kLayerTypeNames);
      bool usable = type_index.has_value();
      layer.type = static_cast<LayerType>(type_index.value_or(0));

      // Producers: `from: [a, b]`, default the previous layer (the input for the first).
      if (const YamlNode* from = entry.get("from", false)) {
        const size_t most = layer.type == LayerType::kConcat ? 64 : 2;
        if (!from->is_sequence() || from->items.empty() || from->items.size() > most) {
          diagnostics.add(from->where, path_i + ".from",
                          "expected a list of " +
                              std::string(most == 2 ? "one or two" : "two to 64") +
                              " layer names, got " + from->describe());
          usable = false;
        } else {
          for (size_t k = 0; k < from->items.size(); ++k) {
            const YamlNode& item = from->items[k];
            auto name = read_string(item, index_path(path_i + ".from", k), diagnostics);
            if (!name) {
              usable = false;
              continue;
            }
            if (*name == "input") {
              layer.producers.push_back(kNetworkInput);
              continue;
            }
            auto it = index_by_name.find(*name);
            if (it == index_by_name.end() || it->second >= static_cast<int>(i)) {
              diagnostics.add(item.where, index_path(path_i + ".from", k),
                              "no earlier layer named \"" + *name + "\"");
              usable = false;
              continue;
            }
            layer.producers.push_back(it->second);
          }
        }
      } else {
        layer.producers.push_back(static_cast<int>(i) - 1);  // -1 == kNetworkInput
      }
      const bool producers_ok = layer.type == LayerType::kAdd      ? layer.producers.size() == 2
                                : layer.type == LayerType::kConcat ? layer.producers.size() >= 2
                                                                   : layer.producers.size() == 1;
      if (usable && type_index && !producers_ok) {
        diagnostics.add(node.where, path_i + ".from",
                        layer.type == LayerType::kAdd ? "add needs exactly two producers in `from`"
                        : layer.type == LayerType::kConcat
                            ? "concat needs two or more producers in `from`"
                            : std::string(to_string(layer.type)) + " takes one producer");
        usable = false;
      }

      bool windowed = layer.type == LayerType::kConv2d || layer.type == LayerType::kMaxPool ||
                      layer.type == LayerType::kAvgPool;
      if (type_index && windowed) {
        if (auto kernel = entry.get("kernel", true)) {
          auto k = read_pair(*kernel, path_i + ".kernel", 1, kMaxKernel, diagnostics);
          if (k)
            std::tie(layer.kernel_h, layer.kernel_w) = *k;
          else
            usable = false;
        } else {
          usable = false;
        }
        bool pool = layer.type != LayerType::kConv2d;
        layer.stride_h = pool ? layer.kernel_h : 1;
        layer.stride_w = pool ? layer.kernel_w : 1;
        if (auto stride = entry.get("stride", false)) {
          auto s = read_pair(*stride, path_i + ".stride", 1, kMaxKernel, diagnostics);
          if (s)
            std::tie(layer.stride_h, layer.stride_w) = *s;
          else
            usable = false;
        }
        if (auto pad = entry.get("padding", false)) {
          // p, [h, w], or [top, left, bottom, right] (asymmetric, as ONNX models have it).
          std::optional<std::pair<int, int>> p;
          std::optional<std::pair<int, int>> far;
          if (pad->is_sequence() && pad->items.size() == 4) {
            p = read_pair(*pad, path_i + ".padding", 0, kMaxKernel, diagnostics, 0);
            far = read_pair(*pad, path_i + ".padding", 0, kMaxKernel, diagnostics, 2);
            if (!far) p.reset();
          } else {
            p = read_pair(*pad, path_i + ".padding", 0, kMaxKernel, diagnostics);
            far = p;
          }
          if (p) {
            std::tie(layer.pad_h, layer.pad_w) = *p;
            std::tie(layer.pad_bottom, layer.pad_right) = *far;
          } else {
            usable = false;
          }
          // A pooling window may not start or end in padding alone (PyTorch's rule): padding
          // above half the kernel would pool nothing but padding.
          const int most_h = std::max(layer.pad_h, layer.pad_bottom);
          const int most_w = std::max(layer.pad_w, layer.pad_right);
          if (p && pool && (2 * most_h > layer.kernel_h || 2 * most_w > layer.kernel_w)) {
            diagnostics.add(pad->where, path_i + ".padding",
                            "pooling padding must be at most half the kernel (" +
                                std::to_string(layer.kernel_h) + "x" +
                                std::to_string(layer.kernel_w) + "), got " +
                                std::to_string(most_h) + "x" + std::to_string(most_w));
            usable = false;
          }
        }
        if (auto groups = entry.get("groups", false)) {
          if (pool) {
            diagnostics.add(groups->where, path_i + ".groups", "groups apply to conv2d only");
            usable = false;
          } else if (auto g = entry.integer("groups", 1, 1 << 20)) {
            layer.groups = static_cast<int>(*g);
          } else {
            usable = false;
          }
        }
        if (auto dilation = entry.get("dilation", false)) {
          if (pool) {
            diagnostics.add(dilation->where, path_i + ".dilation",
                            "dilation applies to conv2d only");
            usable = false;
          } else if (auto d =
                         read_pair(*dilation, path_i + ".dilation", 1, kMaxKernel, diagnostics)) {
            std::tie(layer.dilation_h, layer.dilation_w) = *d;
          } else {
            usable = false;
          }
        }
      }
      if (type_index && layer.type == LayerType::kRelu && entry.get("max", false) != nullptr) {
        // ReLU6 and Clip(0, max): the bound in real units.
        const auto bound = entry.number("max", 1e-6, 1e12);
        if (bound)
          layer.relu_max = *bound;
        else
          usable = false;
      }
      auto input = read_shape(entry.get("input", true), path_i + ".input", diagnostics);
      auto output = read_shape(entry.get("output", true), path_i + ".output", diagnostics);
      usable = usable && input && output;

      if (usable) {
        layer.input_shape = *input;
        layer.output_shape = *output;
        // The declared input must be what the producers make (concat: the first producer's;
        // the others match its height and width, and the channels add up to the output's).
        int64_t channels = 0;
        bool channels_known = true;
        for (size_t k = 0; k < layer.producers.size(); ++k) {
          int p = layer.producers[k];
          const Shape& made =
              p == kNetworkInput ? network.input_shape : network.layers[p].output_shape;
          if (made.empty()) channels_known = false;
          if (layer.type == LayerType::kConcat && !made.empty()) channels += made[0];
          const bool differs = layer.type == LayerType::kConcat && k > 0
                                   ? made.size() != layer.input_shape.size() || made.size() != 3 ||
                                         made[1] != layer.input_shape[1] ||
                                         made[2] != layer.input_shape[2]
                                   : made != layer.input_shape;
          if (!made.empty() && differs) {
            std::string producer = p == kNetworkInput ? "the network input"
                                                      : "layer \"" + network.layers[p].name + "\"";
            diagnostics.add(entry.get("input", false)->where, path_i + ".input",
                            "declared " + to_string(layer.input_shape) + " but " + producer +
                                " produces " + to_string(made));
          }
        }
        if (layer.type == LayerType::kConcat && channels_known &&
            (layer.input_shape.size() != 3 || layer.output_shape.size() != 3 ||
             layer.output_shape[0] != channels || layer.output_shape[1] != layer.input_shape[1] ||
             layer.output_shape[2] != layer.input_shape[2])) {
          diagnostics.add(
              entry.get("output", false)->where, path_i + ".output",
              "declared " + to_string(layer.output_shape) + " but concat of its producers gives [" +
                  std::to_string(channels) +
                  (layer.input_shape.size() == 3 ? ", " + std::to_string(layer.input_shape[1]) +
                                                       ", " + std::to_string(layer.input_shape[2])
                                                 : std::string()) +
                  "]");
        }
        if (layer.groups > 1 && layer.input_shape.size() == 3 && !layer.output_shape.empty() &&
            (layer.input_shape[0] % layer.groups != 0 ||
             layer.output_shape[0] % layer.groups != 0)) {
          diagnostics.add(entry.get("groups", false)->where, path_i + ".groups",
                          std::to_string(layer.groups) + " groups do not divide " +
                              std::to_string(layer.input_shape[0]) + " input and " +
                              std::to_string(layer.output_shape[0]) + " output channels");
          usable = false;
        }
        Shape expected = expected_output(layer, path_i, diagnostics);
        if (!expected.empty() && expected != layer.output_shape) {
          diagnostics.add(entry.get("output", false)->where, path_i + ".output",
                          "declared " + to_string(layer.output_shape) + " but " +
                              std::string(to_string(layer.type)) + " of " +
                              to_string(layer.input_shape) + " gives " + to_string(expected));
        }
        if (layer.has_weights() &&
            checked_product({layer.out_channels(), layer.in_channels(), layer.kernel_area(),
                             layer.output_pixels()}) < 0) {
          diagnostics.add(node.where, path_i, "layer too large to count (more than 2^53 MACs)");
          layer.output_shape.clear();
        }
      }
      if (!usable) layer.output_shape.clear();  // consumers then skip their producer check
      network.layers.push_back(std::move(layer));
    }
  }
  diagnostics.throw_if_any();
  return network;
}

}  // namespace

}  // namespace mixpim::sim
