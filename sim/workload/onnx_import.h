#pragma once
// ONNX import: reads a model with the ONNX library (protobuf schema and shape inference from
// Debian's libonnx), never by hand, and writes it as a mixpim workload (YAML text in the format
// of workloads/*.yaml), so every command reads an imported model the way it reads a shipped one
// (load_network accepts an .onnx path and imports it).
//
// Operators (README "ONNX import"): Conv (group 1; padding, also asymmetric; dilation), Gemm
// and MatMul with a constant weight, an Add of a constant after them (the bias),
// BatchNormalization after a Conv or Gemm (folded into it), Relu, Clip(0, max) (a bounded
// relu), MaxPool and AveragePool (no ceil mode; AveragePool padding only with
// count_include_pad), a zero Pad before a Conv or AveragePool (folded into its padding),
// GlobalAveragePool, Add of two tensors (residual), Concat along channels, Flatten and Reshape
// to [1, N], Identity and Dropout (no-ops), Softmax on the graph output (ignored: argmax is
// unchanged).
// Anything else, a dynamic shape other than the batch, a batch above 1, an opset outside
// [7, 17], external tensor data or a file that is not an ONNX model is an InputError naming
// the file, the node (name, op type, index) and what is wrong.

//
// Parameters: each conv2d/linear layer's float weights and bias come from the initializers
// (or Constant nodes): Conv W as is, Gemm alpha x B (transposed unless transB) and beta x C,
// MatMul B transposed. A BatchNormalization after the layer folds in as W' = W k, b' = (b -
// mean) k + beta with k = scale / sqrt(var + epsilon), per output channel; an Add of a constant
// (one value or one per channel) adds to the bias. Folding needs the layer's output to feed
// only the folded node. Tensors of type float or double, stored in raw_data or the typed
// fields, are read; others are an InputError naming the tensor.

#include <map>
#include <string>
#include <string_view>

#include "sim/workload/workload.h"

namespace mixpim::sim {

struct ImportedModel {
  std::string workload_yaml;
  std::map<std::string, LayerParameters> parameters;  // by workload layer name
};

// True when `path` names an ONNX model (ends in .onnx): every --workload imports those.
bool is_onnx_path(const std::string& path);

// Reads the model at `path`. Throws InputError.
ImportedModel import_onnx(const std::string& path);

// The model in `bytes` (an .onnx file's content); `path` names it in errors and the workload.
ImportedModel import_onnx_bytes(std::string_view bytes, const std::string& path);

// The workload YAML of the model at `path` (import_onnx(path).workload_yaml).
std::string onnx_workload_yaml(const std::string& path);

}  // namespace mixpim::sim
