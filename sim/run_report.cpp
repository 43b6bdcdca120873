#include "run_report.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <set>

#include "adc.h"
#include "config_echo.h"
#include "text_table.h"

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

// Whether every conversion of the run is exact (sim/adc.h), and which layers lose bits.
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

std::string fixed(double value, int decimals) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.*f", decimals, value);
  return text.data();
}

std::string general(double value) {
  std::array<char, 64> text{};
  std::snprintf(text.data(), text.size(), "%.4g", value);
  return text.data();
}

// "exact (8-bit converters, weight flipping)", or what is lost and where.
std::string adc_sentence(const ordered_json& adc) {
  const std::string built = std::to_string(adc["built_bits"].get<int>()) + "-bit converters" +
                            (adc["weight_flipping"].get<bool>() ? ", weight flipping" : "") +
                            ", resolution " + adc["resolution"].get<std::string>();
  if (adc["exact"].get<bool>()) return "exact (" + built + ")";
  const ordered_json& layers = adc["inexact_layers"];
  std::string s =
      "NOT exact (" + built + "): " + std::to_string(layers.size()) +
      " layer(s) convert sums of up to " + std::to_string(adc["layers_bits_needed"].get<int>()) +
      " bits with fewer (first: " + markdown_cell(layers[0]["layer"].get<std::string>()) + ", " +
      std::to_string(layers[0]["bits"].get<int>()) + " bits over a " +
      std::to_string(layers[0]["range_bits"].get<int>()) + "-bit range)";
  return s;
}

// The functional engine's headline: exact or not, the largest error, top-1 agreement.
std::string functional_sentence(const ordered_json& f) {
  const ordered_json& t = f["totals"];
  std::string s = f["exact"].get<bool>() ? "bit-exact" : "NOT exact";
  s += " against the integer reference over " + std::to_string(f["batch"].get<int>()) +
       " input(s) (" + f["inputs"].get<std::string>() + "): max error " +
       std::to_string(t["max_abs_error"].get<int64_t>()) + ", " +
       std::to_string(t["adc_lossy"].get<int64_t>()) + " lossy of " +
       std::to_string(t["adc_conversions"].get<int64_t>()) + " conversions, top-1 agreement ";
  if (f["end_to_end_top1_agreement"].is_null()) {
    s += "not reported (" + f["top1_note"].get<std::string>() + ")";
  } else {
    s += fixed(f["end_to_end_top1_agreement"].get<double>(), 3) + " end to end";
  }
  if (f.contains("accuracy")) {
    s += "; accuracy " + fixed(f["accuracy"].get<double>(), 4) + " against the labels (" +
         fixed(f["reference_accuracy"].get<double>(), 4) + " without the hardware)";
  }
  const ordered_json& degenerate = t["degenerate_layers"];
  if (!degenerate.empty()) {
    s += "; " + std::to_string(degenerate.size()) +
         " layer(s) with a degenerate reference (first " +
         markdown_cell(degenerate[0].get<std::string>()) + ")";
  }
  return s;
}

// Data-aware energy beside the data-independent worst case.
std::string data_aware_sentence(const ordered_json& d) {
  const double worst = d["energy_pj"]["data_independent"].get<double>();
  const double aware = d["energy_pj"]["data_aware"].get<double>();
  std::string s = "Data-aware energy (" + d["activity"].get<std::string>() +
                  "): " + general(aware / 1e6) + " uJ per inference against " +
                  general(worst / 1e6) + " uJ data-independent (" +
                  fixed(100.0 * aware / worst, 1) +
                  " %): rows whose input bits are zero drive no DAC and read no cells (DAC " +
                  fixed(100.0 * d["dac_active_fraction"].get<double>(), 1) + " %, cell reads " +
                  fixed(100.0 * d["cell_active_fraction"].get<double>(), 1) + " % active)";
  if (d["skip_zero_blocks"].get<bool>()) {
    s += "; row blocks with no input bit in a cycle skip their conversions (" +
         fixed(100.0 * d["conversion_active_fraction"].get<double>(), 1) +
         " % converted), latency " + general(d["latency_ns"]["data_aware"].get<double>() / 1e3) +
         " us against " + general(d["latency_ns"]["data_independent"].get<double>() / 1e3) + " us";
  }
  return s + ".";
}

