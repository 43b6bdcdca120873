#include "sim/sweep/sweep.h"

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

#include "sim/config/arch_config.h"
#include "sim/engines/digital_baseline.h"
#include "sim/engines/engine.h"
#include "sim/workload/precision.h"
#include "sim/config/tech_table.h"
#include "sim/util/text_table.h"
#include "sim/workload/workload.h"
#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

namespace fs = std::filesystem;

namespace {

const std::vector<std::string_view> kSpecialKeys = {
    kSweepArch,     kSweepWorkload, kSweepPrecision, kSweepEngine, kSweepDigital,
    kSweepBaseline, kSweepData,     kSweepLabels,    kSweepBatch,  kSweepSeed};
constexpr const char* kDefaultEngine = "analytic";

bool is_special(std::string_view key) {
  return std::find(kSpecialKeys.begin(), kSpecialKeys.end(), key) != kSpecialKeys.end();
}

bool is_path_key(std::string_view key) {
  return is_special(key) && key != kSweepEngine && key != kSweepBatch && key != kSweepSeed;
}

// "pe.crossbar.rows": dot-separated names of letters, digits and underscores.
bool is_key_path(std::string_view key) {
  if (key.empty()) return false;
  bool component_empty = true;
  for (char c : key) {
    if (c == '.') {
      if (component_empty) return false;
      component_empty = true;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      component_empty = false;
    } else {
      return false;
    }
  }
  return !component_empty;
}

bool needs_quotes_in_flow(const std::string& text) {
  if (text.empty()) return true;
  if (text.front() == ' ' || text.back() == ' ') return true;
  return text.find_first_of(",[]{}:#'\"\n&*!|>%@`") != std::string::npos;
}

// YAML flow text that parses back to the same node (for --set values and CSV cells).
std::string flow_text(const YamlNode& node, bool nested) {
  switch (node.kind) {
    case YamlNode::Kind::kNull:
      return "null";
    case YamlNode::Kind::kScalar:
      if (node.quoted || (nested && needs_quotes_in_flow(node.scalar))) {
        return nlohmann::json(node.scalar).dump();  // JSON strings are YAML double-quoted
      }
      return node.scalar;
    case YamlNode::Kind::kSequence: {
      std::string text = "[";
      for (size_t i = 0; i < node.items.size(); ++i) {
        text += (i ? ", " : "") + flow_text(node.items[i], true);
      }
      return text + "]";
    }
    case YamlNode::Kind::kMap: {
      std::string text = "{";
      for (size_t i = 0; i < node.entries.size(); ++i) {
        const std::string& key = node.entries[i].key;
        text += (i ? ", " : "") + (needs_quotes_in_flow(key) ? nlohmann::json(key).dump() : key) +
                ": " + flow_text(node.entries[i].value, true);
      }
      return text + "}";
    }
  }
  return "";
}

// What a value means, for finding identical points (SpecParser::check_duplicate_values).
std::string canonical_value(const SweepValue& value) {
  const std::string& text = value.resolved;
  if (text != value.text) return text;  // a file: its absolute normalised path
  if (!text.empty()) {
    const char* begin = text.c_str();
    char* end = nullptr;
    const double number = std::strtod(begin, &end);
    const bool hex = text.find_first_of("xX") != std::string::npos;
    if (end == begin + text.size() && std::isfinite(number) && !hex) {
      std::array<char, 32> digits{};
      std::snprintf(digits.data(), digits.size(), "%.17g", number);
      return std::string("number:") + digits.data();
    }
  }
  std::string lower = text;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "true" || lower == "false") return "bool:" + lower;
  return "text:" + text;
}

class SpecParser {
 public:
  SpecParser(std::string path, Diagnostics& diagnostics)
      : path_(std::move(path)), diagnostics_(diagnostics) {
    spec_dir_ = fs::path(path_).parent_path();
  }

