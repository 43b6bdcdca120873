// The functional engine behind the engine interface (engine.h): analytic timing and energy
// (analytic.h), plus bit-accurate data through the arrays (functional.h) in report.json's
// `functional` block, and the data-aware figures at the activity it measures.
#include <cmath>
#include <memory>

#include "sim/engines/analytic.h"
#include "sim/engines/engine.h"
#include "sim/engines/functional.h"
#include "sim/util/atomic_file.h"
#include "sim/util/npy.h"

namespace mixpim::sim {

namespace {

constexpr const char* kName = "functional";

class FunctionalEngine : public Engine {
 public:
  explicit FunctionalEngine(const EngineSettings& settings) : settings_(settings) {
    options_.seed = settings.seed;
    options_.batch = settings.batch;
    options_.data_map_path = settings.data_map_path;
    options_.labels_path = settings.labels_path;
    options_.threads = settings.threads;
  }
  bool uses_parameters() const override { return true; }
  void take_parameters(std::map<std::string, LayerParameters> parameters,
                       const std::string& source) override {
    options_.parameters = std::move(parameters);
    options_.parameters_source = source;
  }
  void check(const Network& network) const override { check_functional_memory(network, options_); }
  PerformanceResult time(const EngineRequest& r) override {
    return analyze(r.network, r.profile, r.arch, r.mapping, r.activity);
  }
  void add_to_report(const EngineRequest& r, nlohmann::ordered_json& report,
                     const AddDataAware& data_aware) override {
    const Network& network = r.network;
    const FunctionalResult result = run_functional(network, r.profile, r.arch, r.mapping, options_);
    report["functional"] = functional_json(result);
    const Activity measured =
        measured_activity(network, result,
                          "measured by the functional engine on " + std::to_string(result.batch) +
                              " input(s) of " + result.input_source);
    data_aware(measured, measured.source);
    if (!settings_.activity_out_path.empty())
      write_file_atomically(settings_.activity_out_path, activity_yaml(measured));
    if (!settings_.outputs_path.empty()) {
      Shape shape = network.layers.back().output_shape;
      shape.insert(shape.begin(), result.batch);
      std::vector<double> values(result.final_pim.size());
      for (size_t i = 0; i < values.size(); ++i)
        values[i] = std::ldexp(static_cast<double>(result.final_pim[i]), -result.fraction_bits);
      write_file_atomically(settings_.outputs_path, npy_float64_bytes(shape, values));
    }
  }

 private:
  EngineSettings settings_;
  FunctionalOptions options_;
};

// --threads and --seed are checked for every engine; the functional engine's options are
// refused elsewhere, and --activity with it (it measures the activity on its data).
void check_functional_options(const OptionUse& use, EngineSettings& settings) {
  if (settings.threads < 0 || settings.threads > 1024) {
    throw EngineUsageError("--threads must be in [0, 1024] (0: one per core), got " +
                           std::to_string(settings.threads));
  }
  if (use.engine != kName) {
    // Options of the functional engine do nothing elsewhere: say so rather than ignore them.
    for (const char* option : {"data", "seed", "outputs", "labels", "activity-out", "threads"}) {
      if (use.given(option)) {
        throw EngineUsageError(std::string("--") + option + " needs --engine functional");
      }
    }
  }
  if (use.engine == kName && use.given("activity")) {
    throw EngineUsageError(
        "--activity is for analytic and cycle runs: the functional engine measures the activity "
        "on its data (write it with --activity-out)");
  }
  const std::string& seed_text = settings.seed_text;
  if (seed_text.find_first_not_of("0123456789") != std::string::npos || seed_text.empty() ||
      seed_text.size() > 20) {
    throw EngineUsageError("--seed expects a non-negative integer, got '" + seed_text + "'");
  }
  try {
    settings.seed = std::stoull(seed_text);
  } catch (const std::exception&) {
    throw EngineUsageError("--seed is out of range: " + seed_text);
  }
}

}  // namespace

void register_functional_engine(EngineRegistry& registry) {
  registry.add({kName, "analytic timing and energy plus bit-accurate data through the arrays",
                check_functional_options, [](const EngineSettings& settings) {
                  return std::make_unique<FunctionalEngine>(settings);
                }});
}

}  // namespace mixpim::sim
