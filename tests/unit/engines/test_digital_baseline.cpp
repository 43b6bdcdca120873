// The digital 16-bit baseline against counts, times and energies worked out by hand.
#include <gtest/gtest.h>

#include "sim/engines/digital_baseline.h"
#include "tests/test_util.h"

namespace mixpim {
namespace {

using sim::ActionCounts;
using sim::DigitalConfig;
using sim::DigitalResult;
using sim::LayerType;
using test::TempDir;

// An energy table with distinct round numbers, so every product below is traceable.
const char* kTable = R"(name: test-digital
version: 1
technology_nm: 45
components:
  mac: {energy_pj: {op: 1}}
  weight_buffer: {energy_pj: {read_byte: 2, write_byte: 3}}
  activation_buffer: {energy_pj: {read_byte: 4, write_byte: 5}}
  accumulator: {energy_pj: {read_byte: 6, write_byte: 7}}
  vector_unit: {energy_pj: {op: 8}}
  dram: {energy_pj: {byte: 100}}
)";

// 8 x 4 array at 500 MHz (2 ns a cycle).
const char* kPreset = R"(name: tiny
tech: table.yaml
clock_mhz: 500
mac_array: {rows: 8, columns: 4}
activation_buffer: {capacity_bytes: 1048576, bandwidth_bytes_per_cycle: 16}
weight_buffer: {capacity_bytes: 1000, bandwidth_bytes_per_cycle: 8}
vector_units: 2
dram: {bandwidth_gb_per_s: 4}
)";

sim::Layer make_layer(const std::string& name, LayerType type, sim::Shape in, sim::Shape out,
                      int kernel = 1) {
  sim::Layer l;
  l.name = name;
  l.type = type;
  l.input_shape = std::move(in);
  l.output_shape = std::move(out);
  l.kernel_h = l.kernel_w = kernel;
  l.stride_h = l.stride_w = kernel == 3 ? 1 : kernel;
  l.pad_h = l.pad_w = kernel == 3 ? 1 : 0;
  return l;
}

// conv 3x3 4->6 on 4x4 (padding 1), ReLU, 2x2 max pool, flatten, linear 24->10.
sim::Network small_network() {
  sim::Network n;
  n.name = "small";
  n.input_shape = {4, 4, 4};
  n.layers.push_back(make_layer("conv", LayerType::kConv2d, {4, 4, 4}, {6, 4, 4}, 3));
  n.layers.push_back(make_layer("relu", LayerType::kRelu, {6, 4, 4}, {6, 4, 4}));
  n.layers.push_back(make_layer("pool", LayerType::kMaxPool, {6, 4, 4}, {6, 2, 2}, 2));
  n.layers.push_back(make_layer("flatten", LayerType::kFlatten, {6, 2, 2}, {24}));
  n.layers.push_back(make_layer("fc", LayerType::kLinear, {24}, {10}));
  for (size_t i = 0; i < n.layers.size(); ++i) {
    n.layers[i].producers = {static_cast<int>(i) - 1};
  }
  return n;
}

struct Fixture {
  TempDir dir;
  DigitalConfig config;
  sim::TechTable table;
  explicit Fixture(const std::vector<std::string>& overrides = {}) {
    dir.write("table.yaml", kTable);
    config = sim::load_digital_config(dir.write("tiny.yaml", kPreset), overrides);
    table = sim::load_digital_table(sim::resolve_digital_tech_path(config));
  }
};