  SweepSpec parse(const YamlNode& root) {
    SweepSpec spec;
    spec.path = path_;
    YamlNode empty;
    empty.kind = YamlNode::Kind::kMap;
    empty.where = {path_, 1, 1};
    const YamlNode& top_node = root.is_null() ? empty : root;
    MapReader top(&top_node, "", diagnostics_, {path_, 1, 1});
    spec.name = top.string_or("name", fs::path(path_).stem().string());
    spec.description = top.string_or("description", "");
    {
      MapReader base = top.map("base", false);
      for (std::string_view key : kSpecialKeys) {
        const YamlNode* node = base.get(key, false);
        if (node == nullptr) continue;
        const std::string path = join_path("base", key);
        std::optional<SweepValue> value = parse_value(std::string(key), *node, path);
        if (value) spec.base.push_back({std::string(key), key_where(top_node, key, node), *value});
      }
      const YamlNode* set = base.get("set", false);
      if (set != nullptr) parse_set(*set, spec.sets);
    }
    const YamlNode* axes = top.get("axes", false);
    if (axes != nullptr) parse_axes(*axes, spec.axes);
    top.finish();

    // arch and workload must come from somewhere.
    for (std::string_view key : {kSweepArch, kSweepWorkload}) {
      bool given = std::any_of(spec.base.begin(), spec.base.end(),
                               [&](const SweepBaseEntry& e) { return e.key == key; });
      for (const SweepAxis& axis : spec.axes) {
        for (const SweepKey& k : axis.keys) given = given || k.key == key;
      }
      if (!given) {
        diagnostics_.add(top.where(), join_path("base", key),
                         "missing required key (give it in base or as an axis)");
      }
    }
    const size_t count = count_sweep_points(spec);
    if (count > kMaxSweepPoints) {
      diagnostics_.add(axes != nullptr ? axes->where : top.where(), "axes",
                       "the axes make " +
                           (count == SIZE_MAX ? std::string("too many") : std::to_string(count)) +
                           " points (at most " + std::to_string(kMaxSweepPoints) + ")");
    }
    return spec;
  }

 private:
  // Where base.<key> is written (errors about the key point at it, not at its value).
  static SourceLocation key_where(const YamlNode& top, std::string_view key,
                                  const YamlNode* value) {
    const YamlNode* base = top.find("base");
    if (base != nullptr) {
      for (const YamlMapEntry& e : base->entries) {
        if (e.key == key) return e.key_where;
      }
    }
    return value->where;
  }

  std::optional<SweepValue> parse_value(const std::string& key, const YamlNode& node,
                                        const std::string& path) {
    SweepValue value;
    value.where = node.where;
    if (key == kSweepEngine) {
      std::optional<size_t> choice = read_choice(node, path, engine_names(), diagnostics_);
      if (!choice) return std::nullopt;
      value.text = value.resolved = std::string(engine_names()[*choice]);
      return value;
    }
    if (key == kSweepBatch || key == kSweepSeed) {
      const int64_t low = key == kSweepBatch ? 1 : 0;
      const int64_t high = key == kSweepBatch ? int64_t{1} << 20 : int64_t{1} << 62;
      std::optional<int64_t> number = read_integer(node, path, low, high, diagnostics_);
      if (!number) return std::nullopt;
      value.text = value.resolved = std::to_string(*number);
      return value;
    }
    if (is_path_key(key)) {
      if (!node.is_scalar() || node.scalar.empty()) {
        diagnostics_.add(node.where, path, "expected a file path, got " + node.describe());
        return std::nullopt;
      }
      value.text = node.scalar;
      // Relative to the spec file, like `base:` in presets; absolute so that point processes
      // (and Slurm jobs) can run from any directory.
      value.resolved = fs::absolute(spec_dir_ / fs::path(node.scalar)).lexically_normal().string();
      return value;
    }
    if (node.is_null()) {
      diagnostics_.add(node.where, path, "expected a value, got nothing (null)");
      return std::nullopt;
    }
    value.text = value.resolved = flow_text(node, false);
    return value;
  }

  bool check_key(const YamlNode& node, const std::string& path, bool allow_special,
                 std::string& key) {
    if (!node.is_scalar() || node.quoted || !is_key_path(node.scalar)) {
      diagnostics_.add(
          node.where, path,
          "expected a key path like pe.crossbar.rows" +
              std::string(allow_special ? " or one of arch, workload, precision, engine" : "") +
              ", got " + node.describe());
      return false;
    }
    key = node.scalar;
    if (!allow_special && is_special(key)) {
      diagnostics_.add(node.where, path,
                       "\"" + key + "\" is not an architecture key: give it as base." + key);
      return false;
    }
    return true;
  }

  void parse_set(const YamlNode& set, std::vector<SweepBaseEntry>& out) {
    if (!set.is_map()) {
      diagnostics_.add(set.where, "base.set",
                       "expected a map of key paths to values, got " + set.describe());
      return;
    }
    for (const YamlMapEntry& entry : set.entries) {
      const std::string path = "base.set." + entry.key;
      YamlNode key_node;
      key_node.kind = YamlNode::Kind::kScalar;
      key_node.scalar = entry.key;
      key_node.where = entry.key_where;
      std::string key;
      if (!check_key(key_node, path, false, key)) continue;
      std::optional<SweepValue> value = parse_value(key, entry.value, path);
      if (value) out.push_back({key, entry.key_where, *value});
    }
  }

