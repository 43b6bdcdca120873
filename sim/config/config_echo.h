#pragma once
// The validated architecture as JSON: every field, defaults filled in, and the technology
// table's identity. Reports echo these so that each number can be traced to the exact
// configuration that produced it.

#include <nlohmann/json.hpp>

#include "sim/config/arch_config.h"
#include "sim/config/tech_table.h"

namespace mixpim::sim {

nlohmann::ordered_json arch_config_json(const ArchConfig& config);

// A buffer's capacity and bandwidth (the PIM presets' and the digital baseline's).
nlohmann::ordered_json buffer_config_json(const BufferConfig& buffer);

// Which technology table charged a run: name, path, SHA-256 of its bytes, node.
nlohmann::ordered_json tech_table_json(const TechTable& table);

}  // namespace mixpim::sim
