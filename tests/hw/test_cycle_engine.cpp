// Cycle engine: hand-computed timings on tiny chips, work conservation and the analytic lower
// bound on the shipped networks. Each test runs in its own process (gtest_discover_tests): the
// SystemC kernel elaborates once per process, so a test that needs several runs forks.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "hw/cycle_engine.h"
#include "sim/engines/analytic.h"
#include "sim/engines/energy_model.h"
#include "sim/compiler/mapping.h"
#include "sim/config/tech_table.h"
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

// Runs `fn` in a child process (a fresh SystemC kernel) and returns what it printed.
std::string in_child(const std::function<std::string()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(fds[0]);
    const std::string text = fn();
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fds[1], text.data() + written, text.size() - written);
      if (n <= 0) ::_exit(1);
      written += static_cast<size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buffer[65536];
  ssize_t n;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return "child failed";
  return out;
}

// ---------------------------------------------------------------------------------------------
// Tiny chip: one tile, one PE, one 64 x 8 array, clock 1 GHz (1 ns cycles), one ADC, one
// shift-add unit, a 1 x 1 mesh. One 1x1 convolution, 64 inputs -> 4 outputs over 1 x 16 pixels,
// 4-bit weights and activations (uniform4): 4 channels x 2 slices (2 bits per cell) = 8 columns,
// 16 MVMs (one copy: the PE holds one array) x 4 input bit-slices = 64 read steps. Inputs:
// 64 x 4 bits = 32 bytes per MVM; output: 4 x 16 values at 16 bits = 128 bytes, one row.
// Stage times per read step: read = read_latency_ns; ADC = 8 columns x 1000 / rate ns;
// shift-add = ceil(8 / (1 x ops per cycle)) cycles; load = 32 bytes / buffer bytes per cycle.
constexpr int64_t kSteps = 64;

Case tiny_case(const std::vector<std::string>& extra) {
  test::TempDir dir;
  const std::string net = dir.write("tiny.yaml",
                                    "name: tiny\nnetwork: tiny\ndataset: none\ninput: [64, 1, 16]\n"
                                    "layers:\n"
                                    "  - {name: conv, type: conv2d, kernel: 1, input: [64, 1, 16], "
                                    "output: [4, 1, 16]}\n");
  std::vector<std::string> overrides = {"clock_mhz=1000",
                                        "chip.tiles=1",
                                        "chip.noc.mesh_columns=1",
                                        "chip.noc.mesh_rows=1",
                                        "chip.noc.tiles_per_router=1",
                                        "tile.pes=1",
                                        "pe.crossbars=1",
                                        "pe.crossbar.rows=64",
                                        "pe.crossbar.columns=8",
                                        "pe.crossbar.weight_flipping=false",
                                        "pe.adc.count=1",
                                        "pe.adc.bits=8",
                                        "pe.shift_add_units=1",
                                        "tile.shift_add_units=1",
                                        "tile.buffer.bandwidth_bytes_per_cycle=32"};
  overrides.insert(overrides.end(), extra.begin(), extra.end());
  Case c;
  c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
  c.network = sim::load_network(net);
  c.profile = sim::load_profile(source_path("workloads/profiles/uniform4.yaml"), c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  return c;
}

CycleResult run_tiny(const std::vector<std::string>& extra, int64_t inferences = 1) {
  const Case c = tiny_case(extra);
  EXPECT_EQ(c.mapping.layers.at(0).replication, 1);
  EXPECT_EQ(c.mapping.layers.at(0).used_columns(), 8);
  CycleOptions options;
  options.inferences = inferences;
  return run_cycle(c.network, c.profile, c.arch, c.mapping, options);
}

double span(const CycleResult& r) { return r.layers.at(0).end_ns - r.layers.at(0).start_ns; }

int64_t stall(const CycleResult& r, const char* cause) {
  const auto& s = r.layers.at(0).stall_cycles;
  const auto it = s.find(cause);
  return it == s.end() ? 0 : it->second;
}

// Crossbar-bound (read 100 ns; ADC 8 ns; shift-add 1 ns): the last read ends 64 x 100 ns after
// the first starts, then its conversions (8), shift-add (1) and the output write (128 B / 32 =
// 4 ns). A model that lost or duplicated read steps, or serialised stages, would be off.
TEST(CycleTiny, CrossbarBound) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=100", "pe.adc.sample_rate_msps=1000",
                                  "pe.shift_add_ops_per_cycle=8"});
  EXPECT_NEAR(span(r), kSteps * 100 + 8 + 1 + 4, 1e-6);
  EXPECT_NEAR(r.layers[0].units.at(1).busy_ns, kSteps * 100, 1e-6);  // crossbar
  EXPECT_EQ(r.layers[0].pes, 1);
  EXPECT_EQ(stall(r, "adc"), 0);
}

