// Input activity (sim/activity.h): fractions derived from bit-planes by hand, derived against
// measured, the activity file round trip and its errors. (The compiler's data-aware counts are
// checked against the cycle engine's step-by-step shares in tests/hw, CycleWork.DataAware*.)
#include <gtest/gtest.h>

#include <cmath>

#include "sim/compiler/activity.h"
#include "sim/engines/analytic.h"
#include "sim/engines/functional.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::source_path;

ArchConfig isaac(const std::vector<std::string>& overrides = {}) {
  return load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
}

// conv a (3 -> 16) -> relu -> conv b (16 -> 8) -> flatten -> fc: b and fc see ReLU zeros.
Network small_network(const test::TempDir& dir) {
  return load_network(dir.write(
      "net.yaml",
      "name: small\nnetwork: small\ndataset: test\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [16, 8, 8]}\n"
      "  - {name: r, type: relu, input: [16, 8, 8], output: [16, 8, 8]}\n"
      "  - {name: b, type: conv2d, kernel: 3, input: [16, 8, 8], output: [8, 6, 6]}\n"
      "  - {name: r2, type: relu, input: [8, 6, 6], output: [8, 6, 6]}\n"
      "  - {name: flat, type: flatten, input: [8, 6, 6], output: [288]}\n"
      "  - {name: fc, type: linear, input: [288], output: [10]}\n"));
}

// One 128-row array with 10 used columns and 4 activation bits, worked by hand.
LayerMapping one_array(int bits, int cycles) {
  LayerMapping m;
  m.activation_bits = bits;
  m.input_cycles = cycles;
  m.row_block_rows = {128};
  ColumnArray a;
  a.used_columns = 10;
  m.column_arrays = {a};
  return m;
}

TEST(Activity, FractionsDerivedFromBitPlanesByHand) {
  LayerActivity a;
  a.density = 0.6;
  a.bit_ones = {0.5, 0.25, 0.1, 0.0};
  // 1-bit DACs: a drive is active when its bit is set: mean of the planes, 0.2125.
  const ActiveFractions one = layer_fractions(a, one_array(4, 4), isaac());
  EXPECT_DOUBLE_EQ(one.dac, (0.5 + 0.25 + 0.1 + 0.0) / 4);
  EXPECT_DOUBLE_EQ(one.cell, one.dac);
  EXPECT_EQ(one.conversion, 1.0);  // no skipping without pe.adc.skip_zero_blocks
  // 2-bit DACs: cycle 0 (bits 0, 1) active with 1 - 0.5 x 0.75 = 0.625, clamped to the
  // density 0.6; cycle 1 (bits 2, 3) 1 - 0.9 x 1 = 0.1. Mean 0.35.
  const ArchConfig two_bit = isaac({"pe.dac.bits=2", "pe.adc.skip_zero_blocks=true"});
  const ActiveFractions two = layer_fractions(a, one_array(4, 2), two_bit);
  EXPECT_DOUBLE_EQ(two.dac, (0.6 + 0.1) / 2);
  // Skipping: the 128-row block is all zero in a cycle with (1 - active)^128.
  const double expected = ((1 - std::pow(0.4, 128)) + (1 - std::pow(0.9, 128))) / 2;
  EXPECT_NEAR(two.conversion, expected, 1e-15);
  // Measured fractions win over the derivation.
  a.dac_active_fraction = 0.7;
  a.conversion_active_fraction = 0.2;
  const ActiveFractions measured = layer_fractions(a, one_array(4, 2), two_bit);
  EXPECT_EQ(measured.dac, 0.7);
  EXPECT_EQ(measured.cell, 0.7);
  EXPECT_EQ(measured.conversion, 0.2);
}

