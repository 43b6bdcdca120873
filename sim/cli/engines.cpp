#include "sim/cli/engines.h"

#include <stdexcept>

#include "hw/cycle_adapter.h"

namespace mixpim::sim {

const EngineRegistry& engine_registry() {
  static const EngineRegistry registry = [] {
    EngineRegistry r;
    // One line per engine; each engine's register function is in its own file.
    register_analytic_engine(r);
    hw::register_cycle_engine(r);
    register_functional_engine(r);
    // The kernel-free stages (sweep specs) check names against engine_names().
    std::vector<std::string_view> names;
    for (const EngineEntry& e : r.entries()) names.push_back(e.name);
    if (names != engine_names()) {
      throw std::logic_error("the engine registry (" + r.names_text() +
                             ") differs from engine_names() (sim/engines/engine.cpp)");
    }
    return r;
  }();
  return registry;
}

}  // namespace mixpim::sim
