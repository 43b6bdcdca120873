#pragma once
// The validated architecture as JSON: every field, defaults filled in, and the technology
// table's identity. Reports echo these so that each number can be traced to the exact
// configuration that produced it.

#include <nlohmann/json.hpp>

#include "arch_config.h"
#include "tech_table.h"

namespace mixpim::sim {

nlohmann::ordered_json arch_config_json(const ArchConfig& config);

// Which technology table charged a run: name, path, SHA-256 of its bytes, node.
nlohmann::ordered_json tech_table_json(const TechTable& table);

}  // namespace mixpim::sim