TEST(DigitalBaseline, OneNetworkByHand) {
  Fixture f;
  const DigitalResult r = sim::analyze_digital(small_network(), f.config, f.table);
  ASSERT_EQ(r.layers.size(), 5u);
  // 16-bit weights: 36 x 6 + 24 x 10 = 456 weights, 912 B <= 1000 B: resident.
  EXPECT_EQ(r.weight_bytes, 912);
  EXPECT_TRUE(r.weights_resident);

  // conv: P = 16, K = 4 x 9 = 36, N = 6; folds ceil(36/8) x ceil(6/4) = 5 x 2.
  const sim::DigitalLayer& conv = r.layers[0];
  EXPECT_EQ(conv.macs, 16 * 36 * 6);
  EXPECT_EQ(conv.folds, 10);
  EXPECT_EQ(conv.compute_cycles, 10 * (2 * 8 + 4 + 16 - 2));  // 340
  const ActionCounts& c = conv.counts;
  EXPECT_EQ(c.get("mac", "op"), 3456);
  EXPECT_EQ(c.get("weight_buffer", "read_byte"), 2 * 36 * 6);
  EXPECT_EQ(c.get("weight_buffer", "write_byte"), 0);
  EXPECT_EQ(c.get("activation_buffer", "read_byte"), 2 * 16 * 36 * 2);  // two column folds
  EXPECT_EQ(c.get("activation_buffer", "write_byte"), 2 * 96);
  EXPECT_EQ(c.get("accumulator", "write_byte"), 4 * 16 * 6 * 5);  // five row folds
  EXPECT_EQ(c.get("accumulator", "read_byte"), 4 * 16 * 6 * 5);
  EXPECT_EQ(c.get("dram", "byte"), 0);
  EXPECT_DOUBLE_EQ(conv.bounds_ns.at("compute"), 340 * 2.0);
  EXPECT_DOUBLE_EQ(conv.bounds_ns.at("weight_buffer"), 432 / 8.0 * 2);
  EXPECT_DOUBLE_EQ(conv.bounds_ns.at("activation_buffer"), (2304 + 192) / 16.0 * 2);
  EXPECT_EQ(conv.bounds_ns.count("dram"), 0u);
  EXPECT_DOUBLE_EQ(conv.time_ns, 680);
  EXPECT_EQ(conv.bound, "compute");
  EXPECT_DOUBLE_EQ(conv.total_energy_pj(),
                   3456 * 1 + 432 * 2 + 2304 * 4 + 192 * 5 + 1920 * 6 + 1920 * 7);

  // ReLU: fused, 96 vector operations, no buffer traffic.
  const sim::DigitalLayer& relu = r.layers[1];
  EXPECT_EQ(relu.counts.get("vector_unit", "op"), 96);
  EXPECT_EQ(relu.counts.get("activation_buffer", "read_byte"), 0);
  EXPECT_DOUBLE_EQ(relu.time_ns, 96 / 2.0 * 2);
  EXPECT_EQ(relu.bound, "vector");

  // Pool 2x2: 24 outputs x 4 window elements read; 24 outputs written.
  const sim::DigitalLayer& pool = r.layers[2];
  EXPECT_EQ(pool.counts.get("vector_unit", "op"), 96);
  EXPECT_EQ(pool.counts.get("activation_buffer", "read_byte"), 2 * 96);
  EXPECT_EQ(pool.counts.get("activation_buffer", "write_byte"), 2 * 24);
  EXPECT_DOUBLE_EQ(pool.bounds_ns.at("activation_buffer"), 240 / 16.0 * 2);
  EXPECT_DOUBLE_EQ(pool.time_ns, 96);
  EXPECT_EQ(pool.bound, "vector");

  // Flatten costs nothing.
  EXPECT_TRUE(r.layers[3].counts.entries().empty());
  EXPECT_DOUBLE_EQ(r.layers[3].time_ns, 0);
  EXPECT_EQ(r.layers[3].bound, "none");

  // fc: P = 1, K = 24, N = 10; folds 3 x 3, each 2 x 8 + 4 + 1 - 2 = 19 cycles.
  const sim::DigitalLayer& fc = r.layers[4];
  EXPECT_EQ(fc.folds, 9);
  EXPECT_EQ(fc.compute_cycles, 171);
  EXPECT_EQ(fc.counts.get("activation_buffer", "read_byte"), 2 * 24 * 3);
  EXPECT_EQ(fc.counts.get("accumulator", "write_byte"), 4 * 10 * 3);
  EXPECT_DOUBLE_EQ(fc.time_ns, 342);

  // Network input (64 values) in and output (10) out through DRAM and the buffer.
  EXPECT_EQ(r.io_counts.get("dram", "byte"), 128 + 20);
  EXPECT_EQ(r.io_counts.get("activation_buffer", "write_byte"), 128);
  EXPECT_EQ(r.io_counts.get("activation_buffer", "read_byte"), 20);

  EXPECT_DOUBLE_EQ(r.latency_ns, 680 + 96 + 96 + 0 + 342);
  EXPECT_EQ(r.macs, 3456 + 240);
  const double expected_pj = (3456 + 240) * 1.0                         // MACs
                             + (432 + 480) * 2.0                        // weight reads
                             + (2304 + 96 * 2 + 144 + 20) * 4.0         // activation reads
                             + (192 + 48 + 20 + 128) * 5.0              // activation writes
                             + (1920 + 120) * 6.0 + (1920 + 120) * 7.0  // accumulator
                             + (96 + 96) * 8.0                          // vector unit
                             + 148 * 100.0;                             // DRAM: input and output
  EXPECT_DOUBLE_EQ(r.energy_pj, expected_pj);
  EXPECT_DOUBLE_EQ(r.component_energy_pj.at("dram"), 14800);
  EXPECT_DOUBLE_EQ(r.tops_per_w(), 2.0 * 3696 / expected_pj);
}

