#include "sim/config/arch_config.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "sim/config/yaml_reader.h"

namespace mixpim::sim {

namespace {

const std::vector<std::string_view> kSignedWeightsNames = {"offset", "differential"};
const std::vector<std::string_view> kAdcResolutionNames = {"fixed", "per_layer", "exact"};
const std::vector<std::string_view> kAdcFullScaleNames = {"exact_bound", "clip"};
const std::vector<std::string_view> kAdcRoundingNames = {"nearest", "floor"};
const std::vector<std::string_view> kAdcConversionTimeNames = {"per_bit", "fixed"};
const std::vector<std::string_view> kVariationNames = {"gaussian", "lognormal"};
const std::vector<std::string_view> kNocTopologyNames = {"mesh", "cmesh"};
const std::vector<std::string_view> kMappingModeNames = {"layer_pipelined", "layer_by_layer"};
const std::vector<std::string_view> kRowBlocksNames = {"packed", "per_kernel_position"};

constexpr int kMaxInheritanceDepth = 16;

template <typename Enum>
Enum enum_at(size_t index) {
  return static_cast<Enum>(index);
}

// Reads the preset file and, recursively, its bases; returns the merged tree.
YamlNode load_with_bases(const std::string& path, std::vector<std::string>& files,
                         Diagnostics& diagnostics) {
  YamlNode tree = load_yaml_file(path);
  files.push_back(path);
  if (!tree.is_map()) return tree;  // validation reports the shape
  auto base_it = std::find_if(tree.entries.begin(), tree.entries.end(),
                              [](const YamlMapEntry& e) { return e.key == "base"; });
  if (base_it == tree.entries.end()) return tree;

  YamlNode base_node = base_it->value;
  tree.entries.erase(base_it);
  if (!base_node.is_scalar() || base_node.scalar.empty()) {
    diagnostics.add(base_node.where, "base",
                    "expected the path of another preset, got " + base_node.describe());
    return tree;
  }
  namespace fs = std::filesystem;
  std::string base_path =
      (fs::path(path).parent_path() / fs::path(base_node.scalar)).lexically_normal().string();
  if (std::find(files.begin(), files.end(), base_path) != files.end()) {
    diagnostics.add(base_node.where, "base", "inheritance cycle through " + base_path);
    return tree;
  }
  if (static_cast<int>(files.size()) >= kMaxInheritanceDepth) {
    diagnostics.add(
        base_node.where, "base",
        "more than " + std::to_string(kMaxInheritanceDepth) + " levels of base presets");
    return tree;
  }
  YamlNode merged;
  try {
    merged = load_with_bases(base_path, files, diagnostics);
  } catch (const InputError& e) {
    // Name the `base:` line that led here as well as the base file's own problem.
    for (const Diagnostic& d : e.diagnostics()) {
      diagnostics.add(d.where, d.key_path,
                      d.message + " (base of " + base_node.where.to_string() + ")");
    }
    return tree;
  }
  if (!merged.is_map() && !merged.is_null()) {
    // A base that is a number or a list would merge as nothing: say what it is instead.
    diagnostics.add(merged.where, "",
                    "expected a map (an architecture preset), got " + merged.describe() +
                        " (base of " + base_node.where.to_string() + ")");
    return tree;
  }
  merge_yaml(merged, tree);
  return merged;
}

// Where a checked value was set, for errors that involve two keys: the value's own position
// (so a --set override names itself), or the map's when the key is absent.
SourceLocation value_location(MapReader& map, const char* key) {
  const YamlNode* node = map.get(key, false);
  return node != nullptr ? node->where : map.where();
}

// `key`: a map of component name to instance count (fixed_components), optional.
std::map<std::string, int> read_counts(MapReader& parent, std::string_view key,
                                       Diagnostics& diagnostics) {
  std::map<std::string, int> counts;
  const YamlNode* node = parent.get(key, false);
  if (node == nullptr) return counts;
  MapReader reader(node, join_path(parent.path(), key), diagnostics, node->where);
  if (!reader.present()) return counts;
  for (const YamlMapEntry& entry : node->entries) {
    if (auto n = reader.integer(entry.key, 1, 1 << 20)) counts[entry.key] = static_cast<int>(*n);
  }
  return counts;
}

}  // namespace

std::string_view to_string(SignedWeights value) {
  return kSignedWeightsNames.at(static_cast<size_t>(value));
}
std::string_view to_string(AdcResolution value) {
  return kAdcResolutionNames.at(static_cast<size_t>(value));
}
std::string_view to_string(AdcFullScale value) {
  return kAdcFullScaleNames.at(static_cast<size_t>(value));
}
std::string_view to_string(VariationDistribution value) {
  return kVariationNames.at(static_cast<size_t>(value));
}

std::string_view to_string(AdcRounding value) {
  return kAdcRoundingNames.at(static_cast<size_t>(value));
}
std::string_view to_string(AdcConversionTime value) {
  return kAdcConversionTimeNames.at(static_cast<size_t>(value));
}
std::string_view to_string(RowBlocks value) {
  return kRowBlocksNames.at(static_cast<size_t>(value));
}
std::string_view to_string(NocTopology value) {
  return kNocTopologyNames.at(static_cast<size_t>(value));
}
std::string_view to_string(MappingMode value) {
  return kMappingModeNames.at(static_cast<size_t>(value));
}

ArchConfig arch_config_from_yaml(const YamlNode& root) {
  Diagnostics diagnostics;
  ArchConfig config;
  {
    MapReader top(&root, "", diagnostics, root.where);
    if (!top.present()) diagnostics.throw_if_any();
    config.name = top.string("name").value_or("");
    config.description = top.string_or("description", "");
    config.tech = top.string("tech").value_or("");
    config.clock_mhz = top.number("clock_mhz", 1, 100'000).value_or(0);

    {
      MapReader chip = top.map("chip", true);
      config.chip.tiles = static_cast<int>(chip.integer("tiles", 1, 1 << 20).value_or(0));
      config.chip.offchip_links = static_cast<int>(chip.integer_or("offchip_links", 0, 0, 64));
      {
        MapReader noc = chip.map("noc", true);
        NocConfig& n = config.chip.noc;
        n.topology = enum_at<NocTopology>(noc.choice("topology", kNocTopologyNames).value_or(0));
        n.mesh_columns = static_cast<int>(noc.integer("mesh_columns", 1, 4096).value_or(0));
        n.mesh_rows = static_cast<int>(noc.integer("mesh_rows", 1, 4096).value_or(0));
        n.tiles_per_router = static_cast<int>(noc.integer_or("tiles_per_router", 1, 1, 64));
        n.flit_bits = static_cast<int>(noc.integer("flit_bits", 1, 4096).value_or(0));
        n.link_flits_per_cycle = static_cast<int>(noc.integer_or("link_flits_per_cycle", 1, 1, 64));
        n.router_latency_cycles =
            static_cast<int>(noc.integer_or("router_latency_cycles", 1, 0, 1000));
        n.router_ports = static_cast<int>(noc.integer_or("router_ports", 5, 1, 64));
        n.packet_flits = static_cast<int>(noc.integer_or("packet_flits", 16, 1, 1 << 20));
        n.buffer_packets = static_cast<int>(noc.integer_or("buffer_packets", 2, 1, 1 << 20));
        if (n.topology == NocTopology::kMesh && n.tiles_per_router != 1) {
          diagnostics.add(value_location(noc, "tiles_per_router"),
                          join_path(noc.path(), "tiles_per_router"),
                          "a plain mesh has one tile per router; use topology: cmesh");
        }
        int64_t ports = int64_t{n.mesh_columns} * n.mesh_rows * n.tiles_per_router;
        if (n.mesh_columns > 0 && n.mesh_rows > 0 && config.chip.tiles > ports) {
          diagnostics.add(value_location(chip, "tiles"), noc.path(),
                          "mesh_columns x mesh_rows x tiles_per_router = " + std::to_string(ports) +
                              " cannot attach chip.tiles = " + std::to_string(config.chip.tiles));
        }
      }
      {
        MapReader buffer = chip.map("global_buffer", true);
        config.chip.global_buffer.capacity_bytes =
            buffer.integer("capacity_bytes", 0, int64_t{1} << 40).value_or(0);
        config.chip.global_buffer.bandwidth_bytes_per_cycle =
            static_cast<int>(buffer.integer("bandwidth_bytes_per_cycle", 1, 1 << 20).value_or(0));
      }
      {
        MapReader dram = chip.map("dram", false);
        config.chip.dram.enabled = dram.boolean_or("enabled", false);
        config.chip.dram.bandwidth_gb_per_s = dram.number_or("bandwidth_gb_per_s", 0, 0, 1e6);
        if (config.chip.dram.enabled && config.chip.dram.bandwidth_gb_per_s <= 0) {
          diagnostics.add(value_location(dram, "bandwidth_gb_per_s"),
                          join_path(dram.path(), "bandwidth_gb_per_s"),
                          "must be positive when dram.enabled is true");
        }
      }
    }
    {
      MapReader tile = top.map("tile", true);
      TileConfig& t = config.tile;
      t.pes = static_cast<int>(tile.integer("pes", 1, 4096).value_or(0));
      {
        MapReader buffer = tile.map("buffer", true);
        t.buffer.capacity_bytes = buffer.integer("capacity_bytes", 1, int64_t{1} << 40).value_or(0);
        t.buffer.bandwidth_bytes_per_cycle =
            static_cast<int>(buffer.integer("bandwidth_bytes_per_cycle", 1, 1 << 20).value_or(0));
      }
      t.output_register_bytes =  // 0: none (PUMA)
          static_cast<int>(tile.integer("output_register_bytes", 0, 1 << 30).value_or(0));
      t.bus_bits = static_cast<int>(tile.integer_or("bus_bits", 256, 1, 1 << 16));
      t.activation_units = static_cast<int>(tile.integer("activation_units", 1, 4096).value_or(0));
      // 0 pool or shift-add units (PUMA): that work runs on the activation units (tile_units,
      // sim/compiler/work_model.h).
      t.pool_units = static_cast<int>(tile.integer("pool_units", 0, 4096).value_or(0));
      t.shift_add_units = static_cast<int>(tile.integer("shift_add_units", 0, 4096).value_or(0));
      t.fixed_components = read_counts(tile, "fixed_components", diagnostics);
    }
    {
      MapReader pe = top.map("pe", true);
      PeConfig& p = config.pe;
      p.crossbars = static_cast<int>(pe.integer("crossbars", 1, 4096).value_or(0));
      {
        MapReader xbar = pe.map("crossbar", true);
        CrossbarConfig& c = p.crossbar;
        c.rows = static_cast<int>(xbar.integer("rows", 2, 8192).value_or(0));
        c.columns = static_cast<int>(xbar.integer("columns", 2, 8192).value_or(0));
        c.bits_per_cell = static_cast<int>(xbar.integer("bits_per_cell", 1, 8).value_or(0));
        c.read_latency_ns = xbar.number("read_latency_ns", 1e-3, 1e6).value_or(0);
        c.signed_weights =
            enum_at<SignedWeights>(xbar.choice("signed_weights", kSignedWeightsNames).value_or(0));
        c.weight_flipping = xbar.boolean_or("weight_flipping", false);
        c.rows_per_read = static_cast<int>(xbar.integer_or("rows_per_read", 0, 0, 8192));
        {
          MapReader dev = xbar.map("device", false);
          DeviceConfig& d = c.device;
          d.analog = dev.boolean_or("analog", false);
          d.g_on_us = dev.number_or("g_on_us", 10, 1e-6, 1e6);
          d.on_off_ratio = dev.number_or("on_off_ratio", 10, 1.0 + 1e-9, 1e12);
          d.programming_sigma = dev.number_or("programming_sigma", 0, 0, 10);
          d.programming_distribution = enum_at<VariationDistribution>(
              dev.choice_or("programming_distribution", 0, kVariationNames));
          d.read_noise_sigma = dev.number_or("read_noise_sigma", 0, 0, 10);
          d.stuck_on_rate = dev.number_or("stuck_on_rate", 0, 0, 1);
          d.stuck_off_rate = dev.number_or("stuck_off_rate", 0, 0, 1);
          d.drift_nu = dev.number_or("drift_nu", 0, 0, 1);
          d.drift_t0_s = dev.number_or("drift_t0_s", 1, 1e-12, 1e12);
          d.read_time_s = dev.number_or("read_time_s", 1, 1e-12, 1e12);
          d.wire_resistance_ohm = dev.number_or("wire_resistance_ohm", 0, 0, 1e6);
          if (d.stuck_on_rate + d.stuck_off_rate > 1) {
            diagnostics.add(value_location(dev, "stuck_off_rate"),
                            join_path(dev.path(), "stuck_off_rate"),
                            "stuck_on_rate + stuck_off_rate exceed 1");
          }
          if (d.read_time_s < d.drift_t0_s && d.drift_nu > 0) {
            diagnostics.add(value_location(dev, "read_time_s"),
                            join_path(dev.path(), "read_time_s"),
                            "drift needs read_time_s >= drift_t0_s (the power law starts at t0)");
          }
        }
        if (c.rows_per_read > c.rows && c.rows > 0) {
          diagnostics.add(
              value_location(xbar, "rows_per_read"), join_path(xbar.path(), "rows_per_read"),
              "a read activates at most the array's " + std::to_string(c.rows) + " rows, got " +
                  std::to_string(c.rows_per_read) + " (0 reads every row at once)");
        }
        if (c.signed_weights == SignedWeights::kDifferential && c.columns % 2 != 0) {
          diagnostics.add(value_location(xbar, "columns"), join_path(xbar.path(), "columns"),
                          "differential weights use column pairs: columns must be even, got " +
                              std::to_string(c.columns));
        }
      }
      {
        MapReader dac = pe.map("dac", true);
        p.dac.bits = static_cast<int>(dac.integer("bits", 1, 8).value_or(1));
      }
      {
        MapReader adc = pe.map("adc", true);
        p.adc.count = static_cast<int>(adc.integer("count", 1, 1 << 20).value_or(0));
        p.adc.bits = static_cast<int>(adc.integer("bits", 1, 16).value_or(0));
        p.adc.sample_rate_msps = adc.number("sample_rate_msps", 1e-3, 1e6).value_or(0);
        p.adc.resolution =
            enum_at<AdcResolution>(adc.choice_or("resolution", 0, kAdcResolutionNames));
        p.adc.full_scale =
            enum_at<AdcFullScale>(adc.choice_or("full_scale", 0, kAdcFullScaleNames));
        p.adc.rounding = enum_at<AdcRounding>(adc.choice_or("rounding", 0, kAdcRoundingNames));
        p.adc.conversion_time = enum_at<AdcConversionTime>(
            adc.choice_or("conversion_time", 0, kAdcConversionTimeNames));
        p.adc.offset_lsb = adc.number_or("offset_lsb", 0, -1e6, 1e6);
        p.adc.noise_lsb = adc.number_or("noise_lsb", 0, 0, 1e6);
        p.adc.skip_zero_blocks = adc.boolean_or("skip_zero_blocks", false);
        int64_t columns = int64_t{p.crossbars} * p.crossbar.columns;
        if (p.adc.count > 0 && columns > 0 && p.adc.count > columns) {
          diagnostics.add(value_location(adc, "count"), join_path(adc.path(), "count"),
                          "more ADCs (" + std::to_string(p.adc.count) +
                              ") than crossbar columns in the PE (" + std::to_string(columns) +
                              ")");
        }
      }
      p.shift_add_units = static_cast<int>(pe.integer("shift_add_units", 1, 4096).value_or(0));
      p.shift_add_ops_per_cycle = pe.number_or("shift_add_ops_per_cycle", 1, 1e-3, 1e6);
      p.sample_hold = pe.boolean_or("sample_hold", true);
      p.input_register_bytes =
          static_cast<int>(pe.integer("input_register_bytes", 1, 1 << 30).value_or(0));
      p.output_register_bytes =
          static_cast<int>(pe.integer("output_register_bytes", 1, 1 << 30).value_or(0));
      p.fixed_components = read_counts(pe, "fixed_components", diagnostics);
    }
    {
      MapReader mapping = top.map("mapping", false);
      MappingConfig& m = config.mapping;
      m.mode = enum_at<MappingMode>(mapping.choice_or("mode", 0, kMappingModeNames));
      m.allow_reprogramming = mapping.boolean_or("allow_reprogramming", false);
      m.split_channel_slices = mapping.boolean_or("split_channel_slices", false);
      m.row_blocks = enum_at<RowBlocks>(mapping.choice_or("row_blocks", 0, kRowBlocksNames));
    }
  }
  diagnostics.throw_if_any();
  config.resolved = root;
  return config;
}

SourceLocation key_location(const ArchConfig& arch, std::initializer_list<const char*> path) {
  const YamlNode* node = &arch.resolved;
  for (const char* key : path) node = node != nullptr ? node->find(key) : nullptr;
  if (node != nullptr) return node->where;
  return {arch.files.empty() ? "architecture" : arch.files.front(), 0, 0};
}

ArchConfig load_arch_config(const std::string& path, const std::vector<std::string>& overrides) {
  Diagnostics diagnostics;
  std::vector<std::string> files;
  YamlNode root = load_with_bases(path, files, diagnostics);
  if (root.is_null()) root.kind = YamlNode::Kind::kMap;  // empty file: report missing keys
  for (const std::string& assignment : overrides) apply_override(root, assignment, diagnostics);
  if (!diagnostics.empty()) {
    // Keep going so that the schema check adds its findings to the same report.
    try {
      arch_config_from_yaml(root);
    } catch (const InputError& e) {
      for (const Diagnostic& d : e.diagnostics()) diagnostics.add(d.where, d.key_path, d.message);
    }
    diagnostics.throw_if_any();
  }
  ArchConfig config = arch_config_from_yaml(root);
  config.files = std::move(files);
  config.overrides = overrides;
  return config;
}

}  // namespace mixpim::sim
