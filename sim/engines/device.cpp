#include "sim/engines/device.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

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

NormalStreams::NormalStreams(uint64_t key) {
  for (uint64_t& w : lanes) w = splitmix64(key);
}

namespace {

// Stream l's next number (xoshiro256**), the streams' state words interleaved.
inline uint64_t lane_next(std::array<uint64_t, 32>& s, int l) {
  const auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  uint64_t &s0 = s[l], &s1 = s[8 + l], &s2 = s[16 + l], &s3 = s[24 + l];
  const uint64_t result = rotl(s1 * 5, 7) * 9;
  const uint64_t t = s1 << 17;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 45);
  return result;
}

// Box and Muller's transform, in single precision, as fill_normals_avx2 does it lane by lane:
// the same operations in the same order, so the same numbers.
// - radius sqrt(-2 ln u), u = (hi / 2 + 1/2) 2^-31 in (0, 1] from the number's top 32 bits
//   (u down to 2^-32: the tail out to 6.7 sigma, smooth as the float keeps every small u's
//   bits); ln by Cephes' logf (mantissa in [sqrt(1/2), sqrt(2)), a degree-8 polynomial,
//   about 1 ulp);
// - angle 2 pi v: the low 32 bits give the quadrant (top two) and phi in [-pi/4, pi/4] (the
//   other 30, signed); sin and cos of phi by Cephes' sinf and cosf polynomials, the quadrant
//   swapping and negating them.
constexpr float kSqrt2 = 1.41421356f, kLn2High = 0.693359375f, kLn2Low = -2.12194440e-4f;
constexpr float kLog[9] = {7.0376836292e-2f,  -1.1514610310e-1f, 1.1676998740e-1f,
                           -1.2420140846e-1f, 1.4249322787e-1f,  -1.6668057665e-1f,
                           2.0000714765e-1f,  -2.4999993993e-1f, 3.3333331174e-1f};
constexpr float kSin[3] = {-1.9515295891e-4f, 8.3321608736e-3f, -1.6666654611e-1f};
constexpr float kCos[3] = {2.443315711809948e-5f, -1.388731625493765e-3f, 4.166664568298827e-2f};
constexpr float kTwoPow31Inverse = 4.6566128730773926e-10f;  // 2^-31
constexpr float kQuarterTurn = 1.57079632679489662f / 4294967296.0f;  // (pi / 2) 2^-32

inline void box_muller(uint64_t bits, float& z0, float& z1) {
  const auto hi = static_cast<uint32_t>(bits >> 32), lo = static_cast<uint32_t>(bits);
  // Radius.
  const float u = (static_cast<float>(static_cast<int32_t>(hi >> 1)) + 0.5f) * kTwoPow31Inverse;
  uint32_t ub;
  std::memcpy(&ub, &u, sizeof ub);
  int32_t e = static_cast<int32_t>(ub >> 23) - 127;
  const uint32_t mb = (ub & 0x007fffffu) | 0x3f800000u;  // mantissa in [1, 2)
  float m;
  std::memcpy(&m, &mb, sizeof m);
  if (m > kSqrt2) {
    m = m * 0.5f;
    e = e + 1;
  }
  const float x = m - 1.0f, ef = static_cast<float>(e), z = x * x;
  float y = kLog[0];
  for (int i = 1; i < 9; ++i) y = y * x + kLog[i];
  y = y * x;
  y = y * z;
  y = y + kLn2Low * ef;
  y = y - 0.5f * z;
  float ln = x + y;
  ln = ln + kLn2High * ef;
  float r2 = -2.0f * ln;
  r2 = r2 > 0.0f ? r2 : 0.0f;
  const float r = std::sqrt(r2);
  // Angle.
  const float phi = static_cast<float>(static_cast<int32_t>(lo << 2)) * kQuarterTurn;
  const float p2 = phi * phi;
  float sp = kSin[0] * p2 + kSin[1];
  sp = sp * p2 + kSin[2];
  sp = sp * p2;
  sp = sp * phi;
  const float sin_phi = sp + phi;
  float cp = kCos[0] * p2 + kCos[1];
  cp = cp * p2 + kCos[2];
  cp = cp * p2;
  cp = cp * p2;
  cp = cp - 0.5f * p2;
  const float cos_phi = cp + 1.0f;
  const uint32_t q = lo >> 30;
  float c = (q & 1) != 0 ? sin_phi : cos_phi, s = (q & 1) != 0 ? cos_phi : sin_phi;
  uint32_t cb, sb;
  std::memcpy(&cb, &c, sizeof cb);
  std::memcpy(&sb, &s, sizeof sb);
  cb ^= (((q + 1) >> 1) & 1) << 31;  // quadrants 1 and 2: cos negative
  sb ^= (q >> 1) << 31;              // quadrants 2 and 3: sin negative
  std::memcpy(&c, &cb, sizeof c);
  std::memcpy(&s, &sb, sizeof s);
  z0 = r * c;
  z1 = r * s;
}

}  // namespace

