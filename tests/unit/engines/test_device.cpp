// Non-idealities (sim/device.h): the drawn cells' statistics, IR drop against a resistor
// network solved by elimination, and the functional engine's analog path: bit-exact without
// non-idealities, faults at known cells changing exactly the outputs they should, copies drawn
// apart, and seeded draws.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "sim/engines/device.h"
#include "sim/engines/functional.h"
#include "sim/util/npy.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::source_path;

ArchConfig isaac(std::vector<std::string> overrides = {}) {
  overrides.push_back("mapping.allow_reprogramming=true");
  return load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
}

struct Moments {
  double mean = 0, sd = 0;
};
Moments moments(const std::vector<double>& x) {
  Moments m;
  for (double v : x) m.mean += v;
  m.mean /= static_cast<double>(x.size());
  for (double v : x) m.sd += (v - m.mean) * (v - m.mean);
  m.sd = std::sqrt(m.sd / static_cast<double>(x.size() - 1));
  return m;
}

// Draws `n` cells written to `level` with draw_cells (the engine's path), in siemens.
std::vector<double> draw(int level, size_t n, const CellModel& cell, const DeviceConfig& d,
                         DeviceRng& rng) {
  const std::vector<uint8_t> levels(n, static_cast<uint8_t>(level));
  std::vector<float> steps(n);
  std::vector<double> g(n);
  draw_cells(levels.data(), n, cell, d, rng, steps.data(), g.data());
  for (size_t i = 0; i < n; ++i)  // the two outputs agree
    EXPECT_FLOAT_EQ(steps[i], static_cast<float>((g[i] - cell.g_off_s) / cell.step_s));
  return g;
}

// 10^5 cells of a 2-bit device written to level 2: the drawn conductances have the level's
// conductance as mean and the requested relative sigma, within 4 standard errors (the mean's
// sigma / sqrt(n), the standard deviation's about sigma / sqrt(2 n)); log-normal keeps the mean
// and has the requested sigma of log G. Stuck-at fractions within 4 binomial standard errors,
// and stuck cells independent of their neighbours (the engine places them by geometric gaps):
// pairs of adjacent stuck cells n p^2 within 4 standard errors, where a gap off by one (never
// two in a row, or always) would miss by far. Drift scales by (t / t0)^-nu exactly.
TEST(Device, DrawnCellsHaveTheRequestedStatistics) {
  constexpr int kCells = 100000;
  DeviceConfig d;
  d.g_on_us = 10;
  d.on_off_ratio = 10;
  const CellModel cell = cell_model(d, 2);
  EXPECT_DOUBLE_EQ(cell.g_off_s, 1e-6);
  EXPECT_DOUBLE_EQ(cell.step_s, 3e-6);
  const double nominal = cell.g_off_s + 2 * cell.step_s;  // 7 uS
  const double n = kCells;
  for (const VariationDistribution dist :
       {VariationDistribution::kGaussian, VariationDistribution::kLognormal}) {
    SCOPED_TRACE(std::string(to_string(dist)));
    d.programming_sigma = 0.1;
    d.programming_distribution = dist;
    DeviceRng rng(device_key({7, static_cast<uint64_t>(dist)}));
    std::vector<double> g = draw(2, kCells, cell, d, rng), log_g(kCells);
    for (int i = 0; i < kCells; ++i) {
      g[static_cast<size_t>(i)] /= nominal;
      log_g[static_cast<size_t>(i)] = std::log(g[static_cast<size_t>(i)]);
    }
    const Moments m = moments(g);
    const double relative_sd =
        dist == VariationDistribution::kGaussian ? 0.1 : std::sqrt(std::exp(0.01) - 1);
    EXPECT_NEAR(m.mean, 1.0, 4 * relative_sd / std::sqrt(n));
    EXPECT_NEAR(m.sd, relative_sd, 4 * relative_sd / std::sqrt(2 * n));
    if (dist == VariationDistribution::kLognormal) {
      EXPECT_NEAR(moments(log_g).sd, 0.1, 4 * 0.1 / std::sqrt(2 * n));
    }
  }
  d.programming_sigma = 0;
  d.stuck_on_rate = 0.02;
  d.stuck_off_rate = 0.05;
  DeviceRng rng(device_key({8}));
  const std::vector<double> g = draw(1, kCells, cell, d, rng);
  const double level1 = cell.g_off_s + 1 * cell.step_s;  // as written, not stuck
  int on = 0, off = 0, adjacent = 0;
  for (int i = 0; i < kCells; ++i) {
    on += g[static_cast<size_t>(i)] == cell.g_on_s;
    off += g[static_cast<size_t>(i)] == cell.g_off_s;
    adjacent +=
        i > 0 && g[static_cast<size_t>(i)] != level1 && g[static_cast<size_t>(i) - 1] != level1;
  }
  EXPECT_NEAR(on / n, 0.02, 4 * std::sqrt(0.02 * 0.98 / n));
  EXPECT_NEAR(off / n, 0.05, 4 * std::sqrt(0.05 * 0.95 / n));
  const double p2 = 0.07 * 0.07;
  EXPECT_NEAR(adjacent / (n - 1), p2, 4 * std::sqrt(p2 * (1 - p2) / (n - 1)));
  // Every cell stuck, and none.
  d.stuck_on_rate = 1;
  d.stuck_off_rate = 0;
  for (double x : draw(1, 1000, cell, d, rng)) EXPECT_EQ(x, cell.g_on_s);
  d.stuck_on_rate = 0;
  for (double x : draw(1, 1000, cell, d, rng)) EXPECT_EQ(x, level1);
  d.drift_nu = 0.05;
  d.drift_t0_s = 1;
  d.read_time_s = 1e4;
  const CellModel drifted = cell_model(d, 2);
  EXPECT_DOUBLE_EQ(draw(3, 1, drifted, d, rng)[0], cell.g_on_s * std::pow(1e4, -0.05));
}