  std::optional<SweepKey> parse_key(MapReader& reader, const std::string& path) {
    const YamlNode* key_node = reader.get("key", true);
    const YamlNode* values = reader.get("values", true);
    SweepKey key;
    if (key_node == nullptr || !check_key(*key_node, join_path(path, "key"), true, key.key)) {
      return std::nullopt;
    }
    key.where = key_node->where;
    auto first = axis_keys_.emplace(key.key, key.where);
    if (!first.second) {
      diagnostics_.add(
          key.where, join_path(path, "key"),
          "\"" + key.key + "\" is already an axis (at " + first.first->second.to_string() + ")");
      return std::nullopt;
    }
    if (values == nullptr) return std::nullopt;
    const std::string values_path = join_path(path, "values");
    if (!values->is_sequence() || values->items.empty()) {
      diagnostics_.add(
          values->where, values_path,
          "expected a non-empty list of values, got " +
              (values->is_sequence() ? std::string("an empty list") : values->describe()));
      return std::nullopt;
    }
    bool ok = true;
    for (size_t i = 0; i < values->items.size(); ++i) {
      std::optional<SweepValue> value =
          parse_value(key.key, values->items[i], index_path(values_path, i));
      if (value) {
        key.values.push_back(*value);
      } else {
        ok = false;
      }
    }
    return ok ? std::optional<SweepKey>(std::move(key)) : std::nullopt;
  }

  void parse_axes(const YamlNode& axes, std::vector<SweepAxis>& out) {
    if (!axes.is_sequence()) {
      diagnostics_.add(axes.where, "axes", "expected a list of axes, got " + axes.describe());
      return;
    }
    for (size_t i = 0; i < axes.items.size(); ++i) {
      const YamlNode& item = axes.items[i];
      const std::string path = index_path("axes", i);
      MapReader reader(&item, path, diagnostics_, item.where);
      if (!reader.present()) continue;
      SweepAxis axis;
      axis.where = item.where;
      if (item.find("zip") != nullptr) {
        const YamlNode* zip = reader.get("zip", true);
        if (item.find("key") != nullptr || item.find("values") != nullptr) {
          diagnostics_.add(item.where, path, "an axis has either key and values, or zip: not both");
          reader.allow("key");
          reader.allow("values");
          continue;
        }
        axis.zipped = true;
        const std::string zip_path = join_path(path, "zip");
        if (!zip->is_sequence() || zip->items.empty()) {
          diagnostics_.add(zip->where, zip_path,
                           "expected a non-empty list of {key, values}, got " + zip->describe());
          continue;
        }
        bool ok = true;
        for (size_t j = 0; j < zip->items.size(); ++j) {
          const std::string entry_path = index_path(zip_path, j);
          MapReader entry(&zip->items[j], entry_path, diagnostics_, zip->items[j].where);
          if (!entry.present()) {
            ok = false;
            continue;
          }
          std::optional<SweepKey> key = parse_key(entry, entry_path);
          if (!key) {
            ok = false;
            continue;
          }
          if (!axis.keys.empty() && key->values.size() != axis.keys.front().values.size()) {
            diagnostics_.add(key->where, join_path(entry_path, "values"),
                             "zipped lists must have equal lengths: " + key->key + " has " +
                                 std::to_string(key->values.size()) + " values, " +
                                 axis.keys.front().key + " has " +
                                 std::to_string(axis.keys.front().values.size()));
            ok = false;
            continue;
          }
          axis.keys.push_back(std::move(*key));
        }
        if (!ok) continue;
      } else {
        std::optional<SweepKey> key = parse_key(reader, path);
        if (!key) continue;
        axis.keys.push_back(std::move(*key));
      }
      if (!check_duplicate_values(axis, path)) continue;
      out.push_back(std::move(axis));
    }
  }

