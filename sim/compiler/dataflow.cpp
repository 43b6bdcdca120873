#include "sim/compiler/dataflow.h"

#include <algorithm>

namespace mixpim::sim {

int64_t output_rows(const Shape& shape) { return shape.size() == 3 && shape[1] > 0 ? shape[1] : 1; }

namespace {

// How a consumer row reads its producer's rows: a kernel window (convolutions and pools), the
// same row (ReLU, add), or the whole input (linear, global pooling, flatten, and every layer's
// last row).
enum class Window { kKernel, kSame, kAll };

Window window_of(const Layer& consumer, const Shape& producer_output, int64_t row) {
  if (row >= output_rows(consumer.output_shape) - 1 || producer_output.size() != 3 ||
      consumer.output_shape.size() != 3)
    return Window::kAll;
  switch (consumer.type) {
    case LayerType::kConv2d:
    case LayerType::kMaxPool:
    case LayerType::kAvgPool:
      return Window::kKernel;
    case LayerType::kRelu:
    case LayerType::kAdd:
    case LayerType::kConcat:
      return Window::kSame;
    default:
      return Window::kAll;
  }
}

}  // namespace

int64_t rows_needed(const Layer& consumer, const Shape& producer_output, int64_t row) {
  const int64_t produced = output_rows(producer_output);
  switch (window_of(consumer, producer_output, row)) {
    case Window::kKernel: {
      // Rows up to the window's last (the first row waits for a whole kernel's worth).
      const int64_t extent = consumer.kernel_extent_h();
      const int64_t last = row * consumer.stride_h - consumer.pad_h + extent;
      return std::min(produced, std::max<int64_t>(extent, last));
    }
    case Window::kSame:
      return std::min(produced, row + 1);
    default:
      return produced;
  }
}

int64_t rows_released(const Layer& consumer, const Shape& producer_output, int64_t row) {
  const int64_t produced = output_rows(producer_output);
  switch (window_of(consumer, producer_output, row)) {
    case Window::kKernel:  // below the next row's window
      return std::min(produced,
                      std::max<int64_t>(0, (row + 1) * consumer.stride_h - consumer.pad_h));
    case Window::kSame:
      return std::min(produced, row + 1);
    default:
      return produced;
  }
}

std::vector<double> tile_shares(const LayerMapping& m, int pes_per_tile) {
  const int first = m.first_tile, last = std::max(m.first_tile, m.last_tile);
  std::vector<double> shares(static_cast<size_t>(last - first + 1), 0.0);
  if (m.pes <= 0) {
    shares.assign(shares.size(), 1.0 / static_cast<double>(shares.size()));
    return shares;
  }
  const int64_t begin = m.first_pe, end = m.first_pe + m.pes;
  for (int t = first; t <= last; ++t) {
    const int64_t lo = std::max<int64_t>(begin, int64_t{t} * pes_per_tile);
    const int64_t hi = std::min<int64_t>(end, int64_t{t + 1} * pes_per_tile);
    shares[static_cast<size_t>(t - first)] =
        hi > lo ? static_cast<double>(hi - lo) / static_cast<double>(m.pes) : 0.0;
  }
  return shares;
}

std::vector<int> output_bits(const Network& network, const PrecisionProfile& profile) {
  const size_t n = network.layers.size();
  std::vector<int> bits(n, 0);
  for (size_t i = n; i-- > 0;) {
    int widest = 0;
    for (size_t c = i + 1; c < n; ++c) {
      const Layer& consumer = network.layers[c];
      if (std::find(consumer.producers.begin(), consumer.producers.end(), static_cast<int>(i)) ==
          consumer.producers.end()) {
        continue;
      }
      widest =
          std::max(widest, consumer.has_weights() ? profile.layers[c].activation_bits : bits[c]);
    }
    bits[i] = widest == 0 ? kBaselineBits : widest;
  }
  return bits;
}

}  // namespace mixpim::sim