// The ziggurat's normals: mean 0, variance 1, and the two-sided tail beyond 3 (0.2700 %) and
// beyond 3.5 (0.0465 %, drawn from the ziggurat's base strip beyond r = 3.44), each within 4
// standard errors of 10^6 draws.
TEST(Device, NormalsAreStandardNormal) {
  constexpr int kDraws = 1000000;
  DeviceRng rng(device_key({42}));
  double sum = 0, squares = 0;
  int beyond3 = 0, beyond35 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = rng.normal();
    sum += x;
    squares += x * x;
    beyond3 += std::abs(x) > 3;
    beyond35 += std::abs(x) > 3.5;
  }
  const double n = kDraws;
  EXPECT_NEAR(sum / n, 0.0, 4 / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, 4 * std::sqrt(2.0 / n));
  const double p3 = 2.6997961e-3, p35 = 4.6525816e-4;
  EXPECT_NEAR(beyond3 / n, p3, 4 * std::sqrt(p3 / n));
  EXPECT_NEAR(beyond35 / n, p35, 4 * std::sqrt(p35 / n));
}

// The bulk normals (NormalStreams, fill_normals: the cells' variation and the reads' noise)
// are the same numbers with and without SIMD, whatever the lengths asked for, and standard
// normal: mean, variance, fourth moment and the tails beyond 1, 3, 3.5 and 4.5, within 4
// standard errors of 4 x 10^6 draws; neighbours (other streams, the same number's other
// normal, the next round) uncorrelated, also in their squares (Box-Muller's pair independent).
TEST(Device, BatchedNormalsAreStandardNormalAndTheSameWithoutSimd) {
  NormalStreams simd(device_key({43})), plain(device_key({43}));
  for (size_t count : {size_t{1}, size_t{3}, size_t{15}, size_t{16}, size_t{17}, size_t{128},
                       size_t{1021}}) {
    std::vector<float> a(count), b(count);
    fill_normals(simd, a.data(), count);
    fill_normals_generic(plain, b.data(), count);
    for (size_t i = 0; i < count; ++i) ASSERT_EQ(a[i], b[i]) << count << " " << i;
  }
  constexpr int kDraws = 4000000;
  std::vector<float> x(kDraws), y(kDraws);
  fill_normals(simd, x.data(), x.size());
  fill_normals_generic(plain, y.data(), y.size());
  EXPECT_EQ(x, y);
  double sum = 0, squares = 0, fourth = 0;
  int beyond1 = 0, beyond3 = 0, beyond35 = 0, beyond45 = 0;
  for (const double v : x) {
    sum += v;
    squares += v * v;
    fourth += v * v * v * v;
    beyond1 += std::abs(v) > 1;
    beyond3 += std::abs(v) > 3;
    beyond35 += std::abs(v) > 3.5;
    beyond45 += std::abs(v) > 4.5;
  }
  const double n = kDraws;
  EXPECT_NEAR(sum / n, 0.0, 4 / std::sqrt(n));
  EXPECT_NEAR(squares / n, 1.0, 4 * std::sqrt(2.0 / n));
  EXPECT_NEAR(fourth / n, 3.0, 4 * std::sqrt(96.0 / n));  // Var(x^4) = 105 - 9
  const double p1 = 0.31731051, p3 = 2.6997961e-3, p35 = 4.6525816e-4, p45 = 6.7957637e-6;
  EXPECT_NEAR(beyond1 / n, p1, 4 * std::sqrt(p1 * (1 - p1) / n));
  EXPECT_NEAR(beyond3 / n, p3, 4 * std::sqrt(p3 / n));
  EXPECT_NEAR(beyond35 / n, p35, 4 * std::sqrt(p35 / n));
  EXPECT_NEAR(beyond45 / n, p45, 4 * std::sqrt(p45 / n));
  // Lag 1: another stream; 8: the same number's other normal; 16: the stream's next round.
  for (int lag : {1, 8, 16}) {
    SCOPED_TRACE(lag);
    double product = 0, square_product = 0;
    for (int i = 0; i + lag < kDraws; ++i) {
      const double a = x[static_cast<size_t>(i)], b = x[static_cast<size_t>(i + lag)];
      product += a * b;
      square_product += a * a * b * b;
    }
    EXPECT_NEAR(product / n, 0.0, 4 / std::sqrt(n));
    EXPECT_NEAR(square_product / n, 1.0, 4 * std::sqrt(8.0 / n));  // Var(a^2 b^2) = 9 - 1
  }
}