void fill_normals_generic(NormalStreams& streams, float* out, size_t count) {
  for (size_t i = 0; i < count; i += 16) {
    float z[16];
    for (int l = 0; l < 8; ++l) box_muller(lane_next(streams.lanes, l), z[l], z[8 + l]);
    for (size_t j = 0; j < 16 && i + j < count; ++j) out[i + j] = z[j];
  }
}

#if defined(__x86_64__) && defined(__GNUC__)
namespace {
__attribute__((target("avx2"))) inline __m256i rotl256(__m256i x, int k) {
  return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

__attribute__((target("avx2"))) inline __m256 mul(__m256 x, __m256 y) { return _mm256_mul_ps(x, y); }
__attribute__((target("avx2"))) inline __m256 add(__m256 x, __m256 y) { return _mm256_add_ps(x, y); }
__attribute__((target("avx2"))) inline __m256 set(float x) { return _mm256_set1_ps(x); }

// Four streams' next numbers (xoshiro256**; x 5 and x 9 as shifts and adds: AVX2 has no
// 64-bit multiply).
__attribute__((target("avx2"))) inline __m256i xoshiro4(__m256i& s0, __m256i& s1, __m256i& s2,
                                                        __m256i& s3) {
  __m256i bits = _mm256_add_epi64(s1, _mm256_slli_epi64(s1, 2));  // s1 x 5
  bits = rotl256(bits, 7);
  bits = _mm256_add_epi64(bits, _mm256_slli_epi64(bits, 3));  // x 9
  const __m256i t = _mm256_slli_epi64(s1, 17);
  s2 = _mm256_xor_si256(s2, s0);
  s3 = _mm256_xor_si256(s3, s1);
  s1 = _mm256_xor_si256(s1, s2);
  s0 = _mm256_xor_si256(s0, s3);
  s2 = _mm256_xor_si256(s2, t);
  s3 = rotl256(s3, 45);
  return bits;
}

// fill_normals with AVX2: eight streams (two registers a state word), box_muller on the eight
// numbers at once.
__attribute__((target("avx2"))) void fill_normals_avx2(NormalStreams& streams, float* out,
                                                       size_t count) {
  auto* lanes = reinterpret_cast<__m256i*>(streams.lanes.data());
  __m256i a0 = _mm256_loadu_si256(lanes + 0), b0 = _mm256_loadu_si256(lanes + 1);
  __m256i a1 = _mm256_loadu_si256(lanes + 2), b1 = _mm256_loadu_si256(lanes + 3);
  __m256i a2 = _mm256_loadu_si256(lanes + 4), b2 = _mm256_loadu_si256(lanes + 5);
  __m256i a3 = _mm256_loadu_si256(lanes + 6), b3 = _mm256_loadu_si256(lanes + 7);
  const __m256i split = _mm256_setr_epi32(1, 3, 5, 7, 0, 2, 4, 6);  // high halves, then low
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256 sqrt2 = _mm256_set1_ps(kSqrt2), zero = _mm256_setzero_ps();
  const __m256i mantissa = _mm256_set1_epi32(0x007fffff), exponent_one = _mm256_set1_epi32(0x3f800000);
  const __m256i bias = _mm256_set1_epi32(127), ones = _mm256_set1_epi32(1);
  const __m256i sign = _mm256_set1_epi32(INT32_MIN);
  for (size_t i = 0; i < count; i += 16) {
    const __m256i na = _mm256_permutevar8x32_epi32(xoshiro4(a0, a1, a2, a3), split);
    const __m256i nb = _mm256_permutevar8x32_epi32(xoshiro4(b0, b1, b2, b3), split);
    const __m256i hi = _mm256_permute2x128_si256(na, nb, 0x20);  // streams 0-7's top halves
    const __m256i lo = _mm256_permute2x128_si256(na, nb, 0x31);
    // Radius.
    const __m256 u =
        mul(add(_mm256_cvtepi32_ps(_mm256_srli_epi32(hi, 1)), half), set(kTwoPow31Inverse));
    const __m256i ub = _mm256_castps_si256(u);
    __m256i e = _mm256_sub_epi32(_mm256_srli_epi32(ub, 23), bias);
    __m256 m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(ub, mantissa), exponent_one));
    const __m256 big = _mm256_cmp_ps(m, sqrt2, _CMP_GT_OQ);
    m = _mm256_blendv_ps(m, mul(m, half), big);
    e = _mm256_add_epi32(e, _mm256_and_si256(_mm256_castps_si256(big), ones));
    const __m256 x = _mm256_sub_ps(m, one), ef = _mm256_cvtepi32_ps(e), z = mul(x, x);
    __m256 y = set(kLog[0]);
    for (int k = 1; k < 9; ++k) y = add(mul(y, x), set(kLog[k]));
    y = mul(y, x);
    y = mul(y, z);
    y = add(y, mul(set(kLn2Low), ef));
    y = _mm256_sub_ps(y, mul(half, z));
    __m256 ln = add(x, y);
    ln = add(ln, mul(set(kLn2High), ef));
    __m256 r2 = mul(set(-2.0f), ln);
    r2 = _mm256_blendv_ps(zero, r2, _mm256_cmp_ps(r2, zero, _CMP_GT_OQ));
    const __m256 r = _mm256_sqrt_ps(r2);
    // Angle.
    const __m256 phi = mul(_mm256_cvtepi32_ps(_mm256_slli_epi32(lo, 2)), set(kQuarterTurn));
    const __m256 p2 = mul(phi, phi);
    __m256 sp = add(mul(set(kSin[0]), p2), set(kSin[1]));
    sp = add(mul(sp, p2), set(kSin[2]));
    sp = mul(sp, p2);
    sp = mul(sp, phi);
    const __m256 sin_phi = add(sp, phi);
    __m256 cp = add(mul(set(kCos[0]), p2), set(kCos[1]));
    cp = add(mul(cp, p2), set(kCos[2]));
    cp = mul(cp, p2);
    cp = mul(cp, p2);
    cp = _mm256_sub_ps(cp, mul(half, p2));
    const __m256 cos_phi = add(cp, one);
    const __m256i q = _mm256_srli_epi32(lo, 30);
    const __m256 swap = _mm256_castsi256_ps(_mm256_slli_epi32(q, 31));  // blendv reads the top bit
    __m256 c = _mm256_blendv_ps(cos_phi, sin_phi, swap), s = _mm256_blendv_ps(sin_phi, cos_phi, swap);
    const __m256i c_negative = _mm256_slli_epi32(_mm256_srli_epi32(_mm256_add_epi32(q, ones), 1), 31);
    const __m256i s_negative = _mm256_and_si256(lo, sign);  // q >> 1 is the top bit
    c = _mm256_xor_ps(c, _mm256_castsi256_ps(c_negative));
    s = _mm256_xor_ps(s, _mm256_castsi256_ps(s_negative));
    const __m256 z0 = mul(r, c), z1 = mul(r, s);
    if (count - i >= 16) {
      _mm256_storeu_ps(out + i, z0);
      _mm256_storeu_ps(out + i + 8, z1);
    } else {
      alignas(32) float zs[16];
      _mm256_store_ps(zs, z0);
      _mm256_store_ps(zs + 8, z1);
      for (size_t j = 0; i + j < count; ++j) out[i + j] = zs[j];
    }
  }
  _mm256_storeu_si256(lanes + 0, a0);
  _mm256_storeu_si256(lanes + 1, b0);
  _mm256_storeu_si256(lanes + 2, a1);
  _mm256_storeu_si256(lanes + 3, b1);
  _mm256_storeu_si256(lanes + 4, a2);
  _mm256_storeu_si256(lanes + 5, b2);
  _mm256_storeu_si256(lanes + 6, a3);
  _mm256_storeu_si256(lanes + 7, b3);
}
}  // namespace
#endif

