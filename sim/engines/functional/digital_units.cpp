#include "sim/engines/functional/digital_units.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

namespace mixpim::sim::functional_detail {

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

}  // namespace mixpim::sim::functional_detail