// The same key gives the same draws; different keys differ.
TEST(Device, DrawsAreKeyed) {
  DeviceRng a(device_key({1, 2, 3})), b(device_key({1, 2, 3})), c(device_key({1, 2, 4}));
  for (int i = 0; i < 10; ++i) {
    const uint64_t x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_NE(x, c.next());
  }
}

// The resistor network of an array, written out as nodal equations and solved by Gaussian
// elimination (independently of the library's Gauss-Seidel): nodes a(r, c) on the rows (driver
// at v[r] through R before column 0), b(r, c) on the columns (the last row's node reaches the
// grounded sense amplifier through R), cells G between a(r, c) and b(r, c).
std::vector<double> eliminated_network(const std::vector<double>& g, int rows, int columns,
                                       const std::vector<double>& v, double r_wire) {
  const int cells = rows * columns, nodes = 2 * cells;
  auto a = [&](int r, int c) { return r * columns + c; };
  auto b = [&](int r, int c) { return cells + r * columns + c; };
  std::vector<std::vector<double>> m(static_cast<size_t>(nodes),
                                     std::vector<double>(static_cast<size_t>(nodes) + 1, 0.0));
  const double w = 1 / r_wire;
  auto connect = [&](int i, int j, double conductance) {  // j < 0: a fixed voltage -j - 1
    m[i][i] += conductance;
    if (j >= 0) m[i][j] -= conductance;
  };
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < columns; ++c) {
      const double G = g[static_cast<size_t>(a(r, c))];
      // Row node: left (driver or neighbour), right neighbour, cell.
      if (c == 0) {
        m[a(r, c)][a(r, c)] += w;
        m[a(r, c)][nodes] += w * v[static_cast<size_t>(r)];
      } else {
        connect(a(r, c), a(r, c - 1), w);
      }
      if (c + 1 < columns) connect(a(r, c), a(r, c + 1), w);
      connect(a(r, c), b(r, c), G);
      // Column node: up neighbour, down neighbour or ground, cell.
      if (r > 0) connect(b(r, c), b(r - 1, c), w);
      if (r + 1 < rows) {
        connect(b(r, c), b(r + 1, c), w);
      } else {
        m[b(r, c)][b(r, c)] += w;  // to ground
      }
      connect(b(r, c), a(r, c), G);
    }
  }
  for (int p = 0; p < nodes; ++p) {  // no pivoting needed: diagonally dominant
    for (int i = p + 1; i < nodes; ++i) {
      const double f = m[i][p] / m[p][p];
      if (f == 0) continue;
      for (int j = p; j <= nodes; ++j) m[i][j] -= f * m[p][j];
    }
  }
  std::vector<double> x(static_cast<size_t>(nodes));
  for (int i = nodes - 1; i >= 0; --i) {
    double s = m[i][nodes];
    for (int j = i + 1; j < nodes; ++j) s -= m[i][j] * x[static_cast<size_t>(j)];
    x[static_cast<size_t>(i)] = s / m[i][i];
  }
  std::vector<double> out(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c)
    out[static_cast<size_t>(c)] = x[static_cast<size_t>(b(rows - 1, c))] * w;
  return out;
}

