#pragma once
// How layer outputs flow to their consumers, as the work model (work_model.h) and every engine
// count them: output rows, the producer rows a consumer row's window needs and releases, the
// bits outputs are stored with, and a layer's share of work in each tile it spans.

#include <cstdint>
#include <vector>

#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// Fraction of a weight layer's PEs in each tile from first_tile to last_tile: a tile's adders,
// activation and pool units and buffer port serve the PEs it holds, so a tile holding few of a
// layer's PEs does little of its digital work and buffer traffic.
std::vector<double> tile_shares(const LayerMapping& layer, int pes_per_tile);

// Output rows of a tensor: H of [C, H, W], 1 for a vector. Layer-pipelined, layers work row
// by row.
int64_t output_rows(const Shape& shape);

// How many of its producer's output rows (with output shape `producer_output`) `consumer`
// needs before computing its output row `row` (0-based): its kernel window for convolutions
// and pools (the first row waits for a whole kernel), the same row for ReLU and add, and
// everything for the last row and for linear, global pooling and flatten.
int64_t rows_needed(const Layer& consumer, const Shape& producer_output, int64_t row);
// How many of those rows `consumer` no longer needs once its row `row` is done: those below its
// next row's window (all of them after its last row, and for whole-input layers).
int64_t rows_released(const Layer& consumer, const Shape& producer_output, int64_t row);

// Bits each layer's output is stored with: the activation bits of the weight layers that
// consume it (through relu, pools, add, flatten; the widest if several), or 16 for the
// network output.
std::vector<int> output_bits(const Network& network, const PrecisionProfile& profile);

}  // namespace mixpim::sim
