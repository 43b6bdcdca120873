#pragma once
// Analytic engine: closed-form event counts and latency of one inference (batch 1) of a mapped
// network. It produces counts and times only; energy comes from EnergyModel (energy_model.h)
// so that every engine is charged from the same table. README "Energy, latency and area
// model" states every equation; tests/unit/test_analytic.cpp checks them by hand.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/compiler/activity.h"
#include "sim/compiler/dataflow.h"
#include "sim/compiler/mapping.h"
#include "sim/compiler/work_model.h"
#include "sim/config/arch_config.h"
#include "sim/engines/performance.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// `activity`: a data-aware run (build_work_model).
PerformanceResult analyze(const Network& network, const PrecisionProfile& profile,
                          const ArchConfig& arch, const NetworkMapping& mapping,
                          const Activity* activity = nullptr);
// The same from the compiler's work model (work_model.h): its counts and bounds, and the row
// schedule below.
PerformanceResult analyze(const WorkModel& model);

}  // namespace mixpim::sim
