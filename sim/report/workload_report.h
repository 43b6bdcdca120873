#pragma once
// `mixpim info`: per-layer shapes, MACs, weights, bits and weight memory of a network under
// a precision profile, as a text table or JSON (layers[] and totals).

#include <nlohmann/json.hpp>
#include <string>

#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

struct WorkloadTotals {
  int64_t macs = 0;
  int64_t weights = 0;
  int64_t weight_memory_bits = 0;
};

WorkloadTotals sum_counts(const std::vector<LayerCounts>& counts);

nlohmann::ordered_json workload_summary_json(const Network& network,
                                             const PrecisionProfile& profile);
std::string workload_summary_text(const Network& network, const PrecisionProfile& profile);

}  // namespace mixpim::sim
