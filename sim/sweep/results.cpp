// Sweep results: each point's status, points.csv and summary.json.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "sim/sweep/sweep.h"
#include "sim/util/text_table.h"

namespace mixpim::sim {

namespace fs = std::filesystem;

namespace {

std::string json_cell(const nlohmann::json* value) {
  if (value == nullptr || value->is_null()) return "";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number() || value->is_boolean()) return value->dump();
  return "";
}

// A metric: a number or a boolean as JSON writes it; anything else (a string where a number
// belongs) is left empty rather than copied into a numeric column.
std::string number_cell(const nlohmann::json* value) {
  if (value == nullptr || !(value->is_number() || value->is_boolean())) return "";
  return value->dump();
}

const nlohmann::json* json_at(const nlohmann::json& json, std::initializer_list<const char*> path) {
  const nlohmann::json* node = &json;
  for (const char* key : path) {
    if (!node->is_object()) return nullptr;
    auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Totals and baseline fields copied into points.csv: column name, then JSON path.
struct MetricColumn {
  const char* column;
  const char* section;
  const char* key;
};
const std::vector<MetricColumn>& metric_table() {
  static const std::vector<MetricColumn> table = {
      {"energy_pj", "totals", "energy_pj"},
      {"latency_ns", "totals", "latency_ns"},
      {"area_mm2", "totals", "area_mm2"},
      {"tops_per_w", "totals", "tops_per_w"},
      {"tops_per_mm2", "totals", "tops_per_mm2"},
      {"throughput_inferences_per_s", "totals", "throughput_inferences_per_s"},
      {"edp_pj_ns", "totals", "edp_pj_ns"},
      {"macs", "totals", "macs"},
      {"resident", "mapping", "resident"},  // false: time-multiplexed (weights reprogrammed)
      {"adc_bits", "adc", "built_bits"},    // converters as built (sim/compiler/adc.h)
      {"adc_exact", "adc", "exact"},        // false: some conversions lose bits
      {"baseline_adc_exact", "baseline", "adc_exact"},
      {"energy_reduction", "baseline", "energy_reduction"},
      {"latency_ratio", "baseline", "latency_ratio"},
  };
  return table;
}
// Text copied into points.csv (not numbers): which profile the ratios compare with.
const std::vector<MetricColumn>& text_metric_table() {
  static const std::vector<MetricColumn> table = {
      {"baseline_precision", "baseline", "precision"},
  };
  return table;
}
// The functional engine's figures, when any point has them.
const std::vector<MetricColumn>& functional_metric_table() {
  static const std::vector<MetricColumn> table = {
      {"functional_exact", "functional", "exact"},
      {"top1_agreement", "functional", "end_to_end_top1_agreement"},
      {"accuracy", "functional", "accuracy"},
      {"reference_accuracy", "functional", "reference_accuracy"},
  };
  return table;
}
const std::vector<MetricColumn>& digital_metric_table() {
  static const std::vector<MetricColumn> table = {
      {"digital_energy_reduction", "digital_baseline", "energy_reduction"},
      {"digital_latency_ratio", "digital_baseline", "latency_ratio"},
  };
  return table;
}

}  // namespace

std::string_view to_string(PointStatus status) {
  switch (status) {
    case PointStatus::kPending:
      return "pending";
    case PointStatus::kFinished:
      return "finished";
    case PointStatus::kFailed:
      return "failed";
  }
  return "?";
}

PointResult read_point_result(const std::string& point_dir) {
  PointResult result;
  const fs::path dir(point_dir);
  std::error_code ec;
  if (fs::is_regular_file(dir / "report.json", ec)) {
    try {
      result.report = nlohmann::json::parse(read_text(dir / "report.json"));
      if (!result.report.is_object()) throw std::runtime_error("not a JSON object");
      // A report is finished only with the totals every points.csv row is built from, as
      // numbers ({} or a string latency is a broken run, not a result).
      for (const char* key : {"energy_pj", "latency_ns", "area_mm2"}) {
        const nlohmann::json* value = json_at(result.report, {"totals", key});
        if (value == nullptr || !value->is_number()) {
          throw std::runtime_error(std::string("totals.") + key + " is missing or not a number");
        }
      }
      result.status = PointStatus::kFinished;
    } catch (const std::exception& e) {
      result.status = PointStatus::kFailed;
      result.report = nlohmann::json();
      result.error = std::string("report.json is unreadable: ") + e.what() + "\n";
    }
    return result;
  }
  if (fs::is_regular_file(dir / "error.txt", ec)) {
    result.status = PointStatus::kFailed;
    result.error = read_text(dir / "error.txt");
  }
  return result;
}

std::string point_error_text(std::string_view stderr_text, const std::string& ending) {
  std::string text(stderr_text.size() > kMaxErrorStderrBytes
                       ? stderr_text.substr(stderr_text.size() - kMaxErrorStderrBytes)
                       : stderr_text);
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text + ending + "\n";
}

const std::vector<std::string>& sweep_metric_columns() {
  static const std::vector<std::string> columns = [] {
    std::vector<std::string> names;
    for (const MetricColumn& m : metric_table()) names.push_back(m.column);
    return names;
  }();
  return columns;
}

std::string points_csv(const Sweep& sweep, const std::vector<PointResult>& results) {
  std::set<std::string> energy_components;
  std::set<std::string> area_components;
  for (const PointResult& r : results) {
    const nlohmann::json* components = json_at(r.report, {"components"});
    if (r.status != PointStatus::kFinished || components == nullptr || !components->is_object()) {
      continue;
    }
    for (auto it = components->begin(); it != components->end(); ++it) {
      if (json_at(it.value(), {"energy_pj"}) != nullptr) energy_components.insert(it.key());
      if (json_at(it.value(), {"area_mm2"}) != nullptr) area_components.insert(it.key());
    }
  }
  // The digital baseline's ratios, when any point has one.
  bool digital = false;
  for (const PointResult& r : results) {
    digital = digital || (r.status == PointStatus::kFinished &&
                          json_at(r.report, {"digital_baseline", "energy_reduction"}) != nullptr);
  }
  bool functional = false;
  for (const PointResult& r : results) {
    functional = functional || (r.status == PointStatus::kFinished &&
                                json_at(r.report, {"functional", "exact"}) != nullptr);
  }
  std::vector<std::string> header = {"id", "status"};
  header.insert(header.end(), sweep.columns.begin(), sweep.columns.end());
  header.push_back("workload_name");
  header.push_back("precision_name");
  for (const MetricColumn& m : metric_table()) header.push_back(m.column);
  for (const MetricColumn& m : text_metric_table()) header.push_back(m.column);
  if (digital) {
    for (const MetricColumn& m : digital_metric_table()) header.push_back(m.column);
  }
  if (functional) {
    for (const MetricColumn& m : functional_metric_table()) header.push_back(m.column);
  }
  for (const std::string& c : energy_components) header.push_back("energy_pj." + c);
  for (const std::string& c : area_components) header.push_back("area_mm2." + c);

  std::string csv;
  auto add_row = [&](const std::vector<std::string>& cells) {
    for (size_t i = 0; i < cells.size(); ++i) csv += (i ? "," : "") + csv_cell(cells[i]);
    csv += "\n";
  };
  add_row(header);
  for (size_t i = 0; i < sweep.points.size(); ++i) {
    const SweepPoint& p = sweep.points[i];
    static const PointResult kPending;
    const PointResult& r = i < results.size() ? results[i] : kPending;
    std::vector<std::string> row = {p.id, std::string(to_string(r.status))};
    row.insert(row.end(), p.values.begin(), p.values.end());
    const nlohmann::json& report = r.report;
    row.push_back(json_cell(json_at(report, {"run", "workload", "name"})));
    row.push_back(json_cell(json_at(report, {"run", "precision", "name"})));
    for (const MetricColumn& m : metric_table()) {
      row.push_back(number_cell(json_at(report, {m.section, m.key})));
    }
    for (const MetricColumn& m : text_metric_table()) {
      row.push_back(json_cell(json_at(report, {m.section, m.key})));
    }
    if (digital) {
      for (const MetricColumn& m : digital_metric_table()) {
        row.push_back(number_cell(json_at(report, {m.section, m.key})));
      }
    }
    if (functional) {
      for (const MetricColumn& m : functional_metric_table()) {
        row.push_back(number_cell(json_at(report, {m.section, m.key})));
      }
    }
    for (const std::string& c : energy_components) {
      row.push_back(number_cell(json_at(report, {"components", c.c_str(), "energy_pj"})));
    }
    for (const std::string& c : area_components) {
      row.push_back(number_cell(json_at(report, {"components", c.c_str(), "area_mm2"})));
    }
    add_row(row);
  }
  return csv;
}

nlohmann::json sweep_summary(const Sweep& sweep, const std::vector<PointResult>& results) {
  size_t finished = 0, failed = 0, pending = 0;
  nlohmann::json points = nlohmann::json::array();
  for (size_t i = 0; i < sweep.points.size(); ++i) {
    const SweepPoint& p = sweep.points[i];
    const PointStatus status = i < results.size() ? results[i].status : PointStatus::kPending;
    finished += status == PointStatus::kFinished;
    failed += status == PointStatus::kFailed;
    pending += status == PointStatus::kPending;
    nlohmann::json values = nlohmann::json::object();
    for (size_t c = 0; c < sweep.columns.size() && c < p.values.size(); ++c) {
      values[sweep.columns[c]] = p.values[c];
    }
    nlohmann::json entry = {
        {"index", p.index}, {"id", p.id}, {"status", to_string(status)}, {"values", values}};
    if (status == PointStatus::kFailed) {
      std::string error = results[i].error;
      while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
      constexpr size_t kMaxShown = 4000;
      if (error.size() > kMaxShown) error = "..." + error.substr(error.size() - kMaxShown);
      entry["error"] = error;
    }
    points.push_back(std::move(entry));
  }
  return {{"schema_version", 1},
          {"name", sweep.name},
          {"spec", sweep.spec},
          {"columns", sweep.columns},
          {"counts",
           {{"total", sweep.points.size()},
            {"finished", finished},
            {"failed", failed},
            {"pending", pending}}},
          {"points", points}};
}

}  // namespace mixpim::sim
