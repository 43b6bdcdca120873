#pragma once
// Inside the functional engine (functional.h states the semantics):
// integer tensors, the shared arithmetic of both paths, requantisation, threads.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/workload/workload.h"

namespace mixpim::sim::functional_detail {

// ---------------------------------------------------------------------------------------
// Shared arithmetic (part of the quantization semantics, identical in both paths).

inline int64_t element_count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

// floor(v / 2^s) without relying on the sign behaviour of >> on negative values.
inline int64_t floor_shift(int64_t v, int s) {
  if (s == 0) return v;
  if (v >= 0) return v >> s;
  return -((-(v + 1)) >> s) - 1;
}

// round(v / 2^s), halves up.
inline int64_t round_shift(int64_t v, int s) {
  if (s == 0) return v;
  return floor_shift(v + (int64_t{1} << (s - 1)), s);
}

// round(sum / n), halves up (n > 0).
inline int64_t div_round(int64_t sum, int64_t n) {
  const int64_t num = 2 * sum + n, den = 2 * n;
  int64_t q = num / den;
  if ((num % den != 0) && ((num < 0) != (den < 0))) --q;
  return q;
}

// SplitMix64 finaliser: independent seeds for the streams of (seed, tensor).
inline uint64_t mix_seed(uint64_t seed, uint64_t stream) {
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

inline Tensor zeros(const Shape& shape, int batch) {
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

inline InputRange calibrate_input(const Tensor& x, int bits) {
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

inline Tensor requantize(const Tensor& x, const InputRange& range) {
  Tensor out = x;
  for (int64_t& v : out.data)
    v = std::clamp<int64_t>(round_shift(v, range.shift), range.lo, range.hi);
  return out;
}

// Real weights (header comment): fraction bits of every tensor between layers.
constexpr int kFractionBits = 16;

// round(v), halves away from zero, within +-2^62 (no undefined conversion on overflow).
inline int64_t round_to_int64(double v) {
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
  // `body` must not throw (a worker would never report done): parallel_parts catches for it.
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
  static inline thread_local bool inside_ = false;
};

// Runs fn(part, begin, end) over [0, n) on up to `threads` threads, part p on thread p (part 0
// the caller's), each taking the next few items whenever it is free (items differ in work: an
// output row's pixels on a copy of the arrays, its active rows). Every use writes disjoint
// outputs and per-part counts summed afterwards (integers), so results depend neither on the
// thread count nor on which thread took which items.
inline void parallel_parts(int64_t n, int threads,
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

}  // namespace mixpim::sim::functional_detail