// One cell: I = v / (2R + 1/G) exactly, and G v (1 - 2 R G) to first order (by hand). A 3 x 4
// array with unequal cells and inputs (one row off): the library's exact solver equals the
// eliminated network; the first-order model is within the stated bound, its error second order
// (halving R quarters it).
TEST(Device, IrDropMatchesTheResistorNetwork) {
  const double G = 1e-4, R = 50, v = 0.3;
  EXPECT_NEAR(column_currents_exact({G}, 1, 1, {v}, R)[0], v / (2 * R + 1 / G), 1e-12 * v * G);
  EXPECT_NEAR(column_currents_first_order({G}, 1, 1, {v}, R)[0], G * v * (1 - 2 * R * G), 1e-15);
  const int rows = 3, columns = 4;
  std::vector<double> g;
  for (int i = 0; i < rows * columns; ++i) g.push_back(1e-5 * (1 + (i * 7) % 10));
  const std::vector<double> in = {1.0, 0.0, 0.6};
  double previous_error = 0;
  for (const double r_wire : {20.0, 10.0}) {
    SCOPED_TRACE(r_wire);
    const std::vector<double> want = eliminated_network(g, rows, columns, in, r_wire);
    const std::vector<double> exact = column_currents_exact(g, rows, columns, in, r_wire);
    const std::vector<double> first = column_currents_first_order(g, rows, columns, in, r_wire);
    double error = 0;
    for (int c = 0; c < columns; ++c) {
      EXPECT_NEAR(exact[static_cast<size_t>(c)], want[static_cast<size_t>(c)],
                  1e-9 * want[static_cast<size_t>(c)]);
      error =
          std::max(error, std::abs(first[static_cast<size_t>(c)] - want[static_cast<size_t>(c)]) /
                              want[static_cast<size_t>(c)]);
    }
    // R G_max rows columns = 20 x 1e-4 x 12 = 0.024: first order within 0.1 %.
    EXPECT_LT(error, 1e-3);
    if (previous_error > 0) {
      EXPECT_NEAR(error / previous_error, 0.25, 0.05);
    }
    previous_error = error;
  }
}

// ---- the functional engine's analog path ---------------------------------------------------

// A single 1x1 convolution of 2 channels to 1 on one pixel: rows 0 and 1 carry inputs 5 and 9,
// weights 3 and -2 at 4 bits, offset-encoded (stored w + 8 = 11 and 6) in 2-bit cells: column 0
// holds the low slices (3, 2), column 1 the high ones (2, 1). Output 3 x 5 - 2 x 9 = -3.
struct OneConv {
  test::TempDir dir;
  Network net;
  PrecisionProfile profile;
  FunctionalOptions options;
  OneConv() {
    net = load_network(dir.write(
        "one.yaml",
        "name: one\nnetwork: one\ndataset: test\ninput: [2, 1, 1]\nlayers:\n"
        "  - {name: conv, type: conv2d, kernel: 1, input: [2, 1, 1], output: [1, 1, 1]}\n"));
    profile = uniform_profile(net, 4);
    dir.write("x.npy", npy_int64_bytes({1, 2, 1, 1}, {5, 9}));
    dir.write("w.npy", npy_int64_bytes({1, 2, 1, 1}, {3, -2}));
    options.data_map_path = dir.write("d.yaml", "input: x.npy\nconv: w.npy\n");
  }
  FunctionalResult run(const std::vector<std::string>& overrides) const {
    const ArchConfig arch = isaac(overrides);
    return run_functional(net, profile, arch, map_network(net, profile, arch), options);
  }
};

const std::vector<std::string> kPlain = {"pe.crossbar.weight_flipping=false",
                                         "pe.adc.resolution=exact"};