  // Two equal values (tuples, for a zip) on one axis would make two identical points.
  // Values are compared as what they mean, not as written: a file by its normalised path
  // (a/../w.yaml is w.yaml), a number by its value (8, 08, +8; 1000, 1e3), true/True/TRUE alike.
  bool check_duplicate_values(const SweepAxis& axis, const std::string& path) {
    std::map<std::string, size_t> seen;
    for (size_t v = 0; v < axis.size(); ++v) {
      std::string tuple;
      for (const SweepKey& key : axis.keys) tuple += canonical_value(key.values[v]) + '\x1f';
      auto inserted = seen.emplace(tuple, v);
      if (!inserted.second) {
        diagnostics_.add(axis.keys.front().values[v].where,
                         index_path(join_path(path, axis.zipped ? "zip[0].values" : "values"), v),
                         "duplicate value (same as entry " +
                             std::to_string(inserted.first->second) + "): two identical points");
        return false;
      }
    }
    return true;
  }

  std::string path_;
  fs::path spec_dir_;
  Diagnostics& diagnostics_;
  std::map<std::string, SourceLocation> axis_keys_;
};

// One point before formatting: every setting with the spec location it came from.
struct Setting {
  std::string key;
  SourceLocation key_where;
  const SweepValue* value = nullptr;
};

struct PointPlan {
  Setting arch, workload, precision, engine, digital, baseline, data, labels, batch, seed;
  std::vector<Setting> sets;
  std::vector<const SweepValue*> columns;
};

PointPlan plan_point(const SweepSpec& spec, size_t index) {
  PointPlan plan;
  auto special = [&](const std::string& key) -> Setting& {
    if (key == kSweepArch) return plan.arch;
    if (key == kSweepWorkload) return plan.workload;
    if (key == kSweepPrecision) return plan.precision;
    if (key == kSweepDigital) return plan.digital;
    if (key == kSweepBaseline) return plan.baseline;
    if (key == kSweepData) return plan.data;
    if (key == kSweepLabels) return plan.labels;
    if (key == kSweepBatch) return plan.batch;
    if (key == kSweepSeed) return plan.seed;
    return plan.engine;
  };
  for (const SweepBaseEntry& e : spec.base) special(e.key) = {e.key, e.where, &e.value};
  for (const SweepBaseEntry& e : spec.sets) plan.sets.push_back({e.key, e.where, &e.value});
  // Mixed radix, last axis fastest.
  std::vector<size_t> choice(spec.axes.size());
  for (size_t a = spec.axes.size(); a-- > 0;) {
    const size_t n = std::max<size_t>(1, spec.axes[a].size());
    choice[a] = index % n;
    index /= n;
  }
  for (size_t a = 0; a < spec.axes.size(); ++a) {
    for (const SweepKey& key : spec.axes[a].keys) {
      const SweepValue* value = &key.values[choice[a]];
      plan.columns.push_back(value);
      if (is_special(key.key)) {
        special(key.key) = {key.key, key.where, value};
        continue;
      }
      auto existing = std::find_if(plan.sets.begin(), plan.sets.end(),
                                   [&](const Setting& s) { return s.key == key.key; });
      if (existing != plan.sets.end()) {
        *existing = {key.key, key.where, value};  // the axis overrides base.set
      } else {
        plan.sets.push_back({key.key, key.where, value});
      }
    }
  }
  return plan;
}

std::string assignment(const Setting& s) { return s.key + "=" + s.value->resolved; }

// SHA-256 of the bytes of every file a point's input reads, cached per file: an architecture
// preset with its `base:` chain and technology table (which --set may change), a digital
// preset with its table, a workload or a profile. A file that cannot be read hashes as
// "unreadable" (the run then fails and says why).
class InputDigests {
 public:
  std::string digest(const std::string& key, const std::string& path,
                     const std::vector<std::string>& overrides) {
    std::vector<std::string> files = {path};
    try {
      if (key == "arch") {
        const ArchConfig arch = load_arch_config(path, overrides);
        files = arch.files;
        files.push_back(resolve_tech_path(arch));
      } else if (key == "digital") {
        const DigitalConfig digital = load_digital_config(path);
        files.push_back(resolve_digital_tech_path(digital));
      } else if (key == "data") {
        // The .npy files the data map names, relative to it.
        const YamlNode map = load_yaml_file(path);
        for (const YamlMapEntry& e : map.entries) {
          if (e.value.is_scalar())
            files.push_back(
                (fs::path(path).parent_path() / e.value.scalar).lexically_normal().string());
        }
      }
    } catch (const InputError&) {
      // Invalid inputs were reported by check_sweep_inputs; hash what can be read.
    }
    std::string text;
    for (const std::string& file : files) text += file_digest(file) + " ";
    return text;
  }

