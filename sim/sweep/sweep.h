#pragma once
// Sweeps: one base experiment (arch, workload, precision, engine, --set overrides) and axes
// that vary any of them; the cartesian product of the axes (zipped lists vary together) gives
// the points. Each point runs as its own `mixpim run` process (the SystemC kernel cannot be
// elaborated twice in one process) into DIR/points/<id>/; points.csv and summary.json are
// rebuilt from whatever those directories hold, so a sweep resumes after any interruption.
// The spec format is documented in configs/sweeps/README.md.
//
// This stage is kernel-free (no SystemC, no process handling): parsing (spec.cpp), expansion
// and the manifest (plan.cpp), the CSV/summary builders (results.cpp) and the Slurm script
// (slurm.cpp). Running points is sim/cli/sweep_cli.cpp + sim/util/process_pool.h.

#include <cstddef>
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

// Axis/base keys that are not configuration keys.
inline constexpr std::string_view kSweepArch = "arch";
inline constexpr std::string_view kSweepWorkload = "workload";
inline constexpr std::string_view kSweepPrecision = "precision";
inline constexpr std::string_view kSweepEngine = "engine";
inline constexpr std::string_view kSweepDigital = "digital";    // a digital 16-bit baseline preset
inline constexpr std::string_view kSweepBaseline = "baseline";  // the profile ratios compare with
inline constexpr std::string_view kSweepData = "data";      // functional: --data (inputs, weights)
inline constexpr std::string_view kSweepLabels = "labels";  // functional: --labels (accuracy)
inline constexpr std::string_view kSweepBatch = "batch";    // --batch (functional: inputs run)
inline constexpr std::string_view kSweepSeed = "seed";      // --seed (functional: inputs, device)

// Upper bound on the points of one sweep (keeps a typo from launching a million processes).
inline constexpr std::size_t kMaxSweepPoints = 100000;

struct SweepValue {
  std::string text;      // as written: a path relative to the spec, or YAML flow text
  std::string resolved;  // absolute normalised path for arch/workload/precision, else = text
  SourceLocation where;
};

// One key and its values. `key` is a special key (arch, workload, precision, engine) or a
// dotted architecture key (pe.crossbar.rows) applied with --set.
struct SweepKey {
  std::string key;
  SourceLocation where;  // of the key text in the spec
  std::vector<SweepValue> values;
};

// One factor of the cartesian product: a single key, or several zipped keys of equal length.
struct SweepAxis {
  std::vector<SweepKey> keys;
  bool zipped = false;
  SourceLocation where;
  std::size_t size() const { return keys.empty() ? 0 : keys.front().values.size(); }
};

struct SweepBaseEntry {
  std::string key;
  SourceLocation where;
  SweepValue value;
};

struct SweepSpec {
  std::string path;  // spec file as given
  std::string name;
  std::string description;
  std::vector<SweepBaseEntry> base;  // special keys first (arch, workload, precision, engine)
  std::vector<SweepBaseEntry> sets;  // base.set, in file order
  std::vector<SweepAxis> axes;
};

struct SweepPoint {
  std::size_t index = 0;
  std::string id;                   // "0007-1a2b3c4d": index + hash of the point's settings
  std::vector<std::string> values;  // one per Sweep::columns entry, as written in the spec
  std::vector<std::string> args;    // runner arguments before "--out DIR": {"run", "--arch", ...}
};

// An expanded sweep: what sweep.json holds, enough to rebuild points.csv without the spec.
struct Sweep {
  std::string name;
  nlohmann::json spec;               // echo of the spec (path, base, axes) for summary.json
  std::vector<std::string> columns;  // axis keys, in axis order (zipped keys in zip order)
  std::vector<SweepPoint> points;
};

// Parses a spec file; throws InputError listing every problem (file:line:col: key: problem).
SweepSpec parse_sweep_spec(const std::string& path);
SweepSpec parse_sweep_spec_text(const std::string& text, const std::string& path);

// Number of points without building them (saturates at SIZE_MAX).
std::size_t count_sweep_points(const SweepSpec& spec);

// The points, first axis outermost (varies slowest), last axis innermost.
Sweep expand_sweep(const SweepSpec& spec);

// Loads the architecture (with every point's overrides), the workloads and the precision
// profiles the points use, so that unknown keys and bad values are reported before anything
// runs; problems caused by the spec are reported at the spec's line. Throws InputError.
void check_sweep_inputs(const SweepSpec& spec);

// parse + check + expand.
Sweep load_sweep(const std::string& path);

// sweep.json (the manifest written next to points/) and back; from_json throws
// std::runtime_error on a malformed manifest.
nlohmann::json sweep_to_json(const Sweep& sweep);
Sweep sweep_from_json(const nlohmann::json& json);

enum class PointStatus { kPending, kFinished, kFailed };
std::string_view to_string(PointStatus status);

struct PointResult {
  PointStatus status = PointStatus::kPending;
  nlohmann::json report;  // report.json of a finished point
  std::string error;      // error.txt of a failed point
};

// Status of one point directory: finished when report.json exists (run writes it
// atomically), failed when error.txt exists, else pending.
PointResult read_point_result(const std::string& point_dir);

// The text of error.txt for a failed point: the tail of its stderr, then how it ended
// ("exit code: 2", "killed by signal 9", "exit code: 0 (no report.json written)").
// scripts in sweep.slurm produce the same text.
inline constexpr std::size_t kMaxErrorStderrBytes = 16384;
std::string point_error_text(std::string_view stderr_text, const std::string& ending);

// Headline metrics copied from report.json into points.csv, in column order.
const std::vector<std::string>& sweep_metric_columns();

// points.csv: id, status, each axis column, workload_name, precision_name, the headline
// metrics (sweep_metric_columns(): totals, mapping.resident, baseline energy_reduction and
// latency_ratio), energy_pj.<component> and area_mm2.<component> for every component any
// finished point reports (sorted). Rows in point order; identical whatever order points ran in.
std::string points_csv(const Sweep& sweep, const std::vector<PointResult>& results);

// summary.json: spec echo, counts and per-point status, values and error.
nlohmann::json sweep_summary(const Sweep& sweep, const std::vector<PointResult>& results);

// The Slurm job-array script for a sweep written to `dir` (absolute), running `runner`.
// `point_timeout_s` > 0 stops a point's run after that many seconds, as --point-timeout does
// locally, and records it as a failure with that reason.
std::string slurm_script(const Sweep& sweep, const std::string& dir, const std::string& runner,
                         const std::vector<std::string>& sbatch_options, int max_parallel,
                         int point_timeout_s = 0);

// points.txt for the Slurm script: one line per point, the id then the runner arguments,
// every word single-quoted for the shell.
std::string slurm_points_list(const Sweep& sweep);

// `mixpim sweep` (sweep_cli.cpp).
int cmd_sweep(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace mixpim::sim
