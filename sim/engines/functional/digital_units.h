#pragma once
// Inside the functional engine (functional.h states the semantics):
// the tile's digital units, written apart from the reference.

#include <cstdint>

#include "sim/engines/functional/tensor.h"
#include "sim/workload/workload.h"

namespace mixpim::sim::functional_detail {

// The tile's digital units (activation, pooling, residual add), written apart from the
// reference: they stream one output row at a time through a window buffer.
namespace digital {

Tensor relu(const Tensor& x, int64_t top);

Tensor add(const Tensor& a, const Tensor& b);

Tensor pool(const Layer& layer, const Tensor& x, bool max_pool);

Tensor global_avgpool(const Layer& layer, const Tensor& x);

}  // namespace digital

}  // namespace mixpim::sim::functional_detail
