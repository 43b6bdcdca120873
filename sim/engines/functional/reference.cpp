#include "sim/engines/functional/reference.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>

namespace mixpim::sim::functional_detail {

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

}  // namespace mixpim::sim::functional_detail
