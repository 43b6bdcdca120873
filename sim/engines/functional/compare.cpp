#include "sim/engines/functional/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "sim/util/diagnostics.h"
#include "sim/util/npy.h"

namespace mixpim::sim::functional_detail {

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

bool degenerate(const Tensor& t) {
  return std::adjacent_find(t.data.begin(), t.data.end(), std::not_equal_to<>()) == t.data.end();
}

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

int64_t top1(const Tensor& t, int n) {
  const int64_t per = t.per_image();
  const auto begin = t.data.begin() + n * per;
  return std::max_element(begin, begin + per) - begin;
}

double accuracy(const Tensor& t, const std::vector<int64_t>& labels) {
  int right = 0;
  for (int n = 0; n < t.batch; ++n) right += top1(t, n) == labels[static_cast<size_t>(n)];
  return t.batch == 0 ? 0 : static_cast<double>(right) / t.batch;
}

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

double top1_agreement(const Tensor& got, const Tensor& want) {
  if (want.batch == 0) return 0;
  int agree = 0;
  for (int n = 0; n < want.batch; ++n) agree += top1(got, n) == top1(want, n);
  return static_cast<double>(agree) / want.batch;
}

}  // namespace mixpim::sim::functional_detail
