#include "functional.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>
#include <utility>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#endif

#include "adc.h"
#include "analytic.h"
#include "device.h"
#include "memory_guard.h"
#include "npy.h"
#include "yaml_tree.h"

namespace mixpim::sim {

namespace {

// ---------------------------------------------------------------------------------------
// Shared arithmetic (part of the quantization semantics, identical in both paths).

int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// floor(v / 2^s) without relying on the sign behaviour of >> on negative values.
int64_t floor_shift(int64_t v, int s) {
  if (s == 0) return v;
  if (v >= 0) return v >> s;
  return -((-(v + 1)) >> s) - 1;
}

// round(v / 2^s), halves up.
int64_t round_shift(int64_t v, int s) {
  if (s == 0) return v;
  return floor_shift(v + (int64_t{1} << (s - 1)), s);
}

// round(sum / n), halves up (n > 0).
int64_t div_round(int64_t sum, int64_t n) {
  const int64_t num = 2 * sum + n, den = 2 * n;
  int64_t q = num / den;
  if ((num % den != 0) && ((num < 0) != (den < 0))) --q;
  return q;
}

// SplitMix64 finaliser: independent seeds for the streams of (seed, tensor).
uint64_t mix_seed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A batch of integer tensors: `batch` images of `shape`, C order.
struct Tensor {
  Shape shape;
  int batch = 0;
  std::vector<int64_t> data;

  int64_t per_image() const { return element_count(shape); }
  bool empty() const { return data.empty() && batch == 0; }
};

Tensor zeros(const Shape& shape, int batch) {
  Tensor t;
  t.shape = shape;
  t.batch = batch;
  t.data.assign(static_cast<size_t>(element_count(shape) * batch), 0);
  return t;
}

// The requantisation of a weight layer's input (header comment): its integer range, then
// shift, round, clamp.
struct InputRange {
  int shift = 0;
  bool is_signed = false;  // the calibration tensor has a negative value
  int64_t lo = 0, hi = 0;  // [0, 2^a - 1] or [-2^(a-1), 2^(a-1) - 1]
  int64_t offset() const { return is_signed ? -lo : 0; }  // added before the arrays
};

InputRange calibrate_input(const Tensor& x, int bits) {
  int64_t max_value = 0, min_value = 0;
  for (int64_t v : x.data) {
    max_value = std::max(max_value, v);
    min_value = std::min(min_value, v);
  }
  InputRange r;
  r.is_signed = min_value < 0;
  r.lo = r.is_signed ? -(int64_t{1} << (bits - 1)) : 0;
  r.hi = r.is_signed ? (int64_t{1} << (bits - 1)) - 1 : (int64_t{1} << bits) - 1;
  while (r.shift < 62 &&
         (round_shift(max_value, r.shift) > r.hi || round_shift(min_value, r.shift) < r.lo))
    ++r.shift;
  return r;
}

Tensor requantize(const Tensor& x, const InputRange& range) {
  Tensor out = x;
  for (int64_t& v : out.data)
    v = std::clamp<int64_t>(round_shift(v, range.shift), range.lo, range.hi);
  return out;
}

// Real weights (header comment): fraction bits of every tensor between layers.
constexpr int kFractionBits = 16;

// round(v), halves away from zero, within +-2^62 (no undefined conversion on overflow).
int64_t round_to_int64(double v) {
  constexpr double kLimit = 4611686018427387904.0;  // 2^62
  return static_cast<int64_t>(std::llround(std::clamp(v, -kLimit, kLimit)));
}

// Weights of one conv2d/linear layer, dense [Cout, Cin, kh, kw] (linear: kh = kw = 1).
struct LayerWeights {
  std::vector<int32_t> values;
};

// Worker threads kept from one parallel_parts call to the next: a run makes thousands of calls
// (two for every programmed copy of a layer's arrays), and starting threads for each costs
// more than the work of the smaller ones.
class WorkerPool {
 public:
  static WorkerPool& instance() {
    static WorkerPool pool;
    return pool;
  }
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  // body(part) for every part in [0, parts): part 0 on the calling thread, the others on
  // workers; returns when all have. A call from inside a body runs the parts one by one.
  void run(int parts, const std::function<void(int)>& body) {
    if (inside_ || parts <= 1) {
      for (int part = 0; part < parts; ++part) body(part);
      return;
    }
    std::lock_guard<std::mutex> one_job(job_mutex_);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(workers_.size()) < parts - 1) {
        const int id = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, id] { work(id); });
      }
      job_ = &body;
      job_parts_ = parts;
      pending_ = parts - 1;
      ++generation_;
    }
    wake_.notify_all();
    inside_ = true;
    body(0);
    inside_ = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
  }

 private:
  WorkerPool() = default;

  void work(int id) {
    inside_ = true;
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      if (id >= job_parts_) continue;  // a job with fewer parts than workers
      const std::function<void(int)>* body = job_;
      lock.unlock();
      (*body)(id);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex job_mutex_;  // one job at a time
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int job_parts_ = 0, pending_ = 0;
  uint64_t generation_ = 0;
  bool stop_ = false;
  static thread_local bool inside_;
};
thread_local bool WorkerPool::inside_ = false;

// Runs fn(part, begin, end) over [0, n) on up to `threads` threads, part p on thread p (part 0
// the caller's), each taking the next few items whenever it is free (items differ in work: an
// output row's pixels on a copy of the arrays, its active rows). Every use writes disjoint
// outputs and per-part counts summed afterwards (integers), so results depend neither on the
// thread count nor on which thread took which items.
void parallel_parts(int64_t n, int threads,
                    const std::function<void(int part, int64_t begin, int64_t end)>& fn) {
  const int parts = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(threads, n)));
  if (parts == 1) {
    fn(0, 0, n);
    return;
  }
  const int64_t chunk = std::max<int64_t>(1, n / (int64_t{parts} * 8));
  std::atomic<int64_t> next{0};
  std::vector<std::exception_ptr> errors(static_cast<size_t>(parts));
  WorkerPool::instance().run(parts, [&](int part) {
    try {
      for (int64_t begin = next.fetch_add(chunk); begin < n; begin = next.fetch_add(chunk))
        fn(part, begin, std::min(n, begin + chunk));
    } catch (...) {
      errors[static_cast<size_t>(part)] = std::current_exception();
      next.store(n);  // the others stop at their next chunk
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// ---------------------------------------------------------------------------------------
// The exact integer reference: plain loops over dense tensors, no knowledge of the mapping.

namespace reference {

Tensor conv2d(const Layer& layer, const Tensor& x, const LayerWeights& w, int threads) {
  const int64_t h = layer.input_shape[1], wd = layer.input_shape[2];
  const int64_t cin = layer.input_shape[0], cin_g = layer.group_in_channels();
  const int64_t cout = layer.output_shape[0], ho = layer.output_shape[1],
                wo = layer.output_shape[2];
  const int kh = layer.kernel_h, kw = layer.kernel_w, sh = layer.stride_h, sw = layer.stride_w;
  const int ph = layer.pad_h, pw = layer.pad_w, dh = layer.dilation_h, dw = layer.dilation_w;
  Tensor out = zeros(layer.output_shape, x.batch);
  // Each (image, output channel) writes its own plane.
  parallel_parts(x.batch * cout, threads, [&](int, int64_t begin, int64_t end) {
    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / cout, co = item % cout;
      {
        int64_t* o = out.data.data() + (n * cout + co) * ho * wo;
        // Output channel co reads the inputs of its group only.
        const int64_t first_input = co / layer.group_out_channels() * cin_g;
        for (int64_t ci = 0; ci < cin_g; ++ci) {
          const int64_t* plane = x.data.data() + (n * cin + first_input + ci) * h * wd;
          for (int ky = 0; ky < kh; ++ky) {
            for (int kx = 0; kx < kw; ++kx) {
              const int64_t wv =
                  w.values[static_cast<size_t>(((co * cin_g + ci) * kh + ky) * kw + kx)];
              if (wv == 0) continue;
              // Output columns whose input column ox*sw - pw + kx*dw lies inside the image.
              const int64_t tap_x = int64_t{kx} * dw - pw;
              int64_t ox_lo = 0;
              while (ox_lo < wo && ox_lo * sw + tap_x < 0) ++ox_lo;
              int64_t ox_hi = wo;
              while (ox_hi > ox_lo && (ox_hi - 1) * sw + tap_x >= wd) --ox_hi;
              for (int64_t oy = 0; oy < ho; ++oy) {
                const int64_t iy = oy * sh - ph + int64_t{ky} * dh;
                if (iy < 0 || iy >= h) continue;
                // Signed offset, not a pointer before `plane` (forming one is undefined).
                const int64_t base = iy * wd + tap_x;
                int64_t* orow = o + oy * wo;
                for (int64_t ox = ox_lo; ox < ox_hi; ++ox) orow[ox] += wv * plane[base + ox * sw];
              }
            }
          }
        }
      }
    }
  });
  return out;
}

Tensor linear(const Layer& layer, const Tensor& x, const LayerWeights& w) {
  const int64_t in = layer.input_shape[0], outs = layer.output_shape[0];
  Tensor out = zeros(layer.output_shape, x.batch);
  for (int n = 0; n < x.batch; ++n) {
    for (int64_t o = 0; o < outs; ++o) {
      int64_t acc = 0;
      for (int64_t i = 0; i < in; ++i)
        acc += w.values[static_cast<size_t>(o * in + i)] * x.data[n * in + i];
      out.data[n * outs + o] = acc;
    }
  }
  return out;
}

Tensor relu(const Tensor& x, int64_t top) {
  Tensor out = x;
  for (int64_t& v : out.data) v = v < 0 ? 0 : v > top ? top : v;
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = a;
  for (size_t i = 0; i < out.data.size(); ++i) out.data[i] += b.data[i];
  return out;
}

// maxpool (max of in-bounds values) or avgpool (window sum / area, padding counts as zero).
Tensor pool(const Layer& layer, const Tensor& x, bool max_pool) {
  const int64_t c = layer.input_shape[0], h = layer.input_shape[1], wd = layer.input_shape[2];
  const int64_t ho = layer.output_shape[1], wo = layer.output_shape[2];
  Tensor out = zeros(layer.output_shape, x.batch);
  for (int n = 0; n < x.batch; ++n) {
    for (int64_t ch = 0; ch < c; ++ch) {
      const int64_t* plane = x.data.data() + (n * c + ch) * h * wd;
      for (int64_t oy = 0; oy < ho; ++oy) {
        for (int64_t ox = 0; ox < wo; ++ox) {
          int64_t best = std::numeric_limits<int64_t>::min(), sum = 0;
          for (int ky = 0; ky < layer.kernel_h; ++ky) {
            for (int kx = 0; kx < layer.kernel_w; ++kx) {
              const int64_t iy = oy * layer.stride_h - layer.pad_h + ky;
              const int64_t ix = ox * layer.stride_w - layer.pad_w + kx;
              if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
              best = std::max(best, plane[iy * wd + ix]);
              sum += plane[iy * wd + ix];
            }
          }
          if (best == std::numeric_limits<int64_t>::min()) best = 0;  // window all padding
          out.data[((n * c + ch) * ho + oy) * wo + ox] =
              max_pool ? best : div_round(sum, layer.kernel_area());
        }
      }
    }
  }
  return out;
}

Tensor global_avgpool(const Layer& layer, const Tensor& x) {
  const int64_t c = layer.input_shape[0], area = layer.input_shape[1] * layer.input_shape[2];
  Tensor out = zeros(layer.output_shape, x.batch);
  for (int n = 0; n < x.batch; ++n) {
    for (int64_t ch = 0; ch < c; ++ch) {
      int64_t sum = 0;
      for (int64_t i = 0; i < area; ++i) sum += x.data[(n * c + ch) * area + i];
      out.data[n * c + ch] = div_round(sum, area);
    }
  }
  return out;
}

}  // namespace reference

// ---------------------------------------------------------------------------------------
// PIM path: crossbar arrays built from the mapping, ADC, shift-add, digital units.

struct AdcModel {
  bool lossless = true;  // every possible sum converts exactly: skip the conversion
  bool clip_mode = false;
  bool nearest = true;
  int step_shift = 0;    // exact_bound: log2 of the step
  int64_t top_code = 0;  // 2^bits - 1
};

// An ADC of `bits` whose full scale (exact_bound) covers sums of `needed` bits.
AdcModel adc_model(int bits, int needed, const AdcConfig& adc) {
  AdcModel m;
  m.lossless = bits >= needed;
  m.clip_mode = adc.full_scale == AdcFullScale::kClip;
  m.nearest = adc.rounding == AdcRounding::kNearest;
  m.step_shift = m.clip_mode ? 0 : std::max(0, needed - bits);
  m.top_code = (int64_t{1} << bits) - 1;
  return m;
}

// A layer's ADC as sim/adc.h sizes it: its bits, the sums its full scale spans, and whether
// every sum converts exactly (then the conversion is skipped).
AdcModel adc_model(const LayerAdc& layer, const AdcConfig& adc) {
  AdcModel m = adc_model(layer.bits, layer.range_bits, adc);
  m.lossless = layer.exact;
  return m;
}

struct AdcCounts {
  int64_t clipped = 0;
  int64_t lossy = 0;
  // Row activity (data-aware energy): DAC drives (row x input cycle x array) and cell reads
  // (row x input cycle x used column), all and those whose input slice is not zero.
  int64_t dac_drives = 0, dac_active = 0;
  int64_t cell_reads = 0, cell_active = 0;
  // Input activity (FunctionalLayerResult): conversions with an input bit in their row block,
  // driven inputs, non-zero ones and set bits per bit-plane.
  int64_t conversion_slots = 0, conversion_active = 0;
  int64_t driven_inputs = 0, nonzero_inputs = 0;
  std::vector<int64_t> bit_ones;
  void merge(const AdcCounts& o) {
    clipped += o.clipped;
    lossy += o.lossy;
    dac_drives += o.dac_drives;
    dac_active += o.dac_active;
    cell_reads += o.cell_reads;
    cell_active += o.cell_active;
    conversion_slots += o.conversion_slots;
    conversion_active += o.conversion_active;
    driven_inputs += o.driven_inputs;
    nonzero_inputs += o.nonzero_inputs;
    if (bit_ones.size() < o.bit_ones.size()) bit_ones.resize(o.bit_ones.size(), 0);
    for (size_t q = 0; q < o.bit_ones.size(); ++q) bit_ones[q] += o.bit_ones[q];
  }
};

inline int64_t convert(int64_t sum, const AdcModel& m, bool& clipped) {
  int64_t code = m.step_shift == 0 ? sum
                 : m.nearest       ? (sum + (int64_t{1} << (m.step_shift - 1))) >> m.step_shift
                                   : sum >> m.step_shift;
  clipped = code > m.top_code;
  if (clipped) code = m.top_code;
  return code << m.step_shift;
}

// Column values of one array for one MVM: per column, sum over input cycles t of
// ADC(column sum of cycle t) << (t * dac_bits). planes: input bit q over the block's rows,
// words per plane; cells: per column, bits_per_cell bit planes over the rows.
struct KernelArgs {
  const uint64_t* planes;
  const uint8_t* active;  // per input cycle: any input bit set
  const uint64_t* cells;
  int words, activation_bits, dac_bits, cycles, bits_per_cell, columns;
  const AdcModel* adc;
  int64_t* out;
  AdcCounts* counts;
};

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

using ColumnKernel = void (*)(const KernelArgs&);

ColumnKernel column_kernel() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (__builtin_cpu_supports("popcnt")) return column_values_popcnt;
#endif
  return column_values_generic;
}

// The analog path's inner loops (PimLayer::analog_column_values), compiled for AVX2 and for
// the baseline with the same operations in the same order (no fused multiply-adds), so results
// do not depend on the machine.
//
// The column sums of up to 32 columns of one array over the rows one input cycle drives: each
// row adds value x its cells' level steps to the sums and, with read noise, value^2 x (level +
// G_off / dG)^2 to the variances, row after row. The 32 columns' sums stay in registers while
// the rows stream past. With 1-bit DACs (every value 1) the variance is summed as
// sum(l^2) + 2 off sum(l) + n off^2 (off = G_off / dG, n rows): two adds and a multiply a row
// and column rather than three adds and a multiply.
struct AnalogChunkArgs {
  const float* level;  // the chunk's first column in row 0
  size_t stride;       // floats from one row to the next
  const int32_t* rows;
  const float* values;  // the rows' slice values
  int count;            // rows
  int width;            // columns, at most kAnalogChunk
  float off_steps;
  bool unit;        // every value is 1 (1-bit DACs): value x a = a, skipped
  float* sum;       // width outputs
  float* variance;  // width outputs; null: no read noise
};
constexpr int kAnalogChunk = 32;

// The unit variance's last step, sum(l^2) + 2 off sum(l) + n off^2, in this order.
struct UnitVariance {
  float two_off, n_off2;
  explicit UnitVariance(const AnalogChunkArgs& a)
      : two_off(2.0f * a.off_steps),
        n_off2(static_cast<float>(a.count) * a.off_steps * a.off_steps) {}
  float operator()(float squares, float sum) const { return (squares + two_off * sum) + n_off2; }
};

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

// What the columns read: the sum plus ADC offset and, with noise, sqrt(variance) x a standard
// normal, rounded half away from zero (as std::llround) and clamped to [0, max_sum]; a negative
// value gives 0 either way. s - trunc(s) is exact. Into `level_sum`, or (a lossless ADC) added
// shifted by the cycle's place into the column values `out`.
struct ColumnReadArgs {
  const float* sum;
  const float* variance;  // null: no read noise
  const float* normals;  // null: no noise at all
  int count;
  double offset, read_sigma2, adc_noise2;
  double max_sum;  // below 2^51
  int64_t* level_sum;
  int64_t* out;  // null: to level_sum
  int shift;     // of a level sum in `out`
};

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
      variance[k] = _mm256_add_ps(_mm256_add_ps(variance[k], _mm256_mul_ps(two_off, sum[k])), n_off2);
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
    case 4: analog_chunk_avx2_dispatch<4>(a); break;
    case 3: analog_chunk_avx2_dispatch<3>(a); break;
    case 2: analog_chunk_avx2_dispatch<2>(a); break;
    case 1: analog_chunk_avx2_dispatch<1>(a); break;
    default: break;
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
    const __m256i bits = _mm256_sub_epi64(_mm256_castpd_si256(_mm256_add_pd(r, magic)),
                                          _mm256_castpd_si256(magic));
    if (a.out != nullptr) {
      auto* out = reinterpret_cast<__m256i*>(a.out + c);
      _mm256_storeu_si256(out, _mm256_add_epi64(_mm256_loadu_si256(out), _mm256_sll_epi64(bits, shift)));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(a.level_sum + c), bits);
    }
  }
  column_read_body(a, c);
}
#endif

