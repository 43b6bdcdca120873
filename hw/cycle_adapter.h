#pragma once
// The cycle engine (cycle_engine.h) behind the engine interface (sim/engines/engine.h).

#include "sim/engines/engine.h"

namespace mixpim::hw {

// Registers "cycle": SystemC, read step by read step; one program per process, so a run's
// baseline and data-aware figures come from child processes.
void register_cycle_engine(sim::EngineRegistry& registry);

}  // namespace mixpim::hw
