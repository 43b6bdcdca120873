// Sweep points: expanding a spec into points (their settings, ids and runner arguments),
// checking their inputs, and sweep.json.
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
#include "sim/config/tech_table.h"
#include "sim/config/yaml_reader.h"
#include "sim/engines/digital_baseline.h"
#include "sim/sweep/spec_keys.h"
#include "sim/sweep/sweep.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"

namespace mixpim::sim {

namespace fs = std::filesystem;

namespace {

using sweep_detail::is_special;

constexpr const char* kDefaultEngine = "analytic";

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

}  // namespace

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

}  // namespace mixpim::sim