using AnalogChunkKernel = void (*)(const AnalogChunkArgs&);
using ColumnReadKernel = void (*)(const ColumnReadArgs&);

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

// Bits of rows [lo, hi) in 64-row word w (row r is bit r % 64 of word r / 64).
inline uint64_t rows_mask(int lo, int hi, int w) {
  const int a = std::clamp(lo - w * 64, 0, 64), b = std::clamp(hi - w * 64, 0, 64);
  if (b <= a) return 0;  // (and no shift by 64)
  return b - a == 64 ? ~uint64_t{0} : ((uint64_t{1} << (b - a)) - 1) << a;
}

// What the shift-add unit does with one column.
struct PimColumn {
  int channel = 0;
  int shift = 0;          // slice shift s * bits_per_cell
  bool negative = false;  // differential: the negative column of a pair
};

// One conv2d/linear layer on its arrays.
class PimLayer {
 public:
  // One array as programmed on one copy (sim/device.h): per row and used column, the cell's
  // conductance in level steps above G_off, (G - G_off) / dG, and in siemens.
  struct AnalogArray {
    int rows = 0, columns = 0;
    std::vector<float> level;  // rows x columns, row major (integers when ideal: exact)
    std::vector<double> g_s;   // the same in siemens (IR drop)
  };

  // `input_offset` (2^(a-1) for signed inputs, else 0) is added to every input, padding
  // included, so the arrays see unsigned values; offset x (the channel's weight sum) is removed
  // digitally after the row blocks merge.
  PimLayer(const Layer& layer, const LayerMapping& mapping, const std::vector<int>& kept_inputs,
           const LayerWeights& weights, const ArchConfig& arch, int64_t input_offset, int threads,
           uint64_t device_key_base, const std::vector<FunctionalOptions::CellFault>& faults)
      : layer_(layer),
        mapping_(mapping),
        adc_(adc_model(layer_adc(mapping, arch), arch.pe.adc)),
        input_offset_(input_offset) {
    device_ = arch.pe.crossbar.device;
    analog_ = device_.non_ideal() || arch.pe.adc.offset_lsb != 0 || arch.pe.adc.noise_lsb > 0;
    cell_ = cell_model(device_, arch.pe.crossbar.bits_per_cell);
    adc_offset_ = arch.pe.adc.offset_lsb;
    adc_noise_ = arch.pe.adc.noise_lsb;
    skip_zero_blocks_ = arch.pe.adc.skip_zero_blocks;
    device_key_base_ = device_key_base;
    for (const FunctionalOptions::CellFault& f : faults) {
      if (f.layer == layer.name) faults_.push_back(f);
    }
    analog_ = analog_ || !faults_.empty();
    bits_per_cell_ = arch.pe.crossbar.bits_per_cell;
    cell_max_ = (int64_t{1} << bits_per_cell_) - 1;
    dac_bits_ = arch.pe.dac.bits;
    activation_bits_ = mapping.activation_bits;
    cycles_ = mapping.input_cycles;
    const int64_t area = layer.kernel_area();
    if (mapping.rows != static_cast<int64_t>(kept_inputs.size()) * area) {
      throw std::logic_error("functional: mapping of " + layer.name + " has " +
                             std::to_string(mapping.rows) + " rows, expected " +
                             std::to_string(kept_inputs.size() * area));
    }
    // Row r = (kept input index, ky, kx): where its input comes from.
    row_channel_.resize(static_cast<size_t>(mapping.rows));
    row_ky_.resize(row_channel_.size());
    row_kx_.resize(row_channel_.size());
    for (int64_t r = 0; r < mapping.rows; ++r) {
      row_channel_[r] = kept_inputs[static_cast<size_t>(r / area)];
      row_ky_[r] = static_cast<int>((r % area) / layer.kernel_w);
      row_kx_[r] = static_cast<int>(r % layer.kernel_w);
    }
    // Weights are [Cout, Cin / groups, kh, kw]; a row of another group's input holds 0.
    const int64_t cin_g = layer.group_in_channels(), cout_g = layer.group_out_channels();
    // A channel's weights over rows [first, first + count), 0 on rows of another group's input,
    // into `channel_rows`.
    auto channel_weights = [&](int channel, int64_t first, int64_t count,
                               std::vector<int64_t>& channel_rows) {
      channel_rows.assign(static_cast<size_t>(count), 0);
      const int64_t group_first = (channel / cout_g) * cin_g;
      const int32_t* w = weights.values.data() + static_cast<size_t>(channel) * cin_g * area;
      for (int64_t i = 0; i < count; ++i) {
        const int64_t r = first + i;
        const int64_t local = row_channel_[r] - group_first;
        if (local < 0 || local >= cin_g) continue;
        channel_rows[i] = w[local * area + row_ky_[r] * layer.kernel_w + row_kx_[r]];
      }
      return channel_rows.data();
    };

    const int64_t cell_mask = (int64_t{1} << bits_per_cell_) - 1;
    offset_.assign(static_cast<size_t>(layer.out_channels()), 0);
    weight_sum_.assign(static_cast<size_t>(layer.out_channels()), 0);
    std::vector<int64_t> all_rows;
    for (int64_t j = 0; j < layer.out_channels(); ++j) {
      const int64_t* w = channel_weights(static_cast<int>(j), 0, mapping.rows, all_rows);
      for (int64_t r = 0; r < mapping.rows; ++r) weight_sum_[j] += w[r];
    }
    for (const ColumnArray& array : mapping.column_arrays) {
      std::vector<PimColumn> columns(static_cast<size_t>(array.used_columns));
      for (const ColumnSpan& span : array.spans) {
        const bool differential = span.columns_per_slice == 2;
        if (!differential) offset_[span.channel] = int64_t{1} << (span.bits - 1);
        for (int s = 0; s < span.slices; ++s) {
          for (int part = 0; part < span.columns_per_slice; ++part) {
            PimColumn& col = columns[span.first_column + s * span.columns_per_slice + part];
            col.channel = span.channel;
            col.shift = (span.first_slice + s) * bits_per_cell_;
            col.negative = part == 1;
          }
        }
      }
      columns_.push_back(std::move(columns));
    }

    // Program the cells: per row block and each column array it meets, per column, bit
    // planes of the cell values over the block's rows. The arrays are listed first, then
    // programmed in parallel (each writes only its own cells).
    struct ArrayJob {
      int array = 0;
      int64_t block = 0, first_row = 0;
      int rows = 0, words = 0;
    };
    std::vector<ArrayJob> jobs;
    int64_t first_row = 0;
    for (int64_t block = 0; block < mapping.row_blocks(); ++block) {
      const int block_rows = mapping.row_block_rows[static_cast<size_t>(block)];
      const int words = (block_rows + 63) / 64;
      block_first_row_.push_back(first_row);
      block_words_.push_back(words);
      const auto [first_array, last_array] = mapping.columns_of_block(block);
      block_first_cells_.push_back(static_cast<int>(jobs.size()));
      std::vector<std::pair<int, int64_t>> offsets;  // offset-encoded channels the block meets
      std::vector<uint8_t> seen(offset_.size(), 0);  // a channel's slices may span arrays
      for (int a = first_array; a < last_array; ++a) {
        block_arrays_.push_back(a);
        jobs.push_back({a, block, first_row, block_rows, words});
        for (const ColumnSpan& span : mapping.column_arrays[a].spans) {
          if (offset_[span.channel] != 0 && !seen[span.channel])
            offsets.emplace_back(span.channel, offset_[span.channel]);
          seen[span.channel] = 1;
        }
      }
      block_offsets_.push_back(std::move(offsets));
      first_row += block_rows;
    }
    cells_.resize(jobs.size());
    flipped_.resize(jobs.size());
    if (analog_) levels_.resize(jobs.size());
    parallel_parts(
        static_cast<int64_t>(jobs.size()), threads, [&](int, int64_t begin, int64_t end) {
          std::vector<int64_t> channel_rows;
          for (int64_t k = begin; k < end; ++k) {
            const ArrayJob& job = jobs[static_cast<size_t>(k)];
            const int a = job.array, block_rows = job.rows, words = job.words;
            const std::vector<PimColumn>& columns = columns_[a];
            std::vector<uint64_t> cells(columns.size() * bits_per_cell_ * words, 0);
            for (const ColumnSpan& span : mapping.column_arrays[a].spans) {
              const bool differential = span.columns_per_slice == 2;
              // The channel's weights over the block's rows, once for all its slices.
              const int64_t* block_weights =
                  channel_weights(span.channel, job.first_row, block_rows, channel_rows);
              for (int s = 0; s < span.slices; ++s) {
                const int slice_shift = (span.first_slice + s) * bits_per_cell_;
                for (int part = 0; part < span.columns_per_slice; ++part) {
                  const int column = span.first_column + s * span.columns_per_slice + part;
                  uint64_t* planes =
                      cells.data() + static_cast<size_t>(column) * bits_per_cell_ * words;
                  // 64 rows at a time into one word per cell bit.
                  for (int word = 0; word < words; ++word) {
                    uint64_t bits[8] = {0, 0, 0, 0, 0, 0, 0, 0};  // bits_per_cell <= 8
                    const int last = std::min(block_rows, (word + 1) * 64);
                    for (int r = word * 64; r < last; ++r) {
                      const int64_t w = block_weights[r];  // 0: other groups
                      int64_t stored;                      // the bits this slice's cell holds
                      if (!differential) {
                        stored = w + (int64_t{1} << (span.bits - 1));
                      } else {
                        stored = (part == 0) ? (w > 0 ? w : 0) : (w < 0 ? -w : 0);
                      }
                      const auto cell = static_cast<uint64_t>((stored >> slice_shift) & cell_mask);
                      for (int cb = 0; cb < bits_per_cell_; ++cb)
                        bits[cb] |= ((cell >> cb) & 1) << (r % 64);
                    }
                    for (int cb = 0; cb < bits_per_cell_; ++cb)
                      planes[cb * words + word] = bits[cb];
                  }
                }
              }
            }
            // Per column and row group (pe.crossbar.rows_per_read; one group unless it splits
            // the block), flagged where the group's cells were stored complemented.
            const int per_read =
                mapping.read_groups(job.block) > 1 ? mapping.rows_per_read : block_rows;
            flipped_[static_cast<size_t>(k)] =
                arch.pe.crossbar.weight_flipping
                    ? flip_columns(cells, columns.size(), block_rows, words, per_read)
                    : std::vector<uint8_t>(
                          columns.size() *
                              static_cast<size_t>((block_rows + per_read - 1) / per_read),
                          0);
            if (analog_) {
              // Levels row major, for drawing every copy's cells (sim/device.h); branch-free
              // (the bits are as good as random: a test per bit mispredicts half the time).
              std::vector<uint8_t>& levels = levels_[static_cast<size_t>(k)];
              levels.assign(static_cast<size_t>(block_rows) * columns.size(), 0);
              for (size_t c = 0; c < columns.size(); ++c) {
                for (int cb = 0; cb < bits_per_cell_; ++cb) {
                  const uint64_t* plane = cells.data() + (c * bits_per_cell_ + cb) * words;
                  for (int r = 0; r < block_rows; ++r) {
                    levels[static_cast<size_t>(r) * columns.size() + c] |=
                        static_cast<uint8_t>(((plane[r / 64] >> (r % 64)) & 1) << cb);
                  }
                }
              }
            }
            cells_[static_cast<size_t>(k)] = std::move(cells);
          }
        });
    block_first_cells_.push_back(static_cast<int>(cells_.size()));
    for (int64_t block = 0; block < mapping.row_blocks(); ++block) {
      const auto [first_array, last_array] = mapping.columns_of_block(block);
      int64_t columns = 0;
      for (int a = first_array; a < last_array; ++a)
        columns += mapping.column_arrays[a].used_columns;
      block_columns_.push_back(columns);
    }
  }

