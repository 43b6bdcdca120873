// Workload IR: the six shipped networks against closed-form layer lists written here, and
// shape-consistency errors.
#include <gtest/gtest.h>

#include "sim/workload/precision.h"
#include "sim/workload/workload.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

// A weight layer as the closed form sees it: MACs = cout*out*out*cin*k*k, weights = cout*cin*k*k.
struct WeightLayer {
  int64_t cin, cout, out_size, k;
  int64_t weights() const { return cout * cin * k * k; }
  int64_t macs() const { return weights() * out_size * out_size; }
};

// Standard CIFAR VGG19: 16 conv3x3 pad 1, 2x2 max-pool after each group, GAP, one linear.
std::vector<WeightLayer> vgg19(int64_t image, int64_t classes) {
  const int64_t kPool = 0;
  const std::vector<int64_t> cfg = {64,  64,  kPool, 128, 128,   kPool, 256, 256, 256, 256,  kPool,
                                    512, 512, 512,   512, kPool, 512,   512, 512, 512, kPool};
  std::vector<WeightLayer> layers;
  int64_t size = image, cin = 3;
  for (int64_t c : cfg) {
    if (c == kPool) {
      size /= 2;
      continue;
    }
    layers.push_back({cin, c, size, 3});
    cin = c;
  }
  layers.push_back({512, classes, 1, 1});
  return layers;
}

// Standard CIFAR ResNet18: conv3x3 stem, 4 stages x 2 BasicBlocks, 1x1 stride-2 projection
// shortcuts in the first block of stages 2-4, GAP, one linear. Order: conv1, conv2, shortcut.
std::vector<WeightLayer> resnet18(int64_t image, int64_t classes) {
  std::vector<WeightLayer> layers = {{3, 64, image, 3}};
  int64_t cin = 64, size = image;
  const int64_t planes[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    for (int block = 0; block < 2; ++block) {
      const int64_t stride = (stage > 0 && block == 0) ? 2 : 1;
      const int64_t out = size / stride;
      layers.push_back({cin, planes[stage], out, 3});
      layers.push_back({planes[stage], planes[stage], out, 3});
      if (stride != 1) layers.push_back({cin, planes[stage], out, 1});
      cin = planes[stage];
      size = out;
    }
  }
  layers.push_back({512, classes, 1, 1});
  return layers;
}

struct ShippedNetwork {
  const char* file;
  std::vector<WeightLayer> expected;
};

class ShippedNetworks : public ::testing::TestWithParam<int> {};

std::vector<ShippedNetwork> shipped() {
  return {{"workloads/vgg19-cifar10.yaml", vgg19(32, 10)},
          {"workloads/vgg19-cifar100.yaml", vgg19(32, 100)},
          {"workloads/vgg19-tinyimagenet.yaml", vgg19(64, 200)},
          {"workloads/resnet18-cifar10.yaml", resnet18(32, 10)},
          {"workloads/resnet18-cifar100.yaml", resnet18(32, 100)},
          {"workloads/resnet18-tinyimagenet.yaml", resnet18(64, 200)}};
}

TEST_P(ShippedNetworks, PerLayerMacsAndWeightsMatchClosedForm) {
  const ShippedNetwork net = shipped()[GetParam()];
  const Network network = load_network(source_path(net.file));
  std::vector<const Layer*> weight_layers;
  for (const Layer& layer : network.layers) {
    if (layer.has_weights()) weight_layers.push_back(&layer);
  }
  ASSERT_EQ(weight_layers.size(), net.expected.size()) << net.file;
  const std::vector<LayerCounts> counts = count_layers(network, uniform_profile(network, 16));
  int64_t total_macs = 0, total_weights = 0, counted_macs = 0;
  for (size_t i = 0; i < net.expected.size(); ++i) {
    const Layer& layer = *weight_layers[i];
    const WeightLayer& want = net.expected[i];
    SCOPED_TRACE(std::string(net.file) + " " + layer.name);
    EXPECT_EQ(layer.in_channels(), want.cin);
    EXPECT_EQ(layer.out_channels(), want.cout);
    EXPECT_EQ(layer.kernel_area(), want.k * want.k);
    EXPECT_EQ(layer.dense_macs(), want.macs());
    EXPECT_EQ(layer.dense_weights(), want.weights());
    total_macs += want.macs();
    total_weights += want.weights();
  }
  for (size_t i = 0; i < network.layers.size(); ++i) {
    counted_macs += counts[i].macs;
    // 16-bit baseline: weight memory is 16 bits per weight.
    EXPECT_EQ(counts[i].weight_memory_bits, 16 * counts[i].weights);
  }
  EXPECT_EQ(counted_macs, total_macs);
}