// With 1-bit DACs a drive is one row's bit, so the DAC fraction derived from the measured
// bit-planes must equal the one the functional engine counted drive by drive (two different
// countings of one run). The derived conversion fraction assumes independent rows and must not
// fall below the measured one by much on ReLU data (zeros cluster); both are checked to lie in
// [0, 1] and the derivation to be at least the measured DAC fraction.
void expect_derived_dac_fraction_equals_measured(const std::vector<std::string>& overrides) {
  test::TempDir dir;
  const Network net = small_network(dir);
  std::vector<std::string> all = {"pe.adc.skip_zero_blocks=true", "pe.adc.resolution=exact"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  const ArchConfig arch = isaac(all);
  const PrecisionProfile profile = uniform_profile(net, 8);
  const NetworkMapping mapping = map_network(net, profile, arch);
  FunctionalOptions options;
  options.batch = 3;
  const Activity measured =
      measured_activity(net, run_functional(net, profile, arch, mapping, options), "test");
  ASSERT_EQ(measured.layers.size(), 3u);
  for (const auto& [name, a] : measured.layers) {
    SCOPED_TRACE(name);
    const LayerMapping& m =
        *std::find_if(mapping.layers.begin(), mapping.layers.end(),
                      [&](const LayerMapping& l) { return net.layers[l.layer].name == name; });
    LayerActivity planes_only = a;
    planes_only.dac_active_fraction = planes_only.cell_active_fraction = -1;
    planes_only.conversion_active_fraction = -1;
    const ActiveFractions derived = layer_fractions(planes_only, m, arch);
    EXPECT_NEAR(derived.dac, a.dac_active_fraction, 1e-12);
    EXPECT_GT(a.dac_active_fraction, 0.0);
    EXPECT_LT(a.dac_active_fraction, 1.0);
    EXPECT_GE(derived.conversion, 0.0);
    EXPECT_LE(derived.conversion, 1.0);
  }
  // ReLU zeros: the layers after a ReLU see a lower density than the first.
  EXPECT_LT(measured.find("b")->density, measured.find("a")->density);
}

TEST(Activity, DerivedDacFractionEqualsMeasuredWithOneBitDacs) {
  expect_derived_dac_fraction_equals_measured({});
}

// Row groups (pe.crossbar.rows_per_read): a group's conversions are skipped when its own rows
// are all zero, so more conversions are skipped than with whole blocks, measured and derived.
TEST(Activity, RowGroupsSkipMoreConversions) {
  expect_derived_dac_fraction_equals_measured({"pe.crossbar.rows_per_read=16"});
  test::TempDir dir;
  const Network net = small_network(dir);
  const PrecisionProfile profile = uniform_profile(net, 8);
  auto measured_conversions = [&](const std::vector<std::string>& overrides) {
    std::vector<std::string> all = {"pe.adc.skip_zero_blocks=true"};
    all.insert(all.end(), overrides.begin(), overrides.end());
    const ArchConfig arch = isaac(all);
    const NetworkMapping mapping = map_network(net, profile, arch);
    FunctionalOptions options;
    options.batch = 2;
    const Activity a =
        measured_activity(net, run_functional(net, profile, arch, mapping, options), "test");
    return a.find("b")->conversion_active_fraction;
  };
  EXPECT_LT(measured_conversions({"pe.crossbar.rows_per_read=8"}), measured_conversions({}));
}

// The file written by --activity-out reads back to the same fractions bit for bit, so a run
// from the file gives the counts of the run that measured it.
TEST(Activity, FileRoundTripGivesTheSameCounts) {
  test::TempDir dir;
  const Network net = small_network(dir);
  const ArchConfig arch = isaac({"pe.adc.skip_zero_blocks=true", "pe.adc.resolution=exact"});
  const PrecisionProfile profile = uniform_profile(net, 6);
  const NetworkMapping mapping = map_network(net, profile, arch);
  FunctionalOptions options;
  options.batch = 2;
  const Activity measured = measured_activity(
      net, run_functional(net, profile, arch, mapping, options), "measured \"here\"");
  const std::string path = dir.write("act.yaml", activity_yaml(measured));
  const Activity read = load_activity(path, net, profile);
  EXPECT_EQ(read.source, measured.source);
  ASSERT_EQ(read.layers.size(), measured.layers.size());
  for (size_t i = 0; i < read.layers.size(); ++i) {
    EXPECT_EQ(read.layers[i].first, measured.layers[i].first);
    EXPECT_EQ(read.layers[i].second.bit_ones, measured.layers[i].second.bit_ones);
    EXPECT_EQ(read.layers[i].second.density, measured.layers[i].second.density);
    EXPECT_EQ(read.layers[i].second.conversion_active_fraction,
              measured.layers[i].second.conversion_active_fraction);
  }
  EXPECT_EQ(analyze(net, profile, arch, mapping, &read).total_counts(),
            analyze(net, profile, arch, mapping, &measured).total_counts());
}

TEST(Activity, BadFilesNameFileLineAndKey) {
  test::TempDir dir;
  const Network net = small_network(dir);
  const PrecisionProfile profile = uniform_profile(net, 8);
  const std::string path = dir.write(
      "bad.yaml",
      "layers:\n"
      "  nope: {density: 0.5, bit_ones: [0, 0, 0, 0, 0, 0, 0, 0]}\n"
      "  r: {density: 0.5, bit_ones: [0, 0, 0, 0, 0, 0, 0, 0]}\n"
      "  a: {density: 1.5, bit_ones: [0, 0, 0, 0, 0, 0, 0, 0]}\n"
      "  b: {density: 0.5, bit_ones: [0, 0, 0]}\n"
      "  fc: {density: 0.5, bit_ones: [0, 0, 0, 0, 0, 0, 0, 0], dac_active_fraction: -0.1, "
      "extra: 1}\n");
  const std::string message = test::input_error_of([&] { load_activity(path, net, profile); });
  EXPECT_NE(message.find("bad.yaml:2:3: layers.nope: no layer of that name"), std::string::npos)
      << message;
  EXPECT_NE(message.find("layers.r: is a relu layer"), std::string::npos) << message;
  EXPECT_NE(message.find("bad.yaml:4:"), std::string::npos) << message;
  EXPECT_NE(message.find("layers.a.density"), std::string::npos) << message;
  EXPECT_NE(message.find("layers.b.bit_ones: has 3 bit-planes, but the profile gives b 8"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("layers.fc.dac_active_fraction"), std::string::npos) << message;
  EXPECT_NE(message.find("layers.fc.extra"), std::string::npos) << message;
  const std::string missing = dir.write("missing.yaml", "source: x\n");
  EXPECT_NE(test::input_error_of([&] { load_activity(missing, net, profile); }).find("layers"),
            std::string::npos);
}

}  // namespace
}  // namespace mixpim::sim
