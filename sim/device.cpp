#include "device.h"

#include <algorithm>
#include <cmath>

namespace mixpim::sim {

CellModel cell_model(const DeviceConfig& device, int bits_per_cell) {
  CellModel c;
  c.g_on_s = device.g_on_us * 1e-6;
  c.g_off_s = c.g_on_s / device.on_off_ratio;
  c.top_level = (1 << bits_per_cell) - 1;
  c.step_s = (c.g_on_s - c.g_off_s) / c.top_level;
  if (device.drift_nu > 0)
    c.drift = std::pow(device.read_time_s / device.drift_t0_s, -device.drift_nu);
  return c;
}

namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t device_key(std::initializer_list<uint64_t> parts) {
  uint64_t state = 0x6d697870696d21ULL, key = 0;
  for (uint64_t p : parts) {
    state ^= p;
    key = splitmix64(state);
  }
  return key;
}

DeviceRng::DeviceRng(uint64_t key) {
  for (uint64_t& w : s_) w = splitmix64(key);
}

// Marsaglia and Tsang's ziggurat for the standard normal (J. Stat. Software 5(8), 2000):
// 128 layers of equal area under exp(-x^2 / 2), the base strip's edge at r = 3.442619855899,
// each layer's area v = 9.91256303526217e-3.
DeviceRng::Ziggurat::Ziggurat() {
  const double m = 2147483648.0, v = 9.91256303526217e-3;
  double d = 3.442619855899, t = d;
  const double q = v / std::exp(-0.5 * d * d);
  k[0] = static_cast<uint32_t>((d / q) * m);
  k[1] = 0;
  w[0] = q / m;
  w[127] = d / m;
  f[0] = 1.0;
  f[127] = std::exp(-0.5 * d * d);
  for (int i = 126; i >= 1; --i) {
    d = std::sqrt(-2.0 * std::log(v / d + std::exp(-0.5 * d * d)));
    k[i + 1] = static_cast<uint32_t>((d / t) * m);
    t = d;
    f[i] = std::exp(-0.5 * d * d);
    w[i] = d / m;
  }
}

const DeviceRng::Ziggurat DeviceRng::kZiggurat;

double DeviceRng::normal_outside(int32_t hz, int iz, double x) {
  constexpr double kR = 3.442619855899;
  if (iz == 0) {  // the tail beyond r
    double tx = 0, ty = 0;
    do {
      tx = -std::log(1.0 - uniform()) / kR;
      ty = -std::log(1.0 - uniform());
    } while (ty + ty < tx * tx);
    return hz > 0 ? kR + tx : -kR - tx;
  }
  const Ziggurat& z = kZiggurat;
  if (z.f[iz] + uniform() * (z.f[iz - 1] - z.f[iz]) < std::exp(-0.5 * x * x)) return x;
  return normal();
}

void draw_cells(const uint8_t* levels, size_t count, const CellModel& cell,
                const DeviceConfig& device, DeviceRng& caller_rng, float* level_steps,
                double* siemens) {
  DeviceRng rng = caller_rng;  // a local copy stays in registers; handed back at the end
  const double stuck = device.stuck_on_rate + device.stuck_off_rate;
  const double log_not_stuck = std::log1p(-std::min(stuck, 1.0));  // -inf when every cell is
  // The number of cells before the next stuck one: geometric, P(k) = (1 - p)^k p.
  auto gap = [&]() -> size_t {
    if (stuck <= 0) return count;
    const double k = std::floor(std::log1p(-rng.uniform()) / log_not_stuck);
    return k < static_cast<double>(count) ? static_cast<size_t>(k) : count;
  };
  size_t next_stuck = gap();
  const double sigma = device.programming_sigma;
  const bool gaussian = device.programming_distribution == VariationDistribution::kGaussian;
  const double lognormal_shift = -sigma * sigma / 2;  // keeps the mean: E[exp(sigma n)] = e^(s^2/2)
  // In level steps above G_off throughout (G / dG = off + level): no division per cell.
  const double off = cell.g_off_s / cell.step_s, on = cell.g_on_s / cell.step_s;
  for (size_t i = 0; i < count; ++i) {
    double g = off + levels[i];  // G / dG
    if (i == next_stuck) {
      g = rng.uniform() * stuck < device.stuck_on_rate ? on : off;
      const size_t skip = gap();
      next_stuck = skip >= count - i ? count : i + 1 + skip;
    } else if (sigma > 0) {
      const double n = rng.normal();
      g = gaussian ? g * (1 + sigma * n) : g * std::exp(sigma * n + lognormal_shift);
    }
    g *= cell.drift;
    if (g < 0) g = 0;
    level_steps[i] = static_cast<float>(g - off);
    if (siemens != nullptr) siemens[i] = g * cell.step_s;
  }
  caller_rng = rng;
}

std::vector<double> column_currents_first_order(const std::vector<double>& g, int rows, int columns,
                                                const std::vector<double>& v, double r_wire) {
  const auto at = [columns](int r, int c) { return static_cast<size_t>(r) * columns + c; };
  // Ideal cell currents.
  std::vector<double> i(g.size());
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c) i[at(r, c)] = g[at(r, c)] * v[static_cast<size_t>(r)];
  // Row r: segment k (driver side of column k) carries the currents of columns k..C-1; the
  // node of column c is lowered by r_wire x the sum of the segments 0..c.
  std::vector<double> row_drop(g.size());
  for (int r = 0; r < rows; ++r) {
    double beyond = 0;  // currents of columns >= k
    for (int c = 0; c < columns; ++c) beyond += i[at(r, c)];
    double drop = 0;
    for (int c = 0; c < columns; ++c) {
      drop += r_wire * beyond;
      row_drop[at(r, c)] = drop;
      beyond -= i[at(r, c)];
    }
  }
  // Column c: the segment below row k carries the currents of rows 0..k; the node of row r is
  // raised by r_wire x the sum of the segments r..R-1.
  std::vector<double> out(static_cast<size_t>(columns), 0.0);
  for (int c = 0; c < columns; ++c) {
    std::vector<double> above(static_cast<size_t>(rows));  // currents of rows <= k
    double sum = 0;
    for (int r = 0; r < rows; ++r) above[static_cast<size_t>(r)] = sum += i[at(r, c)];
    double rise = 0;
    for (int r = rows - 1; r >= 0; --r) {
      rise += r_wire * above[static_cast<size_t>(r)];
      out[static_cast<size_t>(c)] +=
          g[at(r, c)] * (v[static_cast<size_t>(r)] - row_drop[at(r, c)] - rise);
    }
  }
  return out;
}