// The same with 16 rows per read: each step reads its 64 rows in 4 groups (4 x 100 ns) and
// converts each column once per group (32 conversions, 32 ns; shift-add 4 cycles of 1 ns),
// still crossbar-bound. A model that read the groups at once, or converted each column once,
// would be off by a factor of 4 in the crossbar's busy time or in the tail.
TEST(CycleTiny, CrossbarBoundReadsRowGroupsOneAfterAnother) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=100", "pe.adc.sample_rate_msps=1000",
                                  "pe.shift_add_ops_per_cycle=8", "pe.crossbar.rows_per_read=16"});
  EXPECT_NEAR(span(r), kSteps * 400 + 32 + 4 + 4, 1e-6);
  EXPECT_NEAR(r.layers[0].units.at(1).busy_ns, kSteps * 400, 1e-6);  // crossbar
}

// ADC-bound with a sample-and-hold (read 10 ns, conversions 8 x 12.5 = 100 ns): reads overlap
// conversions, so after the first read the ADCs convert back to back: 10 + 64 x 100, then the
// shift-add (1) and the write (4). The crossbar waits on the full sample-and-hold: stalls "adc".
TEST(CycleTiny, AdcBoundWithSampleHoldOverlapsReads) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=10", "pe.adc.sample_rate_msps=80",
                                  "pe.shift_add_ops_per_cycle=8"});
  EXPECT_NEAR(span(r), 10 + kSteps * 100 + 1 + 4, 1e-6);
  EXPECT_GT(stall(r, "adc"), 0);
}

// The same without a sample-and-hold: the array holds its outputs until they are converted, so
// every step takes read + conversion = 110 ns: 64 x 110, then the shift-add and the write.
TEST(CycleTiny, AdcBoundWithoutSampleHoldSerialisesReads) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=10", "pe.adc.sample_rate_msps=80",
                                  "pe.shift_add_ops_per_cycle=8", "pe.sample_hold=false"});
  EXPECT_NEAR(span(r), kSteps * 110 + 1 + 4, 1e-6);
}

// The ADC-bound chip above on sparse data with pe.adc.skip_zero_blocks: half the conversions
// skipped (row blocks with no input bit in the cycle), the ADC converts 4 of the 8 columns per
// read step, 50 ns: 10 + 64 x 50 + 1 + 4, and counts half the samples and conversions. A bank
// that ignored the activity, or skipped per inference rather than per step, would be off.
TEST(CycleTiny, AdcBoundSkipsConversionsOfAllZeroBlocks) {
  const Case c = tiny_case({"pe.crossbar.read_latency_ns=10", "pe.adc.sample_rate_msps=80",
                            "pe.shift_add_ops_per_cycle=8", "pe.adc.skip_zero_blocks=true"});
  sim::Activity activity;
  sim::LayerActivity a;
  a.density = 0.9;
  a.bit_ones = {0.5, 0.5, 0.5, 0.5};
  a.dac_active_fraction = 0.5;
  a.cell_active_fraction = 0.5;
  a.conversion_active_fraction = 0.5;
  activity.layers.emplace_back("conv", a);
  CycleOptions options;
  options.inferences = 1;
  options.activity = &activity;
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  EXPECT_NEAR(span(r), 10 + kSteps * 50 + 1 + 4, 1e-6);
  EXPECT_EQ(r.performance.layers[0].counts.get("adc", "convert"), kSteps * 4);
  EXPECT_EQ(r.performance.layers[0].counts.get("sample_hold", "sample"), kSteps * 4);
  EXPECT_EQ(r.performance.layers[0].counts.get("dac", "convert"), kSteps * 64 / 2);
}

// Shift-add-bound (8 columns at 0.08 per cycle = 100 cycles per step; read 10, ADC 8): the
// shift-add unit works back to back from the first step's arrival (10 + 8): 18 + 64 x 100 + 4.
// The crossbar is held back through the full ADC stage: back-pressure, charged to "shift_add".
TEST(CycleTiny, ShiftAddBoundBackPressuresTheCrossbar) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=10", "pe.adc.sample_rate_msps=1000",
                                  "pe.shift_add_ops_per_cycle=0.08"});
  EXPECT_NEAR(span(r), 18 + kSteps * 100 + 4, 1e-6);
  EXPECT_GT(stall(r, "shift_add"), 0);
  EXPECT_GT(r.layers[0].units.at(1).blocked_ns, 0);  // the crossbar waited for room
}

// Tile-buffer-port-bound (1 byte per cycle: 32 ns to load a slot's inputs; read, ADC and
// shift-add 1 ns each): slot k's reads start when its load ends, 32 (k + 1) ns after the first
// load starts; the last slot's 4 steps end 6 ns after 16 x 32, then the output write takes
// 128 ns on the same port. From the first read (at 32): 512 + 6 + 128 - 32 = 614 ns.
TEST(CycleTiny, TileBufferPortBound) {
  const CycleResult r =
      run_tiny({"pe.crossbar.read_latency_ns=1", "pe.adc.sample_rate_msps=8000",
                "pe.shift_add_ops_per_cycle=8", "tile.buffer.bandwidth_bytes_per_cycle=1"});
  EXPECT_NEAR(span(r), 614, 1e-6);
  EXPECT_GT(stall(r, "tile_buffer"), 0);
}

