#include "sim/engines/performance.h"

namespace mixpim::sim {

ActionCounts PerformanceResult::total_counts() const {
  ActionCounts total = io_counts;
  for (const LayerPerformance& l : layers) total.merge(l.counts);
  return total;
}

int64_t PerformanceResult::macs() const {
  int64_t total = 0;
  for (const LayerPerformance& l : layers) total += l.macs;
  return total;
}

}  // namespace mixpim::sim
