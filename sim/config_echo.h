#pragma once
// The validated architecture as JSON: every field, defaults filled in. Reports echo this so
// that each number can be traced to the exact configuration that produced it.

#include <nlohmann/json.hpp>

#include "arch_config.h"

namespace mixpim::sim {

nlohmann::ordered_json arch_config_json(const ArchConfig& config);

}  // namespace mixpim::sim