// NoC-bound start and end: the input (64 x 16 x 4 bits = 512 bytes = 128 flits of 32 bits)
// leaves the global buffer as 8 packets of 16 flits through router 0's local port (1 cycle of
// router latency + 16 flit cycles = 17 ns each, one after another): the last arrives at 136 ns,
// the first read follows the 1 ns load at 137 ns. The output (128 bytes = 32 flits, 2 packets)
// reaches the global buffer 2 x 17 ns after the layer sends it.
TEST(CycleTiny, NocLinkBoundInputAndOutput) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=100", "pe.adc.sample_rate_msps=1000",
                                  "pe.shift_add_ops_per_cycle=8"});
  EXPECT_NEAR(r.layers[0].start_ns, 136 + 1, 1e-6);
  EXPECT_NEAR(r.completed_ns.at(0), r.layers[0].end_ns + 34, 1e-6);
}

// Back to back, the next inference's input arrives while the last slot is still being read,
// so the measured interval is exactly the crossbar's 64 x 100 ns; the first latency is longer.
TEST(CycleTiny, IntervalIsMeasuredInSteadyState) {
  const CycleResult r = run_tiny({"pe.crossbar.read_latency_ns=100", "pe.adc.sample_rate_msps=1000",
                                  "pe.shift_add_ops_per_cycle=8"},
                                 3);
  EXPECT_NEAR(r.performance.interval_ns, kSteps * 100, 1e-6);
  EXPECT_GT(r.performance.latency_ns, kSteps * 100 + 137);
}

