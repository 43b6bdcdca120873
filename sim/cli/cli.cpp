// The commands (info, import, map, run, config; sweep is sweep_cli.cpp) and their dispatch.
// Over 500 lines: `run` is one sequence (read and check every input, then time, then write,
// report.json last) whose order is its contract: nothing is written before every check passed.
#include "sim/cli/cli.h"

#include <mixpim/version.h>

#include <boost/program_options.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

#include "sim/engines/analytic.h"
#include "sim/config/arch_config.h"
#include "sim/util/atomic_file.h"
#include "sim/config/config_echo.h"
#include "sim/util/diagnostics.h"
#include "sim/engines/digital_baseline.h"
#include "sim/engines/energy_model.h"
#include "sim/engines/engine.h"
#include "sim/cli/engines.h"
#include "sim/compiler/mapping.h"
#include "sim/report/mapping_report.h"
#include "sim/workload/precision.h"
#include "sim/util/process_pool.h"
#include "sim/report/run_report.h"
#include "sim/util/npy.h"
#include "sim/workload/onnx_import.h"
#include "sim/sweep/sweep.h"
#include "sim/config/tech_table.h"
#include "sim/workload/workload.h"
#include "sim/report/workload_report.h"

namespace mixpim::sim {

namespace po = boost::program_options;

namespace {

struct Command {
  const char* name;
  const char* summary;
  std::function<int(const std::vector<std::string>&, std::ostream&, std::ostream&)> run;
};

// Thrown for command-line mistakes; reported with a pointer to --help.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses `args` against `options`; returns false (after printing help) for --help.
bool parse_options(const std::string& command, const std::vector<std::string>& args,
                   po::options_description& options, po::variables_map& values,
                   const std::string& usage, std::ostream& out,
                   const po::positional_options_description* positional = nullptr) {
  options.add_options()("help,h", "show this help");
  try {
    // No positional arguments unless the command names them: a stray word (a --set value
    // without its --set) is a usage error, not silently dropped.
    const po::positional_options_description none;
    po::store(po::command_line_parser(args)
                  .options(options)
                  .positional(positional != nullptr ? *positional : none)
                  .run(),
              values);
    if (values.count("help")) {
      out << "usage: mixpim " << command << " " << usage << "\n\n" << options << "\n";
      return false;
    }
    po::notify(values);
  } catch (const po::error& e) {
    throw UsageError(e.what());
  }
  return true;
}

// Writes `content` to `path`, or to `out` when path is "-" or empty.
void emit(const std::string& path, const std::string& content, std::ostream& out) {
  if (path.empty() || path == "-") {
    out << content;
  } else {
    write_file_atomically(path, content);
  }
}

int cmd_info(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description options("options");
  std::string workload_path;
  std::string precision_path;
  std::string output_path;
  options.add_options()("workload,w", po::value(&workload_path)->required(),
                        "network file (workloads/*.yaml)")(
      "precision,p", po::value(&precision_path),
      "precision profile (workloads/profiles/...); default: built-in uniform 16-bit")(
      "json", "print JSON (layers[] and totals) instead of a table")(
      "output,o", po::value(&output_path), "write to this file (atomically) instead of stdout");
  po::variables_map values;
  if (!parse_options("info", args, options, values, "--workload FILE [--precision FILE] [--json]",
                     out)) {
    return kExitOk;
  }
  const Network network = load_network(workload_path);
  const PrecisionProfile profile = precision_path.empty() ? uniform_profile(network, kBaselineBits)
                                                          : load_profile(precision_path, network);
  for (const std::string& w : profile_warnings(network, profile)) {
    err << "warning: " << precision_path << ": " << w << "\n";
  }
  const std::string content = values.count("json")
                                  ? workload_summary_json(network, profile).dump(2) + "\n"
                                  : workload_summary_text(network, profile);
  emit(output_path, content, out);
  return kExitOk;
}

// The inputs of every command that simulates: a preset with overrides, a network, a profile.
struct SimulationInputs {
  std::string arch_path;
  std::vector<std::string> overrides;
  std::string workload_path;
  std::string precision_path;