 private:
  const std::string& file_digest(const std::string& path) {
    auto it = cache_.find(path);
    if (it != cache_.end()) return it->second;
    std::string digest = "unreadable";
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      try {
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        if (in || in.eof()) digest = sha256_hex(bytes).substr(0, 16);
      } catch (const std::exception&) {
        // unreadable: the run reports it
      }
    }
    return cache_.emplace(path, digest).first->second;
  }
  std::map<std::string, std::string> cache_;
};

// FNV-1a, 64 bits, folded to 32: short, stable across platforms and runs.
std::string short_hash(const std::string& text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  char buffer[9];
  std::snprintf(buffer, sizeof buffer, "%08x",
                static_cast<unsigned>((h ^ (h >> 32)) & 0xffffffffu));
  return buffer;
}

nlohmann::json key_echo(const SweepKey& key) {
  nlohmann::json values = nlohmann::json::array();
  for (const SweepValue& v : key.values) values.push_back(v.text);
  return {{"key", key.key}, {"values", values}};
}

nlohmann::json spec_echo(const SweepSpec& spec) {
  nlohmann::json base = nlohmann::json::object();
  for (const SweepBaseEntry& e : spec.base) base[e.key] = e.value.text;
  nlohmann::json sets = nlohmann::json::object();
  for (const SweepBaseEntry& e : spec.sets) sets[e.key] = e.value.text;
  if (!sets.empty()) base["set"] = sets;
  nlohmann::json axes = nlohmann::json::array();
  for (const SweepAxis& axis : spec.axes) {
    if (!axis.zipped) {
      axes.push_back(key_echo(axis.keys.front()));
      continue;
    }
    nlohmann::json zip = nlohmann::json::array();
    for (const SweepKey& key : axis.keys) zip.push_back(key_echo(key));
    axes.push_back({{"zip", zip}});
  }
  nlohmann::json echo = {{"path", fs::absolute(spec.path).lexically_normal().string()},
                         {"name", spec.name},
                         {"base", base},
                         {"axes", axes}};
  if (!spec.description.empty()) echo["description"] = spec.description;
  return echo;
}

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
      {"adc_bits", "adc", "built_bits"},    // converters as built (sim/adc.h)
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

namespace {

SweepSpec parse_spec_tree(const YamlNode& root, const std::string& path) {
  Diagnostics diagnostics;
  SpecParser parser(path, diagnostics);
  if (!root.is_null() && !root.is_map()) {
    diagnostics.add(root.where, "",
                    "expected a map with name, base and axes, got " + root.describe());
    diagnostics.throw_if_any();
  }
  SweepSpec spec = parser.parse(root);
  diagnostics.throw_if_any();
  return spec;
}

}  // namespace

SweepSpec parse_sweep_spec_text(const std::string& text, const std::string& path) {
  return parse_spec_tree(load_yaml_text(text, path), path);
}

SweepSpec parse_sweep_spec(const std::string& path) {
  // File-level problems (missing file, YAML syntax) throw from load_yaml_file.
  return parse_spec_tree(load_yaml_file(path), path);
}

size_t count_sweep_points(const SweepSpec& spec) {
  size_t count = 1;
  for (const SweepAxis& axis : spec.axes) {
    const size_t n = axis.size();
    if (n == 0) return 0;
    if (count > std::numeric_limits<size_t>::max() / n) return std::numeric_limits<size_t>::max();
    count *= n;
  }
  return count;
}

