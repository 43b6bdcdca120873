// ONNX import on models built here with the ONNX protobuf API: the layers and shapes of a small
// CNN, every refusal with its message, and seeded mutations of the serialized model, each of
// which must import or be refused with an InputError naming the file (never another exception or
// a crash; the sanitizer build runs it too). tests/onnx/import.sh checks models exported from
// PyTorch against the shipped workloads.
#include <gtest/gtest.h>

#include <cmath>
#include <onnx/onnx_pb.h>

#include <fstream>
#include <random>
#include <string>

#include "sim/util/diagnostics.h"
#include "sim/workload/onnx_import.h"
#include "sim/workload/workload.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

void add_tensor(onnx::GraphProto& g, const std::string& name, std::vector<int64_t> dims) {
  onnx::TensorProto* t = g.add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  for (int64_t i = 0; i < n; ++i) t->add_float_data(0.5f);
}

onnx::NodeProto* add_node(onnx::GraphProto& g, const std::string& op, const std::string& name,
                          std::vector<std::string> inputs, std::string output) {
  onnx::NodeProto* n = g.add_node();
  n->set_op_type(op);
  n->set_name(name);
  for (const std::string& i : inputs) n->add_input(i);
  n->add_output(output);
  return n;
}

void add_ints(onnx::NodeProto* n, const std::string& name, std::vector<int64_t> values) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void add_float(onnx::NodeProto* n, const std::string& name, float value) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(value);
}

void add_int(onnx::NodeProto* n, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

void add_value(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* list,
               const std::string& name, std::vector<int64_t> dims) {
  onnx::ValueInfoProto* v = list->Add();
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) t->mutable_shape()->add_dim()->set_dim_value(d);
}

// input [1, 3, 8, 8] -> Conv 3x3 pad 1 (8) -> BatchNormalization -> Relu -> MaxPool 2x2
// -> GlobalAveragePool -> Flatten -> Gemm (10, with bias) -> Softmax (the output).
onnx::ModelProto small_cnn(int64_t group = 1, std::vector<int64_t> pads = {1, 1, 1, 1},
                           int64_t batch = 1, int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  onnx::OperatorSetIdProto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  onnx::GraphProto& g = *m.mutable_graph();
  g.set_name("small");
  add_value(g.mutable_input(), "x", {batch, 3, 8, 8});
  add_tensor(g, "w", {8, 3 / group, 3, 3});
  for (const char* p : {"scale", "bias", "mean", "var"}) add_tensor(g, p, {8});
  add_tensor(g, "fc_w", {10, 8});
  add_tensor(g, "fc_b", {10});
  onnx::NodeProto* conv = add_node(g, "Conv", "/features/conv", {"x", "w"}, "c");
  add_ints(conv, "kernel_shape", {3, 3});
  add_ints(conv, "pads", pads);
  if (group != 1) add_int(conv, "group", group);
  add_node(g, "BatchNormalization", "bn", {"c", "scale", "bias", "mean", "var"}, "b");
  add_node(g, "Relu", "relu", {"b"}, "r");
  onnx::NodeProto* pool = add_node(g, "MaxPool", "pool", {"r"}, "p");
  add_ints(pool, "kernel_shape", {2, 2});
  add_ints(pool, "strides", {2, 2});
  add_node(g, "GlobalAveragePool", "gap", {"p"}, "gp");
  add_node(g, "Flatten", "flatten", {"gp"}, "f");
  onnx::NodeProto* fc = add_node(g, "Gemm", "fc", {"f", "fc_w", "fc_b"}, "logits");
  add_int(fc, "transB", 1);
  add_node(g, "Softmax", "softmax", {"logits"}, "probs");
  add_value(g.mutable_output(), "probs", {batch, 10});
  return m;
}

std::string write_model(const test::TempDir& dir, const onnx::ModelProto& m,
                        const std::string& name = "model.onnx") {
  std::string bytes;
  m.SerializeToString(&bytes);
  return dir.write(name, bytes);
}

