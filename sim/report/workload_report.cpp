#include "sim/report/workload_report.h"

#include <map>

#include "sim/util/text_table.h"

namespace mixpim::sim {

namespace {

// "8", or "4-8" when channels differ.
std::string bits_range(const LayerPrecision& p) {
  std::vector<int> bits = p.distinct_weight_bits();
  if (bits.empty()) return "-";
  if (bits.size() == 1) return std::to_string(bits.front());
  return std::to_string(bits.front()) + "-" + std::to_string(bits.back());
}

nlohmann::ordered_json shape_json(const Shape& shape) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (int64_t d : shape) out.push_back(d);
  return out;
}

}  // namespace

WorkloadTotals sum_counts(const std::vector<LayerCounts>& counts) {
  WorkloadTotals totals;
  for (const LayerCounts& c : counts) {
    totals.macs += c.macs;
    totals.weights += c.weights;
    totals.weight_memory_bits += c.weight_memory_bits;
  }
  return totals;
}

nlohmann::ordered_json workload_summary_json(const Network& network,
                                             const PrecisionProfile& profile) {
  const std::vector<LayerCounts> counts = count_layers(network, profile);
  nlohmann::ordered_json out;
  out["schema_version"] = 1;
  out["workload"] = {{"name", network.name},
                     {"network", network.family},
                     {"dataset", network.dataset},
                     {"file", network.source_path},
                     {"input_shape", shape_json(network.input_shape)}};
  out["precision"] = {
      {"name", profile.name}, {"file", profile.source_path}, {"description", profile.description}};
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    nlohmann::ordered_json entry;
    entry["name"] = layer.name;
    entry["type"] = std::string(to_string(layer.type));
    entry["input_shape"] = shape_json(layer.input_shape);
    entry["output_shape"] = shape_json(layer.output_shape);
    entry["macs"] = counts[i].macs;
    entry["weights"] = counts[i].weights;
    entry["weight_memory_bits"] = counts[i].weight_memory_bits;
    if (layer.has_weights()) {
      const LayerPrecision& p = profile.layers[i];
      std::map<int, int64_t> histogram;
      for (size_t j = 0; j < p.weight_bits.size(); ++j) {
        if (p.kept[j]) ++histogram[p.weight_bits[j]];
      }
      nlohmann::ordered_json hist = nlohmann::ordered_json::object();
      for (const auto& [bits, channels] : histogram) hist[std::to_string(bits)] = channels;
      entry["activation_bits"] = p.activation_bits;
      entry["weight_bits_min"] = histogram.begin()->first;
      entry["weight_bits_max"] = histogram.rbegin()->first;
      entry["weight_bits_histogram"] = hist;  // bits -> kept output channels
      entry["out_channels"] = layer.out_channels();
      entry["kept_out_channels"] = counts[i].kept_outputs;
      entry["in_channels"] = layer.in_channels();
      entry["kept_in_channels"] = counts[i].kept_inputs;
    }
    layers.push_back(entry);
  }
  out["layers"] = layers;
  const WorkloadTotals totals = sum_counts(counts);
  out["totals"] = {{"macs", totals.macs},
                   {"weights", totals.weights},
                   {"weight_memory_bits", totals.weight_memory_bits},
                   {"layers", network.layers.size()}};
  return out;
}

std::string workload_summary_text(const Network& network, const PrecisionProfile& profile) {
  const std::vector<LayerCounts> counts = count_layers(network, profile);
  TextTable table({"layer", "type", "input", "output", "MACs", "weights", "w bits", "a bits",
                   "kept out", "weight memory (bits)"});
  for (size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& layer = network.layers[i];
    std::vector<std::string> row = {layer.name, std::string(to_string(layer.type)),
                                    to_string(layer.input_shape), to_string(layer.output_shape)};
    if (layer.has_weights()) {
      const LayerPrecision& p = profile.layers[i];
      row.push_back(with_thousands(counts[i].macs));
      row.push_back(with_thousands(counts[i].weights));
      row.push_back(bits_range(p));
      row.push_back(std::to_string(p.activation_bits));
      row.push_back(std::to_string(counts[i].kept_outputs) + "/" +
                    std::to_string(layer.out_channels()));
      row.push_back(with_thousands(counts[i].weight_memory_bits));
    }
    table.add_row(std::move(row));
  }
  const WorkloadTotals totals = sum_counts(counts);
  table.add_rule();
  table.add_row({"total", "", "", "", with_thousands(totals.macs), with_thousands(totals.weights),
                 "", "", "", with_thousands(totals.weight_memory_bits)});
  std::string header =
      "workload  " + network.name + " (" + network.source_path + ")\n" + "precision " +
      profile.name +
      (profile.source_path.empty() ? " (built-in)" : " (" + profile.source_path + ")") + "\n" +
      "weight memory " + with_thousands(totals.weight_memory_bits / 8) + " bytes\n\n";
  return header + table.render();
}

}  // namespace mixpim::sim