Sweep expand_sweep(const SweepSpec& spec) {
  InputDigests inputs;
  Sweep sweep;
  sweep.name = spec.name;
  sweep.spec = spec_echo(spec);
  for (const SweepAxis& axis : spec.axes) {
    for (const SweepKey& key : axis.keys) sweep.columns.push_back(key.key);
  }
  const size_t count = count_sweep_points(spec);
  if (count > kMaxSweepPoints) {
    throw InputError({{SourceLocation{spec.path, 0, 0}, "axes", "too many points"}});
  }
  const size_t width = std::max<size_t>(4, std::to_string(count ? count - 1 : 0).size());
  for (size_t i = 0; i < count; ++i) {
    const PointPlan plan = plan_point(spec, i);
    SweepPoint point;
    point.index = i;
    const std::string engine = plan.engine.value ? plan.engine.value->resolved : kDefaultEngine;
    // The hash covers what the spec says (paths as written, so ids survive moving the tree)
    // and the bytes of every file a point reads (so a point is never taken for another's
    // result when two specs name different files alike, or a file changed).
    std::string canonical = "engine=" + engine + "\n";
    point.args = {"run"};
    std::vector<std::string> overrides;
    for (const Setting& s : plan.sets) overrides.push_back(assignment(s));
    for (const Setting* s : {&plan.arch, &plan.workload, &plan.precision, &plan.digital,
                             &plan.baseline, &plan.data, &plan.labels}) {
      if (s->value == nullptr) continue;
      canonical += s->key + "=" + s->value->text + "\n";
      canonical += "content " +
                   inputs.digest(s->key, s->value->resolved,
                                 s->key == "arch" ? overrides : std::vector<std::string>{}) +
                   "\n";
      point.args.push_back("--" + s->key);
      point.args.push_back(s->value->resolved);
    }
    for (const Setting& s : plan.sets) {
      canonical += "set " + assignment(s) + "\n";
      point.args.push_back("--set");
      point.args.push_back(assignment(s));
    }
    point.args.push_back("--engine");
    point.args.push_back(engine);
    for (const Setting* s : {&plan.batch, &plan.seed}) {
      if (s->value == nullptr) continue;
      canonical += s->key + "=" + s->value->text + "\n";
      point.args.push_back("--" + s->key);
      point.args.push_back(s->value->text);
    }
    std::string index = std::to_string(i);
    point.id = std::string(width - index.size(), '0') + index + "-" + short_hash(canonical);
    for (const SweepValue* v : plan.columns) point.values.push_back(v->text);
    sweep.points.push_back(std::move(point));
  }
  return sweep;
}

void check_sweep_inputs(const SweepSpec& spec) {
  Diagnostics diagnostics;
  std::set<std::string> reported;
  auto add = [&](SourceLocation where, std::string key, std::string message) {
    Diagnostic d{std::move(where), std::move(key), std::move(message)};
    if (reported.insert(d.to_string()).second) diagnostics.add(d.where, d.key_path, d.message);
  };
  // A file that cannot be opened is reported at the spec line naming it.
  auto relocate_file_error = [&](const Diagnostic& d, const Setting& s) {
    if (d.where.line == 0 && d.where.origin == s.value->resolved) {
      add(s.value->where, s.key, s.value->text + ": " + d.message);
    } else {
      add(d.where, d.key_path, d.message);
    }
  };

  std::set<std::string> archs_checked;
  std::map<std::string, std::optional<Network>> networks;
  std::set<std::string> profiles_checked;
  std::set<std::string> digitals_checked;
  const size_t count = count_sweep_points(spec);
  for (size_t i = 0; i < count && i < kMaxSweepPoints; ++i) {
    const PointPlan plan = plan_point(spec, i);
    if (plan.arch.value != nullptr) {
      std::vector<std::string> overrides;
      std::map<std::string, const Setting*> by_origin;
      std::string signature = plan.arch.value->resolved;
      for (const Setting& s : plan.sets) {
        overrides.push_back(assignment(s));
        by_origin["--set " + overrides.back()] = &s;
        signature += "\n" + overrides.back();
      }
      if (archs_checked.insert(signature).second) {
        try {
          load_arch_config(plan.arch.value->resolved, overrides);
        } catch (const InputError& e) {
          for (const Diagnostic& d : e.diagnostics()) {
            auto it = by_origin.find(d.where.origin);
            if (it == by_origin.end()) {
              relocate_file_error(d, plan.arch);
              continue;
            }
            const Setting& s = *it->second;
            if (d.message.rfind("unknown key", 0) == 0) {
              const bool dotless = s.key.find('.') == std::string::npos;
              add(s.key_where, s.key,
                  dotless
                      ? "unknown key: not arch, workload, precision, engine, digital, "
                        "baseline, data, labels, batch or seed, nor a top-level architecture key"
                      : "unknown architecture key " + d.key_path + " " +
                            d.message.substr(std::string("unknown key ").size()));
            } else {
              add(s.value->where, d.key_path, d.message);
            }
          }
        }
      }
    }
    if (plan.digital.value != nullptr &&
        digitals_checked.insert(plan.digital.value->resolved).second) {
      try {
        const DigitalConfig digital = load_digital_config(plan.digital.value->resolved);
        load_digital_table(resolve_digital_tech_path(digital));
      } catch (const InputError& e) {
        for (const Diagnostic& d : e.diagnostics()) relocate_file_error(d, plan.digital);
      }
    }
    // Data, labels and seeds are the functional engine's.
    for (const Setting* s : {&plan.data, &plan.labels, &plan.seed}) {
      if (s->value == nullptr) continue;
      const std::string engine = plan.engine.value ? plan.engine.value->resolved : kDefaultEngine;
      if (engine != "functional") {
        add(s->value->where, s->key, s->key + " needs engine: functional, got " + engine);
      } else if (s != &plan.seed && !fs::is_regular_file(s->value->resolved)) {
        add(s->value->where, s->key, s->value->text + ": no such file");
      }
    }
    if (plan.workload.value == nullptr) continue;
    const std::string& workload = plan.workload.value->resolved;
    auto found = networks.find(workload);
    if (found == networks.end()) {
      std::optional<Network> network;
      try {
        network = load_network(workload);
      } catch (const InputError& e) {
        for (const Diagnostic& d : e.diagnostics()) relocate_file_error(d, plan.workload);
      }
      found = networks.emplace(workload, std::move(network)).first;
    }
    if (!found->second) continue;
    // The profile and the baseline profile, each against the point's workload.
    for (const Setting* setting : {&plan.precision, &plan.baseline}) {
      if (setting->value == nullptr) continue;
      const std::string& precision = setting->value->resolved;
      if (!profiles_checked.insert(workload + "\n" + precision).second) continue;
      try {
        load_profile(precision, *found->second);
      } catch (const InputError& e) {
        for (const Diagnostic& d : e.diagnostics()) {
          if (d.where.line == 0 && d.where.origin == precision) {
            relocate_file_error(d, *setting);
          } else {
            // Name the workload too: a profile can be fine for one network and not another.
            add(d.where, d.key_path,
                d.message + " (with workload " + plan.workload.value->text + ", " +
                    setting->value->where.to_string() + ")");
          }
        }
      }
    }
  }
  diagnostics.throw_if_any();
}