// Stuck on at row 1, column 0 raises that cell from level 2 to 3: +1 x 9 (input) x 1 (slice 0)
// = +9. Stuck off at row 0, column 1 lowers level 2 to 0: -2 x 5 x 4 (slice 1) = -40. A fault
// in another copy (none here) or an unused column changes nothing.
TEST(DeviceFunctional, StuckAtFaultsInKnownCellsChangeTheirOutputsByHand) {
  OneConv t;
  EXPECT_EQ(t.run(kPlain).final_pim, (std::vector<int64_t>{-3}));
  t.options.faults = {{"conv", 0, 0, 1, 0, true}};
  EXPECT_EQ(t.run(kPlain).final_pim, (std::vector<int64_t>{-3 + 9}));
  t.options.faults = {{"conv", 0, 0, 0, 1, false}};
  EXPECT_EQ(t.run(kPlain).final_pim, (std::vector<int64_t>{-3 - 40}));
  t.options.faults = {{"conv", 0, 0, 1, 0, true}, {"conv", 0, 0, 0, 1, false}};
  const FunctionalResult both = t.run(kPlain);
  EXPECT_EQ(both.final_pim, (std::vector<int64_t>{-3 + 9 - 40}));
  EXPECT_EQ(both.final_reference, (std::vector<int64_t>{-3}));
  t.options.faults = {{"conv", 1, 0, 1, 0, true}, {"other", 0, 0, 0, 0, true}};
  EXPECT_EQ(t.run(kPlain).final_pim, (std::vector<int64_t>{-3}));
}

// The analog path (conductances, G_off removed, rounding, the ADC) with no non-ideality gives
// the integer path's every output, error and count, with weight flipping, offset and
// differential weights and a lossy ADC. A conductance model that mis-scaled a level, forgot
// G_off or a flipped column's complement would not.
TEST(DeviceFunctional, AnalogPathWithoutNonIdealitiesIsBitExact) {
  test::TempDir dir;
  const Network net = load_network(dir.write(
      "net.yaml",
      "name: small\nnetwork: small\ndataset: test\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: a, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [16, 8, 8]}\n"
      "  - {name: r, type: relu, input: [16, 8, 8], output: [16, 8, 8]}\n"
      "  - {name: b, type: conv2d, kernel: 3, input: [16, 8, 8], output: [32, 6, 6]}\n"
      "  - {name: flat, type: flatten, input: [32, 6, 6], output: [1152]}\n"
      "  - {name: fc, type: linear, input: [1152], output: [10]}\n"));
  PrecisionProfile profile = uniform_profile(net, 8);
  for (int& bits : profile.layers[2].weight_bits) bits = 5;  // mixed widths in one layer
  profile.layers[2].weight_bits[0] = 3;
  for (const char* encoding : {"offset", "differential"}) {
    SCOPED_TRACE(encoding);
    const std::vector<std::string> base = {std::string("pe.crossbar.signed_weights=") + encoding,
                                           "pe.adc.bits=7"};
    std::vector<std::string> analog = base;
    analog.emplace_back("pe.crossbar.device.analog=true");
    const ArchConfig ideal_arch = isaac(base), analog_arch = isaac(analog);
    const NetworkMapping mapping = map_network(net, profile, ideal_arch);
    FunctionalOptions options;
    const FunctionalResult ideal = run_functional(net, profile, ideal_arch, mapping, options);
    const FunctionalResult a = run_functional(net, profile, analog_arch, mapping, options);
    EXPECT_EQ(functional_json(a).dump(), functional_json(ideal).dump());
    EXPECT_EQ(a.final_pim, ideal.final_pim);
    int64_t lossy = 0;
    for (const FunctionalLayerResult& l : ideal.layers) lossy += l.adc_lossy;
    EXPECT_GT(lossy, 0);  // the lossy ADC was exercised
  }
}

// Rows per read against IR drop (pe.crossbar.rows_per_read): a layer of 144 rows (blocks of
// 128 and 16) on 128x128 arrays with 1 Ohm wires (an 8 % drop with every row driven, README)
// loses less when reads drive 32 rows at a time (the columns carry a group's current, not the
// block's; the rows' own wire drop stays), and with
// no non-ideality the grouped analog path is still the integer path bit for bit.
TEST(DeviceFunctional, RowGroupsCutIrDropAndStayExactWhenIdeal) {
  test::TempDir dir;
  const Network net = load_network(dir.write(
      "net.yaml",
      "name: wide\nnetwork: wide\ndataset: test\ninput: [16, 6, 6]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 3, padding: 1, input: [16, 6, 6], output: [32, 6, "
      "6]}\n"));
  const PrecisionProfile profile = uniform_profile(net, 8);
  auto error = [&](const std::vector<std::string>& overrides) {
    const ArchConfig arch = isaac(overrides);
    const NetworkMapping mapping = map_network(net, profile, arch);
    FunctionalOptions options;
    options.batch = 2;
    const FunctionalResult r = run_functional(net, profile, arch, mapping, options);
    return r.layers.at(0).rms_error;
  };
  const double all_rows = error({"pe.crossbar.device.wire_resistance_ohm=1"});
  const double groups =
      error({"pe.crossbar.device.wire_resistance_ohm=1", "pe.crossbar.rows_per_read=32"});
  EXPECT_GT(all_rows, 0.0);
  EXPECT_LT(groups, 0.6 * all_rows);  // measured: RMS error 91,817 -> 43,254 (16 rows: 32,279)
  EXPECT_EQ(error({"pe.crossbar.device.analog=true", "pe.crossbar.rows_per_read=32"}), 0.0);
  EXPECT_EQ(error({"pe.crossbar.device.analog=true", "pe.crossbar.rows_per_read=48"}), 0.0);
}

