#include "hw/cycle_adapter.h"

#include <memory>
#include <ostream>

#include "hw/cycle_engine.h"

namespace mixpim::hw {

namespace {

constexpr const char* kName = "cycle";

class CycleEngine : public sim::Engine {
 public:
  explicit CycleEngine(const sim::EngineSettings& settings) {
    options_.trace_path = settings.trace_path;
    options_.inferences = settings.inferences;
    options_.merge_identical_pes = settings.merge_identical_pes;
  }
  sim::PerformanceResult time(const sim::EngineRequest& r) override {
    CycleOptions options = options_;
    options.activity = r.activity;
    result_ = run_cycle(r.network, r.profile, r.arch, r.mapping, options);
    return result_.performance;
  }
  bool in_process() const override { return false; }
  std::vector<std::string> child_arguments() const override {
    std::vector<std::string> args;
    if (options_.inferences > 0)
      args.insert(args.end(), {"--inferences", std::to_string(options_.inferences)});
    if (!options_.merge_identical_pes) args.emplace_back("--every-pe");
    return args;
  }
  void add_to_report(const sim::EngineRequest&, nlohmann::ordered_json& report,
                     const sim::AddDataAware&) override {
    report["cycle"] = cycle_extras_json(result_);
  }
  void print_summary(std::ostream& out, std::ostream& err) const override {
    const nlohmann::ordered_json host = cycle_host_json(result_);
    out << "  simulated  " << result_.inferences << " inferences, " << result_.simulated_cycles
        << " cycles, " << result_.read_steps << " read steps, " << result_.kernel_events
        << " kernel events in " << host.value("wall_s", 0.0) << " s\n";
    for (const std::string& c : result_.clamped_buffers)
      err << "warning: tile buffer too small for a deadlock-free pipeline, raised: " << c << "\n";
  }

 private:
  CycleOptions options_;
  CycleResult result_;
};

void check_cycle_options(const sim::OptionUse& use, sim::EngineSettings& settings) {
  if (use.engine != kName &&
      (use.given("trace") || use.given("inferences") || use.given("every-pe"))) {
    throw sim::EngineUsageError("--trace, --inferences and --every-pe need --engine cycle");
  }
  settings.merge_identical_pes = !use.given("every-pe");
  if (use.given("inferences") && (settings.inferences < 1 || settings.inferences > 1000)) {
    throw sim::EngineUsageError("--inferences must be in [1, 1000], got " +
                                std::to_string(settings.inferences));
  }
}

}  // namespace

void register_cycle_engine(sim::EngineRegistry& registry) {
  registry.add({kName, "SystemC, read step by read step", check_cycle_options,
                [](const sim::EngineSettings& settings) {
                  return std::make_unique<CycleEngine>(settings);
                }});
}

}  // namespace mixpim::hw
