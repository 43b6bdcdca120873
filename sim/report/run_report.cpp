#include "sim/report/run_report.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

#include "sim/compiler/adc.h"
#include "sim/config/config_echo.h"
#include "sim/util/text_table.h"

namespace mixpim::sim {

using nlohmann::ordered_json;

namespace {

ordered_json totals_json(const RunCase& run) {
  const Evaluation& e = run.evaluation;
  ordered_json t;
  t["energy_pj"] = e.energy_pj();
  t["dynamic_energy_pj"] = e.dynamic_pj;
  t["leakage_energy_pj"] = e.leakage_pj;
  t["latency_ns"] = e.latency_ns;
  t["interval_ns"] = e.interval_ns;
  t["reprogram_ns"] = e.reprogram_ns;
  t["batch"] = e.batch;  // inferences per programming of the weights (all figures per inference)
  t["throughput_inferences_per_s"] = e.throughput_inferences_per_s();
  t["power_mw"] = e.energy_pj() / e.interval_ns * 1.0;  // pJ / ns = mW
  t["area_mm2"] = e.area.chip_total_mm2;
  t["macs"] = e.performance.macs();
  t["ops"] = e.ops();
  t["tops_per_w"] = e.tops_per_w();
  t["tops_per_mm2"] = e.tops_per_mm2();
  t["edp_pj_ns"] = e.energy_pj() * e.latency_ns;
  return t;
}

// Whether every conversion of the run is exact (sim/compiler/adc.h), and which layers lose bits.
ordered_json adc_json(const RunCase& run) {
  const ArchConfig& arch = *run.arch;
  ordered_json a;
  a["resolution"] = std::string(to_string(arch.pe.adc.resolution));
  a["built_bits"] = adc_built_bits(arch);
  a["weight_flipping"] = arch.pe.crossbar.weight_flipping;
  a["array_bits_needed"] = column_sum_bits(rows_per_array_read(arch), arch);
  ordered_json inexact = ordered_json::array();
  int needed = 0;
  for (const LayerPerformance& l : run.evaluation.performance.layers) {
    if (l.mapping < 0) continue;
    needed = std::max(needed, l.adc.needed_bits);
    if (!l.adc.exact) {
      inexact.push_back({{"layer", l.name},
                         {"bits", l.adc.bits},
                         {"bits_needed", l.adc.needed_bits},
                         {"range_bits", l.adc.range_bits}});
    }
  }
  a["exact"] = inexact.empty();
  a["layers_bits_needed"] = needed;
  a["inexact_layers"] = std::move(inexact);
  return a;
}

ordered_json components_json(const RunCase& run) {
  const Evaluation& e = run.evaluation;
  std::map<std::string, std::map<std::string, int64_t>> counts;
  const ActionCounts total = e.performance.total_counts();
  for (const auto& [key, n] : total.entries()) counts[key.first][key.second] = n;
  ordered_json out = ordered_json::object();
  for (const auto& [name, c] : e.components) {
    ordered_json j;
    j["energy_pj"] = c.energy_pj();
    j["dynamic_energy_pj"] = c.dynamic_pj;
    j["leakage_energy_pj"] = c.leakage_pj;
    j["area_mm2"] = c.area_mm2;
    j["counts"] = ordered_json::object();
    for (const auto& [action, n] : counts[name]) j["counts"][action] = n;
    out[name] = j;
  }
  return out;
}

ordered_json layers_json(const RunCase& run) {
  const Evaluation& e = run.evaluation;
  const PerformanceResult& p = e.performance;
  ordered_json layers = ordered_json::array();
  for (size_t i = 0; i < p.layers.size(); ++i) {
    const LayerPerformance& l = p.layers[i];
    ordered_json j;
    j["name"] = l.name;
    j["type"] = std::string(to_string(l.type));
    j["macs"] = l.macs;
    double energy = 0;
    for (const auto& [name, pj] : e.layer_energy_pj[i]) energy += pj;
    j["energy_pj"] = energy;
    j["time_ns"] = l.time_ns;
    j["bound"] = l.bound;
    j["bounds_ns"] = ordered_json::object();
    for (const auto& [name, ns] : l.bounds_ns) j["bounds_ns"][name] = ns;
    j["start_ns"] = l.start_ns;
    j["end_ns"] = l.end_ns;
    j["tiles"] = {l.first_tile, l.last_tile};
    if (l.mapping >= 0) {
      const LayerMapping& m = run.mapping->layers[l.mapping];
      const CrossbarConfig& x = run.arch->pe.crossbar;
      j["adc_bits"] = l.adc.bits;
      j["adc_bits_needed"] = l.adc.needed_bits;
      j["adc_exact"] = l.adc.exact;
      // Weight bits of the kept channels: range and histogram (bits -> channels).
      const LayerPrecision& lp = run.profile->layers[static_cast<size_t>(l.layer)];
      std::map<int, int64_t> histogram;
      for (size_t c = 0; c < lp.weight_bits.size(); ++c) {
        if (lp.kept[c]) ++histogram[lp.weight_bits[c]];
      }
      ordered_json bits = ordered_json::object();
      for (const auto& [b, n] : histogram) bits[std::to_string(b)] = n;
      j["weight_bits"] = {{"min", histogram.empty() ? 0 : histogram.begin()->first},
                          {"max", histogram.empty() ? 0 : histogram.rbegin()->first},
                          {"channels", bits}};
      j["kept_channels"] = m.kept_outputs;
      j["out_channels"] = static_cast<int64_t>(lp.weight_bits.size());
      // Packing: the arrays' column groups gathered by bit-width (one row block's columns).
      std::map<int, std::pair<int64_t, int64_t>> groups;  // bits -> (columns, channel spans)
      for (const ColumnArray& a : m.column_arrays) {
        for (const ColumnGroup& g : a.groups(x.bits_per_cell)) {
          groups[g.bits].first += g.columns;
          groups[g.bits].second += g.channels;
        }
      }
      ordered_json packing = ordered_json::array();
      for (auto it = groups.rbegin(); it != groups.rend(); ++it) {
        packing.push_back(
            {{"bits", it->first}, {"columns", it->second.first}, {"channels", it->second.second}});
      }
      j["column_groups"] = packing;
      j["activation_bits"] = m.activation_bits;
      j["arrays"] = m.arrays();
      j["replication"] = m.replication;
      j["row_utilization"] = m.row_utilization(x.rows);
      j["column_utilization"] = m.column_utilization(x.columns);
    }
    j["components"] = ordered_json::object();
    for (const auto& [name, pj] : e.layer_energy_pj[i]) j["components"][name] = pj;
    j["counts"] = ordered_json::object();
    for (const auto& [key, n] : l.counts.entries()) j["counts"][key.first + "." + key.second] = n;
    layers.push_back(j);
  }
  return layers;
}

}  // namespace

BaselineFigures baseline_figures(const RunCase& baseline, bool reprogrammed) {
  const Evaluation& e = baseline.evaluation;
  BaselineFigures b;
  b.precision = baseline.profile->name;
  b.precision_path = baseline.profile->source_path;
  b.reprogrammed = reprogrammed;
  b.energy_pj = e.energy_pj();
  b.latency_ns = e.latency_ns;
  b.interval_ns = e.interval_ns;
  b.tops_per_w = e.tops_per_w();
  b.arrays = baseline.mapping->arrays();
  b.adc_exact = adc_json(baseline)["exact"].get<bool>();
  for (const auto& [name, c] : e.components) b.component_energy_pj[name] = c.energy_pj();
  return b;
}

BaselineFigures baseline_figures(const ordered_json& report, bool reprogrammed) {
  BaselineFigures b;
  b.precision = report.at("run").at("precision").at("name").get<std::string>();
  b.precision_path = report.at("run").at("precision").at("path").get<std::string>();
  b.engine = report.at("run").at("engine").get<std::string>();
  b.reprogrammed = reprogrammed;
  const ordered_json& t = report.at("totals");
  b.energy_pj = t.at("energy_pj").get<double>();
  b.latency_ns = t.at("latency_ns").get<double>();
  b.interval_ns = t.at("interval_ns").get<double>();
  b.tops_per_w = t.at("tops_per_w").get<double>();
  b.arrays = report.at("mapping").at("arrays").get<int64_t>();
  b.adc_exact = report.at("adc").at("exact").get<bool>();
  for (const auto& [name, c] : report.at("components").items()) {
    b.component_energy_pj[name] = c.at("energy_pj").get<double>();
  }
  return b;
}

PeakFigures run_peak_figures(const RunCase& run, const TechTable& table) {
  int weight_bits = 1, activation_bits = 1;
  for (size_t i = 0; i < run.network->layers.size(); ++i) {
    if (!run.network->layers[i].has_weights()) continue;
    const LayerPrecision& p = run.profile->layers[i];
    activation_bits = std::max(activation_bits, p.activation_bits);
    for (size_t c = 0; c < p.weight_bits.size(); ++c) {
      if (p.kept[c]) weight_bits = std::max(weight_bits, p.weight_bits[c]);
    }
  }
  return peak_figures(*run.arch, table, weight_bits, activation_bits);
}

ordered_json run_report_json(const RunCase& run, const TechTable& table, const RunInfo& info,
                             const BaselineFigures* baseline) {
  ordered_json r;
  r["schema_version"] = kReportSchemaVersion;
  ordered_json& meta = r["run"];
  meta["engine"] = info.engine;
  meta["mixpim_version"] = info.version;
  meta["git_revision"] = info.git_revision;
  meta["command"] = info.command;
  meta["arch"] = {
      {"name", run.arch->name}, {"files", run.arch->files}, {"overrides", run.arch->overrides}};
  meta["arch"]["config"] = arch_config_json(*run.arch);
  meta["tech"] = tech_table_json(table);
  meta["workload"] = {{"name", run.network->name},
                      {"path", run.network->source_path},
                      {"network", run.network->family},
                      {"dataset", run.network->dataset}};
  meta["precision"] = {{"name", run.profile->name},
                       {"path", run.profile->source_path},
                       {"description", run.profile->description}};
  const NetworkMapping& m = *run.mapping;
  r["mapping"] = {{"mode", std::string(to_string(m.mode))},
                  {"resident", m.resident},
                  {"arrays", m.arrays()},
                  {"arrays_placed", m.arrays_placed()},
                  {"arrays_available", m.arrays_available},
                  {"pes_used", m.pes_used},
                  {"tiles_used", m.tiles_used},
                  {"segments", m.segments.size()},
                  {"reprogram_cell_writes", m.reprogram_cell_writes}};
  r["adc"] = adc_json(run);
  r["totals"] = totals_json(run);
  const PeakFigures peak = run_peak_figures(run, table);
  r["peak"] = {
      {"weight_bits", peak.weight_bits},
      {"activation_bits", peak.activation_bits},
      {"tops", peak.tops()},
      {"power_w", peak.power_w},
      {"area_mm2", peak.area_mm2},
      {"tops_per_w", peak.tops_per_w()},
      {"tops_per_mm2", peak.tops_per_mm2()},
      {"achieved_fraction",
       run.evaluation.ops() * run.evaluation.throughput_inferences_per_s() / peak.ops_per_s}};
  r["components"] = components_json(run);
  const AreaBreakdown& a = run.evaluation.area;
  r["area"] = {{"pe_mm2", a.pe_total_mm2},
               {"tile_mm2", a.tile_total_mm2},
               {"chip_mm2", a.chip_total_mm2},
               {"pe", a.pe_mm2},
               {"tile", a.tile_mm2}};
  r["layers"] = layers_json(run);
  if (baseline != nullptr) {
    const BaselineFigures& b = *baseline;
    const Evaluation& e = run.evaluation;
    ordered_json j;
    j["precision"] = b.precision;
    j["precision_path"] = b.precision_path;
    j["engine"] = b.engine;
    j["reprogrammed"] = b.reprogrammed;
    j["energy_pj"] = b.energy_pj;
    j["latency_ns"] = b.latency_ns;
    j["interval_ns"] = b.interval_ns;
    j["arrays"] = b.arrays;
    j["tops_per_w"] = b.tops_per_w;
    j["adc_exact"] = b.adc_exact;
    // Reduction = baseline / profile (> 1 means the profile is cheaper); ratio = profile /
    // baseline.
    j["energy_reduction"] = b.energy_pj / e.energy_pj();
    j["latency_ratio"] = e.latency_ns / b.latency_ns;
    j["throughput_ratio"] = b.interval_ns / e.interval_ns;
    j["components"] = ordered_json::object();
    std::set<std::string> names;
    for (const auto& [name, pj] : b.component_energy_pj) names.insert(name);
    for (const auto& [name, c] : e.components) names.insert(name);
    for (const std::string& name : names) {
      const auto it = b.component_energy_pj.find(name);
      const double base = it == b.component_energy_pj.end() ? 0.0 : it->second;
      const double mine = e.components.count(name) ? e.components.at(name).energy_pj() : 0.0;
      ordered_json c = {{"baseline_energy_pj", base}, {"energy_pj", mine}};
      c["reduction"] = mine > 0 ? ordered_json(base / mine) : ordered_json(nullptr);
      j["components"][name] = c;
    }
    r["baseline"] = j;
  }
  return r;
}

std::string baseline_label(const ordered_json& baseline) {
  const std::string path = baseline.value("precision_path", std::string());
  return path.empty() ? std::string("16-bit")
                      : markdown_cell(baseline["precision"].get<std::string>());
}

ordered_json data_aware_json(const ordered_json& data_independent, const ordered_json& data_aware,
                             const std::string& activity, bool skip_zero_blocks) {
  auto side_by_side = [](double worst, double aware) {
    return ordered_json{{"data_independent", worst}, {"data_aware", aware}};
  };
  auto total = [](const ordered_json& r, const char* key) {
    return r["totals"][key].get<double>();
  };
  auto component = [](const ordered_json& r, const char* name) -> const ordered_json* {
    const ordered_json& c = r["components"];
    return c.contains(name) ? &c[name] : nullptr;
  };
  auto dynamic_pj = [&](const ordered_json& r, const char* name) {
    const ordered_json* c = component(r, name);
    return c == nullptr ? 0.0 : (*c)["dynamic_energy_pj"].get<double>();
  };
  auto count = [&](const ordered_json& r, const char* name, const char* action) {
    const ordered_json* c = component(r, name);
    return c == nullptr || !(*c)["counts"].contains(action) ? 0.0
                                                            : (*c)["counts"][action].get<double>();
  };
  auto fraction = [&](const char* name, const char* action) {
    const double all = count(data_independent, name, action);
    return all > 0 ? count(data_aware, name, action) / all : 0.0;
  };
  ordered_json d;
  d["activity"] = activity;
  d["skip_zero_blocks"] = skip_zero_blocks;
  d["dac_active_fraction"] = fraction("dac", "convert");
  d["cell_active_fraction"] = fraction("xbar", "read_cell");
  d["conversion_active_fraction"] = fraction("adc", "convert");
  d["energy_pj"] =
      side_by_side(total(data_independent, "energy_pj"), total(data_aware, "energy_pj"));
  d["latency_ns"] =
      side_by_side(total(data_independent, "latency_ns"), total(data_aware, "latency_ns"));
  d["interval_ns"] =
      side_by_side(total(data_independent, "interval_ns"), total(data_aware, "interval_ns"));
  for (const char* name : {"dac", "xbar", "sample_hold", "adc"}) {
    d[std::string(name) + "_pj"] =
        side_by_side(dynamic_pj(data_independent, name), dynamic_pj(data_aware, name));
  }
  return d;
}

}  // namespace mixpim::sim
