#pragma once
// The analog cell and what the functional engine's non-ideal path does with it
// (pe.crossbar.device, pe.adc.offset_lsb / noise_lsb; README "Non-idealities").
//
// Levels: a b-bit cell stores level l in [0, 2^b - 1] as the conductance
//   G(l) = G_off + l x dG,  dG = (G_on - G_off) / (2^b - 1),  G_off = G_on / on_off_ratio.
// The periphery reads a column's current with every active row at the read voltage times its
// input slice value v_r, removes G_off x sum(v_r) (the inputs are known digitally) and divides by
// dG, so an ideal column reads sum_r v_r x l_rc exactly (the integer path). Here it reads
//   S_c = sum_r v_r x g_rc + e_c,   g_rc = (G_rc - G_off) / dG,
// with G_rc the cell's conductance as programmed, drifted and possibly stuck:
// - programming variation, drawn once per programmed cell: Gaussian G = G(l) (1 + sigma N) or
//   log-normal G = G(l) exp(sigma N - sigma^2 / 2) (the same mean), N standard normal;
// - stuck-at faults, drawn per cell before variation: G_on with stuck_on_rate, G_off with
//   stuck_off_rate, whatever the level written;
// - drift: G(t) = G(t0) (t / t0)^-nu at the read time t (a power law in time since programming;
//   the periphery keeps subtracting the undrifted G_off);
// - read noise e_c: each active cell's current varies per read with a relative sigma; the sum
//   of those independent Gaussians is one Gaussian per column and read with variance
//   sum_r (v_r sigma_read G_rc / dG)^2 (exact in distribution, one draw per conversion);
// then the ADC adds its offset and a Gaussian noise (both in steps of the column sum), rounds
// to the nearest integer sum, clamps it to [0, the largest ideal sum] and converts it as the
// ideal path does (sim/engines/functional.h: step, clipping, flipping).
// Wire resistance (IR drop) is modelled separately by column_currents_first_order.

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "sim/config/arch_config.h"

namespace mixpim::sim {

struct CellModel {
  double g_on_s = 0, g_off_s = 0, step_s = 0;  // siemens
  int top_level = 1;                           // 2^b - 1
  double drift = 1;                            // (t / t0)^-nu at the read time
};
CellModel cell_model(const DeviceConfig& device, int bits_per_cell);

// The device draws' random numbers: xoshiro256** seeded by splitmix64 from a key that names
// what is drawn (seed, layer, copy, array, image, pixel), so every draw is the same whatever
// the thread count or the order the engine visits things in; normals by Marsaglia and Tsang's
// ziggurat (the same numbers on every platform, unlike std::normal_distribution).
class DeviceRng {
 public:
  explicit DeviceRng(uint64_t key);
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  double uniform() {  // [0, 1), 53 bits
    return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0);
  }
  // A standard normal by Marsaglia and Tsang's ziggurat (J. Stat. Software 5(8), 2000): 128
  // layers of equal area under exp(-x^2 / 2); inline for the draw inside a layer's rectangle
  // (about 99 %), the wedges and the tail beyond r = 3.44 out of line.
  double normal() {
    const uint64_t bits = next();
    const auto hz = static_cast<int32_t>(bits >> 32);  // the value's sign and magnitude
    const int iz = static_cast<int>(bits & 127);       // the layer, from other bits
    const uint32_t magnitude =
        hz < 0 ? static_cast<uint32_t>(-static_cast<int64_t>(hz)) : static_cast<uint32_t>(hz);
    const double x = hz * kZiggurat.w[iz];
    if (magnitude < kZiggurat.k[iz]) return x;
    return normal_outside(hz, iz, x);
  }

  // The ziggurat's tables, computed once at start-up.
  struct Ziggurat {
    std::array<uint32_t, 128> k;
    std::array<double, 128> w, f;
    Ziggurat();
  };
  static const Ziggurat kZiggurat;

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // The draw fell outside its layer's rectangle: the tail, or a wedge test; draws afresh when
  // the wedge rejects it.
  double normal_outside(int32_t hz, int iz, double x);
  std::array<uint64_t, 4> s_;
};

// Standard normals in bulk, for the many draws of one array or one read: eight xoshiro256**
// streams side by side, each number made into two normals by Box and Muller's transform in
// single precision (Cephes' polynomial log, sin and cos, about 1e-7 relative; the radius ends
// at 6.7 sigma, a tail of 2e-11). Branch-free, so eight at a time with AVX2 where the CPU has
// it, the same operations otherwise: the same numbers on every CPU. DeviceRng::normal's
// ziggurat, with its table lookups and rejections, vectorises badly.
struct NormalStreams {
  explicit NormalStreams(uint64_t key);
  std::array<uint64_t, 32> lanes;  // state word w of stream l at [w * 8 + l]
};
// Writes `count` standard normals to `out` (single precision, as they are computed); a call
// takes whole rounds of sixteen (a count not a multiple of sixteen leaves the last round's
// extra draws unused).
void fill_normals(NormalStreams& streams, float* out, size_t count);
// The same numbers without SIMD (what fill_normals does on a CPU without AVX2; for tests).
void fill_normals_generic(NormalStreams& streams, float* out, size_t count);
// A key from the numbers that name a draw (splitmix64 over them).
uint64_t device_key(std::initializer_list<uint64_t> parts);

// Draws `count` programmed cells written to `levels` (row major, as the engine stores an
// array), keyed by `rng`: variation (batched normals from streams seeded by rng) and drift,
// then stuck-at cells (from rng) replace their cells' values with G_on or G_off, drifted; a
// Gaussian tail below zero conducts nothing. Writes each cell's conductance in level steps
// above G_off, (G - G_off) / dG, to `level_steps`, and in siemens to `siemens` unless it is
// null. The stuck-at cells are placed by geometric skips (the gap to the next stuck cell, one
// draw per stuck cell rather than one per cell), so each cell is stuck independently with the
// rates. SIMD where the CPU has it, with the same results on every CPU.
void draw_cells(const uint8_t* levels, size_t count, const CellModel& cell,
                const DeviceConfig& device, DeviceRng& rng, float* level_steps, double* siemens);

// Column currents of one array with wire resistance, to first order: rows driven from the
// left (column 0 side) at voltages v[r], columns sensed at the bottom (below the last row) at
// virtual ground, r_wire ohms per cell pitch on both. `g` is rows x columns conductances in
// siemens, row major. First order: every cell's current is its ideal current G v_r; the wire
// segments carry the sums of those currents, and each cell sees its row node lowered and its
// column node raised by the resulting drops, I_c = sum_r G_rc (V_row(r, c) - V_col(r, c)).
// Exact to first order in r_wire x G; accurate while r_wire x G_on x rows x columns is small
// (README gives the measured error against the exact network).
std::vector<double> column_currents_first_order(const std::vector<double>& g, int rows, int columns,
                                                const std::vector<double>& v, double r_wire);

// The same network solved exactly (Gauss-Seidel on the node voltages to `tolerance` volts);
// for tests and for stating the first-order model's error.
std::vector<double> column_currents_exact(const std::vector<double>& g, int rows, int columns,
                                          const std::vector<double>& v, double r_wire,
                                          double tolerance = 1e-12);

}  // namespace mixpim::sim
