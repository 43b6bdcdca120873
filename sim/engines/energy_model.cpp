#include "sim/engines/energy_model.h"

#include <algorithm>

#include "sim/compiler/adc.h"

namespace mixpim::sim {

namespace {

// The table's fixed component `name`, which the arch's pe or tile (`level`) lists.
const TechComponent& fixed_component(const ArchConfig& arch, const TechTable& t, const char* level,
                                     const std::string& name) {
  auto it = t.fixed_components.find(name);
  if (it == t.fixed_components.end()) {
    const std::string key = std::string(level) + ".fixed_components." + name;
    throw InputError(
        {{key_location(arch, {level, "fixed_components", name.c_str()}), key,
          "technology table " + t.name + " (" + t.path + ") has no fixed_components entry " + name +
              " (its area_mm2 and leakage_mw)"}});
  }
  return it->second;
}

}  // namespace

AreaBreakdown area_breakdown(const ArchConfig& arch, const TechTable& t) {
  AreaBreakdown a;
  const PeConfig& pe = arch.pe;
  const double arrays = pe.crossbars;
  auto per_instance = [&](const std::string& name) { return t.component(name).area_mm2; };
  a.pe_mm2["xbar"] = arrays * t.xbar_area_mm2(pe.crossbar.rows, pe.crossbar.columns);
  a.pe_mm2["dac"] = arrays * pe.crossbar.rows * t.dac_area_mm2(pe.dac.bits);
  a.pe_mm2["sample_hold"] = arrays * pe.crossbar.columns * per_instance("sample_hold");
  a.pe_mm2["adc"] = pe.adc.count * t.adc_area_mm2(adc_built_bits(arch));
  // Weight flipping: one flag bit per array column and row group of a read (and its share of
  // the correction logic).
  const double flag_bits =
      arrays * pe.crossbar.columns * static_cast<double>(read_groups_per_array(arch));
  if (pe.crossbar.weight_flipping)
    a.pe_mm2["flip_correct"] = flag_bits * per_instance("flip_correct");
  a.pe_mm2["shift_add"] = pe.shift_add_units * per_instance("shift_add");
  a.pe_mm2["input_register"] = pe.input_register_bytes * per_instance("input_register");
  a.pe_mm2["output_register"] = pe.output_register_bytes * per_instance("output_register");
  for (const auto& [name, count] : pe.fixed_components)
    a.pe_mm2[name] = count * fixed_component(arch, t, "pe", name).area_mm2;
  for (const auto& [name, mm2] : a.pe_mm2) {
    a.pe_total_mm2 += mm2;
    a.tile_mm2[name] = mm2 * arch.tile.pes;
  }
  const TileConfig& tile = arch.tile;
  a.tile_mm2["tile_buffer"] =
      static_cast<double>(tile.buffer.capacity_bytes) * per_instance("tile_buffer");
  a.tile_mm2["tile_bus"] = per_instance("tile_bus");
  a.tile_mm2["tile_output_register"] =
      tile.output_register_bytes * per_instance("tile_output_register");
  a.tile_mm2["activation_unit"] = tile.activation_units * per_instance("activation_unit");
  a.tile_mm2["pool_unit"] = tile.pool_units * per_instance("pool_unit");
  a.tile_mm2["tile_shift_add"] = tile.shift_add_units * per_instance("tile_shift_add");
  a.tile_mm2["router"] = per_instance("router") / arch.chip.noc.tiles_per_router;  // shared (cmesh)
  for (const auto& [name, count] : tile.fixed_components)
    a.tile_mm2[name] += count * fixed_component(arch, t, "tile", name).area_mm2;
  for (const auto& [name, mm2] : a.tile_mm2) {
    a.tile_total_mm2 += mm2;
    a.chip_mm2[name] = mm2 * arch.chip.tiles;
  }
  a.chip_mm2["global_buffer"] =
      static_cast<double>(arch.chip.global_buffer.capacity_bytes) * per_instance("global_buffer");
  if (arch.chip.offchip_links > 0) {
    if (t.components.count("offchip_link") == 0) {
      throw InputError({{key_location(arch, {"chip", "offchip_links"}), "chip.offchip_links",
                         "technology table " + t.name + " (" + t.path +
                             ") has no offchip_link component (area and power per link)"}});
    }
    a.chip_mm2["offchip_link"] = arch.chip.offchip_links * per_instance("offchip_link");
  }
  for (const auto& [name, mm2] : a.chip_mm2) a.chip_total_mm2 += mm2;

  // Leakage follows the same instance counts as area.
  auto leak = [&](const std::string& name) { return t.component(name).leakage_mw; };
  std::map<std::string, double>& l = a.tile_leakage_mw;
  l["xbar"] = tile.pes * arrays * leak("xbar");
  l["dac"] = tile.pes * arrays * pe.crossbar.rows * leak("dac");
  l["sample_hold"] = tile.pes * arrays * pe.crossbar.columns * leak("sample_hold");
  l["adc"] = tile.pes * pe.adc.count * leak("adc");
  if (pe.crossbar.weight_flipping) l["flip_correct"] = tile.pes * flag_bits * leak("flip_correct");
  l["shift_add"] = tile.pes * pe.shift_add_units * leak("shift_add");
  l["input_register"] = tile.pes * pe.input_register_bytes * leak("input_register");
  l["output_register"] = tile.pes * pe.output_register_bytes * leak("output_register");
  l["tile_buffer"] = static_cast<double>(tile.buffer.capacity_bytes) * leak("tile_buffer");
  l["tile_bus"] = leak("tile_bus");
  l["tile_output_register"] = tile.output_register_bytes * leak("tile_output_register");
  l["activation_unit"] = tile.activation_units * leak("activation_unit");
  l["pool_unit"] = tile.pool_units * leak("pool_unit");
  l["tile_shift_add"] = tile.shift_add_units * leak("tile_shift_add");
  l["router"] = leak("router") / arch.chip.noc.tiles_per_router;
  for (const auto& [name, count] : pe.fixed_components)
    l[name] += tile.pes * count * fixed_component(arch, t, "pe", name).leakage_mw;
  for (const auto& [name, count] : tile.fixed_components)
    l[name] += count * fixed_component(arch, t, "tile", name).leakage_mw;
  a.global_leakage_mw =
      static_cast<double>(arch.chip.global_buffer.capacity_bytes) * leak("global_buffer");
  if (arch.chip.offchip_links > 0) a.links_mw = arch.chip.offchip_links * leak("offchip_link");
  return a;
}

namespace {

// The size the table's price of `component` refers to, on this chip (TechTable::sized_energy_pj).
int64_t component_size(const ArchConfig& arch, const std::string& component) {
  if (component == "dac") return arch.pe.crossbar.columns;  // cells on the row it drives
  if (component == "router") return arch.chip.noc.flit_bits;
  if (component == "input_register") return arch.pe.input_register_bytes;
  if (component == "output_register") return arch.pe.output_register_bytes;
  if (component == "tile_buffer") return arch.tile.buffer.capacity_bytes;
  if (component == "tile_output_register") return arch.tile.output_register_bytes;
  if (component == "global_buffer") return arch.chip.global_buffer.capacity_bytes;
  return 0;
}

}  // namespace

double event_energy_pj(const TechTable& t, const ArchConfig& arch, const std::string& component,
                       const std::string& action, int adc_bits) {
  if (component == "reprogram") {
    // Reprogramming is its own component: cell writes priced as the table's, and the
    // rewritten weights' DRAM bytes as DRAM bytes.
    return action == "dram_byte" ? t.energy_pj("dram", "byte") : t.energy_pj("xbar", "write_cell");
  }
  if (component == "adc" && action == "convert") return t.adc_energy_pj(adc_bits);
  if (component == "dac" && action == "convert") {
    return t.dac_energy_pj(arch.pe.dac.bits) * t.size_scale("dac", component_size(arch, "dac"));
  }
  return t.sized_energy_pj(component, action, component_size(arch, component));
}

std::map<std::string, double> tile_peak_power_mw(const ArchConfig& arch, const TechTable& t) {
  const PeConfig& pe = arch.pe;
  const TileConfig& tile = arch.tile;
  const double ghz = arch.clock_mhz / 1000.0;
  const double reads_per_ns =
      pe.crossbars / pe.crossbar.read_latency_ns;   // array reads per ns, one PE
  const int read_rows = rows_per_array_read(arch);  // rows one read drives
  const int adc_bits = adc_built_bits(arch);
  const double conversions_per_ns = pe.adc.count / adc_conversion_ns(arch, adc_bits);
  const double pes = tile.pes;
  // Events per ns x pJ per event = mW.
  std::map<std::string, double> p;
  auto price = [&](const char* component, const char* action) {
    return event_energy_pj(t, arch, component, action, adc_bits);
  };
  p["xbar"] = pes * reads_per_ns * read_rows * pe.crossbar.columns * price("xbar", "read_cell");
  p["dac"] = pes * reads_per_ns * read_rows * price("dac", "convert");
  p["sample_hold"] = pes * reads_per_ns * pe.crossbar.columns * price("sample_hold", "sample");
  p["adc"] = pes * conversions_per_ns * price("adc", "convert");
  p["shift_add"] = pes * conversions_per_ns * price("shift_add", "op");
  if (pe.crossbar.weight_flipping) {
    p["flip_correct"] =
        pes * (conversions_per_ns * price("flip_correct", "subtract") +
               reads_per_ns * read_rows * pe.dac.bits * price("flip_correct", "input_bit"));
  }
  p["output_register"] = pes * 2 * conversions_per_ns * price("output_register", "access_byte");
  p["input_register"] = pes * 2 * reads_per_ns * read_rows * pe.dac.bits / 8.0 *
                        price("input_register", "access_byte");
  p["tile_buffer"] =
      tile.buffer.bandwidth_bytes_per_cycle * ghz * price("tile_buffer", "read_byte");
  p["tile_bus"] = tile.bus_bits / 8.0 * ghz * price("tile_bus", "byte");
  p["tile_output_register"] =
      2.0 * tile.shift_add_units * ghz * price("tile_output_register", "access_byte");
  p["activation_unit"] = tile.activation_units * ghz * price("activation_unit", "op");
  p["pool_unit"] = tile.pool_units * ghz * price("pool_unit", "op");
  p["tile_shift_add"] = tile.shift_add_units * ghz * price("tile_shift_add", "op");
  p["router"] = static_cast<double>(arch.chip.noc.router_ports) *
                arch.chip.noc.link_flits_per_cycle * ghz * price("router", "flit_hop") /
                arch.chip.noc.tiles_per_router;
  const AreaBreakdown area = area_breakdown(arch, t);
  for (const auto& [name, mw] : area.tile_leakage_mw) p[name] += mw;
  return p;
}

PeakFigures peak_figures(const ArchConfig& arch, const TechTable& t, int weight_bits,
                         int activation_bits) {
  const PeConfig& pe = arch.pe;
  PeakFigures p;
  p.weight_bits = weight_bits;
  p.activation_bits = activation_bits;
  const int64_t slices = (weight_bits + pe.crossbar.bits_per_cell - 1) / pe.crossbar.bits_per_cell;
  const int64_t per_slice = pe.crossbar.signed_weights == SignedWeights::kDifferential ? 2 : 1;
  const int64_t weights_per_array = pe.crossbar.columns / (slices * per_slice);
  const int64_t cycles = (activation_bits + pe.dac.bits - 1) / pe.dac.bits;
  // Every row group of every array read and converted (pe.crossbar.rows_per_read).
  const int64_t groups = read_groups_per_array(arch);
  const double read_ns =
      std::max(pe.crossbar.read_latency_ns * static_cast<double>(groups),
               adc_read_ns(arch, int64_t{pe.crossbars} * pe.crossbar.columns * groups,
                           adc_built_bits(arch)));
  const double macs_per_ns = static_cast<double>(arch.crossbars_total()) * pe.crossbar.rows *
                             static_cast<double>(weights_per_array) /
                             (static_cast<double>(cycles) * read_ns);
  p.ops_per_s = 2.0 * macs_per_ns * 1e9;
  const AreaBreakdown area = area_breakdown(arch, t);
  double tile_mw = 0;
  for (const auto& [name, mw] : tile_peak_power_mw(arch, t)) tile_mw += mw;
  p.power_w = (tile_mw * arch.chip.tiles + area.global_leakage_mw + area.links_mw) / 1000.0;
  p.area_mm2 = area.chip_total_mm2;
  return p;
}

std::map<std::string, double> dynamic_energy_pj(const ActionCounts& counts, const TechTable& t,
                                                const ArchConfig& arch, int adc_bits) {
  std::map<std::string, double> energy;
  for (const auto& [key, count] : counts.entries()) {
    const auto& [component, action] = key;
    const double per_event = event_energy_pj(t, arch, component, action, adc_bits);
    energy[component] += static_cast<double>(count) * per_event;
  }
  return energy;
}

Evaluation evaluate(const PerformanceResult& performance, const ArchConfig& arch,
                    const TechTable& t, int64_t batch) {
  Evaluation e;
  e.performance = performance;
  e.batch = batch < 1 ? 1 : batch;
  e.area = area_breakdown(arch, t);
  // Weights rewritten once per batch: their time is shared by the batch's inferences.
  e.reprogram_ns = static_cast<double>(performance.reprogram_rounds) * arch.pe.crossbar.rows *
                   t.component("xbar").write_row_latency_ns / static_cast<double>(e.batch);
  e.latency_ns = performance.latency_ns + e.reprogram_ns;
  e.interval_ns = performance.interval_ns + e.reprogram_ns;

  for (const LayerPerformance& layer : performance.layers) {
    e.layer_energy_pj.push_back(dynamic_energy_pj(layer.counts, t, arch, layer.adc.bits));
    for (const auto& [name, pj] : e.layer_energy_pj.back()) e.components[name].dynamic_pj += pj;
  }
  for (const auto& [name, pj] :
       dynamic_energy_pj(performance.io_counts, t, arch, arch.pe.adc.bits)) {
    e.components[name].dynamic_pj += pj;
  }
  // Reprogramming energy (cell writes, weights from DRAM) is spent once per batch.
  if (e.components.count("reprogram")) {
    e.components["reprogram"].dynamic_pj /= static_cast<double>(e.batch);
    for (auto& layer : e.layer_energy_pj) {
      if (layer.count("reprogram")) layer["reprogram"] /= static_cast<double>(e.batch);
    }
  }
  // mW x ns = pJ.
  for (const auto& [name, mw] : e.area.tile_leakage_mw) {
    e.components[name].leakage_pj += mw * performance.tiles_used * e.interval_ns;
  }
  e.components["global_buffer"].leakage_pj += e.area.global_leakage_mw * e.interval_ns;
  if (e.area.links_mw > 0)
    e.components["offchip_link"].leakage_pj += e.area.links_mw * e.interval_ns;
  for (const auto& [name, mm2] : e.area.chip_mm2) e.components[name].area_mm2 = mm2;
  for (const auto& [name, c] : e.components) {
    e.dynamic_pj += c.dynamic_pj;
    e.leakage_pj += c.leakage_pj;
  }
  return e;
}

}  // namespace mixpim::sim
