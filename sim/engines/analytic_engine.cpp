// The analytic engine behind the engine interface (engine.h): analyze() (analytic.h).
#include <memory>

#include "sim/engines/analytic.h"
#include "sim/engines/engine.h"

namespace mixpim::sim {

namespace {

class AnalyticEngine : public Engine {
 public:
  PerformanceResult time(const EngineRequest& r) override {
    return analyze(r.network, r.profile, r.arch, r.mapping, r.activity);
  }
};

}  // namespace

void register_analytic_engine(EngineRegistry& registry) {
  registry.add({"analytic", "closed form", {}, [](const EngineSettings&) {
                  return std::make_unique<AnalyticEngine>();
                }});
}

}  // namespace mixpim::sim
