#pragma once
// `mixpim map`: per-layer row blocks, arrays, utilisation, replication and placement, as a
// text table or JSON (layers[] and totals).

#include <nlohmann/json.hpp>
#include <string>

#include "arch_config.h"
#include "mapping.h"
#include "workload.h"

namespace mixpim::sim {

nlohmann::ordered_json mapping_json(const Network& network, const ArchConfig& arch,
                                    const NetworkMapping& mapping);
std::string mapping_text(const Network& network, const ArchConfig& arch,
                         const NetworkMapping& mapping);

}  // namespace mixpim::sim