TEST(DigitalBaseline, WeightsThatDoNotFitStreamFromDram) {
  Fixture f({"weight_buffer.capacity_bytes=911"});
  const DigitalResult r = sim::analyze_digital(small_network(), f.config, f.table);
  EXPECT_FALSE(r.weights_resident);
  const sim::DigitalLayer& conv = r.layers[0];
  EXPECT_EQ(conv.counts.get("dram", "byte"), 432);
  EXPECT_EQ(conv.counts.get("weight_buffer", "write_byte"), 432);
  EXPECT_DOUBLE_EQ(conv.bounds_ns.at("dram"), 432 / 4.0);  // 4 GB/s = 4 B/ns
  EXPECT_EQ(r.layers[4].counts.get("dram", "byte"), 480);
  EXPECT_EQ(r.total_counts().get("dram", "byte"), 432 + 480 + 148);
  // Slow DRAM binds the layer.
  Fixture slow({"weight_buffer.capacity_bytes=0", "dram.bandwidth_gb_per_s=0.5"});
  const DigitalResult s = sim::analyze_digital(small_network(), slow.config, slow.table);
  EXPECT_DOUBLE_EQ(s.layers[0].time_ns, 432 / 0.5);
  EXPECT_EQ(s.layers[0].bound, "dram");
}

TEST(DigitalBaseline, ActivationsThatDoNotFitSpillToDram) {
  // conv holds 2 x (64 + 96) = 320 B, pool 2 x (96 + 24) = 240 B, fc 2 x (24 + 10) = 68 B.
  Fixture f({"activation_buffer.capacity_bytes=239"});
  const DigitalResult r = sim::analyze_digital(small_network(), f.config, f.table);
  EXPECT_EQ(r.layers[0].counts.get("dram", "byte"), 320);
  EXPECT_EQ(r.layers[1].counts.get("dram", "byte"), 0);  // fused ReLU: no buffer traffic
  EXPECT_EQ(r.layers[2].counts.get("dram", "byte"), 240);
  EXPECT_EQ(r.layers[4].counts.get("dram", "byte"), 0);
}

TEST(DigitalBaseline, ResidualAddReadsEveryInput) {
  Fixture f;
  sim::Network n;
  n.input_shape = {2, 2, 2};
  n.layers.push_back(make_layer("a", LayerType::kRelu, {2, 2, 2}, {2, 2, 2}));
  n.layers.back().producers = {sim::kNetworkInput};
  n.layers.push_back(make_layer("add", LayerType::kAdd, {2, 2, 2}, {2, 2, 2}));
  n.layers.back().producers = {sim::kNetworkInput, 0};
  n.layers.push_back(make_layer("gap", LayerType::kGlobalAvgPool, {2, 2, 2}, {2}));
  n.layers.back().producers = {1};
  const DigitalResult r = sim::analyze_digital(n, f.config, f.table);
  EXPECT_EQ(r.layers[1].counts.get("vector_unit", "op"), 8);
  EXPECT_EQ(r.layers[1].counts.get("activation_buffer", "read_byte"), 2 * 2 * 8);
  EXPECT_EQ(r.layers[1].counts.get("activation_buffer", "write_byte"), 2 * 8);
  EXPECT_EQ(r.layers[2].counts.get("vector_unit", "op"), 8);
  EXPECT_EQ(r.layers[2].counts.get("activation_buffer", "read_byte"), 16);
  EXPECT_EQ(r.layers[2].counts.get("activation_buffer", "write_byte"), 4);
}