// Variation and read noise: seeded (the same seed, the same outputs; another seed, others), and
// every copy drawn apart: a fault injected in copy 1 of a replicated layer changes only the
// pixels that copy computes (pixel p on copy p mod replication).
TEST(DeviceFunctional, DrawsAreSeededAndCopiesDiffer) {
  test::TempDir dir;
  const Network net = load_network(dir.write(
      "row.yaml",
      "name: row\nnetwork: row\ndataset: test\ninput: [4, 1, 6]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 1, input: [4, 1, 6], output: [3, 1, 6]}\n"));
  const PrecisionProfile profile = uniform_profile(net, 8);
  const ArchConfig noisy = isaac(
      {"pe.crossbar.device.programming_sigma=0.2", "pe.crossbar.device.read_noise_sigma=0.05"});
  const NetworkMapping mapping = map_network(net, profile, noisy);
  FunctionalOptions options;
  const FunctionalResult a = run_functional(net, profile, noisy, mapping, options);
  EXPECT_EQ(run_functional(net, profile, noisy, mapping, options).final_pim, a.final_pim);
  EXPECT_NE(a.final_pim, a.final_reference);
  options.seed = 2;
  EXPECT_NE(run_functional(net, profile, noisy, mapping, options).final_pim, a.final_pim);

  const ArchConfig plain = isaac(kPlain);
  const NetworkMapping m = map_network(net, profile, plain);
  const int64_t copies = m.layers.at(0).replication;
  ASSERT_GE(copies, 2);
  FunctionalOptions faulty;
  const FunctionalResult clean = run_functional(net, profile, plain, m, faulty);
  faulty.faults = {{"conv", 1, 0, 2, 0, true}, {"conv", 1, 0, 3, 1, false}};
  const FunctionalResult hit = run_functional(net, profile, plain, m, faulty);
  for (int64_t channel = 0; channel < 3; ++channel) {
    for (int64_t pixel = 0; pixel < 6; ++pixel) {
      const size_t i = static_cast<size_t>(channel * 6 + pixel);
      if (pixel % copies == 1 && channel == 0) continue;  // the faulty column's channel
      EXPECT_EQ(hit.final_pim[i], clean.final_pim[i])
          << "channel " << channel << " pixel " << pixel;
    }
  }
  bool changed = false;
  for (int64_t pixel = 1; pixel < 6; pixel += copies)
    changed |=
        hit.final_pim[static_cast<size_t>(pixel)] != clean.final_pim[static_cast<size_t>(pixel)];
  EXPECT_TRUE(changed);
}

// The analog path's cells count against the memory limit before anything is drawn: VGG19's
// widest layer keeps 9,437,184 cells (36 MiB of float levels) of one copy at a time.
TEST(DeviceFunctional, AnalogCellsAboveTheMemoryLimitAreRefused) {
  const Network net = load_network(source_path("workloads/vgg19-cifar10.yaml"));
  const PrecisionProfile profile = uniform_profile(net, 8);
  const ArchConfig arch = isaac({"pe.crossbar.device.analog=true"});
  const NetworkMapping mapping = map_network(net, profile, arch);
  ::setenv("MIXPIM_MEMORY_LIMIT_MIB", "20", 1);
  const std::string message = test::input_error_of(
      [&] { run_functional(net, profile, arch, mapping, FunctionalOptions{}); });
  ::unsetenv("MIXPIM_MEMORY_LIMIT_MIB");
  EXPECT_NE(message.find("pe.crossbar: the functional engine's analog cells (9437184 of the "
                         "largest layer's copy) needs about 36.0 MiB"),
            std::string::npos)
      << message;
}

}  // namespace
}  // namespace mixpim::sim
