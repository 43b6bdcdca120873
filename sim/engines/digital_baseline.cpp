#include "sim/engines/digital_baseline.h"

#include <algorithm>
#include <numeric>

#include "sim/config/config_echo.h"
#include "sim/util/diagnostics.h"
#include "sim/config/yaml_reader.h"

namespace mixpim::sim {

namespace {

int64_t elements(const Shape& shape) {
  return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<>());
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

DigitalConfig digital_config_from_yaml(const YamlNode& root, Diagnostics& diagnostics) {
  DigitalConfig c;
  MapReader top(&root, "", diagnostics, root.where);
  if (!top.present()) return c;
  c.name = top.string("name").value_or("");
  c.description = top.string_or("description", "");
  c.tech = top.string("tech").value_or("");
  c.clock_mhz = top.number("clock_mhz", 1, 100'000).value_or(0);
  {
    MapReader array = top.map("mac_array", true);
    c.array_rows = static_cast<int>(array.integer("rows", 1, 1 << 16).value_or(0));
    c.array_columns = static_cast<int>(array.integer("columns", 1, 1 << 16).value_or(0));
    c.accumulator_bits = static_cast<int>(array.integer_or("accumulator_bits", 32, 16, 64));
  }
  auto buffer = [&](const char* key, BufferConfig& out) {
    MapReader b = top.map(key, true);
    out.capacity_bytes = b.integer("capacity_bytes", 0, int64_t{1} << 50).value_or(0);
    out.bandwidth_bytes_per_cycle =
        static_cast<int>(b.integer("bandwidth_bytes_per_cycle", 1, 1 << 20).value_or(0));
  };
  buffer("activation_buffer", c.activation_buffer);
  buffer("weight_buffer", c.weight_buffer);
  c.vector_units = static_cast<int>(top.integer("vector_units", 1, 1 << 20).value_or(0));
  {
    MapReader dram = top.map("dram", true);
    c.dram_bandwidth_gb_per_s = dram.number("bandwidth_gb_per_s", 1e-3, 1e6).value_or(0);
  }
  return c;
}

// Charges `counts` from the table, per component.
std::map<std::string, double> charge(const ActionCounts& counts, const TechTable& table) {
  std::map<std::string, double> energy;
  for (const auto& [key, count] : counts.entries()) {
    energy[key.first] += static_cast<double>(count) * table.energy_pj(key.first, key.second);
  }
  return energy;
}

// Stage time: the largest bound, named; ties go to the first in `bounds_ns`'s order.
void settle(DigitalLayer& layer) {
  layer.time_ns = 0;
  layer.bound = "none";
  for (const auto& [name, ns] : layer.bounds_ns) {
    if (ns > layer.time_ns) {
      layer.time_ns = ns;
      layer.bound = name;
    }
  }
}

}  // namespace

int digital_accumulator_bits_needed(int64_t k) {
  // Exact integer search (no floating log): the smallest B with 2^(B-1) >= largest |sum|.
  const unsigned __int128 largest =
      static_cast<unsigned __int128>(k) * ((uint64_t{1} << 16) - 1) * (uint64_t{1} << 15);
  int bits = 1;
  while ((static_cast<unsigned __int128>(1) << (bits - 1)) < largest) ++bits;
  return bits;
}

const std::vector<std::pair<std::string, std::string>>& digital_required_actions() {
  static const std::vector<std::pair<std::string, std::string>> actions = {
      {"mac", "op"},
      {"weight_buffer", "read_byte"},
      {"weight_buffer", "write_byte"},
      {"activation_buffer", "read_byte"},
      {"activation_buffer", "write_byte"},
      {"accumulator", "read_byte"},
      {"accumulator", "write_byte"},
      {"vector_unit", "op"},
      {"dram", "byte"},
  };
  return actions;
}

DigitalConfig load_digital_config(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  YamlNode root = load_yaml_file(path);
  if (root.is_null()) {  // an empty file: report the missing keys
    root.kind = YamlNode::Kind::kMap;
    root.where = {path, 1, 1};
  }
  Diagnostics diagnostics;
  if (!root.is_map()) {
    diagnostics.add(root.where, "", "expected a map (a digital preset), got " + root.describe());
    diagnostics.throw_if_any();
  }
  for (const std::string& assignment : overrides)
    apply_override(root, assignment, diagnostics, "--digital-set");
  DigitalConfig config = digital_config_from_yaml(root, diagnostics);
  diagnostics.throw_if_any();
  config.path = path;
  config.overrides = overrides;
  const YamlNode* tech = root.find("tech");
  config.tech_where = tech != nullptr ? tech->where : SourceLocation{path, 0, 0};
  const YamlNode* array = root.find("mac_array");
  const YamlNode* accumulator = array != nullptr ? array->find("accumulator_bits") : nullptr;
  config.accumulator_where =
      accumulator != nullptr ? accumulator->where : SourceLocation{path, 0, 0};
  return config;
}

TechTable load_digital_table(const std::string& path) {
  return load_tech_table(path, digital_required_actions(), false);
}

std::string resolve_digital_tech_path(const DigitalConfig& config) {
  return resolve_table_path(config.tech, config.tech_where, config.path, "configs/digital/");
}

double DigitalLayer::total_energy_pj() const {
  double total = 0;
  for (const auto& [name, pj] : energy_pj) total += pj;
  return total;
}

ActionCounts DigitalResult::total_counts() const {
  ActionCounts total = io_counts;
  for (const DigitalLayer& l : layers) total.merge(l.counts);
  return total;
}

DigitalResult analyze_digital(const Network& network, const DigitalConfig& config,
                              const TechTable& table) {
  DigitalResult result;
  for (const Layer& layer : network.layers) {
    result.weight_bytes += kDigitalDataBytes * layer.dense_weights();
  }
  result.weights_resident = result.weight_bytes <= config.weight_buffer.capacity_bytes;

  const int64_t rows = config.array_rows;
  const int64_t columns = config.array_columns;
  const double cycle_ns = config.cycle_ns();
  for (const Layer& layer : network.layers) {
    DigitalLayer d;
    d.name = layer.name;
    d.type = layer.type;
    ActionCounts& c = d.counts;
    const int64_t in_elements = elements(layer.input_shape);
    const int64_t out_elements = elements(layer.output_shape);
    // What the layer holds in the activation buffer at once: its inputs and its output.
    int64_t footprint_bytes = kDigitalDataBytes * (in_elements + out_elements);
    if (layer.has_weights()) {
      // GEMM: P output pixels x K reduction x N output channels (im2col for convolutions);
      // a grouped convolution is one such GEMM per group, run one after another.
      const int64_t p = layer.output_pixels();
      const int64_t g = layer.groups;
      const int64_t k = layer.group_in_channels() * layer.kernel_area();
      const int64_t n = layer.group_out_channels();
      const int64_t k_folds = ceil_div(k, rows);
      const int64_t n_folds = ceil_div(n, columns);
      d.macs = layer.dense_macs();
      d.folds = g * k_folds * n_folds;
      d.compute_cycles = d.folds * (2 * rows + columns + p - 2);
      c.add("mac", "op", d.macs);
      const int64_t weight_bytes = kDigitalDataBytes * k * n * g;
      c.add("weight_buffer", "read_byte", weight_bytes);  // each weight enters the array once
      if (!result.weights_resident) {
        c.add("dram", "byte", weight_bytes);  // streamed in every inference, staged in the buffer
        c.add("weight_buffer", "write_byte", weight_bytes);
      }
      // Every column fold streams all P input vectors again.
      c.add("activation_buffer", "read_byte", kDigitalDataBytes * p * k * n_folds * g);
      // Each row fold writes its partial sums and reads them back (to add the next fold's, or
      // to drain the last to the activation buffer).
      const int64_t partial_bytes = config.accumulator_bytes() * p * n * k_folds * g;
      d.accumulator_bits_needed = digital_accumulator_bits_needed(k);
      result.accumulator_bits_needed =
          std::max(result.accumulator_bits_needed, d.accumulator_bits_needed);
      c.add("accumulator", "write_byte", partial_bytes);
      c.add("accumulator", "read_byte", partial_bytes);
      c.add("activation_buffer", "write_byte", kDigitalDataBytes * out_elements);
      d.bounds_ns["compute"] = static_cast<double>(d.compute_cycles) * cycle_ns;
      const int64_t weight_buffer_bytes =
          c.get("weight_buffer", "read_byte") + c.get("weight_buffer", "write_byte");
      d.bounds_ns["weight_buffer"] = static_cast<double>(weight_buffer_bytes) /
                                     config.weight_buffer.bandwidth_bytes_per_cycle * cycle_ns;
    } else if (layer.type != LayerType::kFlatten && layer.type != LayerType::kConcat) {  // views
      int64_t ops = 0;
      int64_t elements_read = 0;  // from the activation buffer; ReLU reads none (fused)
      switch (layer.type) {
        case LayerType::kRelu:
          // Fused: applied to the producer's outputs on their way to the buffer.
          ops = out_elements;
          break;
        case LayerType::kMaxPool:
        case LayerType::kAvgPool:
          ops = out_elements * layer.kernel_area();  // every window element, from the buffer
          elements_read = ops;
          break;
        case LayerType::kGlobalAvgPool:
          ops = in_elements;
          elements_read = in_elements;
          break;
        case LayerType::kAdd: {
          const auto inputs = static_cast<int64_t>(layer.producers.size());
          ops = out_elements * (inputs - 1);
          elements_read = inputs * out_elements;
          footprint_bytes = kDigitalDataBytes * (elements_read + out_elements);
          break;
        }
        default:
          break;
      }
      c.add("vector_unit", "op", ops);
      if (elements_read > 0) {
        c.add("activation_buffer", "read_byte", kDigitalDataBytes * elements_read);
        c.add("activation_buffer", "write_byte", kDigitalDataBytes * out_elements);
      }
      d.bounds_ns["vector"] = static_cast<double>(ops) / config.vector_units * cycle_ns;
    }
    const int64_t buffer_bytes =
        c.get("activation_buffer", "read_byte") + c.get("activation_buffer", "write_byte");
    if (buffer_bytes > 0) {
      // A layer whose 16-bit input and output do not fit the activation buffer together
      // spills: its input comes from DRAM and its output goes there.
      if (footprint_bytes > config.activation_buffer.capacity_bytes) {
        c.add("dram", "byte", footprint_bytes);
      }
      d.bounds_ns["activation_buffer"] = static_cast<double>(buffer_bytes) /
                                         config.activation_buffer.bandwidth_bytes_per_cycle *
                                         cycle_ns;
    }
    if (c.get("dram", "byte") > 0) {
      // GB/s = bytes per ns.
      d.bounds_ns["dram"] =
          static_cast<double>(c.get("dram", "byte")) / config.dram_bandwidth_gb_per_s;
    }
    settle(d);
    d.energy_pj = charge(c, table);
    result.latency_ns += d.time_ns;
    result.macs += d.macs;
    result.layers.push_back(std::move(d));
  }
  // The network input arrives from DRAM into the buffer; the output leaves the same way (their
  // time overlaps the previous and next inference, so it is not added to the latency).
  const int64_t input_bytes = kDigitalDataBytes * elements(network.input_shape);
  const int64_t output_bytes =
      network.layers.empty() ? 0 : kDigitalDataBytes * elements(network.layers.back().output_shape);
  result.io_counts.add("dram", "byte", input_bytes + output_bytes);
  result.io_counts.add("activation_buffer", "write_byte", input_bytes);
  result.io_counts.add("activation_buffer", "read_byte", output_bytes);

  result.exact = result.accumulator_bits_needed <= config.accumulator_bits;
  result.component_energy_pj = charge(result.total_counts(), table);
  for (const auto& [name, pj] : result.component_energy_pj) result.energy_pj += pj;
  return result;
}

nlohmann::ordered_json digital_baseline_json(const DigitalResult& result,
                                             const DigitalConfig& config, const TechTable& table,
                                             double pim_energy_pj, double pim_latency_ns,
                                             double pim_interval_ns, int pim_technology_nm) {
  using nlohmann::ordered_json;
  ordered_json j;
  j["name"] = config.name;
  j["description"] = config.description;
  j["path"] = config.path;
  j["overrides"] = config.overrides;
  j["config"] = {{"clock_mhz", config.clock_mhz},
                 {"mac_array", {{"rows", config.array_rows}, {"columns", config.array_columns}}},
                 {"activation_buffer", buffer_config_json(config.activation_buffer)},
                 {"weight_buffer", buffer_config_json(config.weight_buffer)},
                 {"vector_units", config.vector_units},
                 {"dram", {{"bandwidth_gb_per_s", config.dram_bandwidth_gb_per_s}}},
                 {"data_bits", 8 * kDigitalDataBytes},
                 {"accumulator_bits", config.accumulator_bits}};
  j["tech"] = tech_table_json(table);
  j["same_technology_node"] = table.technology_nm == pim_technology_nm;
  // As the PIM run's ADCs (report `adc`): do the accumulators hold every sum?
  j["exact"] = result.exact;
  j["accumulator_bits_needed"] = result.accumulator_bits_needed;
  j["weights_resident"] = result.weights_resident;
  j["weight_bytes"] = result.weight_bytes;
  j["totals"] = {{"energy_pj", result.energy_pj},
                 {"latency_ns", result.latency_ns},
                 {"throughput_inferences_per_s", result.throughput_inferences_per_s()},
                 {"macs", result.macs},
                 {"tops_per_w", result.tops_per_w()}};
  // Ratios: reduction = digital / PIM (> 1: the PIM run is cheaper); ratio = PIM / digital.
  j["energy_reduction"] = result.energy_pj / pim_energy_pj;
  j["latency_ratio"] = pim_latency_ns / result.latency_ns;
  j["throughput_ratio"] = result.latency_ns / pim_interval_ns;
  ordered_json components = ordered_json::object();
  const ActionCounts total = result.total_counts();
  for (const auto& [name, pj] : result.component_energy_pj) {
    ordered_json counts = ordered_json::object();
    for (const auto& [key, count] : total.entries()) {
      if (key.first == name) counts[key.second] = count;
    }
    components[name] = {{"energy_pj", pj}, {"counts", counts}};
  }
  j["components"] = components;
  ordered_json layers = ordered_json::array();
  for (const DigitalLayer& l : result.layers) {
    ordered_json layer = {{"name", l.name},          {"type", std::string(to_string(l.type))},
                          {"macs", l.macs},          {"energy_pj", l.total_energy_pj()},
                          {"time_ns", l.time_ns},    {"bound", l.bound},
                          {"bounds_ns", l.bounds_ns}};
    if (l.folds > 0) {
      layer["folds"] = l.folds;
      layer["compute_cycles"] = l.compute_cycles;
      layer["accumulator_bits_needed"] = l.accumulator_bits_needed;
    }
    ordered_json counts = ordered_json::object();
    for (const auto& [key, count] : l.counts.entries())
      counts[key.first + "." + key.second] = count;
    layer["counts"] = counts;
    layers.push_back(layer);
  }
  j["layers"] = layers;
  return j;
}

}  // namespace mixpim::sim
