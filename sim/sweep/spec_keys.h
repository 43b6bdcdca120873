#pragma once
// Inside the sweep (sweep.h): the spec keys that are not configuration keys.

#include <algorithm>
#include <string_view>
#include <vector>

#include "sim/sweep/sweep.h"

namespace mixpim::sim::sweep_detail {

inline const std::vector<std::string_view> kSpecialKeys = {
    kSweepArch,     kSweepWorkload, kSweepPrecision, kSweepEngine, kSweepDigital,
    kSweepBaseline, kSweepData,     kSweepLabels,    kSweepBatch,  kSweepSeed};

inline bool is_special(std::string_view key) {
  return std::find(kSpecialKeys.begin(), kSpecialKeys.end(), key) != kSpecialKeys.end();
}

}  // namespace mixpim::sim::sweep_detail