  // Runs every MVM of the layer on each of `inputs`, already requantised (unsigned activation
  // bits), counting into the matching `counts`. The (input, image, output row) items are split
  // over `threads` threads, each with its own buffers and counts.
  // With non-idealities (sim/device.h) every copy of the layer's arrays is programmed with
  // its own draws, one copy at a time, and computes the output pixels the work model gives it
  // (pixel p of an image on copy p mod replication). Several inputs (a layer's isolated and
  // end-to-end input) share each copy's draws, drawn once, as one programmed chip would; the
  // draws are keyed by what they model, not by the input, so each output is what a run of its
  // input alone gives. `arrays` holds the drawn cells; the caller keeps it from layer to layer,
  // so each layer reuses the memory (and pages) of the last rather than faulting in new ones.
  std::vector<Tensor> run(const std::vector<const Tensor*>& inputs,
                          const std::vector<AdcCounts*>& counts, int threads,
                          std::vector<AnalogArray>& arrays) const {
    const bool conv = layer_.type == LayerType::kConv2d;
    const int64_t ho = conv ? layer_.output_shape[1] : 1;
    const int batch = inputs.at(0)->batch;
    std::vector<Tensor> out;
    for (const Tensor* x : inputs) {
      if (x->batch != batch) throw std::logic_error("functional: inputs of different batches");
      out.push_back(zeros(layer_.output_shape, batch));
    }
    const size_t parts = static_cast<size_t>(std::max(1, threads));
    std::vector<AdcCounts> part_counts(inputs.size() * parts);  // part major
    const int64_t copies = analog_ ? std::max<int64_t>(1, mapping_.replication) : 1;
    for (int64_t copy = 0; copy < copies; ++copy) {
      if (analog_) program_copy(copy, threads, arrays);
      parallel_parts(batch * ho, threads, [&](int part, int64_t begin, int64_t end) {
        std::vector<RowInput> row_inputs(inputs.size());
        for (size_t i = 0; i < inputs.size(); ++i) {
          row_inputs[i].x = inputs[i];
          row_inputs[i].out = &out[i];
          row_inputs[i].counts = &part_counts[static_cast<size_t>(part) * inputs.size() + i];
        }
        run_rows(row_inputs, begin, end, analog_ ? &arrays : nullptr, copy, copies);
      });
    }
    for (size_t i = 0; i < inputs.size(); ++i) {
      counts[i]->bit_ones.resize(static_cast<size_t>(activation_bits_), 0);
      for (size_t part = 0; part < parts; ++part)
        counts[i]->merge(part_counts[part * inputs.size() + i]);
    }
    return out;
  }

  // The rows each converted input cycle of a read drives and their slice values, cycle after
  // cycle; cycle t's at [first[t], first[t + 1]). The same for every array of the row block.
  struct DrivenRows {
    std::vector<int32_t> rows;
    std::vector<float> values;
    std::vector<int> first;
  };
  // One input of run_rows and its buffers.
  struct RowInput {
    const Tensor* x = nullptr;
    Tensor* out = nullptr;
    AdcCounts* counts = nullptr;
    std::vector<int64_t> input, acc, values;
    std::vector<uint64_t> planes, group_planes;  // group_planes: one row group's share
    std::vector<uint8_t> active;
    int64_t input_sum = 0, read_sum = 0;  // of the block's rows, of the read's rows
    const uint64_t* read_planes = nullptr;
    bool skip = false;  // nothing of this read to convert
    DrivenRows driven;  // the analog path's
  };

