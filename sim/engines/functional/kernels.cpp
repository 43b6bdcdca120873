#include "sim/engines/functional/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

namespace mixpim::sim::functional_detail {

__attribute__((always_inline)) inline void column_values_body(const KernelArgs& k) {
  const int words = k.words, b = k.bits_per_cell, d = k.dac_bits;
  for (int c = 0; c < k.columns; ++c) {
    const uint64_t* cp = k.cells + static_cast<size_t>(c) * b * words;
    int64_t acc = 0;
    for (int t = 0; t < k.cycles; ++t) {
      if (!k.active[t]) continue;  // no input bit: every column sums to 0, converted exactly
      int64_t sum = 0;
      for (int i = 0; i < d; ++i) {
        const int q = t * d + i;
        if (q >= k.activation_bits) break;
        const uint64_t* xp = k.planes + static_cast<size_t>(q) * words;
        for (int cb = 0; cb < b; ++cb) {
          const uint64_t* bits = cp + static_cast<size_t>(cb) * words;
          int64_t ones = 0;
          for (int w = 0; w < words; ++w) ones += __builtin_popcountll(xp[w] & bits[w]);
          sum += ones << (i + cb);
        }
      }
      if (!k.adc->lossless) {
        bool clipped = false;
        const int64_t converted = convert(sum, *k.adc, clipped);
        k.counts->clipped += clipped;
        k.counts->lossy += converted != sum;
        sum = converted;
      }
      acc += sum << (t * d);
    }
    k.out[c] = acc;
  }
}

void column_values_generic(const KernelArgs& k) { column_values_body(k); }

#if defined(__x86_64__) && defined(__GNUC__)
// The hot loop with the POPCNT instruction, chosen at run time (the build targets baseline
// x86-64, where __builtin_popcountll is a slow library call).
__attribute__((target("popcnt"))) void column_values_popcnt(const KernelArgs& k) {
  column_values_body(k);
}
#endif

ColumnKernel column_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("popcnt")) return column_values_popcnt;
#endif
  return column_values_generic;
}

__attribute__((always_inline)) inline void analog_chunk_body(const AnalogChunkArgs& a, int from) {
  float sum[kAnalogChunk] = {}, variance[kAnalogChunk] = {};
  const int n = a.width - from;
  if (a.unit && a.variance != nullptr) {
    for (int i = 0; i < a.count; ++i) {
      const float* level = a.level + static_cast<size_t>(a.rows[i]) * a.stride + from;
      for (int c = 0; c < n; ++c) sum[c] += level[c];
      for (int c = 0; c < n; ++c) variance[c] += level[c] * level[c];  // sum(l^2) for now
    }
    const UnitVariance unit_variance(a);
    for (int c = 0; c < n; ++c) {
      a.sum[from + c] = sum[c];
      a.variance[from + c] = unit_variance(variance[c], sum[c]);
    }
    return;
  }
  for (int i = 0; i < a.count; ++i) {
    const float* level = a.level + static_cast<size_t>(a.rows[i]) * a.stride + from;
    const float w = a.values[i], w2 = w * w;
    for (int c = 0; c < n; ++c) sum[c] += w * level[c];
    if (a.variance == nullptr) continue;
    for (int c = 0; c < n; ++c) {
      const float g = level[c] + a.off_steps;
      variance[c] += w2 * g * g;
    }
  }
  for (int c = 0; c < n; ++c) a.sum[from + c] = sum[c];
  if (a.variance != nullptr)
    for (int c = 0; c < n; ++c) a.variance[from + c] = variance[c];
}

void analog_chunk_generic(const AnalogChunkArgs& a) { analog_chunk_body(a, 0); }

__attribute__((always_inline)) inline void column_read_body(const ColumnReadArgs& a, int from) {
  const double top = a.max_sum + 1;
  for (int c = from; c < a.count; ++c) {
    double s = a.sum[c] + a.offset;
    // Read noise and ADC noise are independent Gaussians: one draw of their summed variance
    // (a zero variance adds 0).
    if (a.normals != nullptr) {
      const double noise2 =
          (a.variance != nullptr ? a.read_sigma2 * a.variance[c] : 0.0) + a.adc_noise2;
      s += std::sqrt(noise2) * a.normals[c];
    }
    double r = 0;
    if (s > 0) {
      r = std::trunc(std::min(s, top));
      if (s - r >= 0.5) r += 1;
      r = std::min(r, a.max_sum);
    }
    if (a.out != nullptr) {
      a.out[c] += static_cast<int64_t>(r) << a.shift;
    } else {
      a.level_sum[c] = static_cast<int64_t>(r);
    }
  }
}

void column_read_generic(const ColumnReadArgs& a) { column_read_body(a, 0); }