// A weight layer's bits as text: "8", or "3-8 (3:12 8:52)" (bits:channels) when channels
// differ; "" for other layers.
std::string weight_bits_text(const ordered_json& l) {
  if (!l.contains("weight_bits")) return "";
  const ordered_json& w = l["weight_bits"];
  const int lo = w["min"].get<int>(), hi = w["max"].get<int>();
  if (lo == hi) return std::to_string(lo);
  std::string text = std::to_string(lo) + "-" + std::to_string(hi) + " (";
  bool first = true;
  for (const auto& [bits, n] : w["channels"].items()) {
    text += (first ? "" : " ") + bits + ":" + std::to_string(n.get<int64_t>());
    first = false;
  }
  return text + ")";
}

// Packing by bit-width: "8b 64ch 256col; 4b 32ch 64col" (one row block's columns).
std::string packing_text(const ordered_json& l) {
  if (!l.contains("column_groups")) return "";
  std::string text;
  for (const ordered_json& g : l["column_groups"]) {
    text += (text.empty() ? "" : "; ") + std::to_string(g["bits"].get<int>()) + "b " +
            std::to_string(g["channels"].get<int64_t>()) + "ch " +
            std::to_string(g["columns"].get<int64_t>()) + "col";
  }
  return text;
}

// What each component of the report is, by group, so that report.md reads without the code.
struct GlossaryEntry {
  const char* name;
  const char* group;
  const char* meaning;
};
const std::vector<GlossaryEntry>& glossary() {
  static const std::vector<GlossaryEntry> entries = {
      {"xbar", "analog array", "crossbar cells read (per active cell per read)"},
      {"dac", "analog array", "row drivers applying the input bits (per row per read)"},
      {"sample_hold", "analog array", "sample-and-hold of each column for the ADCs"},
      {"adc", "converters", "column-sum conversions (energy scales with their bits)"},
      {"flip_correct", "digital",
       "weight flipping: input popcount per read, a subtraction per conversion, a flag per column"},
      {"shift_add", "digital", "PE shift-and-add of weight slices and input bits"},
      {"tile_shift_add", "digital", "tile adders: row-block partial-sum merges and residual adds"},
      {"activation_unit", "digital", "ReLU"},
      {"pool_unit", "digital", "max/average pooling"},
      {"input_register", "storage", "PE input register (inputs written, then read)"},
      {"output_register", "storage", "PE output register (16-bit accumulations)"},
      {"tile_buffer", "storage", "tile eDRAM/SRAM buffer (layer inputs and outputs)"},
      {"tile_output_register", "storage", "tile output register"},
      {"global_buffer", "storage", "chip buffer: the network's input and output"},
      {"dram", "storage", "off-chip traffic (inputs, outputs, rewritten weights)"},
      {"tile_bus", "interconnect", "buffer-to-PE bus"},
      {"router", "interconnect", "NoC: flits times routers crossed"},
      {"offchip_link", "interconnect", "off-chip links (HyperTransport): area and always-on power"},
      {"reprogram", "reprogramming", "cell writes when weights are time-multiplexed"},
  };
  return entries;
}

// `arch`: the run's arch config echo, whose pe/tile fixed_components name always-on units.
std::string glossary_markdown(const ordered_json& components, const ordered_json& arch) {
  std::string md = "\n### What the components are\n\n| group | component | what |\n|---|---|---|\n";
  for (const char* group :
       {"analog array", "converters", "digital", "storage", "interconnect", "reprogramming"}) {
    for (const GlossaryEntry& e : glossary()) {
      if (std::string(e.group) == group && components.contains(e.name)) {
        md += std::string("| ") + e.group + " | " + e.name + " | " + e.meaning + " |\n";
      }
    }
  }
  for (const auto& item : components.items()) {
    // A copy, not a structured binding: C++17 lambdas cannot capture those (clang refuses).
    const std::string name = item.key();
    const bool known = std::any_of(glossary().begin(), glossary().end(),
                                   [&](const GlossaryEntry& e) { return name == e.name; });
    if (known) continue;
    bool fixed = false;
    for (const char* level : {"pe", "tile"}) {
      fixed |= arch.contains(level) && arch[level].contains("fixed_components") &&
               arch[level]["fixed_components"].contains(name);
    }
    md += fixed ? "| fixed | " + markdown_cell(name) +
                      " | always-on unit the preset lists (fixed_components): area and static "
                      "power, no events |\n"
                : "| other | " + markdown_cell(name) + " | |\n";
  }
  return md;
}