// Back-pressure between layers: conv1 (4-bit inputs: 4 read steps per pixel, 1,600 ns per
// output row of 4 pixels at 100 ns a read) feeds conv2 (16-bit inputs: 6,400 ns per row), each
// on its own PE. With a 16-byte tile buffer the edge holds one row, so conv1 can only send row
// r + 1 once conv2 has loaded the last slot of row r: its last row leaves after conv2 has worked
// through two of its rows (> 2 x 6,400 ns after conv2 starts), and its read steps stall on
// "backpressure". With a large buffer conv1 finishes its 6,400 ns of reads first.
Case two_layer_case(int64_t buffer_bytes) {
  test::TempDir dir;
  const std::string net = dir.write(
      "two.yaml",
      "name: two\nnetwork: two\ndataset: none\ninput: [64, 4, 4]\nlayers:\n"
      "  - {name: conv1, type: conv2d, kernel: 1, input: [64, 4, 4], output: [4, 4, 4]}\n"
      "  - {name: conv2, type: conv2d, kernel: 1, input: [4, 4, 4], output: [4, 4, 4]}\n");
  const std::string profile =
      dir.write("profile.yaml",
                "name: slow-second\nlayers:\n  conv1: {weight_bits: 4, activation_bits: 4}\n"
                "  conv2: {weight_bits: 4, activation_bits: 16}\n");
  Case c;
  c.arch = sim::load_arch_config(
      source_path("configs/arch/isaac.yaml"),
      {"clock_mhz=1000", "chip.tiles=1", "chip.noc.mesh_columns=1", "chip.noc.mesh_rows=1",
       "chip.noc.tiles_per_router=1", "tile.pes=2", "pe.crossbars=1", "pe.crossbar.rows=64",
       "pe.crossbar.columns=8", "pe.crossbar.weight_flipping=false", "pe.adc.count=1",
       "pe.adc.bits=8", "pe.adc.sample_rate_msps=1000", "pe.shift_add_units=1",
       "pe.shift_add_ops_per_cycle=8", "pe.crossbar.read_latency_ns=100",
       "tile.buffer.capacity_bytes=" + std::to_string(buffer_bytes)});
  c.network = sim::load_network(net);
  c.profile = sim::load_profile(profile, c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  return c;
}

TEST(CycleTiny, FullRowBufferBackPressuresTheProducer) {
  const std::string free_run = in_child([] {
    const Case c = two_layer_case(1 << 20);
    CycleOptions options;
    options.inferences = 1;
    const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
    std::ostringstream out;
    out.precision(17);
    out << r.layers.at(0).end_ns - r.layers.at(1).start_ns;
    return out.str();
  });
  EXPECT_LT(std::stod(free_run), 6400.0);
  const Case c = two_layer_case(16);
  ASSERT_EQ(c.mapping.layers.at(0).replication, 1);
  ASSERT_EQ(c.mapping.layers.at(1).replication, 1);
  CycleOptions options;
  options.inferences = 1;
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  EXPECT_EQ(r.queue_peak_rows.at("conv1->conv2"), 1);
  EXPECT_GT(r.layers.at(0).end_ns, r.layers.at(1).start_ns + 2 * 6400);
  EXPECT_GT(r.layers.at(0).stall_cycles.at("backpressure"), 0);
}

// ---------------------------------------------------------------------------------------------
// Work conservation: every count the cycle engine reports is accumulated as its read steps,
// slots, rows and packets execute (per active copy, per row, per packet hop); the analytic
// engine's are closed forms (M x I x rows x columns, ...). They agree only if the simulation
// executes every MVM's every input bit-slice exactly once and moves every flit over every hop.
void expect_conserved(const Case& c, const sim::Activity* activity = nullptr);
const std::vector<std::string> kDifferentialEncoding = {"pe.crossbar.signed_weights=differential"};

void expect_conserved(const std::string& net, const std::string& profile,
                      const std::vector<std::string>& overrides) {
  expect_conserved(load_case(net, profile, overrides));
}

void expect_conserved(const Case& c, const sim::Activity* activity) {
  const PerformanceResult analytic =
      sim::analyze(c.network, c.profile, c.arch, c.mapping, activity);
  CycleOptions options;
  options.inferences = 2;  // counts per inference, from two
  options.activity = activity;
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  ASSERT_EQ(cycle.performance.layers.size(), analytic.layers.size());
  for (size_t i = 0; i < analytic.layers.size(); ++i) {
    EXPECT_EQ(cycle.performance.layers[i].counts, analytic.layers[i].counts)
        << analytic.layers[i].name
        << "\n cycle:    " << describe(cycle.performance.layers[i].counts)
        << "\n analytic: " << describe(analytic.layers[i].counts);
  }
  EXPECT_EQ(cycle.performance.io_counts, analytic.io_counts)
      << describe(cycle.performance.io_counts) << "\n"
      << describe(analytic.io_counts);
  EXPECT_EQ(cycle.performance.total_counts(), analytic.total_counts());
  // The analytic ADC and shift-add bounds price the busiest PE from LayerMapping::
  // busiest_pe_columns (prefix sums over the placement order); the cycle engine's PEs are built
  // array by array in the work model. Two derivations of one placement must agree.
  const sim::WorkModel work = sim::build_work_model(c.network, c.profile, c.arch, c.mapping);
  for (const sim::LayerProgram& p : work.layers) {
    if (!p.has_pe) continue;
    int64_t most = 0;
    for (const sim::PeArrays& pe : p.pe.pes) most = std::max(most, pe.step(p.pe.copies).columns);
    EXPECT_EQ(most, p.pe.busiest_pe_columns) << p.name;
  }
}

// A network whose branches join in a channel concat (edges from two producers on different
// tiles into one pass-through layer): the same conservation.
TEST(CycleWork, ConcatNetwork) {
  test::TempDir dir;
  const std::string net =
      dir.write("net.yaml",
                "name: cat\nnetwork: cat\ndataset: none\ninput: [3, 16, 16]\nlayers:\n"
                "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 16, 16], output: "
                "[64, 16, 16]}\n"
                "  - {name: a_relu, type: relu, input: [64, 16, 16], output: [64, 16, 16]}\n"
                "  - {name: b, type: conv2d, from: [input], kernel: 1, input: [3, 16, 16], output: "
                "[32, 16, 16]}\n"
                "  - {name: cat, type: concat, from: [a_relu, b], input: [64, 16, 16], output: "
                "[96, 16, 16]}\n"
                "  - {name: c, type: conv2d, kernel: 3, stride: 2, padding: 1, input: [96, 16, "
                "16], output: [64, 8, 8]}\n"
                "  - {name: gap, type: global_avgpool, input: [64, 8, 8], output: [64, 1, 1]}\n"
                "  - {name: flatten, type: flatten, input: [64, 1, 1], output: [64]}\n"
                "  - {name: fc, type: linear, input: [64], output: [10]}\n");
  Case c;
  c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"));
  c.network = sim::load_network(net);
  c.profile = sim::load_profile(source_path("workloads/profiles/uniform8.yaml"), c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  CycleOptions options;
  options.inferences = 2;
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  for (size_t i = 0; i < analytic.layers.size(); ++i)
    EXPECT_EQ(cycle.performance.layers[i].counts, analytic.layers[i].counts)
        << analytic.layers[i].name;
  EXPECT_EQ(cycle.performance.total_counts(), analytic.total_counts());
  EXPECT_GE(cycle.performance.latency_ns, analytic.latency_ns);
}

// Grouped convolutions (sim/mapping.h: packs of groups, block-diagonal): a depthwise layer
// (14 groups of 9 rows to an array), a 4-group layer whose 144-row groups take two row blocks
// each, with mixed per-channel bits and a pruned channel; offset and differential. The analytic
// counts are sums over the mapping's array list; the cycle engine executes the PEs built array
// by array.
void expect_grouped_conserved(const std::vector<std::string>& overrides) {
  test::TempDir dir;
  const std::string net =
      dir.write("net.yaml",
                "name: grouped\nnetwork: grouped\ndataset: none\ninput: [3, 16, 16]\nlayers:\n"
                "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 16, 16], output: "
                "[64, 16, 16]}\n"
                "  - {name: dw, type: conv2d, kernel: 3, padding: 1, groups: 64, input: [64, 16, "
                "16], output: [64, 16, 16]}\n"
                "  - {name: g4, type: conv2d, kernel: 3, stride: 2, padding: 1, groups: 4, input: "
                "[64, 16, 16], output: [64, 8, 8]}\n"
                "  - {name: r, type: relu, input: [64, 8, 8], output: [64, 8, 8]}\n"
                "  - {name: gap, type: global_avgpool, input: [64, 8, 8], output: [64, 1, 1]}\n"
                "  - {name: flatten, type: flatten, input: [64, 1, 1], output: [64]}\n"
                "  - {name: fc, type: linear, input: [64], output: [10]}\n");
  const std::string profile = dir.write(
      "p.yaml",
      "name: mixed\ndefault: {weight_bits: 8, activation_bits: 8}\nlayers:\n"
      "  dw:\n    weight_bits:\n      - {bits: 4, count: 32}\n      - {bits: 8, count: 32}\n"
      "  g4:\n    kept_channels: 60\n    weight_bits:\n      - {bits: 2, count: 16}\n"
      "      - {bits: 6, count: 48}\n");
  {
    Case c;
    c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
    c.network = sim::load_network(net);
    c.profile = sim::load_profile(profile, c.network);
    c.mapping = sim::map_network(c.network, c.profile, c.arch);
    const sim::LayerMapping& dw = c.mapping.layers.at(1);
    EXPECT_EQ(dw.row_block_rows.front(), 126);  // 14 groups of 9 rows
    const sim::LayerMapping& g4 = c.mapping.layers.at(2);
    EXPECT_EQ(g4.row_block_rows, (std::vector<int>{128, 16, 128, 16, 128, 16, 128, 16}));
    expect_conserved(c);
  }
}
TEST(CycleWork, GroupedNetworkOffset) { expect_grouped_conserved({}); }
// Row groups of 48 (pe.crossbar.rows_per_read): 126-row packs read as 48 + 48 + 30, 128-row
// blocks as 48 + 48 + 32, 16-row blocks in one read. The analytic conversions are the closed
// form over the array list (LayerMapping::conversions_per_cycle); the cycle engine's come from
// the PEs' parts, built array by array.
TEST(CycleWork, GroupedNetworkRowsPerRead) {
  expect_grouped_conserved({"pe.crossbar.rows_per_read=48"});
}
TEST(CycleWork, GroupedNetworkDifferential) { expect_grouped_conserved(kDifferentialEncoding); }

const std::vector<std::string> kDifferential = {"pe.crossbar.signed_weights=differential"};
TEST(CycleWork, Vgg19Uniform16Offset) { expect_conserved("vgg19", "uniform16", {}); }
TEST(CycleWork, Vgg19Uniform8Differential) { expect_conserved("vgg19", "uniform8", kDifferential); }
TEST(CycleWork, Vgg19MixedChannelOffset) { expect_conserved("vgg19", "vgg19/mixed-channel", {}); }
TEST(CycleWork, Vgg19MixedChannelDifferential) {
  expect_conserved("vgg19", "vgg19/mixed-channel", kDifferential);
}
TEST(CycleWork, Vgg19PrunedOffset) { expect_conserved("vgg19", "vgg19/pruned", {}); }
TEST(CycleWork, Resnet18Uniform16Differential) {
  expect_conserved("resnet18", "uniform16", kDifferential);
}
TEST(CycleWork, Resnet18Uniform8Offset) { expect_conserved("resnet18", "uniform8", {}); }
TEST(CycleWork, Resnet18MixedChannelOffset) {
  expect_conserved("resnet18", "resnet18/mixed-channel", {});
}
TEST(CycleWork, Resnet18MixedChannelDifferential) {
  expect_conserved("resnet18", "resnet18/mixed-channel", kDifferential);
}
TEST(CycleWork, Resnet18MixedChannelRowsPerRead) {
  expect_conserved("resnet18", "resnet18/mixed-channel", {"pe.crossbar.rows_per_read=32"});
}
TEST(CycleWork, Resnet18PrunedLayerByLayer) {
  expect_conserved("resnet18", "resnet18/pruned", {"mapping.mode=layer_by_layer"});
}
// Data-aware runs (sim/activity.h): every weight layer at its own fractions of DAC drives, cell
// reads and (skip_zero_blocks) conversions. The analytic counts take floor(fraction x events)
// per class of identical PEs over an inference; the cycle engine's crossbars and ADC banks take
// their share read step by read step. A share that drifted, double-counted identical PEs or
// carried over between inferences would differ.
void expect_data_aware_conserved(const std::string& net, const std::string& profile,
                                 const std::vector<std::string>& overrides) {
  std::vector<std::string> with_skip = overrides;
  with_skip.emplace_back("pe.adc.skip_zero_blocks=true");
  const Case c = load_case(net, profile, with_skip);
  sim::Activity activity;
  int i = 0;
  for (const sim::Layer& layer : c.network.layers) {
    if (!layer.has_weights()) continue;
    sim::LayerActivity a;
    a.bit_ones.assign(
        static_cast<size_t>(c.profile.layers[&layer - c.network.layers.data()].activation_bits),
        0.3);
    a.density = 0.6;
    a.dac_active_fraction = 0.31 + 0.013 * i;
    a.cell_active_fraction = 0.29 + 0.011 * i;
    a.conversion_active_fraction = 0.47 + 0.017 * i;
    activity.layers.emplace_back(layer.name, a);
    ++i;
  }
  expect_conserved(c, &activity);
  // And the activity did something: fewer conversions than the data-independent run.
  const PerformanceResult worst = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const PerformanceResult aware = sim::analyze(c.network, c.profile, c.arch, c.mapping, &activity);
  EXPECT_LT(aware.total_counts().get("adc", "convert"), worst.total_counts().get("adc", "convert"));
}
TEST(CycleWork, DataAwareResnet18MixedChannel) {
  expect_data_aware_conserved("resnet18", "resnet18/mixed-channel", {});
}
TEST(CycleWork, DataAwareVgg19PrunedDifferentialLayerByLayer) {
  expect_data_aware_conserved(
      "vgg19", "vgg19/pruned",
      {"pe.crossbar.signed_weights=differential", "mapping.mode=layer_by_layer"});
}

TEST(CycleWork, Vgg19Uniform16Reprogrammed) {
  expect_conserved("vgg19", "uniform16", {"chip.tiles=16", "mapping.allow_reprogramming=true"});
}

// ---------------------------------------------------------------------------------------------
// The analytic engine is a lower bound: its stage times assume every unit busy all the time and
// rows spaced evenly, the cycle engine adds pipeline fill, queueing, packet latency and
// back-pressure. Checked per layer (analytic stage time <= cycle span) and for the network
// (latency and interval); the gap is printed per layer. Nothing in the cycle engine starts from
// the analytic numbers, so a cycle model that dropped work or overlapped what cannot overlap
// would fail here.
void expect_lower_bound(const std::string& net, const std::string& profile) {
  const Case c = load_case(net, profile);
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  const double tol = 1e-3;  // 1 ps: per-row shares of a layer's time add up with rounding
  EXPECT_GE(cycle.performance.latency_ns, analytic.latency_ns - tol);
  EXPECT_GE(cycle.performance.interval_ns, analytic.interval_ns - tol);
  std::printf("%s/%s: latency analytic %.1f ns, cycle %.1f ns (+%.1f %%); interval %.1f vs %.1f\n",
              net.c_str(), profile.c_str(), analytic.latency_ns, cycle.performance.latency_ns,
              100 * (cycle.performance.latency_ns / analytic.latency_ns - 1), analytic.interval_ns,
              cycle.performance.interval_ns);
  for (size_t i = 0; i < analytic.layers.size(); ++i) {
    const double a = analytic.layers[i].time_ns, s = cycle.performance.layers[i].time_ns;
    EXPECT_GE(s, a - tol) << analytic.layers[i].name;
    EXPECT_GE(cycle.performance.layers[i].end_ns, analytic.layers[i].end_ns - tol)
        << analytic.layers[i].name;
    std::printf("  %-22s stage %10.1f ns  span %10.1f ns  gap %+8.1f %%\n",
                analytic.layers[i].name.c_str(), a, s, a > 0 ? 100 * (s / a - 1) : 0.0);
  }
}

TEST(CycleLowerBound, Vgg19Uniform16) { expect_lower_bound("vgg19", "uniform16"); }
TEST(CycleLowerBound, Vgg19Uniform8) { expect_lower_bound("vgg19", "uniform8"); }
TEST(CycleLowerBound, Vgg19Uniform4) { expect_lower_bound("vgg19", "uniform4"); }
TEST(CycleLowerBound, Vgg19MixedChannel) { expect_lower_bound("vgg19", "vgg19/mixed-channel"); }
TEST(CycleLowerBound, Vgg19MixedLayer) { expect_lower_bound("vgg19", "vgg19/mixed-layer"); }
TEST(CycleLowerBound, Vgg19Pruned) { expect_lower_bound("vgg19", "vgg19/pruned"); }
TEST(CycleLowerBound, Resnet18Uniform16) { expect_lower_bound("resnet18", "uniform16"); }
TEST(CycleLowerBound, Resnet18Uniform8) { expect_lower_bound("resnet18", "uniform8"); }
TEST(CycleLowerBound, Resnet18Uniform4) { expect_lower_bound("resnet18", "uniform4"); }
TEST(CycleLowerBound, Resnet18MixedChannel) {
  expect_lower_bound("resnet18", "resnet18/mixed-channel");
}
TEST(CycleLowerBound, Resnet18MixedLayer) {
  expect_lower_bound("resnet18", "resnet18/mixed-layer");
}
TEST(CycleLowerBound, Resnet18Pruned) { expect_lower_bound("resnet18", "resnet18/pruned"); }

// ---------------------------------------------------------------------------------------------
// No false deadlocks: programs the compiler accepts run to the end, with the edges it had to
// enlarge listed. A stride-2 2x2 convolution ahead of flatten and a linear layer (each slot of
// the convolution spans output rows, so it needs several rows' windows at once) used to stop.
TEST(CycleDeadlock, ConvK2S2FlattenLinearRunsWithTinyBuffers) {
  test::TempDir dir;
  const std::string net = dir.write(
      "net.yaml",
      "name: k2s2\nnetwork: k2s2\ndataset: none\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 2, stride: 2, input: [3, 8, 8], output: [16, 4, 4]}\n"
      "  - {name: flat, type: flatten, input: [16, 4, 4], output: [256]}\n"
      "  - {name: fc, type: linear, input: [256], output: [10]}\n");
  Case c;
  c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"),
                                 {"tile.buffer.capacity_bytes=64"});
  c.network = sim::load_network(net);
  c.profile = sim::load_profile(source_path("workloads/profiles/uniform8.yaml"), c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_EQ(r.completed_ns.size(), 4u);
  EXPECT_FALSE(r.clamped_buffers.empty());
}

// ResNet18 with 256-byte tile buffers: every edge at its minimum. The shortcut convolutions make
// two paths from a block's input that rejoin at the add; the lag between them must be buffered
// on the shorter path (the sizing's dataflow check enlarges it), else the pipeline stops.
TEST(CycleDeadlock, Resnet18RunsWithTinyTileBuffers) {
  const Case c = load_case("resnet18", "uniform8", {"tile.buffer.capacity_bytes=256"});
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_EQ(r.completed_ns.size(), 4u);
  EXPECT_FALSE(r.clamped_buffers.empty());
  for (const auto& [edge, peak] : r.queue_peak_rows) EXPECT_GE(peak, 1) << edge;
}

// Identical PEs simulated once (the default) against every PE simulated: the same counts, and
// times equal up to the order in which simultaneous events are served; one pipeline per PE
// makes at least one kernel event per PE read step.
TEST(CycleEngine, OnePipelinePerClassOfIdenticalPesMatchesEveryPe) {
  const std::string theirs = in_child([] {
    const Case c = load_case("resnet18", "uniform8");
    CycleOptions options;
    options.merge_identical_pes = false;
    const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
    std::ostringstream out;
    out.precision(17);
    out << r.performance.latency_ns << " " << r.performance.interval_ns << " " << r.kernel_events
        << " " << r.read_steps << " " << r.simulated_read_steps << "\n"
        << describe(r.performance.total_counts());
    return out.str();
  });
  std::istringstream in(theirs);
  double latency = 0, interval = 0;
  int64_t events = 0, steps = 0, simulated = 0;
  in >> latency >> interval >> events >> steps >> simulated;
  std::string counts;
  std::getline(in, counts);
  std::getline(in, counts);
  const Case c = load_case("resnet18", "uniform8");
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_EQ(counts, describe(r.performance.total_counts()));
  EXPECT_EQ(steps, r.read_steps);
  EXPECT_EQ(simulated, steps);  // every PE simulated
  EXPECT_GE(events, steps);
  EXPECT_LT(r.simulated_read_steps, r.read_steps);
  EXPECT_NEAR(r.performance.latency_ns, latency, 0.01 * latency);
  EXPECT_NEAR(r.performance.interval_ns, interval, 0.02 * interval);
}

// ResNet-50 on ImageNet with ISAAC's 64 KB tile buffers (it used to stop): it runs, with the
// edges whose share of a tile buffer is below their deadlock-free size listed.
TEST(CycleDeadlock, Resnet50ImagenetRunsWithIsaacTileBuffers) {
  Case c;
  c.arch = sim::load_arch_config(source_path("configs/arch/isaac.yaml"));
  c.network = sim::load_network(source_path("workloads/resnet50-imagenet.yaml"));
  c.profile = sim::load_profile(source_path("workloads/profiles/uniform8.yaml"), c.network);
  c.mapping = sim::map_network(c.network, c.profile, c.arch);
  CycleOptions options;
  options.inferences = 2;
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  EXPECT_EQ(r.completed_ns.size(), 2u);
  EXPECT_FALSE(r.clamped_buffers.empty());
  const PerformanceResult analytic = sim::analyze(c.network, c.profile, c.arch, c.mapping);
  EXPECT_GE(r.performance.latency_ns, analytic.latency_ns);
  EXPECT_EQ(r.performance.total_counts(), analytic.total_counts());
}

// Memory is bounded before elaborating: with a 1 MiB limit, one pipeline per PE of VGG19 is
// refused with the estimate and the setting named (InputError: exit 2 in the CLI), not a
// bad_alloc or the OOM killer.
TEST(CycleEngine, SimulationsLargerThanTheMemoryLimitAreRefused) {
  const Case c = load_case("vgg19", "uniform8");
  ::setenv("MIXPIM_MEMORY_LIMIT_MIB", "1", 1);  // after mapping, which needs more
  CycleOptions options;
  options.merge_identical_pes = false;
  try {
    run_cycle(c.network, c.profile, c.arch, c.mapping, options);
    FAIL() << "not refused";
  } catch (const sim::InputError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the cycle simulation ("), std::string::npos) << message;
    EXPECT_NE(message.find("SystemC threads"), std::string::npos) << message;
    EXPECT_NE(message.find("drop --every-pe"), std::string::npos) << message;
    EXPECT_NE(message.find("above the limit of 1.0 MiB"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------------------------
std::string fingerprint(const CycleResult& r) {
  std::ostringstream out;
  out.precision(17);
  out << r.kernel_events << " " << r.performance.latency_ns << " " << r.performance.interval_ns;
  for (const sim::LayerPerformance& l : r.performance.layers)
    out << "\n" << l.name << " " << l.start_ns << " " << l.end_ns << " " << describe(l.counts);
  out << "\n" << cycle_extras_json(r).dump();
  return out.str();
}

TEST(CycleEngine, TwoRunsGiveIdenticalResults) {
  const std::string theirs = in_child([] {
    const Case c = load_case("resnet18", "resnet18/mixed-channel");
    return fingerprint(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}));
  });
  const Case c = load_case("resnet18", "resnet18/mixed-channel");
  const std::string mine =
      fingerprint(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}));
  EXPECT_GT(mine.size(), 1000u);
  EXPECT_EQ(mine, theirs);
}

TEST(CycleEngine, SecondRunInOneProcessIsRefused) {
  const Case c = tiny_case({});
  run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  EXPECT_THROW(run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{}),
               std::logic_error);
}

// Read steps are counted by the crossbars as they execute; the work model's slots x input
// cycles x PEs is the closed form they must reach (a pipeline that skipped or repeated a step,
// or a class standing for the wrong number of PEs, fails). Kernel events come from the
// simulation too: at least one wait per simulated read step.
TEST(CycleEngine, CountsAtLeastOneKernelEventPerReadStep) {
  const Case c = load_case("vgg19", "uniform8");
  const CycleResult r = run_cycle(c.network, c.profile, c.arch, c.mapping, CycleOptions{});
  int64_t steps = 0;
  const sim::WorkModel work = sim::build_work_model(c.network, c.profile, c.arch, c.mapping);
  for (const sim::LayerProgram& p : work.layers)
    if (p.has_pe) steps += p.pe.slots * p.pe.input_cycles * p.pe.pe_count();
  EXPECT_EQ(r.read_steps, steps * r.inferences);
  EXPECT_GE(r.kernel_events, r.simulated_read_steps);
  EXPECT_LE(r.simulated_read_steps, r.read_steps);
}

// The trace: a slice per slot (read-step group) of every weight layer and per row of every
// digital layer, written during the run, all inside the simulated time.
TEST(CycleEngine, TraceHasASlicePerSlotAndRow) {
  const Case c = load_case("vgg19", "vgg19/mixed-channel");
  test::TempDir dir;
  CycleOptions options;
  options.trace_path = dir.file("trace.json");
  options.inferences = 1;
  const CycleResult cycle = run_cycle(c.network, c.profile, c.arch, c.mapping, options);
  std::ifstream in(options.trace_path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  const sim::WorkModel work = sim::build_work_model(c.network, c.profile, c.arch, c.mapping);
  size_t expected = 0;
  for (const sim::LayerProgram& p : work.layers) {
    if (p.has_pe) {
      expected += static_cast<size_t>(p.pe.slots);
    } else if (p.type != sim::LayerType::kFlatten) {
      expected += static_cast<size_t>(p.rows);
    }
  }
  size_t slices = 0;
  for (const nlohmann::json& e : trace.at("traceEvents")) {
    if (e.at("ph") != "X" || e.at("cat") == "stall") continue;
    ++slices;
    EXPECT_LE(e.at("ts").get<double>() + e.at("dur").get<double>(),
              cycle.completed_ns.back() / 1000 + 1e-9);
  }
  EXPECT_EQ(slices, expected);
}

}  // namespace
}  // namespace mixpim::hw
