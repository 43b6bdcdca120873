// report.md, layers.csv and the terminal summary, from a run's report.json (run_report_json).
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