// A layer's ADC bits for report.md: "8", or "8 (needs 9)" when its conversions lose bits.
std::string layer_adc_cell(const ordered_json& l) {
  if (!l.contains("adc_bits")) return "";
  std::string cell = std::to_string(l["adc_bits"].get<int>());
  if (!l["adc_exact"].get<bool>()) {
    cell += " (inexact: sums need " + std::to_string(l["adc_bits_needed"].get<int>()) + ")";
  }
  return cell;
}

// The digital 16-bit baseline's section of report.md.
std::string digital_baseline_markdown(const ordered_json& d) {
  const ordered_json& t = d["totals"];
  std::string md = "\n## Digital 16-bit baseline\n\n";
  md += "`" + markdown_cell(d["path"].get<std::string>()) + "`";
  for (const auto& o : d["overrides"]) {
    md += " `--digital-set " + markdown_cell(o.get<std::string>()) + "`";
  }
  md += " (" + markdown_cell(d["description"].get<std::string>()) + "), table `" +
        markdown_cell(d["tech"]["path"].get<std::string>()) + "` (sha256 " +
        d["tech"]["sha256"].get<std::string>().substr(0, 12) + ", " +
        std::to_string(d["tech"]["technology_nm"].get<int>()) + " nm)";
  if (!d["same_technology_node"].get<bool>()) {
    md += "; the PIM table is at another node, so the ratios mix technologies";
  }
  md += ". Weights " +
        std::string(d["weights_resident"].get<bool>() ? "resident on chip"
                                                      : "streamed from DRAM every inference") +
        "; " + std::to_string(d["config"]["accumulator_bits"].get<int>()) +
        "-bit accumulators for sums of up to " +
        std::to_string(d["accumulator_bits_needed"].get<int>()) + " bits" +
        (d["exact"].get<bool>() ? " (exact)" : " (**NOT exact**: its sums lose bits)") +
        ".\n\n| metric | digital | this run / ratio |\n|---|---|---|\n";
  md += "| energy per inference | " + general(t["energy_pj"].get<double>() / 1e6) +
        " uJ | reduction " + fixed(d["energy_reduction"].get<double>(), 2) + "x |\n";
  md += "| latency | " + general(t["latency_ns"].get<double>() / 1e3) + " us | " +
        fixed(d["latency_ratio"].get<double>(), 3) + "x |\n";
  md += "| throughput | " + general(t["throughput_inferences_per_s"].get<double>()) +
        " inferences/s | " + fixed(d["throughput_ratio"].get<double>(), 3) + "x |\n";
  md += "| TOPS/W | " + general(t["tops_per_w"].get<double>()) + " | |\n";
  md += "\n| component | energy (nJ) | share |\n|---|---|---|\n";
  const double total = t["energy_pj"].get<double>();
  for (const auto& [name, c] : d["components"].items()) {
    md += "| " + name + " | " + general(c["energy_pj"].get<double>() / 1e3) + " | " +
          fixed(100.0 * c["energy_pj"].get<double>() / total, 1) + "% |\n";
  }
  return md;
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

std::string run_report_markdown(const ordered_json& r) {
  const ordered_json& t = r["totals"];
  const ordered_json& run = r["run"];
  std::string md;
  md += "# mixpim report: " + markdown_cell(run["workload"]["name"].get<std::string>()) + " / " +
        markdown_cell(run["precision"]["name"].get<std::string>()) + " on " +
        markdown_cell(run["arch"]["name"].get<std::string>()) + "\n\n";
  md += "Made by `" + markdown_cell(run["command"].get<std::string>()) + "` (mixpim " +
        run["mixpim_version"].get<std::string>();
  if (!run["git_revision"].get<std::string>().empty())
    md += ", " + run["git_revision"].get<std::string>();
  md += "), engine `" + run["engine"].get<std::string>() + "`.\n\n";
  md += "| input | file |\n|---|---|\n";
  md += "| architecture | `" +
        (run["arch"]["files"].empty() ? std::string()
                                      : markdown_cell(run["arch"]["files"][0].get<std::string>())) +
        "`";
  for (const auto& o : run["arch"]["overrides"]) {
    md += " `--set " + markdown_cell(o.get<std::string>()) + "`";
  }
  md += " |\n";
  md += "| technology table | `" + markdown_cell(run["tech"]["path"].get<std::string>()) +
        "` (sha256 " + run["tech"]["sha256"].get<std::string>().substr(0, 12) + ") |\n";
  md += "| workload | `" + markdown_cell(run["workload"]["path"].get<std::string>()) + "` |\n";
  const std::string profile_path = run["precision"]["path"].get<std::string>();
  md += "| precision | " +
        (profile_path.empty()
             ? std::string("built-in ") + markdown_cell(run["precision"]["name"].get<std::string>())
             : "`" + markdown_cell(profile_path) + "`") +
        " |\n\n";
  md += "## Totals\n\n| metric | value |\n|---|---|\n";
  md += "| energy per inference | " + general(t["energy_pj"].get<double>() / 1e6) + " uJ |\n";
  md += "| latency | " + general(t["latency_ns"].get<double>() / 1e3) + " us |\n";
  md += "| throughput | " + general(t["throughput_inferences_per_s"].get<double>()) +
        " inferences/s |\n";
  md += "| area | " + general(t["area_mm2"].get<double>()) + " mm2 |\n";
  md += "| TOPS/W | " + general(t["tops_per_w"].get<double>()) + " |\n";
  md += "| TOPS/mm2 | " + general(t["tops_per_mm2"].get<double>()) + " |\n";
  md += "| arrays (placed / available) | " +
        std::to_string(r["mapping"]["arrays_placed"].get<int64_t>()) + " / " +
        std::to_string(r["mapping"]["arrays_available"].get<int64_t>()) + " |\n";
  if (r.contains("peak")) {
    const ordered_json& p = r["peak"];
    md += "| peak (every PE busy, " + std::to_string(p["weight_bits"].get<int>()) +
          "-bit weights, " + std::to_string(p["activation_bits"].get<int>()) + "-bit inputs) | " +
          general(p["tops"].get<double>()) + " TOPS, " + general(p["tops_per_w"].get<double>()) +
          " TOPS/W, " + general(p["tops_per_mm2"].get<double>()) + " TOPS/mm2 (" +
          general(p["power_w"].get<double>()) + " W); this network reaches " +
          fixed(100.0 * p["achieved_fraction"].get<double>(), 1) + " % of it |\n";
  }
  md += "| ADC conversions | " + adc_sentence(r["adc"]) + " |\n";
  if (r.contains("baseline")) {
    const ordered_json& b = r["baseline"];
    if (!b["adc_exact"].get<bool>()) {
      md += "| " + baseline_label(b) +
            " baseline ADC conversions | **not exact** (the baseline loses bits too) |\n";
    }
    md += "| energy reduction vs " + baseline_label(b) + " | " +
          fixed(b["energy_reduction"].get<double>(), 2) + "x |\n";
    md += "| latency vs " + baseline_label(b) + " | " + fixed(b["latency_ratio"].get<double>(), 3) +
          "x |\n";
  }
  if (r.contains("digital_baseline")) {
    const ordered_json& d = r["digital_baseline"];
    md += "| energy reduction vs digital 16-bit | " +
          fixed(d["energy_reduction"].get<double>(), 2) + "x (below) |\n";
  }
  md +=
      "\n## Energy by component\n\nLargest first. *events* and *pJ per event*: the run's events "
      "of the component and its dynamic energy over them (the table's price at this chip's "
      "sizes; a mean where it has several actions or resolutions).\n\n"
      "| component | energy (nJ) | share | events | pJ per event | area (mm2) |";
  if (r.contains("baseline"))
    md += " " + baseline_label(r["baseline"]) + " energy (nJ) | reduction |";
  md += "\n|---|---|---|---|---|---|";
  if (r.contains("baseline")) md += "---|---|";
  md += "\n";
  const double total = t["energy_pj"].get<double>();
  // Largest consumers first (ties by name), so the table's top rows are where the energy goes.
  std::vector<std::pair<std::string, const ordered_json*>> by_energy;
  for (const auto& [name, c] : r["components"].items()) by_energy.emplace_back(name, &c);
  std::stable_sort(by_energy.begin(), by_energy.end(), [](const auto& a, const auto& b) {
    return (*a.second)["energy_pj"].template get<double>() >
           (*b.second)["energy_pj"].template get<double>();
  });
  for (const auto& [name, component] : by_energy) {
    const ordered_json& c = *component;
    int64_t events = 0;
    for (const auto& [action, n] : c["counts"].items()) events += n.get<int64_t>();
    const double dynamic = c["dynamic_energy_pj"].get<double>();
    md += "| " + name + " | " + general(c["energy_pj"].get<double>() / 1e3) + " | " +
          fixed(100.0 * c["energy_pj"].get<double>() / total, 1) + "% | " +
          (events > 0 ? general(static_cast<double>(events)) : std::string("-")) + " | " +
          (events > 0 ? general(dynamic / static_cast<double>(events)) : std::string("-")) + " | " +
          general(c["area_mm2"].get<double>()) + " |";
    if (r.contains("baseline")) {
      const ordered_json& bc = r["baseline"]["components"][name];
      md += " " + general(bc["baseline_energy_pj"].get<double>() / 1e3) + " | " +
            (bc["reduction"].is_null() ? std::string("-")
                                       : fixed(bc["reduction"].get<double>(), 2) + "x") +
            " |";
    }
    md += "\n";
  }
  md += glossary_markdown(r["components"], r["run"]["arch"]["config"]);
  if (r.contains("digital_baseline")) md += digital_baseline_markdown(r["digital_baseline"]);
  if (r.contains("functional")) {
    md += "\n## Functional (bit-accurate data through the arrays)\n\n" +
          functional_sentence(r["functional"]) + ".\n";
  }
  if (r.contains("data_aware")) {
    const ordered_json& d = r["data_aware"];
    md += "\n" + data_aware_sentence(d) + "\n";
  }
  md +=
      "\n## Layers\n\nWeight bits: a range with bits:channels when channels differ; kept: output "
      "channels kept of all; packing: column groups by bit-width (channels, columns of one row "
      "block).\n\n| layer | type | MACs | weight bits | act. bits | kept | packing | column util. "
      "| ADC bits | arrays | copies | time (us) | bound | energy (nJ) |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const ordered_json& l : r["layers"]) {
    md +=
        "| " + markdown_cell(l["name"].get<std::string>()) + " | " + l["type"].get<std::string>() +
        " | " + std::to_string(l["macs"].get<int64_t>()) + " | " + weight_bits_text(l) + " | " +
        (l.contains("activation_bits") ? std::to_string(l["activation_bits"].get<int>()) : "") +
        " | " +
        (l.contains("kept_channels") ? std::to_string(l["kept_channels"].get<int64_t>()) + "/" +
                                           std::to_string(l["out_channels"].get<int64_t>())
                                     : "") +
        " | " + packing_text(l) + " | " +
        (l.contains("column_utilization")
             ? fixed(100.0 * l["column_utilization"].get<double>(), 1) + "%"
             : "") +
        " | " + layer_adc_cell(l) + " | " +
        (l.contains("arrays") ? std::to_string(l["arrays"].get<int64_t>()) : "") + " | " +
        (l.contains("replication") ? std::to_string(l["replication"].get<int64_t>()) : "") + " | " +
        general(l["time_ns"].get<double>() / 1e3) + " | " + l["bound"].get<std::string>() + " | " +
        general(l["energy_pj"].get<double>() / 1e3) + " |\n";
  }
  return md;
}

