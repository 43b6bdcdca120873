#pragma once
// `mixpim run` outputs: report.json (the one stats schema), report.md and layers.csv.
// Every number is traceable: the report echoes the resolved configuration, the technology
// table's path and SHA-256, the workload and profile files, the version and git revision.

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/config/arch_config.h"
#include "sim/engines/energy_model.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/config/tech_table.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

inline constexpr int kReportSchemaVersion = 1;

// One evaluated configuration: what went in and what came out.
struct RunCase {
  const Network* network = nullptr;
  const PrecisionProfile* profile = nullptr;
  const ArchConfig* arch = nullptr;
  const NetworkMapping* mapping = nullptr;
  Evaluation evaluation;
};

struct RunInfo {
  std::string engine = "analytic";
  std::string version;
  std::string git_revision;
  std::string command;  // the command line that produced the report
};

// The same network on the same hardware at the baseline profile (the built-in uniform 16 bits,
// or `mixpim run --baseline PROFILE`), as the report compares with it:
// from an evaluation in this process, or from another run's report.json (the cycle engine's
// baseline runs in a child process).
struct BaselineFigures {
  std::string precision;
  std::string precision_path;  // empty: the built-in uniform 16-bit profile
  std::string engine = "analytic";
  bool reprogrammed = false;  // it needed mapping.allow_reprogramming where the profile did not
  double energy_pj = 0;
  double latency_ns = 0;
  double interval_ns = 0;
  double tops_per_w = 0;
  int64_t arrays = 0;
  bool adc_exact = true;  // every conversion of the baseline is exact (sim/compiler/adc.h)
  std::map<std::string, double> component_energy_pj;
};
BaselineFigures baseline_figures(const RunCase& baseline, bool reprogrammed);
// From a report.json written by `mixpim run` (throws nlohmann::json errors if malformed).
BaselineFigures baseline_figures(const nlohmann::ordered_json& report, bool reprogrammed);

// `baseline` null: the report has no baseline section.
// Peak figures at the run's precision: the profile's widest weight and activation bits.
PeakFigures run_peak_figures(const RunCase& run, const TechTable& table);

nlohmann::ordered_json run_report_json(const RunCase& run, const TechTable& table,
                                       const RunInfo& info, const BaselineFigures* baseline);

// The `data_aware` block: a run's data-independent figures (every row driven, every column
// converted) beside the same run at its input activity (sim/compiler/activity.h), both as report.json
// documents. `activity` says where the activity came from; ratios are data-aware over
// data-independent counts.
nlohmann::ordered_json data_aware_json(const nlohmann::ordered_json& data_independent,
                                       const nlohmann::ordered_json& data_aware,
                                       const std::string& activity, bool skip_zero_blocks);

// What the report calls the baseline: "16-bit" for the built-in one, else the profile's name.
std::string baseline_label(const nlohmann::ordered_json& baseline);

std::string run_report_markdown(const nlohmann::ordered_json& report);
std::string layers_csv(const nlohmann::ordered_json& report);
// A few lines for the terminal.
std::string run_summary_text(const nlohmann::ordered_json& report);

}  // namespace mixpim::sim
