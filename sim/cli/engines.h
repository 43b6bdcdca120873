#pragma once
// The engines `mixpim run --engine NAME` offers (sim/engines/engine.h), the cycle engine from
// hw/ among them.

#include "sim/engines/engine.h"

namespace mixpim::sim {

// Every engine, registered once, in engine_names() order.
const EngineRegistry& engine_registry();

}  // namespace mixpim::sim
