#include "sim/config/config_echo.h"

#include <string>

namespace mixpim::sim {

nlohmann::ordered_json buffer_config_json(const BufferConfig& b) {
  return {{"capacity_bytes", b.capacity_bytes},
          {"bandwidth_bytes_per_cycle", b.bandwidth_bytes_per_cycle}};
}

nlohmann::ordered_json arch_config_json(const ArchConfig& c) {
  using json = nlohmann::ordered_json;
  json out;
  out["name"] = c.name;
  out["description"] = c.description;
  out["tech"] = c.tech;
  out["clock_mhz"] = c.clock_mhz;
  out["chip"] = {
      {"tiles", c.chip.tiles},
      {"noc",
       {{"topology", std::string(to_string(c.chip.noc.topology))},
        {"tiles_per_router", c.chip.noc.tiles_per_router},
        {"mesh_columns", c.chip.noc.mesh_columns},
        {"mesh_rows", c.chip.noc.mesh_rows},
        {"flit_bits", c.chip.noc.flit_bits},
        {"link_flits_per_cycle", c.chip.noc.link_flits_per_cycle},
        {"router_latency_cycles", c.chip.noc.router_latency_cycles},
        {"router_ports", c.chip.noc.router_ports}}},
      {"global_buffer", buffer_config_json(c.chip.global_buffer)},
      {"offchip_links", c.chip.offchip_links},
      {"dram",
       {{"enabled", c.chip.dram.enabled}, {"bandwidth_gb_per_s", c.chip.dram.bandwidth_gb_per_s}}}};
  out["tile"] = {{"pes", c.tile.pes},
                 {"buffer", buffer_config_json(c.tile.buffer)},
                 {"output_register_bytes", c.tile.output_register_bytes},
                 {"bus_bits", c.tile.bus_bits},
                 {"activation_units", c.tile.activation_units},
                 {"pool_units", c.tile.pool_units},
                 {"shift_add_units", c.tile.shift_add_units}};
  // Echoed only where a preset lists some (reports of other presets stay as they were).
  if (!c.tile.fixed_components.empty()) out["tile"]["fixed_components"] = c.tile.fixed_components;
  out["pe"] = {{"crossbars", c.pe.crossbars},
               {"crossbar",
                {{"rows", c.pe.crossbar.rows},
                 {"columns", c.pe.crossbar.columns},
                 {"bits_per_cell", c.pe.crossbar.bits_per_cell},
                 {"read_latency_ns", c.pe.crossbar.read_latency_ns},
                 {"signed_weights", std::string(to_string(c.pe.crossbar.signed_weights))},
                 {"weight_flipping", c.pe.crossbar.weight_flipping},
                 {"rows_per_read", c.pe.crossbar.rows_per_read},
                 {"device",
                  {{"analog", c.pe.crossbar.device.analog},
                   {"g_on_us", c.pe.crossbar.device.g_on_us},
                   {"on_off_ratio", c.pe.crossbar.device.on_off_ratio},
                   {"programming_sigma", c.pe.crossbar.device.programming_sigma},
                   {"programming_distribution",
                    std::string(to_string(c.pe.crossbar.device.programming_distribution))},
                   {"read_noise_sigma", c.pe.crossbar.device.read_noise_sigma},
                   {"stuck_on_rate", c.pe.crossbar.device.stuck_on_rate},
                   {"stuck_off_rate", c.pe.crossbar.device.stuck_off_rate},
                   {"drift_nu", c.pe.crossbar.device.drift_nu},
                   {"drift_t0_s", c.pe.crossbar.device.drift_t0_s},
                   {"read_time_s", c.pe.crossbar.device.read_time_s},
                   {"wire_resistance_ohm", c.pe.crossbar.device.wire_resistance_ohm}}}}},
               {"dac", {{"bits", c.pe.dac.bits}}},
               {"adc",
                {{"count", c.pe.adc.count},
                 {"bits", c.pe.adc.bits},
                 {"sample_rate_msps", c.pe.adc.sample_rate_msps},
                 {"resolution", std::string(to_string(c.pe.adc.resolution))},
                 {"full_scale", std::string(to_string(c.pe.adc.full_scale))},
                 {"rounding", std::string(to_string(c.pe.adc.rounding))},
                 {"conversion_time", std::string(to_string(c.pe.adc.conversion_time))},
                 {"skip_zero_blocks", c.pe.adc.skip_zero_blocks},
                 {"offset_lsb", c.pe.adc.offset_lsb},
                 {"noise_lsb", c.pe.adc.noise_lsb}}},
               {"shift_add_units", c.pe.shift_add_units},
               {"input_register_bytes", c.pe.input_register_bytes},
               {"output_register_bytes", c.pe.output_register_bytes}};
  if (!c.pe.fixed_components.empty()) out["pe"]["fixed_components"] = c.pe.fixed_components;
  out["mapping"] = {{"mode", std::string(to_string(c.mapping.mode))},
                    {"allow_reprogramming", c.mapping.allow_reprogramming},
                    {"split_channel_slices", c.mapping.split_channel_slices},
                    {"row_blocks", std::string(to_string(c.mapping.row_blocks))}};
  out["files"] = c.files;
  out["overrides"] = c.overrides;
  return out;
}

nlohmann::ordered_json tech_table_json(const TechTable& table) {
  return {{"name", table.name},
          {"path", table.path},
          {"sha256", table.sha256},
          {"technology_nm", table.technology_nm}};
}

}  // namespace mixpim::sim
