// The cycle engine's results as JSON: the report's deterministic "cycle" block (per-layer spans,
// stalls and unit utilisation, queue peaks) and the host measurements (cycle_engine.h).
#include "hw/cycle_engine.h"

namespace mixpim::hw {

nlohmann::ordered_json cycle_extras_json(const CycleResult& r) {
  auto unit_json = [](const UnitStats& u) {
    return nlohmann::ordered_json{{"name", u.name},
                                  {"busy_ns", u.busy_ns},
                                  {"idle_ns", u.idle_ns},
                                  {"blocked_ns", u.blocked_ns},
                                  {"peak_queue", u.peak_queue}};
  };
  nlohmann::ordered_json j;
  j["granularity"] = "read step";
  j["merge_identical_pes"] = r.merge_identical_pes;
  j["inferences"] = r.inferences;
  j["completed_ns"] = r.completed_ns;
  j["simulated_cycles"] = r.simulated_cycles;
  j["kernel_events"] = r.kernel_events;
  j["delta_cycles"] = r.delta_cycles;
  j["read_steps"] = r.read_steps;
  j["simulated_read_steps"] = r.simulated_read_steps;
  j["clamped_buffers"] = r.clamped_buffers;
  j["queue_peak_rows"] = r.queue_peak_rows;
  nlohmann::ordered_json shared = nlohmann::ordered_json::array();
  for (const UnitStats& u : r.shared_units) shared.push_back(unit_json(u));
  j["shared_units"] = shared;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const CycleLayerStats& l = r.layers[i];
    nlohmann::ordered_json stalls = nlohmann::ordered_json::object();
    int64_t total = 0;
    for (const auto& [cause, cycles] : l.stall_cycles) {
      stalls[cause] = cycles;
      total += cycles;
    }
    nlohmann::ordered_json units = nlohmann::ordered_json::array();
    for (const UnitStats& u : l.units) units.push_back(unit_json(u));
    layers.push_back(
        {{"name", l.name},
         {"start_ns", l.start_ns},
         {"end_ns", l.end_ns},
         {"busy_ns", l.busy_ns},
         {"analytic_stage_ns", l.analytic_stage_ns},
         // The layer's span over its analytic stage time (>= 1: the lower bound).
         {"span_over_analytic",
          l.analytic_stage_ns > 0 ? (l.end_ns - l.start_ns) / l.analytic_stage_ns : 1.0},
         {"pes", l.pes},
         {"pe_classes", l.pe_classes},
         {"stall_cycles_total", total},
         {"stall_cycles", stalls},
         {"units", units}});
  }
  j["layers"] = layers;
  return j;
}

nlohmann::ordered_json cycle_host_json(const CycleResult& r) {
  const double wall = r.wall_seconds > 0 ? r.wall_seconds : 1e-9;
  return {{"wall_s", r.wall_seconds},
          {"wall_s_per_inference", r.wall_seconds / static_cast<double>(r.inferences)},
          {"peak_rss_mib", r.peak_rss_mib},
          {"kernel_events_per_s", static_cast<double>(r.kernel_events) / wall},
          {"read_steps_per_s", static_cast<double>(r.read_steps) / wall}};
}

}  // namespace mixpim::hw
