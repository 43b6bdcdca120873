// Functional engine: the bit-accurate PIM path (slices, bit-serial inputs, ADC, shift-add,
// row-block merges) against the integer reference. Every layer of both shipped networks is
// exact at the ADC bound under per-channel and random profiles, for both signed-weight
// encodings; below the bound the error is non-zero and grows as ADC bits drop. Weights and
// inputs from .npy files, and clear errors for bad ones.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "sim/engines/analytic.h"
#include "sim/engines/functional.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

ArchConfig arch_with(std::vector<std::string> overrides);

// The ISAAC preset without its weight flipping (the plain column-sum bound).
ArchConfig no_flip(std::vector<std::string> overrides) {
  overrides.push_back("pe.crossbar.weight_flipping=false");
  return arch_with(overrides);
}

ArchConfig arch_with(std::vector<std::string> overrides) {
  overrides.push_back("mapping.allow_reprogramming=true");
  return load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
}

FunctionalResult run(const Network& net, const PrecisionProfile& profile, const ArchConfig& arch,
                     FunctionalOptions options = {}) {
  return run_functional(net, profile, arch, map_network(net, profile, arch), options);
}

bool is_weight_layer(const FunctionalLayerResult& l) {
  return l.type == LayerType::kConv2d || l.type == LayerType::kLinear;
}

// Every layer equals the reference in both passes, and the final arg-max agrees.
void expect_exact(const FunctionalResult& r, const std::string& what) {
  EXPECT_TRUE(r.exact) << what;
  for (const FunctionalLayerResult& l : r.layers) {
    EXPECT_EQ(l.max_abs_error, 0) << what << ": " << l.name;
    EXPECT_EQ(l.end_to_end_max_abs_error, 0) << what << ": " << l.name;
    EXPECT_EQ(l.mismatches, 0) << what << ": " << l.name;
    if (is_weight_layer(l)) {
      EXPECT_GT(l.adc_conversions, 0) << l.name;
      EXPECT_EQ(l.adc_lossy, 0) << l.name;
      EXPECT_EQ(l.adc_clipped, 0) << l.name;
    }
  }
  EXPECT_EQ(r.top1_agreement, 1.0) << what;
  EXPECT_EQ(r.end_to_end_top1_agreement, 1.0) << what;
  EXPECT_EQ(r.final_reference, r.final_pim) << what;
}

// The exactness must not be vacuous: the reference outputs are far from all-zero.
void expect_nontrivial(const FunctionalResult& r, const std::string& what) {
  int weight_layers = 0, nonzero = 0;
  for (const FunctionalLayerResult& l : r.layers) {
    if (!is_weight_layer(l)) continue;
    ++weight_layers;
    nonzero += l.reference_rms > 0;
  }
  EXPECT_EQ(nonzero, weight_layers) << what;
}

// Random per-channel bits, per-layer activation bits and some pruning.
PrecisionProfile random_profile(const Network& net, std::mt19937& rng, int max_weight_bits,
                                int max_activation_bits) {
  auto uniform = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  PrecisionProfile p = uniform_profile(net, 8);
  p.name = "random";
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (!net.layers[i].has_weights()) continue;
    LayerPrecision& lp = p.layers[i];
    lp.activation_bits = uniform(1, max_activation_bits);
    for (int& b : lp.weight_bits) b = uniform(1, max_weight_bits);
    if (uniform(0, 3) == 0 && lp.kept.size() > 1) {  // prune a random subset, keep >= 1
      for (size_t c = 0; c < lp.kept.size(); ++c) lp.kept[c] = uniform(0, 2) != 0;
      lp.kept[static_cast<size_t>(uniform(0, static_cast<int>(lp.kept.size()) - 1))] = true;
    }
  }
  return p;
}

