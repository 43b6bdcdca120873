#include "sim/report/mapping_report.h"

#include <array>
#include <cstdio>
#include <set>

#include "sim/compiler/adc.h"
#include "sim/util/text_table.h"

namespace mixpim::sim {

namespace {

std::string percent(double fraction) {
  std::array<char, 16> text{};
  std::snprintf(text.data(), text.size(), "%.1f%%", 100.0 * fraction);
  return text.data();
}

// Distinct weight bit-widths placed in the layer's arrays.
std::set<int> placed_bits(const LayerMapping& m) {
  std::set<int> bits;
  for (const ColumnArray& a : m.column_arrays) {
    for (const ColumnSpan& s : a.spans) bits.insert(s.bits);
  }
  return bits;
}

}  // namespace

nlohmann::ordered_json mapping_json(const Network& network, const ArchConfig& arch,
                                    const NetworkMapping& mapping) {
  using json = nlohmann::ordered_json;
  const int R = arch.pe.crossbar.rows, C = arch.pe.crossbar.columns;
  json layers = json::array();
  for (const LayerMapping& m : mapping.layers) {
    json column_arrays = json::array();
    for (const ColumnArray& a : m.column_arrays) {
      json groups = json::array();
      for (const ColumnGroup& g : a.groups(arch.pe.crossbar.bits_per_cell)) {
        groups.push_back({{"bits", g.bits},
                          {"first_column", g.first_column},
                          {"columns", g.columns},
                          {"channels", g.channels},
                          {"slice_shifts", g.slice_shifts}});
      }
      column_arrays.push_back({{"used_columns", a.used_columns}, {"column_groups", groups}});
    }
    const std::set<int> bits = placed_bits(m);
    const LayerAdc adc = layer_adc(m, arch);
    // Weight flipping: a flag per used column and row group of every array of every copy, set
    // when the weights are programmed (sim/compiler/adc.h).
    const int64_t flags =
        arch.pe.crossbar.weight_flipping ? m.replication * m.conversions_per_cycle() : 0;
    layers.push_back({{"name", m.name},
                      {"type", std::string(to_string(network.layers[m.layer].type))},
                      {"rows", m.rows},
                      {"kept_out_channels", m.kept_outputs},
                      {"groups", m.groups},
                      {"row_blocks", m.row_blocks()},
                      {"row_block_rows", m.row_block_rows},
                      {"column_arrays", column_arrays.size()},
                      {"used_columns", m.used_columns()},
                      {"arrays", m.arrays()},
                      {"weight_bits", std::vector<int>(bits.begin(), bits.end())},
                      {"activation_bits", m.activation_bits},
                      {"input_cycles", m.input_cycles},
                      {"mvms", m.mvms},
                      {"partial_sum_merges", m.partial_sum_merges()},
                      {"row_utilization", m.row_utilization(R)},
                      {"column_utilization", m.column_utilization(C)},
                      {"cell_utilization", m.cell_utilization(R, C)},
                      {"replication", m.replication},
                      {"arrays_placed", m.arrays_placed()},
                      {"pes", m.pes},
                      {"first_pe", m.first_pe},
                      {"tiles", {m.first_tile, m.last_tile}},
                      {"passes", m.passes},
                      {"reads_per_inference", m.reads_per_inference()},
                      {"adc",
                       {{"bits", adc.bits},
                        {"bits_needed", adc.needed_bits},
                        {"range_bits", adc.range_bits},
                        {"exact", adc.exact}}},
                      {"flip_flag_bits", flags},
                      {"columns", column_arrays}});
  }
  json out;
  out["schema_version"] = 1;
  out["workload"] = {{"name", network.name}, {"file", network.source_path}};
  out["arch"] = {{"name", arch.name}, {"files", arch.files}, {"overrides", arch.overrides}};
  out["mode"] = std::string(to_string(mapping.mode));
  out["layers"] = layers;
  int64_t slowest = 0;
  for (const LayerMapping& m : mapping.layers) slowest = std::max(slowest, m.reads_per_inference());
  out["totals"] = {{"arrays", mapping.arrays()},
                   {"arrays_placed", mapping.arrays_placed()},
                   {"arrays_available", mapping.arrays_available},
                   {"pes", mapping.pes_used},
                   {"pes_available", mapping.pes_available},
                   {"tiles", mapping.tiles_used},
                   {"tiles_available", arch.chip.tiles},
                   {"resident", mapping.resident},
                   {"segments", mapping.segments.size()},
                   {"reprogram_cell_writes", mapping.reprogram_cell_writes},
                   {"slowest_stage_reads", slowest}};
  return out;
}

std::string mapping_text(const Network& network, const ArchConfig& arch,
                         const NetworkMapping& mapping) {
  const int R = arch.pe.crossbar.rows, C = arch.pe.crossbar.columns;
  TextTable table({"layer", "rows", "row blocks", "col arrays", "arrays", "w bits", "in cycles",
                   "row util", "col util", "replication", "PEs", "tiles", "reads/inference"});
  for (const LayerMapping& m : mapping.layers) {
    const std::set<int> bits = placed_bits(m);
    std::string bit_text = std::to_string(*bits.begin());
    if (bits.size() > 1) bit_text += "-" + std::to_string(*bits.rbegin());
    std::string tiles = std::to_string(m.first_tile);
    if (m.last_tile != m.first_tile) tiles += "-" + std::to_string(m.last_tile);
    std::string replication = std::to_string(m.replication);
    if (m.passes > 1) replication += " (" + std::to_string(m.passes) + " passes)";
    table.add_row({m.name, with_thousands(m.rows), std::to_string(m.row_blocks()),
                   std::to_string(m.column_arrays.size()), with_thousands(m.arrays()), bit_text,
                   std::to_string(m.input_cycles), percent(m.row_utilization(R)),
                   percent(m.column_utilization(C)), replication, with_thousands(m.pes), tiles,
                   with_thousands(m.reads_per_inference())});
  }
  table.add_rule();
  table.add_row({"total", "", "", "", with_thousands(mapping.arrays()), "", "", "", "", "",
                 with_thousands(mapping.pes_used), std::to_string(mapping.tiles_used), ""});
  std::string text = "workload " + network.name + " on " + arch.name + " (" + std::to_string(R) +
                     "x" + std::to_string(C) + " arrays, " +
                     std::to_string(arch.pe.crossbar.bits_per_cell) + " bits/cell, " +
                     std::string(to_string(arch.pe.crossbar.signed_weights)) + " weights, " +
                     std::string(to_string(mapping.mode)) + ")\n";
  text += "arrays: " + with_thousands(mapping.arrays()) + " for one copy of each layer, " +
          with_thousands(mapping.arrays_placed()) + " placed with replication, of " +
          with_thousands(mapping.arrays_available) + " on the chip; PEs " +
          with_thousands(mapping.pes_used) + "/" + with_thousands(mapping.pes_available) +
          "; tiles " + std::to_string(mapping.tiles_used) + "/" + std::to_string(arch.chip.tiles) +
          "\n";
  if (!mapping.resident) {
    text += "time-multiplexed in " + std::to_string(mapping.segments.size()) +
            " segments: " + with_thousands(mapping.reprogram_cell_writes) +
            " cell writes per inference\n";
  }
  return text + "\n" + table.render();
}

}  // namespace mixpim::sim