std::string error_of(const std::string& path) {
  try {
    onnx_workload_yaml(path);
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

TEST(OnnxImport, SmallCnnBecomesItsLayers) {
  test::TempDir dir;
  const Network n = load_network(write_model(dir, small_cnn()));
  ASSERT_EQ(n.layers.size(), 6u);
  EXPECT_EQ(n.input_shape, (Shape{3, 8, 8}));
  const std::vector<std::pair<LayerType, Shape>> expected = {
      {LayerType::kConv2d, {8, 8, 8}},       {LayerType::kRelu, {8, 8, 8}},
      {LayerType::kMaxPool, {8, 4, 4}},      {LayerType::kGlobalAvgPool, {8, 1, 1}},
      {LayerType::kFlatten, {8}},            {LayerType::kLinear, {10}}};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(n.layers[i].type, expected[i].first) << i;
    EXPECT_EQ(n.layers[i].output_shape, expected[i].second) << i;
  }
  EXPECT_EQ(n.layers[0].name, "features_conv");  // "/features/conv", cleaned
  EXPECT_EQ(n.layers[0].pad_h, 1);
  EXPECT_EQ(n.layers[2].stride_h, 2);
  EXPECT_EQ(n.layers[0].dense_macs(), 8 * 3 * 9 * 64);
  EXPECT_EQ(n.layers[5].dense_weights(), 80);
}

TEST(OnnxImport, RefusalsNameTheNodeAndTheProblem) {
  test::TempDir dir;
  // 3 groups cannot split 8 output channels.
  EXPECT_NE(error_of(write_model(dir, small_cnn(3), "g.onnx"))
                .find("g.onnx: node 0 '/features/conv' (Conv): 3 groups do not divide 3 input "
                      "and 8 output channels"),
            std::string::npos);
  // Asymmetric padding [top 1, left 0, bottom 1, right 1] is kept: 8 + 0 + 1 - 3 + 1 = 7 wide.
  const Network asymmetric = load_network(write_model(dir, small_cnn(1, {1, 0, 1, 1}), "p.onnx"));
  EXPECT_EQ(asymmetric.layers[0].output_shape, (Shape{8, 8, 7}));
  EXPECT_EQ(asymmetric.layers[0].pad_w, 0);
  EXPECT_EQ(asymmetric.layers[0].pad_right, 1);
  EXPECT_NE(error_of(write_model(dir, small_cnn(1, {1, 1, 1, 1}, 2), "b.onnx")).find("batch 2"),
            std::string::npos);
  EXPECT_NE(error_of(write_model(dir, small_cnn(1, {1, 1, 1, 1}, 1, 20), "o.onnx"))
                .find("opset 20 is outside the supported range"),
            std::string::npos);
  onnx::ModelProto m = small_cnn();
  m.mutable_graph()->mutable_node(2)->set_op_type("Sigmoid");
  EXPECT_NE(error_of(write_model(dir, m, "s.onnx"))
                .find("node 2 'relu' (Sigmoid): operator Sigmoid is not supported"),
            std::string::npos);
  m = small_cnn();
  m.mutable_graph()->mutable_node(2)->clear_input();
  const std::string no_input = error_of(write_model(dir, m, "i.onnx"));
  EXPECT_NE(no_input.find("i.onnx"), std::string::npos) << no_input;
  EXPECT_TRUE(no_input.find("node 2 'relu' (Relu)") != std::string::npos ||
              no_input.find("shape inference failed") != std::string::npos)
      << no_input;
  m = small_cnn();
  m.mutable_graph()->mutable_initializer(0)->set_data_location(onnx::TensorProto::EXTERNAL);
  EXPECT_NE(error_of(write_model(dir, m, "e.onnx")).find("external data"), std::string::npos);
  EXPECT_NE(error_of(dir.write("junk.onnx", "not a model at all")).find("junk.onnx"),
            std::string::npos);
  EXPECT_NE(error_of(dir.file("absent.onnx")).find("cannot open"), std::string::npos);
}

TEST(OnnxImport, ParametersFoldBatchNormAndReadGemmLayouts) {
  // Every initializer holds 0.5: batch norm folds as k = 0.5 / sqrt(0.5 + 1e-5),
  // W' = 0.5 k, b' = (0 - 0.5) k + 0.5 (the conv has no bias of its own).
  test::TempDir dir;
  const ImportedModel model = import_onnx(write_model(dir, small_cnn()));
  ASSERT_EQ(model.parameters.count("features_conv"), 1u);
  const LayerParameters& conv = model.parameters.at("features_conv");
  EXPECT_EQ(conv.weight_shape, (Shape{8, 3, 3, 3}));
  const double k = 0.5 / std::sqrt(0.5 + 1e-5);
  ASSERT_EQ(conv.weights.size(), 8u * 27u);
  for (double w : conv.weights) EXPECT_DOUBLE_EQ(w, 0.5 * k);
  ASSERT_EQ(conv.bias.size(), 8u);
  for (double b : conv.bias) EXPECT_DOUBLE_EQ(b, -0.5 * k + 0.5);

  // Gemm with transB 1: B is [out, in] as is; with transB 0 it is [in, out] and transposed;
  // alpha scales it, beta the bias.
  onnx::ModelProto m = small_cnn();
  onnx::GraphProto& g = *m.mutable_graph();
  onnx::TensorProto* fc_w = nullptr;
  for (onnx::TensorProto& t : *g.mutable_initializer())
    if (t.name() == "fc_w") fc_w = &t;
  for (int i = 0; i < 80; ++i) fc_w->set_float_data(i, static_cast<float>(i));
  const LayerParameters fc = import_onnx(write_model(dir, m, "t1.onnx")).parameters.at("fc");
  EXPECT_EQ(fc.weight_shape, (Shape{10, 8}));
  EXPECT_EQ(fc.weights[3 * 8 + 5], 3 * 8 + 5);
  EXPECT_EQ(fc.bias[7], 0.5);
  fc_w->set_dims(0, 8);
  fc_w->set_dims(1, 10);
  onnx::NodeProto* gemm = g.mutable_node(g.node_size() - 2);
  gemm->mutable_attribute(0)->set_i(0);  // transB
  add_float(gemm, "alpha", 2.0f);
  add_float(gemm, "beta", 3.0f);
  const LayerParameters fc0 = import_onnx(write_model(dir, m, "t0.onnx")).parameters.at("fc");
  EXPECT_EQ(fc0.weights[3 * 8 + 5], 2.0 * (5 * 10 + 3));  // out 3, in 5: B[5][3]
  EXPECT_EQ(fc0.bias[7], 1.5);
}

TEST(OnnxImport, MalformedWindowAttributesAreRefused) {
  // Found by the fuzzer (tests/fuzz/fuzz_onnx.cpp): a strides or pads list of the wrong length
  // was read past its end.
  test::TempDir dir;
  onnx::ModelProto m = small_cnn();
  onnx::NodeProto* pool = m.mutable_graph()->mutable_node(3);
  pool->mutable_attribute(1)->clear_ints();
  pool->mutable_attribute(1)->add_ints(2);  // strides [2]
  std::string e = error_of(write_model(dir, m, "s.onnx"));
  EXPECT_NE(e.find("node 3 'pool' (MaxPool): strides [2]: expected 2 positive values"),
            std::string::npos)
      << e;
  EXPECT_FALSE(error_of(write_model(dir, small_cnn(1, {1, 1}), "p.onnx")).empty());
  // A zero stride made ONNX's own shape inference divide by zero (SIGFPE; the fuzzer).
  pool->mutable_attribute(1)->add_ints(0);  // strides [2, 0]
  e = error_of(write_model(dir, m, "z.onnx"));
  EXPECT_NE(e.find("node 3 'pool' (MaxPool): strides [2, 0]: expected positive values"),
            std::string::npos)
      << e;
}

// Seeded mutations of the serialized model: byte flips, truncations, insertions and deletions.
TEST(OnnxImport, MutatedModelsImportOrAreRefusedWithTheirFileNamed) {
#ifdef MIXPIM_SANITIZE
  constexpr int kMutations = 400;
#else
  constexpr int kMutations = 2000;
#endif
  test::TempDir dir;
  std::string seed;
  small_cnn().SerializeToString(&seed);
  std::mt19937_64 rng(13);
  int imported = 0, refused = 0;
  for (int i = 0; i < kMutations; ++i) {
    std::string bytes = seed;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !bytes.empty(); ++e) {
      const size_t at = rng() % bytes.size();
      switch (rng() % 4) {
        case 0:
          bytes[at] = static_cast<char>(bytes[at] ^ (1 << (rng() % 8)));
          break;
        case 1:
          bytes.resize(at);
          break;
        case 2:
          bytes.insert(at, 1, static_cast<char>(rng() % 256));
          break;
        default:
          bytes.erase(at, 1 + rng() % 8);
          break;
      }
    }
    const std::string path = dir.write("m.onnx", bytes);
    try {
      load_network(path);
      ++imported;
    } catch (const InputError& e) {
      ++refused;
      ASSERT_NE(std::string(e.what()).find("m.onnx"), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      FAIL() << "mutation " << i << ": " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(refused, 0);
  std::printf("%d mutated models: %d imported, %d refused\n", kMutations, imported, refused);
}

}  // namespace
}  // namespace mixpim::sim