  void add_to(po::options_description& options) {
    options.add_options()("arch,a", po::value(&arch_path)->required(),
                          "architecture preset (configs/arch/*.yaml)")(
        "set,s", po::value(&overrides)->composing(),
        "override a key: --set pe.crossbar.rows=256 (repeatable)")(
        "workload,w", po::value(&workload_path)->required(), "network file (workloads/*.yaml)")(
        "precision,p", po::value(&precision_path),
        "precision profile (workloads/profiles/...); default: built-in uniform 16-bit");
  }
  PrecisionProfile profile_for(const Network& network) const {
    return precision_path.empty() ? uniform_profile(network, kBaselineBits)
                                  : load_profile(precision_path, network);
  }
  // The profile, with its pruning warnings on `err` (precision.h profile_warnings).
  PrecisionProfile profile_for(const Network& network, std::ostream& err) const {
    PrecisionProfile profile = profile_for(network);
    for (const std::string& w : profile_warnings(network, profile)) {
      err << "warning: " << (precision_path.empty() ? std::string("profile") : precision_path)
          << ": " << w << "\n";
    }
    return profile;
  }
};

int cmd_map(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description options("options");
  SimulationInputs in;
  std::string output_path;
  in.add_to(options);
  options.add_options()("json", "print JSON (layers[] and totals) instead of a table")(
      "output,o", po::value(&output_path), "write to this file (atomically) instead of stdout");
  po::variables_map values;
  if (!parse_options("map", args, options, values,
                     "--arch FILE --workload FILE [--precision FILE] [--set key=value]... [--json]",
                     out)) {
    return kExitOk;
  }
  const ArchConfig arch = load_arch_config(in.arch_path, in.overrides);
  const Network network = load_network(in.workload_path);
  const PrecisionProfile profile = in.profile_for(network, err);
  const NetworkMapping mapping = map_network(network, profile, arch);
  const std::string content = values.count("json")
                                  ? mapping_json(network, arch, mapping).dump(2) + "\n"
                                  : mapping_text(network, arch, mapping);
  emit(output_path, content, out);
  return kExitOk;
}

// Maps and evaluates one configuration; `run.mapping` points into `mapping`. `engine` times
// the mapped program (the analytic engine by default).
RunCase evaluate_case(const Network& network, const PrecisionProfile& profile,
                      const ArchConfig& arch, const TechTable& table, NetworkMapping& mapping,
                      int64_t batch,
                      const std::function<PerformanceResult(const NetworkMapping&)>& engine = {}) {
  mapping = map_network(network, profile, arch);
  RunCase run;
  run.network = &network;
  run.profile = &profile;
  run.arch = &arch;
  run.mapping = &mapping;
  run.evaluation = evaluate(engine ? engine(mapping) : analyze(network, profile, arch, mapping),
                            arch, table, batch);
  return run;
}

std::string join_command(const std::string& command, const std::vector<std::string>& args) {
  std::string text = "mixpim " + command;
  for (const std::string& a : args) {
    const bool plain = a.find_first_of(" \t'\"$") == std::string::npos && !a.empty();
    text += " " + (plain ? a : "'" + a + "'");
  }
  return text;
}

// A run by `engine` in a child process (the cycle engine's SystemC kernel elaborates once per
// process) of `in` with the precision profile `precision_path`, `extra` arguments and the
// engine's own (Engine::child_arguments); returns its report.json. Throws std::runtime_error
// naming `what` when the child fails.
nlohmann::ordered_json child_report(const std::string& engine, const Engine& engine_options,
                                    const SimulationInputs& in, const std::string& precision_path,
                                    const std::vector<std::string>& extra,
                                    const std::string& tech_path, int batch,
                                    const std::string& out_dir, const std::string& what) {
  std::string dir = out_dir + "/.child-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) {
    throw std::runtime_error("cannot create a directory in " + out_dir);
  }
  ProcessTask task;
  task.argv = {
      "/proc/self/exe", "run",    "--engine", engine,          "--arch", in.arch_path, "--workload",
      in.workload_path, "--tech", tech_path,  "--no-baseline", "--out",  dir};
  for (const std::string& o : in.overrides) task.argv.insert(task.argv.end(), {"--set", o});
  if (!precision_path.empty()) task.argv.insert(task.argv.end(), {"--precision", precision_path});
  task.argv.insert(task.argv.end(), {"--batch", std::to_string(batch)});
  task.argv.insert(task.argv.end(), extra.begin(), extra.end());
  const std::vector<std::string> own = engine_options.child_arguments();
  task.argv.insert(task.argv.end(), own.begin(), own.end());
  task.stdout_path = dir + "/stdout.txt";
  task.stderr_path = dir + "/stderr.txt";
  ProcessOutcome outcome;
  ProcessPool(1).run(
      1, [&](size_t) { return task; }, [&](size_t, const ProcessOutcome& o) { outcome = o; },
      [] {});
  std::ifstream report(dir + "/report.json");
  std::error_code ignored;
  if (!outcome.exited || outcome.exit_code != 0 || !report) {
    std::ifstream err(dir + "/stderr.txt");
    const std::string text((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
    std::filesystem::remove_all(dir, ignored);
    throw std::runtime_error("the " + engine + "-engine " + what + " failed: " + text);
  }
  nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(report);
  report.close();
  std::filesystem::remove_all(dir, ignored);
  return parsed;
}

// Says on stderr when a run's conversions lose bits (sim/compiler/adc.h); with --strict-adc that is an
// error (exit 2) raised before anything is written.
void check_adc_exact(const RunCase& run, const std::string& what, bool strict, std::ostream& err) {
  std::string layers;
  int count = 0, needed = 0, bits = 0;
  for (const LayerPerformance& l : run.evaluation.performance.layers) {
    if (l.mapping < 0 || l.adc.exact) continue;
    if (count++ < 3) layers += (layers.empty() ? "" : ", ") + l.name;
    needed = std::max(needed, std::max(l.adc.needed_bits, l.adc.range_bits));
    bits = l.adc.bits;
  }
  if (count == 0) return;
  const ArchConfig& arch = *run.arch;
  const std::string message =
      what + ": " + std::to_string(count) + " layer(s) (" + layers + (count > 3 ? ", ..." : "") +
      ") convert column sums of up to " + std::to_string(needed) + " bits with " +
      std::to_string(bits) + "-bit ADCs, so the energy and latency are those of a chip that " +
      "computes wrong answers; use pe.adc.resolution: exact, more pe.adc.bits" +
      (arch.pe.crossbar.weight_flipping ? "" : ", pe.crossbar.weight_flipping: true") +
      " or smaller arrays";
  if (strict) {
    throw InputError(
        {{key_location(arch, {"pe", "adc", "bits"}), "pe.adc.bits", message + " (--strict-adc)"}});
  }
  err << "warning: " << message << "\n";
}

int cmd_run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description options("options");
  SimulationInputs in;
  const EngineRegistry& engines = engine_registry();
  std::string engine_name = "analytic";
  std::string tech_path;
  std::string out_dir;
  EngineSettings settings;
  std::string digital_path;
  std::string baseline_path;
  std::string activity_path;
  std::vector<std::string> digital_overrides;
  in.add_to(options);
  options.add_options()(
      "engine,e", po::value(&engine_name)->default_value("analytic"), engines.help_text().c_str())(
      "trace", po::value(&settings.trace_path),
      "cycle: write a Chrome trace-event timeline (Perfetto) to FILE")(
      "inferences", po::value(&settings.inferences),
      "cycle: inferences simulated back to back (default 4 when layer-pipelined, else 1); the "
      "interval is the mean spacing of their completions")(
      "every-pe",
      "cycle: simulate one pipeline per PE, not one per class of identical PEs (slower; the same "
      "counts, times equal up to the order of simultaneous events)")(
      "seed", po::value(&settings.seed_text)->default_value("1"),
      "functional: seed of the random inputs and weights")(
      "batch", po::value(&settings.batch)->default_value(1),
      "inferences per batch: time-multiplexed weights are rewritten once per batch, so their "
      "energy and time per inference fall as 1/N; functional: inputs run (top-1 agreement)")(
      "data", po::value(&settings.data_map_path),
      "functional: YAML map of layer name (or `input`, or <layer>.bias) -> .npy file: integer "
      "weights, float weights (quantized per channel) or inputs; an .onnx workload brings its "
      "own float weights")(
      "labels", po::value(&settings.labels_path),
      "functional: .npy of integer class labels, one per input: accuracy in the report")(
      "threads", po::value(&settings.threads),
      "functional: worker threads (default: one per core; results do not depend on it)")(
      "activity", po::value(&activity_path),
      "analytic, cycle: input activity per weight layer (sim/compiler/activity.h; written by "
      "--activity-out): report.json's data_aware block gives the energy (and, with "
      "pe.adc.skip_zero_blocks, the latency) at that activity beside the data-independent figures")(
      "activity-applied",
      "with --activity: report the run at that activity as its own figures, without the "
      "data_aware block (cycle runs simulate their data-aware side this way in a child process)")(
      "activity-out", po::value(&settings.activity_out_path),
      "functional: write the input activity measured on the run's data to this YAML file")(
      "outputs", po::value(&settings.outputs_path),
      "functional: write the final layer's outputs (PIM path, end to end; real values) to this "
      ".npy file, shape [batch, ...]")("tech,t", po::value(&tech_path),
                                       "technology table (default: the preset's `tech`)")(
      "out,o", po::value(&out_dir)->required(), "directory for report.json, report.md, layers.csv")(
      "no-baseline", "skip the baseline run")(
      "baseline", po::value(&baseline_path),
      "precision profile the run is compared with (default: the built-in uniform 16-bit)")(
      "strict-adc",
      "refuse (exit 2) a run whose ADCs have fewer bits than its column sums need, instead of "
      "warning")("digital", po::value(&digital_path),
                 "also compare with a digital 16-bit MAC-array baseline (configs/digital/*.yaml)")(
      "digital-set", po::value(&digital_overrides)->composing(),
      "override a key of the digital preset: --digital-set mac_array.rows=64 (repeatable)");
  po::variables_map values;
  if (!parse_options(
          "run", args, options, values,
          "--arch FILE --workload FILE [--precision FILE] [--set key=value]... --out DIR", out)) {
    return kExitOk;
  }
  const EngineEntry* entry = engines.find(engine_name);
  if (entry == nullptr) {
    throw UsageError("unknown engine '" + engine_name + "' (available: " + engines.names_text() +
                     ")");
  }
  // Each engine checks its options: its own for this run, and that no option of its is given
  // to another engine.
  const OptionUse use{engine_name, [&](const std::string& option) {
                        return values.count(option) != 0 && !values[option].defaulted();
                      }};
  try {
    for (const EngineEntry& e : engines.entries()) {
      if (e.check_options) e.check_options(use, settings);
    }
  } catch (const EngineUsageError& e) {
    throw UsageError(e.what());
  }
  if (digital_path.empty() && !digital_overrides.empty()) {
    throw UsageError("--digital-set needs --digital");
  }
  if (settings.batch < 1 || settings.batch > (1 << 20)) {
    throw UsageError("--batch must be in [1, 1048576], got " + std::to_string(settings.batch));
  }
  if (!baseline_path.empty() && values.count("no-baseline")) {
    throw UsageError("--baseline and --no-baseline exclude each other");
  }
  const bool activity_applied = values.count("activity-applied") != 0;
  if (activity_applied && activity_path.empty()) {
    throw UsageError("--activity-applied needs --activity");
  }
  const std::unique_ptr<Engine> engine = entry->make(settings);
  const ArchConfig arch = load_arch_config(in.arch_path, in.overrides);
  // An ONNX model brings its float weights to the functional engine (imported once).
  Network network;
  if (is_onnx_path(in.workload_path) && engine->uses_parameters()) {
    ImportedModel model = import_onnx(in.workload_path);
    network = load_imported_network(in.workload_path, model.workload_yaml);
    engine->take_parameters(std::move(model.parameters), in.workload_path);
  } else {
    network = load_network(in.workload_path);
  }
  const PrecisionProfile profile = in.profile_for(network, err);
  std::optional<Activity> activity;
  if (!activity_path.empty()) activity = load_activity(activity_path, network, profile);
  const TechTable table = load_tech_table(tech_path.empty() ? resolve_tech_path(arch) : tech_path);
  check_converters(arch, table);
  engine->check(network);
  const bool strict_adc = values.count("strict-adc") != 0;
  // Every input is read and checked before anything runs or is written.
  std::optional<DigitalConfig> digital;
  std::optional<TechTable> digital_table;
  if (!digital_path.empty()) {
    digital = load_digital_config(digital_path, digital_overrides);
    digital_table = load_digital_table(resolve_digital_tech_path(*digital));
  }
  NetworkMapping mapping;
  // The engine times the program; energy comes from its counts and times through the one model.
  const Activity* applied = activity_applied ? &*activity : nullptr;
  const RunCase run =
      evaluate_case(network, profile, arch, table, mapping, settings.batch,
                    [&](const NetworkMapping& m) {
                      return engine->time({network, profile, arch, m, applied});
                    });
  check_adc_exact(run, "ADC", strict_adc, err);

  // The 16-bit baseline on the same hardware, by the same engine; if it does not fit where the
  // profile does, it is time-multiplexed (and the report says so) rather than refused. Its
  // analytic evaluation comes before anything is written (--strict-adc may refuse it).
  std::optional<BaselineFigures> baseline;
  std::optional<RunCase> baseline_analytic;
  bool baseline_reprogrammed = false;
  const PrecisionProfile baseline_profile = baseline_path.empty()
                                                ? uniform_profile(network, kBaselineBits)
                                                : load_profile(baseline_path, network);
  ArchConfig baseline_arch = arch;
  NetworkMapping baseline_mapping;
  if (values.count("no-baseline") == 0) {
    try {
      baseline_analytic = evaluate_case(network, baseline_profile, baseline_arch, table,
                                        baseline_mapping, settings.batch);
    } catch (const InputError&) {
      baseline_arch.mapping.allow_reprogramming = true;
      baseline_reprogrammed = true;
      baseline_analytic = evaluate_case(network, baseline_profile, baseline_arch, table,
                                        baseline_mapping, settings.batch);
    }
    check_adc_exact(
        *baseline_analytic,
        (baseline_path.empty() ? std::string("16-bit") : baseline_profile.name) + " baseline ADC",
        strict_adc, err);
  }
  std::optional<DigitalResult> digital_result;
  if (digital) {
    digital_result = analyze_digital(network, *digital, *digital_table);
    if (!digital_result->exact) {
      // The digital baseline's counterpart of an inexact ADC: accumulators too narrow.
      const std::string message =
          "digital baseline: " + std::to_string(digital->accumulator_bits) +
          "-bit accumulators, but its sums need up to " +
          std::to_string(digital_result->accumulator_bits_needed) +
          " bits (16-bit activations x 16-bit weights over the largest reduction); set "
          "mac_array.accumulator_bits";
      if (strict_adc) {
        Diagnostic d;
        d.where = digital->accumulator_where;
        d.key_path = "mac_array.accumulator_bits";
        d.message = message + " (--strict-adc)";
        throw InputError({d});
      }
      err << "warning: " << message << "\n";
    }
  }
  std::filesystem::create_directories(out_dir);
  if (baseline_analytic) {
    baseline =
        !engine->in_process()
            ? baseline_figures(
                  child_report(
                      engine_name, *engine, in, baseline_path,
                      baseline_reprogrammed
                          ? std::vector<std::string>{"--set", "mapping.allow_reprogramming=true"}
                          : std::vector<std::string>{},
                      table.path, settings.batch, out_dir, "16-bit baseline"),
                  baseline_reprogrammed)
            : baseline_figures(*baseline_analytic, baseline_reprogrammed);
  }
  RunInfo info;
  info.engine = engine_name;
  info.version = kVersion;
  info.git_revision = kGitRevision;
  info.command = join_command("run", args);
  nlohmann::ordered_json report =
      run_report_json(run, table, info, baseline ? &*baseline : nullptr);
  if (digital) {
    report["digital_baseline"] = digital_baseline_json(
        *digital_result, *digital, *digital_table, run.evaluation.energy_pj(),
        run.evaluation.latency_ns, run.evaluation.interval_ns, table.technology_nm);
  }
  // Data-aware figures: the same run at the input activity, by the same engine (the cycle
  // engine's in a child process, its kernel elaborating once per process).
  auto data_aware_report = [&](const Activity& a) {
    RunCase aware = run;
    aware.evaluation =
        evaluate(engine->time({network, profile, arch, mapping, &a}), arch, table, settings.batch);
    return run_report_json(aware, table, info, nullptr);
  };
  // The engine's own blocks (cycle statistics; the functional engine's data and the data-aware
  // figures at the activity it measured).
  engine->add_to_report(
      {network, profile, arch, mapping, applied}, report,
      [&](const Activity& a, const std::string& source) {
        report["data_aware"] = data_aware_json(report, data_aware_report(a), source,
                                               arch.pe.adc.skip_zero_blocks);
      });
  if (activity_applied) {
    report["activity_applied"] = activity_path;
  } else if (activity) {
    const nlohmann::ordered_json aware =
        !engine->in_process()
            ? child_report(engine_name, *engine, in, in.precision_path,
                           {"--activity", activity_path, "--activity-applied"}, table.path,
                           settings.batch, out_dir, "data-aware run")
            : data_aware_report(*activity);
    report["data_aware"] = data_aware_json(report, aware, "activity file " + activity_path,
                                           arch.pe.adc.skip_zero_blocks);
  }
  // report.json last: its presence marks a finished run (sweeps resume on it).
  write_file_atomically(out_dir + "/report.md", run_report_markdown(report));
  write_file_atomically(out_dir + "/layers.csv", layers_csv(report));
  write_file_atomically(out_dir + "/report.json", report.dump(2) + "\n");
  out << run_summary_text(report);
  engine->print_summary(out, err);
  out << "  written    " << out_dir << "/report.json, report.md, layers.csv\n";
  return kExitOk;
}

int cmd_config(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  po::options_description options("options");
  std::string arch_path;
  std::vector<std::string> overrides;
  std::string output_path;
  options.add_options()("arch,a", po::value(&arch_path)->required(),
                        "architecture preset (configs/arch/*.yaml)")(
      "set,s", po::value(&overrides)->composing(),
      "override a key: --set pe.crossbar.rows=256 (repeatable)")(
      "output,o", po::value(&output_path), "write to this file (atomically) instead of stdout");
  po::variables_map values;
  if (!parse_options("config", args, options, values, "--arch FILE [--set key=value]...", out)) {
    return kExitOk;
  }
  const ArchConfig config = load_arch_config(arch_path, overrides);
  emit(output_path, arch_config_json(config).dump(2) + "\n", out);
  return kExitOk;
}

// Writes an ONNX model as a workload file (sim/workload/onnx_import.h), checked by reading it back.
int cmd_import(const std::vector<std::string>& args, std::ostream& out, std::ostream&) {
  po::options_description options("options");
  std::string model_path;
  std::string output_path;
  std::string weights_dir;
  options.add_options()("model", po::value(&model_path)->required(), "ONNX model (.onnx)")(
      "output,o", po::value(&output_path),
      "write the workload YAML to this file (atomically) instead of stdout")(
      "weights", po::value(&weights_dir),
      "also write each conv2d/linear layer's float weights and bias (batch norm folded) as "
      "<layer>.npy and <layer>.bias.npy into DIR, with data.yaml mapping them (for --data)");
  po::positional_options_description positional;
  positional.add("model", 1);
  po::variables_map values;
  if (!parse_options("import", args, options, values, "MODEL.onnx [--output FILE] [--weights DIR]",
                     out, &positional)) {
    return kExitOk;
  }
  const ImportedModel model = import_onnx(model_path);
  // The checks every command applies to a workload.
  const Network network = load_imported_network(model_path, model.workload_yaml);
  if (!weights_dir.empty()) {
    std::filesystem::create_directories(weights_dir);
    std::string map =
        "# Float weights of " + network.name + " (mixpim import --weights); for --data\n";
    for (const Layer& layer : network.layers) {
      const auto it = model.parameters.find(layer.name);
      if (it == model.parameters.end()) continue;
      const LayerParameters& p = it->second;
      write_file_atomically(weights_dir + "/" + layer.name + ".npy",
                            npy_float64_bytes(p.weight_shape, p.weights));
      write_file_atomically(weights_dir + "/" + layer.name + ".bias.npy",
                            npy_float64_bytes({static_cast<int64_t>(p.bias.size())}, p.bias));
      map += "\"" + layer.name + "\": \"" + layer.name + ".npy\"\n\"" + layer.name + ".bias\": \"" +
             layer.name + ".bias.npy\"\n";
    }
    write_file_atomically(weights_dir + "/data.yaml", map);
  }
  emit(output_path, model.workload_yaml, out);
  return kExitOk;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> list = {
      {"info", "per-layer shapes, MACs, weights, bits and weight memory of a workload", cmd_info},
      {"import", "write an ONNX model as a workload file (every --workload also takes .onnx)",
       cmd_import},
      {"map", "map a workload onto crossbars, PEs and tiles (arrays, utilisation, replication)",
       cmd_map},
      {"run", "simulate a workload: energy, latency, area, throughput, 16-bit baseline comparison",
       cmd_run},
      {"config", "validate an architecture preset (+ --set overrides) and print it resolved",
       cmd_config},
      {"sweep", "run a sweep spec's points in parallel (resumable); Slurm arrays; points.csv",
       cmd_sweep},
  };
  return list;
}

void print_usage(std::ostream& out) {
  out << "usage: mixpim <command> [options]\n"
         "       mixpim --version | --help\n\n"
         "mixpim simulates processing-in-memory DNN accelerators built from crossbar arrays,\n"
         "for mixed-precision quantized networks.\n\ncommands:\n";
  for (const Command& c : commands())
    out << "  " << c.name << std::string(10 - std::string(c.name).size(), ' ') << c.summary << "\n";
  out << "\n'mixpim <command> --help' describes a command's options.\n"
         "exit codes: 0 success, 1 internal or I/O failure, 2 bad input or usage\n";
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    print_usage(err);
    return kExitBadInput;
  }
  const std::string& first = args.front();
  if (first == "--help" || first == "-h" || first == "help") {
    print_usage(out);
    return kExitOk;
  }
  if (first == "--version") {
    out << "mixpim " << kVersion;
    if (kGitRevision[0] != '\0') out << " (" << kGitRevision << ")";
    out << "\n";
    return kExitOk;
  }
  for (const Command& command : commands()) {
    if (first != command.name) continue;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
      return command.run(rest, out, err);
    } catch (const UsageError& e) {
      err << "mixpim " << command.name << ": " << e.what() << "\n"
          << "Try 'mixpim " << command.name << " --help'.\n";
      return kExitBadInput;
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) err << "error: " << d.to_string() << "\n";
      return kExitBadInput;
    } catch (const std::exception& e) {
      err << "mixpim " << command.name << ": error: " << e.what() << "\n";
      return kExitFailure;
    }
  }
  err << "mixpim: unknown command '" << first << "'\n";
  print_usage(err);
  return kExitBadInput;
}

}  // namespace mixpim::sim