  // Output rows [begin, end) of (image, output row) pairs, image major, of every input: each
  // pixel's reads of an array for every input one after another, while its cells are in cache.
  void run_rows(std::vector<RowInput>& inputs, int64_t begin, int64_t end,
                const std::vector<AnalogArray>* analog, int64_t copy, int64_t copies) const {
    static const ColumnKernel kernel = column_kernel();
    const bool conv = layer_.type == LayerType::kConv2d;
    const int64_t h = conv ? layer_.input_shape[1] : 1, wd = conv ? layer_.input_shape[2] : 1;
    const int64_t ho = conv ? layer_.output_shape[1] : 1, wo = conv ? layer_.output_shape[2] : 1;
    const int64_t cout = layer_.out_channels();
    const int64_t rows = mapping_.rows;
    size_t max_words = 0, max_columns = 0;
    for (int w : block_words_) max_words = std::max<size_t>(max_words, w);
    for (const auto& c : columns_) max_columns = std::max(max_columns, c.size());
    for (RowInput& in : inputs) {
      in.counts->bit_ones.resize(static_cast<size_t>(activation_bits_), 0);
      in.input.resize(static_cast<size_t>(rows));
      in.acc.resize(static_cast<size_t>(cout));
      in.planes.resize(max_words * activation_bits_);
      in.group_planes.resize(in.planes.size());
      in.active.resize(static_cast<size_t>(cycles_));
      in.values.resize(max_columns);
    }
    AnalogScratch scratch;
    std::vector<AnalogRead> reads;

    for (int64_t item = begin; item < end; ++item) {
      const int64_t n = item / ho, oy = item % ho;
      for (int64_t ox = 0; ox < wo; ++ox) {
        const int64_t pixel = oy * wo + ox;
        if (analog != nullptr && pixel % copies != copy) continue;  // another copy's MVM
        for (RowInput& in : inputs) {
          // im2col: the input vector of this MVM, in row order.
          const int64_t* image = in.x->data.data() + n * in.x->per_image();
          for (int64_t r = 0; r < rows; ++r) {
            const int64_t iy =
                oy * layer_.stride_h - layer_.pad_h + int64_t{row_ky_[r]} * layer_.dilation_h;
            const int64_t ix =
                ox * layer_.stride_w - layer_.pad_w + int64_t{row_kx_[r]} * layer_.dilation_w;
            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < wd;
            in.input[r] = (inside ? image[(row_channel_[r] * h + iy) * wd + ix] : 0) + input_offset_;
          }
          std::fill(in.acc.begin(), in.acc.end(), 0);
        }
        for (size_t block = 0; block < block_words_.size(); ++block) {
          const int words = block_words_[block];
          const int64_t first = block_first_row_[block];
          const int block_rows = mapping_.row_block_rows[block];
          const int64_t block_arrays = block_first_cells_[block + 1] - block_first_cells_[block];
          for (RowInput& in : inputs) {
            AdcCounts& counts = *in.counts;
            // Bit-serial input: plane q holds bit q of every row's activation.
            std::fill(in.planes.begin(),
                      in.planes.begin() + static_cast<size_t>(words) * activation_bits_, 0);
            in.input_sum = 0;
            for (int r = 0; r < block_rows; ++r) {
              uint64_t v = static_cast<uint64_t>(in.input[first + r]);
              in.input_sum += static_cast<int64_t>(v);
              counts.nonzero_inputs += v != 0;
              while (v != 0) {
                const int q = __builtin_ctzll(v);
                in.planes[static_cast<size_t>(q) * words + r / 64] |= uint64_t{1} << (r % 64);
                v &= v - 1;
              }
            }
            counts.driven_inputs += block_rows;
            for (int q = 0; q < activation_bits_; ++q) {
              int64_t ones = 0;
              for (int w = 0; w < words; ++w)
                ones += __builtin_popcountll(in.planes[static_cast<size_t>(q) * words + w]);
              counts.bit_ones[static_cast<size_t>(q)] += ones;
            }
            int64_t active_rows = 0;  // rows x input cycles whose DAC slice is not zero
            for (int t = 0; t < cycles_; ++t) {
              for (int w = 0; w < words; ++w) {
                uint64_t slice = 0;
                for (int q = t * dac_bits_; q < std::min(activation_bits_, (t + 1) * dac_bits_);
                     ++q)
                  slice |= in.planes[static_cast<size_t>(q) * words + w];
                active_rows += __builtin_popcountll(slice);
              }
            }
            counts.dac_drives += int64_t{block_rows} * cycles_ * block_arrays;
            counts.dac_active += active_rows * block_arrays;
            counts.cell_reads += int64_t{block_rows} * cycles_ * block_columns_[block];
            counts.cell_active += active_rows * block_columns_[block];
          }
          // Row groups (pe.crossbar.rows_per_read) are read and converted one after another:
          // each sees the inputs of its own rows only.
          const int64_t groups = mapping_.read_groups(static_cast<int64_t>(block));
          for (int64_t g = 0; g < groups; ++g) {
            int read_rows = block_rows;
            int lo = 0;
            if (groups > 1) {
              lo = static_cast<int>(g) * mapping_.rows_per_read;
              read_rows = mapping_.read_group_rows(static_cast<int64_t>(block), g);
            }
            bool any_read = false;
            for (RowInput& in : inputs) {
              in.read_planes = in.planes.data();
              in.read_sum = in.input_sum;  // of the rows this read drives
              if (groups > 1) {
                const int hi = lo + read_rows;
                in.read_sum = 0;
                for (int r = lo; r < hi; ++r) in.read_sum += in.input[first + r];
                for (int w = 0; w < words; ++w) {
                  const uint64_t mask = rows_mask(lo, hi, w);
                  for (int q = 0; q < activation_bits_; ++q)
                    in.group_planes[static_cast<size_t>(q) * words + w] =
                        in.planes[static_cast<size_t>(q) * words + w] & mask;
                }
                in.read_planes = in.group_planes.data();
              }
              bool any = false;
              int64_t active_cycles = 0;
              for (int t = 0; t < cycles_; ++t) {
                in.active[t] = 0;
                for (int w = 0; w < words && !in.active[t]; ++w) {
                  for (int q = t * dac_bits_; q < std::min(activation_bits_, (t + 1) * dac_bits_);
                       ++q)
                    in.active[t] |= in.read_planes[static_cast<size_t>(q) * words + w] != 0;
                }
                any |= in.active[t] != 0;
                active_cycles += in.active[t];
              }
              in.counts->conversion_slots += int64_t{cycles_} * block_columns_[block];
              in.counts->conversion_active += active_cycles * block_columns_[block];
              // All-zero input: every column sum and the offset term are 0 (with ADC offset or
              // noise the analog path still converts, unless skip_zero_blocks skips).
              in.skip = !any && (analog == nullptr || (adc_offset_ == 0 && adc_noise_ == 0));
              any_read |= !in.skip;
              // The analog path's driven rows, once for every array of the block.
              if (analog != nullptr && !in.skip)
                driven_rows(in.read_planes, words, in.active.data(), in.driven);
            }
            if (!any_read) continue;
            for (int k = block_first_cells_[block]; k < block_first_cells_[block + 1]; ++k) {
              const std::vector<PimColumn>& columns = columns_[block_arrays_[k]];
              if (analog != nullptr) {
                // The read's noise is keyed by the read, not the input: every input of this
                // pixel sees the same draws.
                NormalStreams rng(
                    groups == 1
                        ? device_key({device_key_base_, 2, static_cast<uint64_t>(n),
                                      static_cast<uint64_t>(pixel), static_cast<uint64_t>(k)})
                        : device_key({device_key_base_, 2, static_cast<uint64_t>(n),
                                      static_cast<uint64_t>(pixel), static_cast<uint64_t>(k),
                                      static_cast<uint64_t>(g)}));
                reads.clear();
                for (RowInput& in : inputs) {
                  if (!in.skip)
                    reads.push_back({&in.driven, in.active.data(), in.values.data(), in.counts});
                }
                analog_column_values((*analog)[static_cast<size_t>(k)], read_rows, reads, rng,
                                     scratch);
              }
              for (RowInput& in : inputs) {
                if (in.skip) continue;
                if (analog == nullptr) {
                  KernelArgs args{in.read_planes,   in.active.data(), cells_[k].data(),
                                  words,            activation_bits_, dac_bits_,
                                  cycles_,          bits_per_cell_,   static_cast<int>(columns.size()),
                                  &adc_,            in.values.data(), in.counts};
                  kernel(args);
                }
                // Flagged (flipped) columns hold complements over the read's rows: their true
                // sum is (2^b_c - 1) x (sum of those rows' inputs) - the converted sum
                // (sim/adc.h). Flags are per column and row group.
                const uint8_t* flipped =
                    flipped_[k].data() + g * static_cast<int64_t>(columns.size());
                const int64_t complement = cell_max_ * in.read_sum;
                // Shift-add: slice shift, sign of the column, into the channel's partial sum.
                for (size_t c = 0; c < columns.size(); ++c) {
                  const int64_t value = flipped[c] ? complement - in.values[c] : in.values[c];
                  const int64_t v = value * (int64_t{1} << columns[c].shift);
                  in.acc[columns[c].channel] += columns[c].negative ? -v : v;
                }
              }
            }
          }
          // Offset encoding: remove 2^(w-1) x (sum of this block's inputs) digitally from
          // each channel the block's arrays hold.
          for (RowInput& in : inputs) {
            for (const auto& [j, offset] : block_offsets_[block]) in.acc[j] -= offset * in.input_sum;
          }
        }
        for (RowInput& in : inputs) {
          int64_t* o = in.out->data.data() + n * in.out->per_image();
          for (int64_t j = 0; j < cout; ++j)
            o[(j * ho + oy) * wo + ox] = in.acc[j] - input_offset_ * weight_sum_[j];
        }
      }
    }
  }

  // Every array's cells drawn for copy `copy`, from the levels they were written to.
  void program_copy(int64_t copy, int threads, std::vector<AnalogArray>& arrays) const {
    if (arrays.size() < cells_.size()) arrays.resize(cells_.size());
    parallel_parts(static_cast<int64_t>(cells_.size()), threads,
                   [&](int, int64_t begin, int64_t end) {
                     for (int64_t k = begin; k < end; ++k) program_array(copy, k, arrays);
                   });
  }

  void program_array(int64_t copy, int64_t k, std::vector<AnalogArray>& arrays) const {
    int block = 0;
    while (block_first_cells_[static_cast<size_t>(block) + 1] <= k) ++block;
    const int rows = mapping_.row_block_rows[static_cast<size_t>(block)];
    const int columns = static_cast<int>(columns_[block_arrays_[k]].size());
    AnalogArray& a = arrays[static_cast<size_t>(k)];
    a.rows = rows;
    a.columns = columns;
    a.level.resize(static_cast<size_t>(rows) * columns);
    // Siemens only where wire resistance needs them.
    const bool siemens = device_.wire_resistance_ohm > 0;
    if (siemens) a.g_s.resize(a.level.size());
    DeviceRng rng(
        device_key({device_key_base_, 1, static_cast<uint64_t>(copy), static_cast<uint64_t>(k)}));
    draw_cells(levels_[static_cast<size_t>(k)].data(), a.level.size(), cell_, device_, rng,
               a.level.data(), siemens ? a.g_s.data() : nullptr);
    for (const FunctionalOptions::CellFault& f : faults_) {
      if (f.copy != copy || f.array != k || f.row >= rows || f.column >= columns) continue;
      const double g = f.stuck_on ? cell_.g_on_s : cell_.g_off_s;
      const size_t at = static_cast<size_t>(f.row) * columns + f.column;
      if (siemens) a.g_s[at] = g;
      a.level[at] = static_cast<float>((g - cell_.g_off_s) / cell_.step_s);
    }
  }

  // The analog path's column values of one array for one MVM (sim/device.h): per input cycle,
  // the column sums of the drawn conductances over the active rows (with IR drop, the wires'
  // first-order model), read noise, ADC offset and noise, rounded, clamped and converted as the
  // ideal path converts.
  // One input's read of an array: its driven rows, its active cycles, where the column values
  // go and what is counted.
  struct AnalogRead {
    const DrivenRows* driven;
    const uint8_t* active;
    int64_t* out;
    AdcCounts* counts;
  };
  // Per-thread buffers of analog_column_values.
  struct AnalogScratch {
    std::vector<float> sum, variance;
    std::vector<double> v;
    std::vector<float> normals;
    std::vector<int64_t> level_sum;
  };

  // Whether the analog path converts cycle t of a read with these active cycles (skipped: the
  // sum is 0).
  bool converted(const uint8_t* active, int t) const { return active[t] || !skip_zero_blocks_; }

  // A read's driven rows (`planes` over the read's rows, `words` a plane) into `driven`.
  void driven_rows(const uint64_t* planes, int words, const uint8_t* active,
                   DrivenRows& driven) const {
    const int d = dac_bits_;
    driven.rows.clear();
    driven.values.clear();
    driven.first.assign(static_cast<size_t>(cycles_) + 1, 0);
    for (int t = 0; t < cycles_; ++t) {
      driven.first[static_cast<size_t>(t)] = static_cast<int>(driven.rows.size());
      if (!converted(active, t)) continue;
      const int first_plane = t * d, last_plane = std::min(activation_bits_, (t + 1) * d);
      for (int w = 0; w < words; ++w) {
        uint64_t any = 0;  // rows of this word with a bit in the slice
        for (int q = first_plane; q < last_plane; ++q) any |= planes[static_cast<size_t>(q) * words + w];
        while (any != 0) {
          const int bit = __builtin_ctzll(any);
          any &= any - 1;
          int value = 0;
          for (int q = first_plane; q < last_plane; ++q)
            value |= static_cast<int>((planes[static_cast<size_t>(q) * words + w] >> bit) & 1)
                     << (q - first_plane);
          driven.rows.push_back(w * 64 + bit);
          driven.values.push_back(static_cast<float>(value));
        }
      }
    }
    driven.first[static_cast<size_t>(cycles_)] = static_cast<int>(driven.rows.size());
  }