std::string layers_csv(const ordered_json& r) {
  std::set<std::string> components;
  for (const auto& [name, c] : r["components"].items()) components.insert(name);
  std::string csv =
      "layer,type,macs,adc_bits,adc_bits_needed,adc_exact,arrays,replication,weight_bits_min,"
      "weight_bits_max,weight_bits,activation_bits,kept_channels,out_channels,column_utilization,"
      "packing,time_ns,bound,start_ns,end_ns,energy_pj";
  for (const std::string& c : components) csv += ",energy_pj." + c;
  csv += "\n";
  for (const ordered_json& l : r["layers"]) {
    csv +=
        csv_cell(l["name"].get<std::string>()) + "," + l["type"].get<std::string>() + "," +
        std::to_string(l["macs"].get<int64_t>()) + "," +
        (l.contains("adc_bits") ? std::to_string(l["adc_bits"].get<int>()) : "") + "," +
        (l.contains("adc_bits") ? std::to_string(l["adc_bits_needed"].get<int>()) : "") + "," +
        (l.contains("adc_bits") ? std::string(l["adc_exact"].get<bool>() ? "true" : "false") : "") +
        "," + (l.contains("arrays") ? std::to_string(l["arrays"].get<int64_t>()) : "") + "," +
        (l.contains("replication") ? std::to_string(l["replication"].get<int64_t>()) : "") + "," +
        (l.contains("weight_bits") ? l["weight_bits"]["min"].dump() : "") + "," +
        (l.contains("weight_bits") ? l["weight_bits"]["max"].dump() : "") + "," +
        csv_cell(weight_bits_text(l)) + "," +
        (l.contains("activation_bits") ? l["activation_bits"].dump() : "") + "," +
        (l.contains("kept_channels") ? l["kept_channels"].dump() : "") + "," +
        (l.contains("out_channels") ? l["out_channels"].dump() : "") + "," +
        (l.contains("column_utilization") ? l["column_utilization"].dump() : "") + "," +
        csv_cell(packing_text(l)) + "," + ordered_json(l["time_ns"]).dump() + "," +
        l["bound"].get<std::string>() + "," + ordered_json(l["start_ns"]).dump() + "," +
        ordered_json(l["end_ns"]).dump() + "," + ordered_json(l["energy_pj"]).dump();
    for (const std::string& c : components) {
      csv += "," + (l["components"].contains(c) ? l["components"][c].dump() : std::string("0"));
    }
    csv += "\n";
  }
  return csv;
}