// A small network with every layer type: strided and non-square convs, a shortcut conv into
// a residual add, max- and avg-pools with padding, global average pool, flatten, linear.
Network mini_network(const test::TempDir& dir, int size) {
  const std::string s = std::to_string(size), h = std::to_string(size / 2 + size % 2);
  const std::string p = std::to_string((size / 2 + size % 2) / 2 + 1);
  const std::string yaml =
      "name: mini\nnetwork: mini\ndataset: test\ninput: [3, " + s + ", " + s +
      "]\nlayers:\n"
      "  - {name: conv1, type: conv2d, kernel: 3, padding: 1, input: [3, " +
      s + ", " + s + "], output: [16, " + s + ", " + s +
      "]}\n"
      "  - {name: relu1, type: relu, input: [16, " +
      s + ", " + s + "], output: [16, " + s + ", " + s +
      "]}\n"
      "  - {name: pool1, type: maxpool, kernel: 3, stride: 1, padding: 1, input: [16, " +
      s + ", " + s + "], output: [16, " + s + ", " + s +
      "]}\n"
      "  - {name: conv2, type: conv2d, kernel: 3, stride: 2, padding: 1, input: [16, " +
      s + ", " + s + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: relu2, type: relu, input: [24, " +
      h + ", " + h + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: conv3, type: conv2d, kernel: [3, 1], padding: [1, 0], input: [24, " +
      h + ", " + h + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: short, type: conv2d, from: [pool1], kernel: 1, stride: 2, input: [16, " +
      s + ", " + s + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: add, type: add, from: [conv3, short], input: [24, " +
      h + ", " + h + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: relu3, type: relu, input: [24, " +
      h + ", " + h + "], output: [24, " + h + ", " + h +
      "]}\n"
      "  - {name: apool, type: avgpool, kernel: 2, stride: 2, padding: 1, input: [24, " +
      h + ", " + h + "], output: [24, " + p + ", " + p +
      "]}\n"
      "  - {name: gap, type: global_avgpool, input: [24, " +
      p + ", " + p +
      "], output: [24, 1, 1]}\n"
      "  - {name: flatten, type: flatten, input: [24, 1, 1], output: [24]}\n"
      "  - {name: fc, type: linear, input: [24], output: [10]}\n";
  return load_network(dir.write("mini-" + s + ".yaml", yaml));
}

TEST(FunctionalAdc, NeededBitsAndConversion) {
  const ArchConfig isaac = no_flip({});
  EXPECT_EQ(adc_bits_needed(isaac), 9);  // 128 x 3 x 1 = 384
  EXPECT_LE(adc_bits_needed(isaac), 7 + 2 + 1);
  const ArchConfig big =
      no_flip({"pe.crossbar.rows=256", "pe.crossbar.bits_per_cell=4", "pe.dac.bits=2"});
  EXPECT_EQ(adc_bits_needed(big), 14);  // 256 x 15 x 3 = 11520

  // ISAAC at 8 bits: step 2 over the 9-bit range.
  EXPECT_EQ(adc_convert(383, isaac), 384);  // nearest rounds half up
  EXPECT_EQ(adc_convert(382, isaac), 382);
  const ArchConfig floor = no_flip({"pe.adc.rounding=floor"});
  EXPECT_EQ(adc_convert(383, floor), 382);
  const ArchConfig six = no_flip({"pe.adc.bits=6"});  // step 8, top code 63 -> 504
  EXPECT_EQ(adc_convert(100, six), 104);
  EXPECT_EQ(adc_convert(99, six), 96);
  bool clipped = true;
  EXPECT_EQ(adc_convert(384, six, &clipped), 384);
  EXPECT_FALSE(clipped);
  // 255 rows of 1-bit cells: sums up to 255 (8 bits); a 4-bit ADC has step 16 and top code
  // 15, so 255 rounds to code 16 and saturates at 240.
  const ArchConfig odd =
      no_flip({"pe.crossbar.rows=255", "pe.crossbar.bits_per_cell=1", "pe.adc.bits=4"});
  EXPECT_EQ(adc_convert(255, odd, &clipped), 240);
  EXPECT_TRUE(clipped);
  EXPECT_EQ(adc_convert(247, odd, &clipped), 240);
  EXPECT_FALSE(clipped);
  const ArchConfig clip = no_flip({"pe.adc.full_scale=clip", "pe.adc.bits=8"});
  EXPECT_EQ(adc_convert(200, clip, &clipped), 200);
  EXPECT_FALSE(clipped);
  EXPECT_EQ(adc_convert(300, clip, &clipped), 255);
  EXPECT_TRUE(clipped);
  const ArchConfig exact = no_flip({"pe.adc.bits=9"});
  for (int64_t sum = 0; sum <= 384; ++sum) EXPECT_EQ(adc_convert(sum, exact), sum);

  // With ISAAC's weight flipping (the preset's default) column sums stay within
  // floor(128 x 3 / 2) = 192: 8 bits, so the 8-bit ADC converts every one of them exactly.
  const ArchConfig flipping = arch_with({});
  EXPECT_EQ(adc_bits_needed(flipping), 8);
  for (int64_t sum = 0; sum <= 192; ++sum) EXPECT_EQ(adc_convert(sum, flipping), sum);
  EXPECT_EQ(adc_bits_needed(arch_with(
                {"pe.crossbar.rows=256", "pe.crossbar.bits_per_cell=4", "pe.dac.bits=2"})),
            13);  // 3 x floor(256 x 15 / 2) = 5760
}

TEST(FunctionalAdc, ConfigKeysValidatedAndEchoed) {
  const std::string bad = input_error_of([] { arch_with({"pe.adc.full_scale=wide"}); });
  EXPECT_NE(bad.find("pe.adc.full_scale"), std::string::npos) << bad;
  const std::string rounding = input_error_of([] { arch_with({"pe.adc.rounding=up"}); });
  EXPECT_NE(rounding.find("pe.adc.rounding"), std::string::npos) << rounding;
  const ArchConfig isaac = arch_with({});
  EXPECT_EQ(isaac.pe.adc.full_scale, AdcFullScale::kExactBound);
  EXPECT_EQ(isaac.pe.adc.rounding, AdcRounding::kNearest);
  EXPECT_EQ(to_string(AdcFullScale::kClip), "clip");
  EXPECT_EQ(to_string(AdcRounding::kFloor), "floor");
}

// The shipped networks under their per-channel and pruned profiles, offset and differential,
// at the bound log2(rows) + bits per cell + DAC bits and at exactly the needed bits.
TEST(FunctionalExact, ShippedNetworksEveryLayerAtTheBound) {
  struct Case {
    std::string network, profile;
    std::vector<std::string> arch;
  };
  const std::vector<Case> cases = {
      {"resnet18-cifar10", "resnet18/mixed-channel", {"pe.adc.bits=10"}},
      {"vgg19-cifar10",
       "vgg19/mixed-channel",
       {"pe.adc.bits=10", "pe.crossbar.signed_weights=differential"}},
      {"resnet18-cifar10",
       "resnet18/pruned",
       {"pe.adc.bits=9", "pe.crossbar.signed_weights=differential", "pe.adc.full_scale=clip"}},
  };
  for (const Case& c : cases) {
    const Network net = load_network(source_path("workloads/" + c.network + ".yaml"));
    const PrecisionProfile profile =
        load_profile(source_path("workloads/profiles/" + c.profile + ".yaml"), net);
    const ArchConfig arch = arch_with(c.arch);
    ASSERT_GE(arch.pe.adc.bits, adc_bits_needed(arch));
    const FunctionalResult r = run(net, profile, arch);
    ASSERT_EQ(r.layers.size(), net.layers.size());
    expect_exact(r, c.network + " " + c.profile);
    expect_nontrivial(r, c.network);
  }
}

// pe.adc.resolution: per_layer sets each layer's ADC to its own largest column sum (the
// bits the energy model charges, sim/adc.h layer_adc): exact when the configured
// resolution does not cap it, lossy when it does.
TEST(FunctionalAdc, PerLayerResolutionIsExactUnlessCapped) {
  const Network net = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  const PrecisionProfile profile =
      load_profile(source_path("workloads/profiles/resnet18/mixed-channel.yaml"), net);
  const ArchConfig generous = no_flip({"pe.adc.resolution=per_layer", "pe.adc.bits=16"});
  const NetworkMapping m = map_network(net, profile, generous);
  EXPECT_EQ(layer_adc(m.layers[0], generous).bits, 7);  // conv1: 27 rows x 3 x 1 = 81
  EXPECT_EQ(layer_adc(m.layers[1], generous).bits, 9);  // 128-row blocks: 384
  expect_exact(run(net, profile, generous), "per_layer, 16-bit cap");
  const FunctionalResult capped =
      run(net, profile, no_flip({"pe.adc.resolution=per_layer", "pe.adc.bits=6"}));
  EXPECT_FALSE(capped.exact);
  EXPECT_GT(capped.layers[0].max_abs_error, 0);  // conv1 needs 7 bits
}

// Random per-channel profiles (1-16 bit weights, pruning) on both networks.
TEST(FunctionalExact, ShippedNetworksRandomPerChannelProfiles) {
  std::mt19937 rng(2024);
  {
    const Network net = load_network(source_path("workloads/resnet18-cifar10.yaml"));
    const PrecisionProfile profile = random_profile(net, rng, 16, 8);
    const ArchConfig arch = arch_with({"pe.adc.bits=9"});
    FunctionalOptions options;
    options.seed = 5;
    const FunctionalResult r = run(net, profile, arch, options);
    expect_exact(r, "resnet18 random offset");
    expect_nontrivial(r, "resnet18 random");
  }
  {
    const Network net = load_network(source_path("workloads/vgg19-cifar10.yaml"));
    const PrecisionProfile profile = random_profile(net, rng, 16, 8);
    const ArchConfig arch = arch_with({"pe.crossbar.rows=256", "pe.crossbar.bits_per_cell=3",
                                       "pe.dac.bits=2", "pe.crossbar.signed_weights=differential",
                                       "pe.adc.bits=13"});  // flipped: 3 x 896 = 2688
    ASSERT_EQ(adc_bits_needed(arch), 12);
    FunctionalOptions options;
    options.seed = 6;
    const FunctionalResult r = run(net, profile, arch, options);
    expect_exact(r, "vgg19 random differential");
    expect_nontrivial(r, "vgg19 random");
  }
}

// Many random architectures (array size, bits per cell, DAC bits, encoding, split slices) and
// profiles on a small network with every layer type; batch of 3.
TEST(FunctionalExact, RandomArchitecturesAndProfiles) {
  test::TempDir dir;
  const Network net = mini_network(dir, 9);
  std::mt19937 rng(99);
  auto pick = [&](std::vector<std::string> values) { return values[rng() % values.size()]; };
  for (int trial = 0; trial < 24; ++trial) {
    const PrecisionProfile profile = random_profile(net, rng, 16, 12);
    const std::string rows = pick({"16", "32", "64", "128", "256"});
    const std::string bpc = pick({"1", "2", "3", "4"});
    const std::string dac = pick({"1", "2", "3"});
    const std::string enc = trial % 2 == 0 ? "offset" : "differential";
    ArchConfig arch =
        arch_with({"pe.crossbar.rows=" + rows, "pe.crossbar.columns=" + pick({"32", "64"}),
                   "pe.crossbar.bits_per_cell=" + bpc, "pe.dac.bits=" + dac,
                   "pe.crossbar.signed_weights=" + enc,
                   "mapping.split_channel_slices=" + pick({"true", "false"}),
                   "pe.crossbar.weight_flipping=" + pick({"true", "false"})});
    // Rows activated per read: all, or row groups (sim/mapping.h), exact at their own bound.
    arch.pe.crossbar.rows_per_read =
        std::min(std::stoi(rows), std::stoi(pick({"0", "0", "8", "24", "40"})));
    arch.pe.adc.bits = adc_bits_needed(arch);
    arch.pe.adc.full_scale = trial % 3 == 0 ? AdcFullScale::kClip : AdcFullScale::kExactBound;
    const std::string what = "trial " + std::to_string(trial) + ": rows " + rows + " (" +
                             std::to_string(arch.pe.crossbar.rows_per_read) + " per read), " + bpc +
                             " bits/cell, dac " + dac + ", " + enc +
                             (arch.pe.crossbar.weight_flipping ? ", flipping" : "");
    FunctionalOptions options;
    options.seed = static_cast<uint64_t>(trial);
    options.batch = 3;
    const FunctionalResult r = run(net, profile, arch, options);
    expect_exact(r, what);
  }
}

// Below the bound the error is non-zero and grows as bits drop, for both encodings and every
// ADC mode; at and above the bound it is zero.
TEST(FunctionalAdc, ErrorGrowsAsBitsDrop) {
  test::TempDir dir;
  const Network net = mini_network(dir, 16);
  PrecisionProfile profile = uniform_profile(net, 8);
  for (size_t i = 0; i < net.layers.size(); ++i) {
    if (!net.layers[i].has_weights()) continue;
    for (size_t c = 0; c < profile.layers[i].weight_bits.size(); ++c) {
      profile.layers[i].weight_bits[c] = c % 2 == 0 ? 8 : 5;  // per-channel mix
    }
  }
  struct Mode {
    std::string encoding, full_scale, rounding;
  };
  const std::vector<Mode> modes = {{"offset", "exact_bound", "nearest"},
                                   {"offset", "exact_bound", "floor"},
                                   {"differential", "exact_bound", "nearest"},
                                   {"differential", "exact_bound", "floor"},
                                   {"offset", "clip", "nearest"},
                                   {"differential", "clip", "nearest"}};
  for (const Mode& m : modes) {
    const std::string what = m.encoding + " " + m.full_scale + " " + m.rounding;
    ArchConfig arch =
        no_flip({"pe.crossbar.signed_weights=" + m.encoding, "pe.crossbar.rows=64",
                 "pe.adc.full_scale=" + m.full_scale, "pe.adc.rounding=" + m.rounding});
    const int needed = adc_bits_needed(arch);  // 64 x 3 = 192: 8 bits
    ASSERT_EQ(needed, 8);
    const NetworkMapping mapping = map_network(net, profile, arch);
    std::vector<double> rms;  // sum over conv layers of the isolated RMS error / reference RMS
    std::vector<int64_t> lossy;
    for (int bits = needed + 1; bits >= 2; --bits) {
      arch.pe.adc.bits = bits;
      FunctionalOptions options;
      options.end_to_end = false;
      const FunctionalResult r = run_functional(net, profile, arch, mapping, options);
      double total = 0;
      int64_t conversions_lossy = 0;
      for (const FunctionalLayerResult& l : r.layers) {
        if (l.type != LayerType::kConv2d) continue;
        total += l.rms_error / l.reference_rms;
        conversions_lossy += l.adc_lossy;
        if (bits >= needed) {
          EXPECT_EQ(l.max_abs_error, 0) << what << " " << l.name << " at " << bits;
        }
      }
      if (bits >= needed) {
        EXPECT_TRUE(r.exact) << what;
      }
      if (bits < needed && m.full_scale == "exact_bound") {
        EXPECT_GT(total, 0) << what << " at " << bits;
        EXPECT_FALSE(r.exact);
      }
      rms.push_back(total);
      lossy.push_back(conversions_lossy);
    }
    // Monotone over the sweep (bits drop along the vector); strictly once errors appear.
    for (size_t k = 1; k < rms.size(); ++k) {
      EXPECT_GE(lossy[k], lossy[k - 1]) << what << " step " << k;
      if (rms[k - 1] > 0) {
        EXPECT_GT(rms[k], rms[k - 1])
            << what << " at " << (needed + 1 - static_cast<int>(k)) << " bits";
      } else {
        EXPECT_GE(rms[k], rms[k - 1]) << what;
      }
    }
    EXPECT_GT(rms.back(), 0) << what;  // 2 bits always lose something
  }
}

TEST(FunctionalResults, DeterministicJsonAndBatch) {
  test::TempDir dir;
  const Network net = mini_network(dir, 8);
  const PrecisionProfile profile = uniform_profile(net, 6);
  const ArchConfig arch = arch_with({"pe.adc.bits=5"});
  FunctionalOptions options;
  options.batch = 16;
  options.seed = 3;
  const FunctionalResult a = run(net, profile, arch, options);
  const FunctionalResult b = run(net, profile, arch, options);
  EXPECT_EQ(functional_json(a).dump(), functional_json(b).dump());
  EXPECT_EQ(a.final_reference.size(), 16u * 10u);
  options.seed = 4;
  const FunctionalResult c = run(net, profile, arch, options);
  EXPECT_NE(a.final_reference, c.final_reference);
  EXPECT_FALSE(a.exact);
  EXPECT_GE(a.top1_agreement, 0.0);
  EXPECT_LE(a.end_to_end_top1_agreement, 1.0);
  // Errors compound end to end; isolated ones do not, but both are non-zero somewhere.
  int64_t e2e = 0;
  for (const FunctionalLayerResult& l : a.layers) e2e += l.end_to_end_max_abs_error;
  EXPECT_GT(e2e, 0);

  const nlohmann::ordered_json j = functional_json(a);
  for (const char* key :
       {"seed", "batch", "inputs", "weight_files", "adc_bits", "adc_bits_needed", "exact",
        "final_layer", "top1_agreement", "end_to_end_top1_agreement", "totals", "layers"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["batch"], 16);
  EXPECT_EQ(j["final_layer"], "fc");
  EXPECT_EQ(j["inputs"], "random");
  ASSERT_EQ(j["layers"].size(), net.layers.size());
  const auto& conv1 = j["layers"][0];
  for (const char* key :
       {"name", "type", "outputs", "max_abs_error", "rms_error", "mismatches", "reference_rms",
        "end_to_end_max_abs_error", "end_to_end_rms_error", "activation_bits", "input_shift",
        "adc_conversions", "adc_clipped", "adc_lossy"}) {
    EXPECT_TRUE(conv1.contains(key)) << key;
  }
  EXPECT_EQ(conv1["outputs"], 16 * 16 * 8 * 8);
  EXPECT_FALSE(j["layers"][1].contains("adc_conversions"));  // relu
  EXPECT_EQ(j["totals"]["adc_conversions"].get<int64_t>() > 0, true);

  options.batch = 0;
  EXPECT_NE(input_error_of([&] { run(net, profile, arch, options); }).find("batch"),
            std::string::npos);
}

// ---- .npy data --------------------------------------------------------------------------

std::string npy(const std::string& descr, const std::vector<int64_t>& shape,
                const std::string& data) {
  std::string dims;
  for (int64_t d : shape) dims += std::to_string(d) + ", ";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  std::string out = "\x93NUMPY\x01";
  out += '\0';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>(header.size() >> 8);
  return out + header + data;
}

std::string npy_i32(const std::vector<int64_t>& shape, const std::vector<int32_t>& values) {
  std::string data(values.size() * 4, '\0');
  std::memcpy(data.data(), values.data(), data.size());
  return npy("<i4", shape, data);
}

// input [1, 3, 3] -> conv 3x3 (1 channel) -> flatten -> linear 1 -> 2.
Network tiny_network(const test::TempDir& dir) {
  return load_network(
      dir.write("tiny.yaml",
                "name: tiny\nnetwork: tiny\ndataset: test\ninput: [1, 3, 3]\nlayers:\n"
                "  - {name: conv, type: conv2d, kernel: 3, input: [1, 3, 3], output: [1, 1, 1]}\n"
                "  - {name: flatten, type: flatten, input: [1, 1, 1], output: [1]}\n"
                "  - {name: fc, type: linear, input: [1], output: [2]}\n"));
}

TEST(FunctionalData, WeightsAndInputsFromNpy) {
  test::TempDir dir;
  const Network net = tiny_network(dir);
  const PrecisionProfile profile = uniform_profile(net, 8);
  const ArchConfig arch = arch_with({"pe.adc.bits=10"});
  dir.write("x.npy", npy_i32({1, 1, 3, 3}, {0, 1, 2, 3, 4, 5, 6, 7, 8}));
  dir.write("conv.npy", npy_i32({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, -1}));
  // Integer weights are used as they are (float files are real weights: FunctionalReal).
  dir.write("fc.npy", npy_i32({2, 1}, {2, -3}));
  FunctionalOptions options;
  options.data_map_path = dir.write("data.yaml", "input: x.npy\nconv: conv.npy\nfc: fc.npy\n");
  const FunctionalResult r = run(net, profile, arch, options);
  // conv = 0 + 1 + ... + 7 - 8 = 20; fc = [40, -60].
  EXPECT_EQ(r.final_reference, (std::vector<int64_t>{40, -60}));
  expect_exact(r, "tiny");
  EXPECT_EQ(r.input_source, dir.file("x.npy"));
  ASSERT_EQ(r.weight_files.size(), 2u);
  EXPECT_EQ(functional_json(r)["weight_files"]["conv"], dir.file("conv.npy"));

  // Only some layers from files: the others stay random and unchanged.
  options.data_map_path.clear();
  const FunctionalResult random = run(net, profile, arch, options);
  options.data_map_path = dir.write("fc-only.yaml", "fc: fc.npy\n");
  const FunctionalResult fc_only = run(net, profile, arch, options);
  EXPECT_EQ(fc_only.layers[0].reference_rms, random.layers[0].reference_rms);
  options.data_map_path = dir.write("conv-only.yaml", "conv: conv.npy\n");
  const FunctionalResult conv_only = run(net, profile, arch, options);
  EXPECT_NE(conv_only.layers[0].reference_rms, random.layers[0].reference_rms);
  expect_exact(conv_only, "tiny, conv from file");
}

TEST(FunctionalData, BadNpyFilesNameFileAndExpectedShape) {
  test::TempDir dir;
  const Network net = tiny_network(dir);
  PrecisionProfile profile = uniform_profile(net, 8);
  profile.layers[2].weight_bits = {4, 8};
  const ArchConfig arch = arch_with({});
  auto error_for = [&](const std::string& map, int batch = 1) {
    FunctionalOptions options;
    options.batch = batch;
    options.data_map_path = dir.write("map.yaml", map);
    return input_error_of([&] { run(net, profile, arch, options); });
  };
  dir.write("wrong.npy", npy_i32({1, 2, 3}, {1, 2, 3, 4, 5, 6}));
  std::string e = error_for("conv: wrong.npy\n");
  EXPECT_NE(e.find(dir.file("wrong.npy")), std::string::npos) << e;
  EXPECT_NE(e.find("expected shape (1, 1, 3, 3), got (1, 2, 3)"), std::string::npos) << e;
  EXPECT_NE(e.find("map.yaml:1:7"), std::string::npos) << e;

  e = error_for("input: wrong.npy\n", 2);
  EXPECT_NE(e.find("expected shape (2, 1, 3, 3)"), std::string::npos) << e;

  dir.write("range.npy", npy_i32({2, 1}, {3, 9}));  // channel 0 has 4 bits: [-8, 7]
  EXPECT_EQ(error_for("fc: range.npy\n"), "");      // 9 fits channel 1's 8 bits
  dir.write("range2.npy", npy_i32({2, 1}, {9, 3}));
  e = error_for("fc: range2.npy\n");
  EXPECT_NE(e.find("4-bit range [-8, 7]"), std::string::npos) << e;

  dir.write("huge.npy", npy("<i8", {1, 1, 3, 3}, [] {
              std::vector<int64_t> v = {0, 1, 2, 3, -(int64_t{1} << 41), 5, 6, 7, 8};
              return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 8);
            }()));
  e = error_for("input: huge.npy\n");
  EXPECT_NE(e.find("huge.npy"), std::string::npos) << e;
  EXPECT_NE(e.find("within +-2^40"), std::string::npos) << e;

  dir.write("garbage.npy", "not numpy at all");
  e = error_for("conv: garbage.npy\n");
  EXPECT_NE(e.find("garbage.npy: not a NumPy .npy file"), std::string::npos) << e;

  e = error_for("conv: absent.npy\n");
  EXPECT_NE(e.find("absent.npy: cannot open file"), std::string::npos) << e;

  e = error_for("conv: wrong.npy\nnope: x.npy\nflatten: x.npy\n");
  EXPECT_NE(e.find("map.yaml:2:1: nope: no layer of that name"), std::string::npos) << e;
  EXPECT_NE(e.find("flatten: layer flatten has no weights"), std::string::npos) << e;
  EXPECT_NE(e.find("wrong.npy"), std::string::npos) << e;  // every problem at once

  e = error_for("[a, b]\n");
  EXPECT_NE(e.find("expected a map"), std::string::npos) << e;
}

// ---- Weight flipping (ISAAC's encoding, sim/adc.h) ------------------------------------------

// input [128, 1, 1] -> 1x1 conv to 4 channels: one MVM over exactly one 128-row block.
Network column_network(const test::TempDir& dir) {
  return load_network(dir.write(
      "columns.yaml",
      "name: columns\nnetwork: columns\ndataset: test\ninput: [128, 1, 1]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 1, input: [128, 1, 1], output: [4, 1, 1]}\n"));
}

// Inputs 255 on 127 rows and 0 on the last (odd column sums), and four channels of constant 8-bit
// weights, stored with offset 128 in four 2-bit slices (bits 0-1 first). A slice column sums 255 x
// its cell over 128 rows, so it is flipped exactly when its cell x 128 > floor(128 x 3 / 2) = 192,
// i.e. when the cell is 2 or 3:
//   127 -> 255 = 11 11 11 11: 4 flipped     -127 -> 1 = 00 00 00 01: none
//    63 -> 191 = 10 11 11 11: 4 flipped        0 -> 128 = 10 00 00 00: 1 (the top slice)
// The outputs, 255 x 127 x w, are checked against that closed form, not only against the
// engine's own reference: a wrong correction ((2^b - 1) x input sum - converted sum) fails.
std::string npy_f64(const std::vector<int64_t>& shape, const std::vector<double>& values) {
  std::string data(values.size() * 8, '\0');
  std::memcpy(data.data(), values.data(), data.size());
  return npy("<f8", shape, data);
}

TEST(FunctionalData, SignedInputsReachTheArraysWithAnOffset) {
  // A negative input makes the conv's input signed: [-128, 127] at 8 bits, fed to the arrays
  // as x + 128 with 128 x (weight sum) removed digitally. Without that correction the PIM path
  // would be off by 128 x 7 (mutation-checked).
  test::TempDir dir;
  const Network net = tiny_network(dir);
  const ArchConfig arch = arch_with({"pe.adc.bits=10"});
  dir.write("x.npy", npy_i32({1, 1, 3, 3}, {0, 1, 2, 3, -4, 5, 6, 7, 8}));
  dir.write("conv.npy", npy_i32({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, -1}));
  dir.write("fc.npy", npy_i32({2, 1}, {2, -3}));
  FunctionalOptions options;
  options.data_map_path = dir.write("data.yaml", "input: x.npy\nconv: conv.npy\nfc: fc.npy\n");
  const FunctionalResult r = run(net, uniform_profile(net, 8), arch, options);
  // conv = 0 + 1 + 2 + 3 - 4 + 5 + 6 + 7 - 8 = 12; fc = [24, -36].
  EXPECT_EQ(r.final_reference, (std::vector<int64_t>{24, -36}));
  EXPECT_TRUE(r.layers[0].input_signed);
  EXPECT_FALSE(r.layers[2].input_signed);
  expect_exact(r, "signed input");
}

TEST(FunctionalData, DilationAndAsymmetricPaddingByHand) {
  // x(y, x) = 5y + x on [1, 5, 5]; all-ones 2x2 kernel with dilation 2: taps (0,0), (0,2),
  // (2,0), (2,2), so out(oy, ox) = 4 (5 oy + ox) + (0 + 2 + 10 + 12) = 20 oy + 4 ox + 24.
  test::TempDir dir;
  const ArchConfig arch = arch_with({"pe.adc.bits=10"});
  const Network dilated =
      load_network(dir.write("dilated.yaml",
                             "name: d\nnetwork: d\ndataset: test\ninput: [1, 5, 5]\nlayers:\n"
                             "  - {name: conv, type: conv2d, kernel: 2, dilation: 2, input: [1, 5, "
                             "5], output: [1, 3, 3]}\n"));
  std::vector<int32_t> x(25);
  for (int i = 0; i < 25; ++i) x[i] = i;
  dir.write("x.npy", npy_i32({1, 1, 5, 5}, x));
  dir.write("ones4.npy", npy_i32({1, 1, 2, 2}, {1, 1, 1, 1}));
  FunctionalOptions options;
  options.data_map_path = dir.write("d.yaml", "input: x.npy\nconv: ones4.npy\n");
  const FunctionalResult d = run(dilated, uniform_profile(dilated, 8), arch, options);
  std::vector<int64_t> expected;
  for (int oy = 0; oy < 3; ++oy)
    for (int ox = 0; ox < 3; ++ox) expected.push_back(20 * oy + 4 * ox + 24);
  EXPECT_EQ(d.final_reference, expected);
  expect_exact(d, "dilated");

  // Padding [top 1, left 0, bottom 0, right 1] on x(y, x) = 4y + x over [1, 4, 4], 3x3 ones:
  // 3x3 outputs; out(0, 0) = rows 0-1 x cols 0-2 = 18, out(2, 2) = rows 1-3 x cols 2-3 = 63.
  const Network padded = load_network(dir.write(
      "padded.yaml",
      "name: p\nnetwork: p\ndataset: test\ninput: [1, 4, 4]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 3, padding: [1, 0, 0, 1], input: [1, 4, 4], "
      "output: [1, 3, 3]}\n"));
  dir.write("y.npy", npy_i32({1, 1, 4, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}));
  dir.write("ones9.npy", npy_i32({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1}));
  options.data_map_path = dir.write("p.yaml", "input: y.npy\nconv: ones9.npy\n");
  const FunctionalResult p = run(padded, uniform_profile(padded, 8), arch, options);
  ASSERT_EQ(p.final_reference.size(), 9u);
  EXPECT_EQ(p.final_reference[0], 18);
  EXPECT_EQ(p.final_reference[8], 63);
  expect_exact(p, "asymmetric padding");
}

TEST(FunctionalData, GroupedConvolutionsByHandAndBitExact) {
  // Depthwise 3x3 over 8 channels of 4x4: input channel c is c + 1 everywhere, channel c's
  // weights are all (c % 3) + 1, so out(c, 1, 1) = 9 (c + 1) w_c and the corner
  // out(c, 0, 0) = 4 (c + 1) w_c (padding 1). On ISAAC 14 groups share an array, so a wrong
  // group (row or offset) would show.
  test::TempDir dir;
  const ArchConfig arch = arch_with({"pe.adc.bits=10"});
  const Network dw = load_network(dir.write(
      "dw.yaml",
      "name: dw\nnetwork: dw\ndataset: test\ninput: [8, 4, 4]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 3, padding: 1, groups: 8, input: [8, 4, 4], "
      "output: [8, 4, 4]}\n"));
  std::vector<int32_t> x, w;
  for (int c = 0; c < 8; ++c) {
    for (int i = 0; i < 16; ++i) x.push_back(c + 1);
    for (int i = 0; i < 9; ++i) w.push_back(c % 3 + 1);
  }
  dir.write("x.npy", npy_i32({1, 8, 4, 4}, x));
  dir.write("w.npy", npy_i32({8, 1, 3, 3}, w));
  FunctionalOptions options;
  options.data_map_path = dir.write("d.yaml", "input: x.npy\nconv: w.npy\n");
  const FunctionalResult r = run(dw, uniform_profile(dw, 8), arch, options);
  for (int c = 0; c < 8; ++c) {
    EXPECT_EQ(r.final_reference[c * 16 + 5], 9 * (c + 1) * (c % 3 + 1)) << c;
    EXPECT_EQ(r.final_reference[c * 16], 4 * (c + 1) * (c % 3 + 1)) << c;
  }
  expect_exact(r, "depthwise");

  // Random signed float weights through a depthwise layer fed a pruned producer and a 4-group
  // layer whose groups take two row blocks: every layer equal to the reference, both
  // encodings, mixed per-channel bits.
  const Network net = load_network(dir.write(
      "g.yaml",
      "name: g\nnetwork: g\ndataset: test\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [64, 8, 8]}\n"
      "  - {name: dw, type: conv2d, kernel: 3, padding: 1, groups: 64, input: [64, 8, 8], output: "
      "[64, 8, 8]}\n"
      "  - {name: g4, type: conv2d, kernel: 3, padding: 1, groups: 4, input: [64, 8, 8], output: "
      "[32, 8, 8]}\n"
      "  - {name: gap, type: global_avgpool, input: [32, 8, 8], output: [32, 1, 1]}\n"
      "  - {name: flat, type: flatten, input: [32, 1, 1], output: [32]}\n"
      "  - {name: fc, type: linear, input: [32], output: [4]}\n"));
  std::mt19937_64 rng(11);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto draw = [&](size_t n) {
    std::vector<double> v(n);
    for (double& e : v) e = normal(rng);
    return v;
  };
  dir.write("gx.npy", npy_f64({2, 3, 8, 8}, draw(2 * 3 * 64)));
  dir.write("a.npy", npy_f64({64, 3, 3, 3}, draw(64 * 27)));
  dir.write("dw.npy", npy_f64({64, 1, 3, 3}, draw(64 * 9)));
  dir.write("g4.npy", npy_f64({32, 16, 3, 3}, draw(32 * 16 * 9)));
  dir.write("fc.npy", npy_f64({4, 32}, draw(128)));
  FunctionalOptions real;
  real.batch = 2;
  real.data_map_path =
      dir.write("gd.yaml", "input: gx.npy\na: a.npy\ndw: dw.npy\ng4: g4.npy\nfc: fc.npy\n");
  PrecisionProfile profile = uniform_profile(net, 8);
  profile.layers[0].kept[7] = false;  // dw's group 7 loses its only row
  for (int j = 0; j < 64; ++j) profile.layers[1].weight_bits[j] = 2 + j % 7;
  for (const char* encoding : {"offset", "differential"}) {
    const FunctionalResult g =
        run(net, profile, arch_with({std::string("pe.crossbar.signed_weights=") + encoding}), real);
    expect_exact(g, std::string("grouped, ") + encoding);
    expect_nontrivial(g, std::string("grouped, ") + encoding);
  }
}

// The array multiplies and reference convolutions split their (image, row) and (image,
// channel) work over threads: one thread and three (more than the 2 cores, uneven parts) must
// give the same outputs, errors and every count, including the activity. A part whose counts
// were dropped or whose rows overlapped another's would differ.
TEST(FunctionalData, ThreadCountChangesNothing) {
  const Network net = load_network(source_path("workloads/resnet18-cifar10.yaml"));
  const PrecisionProfile profile =
      load_profile(source_path("workloads/profiles/resnet18/mixed-channel.yaml"), net);
  const ArchConfig arch = arch_with({"pe.adc.bits=6"});  // lossy: clipped and lossy counts too
  const NetworkMapping mapping = map_network(net, profile, arch);
  FunctionalOptions one;
  one.batch = 2;
  one.threads = 1;
  FunctionalOptions three = one;
  three.threads = 3;
  const FunctionalResult a = run_functional(net, profile, arch, mapping, one);
  const FunctionalResult b = run_functional(net, profile, arch, mapping, three);
  EXPECT_EQ(a.final_pim, b.final_pim);
  EXPECT_EQ(a.final_reference, b.final_reference);
  EXPECT_EQ(functional_json(a).dump(), functional_json(b).dump());
  ASSERT_EQ(a.layers.size(), b.layers.size());
  int64_t lossy = 0;
  for (size_t i = 0; i < a.layers.size(); ++i) {
    EXPECT_EQ(a.layers[i].bit_ones, b.layers[i].bit_ones) << a.layers[i].name;
    EXPECT_EQ(a.layers[i].conversion_active, b.layers[i].conversion_active) << a.layers[i].name;
    EXPECT_EQ(a.layers[i].nonzero_inputs, b.layers[i].nonzero_inputs) << a.layers[i].name;
    lossy += a.layers[i].adc_lossy;
  }
  EXPECT_GT(lossy, 0);
}

TEST(FunctionalData, DataAwareEnergyCountsRowsWithInputBits) {
  // One 3x3 conv on a 3x3 image at 8 bits, 1-bit DACs: one MVM of 9 rows x 8 input cycles,
  // 72 DAC conversions per inference. Four pixels of value 1 set one slice each: 4 of the 72
  // drive (1/18); all-zero pixels drive none; all-255 pixels drive all 72, and the data-aware
  // counts equal the data-independent ones. Cell reads scale alike. With
  // pe.adc.skip_zero_blocks, the pixels of value 1 leave only input cycle 0 with a bit in the
  // (single) row block: 1/8 of the conversions; all-zero pixels none.
  test::TempDir dir;
  const Network net = load_network(dir.write(
      "one.yaml",
      "name: one\nnetwork: one\ndataset: test\ninput: [1, 3, 3]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 3, input: [1, 3, 3], output: [4, 1, 1]}\n"));
  for (const bool skip : {false, true}) {
    SCOPED_TRACE(skip ? "skip_zero_blocks" : "no skipping");
    const ArchConfig arch = arch_with(
        {"pe.adc.bits=10", std::string("pe.adc.skip_zero_blocks=") + (skip ? "true" : "false")});
    const PrecisionProfile profile = uniform_profile(net, 8);
    const NetworkMapping mapping = map_network(net, profile, arch);
    const PerformanceResult performance = analyze(net, profile, arch, mapping);
    const int64_t dac = performance.layers[0].counts.get("dac", "convert");
    const int64_t cells = performance.layers[0].counts.get("xbar", "read_cell");
    const int64_t conversions = performance.layers[0].counts.get("adc", "convert");
    ASSERT_EQ(dac, 72);
    Activity measured;
    auto aware_for = [&](const std::vector<int32_t>& pixels) {
      dir.write("x.npy", npy_i32({1, 1, 3, 3}, pixels));
      FunctionalOptions options;
      options.data_map_path = dir.write("d.yaml", "input: x.npy\n");
      const FunctionalResult r = run_functional(net, profile, arch, mapping, options);
      measured = measured_activity(net, r, "test");
      return analyze(net, profile, arch, mapping, &measured).layers[0].counts;
    };
    const ActionCounts some = aware_for({1, 0, 1, 0, 0, 0, 1, 0, 1});
    EXPECT_EQ(some.get("dac", "convert"), 4);
    EXPECT_EQ(some.get("xbar", "read_cell"), cells / 18);
    EXPECT_EQ(some.get("adc", "convert"), skip ? conversions / 8 : conversions);
    EXPECT_EQ(some.get("sample_hold", "sample"), skip ? conversions / 8 : conversions);
    const LayerActivity& a = *measured.find("conv");
    EXPECT_DOUBLE_EQ(a.density, 4.0 / 9);
    ASSERT_EQ(a.bit_ones.size(), 8u);
    EXPECT_DOUBLE_EQ(a.bit_ones[0], 4.0 / 9);
    for (size_t q = 1; q < 8; ++q) EXPECT_EQ(a.bit_ones[q], 0.0);
    EXPECT_DOUBLE_EQ(a.conversion_active_fraction, 1.0 / 8);
    const ActionCounts none = aware_for(std::vector<int32_t>(9, 0));
    EXPECT_EQ(none.get("dac", "convert"), 0);
    EXPECT_EQ(none.get("xbar", "read_cell"), 0);
    EXPECT_EQ(none.get("adc", "convert"), skip ? 0 : conversions);
    const ActionCounts all = aware_for(std::vector<int32_t>(9, 255));
    EXPECT_EQ(all, performance.layers[0].counts);
  }
}

// ---- real (float) weights ----------------------------------------------------------------

TEST(FunctionalReal, TinyNetworkByHand) {
  // Float weights and bias quantized per channel (functional.h "Real weights"), worked by hand:
  // conv: max |w| = 1.27 at 8 bits -> step 0.01, q = w / 0.01. Input x = k / 2 (k = 0..8) in
  // fixed point (x 2^16): the largest, 4 x 2^16, needs shift 11 to fit 255, so x_int = 16 k.
  // acc = 16 x sum_k q_k k = 16 x 509 = 8144; output = 8144 x 0.01 x 2^11 + 0.75 x 2^16,
  // i.e. 3.295 = 0.5 x sum_k w_k k + 0.75, exactly the float layer's value.
  test::TempDir dir;
  const Network net = tiny_network(dir);
  const ArchConfig arch = arch_with({"pe.adc.bits=10"});
  dir.write("x.npy", npy_f64({1, 1, 3, 3}, {0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4}));
  dir.write("conv.npy", npy_f64({1, 1, 3, 3}, {0.5, -0.25, 1.27, 0, 0.1, 0.2, -0.3, 0.4, 0.05}));
  dir.write("conv.bias.npy", npy_f64({1}, {0.75}));
  // fc: per channel 2 -> q 127, -3 -> q -127. Its input 215941 (3.295 x 2^16) needs shift 10:
  // x_int = round(215941 / 1024) = 211, so fc = 211 x 1024 x [2, -3] + [0.5, 0] x 2^16.
  dir.write("fc.npy", npy_f64({2, 1}, {2.0, -3.0}));
  dir.write("fc.bias.npy", npy_f64({2}, {0.5, 0}));
  FunctionalOptions options;
  options.data_map_path = dir.write(
      "data.yaml",
      "input: x.npy\nconv: conv.npy\nconv.bias: conv.bias.npy\nfc: fc.npy\nfc.bias: fc.bias.npy\n");
  const FunctionalResult r = run(net, uniform_profile(net, 8), arch, options);
  EXPECT_EQ(r.weights, "real");
  EXPECT_EQ(r.fraction_bits, 16);
  EXPECT_EQ(r.layers[0].input_shift, 11);
  EXPECT_EQ(r.layers[2].input_shift, 10);
  EXPECT_EQ(r.final_reference, (std::vector<int64_t>{211 * 1024 * 2 + 32768, -211 * 1024 * 3}));
  expect_exact(r, "real tiny");
  // The conv output itself: 3.295 within the fixed point's 2^-16.
  EXPECT_NEAR(r.final_reference[0] / 65536.0, 2 * 211.0 / 64 + 0.5, 1e-12);

  // At 4 bits the steps are 1.27/7 and 3/7: q = round(w / step) by hand.
  PrecisionProfile four = uniform_profile(net, 8);
  four.layers[0].weight_bits = {4};
  const FunctionalResult r4 = run(net, four, arch, options);
  // q = [3, -1, 7, 0, 1, 1, -2, 2, 0] -> sum_k q_k k = -1 + 14 + 4 + 5 - 12 + 14 + 0 = 24;
  // acc = 16 x 24 = 384; conv = 384 x (1.27/7) x 2048 + 0.75 x 2^16.
  const double conv4 = 384 * (1.27 / 7) * 2048 + 49152;
  EXPECT_NEAR(r4.layers[0].reference_rms, conv4, 0.5);
  expect_exact(r4, "real tiny, 4-bit conv");
}

TEST(FunctionalReal, MixingAndMissingWeightsAreRefused) {
  test::TempDir dir;
  const Network net = tiny_network(dir);
  const ArchConfig arch = arch_with({});
  dir.write("conv.npy", npy_f64({1, 1, 3, 3}, {0.5, -0.25, 1.27, 0, 0.1, 0.2, -0.3, 0.4, 0.05}));
  dir.write("fc.npy", npy_i32({2, 1}, {2, -3}));
  dir.write("bias.npy", npy_f64({2}, {0.5, 0}));
  auto error_for = [&](const std::string& map) {
    FunctionalOptions options;
    options.data_map_path = dir.write("map.yaml", map);
    return input_error_of([&] { run(net, uniform_profile(net, 8), arch, options); });
  };
  std::string e = error_for("conv: conv.npy\nfc: fc.npy\n");
  EXPECT_NE(e.find("fc: integer weights in a run with float weights"), std::string::npos) << e;
  e = error_for("conv: conv.npy\n");
  EXPECT_NE(e.find("fc: no float weights"), std::string::npos) << e;
  e = error_for("fc.bias: bias.npy\n");
  EXPECT_NE(e.find("conv: no float weights"), std::string::npos) << e;
  e = error_for("conv.bias: bias.npy\n");
  EXPECT_NE(e.find("expected shape (1,)"), std::string::npos) << e;
}

TEST(FunctionalReal, SignedActivationsPaddingAndPruningAreBitExact) {
  // Gaussian float weights and biases, normalised (signed) inputs, a conv fed a conv without
  // relu (signed again), padding (fed as the offset), a pruned channel: the PIM path must equal
  // the integer reference in every layer on the default chip (weight flipping, 8-bit ADCs).
  test::TempDir dir;
  const Network net = load_network(dir.write(
      "small.yaml",
      "name: small\nnetwork: small\ndataset: test\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: c1, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [8, 8, 8]}\n"
      "  - {name: c2, type: conv2d, kernel: 3, stride: 2, padding: 1, input: [8, 8, 8], output: "
      "[6, 4, 4]}\n"
      "  - {name: r2, type: relu, input: [6, 4, 4], output: [6, 4, 4]}\n"
      "  - {name: gap, type: global_avgpool, input: [6, 4, 4], output: [6, 1, 1]}\n"
      "  - {name: flat, type: flatten, input: [6, 1, 1], output: [6]}\n"
      "  - {name: fc, type: linear, input: [6], output: [4]}\n"));
  std::mt19937_64 rng(7);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto draw = [&](size_t n, double sigma) {
    std::vector<double> v(n);
    for (double& x : v) x = sigma * normal(rng);
    return v;
  };
  dir.write("x.npy", npy_f64({4, 3, 8, 8}, draw(4 * 3 * 64, 1.0)));
  dir.write("c1.npy", npy_f64({8, 3, 3, 3}, draw(8 * 27, 0.3)));
  dir.write("c1.bias.npy", npy_f64({8}, draw(8, 0.1)));
  dir.write("c2.npy", npy_f64({6, 8, 3, 3}, draw(6 * 72, 0.2)));
  dir.write("c2.bias.npy", npy_f64({6}, draw(6, 0.1)));
  dir.write("fc.npy", npy_f64({4, 6}, draw(24, 0.5)));
  FunctionalOptions options;
  options.batch = 4;
  options.data_map_path = dir.write("data.yaml",
                                    "input: x.npy\nc1: c1.npy\nc1.bias: c1.bias.npy\nc2: c2.npy\n"
                                    "c2.bias: c2.bias.npy\nfc: fc.npy\n");
  PrecisionProfile profile = uniform_profile(net, 8);
  profile.layers[0].kept[5] = false;  // c1's channel 5 pruned: c2 loses its rows
  profile.layers[1].weight_bits = {3, 8, 5, 8, 2, 8};
  const FunctionalResult r = run(net, profile, arch_with({}), options);
  EXPECT_TRUE(r.layers[0].input_signed);
  EXPECT_TRUE(r.layers[1].input_signed);
  EXPECT_FALSE(r.layers[5].input_signed);
  expect_exact(r, "small real network");
  expect_nontrivial(r, "small real network");

  // Labels: three images labelled with their reference arg-max, the fourth with another class.
  std::vector<int32_t> labels;
  for (int n = 0; n < 4; ++n) {
    const auto begin = r.final_reference.begin() + 4 * n;
    labels.push_back(static_cast<int32_t>(std::max_element(begin, begin + 4) - begin));
  }
  labels[3] = (labels[3] + 1) % 4;
  dir.write("labels.npy", npy_i32({4}, labels));
  options.labels_path = dir.file("labels.npy");
  const FunctionalResult labelled = run(net, profile, arch_with({}), options);
  EXPECT_EQ(labelled.accuracy, 0.75);
  EXPECT_EQ(labelled.reference_accuracy, 0.75);
  EXPECT_EQ(functional_json(labelled)["accuracy"], 0.75);
  dir.write("labels.npy", npy_i32({4}, {0, 1, 4, 0}));
  EXPECT_NE(input_error_of([&] {
              run(net, profile, arch_with({}), options);
            }).find("label 2 is 4, outside the 4 outputs of fc"),
            std::string::npos);
}

TEST(FunctionalFlip, FlaggedColumnsHoldComplementsAndConvertExactly) {
  test::TempDir dir;
  const Network net = column_network(dir);
  const PrecisionProfile profile = uniform_profile(net, 8);
  std::vector<int32_t> weights;
  for (int32_t w : {127, -127, 63, 0}) weights.insert(weights.end(), 128, w);
  dir.write("w.npy", npy_i32({4, 128, 1, 1}, weights));
  std::vector<int32_t> x(128, 255);
  x.back() = 0;
  dir.write("x.npy", npy_i32({1, 128, 1, 1}, x));
  FunctionalOptions options;
  options.data_map_path = dir.write("data.yaml", "input: x.npy\nconv: w.npy\n");

  const FunctionalResult flipped = run(net, profile, arch_with({}), options);
  EXPECT_TRUE(flipped.exact);
  EXPECT_EQ(flipped.adc_bits, 8);
  EXPECT_EQ(flipped.adc_bits_needed, 8);
  EXPECT_EQ(flipped.layers[0].flipped_columns, 4 + 0 + 4 + 1);
  EXPECT_EQ(flipped.layers[0].adc_lossy, 0);
  const int64_t unit = 255 * 127;
  EXPECT_EQ(flipped.final_pim, (std::vector<int64_t>{unit * 127, -unit * 127, unit * 63, 0}));

  // The same 8-bit ADC without flipping has a 9-bit full scale (step 2): odd sums are lost.
  const FunctionalResult plain = run(net, profile, no_flip({}), options);
  EXPECT_FALSE(plain.exact);
  EXPECT_GT(plain.layers[0].adc_lossy, 0);
  EXPECT_EQ(plain.layers[0].flipped_columns, 0);

  // Differential: |127| = 1111111 in the positive columns (11 11 11 01: three flipped), the
  // negative columns hold zeros (none); -127 mirrors it.
  const FunctionalResult diff =
      run(net, profile, arch_with({"pe.crossbar.signed_weights=differential"}), options);
  EXPECT_TRUE(diff.exact);
  EXPECT_EQ(diff.layers[0].flipped_columns, 3 + 3 + (0 + 3) + 0);  // 63 = 0111111: 11 11 11 00
  EXPECT_EQ(diff.final_pim, flipped.final_pim);

  // Reading 64 rows at a time: each row group decides its flip on its own (here the same as
  // the whole column, so twice the flags), a conversion sums 64 rows (7 bits needed), and the
  // outputs are the same.
  const FunctionalResult grouped =
      run(net, profile, arch_with({"pe.crossbar.rows_per_read=64"}), options);
  EXPECT_TRUE(grouped.exact);
  EXPECT_EQ(grouped.adc_bits_needed, 7);
  EXPECT_EQ(grouped.layers[0].flipped_columns, 2 * (4 + 0 + 4 + 1));
  EXPECT_EQ(grouped.final_pim, flipped.final_pim);
}

// A reference that is one value throughout checks nothing: flagged, and top-1 is not reported
// from it.
TEST(FunctionalFlip, DegenerateFinalLayerIsFlaggedAndTop1NotReported) {
  test::TempDir dir;
  const Network net = column_network(dir);
  dir.write("zero.npy", npy_i32({4, 128, 1, 1}, std::vector<int32_t>(512, 0)));
  FunctionalOptions options;
  options.data_map_path = dir.write("data.yaml", "conv: zero.npy\n");
  const FunctionalResult r = run(net, uniform_profile(net, 8), arch_with({}), options);
  EXPECT_TRUE(r.layers[0].degenerate);
  EXPECT_FALSE(r.top1_reported);
  const nlohmann::ordered_json j = functional_json(r);
  EXPECT_TRUE(j["top1_agreement"].is_null());
  EXPECT_TRUE(j["end_to_end_top1_agreement"].is_null());
  EXPECT_NE(j["top1_note"].get<std::string>().find("one value throughout"), std::string::npos);
  EXPECT_EQ(j["totals"]["degenerate_layers"], nlohmann::ordered_json::array({"conv"}));
  // Random weights: informative.
  const FunctionalResult random = run(net, uniform_profile(net, 8), arch_with({}));
  EXPECT_FALSE(random.layers[0].degenerate);
  EXPECT_TRUE(random.top1_reported);
}

// The default chip (ISAAC: 8-bit ADCs, 128 x 128 arrays of 2-bit cells, weight flipping) is
// bit-exact end to end on both networks, every shipped profile, both encodings, with the
// default random data: every layer equals the integer reference, no layer's reference is
// degenerate, and the top-1 agreement is reported and is 1. (Without flipping the same runs
// lose bits: FunctionalFlip above, CliRun.FunctionalHeadline.)
void expect_default_chip_exact(const std::string& network, const std::string& encoding) {
  const Network net = load_network(source_path("workloads/" + network + "-cifar10.yaml"));
  for (const std::string& p :
       {std::string("uniform8"), std::string("uniform16"), network + "/mixed-layer",
        network + "/mixed-channel", network + "/pruned"}) {
    const PrecisionProfile profile =
        load_profile(source_path("workloads/profiles/" + p + ".yaml"), net);
    const ArchConfig arch = arch_with({"pe.crossbar.signed_weights=" + encoding});
    ASSERT_EQ(arch.pe.adc.bits, 8);
    const FunctionalResult r = run(net, profile, arch);
    const std::string what = network + " " + p + " " + encoding;
    expect_exact(r, what);
    expect_nontrivial(r, what);
    EXPECT_TRUE(r.top1_reported) << what << ": " << r.top1_note;
    for (const FunctionalLayerResult& l : r.layers)
      EXPECT_FALSE(l.degenerate) << what << " " << l.name;
  }
}

TEST(FunctionalDefaultChip, Vgg19OffsetIsBitExact) { expect_default_chip_exact("vgg19", "offset"); }
// Row blocks per kernel position (mapping.row_blocks) change how rows meet arrays, not the sums:
// VGG19's 64-channel layers (9 blocks of 64 rows) stay bit-exact end to end.
TEST(FunctionalDefaultChip, Vgg19RowBlocksPerKernelPositionIsBitExact) {
  const Network net = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  const ArchConfig arch = arch_with({"mapping.row_blocks=per_kernel_position"});
  const FunctionalResult r = run(net, uniform_profile(net, 8), arch);
  expect_exact(r, "vgg19 uniform8 per_kernel_position");
  expect_nontrivial(r, "vgg19 uniform8 per_kernel_position");
}
TEST(FunctionalDefaultChip, Vgg19DifferentialIsBitExact) {
  expect_default_chip_exact("vgg19", "differential");
}
TEST(FunctionalDefaultChip, Resnet18OffsetIsBitExact) {
  expect_default_chip_exact("resnet18", "offset");
}
TEST(FunctionalDefaultChip, Resnet18DifferentialIsBitExact) {
  expect_default_chip_exact("resnet18", "differential");
}

}  // namespace
}  // namespace mixpim::sim
