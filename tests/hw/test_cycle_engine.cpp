// Cycle engine against the analytic engine and in isolation. Each test runs in its own process
// (gtest_discover_tests): the SystemC kernel elaborates once per process, so every test calls
// run_cycle once (the determinism test forks for its second run).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "hw/cycle_engine.h"
#include "sim/analytic.h"
#include "sim/energy_model.h"
#include "sim/mapping.h"
#include "sim/tech_table.h"
#include "tests/test_util.h"

namespace mixpim::hw {
namespace {

using sim::ActionCounts;
using sim::PerformanceResult;
using test::source_path;

struct Case {
  sim::ArchConfig arch;
  sim::Network network;
  sim::PrecisionProfile profile;
  sim::NetworkMapping mapping;
};

Case load_case(const std::string& net, const std::string& profile,
               const std::vector<std::string>& overrides = {}) {
  Case c;
  c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
  c.network = sim::load_network(source_path("workloads/" + net + "-cifar10.yaml"));
  c.profile = sim::load_profile(source_path("workloads/profiles/" + profile + ".yaml"), c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  return c;
}

std::string describe(const ActionCounts& counts) {
  std::ostringstream out;
  for (const auto& [key, count] : counts.entries())
    out << key.first << "." << key.second << "=" << count << " ";
  return out.str();
}

void expect_same_counts(const PerformanceResult& cycle, const PerformanceResult& analytic) {
  ASSERT_EQ(cycle.layers.size(), analytic.layers.size());
  for (size_t i = 0; i < cycle.layers.size(); ++i) {
    EXPECT_EQ(cycle.layers[i].counts, analytic.layers[i].counts)
        << analytic.layers[i].name << "\n cycle:    " << describe(cycle.layers[i].counts)
        << "\n analytic: " << describe(analytic.layers[i].counts);
    EXPECT_EQ(cycle.layers[i].bounds_ns.size(), analytic.layers[i].bounds_ns.size());
    EXPECT_EQ(cycle.layers[i].bound, analytic.layers[i].bound) << analytic.layers[i].name;
    for (const auto& [name, ns] : analytic.layers[i].bounds_ns) {
      EXPECT_NEAR(cycle.layers[i].bounds_ns.at(name), ns, 1e-9 * ns)
          << analytic.layers[i].name << " " << name;
    }
    EXPECT_EQ(cycle.layers[i].macs, analytic.layers[i].macs);
    EXPECT_EQ(cycle.layers[i].adc.bits, analytic.layers[i].adc.bits);
  }
  EXPECT_EQ(cycle.io_counts, analytic.io_counts);
  EXPECT_EQ(cycle.total_counts(), analytic.total_counts());
  EXPECT_EQ(cycle.reprogram_rounds, analytic.reprogram_rounds);
}

// Contention off: identical counts and energy, schedule within 1 % (in fact within rounding).
void expect_matches_analytic(const std::string& net, const std::string& profile) {
  const Case c = load_case(net, profile);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  CycleOptions options;
  options.contention = false;
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  expect_same_counts(cycle.performance, analytic);
  EXPECT_NEAR(cycle.performance.latency_ns, analytic.latency_ns, 0.01 * analytic.latency_ns);
  EXPECT_NEAR(cycle.performance.interval_ns, analytic.interval_ns, 0.01 * analytic.interval_ns);
  for (size_t i = 0; i < analytic.layers.size(); ++i) {
    const sim::LayerPerformance& a = analytic.layers[i];
    const sim::LayerPerformance& s = cycle.performance.layers[i];
    EXPECT_NEAR(s.end_ns, a.end_ns, 0.01 * analytic.latency_ns) << a.name;
    EXPECT_NEAR(s.time_ns, a.time_ns, 1e-3 + 1e-6 * a.time_ns) << a.name;
  }
  const sim::TechTable table = sim::load_tech_table(source_path("configs/tech/isaac-32nm.yaml"));
  const sim::Evaluation ea = sim::evaluate(analytic, c.arch, table);
  const sim::Evaluation ec = sim::evaluate(cycle.performance, c.arch, table);
  EXPECT_EQ(ec.dynamic_pj, ea.dynamic_pj);
  EXPECT_NEAR(ec.energy_pj(), ea.energy_pj(), 1e-9 * ea.energy_pj());
  std::printf("%s/%s: analytic %.3f ns, cycle %.3f ns, %lld kernel events, %.3f s wall\n",
              net.c_str(), profile.c_str(), analytic.latency_ns, cycle.performance.latency_ns,
              static_cast<long long>(cycle.kernel_events), cycle.wall_seconds);
}

TEST(CycleMatchesAnalytic, Vgg19Uniform16) { expect_matches_analytic("vgg19", "uniform16"); }
TEST(CycleMatchesAnalytic, Vgg19Uniform4) { expect_matches_analytic("vgg19", "uniform4"); }
TEST(CycleMatchesAnalytic, Vgg19MixedChannel) {
  expect_matches_analytic("vgg19", "vgg19/mixed-channel");
}
TEST(CycleMatchesAnalytic, Resnet18Uniform16) { expect_matches_analytic("resnet18", "uniform16"); }
TEST(CycleMatchesAnalytic, Resnet18Uniform4) { expect_matches_analytic("resnet18", "uniform4"); }
TEST(CycleMatchesAnalytic, Resnet18MixedChannel) {
  expect_matches_analytic("resnet18", "resnet18/mixed-channel");
}

// Contention on: the same work, never faster than the analytic schedule.
void expect_contention_bounded(const std::string& net, const std::string& profile) {
  const Case c = load_case(net, profile);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  expect_same_counts(cycle.performance, analytic);
  EXPECT_GE(cycle.performance.latency_ns, analytic.latency_ns);
  EXPECT_GE(cycle.performance.interval_ns, analytic.interval_ns);
  for (size_t i = 0; i < analytic.layers.size(); ++i) {
    EXPECT_GE(cycle.performance.layers[i].end_ns + 1e-3, analytic.layers[i].end_ns)
        << analytic.layers[i].name;
    EXPECT_GE(cycle.performance.layers[i].time_ns + 1e-3, analytic.layers[i].time_ns)
        << analytic.layers[i].name;
  }
  std::printf(
      "%s/%s: analytic %.3f ns, cycle with contention %.3f ns (+%.2f %%), %lld events, %.3f s\n",
      net.c_str(), profile.c_str(), analytic.latency_ns, cycle.performance.latency_ns,
      100.0 * (cycle.performance.latency_ns / analytic.latency_ns - 1),
      static_cast<long long>(cycle.kernel_events), cycle.wall_seconds);
  std::printf("%s\n", cycle_extras_json(cycle).dump(1).substr(0, 3000).c_str());
}

TEST(CycleContention, Vgg19MixedChannelNeverFasterThanAnalytic) {
  expect_contention_bounded("vgg19", "vgg19/mixed-channel");
}
TEST(CycleContention, Resnet18MixedChannelNeverFasterThanAnalytic) {
  expect_contention_bounded("resnet18", "resnet18/mixed-channel");
}
TEST(CycleContention, Resnet18Uniform16NeverFasterThanAnalytic) {
  expect_contention_bounded("resnet18", "uniform16");
}

// Layer by layer (sequential schedule), contention off: the same counts and latency.
TEST(CycleMatchesAnalytic, Resnet18Uniform8LayerByLayer) {
  Case c = load_case("resnet18", "uniform8", {"mapping.mode=layer_by_layer"});
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  CycleOptions options;
  options.contention = false;
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  expect_same_counts(cycle.performance, analytic);
  EXPECT_NEAR(cycle.performance.latency_ns, analytic.latency_ns, 1e-6 * analytic.latency_ns);
  EXPECT_NEAR(cycle.performance.interval_ns, analytic.interval_ns, 1e-6 * analytic.interval_ns);
}

TEST(CycleContention, Resnet18LayerByLayerNeverFasterThanAnalytic) {
  Case c = load_case("resnet18", "uniform8", {"mapping.mode=layer_by_layer"});
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  expect_same_counts(cycle.performance, analytic);
  EXPECT_GE(cycle.performance.latency_ns, analytic.latency_ns);
}

// ---- Contention sources in isolation, on small hand-made programs ----

sim::Layer conv(const std::string& name, int producer, int64_t cin, int64_t cout, int64_t size) {
  sim::Layer l;
  l.name = name;
  l.type = sim::LayerType::kConv2d;
  l.producers = {producer};
  l.input_shape = {cin, size, size};
  l.output_shape = {cout, size, size};
  l.kernel_h = l.kernel_w = 3;
  l.pad_h = l.pad_w = 1;
  return l;
}

// One PE per tile, `tiles` tiles on a 1-row plain mesh, `crossbars` arrays per PE.
sim::ArchConfig small_chip(int tiles, int crossbars) {
  sim::ArchConfig arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"));
  arch.chip.tiles = tiles;
  arch.chip.noc.topology = sim::NocTopology::kMesh;
  arch.chip.noc.tiles_per_router = 1;
  arch.chip.noc.mesh_columns = tiles;
  arch.chip.noc.mesh_rows = 1;
  arch.tile.pes = 1;
  arch.pe.crossbars = crossbars;
  return arch;
}

// A 3x3 conv from 16 to 8 channels on 4x4 maps, 8-bit weights, 4-bit inputs, on one PE of two
// arrays (rows 144 = blocks of 128 and 16; 32 columns): 16 MVMs x 4 reads = 64 reads, 64
// columns per read for the PE's ADCs.
Case one_conv_case(int adcs, double msps) {
  Case c;
  c.arch = small_chip(1, 2);
  c.arch.pe.adc.count = adcs;
  c.arch.pe.adc.sample_rate_msps = msps;
  c.network.name = "one-conv";
  c.network.input_shape = {16, 4, 4};
  c.network.layers.push_back(conv("conv", sim::kNetworkInput, 16, 8, 4));
  c.profile = sim::uniform_profile(c.network, 8);
  c.profile.layers[0].activation_bits = 4;
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  return c;
}

// One ADC at 320 MS/s: 64 columns take 200 ns per read, twice the 100 ns read. With the
// sample-and-hold the crossbar stays one read ahead, so the layer takes one read to fill the
// pipeline plus 64 conversions of 200 ns: 100 + 12,800 ns (the analytic bound: 12,800).
TEST(CycleContentionSource, FewerAdcsLengthenTheLayerByTheConversionTime) {
  const Case c = one_conv_case(1, 320);
  ASSERT_EQ(c.mapping.layers[0].replication, 1);
  const double adc_ns = 64 * 1000.0 / 320;  // ceil(64 columns / 1 ADC) conversions per read
  ASSERT_DOUBLE_EQ(adc_ns, 200.0);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_EQ(analytic.layers[0].bound, "adc");
  EXPECT_DOUBLE_EQ(analytic.latency_ns, 64 * adc_ns);
  EXPECT_NEAR(cycle.performance.latency_ns, 100 + 64 * adc_ns, 1e-3);
  // The fill is the only time lost beyond the stage time: 100 ns = 120 cycles at 1.2 GHz.
  EXPECT_EQ(cycle.layers[0].stall_cycles.at("adc"), 120);
  expect_same_counts(cycle.performance, analytic);
}

// ISAAC's 8 ADCs at 1.28 GS/s: 8 conversion slots of 0.78125 ns = 6.25 ns per read, under the
// 100 ns read: the layer is crossbar bound, 64 reads + the last read's conversions.
TEST(CycleContentionSource, EnoughAdcsLeaveTheLayerCrossbarBound) {
  const Case c = one_conv_case(8, 1280);
  ASSERT_EQ(c.mapping.layers[0].replication, 1);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_EQ(analytic.layers[0].bound, "crossbar");
  EXPECT_DOUBLE_EQ(analytic.latency_ns, 6400.0);
  EXPECT_NEAR(cycle.performance.latency_ns, 6400.0 + 8 * 1000.0 / 1280, 1e-3);
}

// Two convs on 8x8 maps, one tile each: A (8-bit inputs, 6,400 ns per output row) feeds B
// (16-bit inputs, 12,800 ns per row). B's input buffer holds 512 B = 4 rows of A's output
// (8 channels x 8 columns x 16 bits), so A cannot run more than 4 rows ahead of what B has
// released: A stalls, B (the slow stage) does not.
TEST(CycleContentionSource, SmallerTileBufferStallsTheProducer) {
  Case c;
  c.arch = small_chip(2, 1);
  c.arch.tile.buffer.capacity_bytes = 512;
  c.network.name = "two-conv";
  c.network.input_shape = {8, 8, 8};
  c.network.layers.push_back(conv("a", sim::kNetworkInput, 8, 8, 8));
  c.network.layers.push_back(conv("b", 0, 8, 8, 8));
  c.profile = sim::uniform_profile(c.network, 8);
  c.profile.layers[1].activation_bits = 16;
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  ASSERT_EQ(c.mapping.layers[0].replication, 1);
  ASSERT_EQ(c.mapping.layers[1].replication, 1);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const double ta = analytic.layers[0].time_ns / 8, tb = analytic.layers[1].time_ns / 8;
  ASSERT_DOUBLE_EQ(ta, 6400.0);
  ASSERT_DOUBLE_EQ(tb, 12800.0);
  // Expected schedule (row granular, fills of a few ns neglected): A's row j needs a free slot,
  // i.e. B's release of row j - 3 (after B's row j - 3, for j >= 4); B's row r needs A's rows
  // up to r + 1 (3 rows first, all 8 last).
  const int capacity = 4;
  std::vector<double> a_done(8, 0), b_done(8, 0);
  for (int iteration = 0; iteration < 20; ++iteration) {
    for (int j = 0; j < 8; ++j) {
      double issue = j > 0 ? a_done[j - 1] : 0;
      const int must_leave = j + 1 - capacity;
      if (must_leave > 0) issue = std::max(issue, b_done[must_leave]);
      a_done[j] = issue + ta;
    }
    for (int r = 0; r < 8; ++r) {
      const int need = r == 7 ? 8 : std::min(8, std::max(3, r + 2));
      b_done[r] = std::max(r > 0 ? b_done[r - 1] : 0, a_done[need - 1]) + tb;
    }
  }
  ASSERT_DOUBLE_EQ(a_done[7], 14 * ta);  // instead of 8 x 6,400 ns with room for every row
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  expect_same_counts(cycle.performance, analytic);
  EXPECT_NEAR(cycle.layers[0].end_ns, a_done[7], 0.005 * a_done[7]);
  EXPECT_NEAR(cycle.performance.latency_ns, b_done[7], 0.005 * b_done[7]);
  const double stall_ns = a_done[7] - 8 * ta;
  EXPECT_NEAR(cycle.layers[0].stall_cycles.at("backpressure"), stall_ns * 1.2,
              0.01 * stall_ns * 1.2);
  EXPECT_EQ(cycle.layers[1].stall_cycles.count("backpressure"), 0u);
}

// A (tile 0) feeds B, whose two row blocks sit on tiles 1 and 2 of a 3-router row. With 8-bit
// flits B's 2,048-byte input is 2,048 flits; the analytic bound spreads them over B's two
// routers (853 ns), but XY routing sends all of them over the one link 0->1: 1,706.7 ns, plus
// three router latencies per row group, which makes B NoC bound (its crossbars need 1,024 ns).
TEST(CycleContentionSource, NarrowerNocLinksLengthenTheConsumer) {
  Case c;
  c.arch = small_chip(3, 1);
  c.arch.chip.noc.flit_bits = 8;
  c.arch.pe.crossbar.read_latency_ns = 1;
  c.arch.pe.adc.count = 64;
  c.network.name = "noc";
  c.network.input_shape = {4, 8, 8};
  c.network.layers.push_back(conv("a", sim::kNetworkInput, 4, 16, 8));
  c.network.layers.push_back(conv("b", 0, 16, 16, 8));
  c.profile = sim::uniform_profile(c.network, 8);
  c.profile.layers[1].activation_bits = 16;
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  ASSERT_EQ(c.mapping.layers[1].first_tile, 1);
  ASSERT_EQ(c.mapping.layers[1].last_tile, 2);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const double flits = 16 * 64 * 16 / 8;
  EXPECT_NEAR(analytic.layers[1].bounds_ns.at("noc"), flits / (2 * 1.2), 1e-6);
  EXPECT_EQ(analytic.layers[1].bound, "crossbar");
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  expect_same_counts(cycle.performance, analytic);
  const double per_row = flits / 8 / 1.2 + 3 / 1.2;  // link time + 3 routers, per output row
  EXPECT_NEAR(cycle.performance.layers[1].time_ns, 8 * per_row, 0.01 * 8 * per_row);
  EXPECT_GT(cycle.layers[1].stall_cycles.at("noc"), 0);
  EXPECT_GT(cycle.performance.latency_ns, analytic.latency_ns + 600);
}

// Same inputs, same results: a forked child runs the same program and sends its results back.
std::string fingerprint(const CycleResult& r) {
  std::ostringstream out;
  out.precision(17);
  out << cycle_extras_json(r).dump() << "\n"
      << r.performance.latency_ns << " " << r.performance.interval_ns;
  for (const sim::LayerPerformance& l : r.performance.layers) {
    out << "\n"
        << l.name << " " << l.start_ns << " " << l.end_ns << " " << l.time_ns << " "
        << describe(l.counts);
  }
  return out.str();
}

TEST(CycleEngine, TwoRunsGiveIdenticalResults) {
  const Case c = load_case("resnet18", "resnet18/mixed-channel");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    const std::string text =
        fingerprint(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}));
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fds[1], text.data() + written, text.size() - written);
      if (n <= 0) ::_exit(1);
      written += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string theirs;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    theirs.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const std::string mine =
      fingerprint(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}));
  EXPECT_GT(mine.size(), 1000u);
  EXPECT_EQ(mine, theirs);
}

TEST(CycleEngine, SecondRunInOneProcessIsRefused) {
  const Case c = one_conv_case(8, 1280);
  run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_THROW(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}),
               std::logic_error);
}

// The Chrome trace: one complete event per layer per tile it occupies, one row per tile.
TEST(CycleEngine, WritesAChromeTraceWithOneRowPerTile) {
  const Case c = load_case("vgg19", "vgg19/mixed-channel");
  test::TempDir dir;
  CycleOptions options;
  options.trace_path = dir.file("trace.json");
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  std::ifstream in(options.trace_path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  size_t complete = 0, expected = 0;
  for (const sim::LayerPerformance& l : cycle.performance.layers)
    expected += l.last_tile - l.first_tile + 1;
  for (const nlohmann::json& e : trace.at("traceEvents")) {
    if (e.at("ph") != "X") continue;
    ++complete;
    EXPECT_EQ(e.at("pid"), 0);
    EXPECT_GE(e.at("dur").get<double>(), 0.0);
    EXPECT_LE(e.at("ts").get<double>() + e.at("dur").get<double>(),
              cycle.performance.latency_ns / 1000 + 1e-9);
  }
  EXPECT_EQ(complete, expected);
}

}  // namespace
}  // namespace mixpim::hw