std::vector<double> column_currents_exact(const std::vector<double>& g, int rows, int columns,
                                          const std::vector<double>& v, double r_wire,
                                          double tolerance) {
  const auto at = [columns](int r, int c) { return static_cast<size_t>(r) * columns + c; };
  const double w = 1.0 / r_wire;                      // wire segment conductance
  std::vector<double> a(g.size()), b(g.size(), 0.0);  // row and column node voltages
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < columns; ++c) a[at(r, c)] = v[static_cast<size_t>(r)];
  for (int sweep = 0; sweep < 10000000; ++sweep) {
    double change = 0;
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < columns; ++c) {
        const double G = g[at(r, c)];
        // Row node: the driver or the left neighbour, the right neighbour, the cell.
        const double left = c == 0 ? v[static_cast<size_t>(r)] : a[at(r, c - 1)];
        double num = w * left + G * b[at(r, c)], den = w + G;
        if (c + 1 < columns) {
          num += w * a[at(r, c + 1)];
          den += w;
        }
        const double na = num / den;
        change = std::max(change, std::abs(na - a[at(r, c)]));
        a[at(r, c)] = na;
        // Column node: the neighbour above, the one below (or the grounded sense amp), the cell.
        const double below = r + 1 < rows ? b[at(r + 1, c)] : 0.0;
        num = w * below + G * a[at(r, c)];
        den = w + G;
        if (r > 0) {
          num += w * b[at(r - 1, c)];
          den += w;
        }
        const double nb = num / den;
        change = std::max(change, std::abs(nb - b[at(r, c)]));
        b[at(r, c)] = nb;
      }
    }
    if (change < tolerance) break;
  }
  std::vector<double> out(static_cast<size_t>(columns));
  for (int c = 0; c < columns; ++c) out[static_cast<size_t>(c)] = b[at(rows - 1, c)] * w;
  return out;
}

}  // namespace mixpim::sim
