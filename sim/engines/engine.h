#pragma once
// The engine interface. An engine times the compiler's program for one inference and returns
// its counts and times (PerformanceResult); energy comes from one model for every engine
// (energy_model.h), so engines differ only in timing. `mixpim run --engine NAME` picks one by
// name from an EngineRegistry: each engine registers itself in its own file
// (analytic_engine.cpp, functional_engine.cpp, hw/cycle_adapter.cpp) through a register
// function that sim/cli/engines.cpp calls. Explicit calls, not static self-registration, which
// the linker drops from static libraries.

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "sim/compiler/activity.h"
#include "sim/compiler/mapping.h"
#include "sim/config/arch_config.h"
#include "sim/engines/performance.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

// The engines `mixpim run --engine` offers, in --help order. Kernel-free stages that check an
// engine name before a run (sweep specs) read it here; the CLI's registry must hold exactly
// these (it refuses to start otherwise).
const std::vector<std::string_view>& engine_names();

// `mixpim run`'s options that an engine reads, as parsed (the CLI checks nothing of them but
// --batch; each engine checks its own in check_options).
struct EngineSettings {
  int batch = 1;  // inferences per batch (functional: inputs run)
  // functional
  std::string seed_text = "1";  // --seed as given; check_options sets `seed`
  uint64_t seed = 1;
  std::string data_map_path, labels_path, outputs_path, activity_out_path;
  int threads = 0;
  // cycle
  std::string trace_path;
  int64_t inferences = 0;
  bool merge_identical_pes = true;
};

// Which options the command line gives, for an engine's check_options.
struct OptionUse {
  std::string engine;                             // the engine the run uses
  std::function<bool(const std::string&)> given;  // an option given (not its default)
};

// A command-line mistake found by an engine (the CLI reports it as a usage error).
struct EngineUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What an engine runs: a mapped program and, for a data-aware run, the input activity.
struct EngineRequest {
  const Network& network;
  const PrecisionProfile& profile;
  const ArchConfig& arch;
  const NetworkMapping& mapping;
  const Activity* activity = nullptr;
};

// Adds the run's `data_aware` block: the run again at `activity`, described as `source`.
using AddDataAware = std::function<void(const Activity& activity, const std::string& source)>;

class Engine {
 public:
  virtual ~Engine() = default;
  // An imported model's float weights (an .onnx workload): whether the engine uses them
  // (take_parameters is called before anything runs; the workload is read without them
  // otherwise).
  virtual bool uses_parameters() const { return false; }
  virtual void take_parameters(std::map<std::string, LayerParameters> /*parameters*/,
                               const std::string& /*source*/) {}
  // Refuses (InputError) a run the engine cannot do, before anything runs or is written.
  virtual void check(const Network& /*network*/) const {}
  // Counts and times of one inference of request's program (`request.activity`: data-aware).
  virtual PerformanceResult time(const EngineRequest& request) = 0;
  // False when this process can time only one program (SystemC elaborates once per process):
  // the baseline and the data-aware run are then the same engine in a child process.
  virtual bool in_process() const { return true; }
  // Options a child process (in_process() false) gets beside the run's own.
  virtual std::vector<std::string> child_arguments() const { return {}; }
  // Adds the engine's blocks to report.json after time() (and writes the engine's own output
  // files); `data_aware` adds the data_aware block at an activity the engine measured.
  virtual void add_to_report(const EngineRequest& /*request*/, nlohmann::ordered_json& /*report*/,
                             const AddDataAware& /*data_aware*/) {}
  // Lines printed after the run's summary (`out`) and warnings (`err`).
  virtual void print_summary(std::ostream& /*out*/, std::ostream& /*err*/) const {}
};

struct EngineEntry {
  std::string name;         // the --engine value, report.json's run.engine
  std::string description;  // for --help: "closed form"
  // Checks (EngineUsageError) and completes `settings` for a run by `use.engine`, this engine or
  // another (options of this engine given to another are refused); may be empty.
  std::function<void(const OptionUse& use, EngineSettings& settings)> check_options;
  std::function<std::unique_ptr<Engine>(const EngineSettings& settings)> make;
};

class EngineRegistry {
 public:
  // Throws std::logic_error when the name is taken.
  void add(EngineEntry entry);
  // nullptr when no engine has that name.
  const EngineEntry* find(std::string_view name) const;
  const std::vector<EngineEntry>& entries() const { return entries_; }
  // "analytic, cycle, functional".
  std::string names_text() const;
  // "analytic (closed form), cycle (...), or functional (...)".
  std::string help_text() const;

 private:
  std::vector<EngineEntry> entries_;  // in registration order
};

// The engines of this file's folder (the cycle engine's is hw/cycle_adapter.h).
void register_analytic_engine(EngineRegistry& registry);
void register_functional_engine(EngineRegistry& registry);

}  // namespace mixpim::sim