  // The reads of one array by one or more inputs at one pixel (`read_rows`: the rows a read
  // drives, the block's or a row group's). `rng` gives the read's noise, one normal per cycle
  // and column, the same for every input (the draws are keyed by the read).
  void analog_column_values(const AnalogArray& a, int read_rows,
                            const std::vector<AnalogRead>& reads, NormalStreams& rng,
                            AnalogScratch& scratch) const {
    const int columns = a.columns, d = dac_bits_, block_rows = a.rows;
    const int64_t max_sum = int64_t{read_rows} * cell_max_ * ((int64_t{1} << d) - 1);
    if (max_sum >= (int64_t{1} << 51)) throw std::logic_error("functional: column sums too large");
    const bool read_noise = device_.read_noise_sigma > 0;
    const bool noise = read_noise || adc_noise_ > 0;
    const bool wires = device_.wire_resistance_ohm > 0;
    static const AnalogChunkKernel chunk_kernel = analog_chunk_kernel();
    static const ColumnReadKernel read_kernel = column_read_kernel();
    const auto off_steps = static_cast<float>(cell_.g_off_s / cell_.step_s);
    scratch.sum.resize(static_cast<size_t>(columns));
    scratch.variance.resize(scratch.sum.size());
    scratch.level_sum.resize(scratch.sum.size());
    for (const AnalogRead& read : reads) std::fill(read.out, read.out + columns, 0);
    // One normal per cycle and column, whether or not a read converts in that cycle.
    if (noise) {
      scratch.normals.resize(static_cast<size_t>(cycles_) * columns);
      fill_normals(rng, scratch.normals.data(), scratch.normals.size());
    }
    // Columns c0 .. c0 + width of read j's cycle t: sums (and variances) over the cycle's rows.
    const auto column_sums = [&](size_t j, int t, int c0, int width) {
      const DrivenRows& driven = *reads[j].driven;
      const int r0 = driven.first[static_cast<size_t>(t)];
      chunk_kernel({a.level.data() + c0, static_cast<size_t>(columns), driven.rows.data() + r0,
                    driven.values.data() + r0, driven.first[static_cast<size_t>(t) + 1] - r0, width,
                    off_steps, d == 1, scratch.sum.data() + c0,
                    read_noise ? scratch.variance.data() + c0 : nullptr});
    };
    // ... then what the converters make of them, into the read's values.
    const auto convert_columns = [&](const AnalogRead& read, int t, int c0, int width) {
      read_kernel({scratch.sum.data() + c0, read_noise ? scratch.variance.data() + c0 : nullptr,
                   noise ? scratch.normals.data() + static_cast<size_t>(t) * columns + c0 : nullptr,
                   width, adc_offset_, device_.read_noise_sigma * device_.read_noise_sigma,
                   adc_noise_ * adc_noise_, static_cast<double>(max_sum),
                   scratch.level_sum.data() + c0, adc_.lossless ? read.out + c0 : nullptr, t * d});
      if (adc_.lossless) return;  // already in read.out
      for (int c = c0; c < c0 + width; ++c) {
        const int64_t level_sum = scratch.level_sum[static_cast<size_t>(c)];
        bool clipped = false;
        const int64_t converted_sum = convert(level_sum, adc_, clipped);
        read.counts->clipped += clipped;
        read.counts->lossy += converted_sum != level_sum;
        read.out[c] += converted_sum << (t * d);
      }
    };
    if (!wires) {
      // A chunk of columns through every read and cycle while its cells stay in the L1 cache.
      for (int c0 = 0; c0 < columns; c0 += kAnalogChunk) {
        const int width = std::min(kAnalogChunk, columns - c0);
        for (size_t j = 0; j < reads.size(); ++j) {
          for (int t = 0; t < cycles_; ++t) {
            if (!converted(reads[j].active, t)) continue;
            column_sums(j, t, c0, width);
            convert_columns(reads[j], t, c0, width);
          }
        }
      }
      return;
    }
    std::vector<double>& v = scratch.v;
    for (size_t j = 0; j < reads.size(); ++j) {
      const std::vector<int32_t>& rows = reads[j].driven->rows;
      const std::vector<float>& values = reads[j].driven->values;
      const std::vector<int>& first = reads[j].driven->first;
      for (int t = 0; t < cycles_; ++t) {
        if (!converted(reads[j].active, t)) continue;
        for (int c0 = 0; c0 < columns; c0 += kAnalogChunk)
          column_sums(j, t, c0, std::min(kAnalogChunk, columns - c0));
        v.assign(static_cast<size_t>(block_rows), 0.0);
        double driven = 0;  // sum of the slice values (the G_off the periphery removes)
        for (int i = first[static_cast<size_t>(t)]; i < first[static_cast<size_t>(t) + 1]; ++i) {
          v[static_cast<size_t>(rows[static_cast<size_t>(i)])] = values[static_cast<size_t>(i)];
          driven += values[static_cast<size_t>(i)];
        }
        if (driven > 0) {
          // One volt per input unit: currents are siemens x volts.
          const std::vector<double> current = column_currents_first_order(
              a.g_s, block_rows, columns, v, device_.wire_resistance_ohm);
          for (int c = 0; c < columns; ++c) {
            scratch.sum[static_cast<size_t>(c)] = static_cast<float>(
                (current[static_cast<size_t>(c)] - cell_.g_off_s * driven) / cell_.step_s);
          }
        }
        convert_columns(reads[j], t, 0, columns);
      }
    }
  }

  // Flagged columns of every array (row block x column array), for tests and statistics.
  int64_t flipped_columns() const {
    int64_t n = 0;
    for (const auto& f : flipped_) n += std::count(f.begin(), f.end(), uint8_t{1});
    return n;
  }

  // Conversions of one run: MVMs x the used columns of every array x input cycles.
  int64_t conversions(int batch) const {
    return int64_t{batch} * mapping_.mvms * mapping_.array_columns() * cycles_;
  }

 private:
  // Weight flipping (sim/adc.h), as the weights are programmed: a column whose cells add up to
  // more than floor(rows x (2^b_c - 1) / 2) stores every cell's complement instead and is
  // flagged. `cells` holds, per column, bits_per_cell bit planes of `words` words over `rows`
  // rows; returns the flags.
  std::vector<uint8_t> flip_columns(std::vector<uint64_t>& cells, size_t columns, int rows,
                                    int words, int per_read) const {
    // Row group g holds rows [g x per_read, min(rows, (g + 1) x per_read)); each is read and
    // converted on its own, so each decides its flip against half of its own largest sum.
    const int groups = (rows + per_read - 1) / per_read;
    std::vector<uint8_t> flags(columns * static_cast<size_t>(groups), 0);
    std::vector<uint64_t> mask(static_cast<size_t>(words));
    for (int g = 0; g < groups; ++g) {
      const int lo = g * per_read, hi = std::min(rows, lo + per_read);
      for (int w = 0; w < words; ++w) mask[static_cast<size_t>(w)] = rows_mask(lo, hi, w);
      const int64_t half = int64_t{hi - lo} * cell_max_ / 2;
      for (size_t c = 0; c < columns; ++c) {
        uint64_t* planes = cells.data() + c * bits_per_cell_ * words;
        int64_t sum = 0;
        for (int cb = 0; cb < bits_per_cell_; ++cb) {
          for (int w = 0; w < words; ++w)
            sum +=
                int64_t{__builtin_popcountll(planes[cb * words + w] & mask[static_cast<size_t>(w)])}
                << cb;
        }
        if (sum <= half) continue;
        flags[static_cast<size_t>(g) * columns + c] = 1;
        for (int cb = 0; cb < bits_per_cell_; ++cb) {
          for (int w = 0; w < words; ++w) planes[cb * words + w] ^= mask[static_cast<size_t>(w)];
        }
      }
    }
    return flags;
  }

  const Layer& layer_;
  const LayerMapping& mapping_;
  AdcModel adc_;
  int64_t input_offset_ = 0;
  std::vector<int64_t> weight_sum_;  // per output channel, over the kept rows
  int bits_per_cell_ = 1, dac_bits_ = 1, activation_bits_ = 1, cycles_ = 1;
  int64_t cell_max_ = 1;  // 2^bits_per_cell - 1
  std::vector<int> row_channel_, row_ky_, row_kx_;
  std::vector<int64_t> offset_;                  // per output channel (0: differential or pruned)
  std::vector<std::vector<PimColumn>> columns_;  // per column array
  std::vector<int64_t> block_first_row_;
  std::vector<int> block_words_;
  // Per array of the layer (row block major; [block_first_cells_[b], block_first_cells_[b + 1])
  // are block b's): its column array, cells and flipped-column flags.
  std::vector<int> block_first_cells_;
  std::vector<int64_t> block_columns_;  // used columns of each row block's arrays
  std::vector<int> block_arrays_;
  std::vector<std::vector<uint64_t>> cells_;
  std::vector<std::vector<uint8_t>> levels_;  // analog path: each array's levels, row major
  std::vector<std::vector<uint8_t>> flipped_;
  std::vector<std::vector<std::pair<int, int64_t>>> block_offsets_;  // (channel, 2^(w-1))
  // The non-ideal analog path (sim/device.h).
  bool analog_ = false;
  DeviceConfig device_;
  CellModel cell_;
  double adc_offset_ = 0, adc_noise_ = 0;
  bool skip_zero_blocks_ = false;
  uint64_t device_key_base_ = 0;
  std::vector<FunctionalOptions::CellFault> faults_;  // this layer's injected faults
};

// The tile's digital units (activation, pooling, residual add), written apart from the
// reference: they stream one output row at a time through a window buffer.
namespace digital {

Tensor relu(const Tensor& x, int64_t top) {
  Tensor out = zeros(x.shape, x.batch);
  std::transform(x.data.begin(), x.data.end(), out.data.begin(),
                 [top](int64_t v) { return std::min(std::max<int64_t>(v, 0), top); });
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor out = zeros(a.shape, a.batch);
  std::transform(a.data.begin(), a.data.end(), b.data.begin(), out.data.begin(),
                 [](int64_t u, int64_t v) { return u + v; });
  return out;
}

Tensor pool(const Layer& layer, const Tensor& x, bool max_pool) {
  const int64_t c = layer.input_shape[0], h = layer.input_shape[1], wd = layer.input_shape[2];
  const int64_t ho = layer.output_shape[1], wo = layer.output_shape[2];
  Tensor out = zeros(layer.output_shape, x.batch);
  const int64_t planes = int64_t{x.batch} * c;
  std::vector<int64_t> best(static_cast<size_t>(wo)), sum(static_cast<size_t>(wo));
  std::vector<uint8_t> seen(static_cast<size_t>(wo));
  for (int64_t p = 0; p < planes; ++p) {
    const int64_t* in = x.data.data() + p * h * wd;
    int64_t* o = out.data.data() + p * ho * wo;
    for (int64_t oy = 0; oy < ho; ++oy) {
      std::fill(sum.begin(), sum.end(), 0);
      std::fill(seen.begin(), seen.end(), 0);
      for (int ky = 0; ky < layer.kernel_h; ++ky) {
        const int64_t iy = oy * layer.stride_h - layer.pad_h + ky;
        if (iy < 0 || iy >= h) continue;
        const int64_t* row = in + iy * wd;
        for (int64_t ox = 0; ox < wo; ++ox) {
          for (int kx = 0; kx < layer.kernel_w; ++kx) {
            const int64_t ix = ox * layer.stride_w - layer.pad_w + kx;
            if (ix < 0 || ix >= wd) continue;
            const int64_t v = row[ix];
            best[ox] = seen[ox] ? std::max(best[ox], v) : v;
            seen[ox] = 1;
            sum[ox] += v;
          }
        }
      }
      for (int64_t ox = 0; ox < wo; ++ox) {
        o[oy * wo + ox] =
            max_pool ? (seen[ox] ? best[ox] : 0) : div_round(sum[ox], layer.kernel_area());
      }
    }
  }
  return out;
}

Tensor global_avgpool(const Layer& layer, const Tensor& x) {
  const int64_t area = layer.input_shape[1] * layer.input_shape[2];
  Tensor out = zeros(layer.output_shape, x.batch);
  for (size_t p = 0; p < out.data.size(); ++p) {
    const auto first = x.data.begin() + static_cast<std::ptrdiff_t>(p * area);
    out.data[p] = div_round(std::accumulate(first, first + area, int64_t{0}), area);
  }
  return out;
}

}  // namespace digital

