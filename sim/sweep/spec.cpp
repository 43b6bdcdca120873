// Sweep specs: parsing and checking a spec file (SpecParser), every problem at its line.
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

#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"
#include "sim/engines/engine.h"
#include "sim/sweep/spec_keys.h"
#include "sim/sweep/sweep.h"

namespace mixpim::sim {

namespace fs = std::filesystem;

namespace {

using sweep_detail::is_special;
using sweep_detail::kSpecialKeys;

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

}  // namespace mixpim::sim
