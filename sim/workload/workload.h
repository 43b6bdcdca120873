#pragma once
// Network IR: a list of layers in execution order with explicit, checked shapes.
// Shapes are [C, H, W] for feature maps and [N] for vectors (batch of one).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

enum class LayerType {
  kConv2d,
  kLinear,
  kMaxPool,
  kAvgPool,
  kGlobalAvgPool,
  kRelu,
  kAdd,
  kFlatten,
  kConcat  // channels of two or more producers with the same height and width, side by side
};

std::string_view to_string(LayerType type);

using Shape = std::vector<int64_t>;
std::string to_string(const Shape& shape);  // "[64, 32, 32]"

inline constexpr int kNetworkInput = -1;  // producer index meaning "the network's input"

struct Layer {
  std::string name;
  LayerType type = LayerType::kRelu;
  std::vector<int> producers;  // indices into Network::layers, or kNetworkInput
  Shape input_shape;
  Shape output_shape;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;            // top and left padding (the window's offset)
  int pad_bottom = 0, pad_right = 0;   // bottom and right (equal to pad_h, pad_w unless given)
  int dilation_h = 1, dilation_w = 1;  // conv2d: spacing of the kernel taps
  // conv2d: input and output channels split into `groups` equal parts, output channel j reading
  // only the inputs of its group j / (Cout / groups) (depthwise: groups = Cin).
  int groups = 1;
  // relu only: an upper bound in real units (ReLU6, ONNX Clip(0, max)); 0 = none. Applied by
  // the functional engine with real weights (sim/engines/functional.h); a comparator like relu's.
  double relu_max = 0;
  SourceLocation where;

  // conv2d and linear: the layers that hold weights in crossbars.
  bool has_weights() const { return type == LayerType::kConv2d || type == LayerType::kLinear; }
  int64_t in_channels() const { return input_shape[0]; }    // features for linear
  int64_t out_channels() const { return output_shape[0]; }  // features for linear
  int64_t kernel_area() const { return int64_t{kernel_h} * kernel_w; }
  int64_t group_in_channels() const { return in_channels() / groups; }    // inputs per group
  int64_t group_out_channels() const { return out_channels() / groups; }  // outputs per group
  // Input rows and columns one window spans: (k - 1) x dilation + 1.
  int64_t kernel_extent_h() const { return int64_t{kernel_h - 1} * dilation_h + 1; }
  int64_t kernel_extent_w() const { return int64_t{kernel_w - 1} * dilation_w + 1; }
  // Output positions per inference: one matrix-vector product each (im2col).
  int64_t output_pixels() const {
    return output_shape.size() == 3 ? output_shape[1] * output_shape[2] : 1;
  }
  // Dense (unpruned) counts; zero for layers without weights.
  int64_t dense_weights() const;
  int64_t dense_macs() const;
};

// Float parameters of one conv2d/linear layer, as a trained model holds them (an imported ONNX
// model's, batch norm and bias adds folded in; or a --data file's). The functional engine
// quantizes them (sim/engines/functional.h "Real weights").
struct LayerParameters {
  Shape weight_shape;           // [Cout, Cin, kh, kw] (conv2d) or [out, in] (linear)
  std::vector<double> weights;  // C order
  std::vector<double> bias;     // one per output channel (zeros when the model has none)
};

struct Network {
  std::string name;
  std::string family;  // `network:` key, e.g. "vgg19"
  std::string dataset;
  Shape input_shape;
  std::vector<Layer> layers;
  std::string source_path;

  // Index of the layer called `name`, or -1.
  int index_of(std::string_view name) const;
};

// Loads and checks a network file. Throws InputError listing every problem found.
Network load_network(const std::string& path);
// The workload `workload_yaml` (an ONNX model at `path` as onnx_workload_yaml writes it), checked
// like a workload file and located at `path`.
Network load_imported_network(const std::string& path, const std::string& workload_yaml);

}  // namespace mixpim::sim