// ---------------------------------------------------------------------------------------
// Inputs: random or from .npy files.

struct DataFiles {
  std::optional<Tensor> input;
  bool input_fixed_point = false;  // a float file, read with kFractionBits fraction bits
  std::string input_path;
  std::map<int, LayerWeights> weights;        // integer weights, by layer index
  std::map<int, LayerParameters> parameters;  // float weights and biases, by layer index
  std::vector<std::pair<std::string, std::string>> weight_files;
};

// Input channels of `layer` that have weight rows (kept channels of its producer).
std::vector<bool> input_mask(const Network& network, const std::vector<std::vector<bool>>& masks,
                             int layer) {
  const int producer = network.layers[layer].producers.at(0);
  if (producer == kNetworkInput)
    return std::vector<bool>(static_cast<size_t>(network.layers[layer].in_channels()), true);
  return masks[producer];
}

Shape weight_shape(const Layer& layer) {
  if (layer.type == LayerType::kLinear) return {layer.out_channels(), layer.in_channels()};
  return {layer.out_channels(), layer.group_in_channels(), layer.kernel_h, layer.kernel_w};
}

// Zeroes the weights of pruned output channels and of input channels without rows.
void apply_pruning(const Layer& layer, const LayerPrecision& precision,
                   const std::vector<bool>& kept_in, LayerWeights& w) {
  const int64_t cin = layer.group_in_channels(), area = layer.kernel_area();
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    const int64_t first_input = co / layer.group_out_channels() * cin;  // of its group
    for (int64_t ci = 0; ci < cin; ++ci) {
      if (precision.kept[co] && kept_in[first_input + ci]) continue;
      std::fill_n(w.values.begin() + (co * cin + ci) * area, area, 0);
    }
  }
}

LayerWeights random_weights(const Layer& layer, const LayerPrecision& precision, uint64_t seed,
                            int layer_index) {
  std::mt19937_64 rng(mix_seed(seed, static_cast<uint64_t>(layer_index) + 1));
  LayerWeights w;
  const int64_t per_channel = layer.group_in_channels() * layer.kernel_area();
  w.values.resize(static_cast<size_t>(layer.out_channels() * per_channel));
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    const int bits = precision.weight_bits[co];
    for (int64_t i = 0; i < per_channel; ++i) {
      // The top `bits` bits of a draw (the same on every platform), uniform over the symmetric
      // range [-(2^(w-1) - 1), 2^(w-1) - 1] by redrawing 0: zero mean, so that deep low-bit
      // layers fed by sparse ReLU outputs are not driven all negative (the full range's mean
      // is -1/2, which at 3 bits zeroed VGG19's last layers). 1-bit weights keep {-1, 0}.
      auto u = static_cast<int64_t>(rng() >> (64 - bits));
      while (bits > 1 && u == 0) u = static_cast<int64_t>(rng() >> (64 - bits));
      w.values[co * per_channel + i] = static_cast<int32_t>(u - (int64_t{1} << (bits - 1)));
    }
  }
  return w;
}

// Real weights (header comment): the float weights of the kept rows and output channels,
// quantized per output channel, symmetric, to the channel's bits; `scales` gets each channel's
// step (0 for pruned or all-zero channels).
LayerWeights quantize_weights(const Layer& layer, const LayerPrecision& precision,
                              const std::vector<bool>& kept_in, const LayerParameters& p,
                              std::vector<double>& scales) {
  const int64_t cin = layer.group_in_channels(), area = layer.kernel_area();
  const int64_t per_channel = cin * area;
  LayerWeights w;
  w.values.assign(p.weights.size(), 0);
  scales.assign(static_cast<size_t>(layer.out_channels()), 0.0);
  for (int64_t co = 0; co < layer.out_channels(); ++co) {
    if (!precision.kept[co]) continue;
    const double* values = p.weights.data() + co * per_channel;
    const int64_t first_input = co / layer.group_out_channels() * cin;  // of its group
    auto kept = [&](int64_t i) { return kept_in[static_cast<size_t>(first_input + i / area)]; };
    double max_abs = 0;
    for (int64_t i = 0; i < per_channel; ++i)
      if (kept(i)) max_abs = std::max(max_abs, std::abs(values[i]));
    if (max_abs == 0) continue;
    const int bits = precision.weight_bits[co];
    // [-(2^(b-1) - 1), 2^(b-1) - 1]; one bit holds {-1, 0}.
    const int64_t hi = bits == 1 ? 0 : (int64_t{1} << (bits - 1)) - 1;
    const int64_t lo = bits == 1 ? -1 : -hi;
    const double scale = max_abs / static_cast<double>(bits == 1 ? 1 : hi);
    scales[co] = scale;
    for (int64_t i = 0; i < per_channel; ++i) {
      if (!kept(i)) continue;
      w.values[co * per_channel + i] =
          static_cast<int32_t>(std::clamp<int64_t>(round_to_int64(values[i] / scale), lo, hi));
    }
  }
  return w;
}

// Real weights: the accumulator back to a real value with kFractionBits fraction bits:
// acc x scale_j x 2^shift + bias_j x 2^F per kept output channel j, rounded half away; pruned
// channels are 0 (they do not exist).
Tensor rescale(const Layer& layer, const Tensor& acc, const std::vector<double>& scales,
               const std::vector<double>& bias, int shift, const std::vector<bool>& kept) {
  Tensor out = acc;
  const int64_t cout = layer.out_channels(), pixels = layer.output_pixels();
  for (int n = 0; n < acc.batch; ++n) {
    for (int64_t j = 0; j < cout; ++j) {
      const double factor = std::ldexp(scales[j], shift);
      const double offset = std::ldexp(bias[j], kFractionBits);
      int64_t* o = out.data.data() + (n * cout + j) * pixels;
      for (int64_t q = 0; q < pixels; ++q)
        o[q] = kept[j] ? round_to_int64(static_cast<double>(o[q]) * factor + offset) : 0;
    }
  }
  return out;
}

Tensor random_input(const Shape& shape, int batch, int bits, uint64_t seed) {
  std::mt19937_64 rng(mix_seed(seed, 0));
  Tensor t = zeros(shape, batch);
  for (int64_t& v : t.data) v = static_cast<int64_t>(rng() >> (64 - bits));
  return t;
}

// The values of an .npy array as reals (integers converted); InputError naming the file and
// `what` when one is not finite.
std::vector<double> finite_reals(const NpyArray& array, const std::string& what) {
  std::vector<double> values = array.reals;
  if (!array.is_float()) values.assign(array.integers.begin(), array.integers.end());
  for (double v : values) {
    if (!std::isfinite(v)) {
      throw InputError(
          {{SourceLocation{array.path, 0, 0}, "", what + " holds a value that is not finite"}});
    }
  }
  return values;
}

DataFiles load_data_files(const std::string& map_path, const Network& network,
                          const PrecisionProfile& profile, int batch) {
  DataFiles files;
  if (map_path.empty()) return files;
  const YamlNode root = load_yaml_file(map_path);
  Diagnostics diagnostics;
  if (!root.is_map()) {
    diagnostics.add(
        root.where, "",
        "expected a map from layer names (or `input`) to .npy files, got " + root.describe());
    diagnostics.throw_if_any();
  }
  namespace fs = std::filesystem;
  const fs::path base = fs::path(map_path).parent_path();
  for (const YamlMapEntry& entry : root.entries) {
    if (!entry.value.is_scalar() || entry.value.scalar.empty()) {
      diagnostics.add(entry.value.where, entry.key,
                      "expected the path of a .npy file, got " + entry.value.describe());
      continue;
    }
    const std::string path = (base / fs::path(entry.value.scalar)).lexically_normal().string();
    int index = entry.key == "input" ? kNetworkInput : network.index_of(entry.key);
    // `<layer>.bias`: the float bias of a layer with float weights (unless a layer has that name).
    const std::string suffix = ".bias";
    bool is_bias = false;
    if (index < 0 && entry.key.size() > suffix.size() &&
        entry.key.compare(entry.key.size() - suffix.size(), suffix.size(), suffix) == 0) {
      index = network.index_of(entry.key.substr(0, entry.key.size() - suffix.size()));
      is_bias = index >= 0;
    }
    if (entry.key != "input" && (index < 0 || !network.layers[index].has_weights())) {
      diagnostics.add(entry.key_where, entry.key,
                      index < 0
                          ? "no layer of that name in " + network.name +
                                " (keys: conv2d/linear layer names, <layer>.bias or `input`)"
                          : "layer " + network.layers[index].name +
                                " has no weights (keys: conv2d/linear layer names, <layer>.bias "
                                "or `input`)");
      continue;
    }
    try {
      const NpyArray array = read_npy(path);
      if (index == kNetworkInput) {
        Shape expected = network.input_shape;
        expected.insert(expected.begin(), batch);
        if (!(batch == 1 && array.shape == network.input_shape)) {
          expect_npy_shape(
              array, expected,
              "network input of " + network.name + " (batch " + std::to_string(batch) + ")");
        }
        Tensor t;
        t.shape = network.input_shape;
        t.batch = batch;
        constexpr double kLimit = 1099511627776.0;  // 2^40
        if (array.is_float()) {
          // Fixed point with kFractionBits fraction bits (header comment).
          t.data.resize(array.reals.size());
          for (size_t i = 0; i < t.data.size(); ++i) {
            const double v = array.reals[i];
            if (!std::isfinite(v) || std::abs(v) > kLimit) {
              throw InputError({{SourceLocation{path, 0, 0}, "",
                                 "element " + std::to_string(i) + " is " + std::to_string(v) +
                                     ": expected finite values within +-2^40"}});
            }
            t.data[i] = round_to_int64(std::ldexp(v, kFractionBits));
          }
          files.input_fixed_point = true;
        } else {
          t.data = npy_integer_values(array);
          for (size_t i = 0; i < t.data.size(); ++i) {
            if (t.data[i] < -(int64_t{1} << 40) || t.data[i] > (int64_t{1} << 40)) {
              throw InputError(
                  {{SourceLocation{path, 0, 0}, "",
                    "element " + std::to_string(i) + " is " + std::to_string(t.data[i]) +
                        ": expected integers within +-2^40"}});
            }
          }
        }
        files.input = std::move(t);
        files.input_path = path;
        continue;
      }
      const Layer& layer = network.layers[index];
      if (is_bias) {
        expect_npy_shape(array, {layer.out_channels()}, "bias of layer " + layer.name);
        files.parameters[index].bias = finite_reals(array, "bias of layer " + layer.name);
        files.weight_files.emplace_back(entry.key, path);
        continue;
      }
      expect_npy_shape(array, weight_shape(layer),
                       "weights of " + std::string(to_string(layer.type)) + " layer " + layer.name);
      if (array.is_float()) {
        // Real weights, quantized per output channel by the run (header comment).
        LayerParameters& p = files.parameters[index];
        p.weight_shape = weight_shape(layer);
        p.weights = finite_reals(array, "weights of layer " + layer.name);
        files.weight_files.emplace_back(layer.name, path);
        continue;
      }
      std::vector<int64_t> values = npy_integer_values(array);
      const LayerPrecision& precision = profile.layers[index];
      const int64_t per_channel = layer.group_in_channels() * layer.kernel_area();
      LayerWeights w;
      w.values.resize(values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        const int64_t co = static_cast<int64_t>(i) / per_channel;
        const int bits = precision.weight_bits[co];
        const int64_t lo = -(int64_t{1} << (bits - 1)), hi = (int64_t{1} << (bits - 1)) - 1;
        if (precision.kept[co] && (values[i] < lo || values[i] > hi)) {
          throw InputError(
              {{SourceLocation{path, 0, 0}, "",
                "weights of layer " + layer.name + ": element " + std::to_string(i) +
                    " (output channel " + std::to_string(co) + ") is " + std::to_string(values[i]) +
                    ", outside the channel's " + std::to_string(bits) + "-bit range [" +
                    std::to_string(lo) + ", " + std::to_string(hi) + "]"}});
        }
        w.values[i] = precision.kept[co] ? static_cast<int32_t>(values[i]) : 0;
      }
      files.weights[index] = std::move(w);
      files.weight_files.emplace_back(layer.name, path);
    } catch (const InputError& e) {
      // Name the map entry that led to the file as well.
      for (const Diagnostic& d : e.diagnostics()) {
        diagnostics.add(d.where, d.key_path,
                        d.message + " (from " + entry.value.where.to_string() + ")");
      }
    }
  }
  diagnostics.throw_if_any();
  return files;
}

