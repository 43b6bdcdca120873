#pragma once
// `mixpim map`: per-layer row blocks, arrays, utilisation, replication and placement, as a
// text table or JSON (layers[] and totals).

#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

nlohmann::ordered_json mapping_json(const Network& network, const ArchConfig& arch,
                                    const NetworkMapping& mapping);
std::string mapping_text(const Network& network, const ArchConfig& arch,
                         const NetworkMapping& mapping);

}  // namespace mixpim::sim
