#pragma once
// ONNX import: reads a model with the ONNX library (protobuf schema and shape inference from
// Debian's libonnx), never by hand, and writes it as a mixpim workload (YAML text in the format
// of workloads/*.yaml), so every command reads an imported model the way it reads a shipped one
// (load_network accepts an .onnx path and imports it).
//
// Operators (README "ONNX import"): Conv (group 1, dilation 1, symmetric padding), Gemm and
// MatMul with a constant weight, an Add of a constant after them (the bias), BatchNormalization
// after a Conv or Gemm (folded into it), Relu, MaxPool and AveragePool (symmetric padding, no
// ceil mode), GlobalAveragePool, Add of two tensors (residual), Concat along channels, Flatten
// and Reshape to [1, N],
// Identity and Dropout (no-ops), Softmax on the graph output (ignored: argmax is unchanged).
// Anything else, a dynamic shape other than the batch, a batch above 1, an opset outside
// [7, 17], external tensor data or a file that is not an ONNX model is an InputError naming
// the file, the node (name, op type, index) and what is wrong.

#include <string>

namespace mixpim::sim {

// The workload YAML of the model at `path`. Throws InputError.
std::string onnx_workload_yaml(const std::string& path);

}  // namespace mixpim::sim