// ---------------------------------------------------------------------------------------
// Comparison.

struct ErrorStats {
  int64_t max_abs = 0;
  double rms = 0;
  int64_t mismatches = 0;
};

ErrorStats compare(const Tensor& got, const Tensor& want) {
  ErrorStats s;
  double sq = 0;
  for (size_t i = 0; i < want.data.size(); ++i) {
    const int64_t diff = got.data[i] - want.data[i];
    if (diff == 0) continue;
    const int64_t mag = diff < 0 ? -diff : diff;
    s.max_abs = std::max(s.max_abs, mag);
    s.mismatches += 1;
    sq += static_cast<double>(diff) * static_cast<double>(diff);
  }
  if (!want.data.empty()) s.rms = std::sqrt(sq / static_cast<double>(want.data.size()));
  return s;
}

double rms_of(const Tensor& t) {
  double sq = 0;
  for (int64_t v : t.data) sq += static_cast<double>(v) * static_cast<double>(v);
  return t.data.empty() ? 0 : std::sqrt(sq / static_cast<double>(t.data.size()));
}

// One value throughout (all zeros, say): such a reference checks nothing.
bool degenerate(const Tensor& t) {
  return std::adjacent_find(t.data.begin(), t.data.end(), std::not_equal_to<>()) == t.data.end();
}

// Images whose reference maximum is shared by two or more outputs: their top-1 is ambiguous.
int tied_images(const Tensor& t) {
  const int64_t per = t.per_image();
  int tied = 0;
  for (int n = 0; n < t.batch; ++n) {
    const auto begin = t.data.begin() + n * per;
    const int64_t top = *std::max_element(begin, begin + per);
    tied += std::count(begin, begin + per, top) > 1;
  }
  return tied;
}

// Index of image n's first maximum.
int64_t top1(const Tensor& t, int n) {
  const int64_t per = t.per_image();
  const auto begin = t.data.begin() + n * per;
  return std::max_element(begin, begin + per) - begin;
}

// Fraction of images whose arg-max (first maximum) is the label.
double accuracy(const Tensor& t, const std::vector<int64_t>& labels) {
  int right = 0;
  for (int n = 0; n < t.batch; ++n) right += top1(t, n) == labels[static_cast<size_t>(n)];
  return t.batch == 0 ? 0 : static_cast<double>(right) / t.batch;
}

// Class labels, one per input, within the final layer's outputs.
std::vector<int64_t> load_labels(const std::string& path, const Network& network, int batch) {
  const NpyArray array = read_npy(path);
  expect_npy_shape(array, {batch}, "labels of a batch of " + std::to_string(batch));
  std::vector<int64_t> labels = npy_integer_values(array);
  const int64_t classes = element_count(network.layers.back().output_shape);
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= classes) {
      throw InputError(
          {{SourceLocation{path, 0, 0}, "",
            "label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", outside the " +
                std::to_string(classes) + " outputs of " + network.layers.back().name}});
    }
  }
  return labels;
}

// Fraction of images whose arg-max (first maximum) agrees.
double top1_agreement(const Tensor& got, const Tensor& want) {
  if (want.batch == 0) return 0;
  int agree = 0;
  for (int n = 0; n < want.batch; ++n) agree += top1(got, n) == top1(want, n);
  return static_cast<double>(agree) / want.batch;
}

}  // namespace

int adc_bits_needed(const ArchConfig& arch) {
  return column_sum_bits(rows_per_array_read(arch), arch);
}

int64_t adc_convert(int64_t sum, const ArchConfig& arch, bool* clipped) {
  const AdcModel m = adc_model(arch.pe.adc.bits, adc_bits_needed(arch), arch.pe.adc);
  bool c = false;
  const int64_t out = m.lossless ? sum : convert(sum, m, c);
  if (clipped != nullptr) *clipped = c;
  return out;
}

void check_functional_memory(const Network& network, const FunctionalOptions& options) {
  // Every layer's output tensor for the batch (int64), for the reference and the end-to-end
  // pass, as if none were freed early.
  double elements = static_cast<double>(element_count(network.input_shape));
  for (const Layer& layer : network.layers)
    elements += static_cast<double>(element_count(layer.output_shape));
  const double bytes = elements * options.batch * 8.0 * (options.end_to_end ? 2 : 1);
  check_memory(bytes,
               "the functional engine's tensors for a batch of " + std::to_string(options.batch) +
                   " " + network.name + " inputs",
               SourceLocation{"--batch", 0, 0}, "",
               "use a smaller batch (the top-1 agreement converges long before)");
}