INSTANTIATE_TEST_SUITE_P(AllSix, ShippedNetworks, ::testing::Range(0, 6));

TEST(ShippedNetworks, HeadlineTotalsMatchPublishedParameterCounts) {
  // ResNet18-CIFAR: 11,173,962 parameters in the usual PyTorch count, which includes
  // 9,600 batch-norm parameters and 10 fc biases: 11,164,352 weights.
  // VGG19-CIFAR (no BN): 20,024,000 weights (convolutions 20,018,880 + fc 5,120).
  auto totals = [](const char* file) {
    const Network n = load_network(source_path(file));
    int64_t macs = 0, weights = 0;
    for (const Layer& l : n.layers) {
      macs += l.dense_macs();
      weights += l.dense_weights();
    }
    return std::make_pair(macs, weights);
  };
  EXPECT_EQ(totals("workloads/resnet18-cifar10.yaml"),
            std::make_pair(int64_t{555'422'720}, int64_t{11'164'352}));
  EXPECT_EQ(totals("workloads/vgg19-cifar10.yaml"),
            std::make_pair(int64_t{398'136'320}, int64_t{20'024'000}));
}

TEST(ShippedNetworks, ResidualAddsTakeTwoProducersOfEqualShape) {
  const Network n = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  int adds = 0;
  for (const Layer& l : n.layers) {
    if (l.type != LayerType::kAdd) continue;
    ++adds;
    ASSERT_EQ(l.producers.size(), 2u) << l.name;
    EXPECT_EQ(n.layers[l.producers[0]].output_shape, n.layers[l.producers[1]].output_shape)
        << l.name;
  }
  EXPECT_EQ(adds, 8);
}

// --- errors -------------------------------------------------------------------------

std::string load_error(const std::string& text) {
  test::TempDir dir;
  const std::string path = dir.write("net.yaml", text);
  std::string error = input_error_of([&] { load_network(path); });
  // Paths are made relative for stable expectations.
  for (size_t at; (at = error.find(dir.path() + "/")) != std::string::npos;) {
    error.erase(at, dir.path().size() + 1);
  }
  return error;
}

const char* kHeader = "name: t\nnetwork: t\ninput: [3, 8, 8]\nlayers:\n";

TEST(WorkloadErrors, DeclaredInputMustMatchProducer) {
  std::string error = load_error(
      std::string(kHeader) +
      "  - {name: c1, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [4, 8, 8]}\n"
      "  - {name: r1, type: relu, input: [4, 8, 9], output: [4, 8, 9]}\n");
  EXPECT_EQ(
      error,
      "net.yaml:6:35: layers[1].input: declared [4, 8, 9] but layer \"c1\" produces [4, 8, 8]");
}

// concat: channels of its producers side by side; their heights and widths must agree and the
// declared output must add their channels up.
TEST(Workload, ConcatJoinsChannelsOfItsProducers) {
  test::TempDir dir;
  const Network n = load_network(dir.write(
      "net.yaml",
      std::string(kHeader) +
          "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [8, 8, 8]}\n"
          "  - {name: b, type: conv2d, from: [input], kernel: 1, input: [3, 8, 8], output: [4, 8, 8]}\n"
          "  - {name: cat, type: concat, from: [a, b, input], input: [8, 8, 8], output: [15, 8, 8]}\n"
          "  - {name: c, type: conv2d, kernel: 1, input: [15, 8, 8], output: [2, 8, 8]}\n"));
  ASSERT_EQ(n.layers.size(), 4u);
  EXPECT_EQ(n.layers[2].type, LayerType::kConcat);
  EXPECT_EQ(n.layers[2].producers, (std::vector<int>{0, 1, kNetworkInput}));
  EXPECT_EQ(n.layers[3].dense_macs(), 2 * 15 * 64);
}

TEST(WorkloadErrors, ConcatChannelsAndSizesMustAgree) {
  const std::string convs =
      std::string(kHeader) +
      "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [8, 8, 8]}\n"
      "  - {name: b, type: conv2d, from: [input], kernel: 3, input: [3, 8, 8], output: [4, 6, 6]}\n";
  EXPECT_EQ(load_error(convs + "  - {name: cat, type: concat, from: [a, b], input: [8, 8, 8], "
                               "output: [12, 8, 8]}\n"),
            "net.yaml:7:52: layers[2].input: declared [8, 8, 8] but layer \"b\" produces [4, 6, 6]");
  EXPECT_NE(load_error(std::string(kHeader) +
                       "  - {name: a, type: conv2d, kernel: 1, input: [3, 8, 8], output: [8, 8, 8]}\n"
                       "  - {name: cat, type: concat, from: [a, input], input: [8, 8, 8], output: "
                       "[12, 8, 8]}\n")
                .find("but concat of its producers gives [11, 8, 8]"),
            std::string::npos);
  EXPECT_NE(load_error(std::string(kHeader) +
                       "  - {name: cat, type: concat, input: [3, 8, 8], output: [3, 8, 8]}\n")
                .find("concat needs two or more producers in `from`"),
            std::string::npos);
}