void fill_normals(NormalStreams& streams, float* out, size_t count) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return fill_normals_avx2(streams, out, count);
#endif
  fill_normals_generic(streams, out, count);
}

namespace {

// draw_cells' per-cell arithmetic on a chunk, in an order the compiler vectorises; compiled
// for AVX2 and for the baseline, the same operations in both (no fused multiply-adds).
struct CellChunk {
  const uint8_t* levels;
  size_t count;
  const float* normals;   // the cells' normals (or nothing without variation)
  double* g;              // out: G / dG drifted
  float* level_steps;
  double* siemens;        // or null
  double off, sigma, lognormal_shift, drift, step_s;
  bool variation, gaussian;
};

__attribute__((always_inline)) inline void cell_chunk_body(const CellChunk& a) {
  const size_t n = a.count;
  double* g = a.g;
  if (!a.variation) {
    for (size_t i = 0; i < n; ++i) g[i] = a.off + a.levels[i];
  } else if (a.gaussian) {
    for (size_t i = 0; i < n; ++i) g[i] = (a.off + a.levels[i]) * (1 + a.sigma * a.normals[i]);
  } else {
    for (size_t i = 0; i < n; ++i)
      g[i] = (a.off + a.levels[i]) * std::exp(a.sigma * a.normals[i] + a.lognormal_shift);
  }
  for (size_t i = 0; i < n; ++i) {
    const double x = g[i] * a.drift;
    g[i] = x < 0 ? 0 : x;
  }
  for (size_t i = 0; i < n; ++i) a.level_steps[i] = static_cast<float>(g[i] - a.off);
  if (a.siemens != nullptr)
    for (size_t i = 0; i < n; ++i) a.siemens[i] = g[i] * a.step_s;
}

void cell_chunk_generic(const CellChunk& a) { cell_chunk_body(a); }
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void cell_chunk_avx2(const CellChunk& a) { cell_chunk_body(a); }
#endif

}  // namespace