FunctionalResult run_functional(const Network& network, const PrecisionProfile& profile,
                                const ArchConfig& arch, const NetworkMapping& mapping,
                                const FunctionalOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  if (options.batch < 1 || options.batch > (1 << 20)) {
    throw InputError(
        {{SourceLocation{"--batch", 0, 0}, "",
          "expected a batch size in [1, 1048576], got " + std::to_string(options.batch)}});
  }
  if (profile.layers.size() != network.layers.size()) {
    throw std::invalid_argument("functional: profile does not belong to network " + network.name);
  }
  check_functional_memory(network, options);
  if (arch.pe.crossbar.device.non_ideal() || arch.pe.adc.offset_lsb != 0 ||
      arch.pe.adc.noise_lsb > 0 || !options.faults.empty()) {
    // The analog path keeps one copy of a layer's drawn cells at a time: a float level per cell,
    // and its conductance in double where read noise or IR drop need it.
    const double per_cell = 4.0 + (arch.pe.crossbar.device.read_noise_sigma > 0 ||
                                           arch.pe.crossbar.device.wire_resistance_ohm > 0
                                       ? 8.0
                                       : 0.0);
    int64_t cells = 0;
    for (const LayerMapping& m : mapping.layers) cells = std::max(cells, m.active_cells());
    check_memory(static_cast<double>(cells) * per_cell,
                 "the functional engine's analog cells (" + std::to_string(cells) +
                     " of the largest layer's copy)",
                 key_location(arch, {"pe", "crossbar", "rows"}), "pe.crossbar",
                 "use a smaller network or switch the non-idealities off");
  }
  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int batch = options.batch;
  const int layer_count = static_cast<int>(network.layers.size());
  std::vector<const LayerMapping*> layer_map(network.layers.size(), nullptr);
  for (const LayerMapping& m : mapping.layers) {
    if (m.layer < 0 || m.layer >= layer_count || network.layers[m.layer].name != m.name) {
      throw std::invalid_argument("functional: mapping does not belong to network " + network.name);
    }
    layer_map[m.layer] = &m;
  }
  for (int i = 0; i < layer_count; ++i) {
    if (network.layers[i].has_weights() && layer_map[i] == nullptr) {
      throw std::invalid_argument("functional: layer " + network.layers[i].name + " is not mapped");
    }
  }

  DataFiles files = load_data_files(options.data_map_path, network, profile, batch);
  const std::vector<int64_t> labels = options.labels_path.empty()
                                          ? std::vector<int64_t>{}
                                          : load_labels(options.labels_path, network, batch);
  const std::vector<std::vector<bool>> masks = output_channel_masks(network, profile);

  // Real weights: the model's, with --data files replacing weights or biases.
  std::map<int, LayerParameters> params;
  for (const auto& [name, p] : options.parameters) {
    const int index = network.index_of(name);
    if (index < 0 || !network.layers[index].has_weights()) {
      throw InputError(
          {{SourceLocation{options.parameters_source, 0, 0}, name,
            "parameters for a layer that is not a conv2d/linear layer of " + network.name}});
    }
    params[index] = p;
  }
  for (auto& [index, p] : files.parameters) {
    LayerParameters& target = params[index];
    if (!p.weights.empty()) {
      target.weights = std::move(p.weights);
      target.weight_shape = std::move(p.weight_shape);
    }
    if (!p.bias.empty()) target.bias = std::move(p.bias);
  }
  const bool real = !params.empty();
  if (real) {
    const std::string source =
        options.data_map_path.empty() ? options.parameters_source : options.data_map_path;
    Diagnostics problems;
    for (int i = 0; i < layer_count; ++i) {
      const Layer& layer = network.layers[i];
      if (!layer.has_weights()) continue;
      LayerParameters& p = params[i];
      if (files.weights.count(i) > 0) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "integer weights in a run with float weights: give every conv2d/linear "
                     "layer float weights, or none");
      } else if (p.weights.empty()) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "no float weights (a bias alone, or other layers' float weights): give "
                     "every conv2d/linear layer float weights, or none");
      } else if (p.weight_shape != weight_shape(layer) ||
                 p.weights.size() != static_cast<size_t>(element_count(weight_shape(layer)))) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     "float weights of shape " + to_string(p.weight_shape) + ", expected " +
                         to_string(weight_shape(layer)));
      }
      if (p.bias.empty()) p.bias.assign(static_cast<size_t>(layer.out_channels()), 0.0);
      if (p.bias.size() != static_cast<size_t>(layer.out_channels())) {
        problems.add(SourceLocation{source, 0, 0}, layer.name,
                     std::to_string(p.bias.size()) + " bias values, expected " +
                         std::to_string(layer.out_channels()));
      }
    }
    problems.throw_if_any();
  }

  // Last layer reading each tensor, so tensors can be freed early.
  std::vector<int> last_use(network.layers.size(), -1);
  int input_last_use = -1;
  int first_weight_bits = 8;
  bool have_first_bits = false;
  for (int i = 0; i < layer_count; ++i) {
    for (int p : network.layers[i].producers)
      (p == kNetworkInput ? input_last_use : last_use[p]) = i;
    if (network.layers[i].has_weights() && !have_first_bits) {
      first_weight_bits = profile.layers[i].activation_bits;
      have_first_bits = true;
    }
  }
  const int final_layer = layer_count - 1;

  FunctionalResult result;
  result.seed = options.seed;
  result.batch = batch;
  result.adc_bits = adc_built_bits(arch);
  result.adc_bits_needed = adc_bits_needed(arch);
  result.input_source = files.input ? files.input_path : "random";
  result.weight_files = files.weight_files;
  result.weights = real ? "real" : files.weights.empty() ? "random" : "integer";
  result.weights_source = options.parameters_source;
  result.fraction_bits = real ? kFractionBits : 0;
  result.final_layer = network.layers.empty() ? "" : network.layers.back().name;

  Tensor input = files.input
                     ? std::move(*files.input)
                     : random_input(network.input_shape, batch, first_weight_bits, options.seed);
  if (real && !files.input_fixed_point) {
    // Integer (or random) inputs are real values: to fixed point.
    for (int64_t& v : input.data) v *= int64_t{1} << kFractionBits;
  }
  std::vector<Tensor> ref(network.layers.size()), e2e(network.layers.size());
  auto ref_of = [&](int p) -> const Tensor& { return p == kNetworkInput ? input : ref[p]; };
  auto e2e_of = [&](int p) -> const Tensor& { return p == kNetworkInput ? input : e2e[p]; };
  bool exact = true;
  std::vector<PimLayer::AnalogArray> analog_arrays;  // every layer's drawn cells, in turn

  for (int i = 0; i < layer_count; ++i) {
    if (options.progress) options.progress(i, layer_count);
    const Layer& layer = network.layers[i];
    const int p0 = layer.producers.at(0);
    FunctionalLayerResult lr;
    lr.name = layer.name;
    lr.type = layer.type;
    Tensor iso;
    switch (layer.type) {
      case LayerType::kConv2d:
      case LayerType::kLinear: {
        const LayerPrecision& precision = profile.layers[i];
        const std::vector<bool> kept_in = input_mask(network, masks, i);
        std::vector<int> kept_inputs;
        for (size_t c = 0; c < kept_in.size(); ++c) {
          if (kept_in[c]) kept_inputs.push_back(static_cast<int>(c));
        }
        std::vector<double> scales;
        LayerWeights weights;
        if (real) {
          weights = quantize_weights(layer, precision, kept_in, params.at(i), scales);
        } else {
          auto from_file = files.weights.find(i);
          weights = from_file != files.weights.end()
                        ? std::move(from_file->second)
                        : random_weights(layer, precision, options.seed, i);
        }
        apply_pruning(layer, precision, kept_in, weights);
        const int bits = precision.activation_bits;
        lr.activation_bits = bits;
        const InputRange range = calibrate_input(ref_of(p0), bits);
        lr.input_shift = range.shift;
        lr.input_signed = range.is_signed;
        const Tensor x = requantize(ref_of(p0), range);
        ref[i] = layer.type == LayerType::kConv2d ? reference::conv2d(layer, x, weights, threads)
                                                  : reference::linear(layer, x, weights);
        const PimLayer pim(layer, *layer_map[i], kept_inputs, weights, arch, range.offset(),
                           threads, device_key({options.seed, static_cast<uint64_t>(i)}),
                           options.faults);
        AdcCounts counts, ignored;
        // The end-to-end input, where it differs from the isolated one, runs on the same draws
        // in the same pass (PimLayer::run).
        Tensor xe;
        if (options.end_to_end) xe = requantize(e2e_of(p0), range);
        const bool both = options.end_to_end && xe.data != x.data;
        std::vector<Tensor> outs =
            both ? pim.run({&x, &xe}, {&counts, &ignored}, threads, analog_arrays)
                 : pim.run({&x}, {&counts}, threads, analog_arrays);
        iso = std::move(outs[0]);
        lr.adc_conversions = pim.conversions(batch);
        lr.adc_clipped = counts.clipped;
        lr.flipped_columns = pim.flipped_columns();
        lr.adc_lossy = counts.lossy;
        lr.dac_drives = counts.dac_drives;
        lr.dac_active = counts.dac_active;
        lr.cell_reads = counts.cell_reads;
        lr.cell_active = counts.cell_active;
        lr.conversion_slots = counts.conversion_slots;
        lr.conversion_active = counts.conversion_active;
        lr.driven_inputs = counts.driven_inputs;
        lr.nonzero_inputs = counts.nonzero_inputs;
        lr.bit_ones = counts.bit_ones;
        if (options.end_to_end) e2e[i] = both ? std::move(outs[1]) : iso;
        if (real) {
          const LayerParameters& p = params.at(i);
          auto back = [&](const Tensor& t) {
            return rescale(layer, t, scales, p.bias, range.shift, precision.kept);
          };
          ref[i] = back(ref[i]);
          iso = back(iso);
          if (options.end_to_end) e2e[i] = back(e2e[i]);
        }
        break;
      }
      case LayerType::kRelu: {
        // The bound of a ReLU6 in fixed point (real weights only: raw integers have no scale).
        const int64_t top = real && layer.relu_max > 0
                                ? round_to_int64(std::ldexp(layer.relu_max, kFractionBits))
                                : std::numeric_limits<int64_t>::max();
        ref[i] = reference::relu(ref_of(p0), top);
        iso = digital::relu(ref_of(p0), top);
        if (options.end_to_end) e2e[i] = digital::relu(e2e_of(p0), top);
        break;
      }
      case LayerType::kAdd: {
        const int p1 = layer.producers.at(1);
        ref[i] = reference::add(ref_of(p0), ref_of(p1));
        iso = digital::add(ref_of(p0), ref_of(p1));
        if (options.end_to_end) e2e[i] = digital::add(e2e_of(p0), e2e_of(p1));
        break;
      }
      case LayerType::kMaxPool:
      case LayerType::kAvgPool: {
        const bool max_pool = layer.type == LayerType::kMaxPool;
        ref[i] = reference::pool(layer, ref_of(p0), max_pool);
        iso = digital::pool(layer, ref_of(p0), max_pool);
        if (options.end_to_end) e2e[i] = digital::pool(layer, e2e_of(p0), max_pool);
        break;
      }
      case LayerType::kGlobalAvgPool:
        ref[i] = reference::global_avgpool(layer, ref_of(p0));
        iso = digital::global_avgpool(layer, ref_of(p0));
        if (options.end_to_end) e2e[i] = digital::global_avgpool(layer, e2e_of(p0));
        break;
      case LayerType::kConcat: {
        // Channels side by side, image by image: exact, no arithmetic.
        auto concat = [&](const std::function<const Tensor&(int)>& of) {
          Tensor out = zeros(layer.output_shape, of(p0).batch);
          out.data.clear();
          for (int b = 0; b < out.batch; ++b) {
            for (int p : layer.producers) {
              const Tensor& t = of(p);
              const int64_t n = t.per_image();
              out.data.insert(out.data.end(), t.data.begin() + b * n, t.data.begin() + (b + 1) * n);
            }
          }
          return out;
        };
        ref[i] = concat([&](int p) -> const Tensor& { return ref_of(p); });
        iso = ref[i];
        if (options.end_to_end) e2e[i] = concat([&](int p) -> const Tensor& { return e2e_of(p); });
        break;
      }
      case LayerType::kFlatten:
        ref[i] = ref_of(p0);
        ref[i].shape = layer.output_shape;
        iso = ref[i];
        if (options.end_to_end) {
          e2e[i] = e2e_of(p0);
          e2e[i].shape = layer.output_shape;
        }
        break;
    }

    lr.outputs = static_cast<int64_t>(ref[i].data.size());
    const ErrorStats isolated = compare(iso, ref[i]);
    lr.max_abs_error = isolated.max_abs;
    lr.rms_error = isolated.rms;
    lr.mismatches = isolated.mismatches;
    lr.reference_rms = rms_of(ref[i]);
    lr.degenerate = degenerate(ref[i]);
    exact = exact && isolated.mismatches == 0;
    if (options.end_to_end) {
      const ErrorStats end_to_end = compare(e2e[i], ref[i]);
      lr.end_to_end_max_abs_error = end_to_end.max_abs;
      lr.end_to_end_rms_error = end_to_end.rms;
      exact = exact && end_to_end.mismatches == 0;
    }
    if (i == final_layer) {
      const int tied = tied_images(ref[i]);
      if (lr.degenerate) {
        result.top1_reported = false;
        result.top1_note = "the reference output of " + layer.name +
                           " is one value throughout: top-1 agreement would say nothing";
      } else if (tied > 0) {
        result.top1_reported = false;
        result.top1_note = std::to_string(tied) + " of " + std::to_string(batch) +
                           " images have a tied maximum in the reference output of " + layer.name +
                           ": their top-1 is ambiguous";
      }
      result.top1_agreement = top1_agreement(iso, ref[i]);
      if (options.end_to_end) result.end_to_end_top1_agreement = top1_agreement(e2e[i], ref[i]);
      if (!labels.empty()) {
        result.labels_path = options.labels_path;
        result.accuracy = accuracy(options.end_to_end ? e2e[i] : iso, labels);
        result.reference_accuracy = accuracy(ref[i], labels);
      }
      result.final_reference = ref[i].data;
      result.final_pim = options.end_to_end ? e2e[i].data : iso.data;
    }
    result.layers.push_back(std::move(lr));

    // Free what no later layer reads.
    for (int p : layer.producers) {
      if (p == kNetworkInput ? input_last_use == i : last_use[p] == i) {
        Tensor& r = p == kNetworkInput ? input : ref[p];
        Tensor& e = p == kNetworkInput ? input : e2e[p];
        r = Tensor();
        e = Tensor();
      }
    }
  }
  result.exact = exact;
  result.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

namespace {
// part / all, 0 when there is nothing (a layer the run did not reach).
double fraction(int64_t part, int64_t all) {
  return all > 0 ? static_cast<double>(part) / static_cast<double>(all) : 0.0;
}
}  // namespace

Activity measured_activity(const Network& network, const FunctionalResult& result,
                           const std::string& source) {
  Activity activity;
  activity.source = source;
  for (size_t i = 0; i < result.layers.size() && i < network.layers.size(); ++i) {
    const FunctionalLayerResult& l = result.layers[i];
    if (!network.layers[i].has_weights() || l.driven_inputs == 0) continue;
    LayerActivity a;
    a.density = fraction(l.nonzero_inputs, l.driven_inputs);
    for (int64_t ones : l.bit_ones) a.bit_ones.push_back(fraction(ones, l.driven_inputs));
    a.dac_active_fraction = fraction(l.dac_active, l.dac_drives);
    a.cell_active_fraction = fraction(l.cell_active, l.cell_reads);
    a.conversion_active_fraction = fraction(l.conversion_active, l.conversion_slots);
    activity.layers.emplace_back(network.layers[i].name, std::move(a));
  }
  return activity;
}

nlohmann::ordered_json functional_json(const FunctionalResult& result) {
  using json = nlohmann::ordered_json;
  json out;
  out["seed"] = result.seed;
  out["batch"] = result.batch;
  out["inputs"] = result.input_source;
  out["weights"] = result.weights;
  if (!result.weights_source.empty()) out["weights_source"] = result.weights_source;
  out["fraction_bits"] = result.fraction_bits;
  json weights = json::object();
  for (const auto& [layer, path] : result.weight_files) weights[layer] = path;
  out["weight_files"] = weights;
  out["adc_bits"] = result.adc_bits;
  out["adc_bits_needed"] = result.adc_bits_needed;
  out["exact"] = result.exact;
  out["final_layer"] = result.final_layer;
  // Not reported from a degenerate or tied final layer (functional.h).
  out["top1_agreement"] = result.top1_reported ? json(result.top1_agreement) : json(nullptr);
  out["end_to_end_top1_agreement"] =
      result.top1_reported ? json(result.end_to_end_top1_agreement) : json(nullptr);
  if (!result.top1_reported) out["top1_note"] = result.top1_note;
  if (!result.labels_path.empty()) {
    out["labels"] = result.labels_path;
    out["accuracy"] = result.accuracy;
    out["reference_accuracy"] = result.reference_accuracy;
  }
  int64_t conversions = 0, clipped = 0, lossy = 0, max_abs = 0, flipped = 0;
  json degenerate_layers = json::array();
  json layers = json::array();
  for (const FunctionalLayerResult& l : result.layers) {
    json j;
    j["name"] = l.name;
    j["type"] = std::string(to_string(l.type));
    j["outputs"] = l.outputs;
    j["max_abs_error"] = l.max_abs_error;
    j["rms_error"] = l.rms_error;
    j["mismatches"] = l.mismatches;
    j["reference_rms"] = l.reference_rms;
    j["degenerate"] = l.degenerate;
    if (l.degenerate) degenerate_layers.push_back(l.name);
    j["end_to_end_max_abs_error"] = l.end_to_end_max_abs_error;
    j["end_to_end_rms_error"] = l.end_to_end_rms_error;
    if (l.type == LayerType::kConv2d || l.type == LayerType::kLinear) {
      j["activation_bits"] = l.activation_bits;
      j["input_shift"] = l.input_shift;
      j["input_signed"] = l.input_signed;
      j["adc_conversions"] = l.adc_conversions;
      j["adc_clipped"] = l.adc_clipped;
      j["adc_lossy"] = l.adc_lossy;
      j["flipped_columns"] = l.flipped_columns;
      // Row activity of the isolated pass: the fraction of DAC drives and cell reads whose
      // input slice is not zero (data-aware energy).
      j["dac_active_fraction"] = fraction(l.dac_active, l.dac_drives);
      j["cell_active_fraction"] = fraction(l.cell_active, l.cell_reads);
      j["conversion_active_fraction"] = fraction(l.conversion_active, l.conversion_slots);
      flipped += l.flipped_columns;
      conversions += l.adc_conversions;
      clipped += l.adc_clipped;
      lossy += l.adc_lossy;
    }
    max_abs = std::max(max_abs, l.max_abs_error);
    layers.push_back(std::move(j));
  }
  out["totals"] = {{"max_abs_error", max_abs},   {"adc_conversions", conversions},
                   {"adc_clipped", clipped},     {"adc_lossy", lossy},
                   {"flipped_columns", flipped}, {"degenerate_layers", degenerate_layers}};
  out["layers"] = std::move(layers);
  return out;
}

}  // namespace mixpim::sim