std::string run_summary_text(const ordered_json& r) {
  const ordered_json& t = r["totals"];
  std::string s = r["run"]["workload"]["name"].get<std::string>() + " / " +
                  r["run"]["precision"]["name"].get<std::string>() + " on " +
                  r["run"]["arch"]["name"].get<std::string>() + " (" +
                  r["run"]["engine"].get<std::string>() + ")\n";
  s += "  energy     " + general(t["energy_pj"].get<double>() / 1e6) + " uJ per inference\n";
  s += "  latency    " + general(t["latency_ns"].get<double>() / 1e3) + " us, throughput " +
       general(t["throughput_inferences_per_s"].get<double>()) + " inferences/s\n";
  s += "  area       " + general(t["area_mm2"].get<double>()) + " mm2, " +
       general(t["tops_per_w"].get<double>()) + " TOPS/W, " +
       general(t["tops_per_mm2"].get<double>()) + " TOPS/mm2\n";
  if (r.contains("peak")) {
    const ordered_json& p = r["peak"];
    s += "  peak       " + general(p["tops"].get<double>()) + " TOPS, " +
         general(p["tops_per_w"].get<double>()) + " TOPS/W, " +
         general(p["tops_per_mm2"].get<double>()) + " TOPS/mm2 (every PE busy, " +
         std::to_string(p["weight_bits"].get<int>()) + "/" +
         std::to_string(p["activation_bits"].get<int>()) + "-bit weights/inputs; " +
         fixed(100.0 * p["achieved_fraction"].get<double>(), 1) + " % reached)\n";
  }
  s += "  ADC        " + adc_sentence(r["adc"]) + "\n";
  if (r["components"].contains("reprogram")) {
    // Time-multiplexed weights: what rewriting them costs, every inference.
    const double pj = r["components"]["reprogram"]["energy_pj"].get<double>();
    const int64_t batch = t["batch"].get<int64_t>();
    s += std::string("  reprogram  weights rewritten ") +
         (batch > 1 ? "once per batch of " + std::to_string(batch) + ", per inference: "
                    : "every inference: ") +
         general(pj / 1e6) + " uJ (" + fixed(100.0 * pj / t["energy_pj"].get<double>(), 1) +
         " % of the energy), " + general(t["reprogram_ns"].get<double>() / 1e3) + " us\n";
  }
  if (r.contains("functional")) s += "  functional " + functional_sentence(r["functional"]) + "\n";
  if (r.contains("data_aware")) s += "  data-aware " + data_aware_sentence(r["data_aware"]) + "\n";
  if (r.contains("baseline")) {
    const std::string label = "vs " + baseline_label(r["baseline"]);
    s += "  " + label + std::string(label.size() < 11 ? 11 - label.size() : 1, ' ') +
         "energy reduction " + fixed(r["baseline"]["energy_reduction"].get<double>(), 2) +
         "x, latency " + fixed(r["baseline"]["latency_ratio"].get<double>(), 3) + "x\n";
  }
  if (r.contains("digital_baseline")) {
    const ordered_json& d = r["digital_baseline"];
    s += "  vs digital energy reduction " + fixed(d["energy_reduction"].get<double>(), 2) +
         "x, latency " + fixed(d["latency_ratio"].get<double>(), 3) + "x (" +
         d["name"].get<std::string>() + ", " + d["tech"]["name"].get<std::string>() + ")\n";
  }
  return s;
}

}  // namespace mixpim::sim
