// Precision profiles: the three weight_bits forms, defaults, pruning propagation through
// relu/add/pool/flatten, validation errors, and every shipped profile on every network.
#include <gtest/gtest.h>

#include <filesystem>

#include "sim/workload/precision.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

const char* kTinyNetwork =
    "name: tiny\nnetwork: tiny\ninput: [2, 4, 4]\nlayers:\n"
    "  - {name: c1, type: conv2d, kernel: 3, padding: 1, input: [2, 4, 4], output: [4, 4, 4]}\n"
    "  - {name: r1, type: relu, input: [4, 4, 4], output: [4, 4, 4]}\n"
    "  - {name: c2, type: conv2d, kernel: 3, padding: 1, input: [4, 4, 4], output: [4, 4, 4]}\n"
    "  - {name: a, type: add, from: [c2, r1], input: [4, 4, 4], output: [4, 4, 4]}\n"
    "  - {name: p, type: maxpool, kernel: 2, input: [4, 4, 4], output: [4, 2, 2]}\n"
    "  - {name: f, type: flatten, input: [4, 2, 2], output: [16]}\n"
    "  - {name: fc, type: linear, input: [16], output: [3]}\n";

class TinyProfile : public ::testing::Test {
 protected:
  void SetUp() override { network_ = load_network(dir_.write("tiny.yaml", kTinyNetwork)); }
  PrecisionProfile load(const std::string& text) {
    return load_profile(dir_.write("profile.yaml", text), network_);
  }
  std::string error_of(const std::string& text) {
    std::string error = input_error_of([&] { load(text); });
    for (size_t at; (at = error.find(dir_.path() + "/")) != std::string::npos;) {
      error.erase(at, dir_.path().size() + 1);
    }
    return error;
  }
  test::TempDir dir_;
  Network network_;
};

TEST_F(TinyProfile, ScalarListAndRunLengthWeightBits) {
  PrecisionProfile p = load(
      "name: t\ndefault: {weight_bits: 8, activation_bits: 6}\nlayers:\n"
      "  c1: {weight_bits: [8, 4, 2, 16]}\n"
      "  c2: {weight_bits: [{bits: 4, count: 3}, {bits: 2, count: 1}], activation_bits: 4}\n");
  EXPECT_EQ(p.layers[0].weight_bits, (std::vector<int>{8, 4, 2, 16}));
  EXPECT_EQ(p.layers[0].activation_bits, 6);
  EXPECT_EQ(p.layers[2].weight_bits, (std::vector<int>{4, 4, 4, 2}));
  EXPECT_EQ(p.layers[2].activation_bits, 4);
  EXPECT_EQ(p.layers[6].weight_bits, (std::vector<int>{8, 8, 8}));
  EXPECT_EQ(p.layers[2].distinct_weight_bits(), (std::vector<int>{2, 4}));
  EXPECT_TRUE(p.layers[1].weight_bits.empty());  // relu holds no weights
}

TEST_F(TinyProfile, PruningPropagatesThroughReluAddPoolAndFlatten) {
  PrecisionProfile p = load(
      "name: t\ndefault: {weight_bits: 8, activation_bits: 8}\nlayers:\n"
      "  c1: {weight_bits: [8, 4, 2, 16], kept_channels: [0, 2]}\n"
      "  c2: {kept_channels: 1}\n");
  const std::vector<LayerCounts> c = count_layers(network_, p);
  // c1 keeps 2 of 4 outputs over all 2 inputs: 2*2*9 weights at 16 output pixels.
  EXPECT_EQ(c[0].kept_inputs, 2);
  EXPECT_EQ(c[0].kept_outputs, 2);
  EXPECT_EQ(c[0].weights, 36);
  EXPECT_EQ(c[0].macs, 36 * 16);
  EXPECT_EQ(c[0].weight_memory_bits, (8 + 2) * 2 * 9);
  // c2 sees the 2 channels c1 kept and keeps channel 0 only.
  EXPECT_EQ(c[2].kept_inputs, 2);
  EXPECT_EQ(c[2].weights, 1 * 2 * 9);
  EXPECT_EQ(c[2].macs, 18 * 16);
  // add keeps the union {0} U {0, 2}; pool keeps it; flatten spreads 2 channels x 4 pixels.
  EXPECT_EQ(c[6].kept_inputs, 8);
  EXPECT_EQ(c[6].weights, 3 * 8);
  EXPECT_EQ(c[6].weight_memory_bits, 3 * 8 * 8);
  const auto masks = output_channel_masks(network_, p);
  EXPECT_EQ(masks[3], (std::vector<bool>{true, false, true, false}));
}

TEST_F(TinyProfile, BitsOutOfRangeOrNotIntegers) {
  std::string error = error_of("name: t\ndefault: {weight_bits: 17, activation_bits: eight}\n");
  EXPECT_NE(
      error.find("profile.yaml:2:24: default.weight_bits: expected integer in [1, 16], got \"17\""),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find(
          "profile.yaml:2:45: default.activation_bits: expected integer in [1, 16], got \"eight\""),
      std::string::npos)
      << error;
}

