// Over 500 lines: import_onnx_bytes is one walk over the graph's nodes whose per-operator cases
// share the walk's state (tensor shapes, folded batch norms and pads, the names taken); cutting
// it into files would mean rewriting it around that state, not moving code.
#include "sim/workload/onnx_import.h"

#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

namespace {

using Dims = std::vector<int64_t>;

[[noreturn]] void fail(const std::string& path, const std::string& where, const std::string& what) {
  throw InputError({{SourceLocation{path, 0, 0}, where, what}});
}

std::string node_label(const onnx::NodeProto& node, int index) {
  return "node " + std::to_string(index) + " '" + node.name() + "' (" + node.op_type() + ")";
}

// A layer name for the workload: the node's name without characters YAML keys and file names
// dislike, or "<op>_<index>"; unique.
std::string layer_name(const onnx::NodeProto& node, int index, std::set<std::string>& used) {
  std::string name;
  for (char c : node.name()) {
    const bool keep =
        std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
    if (keep) {
      name += c;
    } else if (!name.empty() && name.back() != '_') {
      name += '_';
    }
  }
  while (!name.empty() && (name.back() == '_' || name.front() == '_')) {
    if (name.back() == '_') name.pop_back();
    if (!name.empty() && name.front() == '_') name.erase(name.begin());
  }
  if (name.empty()) {
    name = node.op_type();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    name += "_" + std::to_string(index);
  }
  std::string unique = name;
  for (int k = 2; used.count(unique) > 0; ++k) unique = name + "_" + std::to_string(k);
  used.insert(unique);
  return unique;
}

const onnx::AttributeProto* attribute(const onnx::NodeProto& node, const std::string& name) {
  for (const onnx::AttributeProto& a : node.attribute())
    if (a.name() == name) return &a;
  return nullptr;
}

std::vector<int64_t> ints(const onnx::NodeProto& node, const std::string& name,
                          std::vector<int64_t> fallback) {
  const onnx::AttributeProto* a = attribute(node, name);
  if (a == nullptr) return fallback;
  return {a->ints().begin(), a->ints().end()};
}

int64_t integer(const onnx::NodeProto& node, const std::string& name, int64_t fallback) {
  const onnx::AttributeProto* a = attribute(node, name);
  return a == nullptr ? fallback : a->i();
}

std::string text(const onnx::NodeProto& node, const std::string& name, std::string fallback) {
  const onnx::AttributeProto* a = attribute(node, name);
  return a == nullptr ? fallback : a->s();
}

std::string shape_text(const Dims& dims) {
  std::string out = "[";
  for (size_t i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

// One workload layer being written.
struct Out {
  std::string name, type;
  std::vector<std::string> from;  // producer layer names ("input" for the network input)
  Dims input, output;             // without the batch
  std::string extra;              // "kernel: 3, stride: 2, padding: 1"
  LayerParameters parameters;     // conv2d/linear
};

// `width` bytes of `raw` from `at` as an unsigned integer: ONNX stores raw data little-endian,
// decoded byte by byte, independent of the host.
uint64_t little_endian(const std::string& raw, size_t at, size_t width) {
  uint64_t bits = 0;
  for (size_t b = 0; b < width; ++b)
    bits |= uint64_t{static_cast<unsigned char>(raw[at + b])} << (8 * b);
  return bits;
}

// The values of a float or double tensor, C order, with its dimensions.
std::vector<double> tensor_values(const onnx::TensorProto& t, const std::string& path,
                                  const std::string& where, Dims* dims) {
  *dims = Dims(t.dims().begin(), t.dims().end());
  int64_t count = 1;
  for (int64_t d : *dims) {
    if (d < 0 || d > (int64_t{1} << 32))
      fail(path, where, "tensor '" + t.name() + "' has dimension " + std::to_string(d));
    count *= d;
    if (count > (int64_t{1} << 32)) fail(path, where, "tensor '" + t.name() + "' is too large");
  }
  std::vector<double> values;
  const bool is_float = t.data_type() == onnx::TensorProto::FLOAT;
  const bool is_double = t.data_type() == onnx::TensorProto::DOUBLE;
  if (!is_float && !is_double) {
    fail(path, where,
         "tensor '" + t.name() + "' has data type " + std::to_string(t.data_type()) +
             ": only float and double parameters are supported");
  }
  if (t.has_raw_data()) {
    const std::string& raw = t.raw_data();
    const size_t width = is_float ? 4 : 8;
    if (raw.size() != static_cast<size_t>(count) * width) {
      fail(path, where,
           "tensor '" + t.name() + "' holds " + std::to_string(raw.size()) + " bytes, its shape " +
               shape_text(*dims) + " needs " + std::to_string(count * static_cast<int64_t>(width)));
    }
    values.resize(static_cast<size_t>(count));
    for (size_t i = 0; i < values.size(); ++i) {
      const uint64_t bits = little_endian(raw, i * width, width);
      if (is_float) {
        const auto narrow = static_cast<uint32_t>(bits);
        float f;
        std::memcpy(&f, &narrow, sizeof f);
        values[i] = f;
      } else {
        std::memcpy(&values[i], &bits, sizeof(double));
      }
    }
  } else if (is_float) {
    values.assign(t.float_data().begin(), t.float_data().end());
  } else {
    values.assign(t.double_data().begin(), t.double_data().end());
  }
  if (static_cast<int64_t>(values.size()) != count) {
    fail(path, where,
         "tensor '" + t.name() + "' holds " + std::to_string(values.size()) +
             " values, its shape " + shape_text(*dims) + " needs " + std::to_string(count));
  }
  for (double v : values) {
    if (!std::isfinite(v))
      fail(path, where, "tensor '" + t.name() + "' holds a value that is not finite");
  }
  return values;
}

}  // namespace

std::string onnx_workload_yaml(const std::string& path) { return import_onnx(path).workload_yaml; }

bool is_onnx_path(const std::string& path) {
  return path.size() > 5 && path.compare(path.size() - 5, 5, ".onnx") == 0;
}

ImportedModel import_onnx(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "", "cannot open the file");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (!in && !in.eof()) fail(path, "", "cannot read the file");
  return import_onnx_bytes(bytes.str(), path);
}

ImportedModel import_onnx_bytes(std::string_view bytes, const std::string& path) {
  if (bytes.size() > (size_t{1} << 31) - 1)
    fail(path, "", "larger than 2 GB: protobuf cannot hold it (use a model without external data)");
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    fail(path, "", "not an ONNX model: the protobuf does not parse");
  }
  if (!model.has_graph() || model.graph().node_size() == 0) {
    fail(path, "graph", "the model has no graph nodes");
  }
  int64_t opset = 0;
  for (const onnx::OperatorSetIdProto& o : model.opset_import())
    if (o.domain().empty() || o.domain() == "ai.onnx") opset = o.version();
  if (opset < 7 || opset > 17) {
    fail(path, "opset_import",
         "opset " + std::to_string(opset) + " is outside the supported range [7, 17] (ONNX 1.12)");
  }
  for (const onnx::TensorProto& t : model.graph().initializer()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      fail(path, "initializer " + t.name(),
           "tensor data is stored outside the file (external data): not supported");
    }
  }
  // ONNX's shape inference divides by strides, dilations and groups unchecked (a zero stride
  // is a SIGFPE inside libonnx: found by the fuzzer), so they are checked first.
  for (int index = 0; index < model.graph().node_size(); ++index) {
    const onnx::NodeProto& node = model.graph().node(index);
    for (const onnx::AttributeProto& a : node.attribute()) {
      const std::string& name = a.name();
      if (name != "strides" && name != "dilations" && name != "kernel_shape" && name != "group")
        continue;
      const bool list = name != "group";
      std::vector<int64_t> values(a.ints().begin(), a.ints().end());
      if (!list) values = {a.i()};
      if (values.empty() ||
          std::any_of(values.begin(), values.end(), [](int64_t v) { return v < 1; }))
        fail(path, node_label(node, index),
             name + " " + (list ? shape_text(values) : std::to_string(a.i())) +
                 ": expected positive values");
    }
  }
  try {
    onnx::shape_inference::InferShapes(model);
  } catch (const std::exception& e) {
    fail(path, "graph", std::string("ONNX shape inference failed: ") + e.what());
  }
  const onnx::GraphProto& graph = model.graph();

  // Shapes of every value shape inference (or the file) gives; a batch dimension must be 1.
  std::map<std::string, Dims> shapes;
  auto record = [&](const onnx::ValueInfoProto& v) {
    if (!v.type().has_tensor_type() || !v.type().tensor_type().has_shape()) return;
    Dims dims;
    for (const auto& d : v.type().tensor_type().shape().dim())
      dims.push_back(d.has_dim_value() ? d.dim_value() : -1);
    shapes[v.name()] = dims;
  };
  for (const auto& v : graph.input()) record(v);
  for (const auto& v : graph.value_info()) record(v);
  for (const auto& v : graph.output()) record(v);
  std::map<std::string, const onnx::TensorProto*> constants;
  for (const onnx::TensorProto& t : graph.initializer()) constants[t.name()] = &t;
  for (const onnx::NodeProto& node : graph.node()) {
    if (node.op_type() == "Constant" && node.output_size() == 1) {
      const onnx::AttributeProto* value = attribute(node, "value");
      constants[node.output(0)] = value != nullptr && value->has_t() ? &value->t() : nullptr;
    }
  }
  // Nodes reading each value: folding into a layer needs its output to have one reader.
  std::map<std::string, int> readers;
  for (const onnx::NodeProto& node : graph.node())
    for (const std::string& v : node.input()) readers[v] += 1;
  for (const auto& v : graph.output()) readers[v.name()] += 1;
  auto constant_values = [&](const std::string& value, const std::string& where, Dims* dims) {
    const onnx::TensorProto* t = constants.at(value);
    if (t == nullptr)
      fail(path, where, "constant '" + value + "' is not given as a tensor (Constant `value`)");
    return tensor_values(*t, path, where, dims);
  };

  // The network input: the graph input that is not an initializer.
  std::string input_value;
  for (const auto& v : graph.input()) {
    if (constants.count(v.name()) == 0) {
      if (!input_value.empty()) fail(path, "graph.input", "more than one input: not supported");
      input_value = v.name();
    }
  }
  if (input_value.empty()) fail(path, "graph.input", "the model has no input");
  // Dimensions without the batch; a dynamic batch is taken as 1, any other unknown dimension
  // is an error naming the value.
  auto feature_dims = [&](const std::string& value, const std::string& where) {
    const auto it = shapes.find(value);
    if (it == shapes.end() || it->second.empty())
      fail(path, where, "the shape of '" + value + "' is unknown after shape inference");
    const Dims& d = it->second;
    if (d[0] > 1) fail(path, where, "batch " + std::to_string(d[0]) + ": export with batch 1");
    Dims out(d.begin() + 1, d.end());
    for (int64_t x : out)
      if (x <= 0) fail(path, where, "'" + value + "' has a dynamic shape " + shape_text(d));
    return out;
  };
  const Dims input_dims = feature_dims(input_value, "graph.input " + input_value);
  if (input_dims.size() != 3)
    fail(path, "graph.input " + input_value,
         "expected an image input [1, C, H, W], got [1" +
             (input_dims.empty() ? std::string("]") : ", " + shape_text(input_dims).substr(1)));

  std::vector<Out> layers;
  std::set<std::string> used{"input"};
  std::map<std::string, std::string> layer_of;  // value -> the workload layer that makes it
  std::map<std::string, std::string> kind_of;   // layer name -> its type
  layer_of[input_value] = "input";
  std::set<std::string> graph_outputs;
  for (const auto& v : graph.output()) graph_outputs.insert(v.name());

  // Zero padding by a Pad node, [top, left, bottom, right], by the value it makes: folded into
  // the Conv or AveragePool that reads it (and only there: max pooling pads with -inf).
  std::map<std::string, Dims> pending_pads;
  std::map<std::string, std::string> unpadded;  // padded value -> the value before the Pad
  auto producer = [&](const onnx::NodeProto& node, int index, int input) {
    const std::string& value = node.input(input);
    const auto it = layer_of.find(value);
    if (it == layer_of.end()) {
      fail(path, node_label(node, index),
           "input '" + value +
               "' is not made by a supported layer (a constant where a tensor "
               "is expected?)");
    }
    const bool absorbs = node.op_type() == "Conv" || node.op_type() == "AveragePool";
    if (pending_pads.count(value) > 0 && !(absorbs && input == 0))
      fail(path, node_label(node, index),
           "reads the zero-padded '" + value +
               "': a Pad is supported only before a Conv or an "
               "AveragePool");
    return it->second;
  };
  auto pads_of = [&](const onnx::NodeProto& node, int index, int spatial) {
    const std::string auto_pad = text(node, "auto_pad", "NOTSET");
    if (auto_pad != "NOTSET" && auto_pad != "VALID")
      fail(path, node_label(node, index), "auto_pad " + auto_pad + " is not supported");
    Dims pads = ints(node, "pads", Dims(static_cast<size_t>(2 * spatial), 0));
    if (pads.size() != 4)
      fail(path, node_label(node, index), "pads " + shape_text(pads) + ": expected 4 values");
    const auto pending = pending_pads.find(node.input(0));
    if (pending != pending_pads.end()) {
      if (node.op_type() == "AveragePool" && integer(node, "count_include_pad", 0) == 0)
        fail(path, node_label(node, index),
             "a Pad before an AveragePool without count_include_pad: the padded zeros would "
             "count, mixpim's average pooling does not know them");
      for (int k = 0; k < 4; ++k) pads[k] += pending->second[k];
    }
    if (node.op_type() == "AveragePool" && (pads[0] != 0 || pads[1] != 0) &&
        integer(node, "count_include_pad", 0) == 0 && pending == pending_pads.end())
      fail(path, node_label(node, index),
           "padding with count_include_pad 0 is not supported (mixpim's average pooling counts "
           "padding as zeros)");
    if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; }))
      fail(path, node_label(node, index), "negative padding " + shape_text(pads));
    return pads;
  };
  auto window_extra = [&](const onnx::NodeProto& node, int index, const Dims& kernel,
                          const Dims& pads) {
    const Dims strides = ints(node, "strides", {1, 1});
    if (strides.size() != 2 || strides[0] < 1 || strides[1] < 1)
      fail(path, node_label(node, index),
           "strides " + shape_text(strides) + ": expected 2 positive values");
    auto pair = [](int64_t a, int64_t b) {
      return a == b ? std::to_string(a) : "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
    };
    std::string extra = "kernel: " + pair(kernel[0], kernel[1]);
    if (strides[0] != 1 || strides[1] != 1) extra += ", stride: " + pair(strides[0], strides[1]);
    // pads are [top, left, bottom, right]
    if (pads[0] != pads[2] || pads[1] != pads[3]) {
      extra += ", padding: " + shape_text(pads);
    } else if (pads[0] != 0 || pads[1] != 0) {
      extra += ", padding: " + pair(pads[0], pads[1]);
    }
    const Dims dilations = ints(node, "dilations", {1, 1});
    if (node.op_type() == "Conv" && (dilations[0] != 1 || dilations[1] != 1))
      extra += ", dilation: " + pair(dilations[0], dilations[1]);
    return extra;
  };

  for (int index = 0; index < graph.node_size(); ++index) {
    const onnx::NodeProto& node = graph.node(index);
    const std::string& op = node.op_type();
    const std::string label = node_label(node, index);
    if (!node.domain().empty() && node.domain() != "ai.onnx")
      fail(path, label, "operator domain '" + node.domain() + "' is not supported");
    if (node.output_size() < 1 || node.output(0).empty())
      fail(path, label, "the node has no output");
    if (op == "Constant") continue;
    const int inputs_needed = op == "Add" || op == "Conv" || op == "Gemm" || op == "MatMul" ? 2 : 1;
    if (node.input_size() < inputs_needed)
      fail(path, label,
           "expected at least " + std::to_string(inputs_needed) + " input" +
               (inputs_needed > 1 ? "s" : "") + ", got " + std::to_string(node.input_size()));
    // Pass-through nodes: the output is the input's layer.
    if (op == "Identity" || op == "Dropout") {
      if (constants.count(node.input(0)) > 0) {  // a copy of a constant is a constant
        constants[node.output(0)] = constants[node.input(0)];
      } else {
        layer_of[node.output(0)] = producer(node, index, 0);
      }
      continue;
    }
    if (op == "Pad") {
      if (text(node, "mode", "constant") != "constant")
        fail(path, label,
             "Pad mode " + text(node, "mode", "constant") +
                 " is not supported (only constant zeros)");
      Dims pads;
      if (opset >= 11) {
        if (node.input_size() < 2 || constants.count(node.input(1)) == 0 ||
            constants.at(node.input(1)) == nullptr)
          fail(path, label, "the pads must be a constant");
        const onnx::TensorProto& t = *constants.at(node.input(1));
        if (t.data_type() != onnx::TensorProto::INT64) fail(path, label, "the pads must be int64");
        if (t.has_raw_data()) {
          const std::string& raw = t.raw_data();
          for (size_t i = 0; i + 8 <= raw.size(); i += 8) {
            pads.push_back(static_cast<int64_t>(little_endian(raw, i, 8)));
          }
        } else {
          pads.assign(t.int64_data().begin(), t.int64_data().end());
        }
        if (node.input_size() > 2 && !node.input(2).empty()) {
          Dims dims;
          if (constants.count(node.input(2)) == 0)
            fail(path, label, "the pad value must be a constant");
          const std::vector<double> v = constant_values(node.input(2), label + " value", &dims);
          if (v.size() != 1 || v[0] != 0) fail(path, label, "only zero padding is supported");
        }
      } else {
        pads = ints(node, "pads", {});
        const onnx::AttributeProto* value = attribute(node, "value");
        if (value != nullptr && value->f() != 0)
          fail(path, label, "only zero padding is supported");
      }
      // [n0, c0, h0, w0, n1, c1, h1, w1]
      if (pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
          std::any_of(pads.begin(), pads.end(), [](int64_t v) { return v < 0; }))
        fail(path, label,
             "pads " + shape_text(pads) + ": only non-negative padding of H and W is supported");
      layer_of[node.output(0)] = producer(node, index, 0);
      if (std::any_of(pads.begin(), pads.end(), [](int64_t v) { return v != 0; })) {
        if (readers[node.output(0)] != 1) fail(path, label, "the padded tensor must feed one node");
        pending_pads[node.output(0)] = {pads[2], pads[3], pads[6], pads[7]};
        unpadded[node.output(0)] = node.input(0);
      }
      continue;
    }
    if (op == "Softmax") {
      if (graph_outputs.count(node.output(0)) == 0)
        fail(path, label, "Softmax inside the network is not supported (only on the output)");
      layer_of[node.output(0)] = producer(node, index, 0);
      continue;
    }
    if (op == "BatchNormalization" ||
        (op == "Add" && node.input_size() == 2 &&
         (constants.count(node.input(0)) || constants.count(node.input(1))))) {
      // Folded into the Conv/Gemm before it (a bias, or a per-channel scale and shift).
      const int tensor = op == "Add" && constants.count(node.input(0)) ? 1 : 0;
      const std::string from = producer(node, index, tensor);
      const auto kind = kind_of.find(from);
      if (kind == kind_of.end() || (kind->second != "conv2d" && kind->second != "linear"))
        fail(path, label, op + " not directly after a Conv or Gemm cannot be folded");
      if (readers[node.input(tensor)] != 1)
        fail(path, label,
             op + " cannot be folded into " + from + ": its output '" + node.input(tensor) +
                 "' is also read elsewhere");
      Out& target =
          *std::find_if(layers.begin(), layers.end(), [&](const Out& o) { return o.name == from; });
      LayerParameters& p = target.parameters;
      const int64_t channels = static_cast<int64_t>(p.bias.size());
      const int64_t per_channel =
          channels == 0 ? 0 : static_cast<int64_t>(p.weights.size()) / channels;
      // One value per output channel, or one for all (broadcast).
      auto per_channel_values = [&](int input, const std::string& what) {
        if (node.input_size() <= input || constants.count(node.input(input)) == 0)
          fail(path, label, what + " must be a constant (initializer)");
        Dims dims;
        std::vector<double> v = constant_values(node.input(input), label + " " + what, &dims);
        if (v.size() == 1) v.assign(static_cast<size_t>(channels), v[0]);
        if (static_cast<int64_t>(v.size()) != channels)
          fail(path, label,
               what + " has shape " + shape_text(dims) +
                   ", expected one value per output channel (" + std::to_string(channels) + ")");
        return v;
      };
      if (op == "Add") {
        const std::vector<double> add = per_channel_values(1 - tensor, "the added constant");
        for (int64_t c = 0; c < channels; ++c) p.bias[c] += add[c];
      } else {
        if (node.input_size() < 5) fail(path, label, "expected 5 inputs (X, scale, B, mean, var)");
        const std::vector<double> scale = per_channel_values(1, "scale"),
                                  shift = per_channel_values(2, "B"),
                                  mean = per_channel_values(3, "mean"),
                                  var = per_channel_values(4, "var");
        const onnx::AttributeProto* eps = attribute(node, "epsilon");
        const double epsilon = eps == nullptr ? 1e-5 : eps->f();
        for (int64_t c = 0; c < channels; ++c) {
          if (var[c] + epsilon <= 0)
            fail(path, label, "var + epsilon is not positive for channel " + std::to_string(c));
          const double k = scale[c] / std::sqrt(var[c] + epsilon);
          for (int64_t i = 0; i < per_channel; ++i) p.weights[c * per_channel + i] *= k;
          p.bias[c] = (p.bias[c] - mean[c]) * k + shift[c];
        }
      }
      layer_of[node.output(0)] = from;
      continue;
    }
    Out l;
    l.name = layer_name(node, index, used);
    const std::string out_where = label + " output '" + node.output(0) + "'";
    if (op == "Conv") {
      const Dims dilations = ints(node, "dilations", {1, 1});
      if (dilations.size() != 2 || dilations[0] < 1 || dilations[1] < 1)
        fail(path, label, "dilations " + shape_text(dilations) + ": expected 2 positive values");
      if (node.input_size() < 2 || constants.count(node.input(1)) == 0)
        fail(path, label, "the weight must be a constant (initializer)");
      const Dims kernel = ints(node, "kernel_shape", {});
      if (kernel.size() != 2) fail(path, label, "only 2-D convolutions are supported");
      l.type = "conv2d";
      l.from = {producer(node, index, 0)};
      l.extra = window_extra(node, index, kernel, pads_of(node, index, 2));
      const int64_t groups = integer(node, "group", 1);
      if (groups != 1) l.extra += ", groups: " + std::to_string(groups);
    } else if (op == "Gemm" || op == "MatMul") {
      if (node.input_size() < 2 || constants.count(node.input(1)) == 0)
        fail(path, label, "the weight (second input) must be a constant (initializer)");
      if (op == "Gemm" && integer(node, "transA", 0) != 0)
        fail(path, label, "transA is not supported");
      l.type = "linear";
      l.from = {producer(node, index, 0)};
    } else if (op == "Relu") {
      l.type = "relu";
      l.from = {producer(node, index, 0)};
    } else if (op == "Clip") {
      // Clip(0, max) is a bounded relu (ReLU6); bounds are attributes (opset < 11) or constant
      // inputs.
      double lo = -1e300, hi = 1e300;
      if (opset < 11) {
        const onnx::AttributeProto* a = attribute(node, "min");
        const onnx::AttributeProto* b = attribute(node, "max");
        if (a != nullptr) lo = a->f();
        if (b != nullptr) hi = b->f();
      } else {
        auto bound = [&](int input, double fallback) {
          if (node.input_size() <= input || node.input(input).empty()) return fallback;
          if (constants.count(node.input(input)) == 0)
            fail(path, label, "the Clip bounds must be constants");
          Dims dims;
          const std::vector<double> v = constant_values(node.input(input), label + " bound", &dims);
          if (v.size() != 1) fail(path, label, "a Clip bound must be one value");
          return v[0];
        };
        lo = bound(1, lo);
        hi = bound(2, hi);
      }
      if (lo != 0 || !(hi > 0) || hi > 1e12)
        fail(path, label,
             "only Clip(0, max) with 0 < max <= 1e12 (ReLU6) is supported, got [" +
                 std::to_string(lo) + ", " + std::to_string(hi) + "]");
      l.type = "relu";
      l.from = {producer(node, index, 0)};
      std::ostringstream bound_text;
      bound_text.precision(17);
      bound_text << hi;
      l.extra = "max: " + bound_text.str();
    } else if (op == "MaxPool" || op == "AveragePool") {
      if (integer(node, "ceil_mode", 0) != 0) fail(path, label, "ceil_mode 1 is not supported");
      const Dims kernel = ints(node, "kernel_shape", {});
      if (kernel.size() != 2) fail(path, label, "only 2-D pooling is supported");
      l.type = op == "MaxPool" ? "maxpool" : "avgpool";
      l.from = {producer(node, index, 0)};
      l.extra = window_extra(node, index, kernel, pads_of(node, index, 2));
    } else if (op == "GlobalAveragePool") {
      l.type = "global_avgpool";
      l.from = {producer(node, index, 0)};
    } else if (op == "Add") {
      l.type = "add";
      l.from = {producer(node, index, 0), producer(node, index, 1)};
    } else if (op == "Concat") {
      const int64_t axis = integer(node, "axis", 1);
      const Dims out_dims = feature_dims(node.output(0), out_where);
      if (out_dims.size() != 3 || (axis != 1 && axis != -3))
        fail(path, label,
             "only Concat of [1, C, H, W] tensors along channels (axis 1) is supported");
      if (node.input_size() < 2) fail(path, label, "Concat needs two or more inputs");
      l.type = "concat";
      for (int k = 0; k < node.input_size(); ++k) l.from.push_back(producer(node, index, k));
    } else if (op == "Flatten" || op == "Reshape") {
      const std::string from = producer(node, index, 0);
      const Dims in_dims = feature_dims(node.input(0), label + " input '" + node.input(0) + "'");
      const Dims out_dims = feature_dims(node.output(0), out_where);
      if (out_dims.size() != 1)
        fail(path, label, "reshape to " + shape_text(out_dims) + ": only to [1, N] is supported");
      if (in_dims.size() == 1) {  // already a vector: a no-op
        layer_of[node.output(0)] = from;
        continue;
      }
      l.type = "flatten";
      l.from = {from};
    } else {
      fail(path, label, "operator " + op + " is not supported (README \"ONNX import\" lists them)");
    }
    // A folded Pad's layer reads the tensor before the Pad.
    const auto before_pad = unpadded.find(node.input(0));
    const std::string& read = before_pad == unpadded.end() ? node.input(0) : before_pad->second;
    l.input =
        l.from[0] == "input" ? input_dims : feature_dims(read, label + " input '" + read + "'");
    l.output = feature_dims(node.output(0), out_where);
    if (l.type == "linear" && (l.input.size() != 1 || l.output.size() != 1))
      fail(path, label,
           "a linear layer needs [1, N] input and output, got " + shape_text(l.input) + " -> " +
               shape_text(l.output));
    if (l.type == "conv2d" || l.type == "linear") {
      // The layer's float parameters (header comment).
      LayerParameters& p = l.parameters;
      const int64_t outs = l.output[0], ins = l.input[0];
      Dims dims;
      std::vector<double> w = constant_values(node.input(1), label + " weight", &dims);
      if (l.type == "conv2d") {
        const Dims kernel = ints(node, "kernel_shape", {});
        const int64_t groups = integer(node, "group", 1);
        if (ins % groups != 0 || outs % groups != 0)
          fail(path, label,
               std::to_string(groups) + " groups do not divide " + std::to_string(ins) +
                   " input and " + std::to_string(outs) + " output channels");
        p.weight_shape = {outs, ins / groups, kernel[0], kernel[1]};
        if (dims != p.weight_shape)
          fail(path, label,
               "weight '" + node.input(1) + "' has shape " + shape_text(dims) + ", expected " +
                   shape_text(p.weight_shape));
        p.weights = std::move(w);
      } else {
        const bool transposed = op == "Gemm" && integer(node, "transB", 0) != 0;
        const Dims expected = transposed ? Dims{outs, ins} : Dims{ins, outs};
        if (dims != expected)
          fail(path, label,
               "weight '" + node.input(1) + "' has shape " + shape_text(dims) + ", expected " +
                   shape_text(expected));
        const onnx::AttributeProto* alpha_attr = op == "Gemm" ? attribute(node, "alpha") : nullptr;
        const double alpha = alpha_attr == nullptr ? 1.0 : alpha_attr->f();
        p.weight_shape = {outs, ins};
        p.weights.resize(w.size());
        for (int64_t o = 0; o < outs; ++o)
          for (int64_t i = 0; i < ins; ++i)
            p.weights[o * ins + i] = alpha * (transposed ? w[o * ins + i] : w[i * outs + o]);
      }
      p.bias.assign(static_cast<size_t>(outs), 0.0);
      const bool has_bias =
          (op == "Conv" || op == "Gemm") && node.input_size() > 2 && !node.input(2).empty();
      if (has_bias) {
        if (constants.count(node.input(2)) == 0)
          fail(path, label, "the bias must be a constant (initializer)");
        const onnx::AttributeProto* beta_attr = op == "Gemm" ? attribute(node, "beta") : nullptr;
        const double beta = beta_attr == nullptr ? 1.0 : beta_attr->f();
        std::vector<double> b = constant_values(node.input(2), label + " bias", &dims);
        if (b.size() == 1) b.assign(static_cast<size_t>(outs), b[0]);
        if (static_cast<int64_t>(b.size()) != outs)
          fail(path, label,
               "bias '" + node.input(2) + "' has shape " + shape_text(dims) + ", expected [" +
                   std::to_string(outs) + "]");
        for (int64_t o = 0; o < outs; ++o) p.bias[o] = beta * b[o];
      }
    }
    layer_of[node.output(0)] = l.name;
    kind_of[l.name] = l.type;
    layers.push_back(std::move(l));
  }
  if (layers.empty()) fail(path, "graph", "no layers mixpim models");

  std::string stem = std::filesystem::path(path).stem().string();
  std::string name;
  for (char c : stem)
    name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  std::ostringstream yaml;
  yaml << "# Imported from " << std::filesystem::path(path).filename().string()
       << " by mixpim import (ONNX opset " << opset << ")\n";
  yaml << "name: " << name << "\nnetwork: " << name
       << "\ndataset: onnx\ninput: " << shape_text(input_dims) << "\nlayers:\n";
  std::string previous = "input";
  for (const Out& l : layers) {
    yaml << "  - {name: " << l.name << ", type: " << l.type;
    const bool explicit_from = l.from.size() > 1 || l.from[0] != previous;
    if (explicit_from) {
      yaml << ", from: [";
      for (size_t i = 0; i < l.from.size(); ++i) yaml << (i ? ", " : "") << l.from[i];
      yaml << "]";
    }
    if (!l.extra.empty()) yaml << ", " << l.extra;
    yaml << ", input: " << shape_text(l.input) << ", output: " << shape_text(l.output) << "}\n";
    previous = l.name;
  }
  ImportedModel imported;
  imported.workload_yaml = yaml.str();
  for (Out& l : layers) {
    if (l.type == "conv2d" || l.type == "linear")
      imported.parameters[l.name] = std::move(l.parameters);
  }
  return imported;
}

}  // namespace mixpim::sim