#if defined(__x86_64__) && defined(__GNUC__)
// 8 columns a register, `Groups` registers of sums (and of variances) held over every row.
template <int Groups, bool Unit, bool Noise>
__attribute__((target("avx2"), always_inline)) inline void analog_chunk_avx2_groups(
    const AnalogChunkArgs& a) {
  __m256 sum[Groups], variance[Groups];
  for (int k = 0; k < Groups; ++k) sum[k] = variance[k] = _mm256_setzero_ps();
  [[maybe_unused]] const __m256 off = _mm256_set1_ps(a.off_steps);
  for (int i = 0; i < a.count; ++i) {
    const float* level = a.level + static_cast<size_t>(a.rows[i]) * a.stride;
    const __m256 w = _mm256_set1_ps(a.values[i]);
    [[maybe_unused]] const __m256 w2 = _mm256_mul_ps(w, w);
    for (int k = 0; k < Groups; ++k) {
      const __m256 l = _mm256_loadu_ps(level + 8 * k);
      sum[k] = _mm256_add_ps(sum[k], Unit ? l : _mm256_mul_ps(w, l));
      if constexpr (Noise && Unit) {  // sum(l^2), completed below
        variance[k] = _mm256_add_ps(variance[k], _mm256_mul_ps(l, l));
      } else if constexpr (Noise) {
        const __m256 g = _mm256_add_ps(l, off);
        const __m256 wg = _mm256_mul_ps(w2, g);  // (w^2 g) g, as the baseline
        variance[k] = _mm256_add_ps(variance[k], _mm256_mul_ps(wg, g));
      }
    }
  }
  if constexpr (Noise && Unit) {
    const UnitVariance unit_variance(a);
    const __m256 two_off = _mm256_set1_ps(unit_variance.two_off);
    const __m256 n_off2 = _mm256_set1_ps(unit_variance.n_off2);
    for (int k = 0; k < Groups; ++k)
      variance[k] =
          _mm256_add_ps(_mm256_add_ps(variance[k], _mm256_mul_ps(two_off, sum[k])), n_off2);
  }
  for (int k = 0; k < Groups; ++k) {
    _mm256_storeu_ps(a.sum + 8 * k, sum[k]);
    if (Noise) _mm256_storeu_ps(a.variance + 8 * k, variance[k]);
  }
}

template <int Groups>
__attribute__((target("avx2"))) void analog_chunk_avx2_dispatch(const AnalogChunkArgs& a) {
  const bool noise = a.variance != nullptr;
  if (a.unit) {
    noise ? analog_chunk_avx2_groups<Groups, true, true>(a)
          : analog_chunk_avx2_groups<Groups, true, false>(a);
  } else {
    noise ? analog_chunk_avx2_groups<Groups, false, true>(a)
          : analog_chunk_avx2_groups<Groups, false, false>(a);
  }
}

__attribute__((target("avx2"))) void analog_chunk_avx2(const AnalogChunkArgs& a) {
  static_assert(kAnalogChunk == 32, "four groups of eight");
  switch (a.width / 8) {
    case 4:
      analog_chunk_avx2_dispatch<4>(a);
      break;
    case 3:
      analog_chunk_avx2_dispatch<3>(a);
      break;
    case 2:
      analog_chunk_avx2_dispatch<2>(a);
      break;
    case 1:
      analog_chunk_avx2_dispatch<1>(a);
      break;
    default:
      break;
  }
  if (a.width % 8 != 0) analog_chunk_body(a, a.width / 8 * 8);  // the last few columns
}

__attribute__((target("avx2"))) void column_read_avx2(const ColumnReadArgs& a) {
  const __m256d offset = _mm256_set1_pd(a.offset), read_sigma2 = _mm256_set1_pd(a.read_sigma2);
  const __m256d adc_noise2 = _mm256_set1_pd(a.adc_noise2), top = _mm256_set1_pd(a.max_sum + 1);
  const __m256d max_sum = _mm256_set1_pd(a.max_sum), zero = _mm256_setzero_pd();
  const __m256d half = _mm256_set1_pd(0.5), one = _mm256_set1_pd(1.0);
  const __m256d magic = _mm256_set1_pd(4503599627370496.0);  // 2^52: integers below it to bits
  const __m128i shift = _mm_cvtsi32_si128(a.shift);
  int c = 0;
  for (; c + 4 <= a.count; c += 4) {
    __m256d s = _mm256_add_pd(_mm256_cvtps_pd(_mm_loadu_ps(a.sum + c)), offset);
    if (a.normals != nullptr) {
      __m256d noise2 = adc_noise2;
      if (a.variance != nullptr) {
        noise2 = _mm256_add_pd(
            _mm256_mul_pd(read_sigma2, _mm256_cvtps_pd(_mm_loadu_ps(a.variance + c))), adc_noise2);
      }
      s = _mm256_add_pd(
          s, _mm256_mul_pd(_mm256_sqrt_pd(noise2), _mm256_cvtps_pd(_mm_loadu_ps(a.normals + c))));
    }
    __m256d r = _mm256_round_pd(_mm256_min_pd(s, top), _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    r = _mm256_add_pd(r, _mm256_and_pd(_mm256_cmp_pd(_mm256_sub_pd(s, r), half, _CMP_GE_OQ), one));
    r = _mm256_min_pd(r, max_sum);
    r = _mm256_and_pd(r, _mm256_cmp_pd(s, zero, _CMP_GT_OQ));
    const __m256i bits =
        _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(r, magic)), _mm256_castpd_si256(magic));
    if (a.out != nullptr) {
      auto* out = reinterpret_cast<__m256i*>(a.out + c);
      _mm256_storeu_si256(out,
                          _mm256_add_epi64(_mm256_loadu_si256(out), _mm256_sll_epi64(bits, shift)));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.level_sum + c), bits);
    }
  }
  column_read_body(a, c);
}
#endif

AnalogChunkKernel analog_chunk_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) return analog_chunk_avx2;
#endif
  return analog_chunk_generic;
}

ColumnReadKernel column_read_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("avx2")) return column_read_avx2;
#endif
  return column_read_generic;
}

}  // namespace mixpim::sim::functional_detail