void draw_cells(const uint8_t* levels, size_t count, const CellModel& cell,
                const DeviceConfig& device, DeviceRng& caller_rng, float* level_steps,
                double* siemens) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const auto chunk_kernel =
      __builtin_cpu_supports("avx2") ? cell_chunk_avx2 : cell_chunk_generic;
#else
  static const auto chunk_kernel = cell_chunk_generic;
#endif
  DeviceRng rng = caller_rng;  // a local copy stays in registers; handed back at the end
  const double sigma = device.programming_sigma;
  // In level steps above G_off throughout (G / dG = off + level): no division per cell.
  const double off = cell.g_off_s / cell.step_s, on = cell.g_on_s / cell.step_s;
  CellChunk chunk{};
  chunk.off = off;
  chunk.sigma = sigma;
  chunk.lognormal_shift = -sigma * sigma / 2;  // keeps the mean: E[exp(sigma n)] = e^(s^2/2)
  chunk.drift = cell.drift;
  chunk.step_s = cell.step_s;
  chunk.variation = sigma > 0;
  chunk.gaussian = device.programming_distribution == VariationDistribution::kGaussian;
  // Variation and drift of every cell, a chunk at a time (the normals stay in L1).
  constexpr size_t kChunk = 1024;
  double g[kChunk];
  float normals[kChunk];
  NormalStreams streams(chunk.variation ? rng.next() : 0);
  for (size_t first = 0; first < count; first += kChunk) {
    chunk.levels = levels + first;
    chunk.count = std::min(kChunk, count - first);
    chunk.g = g;
    chunk.normals = normals;
    chunk.level_steps = level_steps + first;
    chunk.siemens = siemens != nullptr ? siemens + first : nullptr;
    if (chunk.variation) fill_normals(streams, normals, chunk.count);
    chunk_kernel(chunk);
  }
  // Stuck-at cells: G_on or G_off whatever was written, drifted.
  const double stuck = device.stuck_on_rate + device.stuck_off_rate;
  if (stuck > 0) {
    const double log_not_stuck = std::log1p(-std::min(stuck, 1.0));  // -inf when every cell is
    // The number of cells before the next stuck one: geometric, P(k) = (1 - p)^k p.
    auto gap = [&]() -> size_t {
      const double k = std::floor(std::log1p(-rng.uniform()) / log_not_stuck);
      return k < static_cast<double>(count) ? static_cast<size_t>(k) : count;
    };
    for (size_t i = gap(); i < count;) {
      double x = (rng.uniform() * stuck < device.stuck_on_rate ? on : off) * cell.drift;
      if (x < 0) x = 0;
      level_steps[i] = static_cast<float>(x - off);
      if (siemens != nullptr) siemens[i] = x * cell.step_s;
      const size_t skip = gap();
      i = skip >= count - i ? count : i + 1 + skip;
    }
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