TEST_F(TinyProfile, PerChannelListLengthAndRunLengthSumMustMatchChannels) {
  std::string error = error_of(
      "name: t\ndefault: {weight_bits: 8, activation_bits: 8}\nlayers:\n"
      "  c1: {weight_bits: [8, 4, 2]}\n"
      "  c2: {weight_bits: [{bits: 4, count: 3}, {bits: 2, count: 2}]}\n"
      "  fc: {weight_bits: [{bits: 0, count: 3}]}\n");
  EXPECT_NE(
      error.find(
          "layers.c1.weight_bits: per-channel list has 3 entries, layer has 4 output channels"),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find("layers.c2.weight_bits: run-length counts sum to 5, layer has 4 output channels"),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.fc.weight_bits[0].bits: expected integer in [1, 16], got \"0\""),
            std::string::npos)
      << error;
}

TEST_F(TinyProfile, LayerNamesMustExistAndHoldWeights) {
  std::string error = error_of(
      "name: t\ndefault: {weight_bits: 8, activation_bits: 8}\nlayers:\n"
      "  c9: {weight_bits: 4}\n"
      "  r1: {weight_bits: 4}\n");
  EXPECT_NE(error.find("profile.yaml:4:3: layers.c9: no layer of that name in"), std::string::npos)
      << error;
  EXPECT_NE(error.find("profile.yaml:5:3: layers.r1: is a relu layer; precision applies to conv2d "
                       "and linear layers only"),
            std::string::npos)
      << error;
}

TEST_F(TinyProfile, EveryWeightLayerNeedsBitsFromEntryOrDefault) {
  std::string error = error_of(
      "name: t\nlayers:\n  c1: {weight_bits: 4, activation_bits: 4}\n  c2: {weight_bits: 4}\n");
  EXPECT_NE(error.find("layers.c2: no activation_bits for this layer and no default"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.fc: no activation_bits for this layer and no default"),
            std::string::npos)
      << error;
}

TEST_F(TinyProfile, KeptChannelsValidation) {
  std::string error = error_of(
      "name: t\ndefault: {weight_bits: 8, activation_bits: 8}\nlayers:\n"
      "  c1: {kept_channels: 0}\n"
      "  c2: {kept_channels: [0, 0]}\n"
      "  fc: {kept_channels: [5], colour: red}\n");
  EXPECT_NE(error.find("layers.c1.kept_channels: expected integer in [1, 4], got \"0\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.c2.kept_channels[1]: channel indices must be strictly increasing"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.fc.kept_channels[0]: expected integer in [0, 2], got \"5\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("layers.fc.colour: unknown key"), std::string::npos) << error;
}

TEST_F(TinyProfile, NetworkFamilyMustMatch) {
  std::string error =
      error_of("name: t\nnetwork: vgg19\ndefault: {weight_bits: 8, activation_bits: 8}\n");
  EXPECT_NE(error.find("profile.yaml:2:10: network: profile is for \"vgg19\""), std::string::npos)
      << error;
}

TEST(ShippedProfiles, EveryProfileLoadsOnEveryDatasetOfItsNetwork) {
  namespace fs = std::filesystem;
  const std::string root = source_path("workloads");
  int loaded = 0;
  for (const char* family : {"vgg19", "resnet18"}) {
    std::vector<std::string> profiles;
    for (const auto& entry : fs::directory_iterator(root + "/profiles")) {
      if (entry.path().extension() == ".yaml") profiles.push_back(entry.path().string());
    }
    for (const auto& entry : fs::directory_iterator(root + "/profiles/" + family)) {
      profiles.push_back(entry.path().string());
    }
    for (const char* dataset : {"cifar10", "cifar100", "tinyimagenet"}) {
      const Network network = load_network(root + "/" + family + "-" + dataset + ".yaml");
      const int64_t dense_bits = [&] {
        int64_t bits = 0;
        for (const Layer& l : network.layers) bits += 16 * l.dense_weights();
        return bits;
      }();
      for (const std::string& path : profiles) {
        SCOPED_TRACE(path + " on " + network.name);
        const PrecisionProfile profile = load_profile(path, network);
        int64_t memory = 0;
        for (const LayerCounts& c : count_layers(network, profile)) memory += c.weight_memory_bits;
        EXPECT_GT(memory, 0);
        EXPECT_LE(memory, dense_bits);  // nothing exceeds the 16-bit dense network
        ++loaded;
      }
    }
  }
  EXPECT_GE(loaded, 2 * 3 * 6);
}

TEST(ShippedProfiles, UniformProfilesEqualBuiltInUniform) {
  const Network network = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  for (int bits : {16, 8, 4}) {
    const PrecisionProfile file = load_profile(
        source_path("workloads/profiles/uniform" + std::to_string(bits) + ".yaml"), network);
    const PrecisionProfile builtin = uniform_profile(network, bits);
    for (size_t i = 0; i < network.layers.size(); ++i) {
      EXPECT_EQ(file.layers[i].weight_bits, builtin.layers[i].weight_bits);
      EXPECT_EQ(file.layers[i].activation_bits, builtin.layers[i].activation_bits);
      EXPECT_EQ(file.layers[i].kept, builtin.layers[i].kept);
    }
  }
}

}  // namespace
}  // namespace mixpim::sim