Sweep load_sweep(const std::string& path) {
  const SweepSpec spec = parse_sweep_spec(path);
  check_sweep_inputs(spec);
  return expand_sweep(spec);
}

nlohmann::json sweep_to_json(const Sweep& sweep) {
  nlohmann::json points = nlohmann::json::array();
  for (const SweepPoint& p : sweep.points) {
    points.push_back({{"index", p.index}, {"id", p.id}, {"values", p.values}, {"args", p.args}});
  }
  return {{"schema_version", 1},
          {"name", sweep.name},
          {"spec", sweep.spec},
          {"columns", sweep.columns},
          {"points", points}};
}

Sweep sweep_from_json(const nlohmann::json& json) {
  try {
    Sweep sweep;
    if (json.at("schema_version").get<int>() != 1) {
      throw std::runtime_error("unsupported schema_version");
    }
    sweep.name = json.at("name").get<std::string>();
    sweep.spec = json.at("spec");
    sweep.columns = json.at("columns").get<std::vector<std::string>>();
    for (const nlohmann::json& p : json.at("points")) {
      SweepPoint point;
      point.index = p.at("index").get<size_t>();
      point.id = p.at("id").get<std::string>();
      point.values = p.at("values").get<std::vector<std::string>>();
      point.args = p.at("args").get<std::vector<std::string>>();
      // Ids name directories: refuse anything that could leave points/.
      if (point.id.empty() || point.id.find('/') != std::string::npos || point.id[0] == '.') {
        throw std::runtime_error("bad point id \"" + point.id + "\"");
      }
      if (point.index != sweep.points.size() || point.values.size() != sweep.columns.size()) {
        throw std::runtime_error("point " + point.id + " does not match the columns or order");
      }
      sweep.points.push_back(std::move(point));
    }
    return sweep;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed sweep.json: ") + e.what());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(std::string("malformed sweep.json: ") + e.what());
  }
}

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