TEST(DigitalBaseline, ShippedPresetCountsEveryDenseMac) {
  const DigitalConfig config =
      sim::load_digital_config(test::source_path("configs/digital/systolic-16bit.yaml"));
  EXPECT_EQ(sim::resolve_digital_tech_path(config),
            test::source_path("configs/tech/digital-45nm.yaml"));
  const sim::TechTable table = sim::load_digital_table(sim::resolve_digital_tech_path(config));
  for (const char* name : {"vgg19-cifar10", "resnet18-cifar10"}) {
    const sim::Network net =
        sim::load_network(test::source_path(std::string("workloads/") + name + ".yaml"));
    const DigitalResult r = sim::analyze_digital(net, config, table);
    int64_t macs = 0, weights = 0;
    double latency = 0;
    for (const sim::Layer& l : net.layers) {
      macs += l.dense_macs();
      weights += l.dense_weights();
    }
    for (const sim::DigitalLayer& l : r.layers) latency += l.time_ns;
    EXPECT_EQ(r.macs, macs) << name;
    EXPECT_EQ(r.total_counts().get("mac", "op"), macs) << name;
    EXPECT_EQ(r.weight_bytes, 2 * weights) << name;
    EXPECT_FALSE(r.weights_resident) << name;  // 8 MiB holds neither network's weights
    EXPECT_DOUBLE_EQ(r.latency_ns, latency) << name;
    // Every weight crosses DRAM once, plus the network's input and output.
    const int64_t io = int64_t{2} * (3 * 32 * 32 + 10);
    EXPECT_EQ(r.total_counts().get("dram", "byte"), 2 * weights + io) << name;
    double sum = 0;
    for (const auto& [component, pj] : r.component_energy_pj) sum += pj;
    EXPECT_NEAR(r.energy_pj, sum, 1e-9 * sum) << name;
  }
}

// The digital baseline's counterpart of an exact ADC: accumulators that hold every sum of k
// products of an unsigned 16-bit activation and a signed 16-bit weight, |sum| <= k x 65535 x
// 2^15, with a sign bit.
TEST(DigitalBaseline, AccumulatorsHoldEverySumOrSaySo) {
  EXPECT_EQ(sim::digital_accumulator_bits_needed(1), 32);     // 65535 x 2^15 < 2^31
  EXPECT_EQ(sim::digital_accumulator_bits_needed(2), 33);     // 2 x 65535 x 2^15 > 2^31
  EXPECT_EQ(sim::digital_accumulator_bits_needed(4608), 45);  // 3x3x512: < 2^44
  EXPECT_EQ(sim::digital_accumulator_bits_needed(65536), 48);
  EXPECT_EQ(sim::digital_accumulator_bits_needed(131072), 49);  // 2^48 - 2^32 > 2^47
  // The tiny preset keeps the default 32 bits: its conv (K = 36) needs 32 + 6 = 38.
  Fixture narrow;
  EXPECT_EQ(narrow.config.accumulator_bits, 32);
  const DigitalResult r = sim::analyze_digital(small_network(), narrow.config, narrow.table);
  EXPECT_EQ(r.layers[0].accumulator_bits_needed, 38);
  EXPECT_EQ(r.accumulator_bits_needed, 38);
  EXPECT_FALSE(r.exact);
  // 40-bit accumulators: exact, and their traffic is 5 bytes a partial sum instead of 4.
  Fixture wide({"mac_array.accumulator_bits=40"});
  const DigitalResult w = sim::analyze_digital(small_network(), wide.config, wide.table);
  EXPECT_TRUE(w.exact);
  EXPECT_EQ(w.layers[0].counts.get("accumulator", "write_byte"), 5 * 16 * 6 * 5);
  const nlohmann::ordered_json j =
      sim::digital_baseline_json(w, wide.config, wide.table, 1, 1, 1, 45);
  EXPECT_TRUE(j["exact"].get<bool>());
  EXPECT_EQ(j["accumulator_bits_needed"], 38);
  EXPECT_EQ(j["config"]["accumulator_bits"], 40);
  // The shipped preset's 48 bits hold both networks' sums.
  const DigitalConfig shipped =
      sim::load_digital_config(test::source_path("configs/digital/systolic-16bit.yaml"));
  EXPECT_EQ(shipped.accumulator_bits, 48);
  const sim::TechTable table = sim::load_digital_table(sim::resolve_digital_tech_path(shipped));
  for (const char* name : {"vgg19-cifar10", "resnet18-cifar10"}) {
    const sim::Network net =
        sim::load_network(test::source_path(std::string("workloads/") + name + ".yaml"));
    const DigitalResult s = sim::analyze_digital(net, shipped, table);
    EXPECT_TRUE(s.exact) << name;
    EXPECT_EQ(s.accumulator_bits_needed, 45) << name;
  }
}