TEST(WorkloadErrors, DeclaredOutputMustMatchParameters) {
  std::string error = load_error(
      std::string(kHeader) +
      "  - {name: c1, type: conv2d, kernel: 3, stride: 2, input: [3, 8, 8], output: [4, 8, 8]}\n");
  EXPECT_EQ(error,
            "net.yaml:5:78: layers[0].output: declared [4, 8, 8] but conv2d of [3, 8, 8] gives [4, "
            "3, 3]");
}

// Regression: pooling padding above half the kernel was accepted (a window of padding only).
TEST(WorkloadErrors, PoolPaddingAboveHalfTheKernel) {
  std::string error = load_error(
      std::string(kHeader) +
      "  - {name: p1, type: maxpool, kernel: 2, stride: 1, padding: 2, input: [3, 8, 8], "
      "output: [3, 11, 11]}\n");
  EXPECT_NE(error.find("layers[0].padding: pooling padding must be at most half the kernel (2x2), "
                       "got 2x2"),
            std::string::npos)
      << error;
  EXPECT_EQ(load_error(std::string(kHeader) +
                       "  - {name: p1, type: maxpool, kernel: 3, stride: 1, padding: 1, "
                       "input: [3, 8, 8], output: [3, 8, 8]}\n"),
            "");
}

TEST(WorkloadErrors, KernelLargerThanInput) {
  std::string error =
      load_error(std::string(kHeader) +
                 "  - {name: c1, type: conv2d, kernel: 9, input: [3, 8, 8], output: [4, 1, 1]}\n");
  EXPECT_NE(error.find("layers[0].kernel: kernel 9x9 is larger than the padded input [3, 8, 8]"),
            std::string::npos)
      << error;
}

TEST(WorkloadErrors, LinearNeedsFlatInputAndAddNeedsTwoProducers) {
  std::string error = load_error(std::string(kHeader) +
                                 "  - {name: fc, type: linear, input: [3, 8, 8], output: [10]}\n"
                                 "  - {name: a, type: add, input: [10], output: [10]}\n");
  EXPECT_NE(error.find("layers[0].input: linear expects a [N] input, got [3, 8, 8]"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers[1].from: add needs exactly two producers"), std::string::npos)
      << error;
}

TEST(WorkloadErrors, UnknownAndForwardProducersDuplicateNamesAndUnknownKeys) {
  std::string error =
      load_error(std::string(kHeader) +
                 "  - {name: r1, type: relu, from: [r2], input: [3, 8, 8], output: [3, 8, 8]}\n"
                 "  - {name: r2, type: relu, input: [3, 8, 8], output: [3, 8, 8], colour: red}\n"
                 "  - {name: r2, type: relu, input: [3, 8, 8], output: [3, 8, 8]}\n"
                 "  - {name: x, type: softmax, input: [3, 8, 8], output: [3, 8, 8]}\n");
  EXPECT_NE(error.find("net.yaml:5:35: layers[0].from[0]: no earlier layer named \"r2\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("net.yaml:6:65: layers[1].colour: unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("net.yaml:7:12: layers[2].name: duplicate layer name \"r2\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers[3].type: expected one of {conv2d, linear, maxpool, avgpool, "
                       "global_avgpool, relu, add, flatten, concat}, got \"softmax\""),
            std::string::npos)
      << error;
}

TEST(WorkloadErrors, MissingKeysAndBadShapes) {
  std::string error = load_error("name: t\ninput: [3, 8]\nlayers: []\n");
  EXPECT_NE(error.find("network: missing required key"), std::string::npos) << error;
  EXPECT_NE(error.find("input: expected a shape [C, H, W] or [N], got a list"), std::string::npos)
      << error;
  EXPECT_NE(error.find("layers: expected a non-empty list of layers"), std::string::npos) << error;
}

TEST(WorkloadErrors, AbsurdSizesAreRefusedNotOverflowed) {
  std::string error = load_error(
      "name: t\nnetwork: t\ninput: [1048576, 1048576, 1048576]\nlayers:\n"
      "  - {name: r, type: relu, input: [1048576, 1048576, 1048576], output: [1048576, 1048576, "
      "1048576]}\n");
  EXPECT_NE(error, "");
}

}  // namespace
}  // namespace mixpim::sim