namespace {

// The per-task logic of sweep.slurm, after the #SBATCH header and the two variables.
// points.txt holds single-quoted words only, so `eval set --` cannot run anything else.
constexpr const char* kSlurmBody =
    R"SH(task=${SLURM_ARRAY_TASK_ID:?not set: run through sbatch, or set it to test}
case $task in ''|*[!0-9]*) echo "bad SLURM_ARRAY_TASK_ID: $task" >&2; exit 2;; esac
line=$(sed -n "$((task + 1))p" "$sweep_dir/points.txt")
if [ -z "$line" ]; then echo "no point $task in $sweep_dir/points.txt" >&2; exit 2; fi
eval "set -- $line"
id=$1
shift
out=$sweep_dir/points/$id
if [ -f "$out/report.json" ]; then echo "point $id: already finished"; exit 0; fi
mkdir -p "$out" || exit 1
rm -f "$out/error.txt"
"${limit[@]}" "$runner" "$@" --out "$out" > "$out/stdout.txt" 2> "$out/stderr.txt" < /dev/null
code=$?
if [ "$code" -eq 0 ] && [ -f "$out/report.json" ]; then echo "point $id: finished"; exit 0; fi
# A run that wrote its report and then failed is not finished (as in a local sweep).
[ -f "$out/report.json" ] && mv -f "$out/report.json" "$out/report.json.failed"
# Same error.txt as a local sweep: the tail of stderr, then how the run ended.
if [ "$code" -eq 0 ]; then ending='exit code: 0 (no report.json written)'
elif [ "${#limit[@]}" -gt 0 ] && { [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; }; then
  ending="timed out after ${limit[3]} s (--point-timeout)"
elif [ "$code" -gt 128 ]; then ending="killed by signal $((code - 128))"
else ending="exit code: $code"; fi
tmp=$out/error.txt.tmp.$$
{
  tail -c @TAIL_BYTES@ "$out/stderr.txt"
  if [ -s "$out/stderr.txt" ] && [ -n "$(tail -c 1 "$out/stderr.txt")" ]; then echo; fi
  echo "$ending"
} > "$tmp" && mv -f "$tmp" "$out/error.txt"
echo "point $id: failed ($ending)" >&2
exit 1
)SH";

// One shell word for bash: '...' with ' as '\'' ; a word holding control characters (a
// newline in a path) becomes $'...' with every such byte escaped, so it stays on its line.
std::string shell_quote(const std::string& word) {
  const bool control = std::any_of(word.begin(), word.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) {
    std::string quoted = "$'";
    for (char c : word) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\\' || c == '\'') {
        quoted += '\\';
        quoted += c;
      } else if (u < 0x20 || u == 0x7f) {
        quoted += hex_escape(u);
      } else {
        quoted += c;
      }
    }
    return quoted + "'";
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

std::string slurm_points_list(const Sweep& sweep) {
  std::string text;
  for (const SweepPoint& p : sweep.points) {
    text += shell_quote(p.id);
    for (const std::string& arg : p.args) text += " " + shell_quote(arg);
    text += "\n";
  }
  return text;
}

std::string slurm_script(const Sweep& sweep, const std::string& dir, const std::string& runner,
                         const std::vector<std::string>& sbatch_options, int max_parallel,
                         int point_timeout_s) {
  const size_t n = sweep.points.size();
  std::string job_name;
  for (char c : sweep.name) {
    job_name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  }
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Slurm job array for mixpim sweep \"" << job_name << "\" (" << n
    << " points), written by `mixpim sweep --emit-slurm`.\n"
    << "#   submit:  sbatch " << dir << "/sweep.slurm\n"
    << "#   collect: mixpim sweep --collect " << dir << "\n"
    << "# Task i runs line i+1 of points.txt into points/<id>/ exactly as a local\n"
    << "# `mixpim sweep --out` does; finished points are skipped, so resubmitting resumes.\n"
    << "# Without a cluster: for i in $(seq 0 " << (n ? n - 1 : 0)
    << "); do SLURM_ARRAY_TASK_ID=$i bash sweep.slurm; done\n"
    << "#SBATCH --job-name=mixpim-" << job_name << "\n"
    << "#SBATCH --array=0-" << (n ? n - 1 : 0);
  if (max_parallel > 0) s << "%" << max_parallel;
  s << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --output=\"" << dir << "/slurm/%A_%a.out\"\n";
  for (const std::string& option : sbatch_options) s << "#SBATCH " << option << "\n";
  s << "set -u\n"
    << "sweep_dir=" << shell_quote(dir) << "\n"
    << "runner=${MIXPIM_SWEEP_RUNNER:-" << shell_quote(runner) << "}\n";
  // --point-timeout: the point's run is stopped (SIGTERM, SIGKILL 3 s later) as locally.
  if (point_timeout_s > 0) {
    s << "limit=(timeout -k 3 " << point_timeout_s << ")\n";
  } else {
    s << "limit=()\n";
  }
  s << kSlurmBody;
  std::string script = s.str();
  const std::string tail_bytes = "@TAIL_BYTES@";
  script.replace(script.find(tail_bytes), tail_bytes.size(), std::to_string(kMaxErrorStderrBytes));
  return script;
}

}  // namespace mixpim::sim
