#include "sim/compiler/activity.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

ActiveFractions layer_fractions(const LayerActivity& activity, const LayerMapping& mapping,
                                const ArchConfig& arch) {
  const int d = arch.pe.dac.bits, bits = mapping.activation_bits;
  const int64_t cycles = mapping.input_cycles;
  // Per input cycle: the chance that a row's DAC slice is not zero (header comment).
  std::vector<double> slice_active(static_cast<size_t>(cycles), 0.0);
  for (int64_t t = 0; t < cycles; ++t) {
    double none = 1, most = 0;
    for (int q = static_cast<int>(t) * d; q < std::min(bits, static_cast<int>(t + 1) * d); ++q) {
      const double p = q < static_cast<int>(activity.bit_ones.size()) ? activity.bit_ones[q] : 0;
      none *= 1 - p;
      most = std::max(most, p);
    }
    slice_active[t] = std::clamp(1 - none, most, std::max(most, activity.density));
  }
  double mean_active = 0;
  for (double a : slice_active) mean_active += a;
  mean_active /= static_cast<double>(cycles);

  ActiveFractions f;
  f.dac = activity.dac_active_fraction >= 0 ? activity.dac_active_fraction : mean_active;
  // Every row of an array is read across the same used columns: the cell fraction is the DAC
  // fraction up to how the active rows fall on arrays of different widths.
  f.cell = activity.cell_active_fraction >= 0 ? activity.cell_active_fraction : f.dac;
  if (arch.pe.adc.skip_zero_blocks) {
    if (activity.conversion_active_fraction >= 0) {
      f.conversion = activity.conversion_active_fraction;
    } else {
      // Conversions of a row group of array a in cycle t happen unless all its rows are zero
      // (a row block is one group unless pe.crossbar.rows_per_read splits it).
      double all = 0, active = 0;
      for (const LayerMapping::ArrayRef& a : mapping.array_list()) {
        const auto columns =
            static_cast<double>(mapping.column_arrays[a.column_array].used_columns);
        const int64_t groups = mapping.read_groups(a.row_block);
        for (double s : slice_active) {
          for (int64_t g = 0; g < groups; ++g) {
            const auto rows = static_cast<double>(mapping.read_group_rows(a.row_block, g));
            all += columns;
            active += columns * (1 - std::pow(1 - s, rows));
          }
        }
      }
      f.conversion = all > 0 ? active / all : 1;
    }
  }
  return f;
}

Activity load_activity(const std::string& path, const Network& network,
                       const PrecisionProfile& profile) {
  YamlNode root = load_yaml_file(path);
  Diagnostics diagnostics;
  Activity activity;
  activity.path = path;
  {
    MapReader top(&root, "", diagnostics, root.where);
    if (!top.present()) diagnostics.throw_if_any();
    activity.source = top.string_or("source", "");
    const YamlNode* layers = top.get("layers", true);
    if (layers != nullptr) {
      MapReader layer_map(layers, "layers", diagnostics, layers->where);
      if (layer_map.present()) {
        for (const YamlMapEntry& e : layers->entries) {
          layer_map.allow(e.key);
          const std::string lpath = join_path("layers", e.key);
          const int index = network.index_of(e.key);
          if (index < 0) {
            diagnostics.add(e.key_where, lpath, "no layer of that name in " + network.source_path);
            continue;
          }
          if (!network.layers[static_cast<size_t>(index)].has_weights()) {
            diagnostics.add(
                e.key_where, lpath,
                "is a " + std::string(to_string(network.layers[static_cast<size_t>(index)].type)) +
                    " layer; activity applies to conv2d and linear layers only");
            continue;
          }
          const int bits = profile.layers[static_cast<size_t>(index)].activation_bits;
          MapReader entry(&e.value, lpath, diagnostics, e.key_where);
          if (!entry.present()) continue;
          LayerActivity a;
          a.density = entry.number("density", 0, 1).value_or(1);
          if (const YamlNode* ones = entry.get("bit_ones", true)) {
            const std::string opath = join_path(lpath, "bit_ones");
            if (!ones->is_sequence()) {
              diagnostics.add(ones->where, opath,
                              "expected a list of fractions, got " + ones->describe());
            } else if (static_cast<int>(ones->items.size()) != bits) {
              diagnostics.add(ones->where, opath,
                              "has " + std::to_string(ones->items.size()) +
                                  " bit-planes, but the profile gives " + e.key + " " +
                                  std::to_string(bits) + " activation bits");
            } else {
              for (size_t q = 0; q < ones->items.size(); ++q) {
                a.bit_ones.push_back(
                    read_number(ones->items[q], index_path(opath, q), 0, 1, diagnostics)
                        .value_or(0));
              }
            }
          }
          a.dac_active_fraction = entry.number_or("dac_active_fraction", -1, 0, 1);
          a.cell_active_fraction = entry.number_or("cell_active_fraction", -1, 0, 1);
          a.conversion_active_fraction = entry.number_or("conversion_active_fraction", -1, 0, 1);
          activity.layers.emplace_back(e.key, std::move(a));
        }
      }
    }
  }
  diagnostics.throw_if_any();
  return activity;
}

std::string activity_yaml(const Activity& activity) {
  auto number = [](double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.17g", v);
    return std::string(text);
  };
  // JSON strings are YAML double-quoted scalars: any layer name survives.
  auto quoted = [](const std::string& text) { return nlohmann::json(text).dump(); };
  std::string y = "# mixpim activity file (sim/compiler/activity.h): input activity per weight layer\n";
  if (!activity.source.empty()) y += "source: " + quoted(activity.source) + "\n";
  y += "layers:\n";
  for (const auto& [name, a] : activity.layers) {
    y += "  " + quoted(name) + ":\n";
    y += "    density: " + number(a.density) + "\n";
    y += "    bit_ones: [";
    for (size_t q = 0; q < a.bit_ones.size(); ++q) y += (q ? ", " : "") + number(a.bit_ones[q]);
    y += "]\n";
    if (a.dac_active_fraction >= 0)
      y += "    dac_active_fraction: " + number(a.dac_active_fraction) + "\n";
    if (a.cell_active_fraction >= 0)
      y += "    cell_active_fraction: " + number(a.cell_active_fraction) + "\n";
    if (a.conversion_active_fraction >= 0)
      y += "    conversion_active_fraction: " + number(a.conversion_active_fraction) + "\n";
  }
  return y;
}

}  // namespace mixpim::sim