TEST(DigitalBaseline, BadPresetsNameFileLineAndKey) {
  TempDir dir;
  const std::string path = dir.write("bad.yaml", R"(name: bad
tech: digital-45nm
clock_mhz: fast
mac_array: {rows: 0, columns: 4}
activation_buffer: {capacity_bytes: 10, bandwidth_bytes_per_cycle: 1}
weight_buffer: {capacity_bytes: 10}
vector_units: 1
dram: {bandwidth_gb_per_s: 1}
tile: 3
)");
  const std::string error = test::input_error_of([&] { sim::load_digital_config(path); });
  EXPECT_NE(error.find("bad.yaml:3:12: clock_mhz: expected number in"), std::string::npos) << error;
  EXPECT_NE(error.find("bad.yaml:4:19: mac_array.rows: expected integer in [1, 65536]"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("weight_buffer.bandwidth_bytes_per_cycle: missing required key"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:9:1: tile: unknown key"), std::string::npos) << error;
  // Overrides are checked too, and named as --digital-set.
  const std::string shipped = test::source_path("configs/digital/systolic-16bit.yaml");
  const std::string override_error =
      test::input_error_of([&] { sim::load_digital_config(shipped, {"vector_units=-1"}); });
  EXPECT_NE(override_error.find("--digital-set vector_units=-1: vector_units"), std::string::npos)
      << override_error;
  const std::string not_a_map = dir.write("list.yaml", "- 1\n- 2\n");
  EXPECT_NE(test::input_error_of([&] {
              sim::load_digital_config(not_a_map);
            }).find("expected a map (a digital preset)"),
            std::string::npos);
}

TEST(DigitalBaseline, TablesAreCheckedForTheDigitalModel) {
  TempDir dir;
  // A PIM table lacks the digital actions; every missing one is named at once.
  const std::string error = test::input_error_of(
      [&] { sim::load_digital_table(test::source_path("configs/tech/isaac-32nm.yaml")); });
  EXPECT_NE(error.find("mac.op"), std::string::npos) << error;
  EXPECT_NE(error.find("accumulator.write_byte"), std::string::npos) << error;
  // The digital model has no area or leakage: such keys would be silently ignored, so they
  // are errors.
  const std::string with_area =
      dir.write("t.yaml", std::string(kTable) + "  extra: {area_mm2: 1, energy_pj: {op: 1}}\n");
  EXPECT_NE(test::input_error_of([&] {
              sim::load_digital_table(with_area);
            }).find("components.extra.area_mm2: unknown key"),
            std::string::npos);
  // A missing table is named with the preset's key.
  dir.write("p.yaml", std::string(kPreset));
  const DigitalConfig config = sim::load_digital_config(dir.file("p.yaml"));
  EXPECT_NE(test::input_error_of([&] {
              sim::resolve_digital_tech_path(config);
            }).find("p.yaml:2:7: tech: no technology table"),
            std::string::npos);
}

}  // namespace
}  // namespace mixpim
