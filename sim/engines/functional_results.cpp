// The functional engine's results as the rest of mixpim reads them: the input activity it
// measured (sim/compiler/activity.h) and the `functional` block of report.json.
#include "sim/engines/functional.h"

namespace mixpim::sim {

namespace {
// part / all, 0 when there is nothing (a layer the run did not reach).
double fraction(int64_t part, int64_t all) {
  return all > 0 ? static_cast<double>(part) / static_cast<double>(all) : 0.0;
}
}  // namespace

Activity measured_activity(const Network& network, const FunctionalResult& result,
                           const std::string& source) {
  Activity activity;
  activity.source = source;
  for (size_t i = 0; i < result.layers.size() && i < network.layers.size(); ++i) {
    const FunctionalLayerResult& l = result.layers[i];
    if (!network.layers[i].has_weights() || l.driven_inputs == 0) continue;
    LayerActivity a;
    a.density = fraction(l.nonzero_inputs, l.driven_inputs);
    for (int64_t ones : l.bit_ones) a.bit_ones.push_back(fraction(ones, l.driven_inputs));
    a.dac_active_fraction = fraction(l.dac_active, l.dac_drives);
    a.cell_active_fraction = fraction(l.cell_active, l.cell_reads);
    a.conversion_active_fraction = fraction(l.conversion_active, l.conversion_slots);
    activity.layers.emplace_back(network.layers[i].name, std::move(a));
  }
  return activity;
}

nlohmann::ordered_json functional_json(const FunctionalResult& result) {
  using json = nlohmann::ordered_json;
  json out;
  out["seed"] = result.seed;
  out["batch"] = result.batch;
  out["inputs"] = result.input_source;
  out["weights"] = result.weights;
  if (!result.weights_source.empty()) out["weights_source"] = result.weights_source;
  out["fraction_bits"] = result.fraction_bits;
  json weights = json::object();
  for (const auto& [layer, path] : result.weight_files) weights[layer] = path;
  out["weight_files"] = weights;
  out["adc_bits"] = result.adc_bits;
  out["adc_bits_needed"] = result.adc_bits_needed;
  out["exact"] = result.exact;
  out["final_layer"] = result.final_layer;
  // Not reported from a degenerate or tied final layer (functional.h).
  out["top1_agreement"] = result.top1_reported ? json(result.top1_agreement) : json(nullptr);
  out["end_to_end_top1_agreement"] =
      result.top1_reported ? json(result.end_to_end_top1_agreement) : json(nullptr);
  if (!result.top1_reported) out["top1_note"] = result.top1_note;
  if (!result.labels_path.empty()) {
    out["labels"] = result.labels_path;
    out["accuracy"] = result.accuracy;
    out["reference_accuracy"] = result.reference_accuracy;
  }
  int64_t conversions = 0, clipped = 0, lossy = 0, max_abs = 0, flipped = 0;
  json degenerate_layers = json::array();
  json layers = json::array();
  for (const FunctionalLayerResult& l : result.layers) {
    json j;
    j["name"] = l.name;
    j["type"] = std::string(to_string(l.type));
    j["outputs"] = l.outputs;
    j["max_abs_error"] = l.max_abs_error;
    j["rms_error"] = l.rms_error;
    j["mismatches"] = l.mismatches;
    j["reference_rms"] = l.reference_rms;
    j["degenerate"] = l.degenerate;
    if (l.degenerate) degenerate_layers.push_back(l.name);
    j["end_to_end_max_abs_error"] = l.end_to_end_max_abs_error;
    j["end_to_end_rms_error"] = l.end_to_end_rms_error;
    if (l.type == LayerType::kConv2d || l.type == LayerType::kLinear) {
      j["activation_bits"] = l.activation_bits;
      j["input_shift"] = l.input_shift;
      j["input_signed"] = l.input_signed;
      j["adc_conversions"] = l.adc_conversions;
      j["adc_clipped"] = l.adc_clipped;
      j["adc_lossy"] = l.adc_lossy;
      j["flipped_columns"] = l.flipped_columns;
      // Row activity of the isolated pass: the fraction of DAC drives and cell reads whose
      // input slice is not zero (data-aware energy).
      j["dac_active_fraction"] = fraction(l.dac_active, l.dac_drives);
      j["cell_active_fraction"] = fraction(l.cell_active, l.cell_reads);
      j["conversion_active_fraction"] = fraction(l.conversion_active, l.conversion_slots);
      flipped += l.flipped_columns;
      conversions += l.adc_conversions;
      clipped += l.adc_clipped;
      lossy += l.adc_lossy;
    }
    max_abs = std::max(max_abs, l.max_abs_error);
    layers.push_back(std::move(j));
  }
  out["totals"] = {{"max_abs_error", max_abs},   {"adc_conversions", conversions},
                   {"adc_clipped", clipped},     {"adc_lossy", lossy},
                   {"flipped_columns", flipped}, {"degenerate_layers", degenerate_layers}};
  out["layers"] = std::move(layers);
  return out;
}

}  // namespace mixpim::sim
