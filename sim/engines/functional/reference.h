#pragma once
// Inside the functional engine (functional.h states the semantics):
// the exact integer reference.

#include <cstdint>

#include "sim/engines/functional/tensor.h"
#include "sim/workload/workload.h"

namespace mixpim::sim::functional_detail {

// ---------------------------------------------------------------------------------------
// The exact integer reference: plain loops over dense tensors, no knowledge of the mapping.
namespace reference {

Tensor conv2d(const Layer& layer, const Tensor& x, const LayerWeights& w, int threads);

Tensor linear(const Layer& layer, const Tensor& x, const LayerWeights& w);

Tensor relu(const Tensor& x, int64_t top);

Tensor add(const Tensor& a, const Tensor& b);

// maxpool (max of in-bounds values) or avgpool (window sum / area, padding counts as zero).
Tensor pool(const Layer& layer, const Tensor& x, bool max_pool);

Tensor global_avgpool(const Layer& layer, const Tensor& x);

}  // namespace reference

}  // namespace mixpim::sim::functional_detail
