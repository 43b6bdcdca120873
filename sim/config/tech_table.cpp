#include "sim/config/tech_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "sim/config/yaml_reader.h"
#include "sim/config/yaml_tree.h"

namespace mixpim::sim {

namespace {

// Components that have a reference size and how it scales (see TechTable).
const std::map<std::string, std::vector<std::string>>& reference_keys() {
  static const std::map<std::string, std::vector<std::string>> keys = {
      {"xbar", {"rows", "columns"}}, {"adc", {"bits"}}, {"dac", {"bits"}}};
  return keys;
}

// Optional per-resolution ADC figures: energy_by_bits_pj and area_by_bits_mm2, each a map
// from 1 to reference.max_bits (every resolution a layer may convert at), the reference
// resolution's entry equal to energy_pj.convert and area_mm2.
void read_adc_by_bits(MapReader& c, const std::string& cpath, TechComponent& out,
                      Diagnostics& diagnostics) {
  const int64_t max_bits = out.reference.count("max_bits") ? out.reference.at("max_bits") : 0;
  const int64_t ref_bits = out.reference.count("bits") ? out.reference.at("bits") : 0;
  auto read = [&](const char* key, std::map<int, double>& values, double reference_value) {
    const YamlNode* node = c.get(key, false);
    if (node == nullptr) return;
    const std::string path = join_path(cpath, key);
    if (!node->is_map()) {
      diagnostics.add(node->where, path, "expected a map of bits: value, got " + node->describe());
      return;
    }
    for (const YamlMapEntry& e : node->entries) {
      int bits = 0;
      try {
        size_t used = 0;
        bits = std::stoi(e.key, &used);
        if (used != e.key.size()) bits = 0;
      } catch (const std::exception&) {
        bits = 0;
      }
      if (bits < 1 || bits > 16) {
        diagnostics.add(e.key_where, join_path(path, e.key),
                        "expected a resolution in bits, 1 to 16");
        continue;
      }
      if (auto v = read_number(e.value, join_path(path, e.key), 0, 1e9, diagnostics))
        values[bits] = *v;
    }
    for (int64_t b = 1; b <= max_bits; ++b) {
      if (values.count(static_cast<int>(b)) == 0) {
        diagnostics.add(node->where, path,
                        "lacks " + std::to_string(b) + " bits (needs every resolution from 1 to " +
                            "reference.max_bits = " + std::to_string(max_bits) + ")");
        return;
      }
    }
    if (values.count(static_cast<int>(ref_bits)) &&
        std::abs(values.at(static_cast<int>(ref_bits)) - reference_value) >
            1e-9 * std::max(1.0, reference_value)) {
      diagnostics.add(node->where, path,
                      "its " + std::to_string(ref_bits) +
                          "-bit entry differs from the reference value at reference.bits");
    }
  };
  const double convert = out.energy_pj.count("convert") ? out.energy_pj.at("convert") : 0;
  read("energy_by_bits_pj", out.energy_by_bits_pj, convert);
  read("area_by_bits_mm2", out.area_by_bits_mm2, out.area_mm2);
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& required_actions() {
  static const std::vector<std::pair<std::string, std::string>> actions = {
      {"xbar", "read_cell"},
      {"xbar", "write_cell"},
      {"dac", "convert"},
      {"sample_hold", "sample"},
      {"adc", "convert"},
      {"shift_add", "op"},
      {"flip_correct", "input_bit"},
      {"flip_correct", "subtract"},
      {"input_register", "access_byte"},
      {"output_register", "access_byte"},
      {"tile_buffer", "read_byte"},
      {"tile_buffer", "write_byte"},
      {"tile_bus", "byte"},
      {"tile_output_register", "access_byte"},
      {"activation_unit", "op"},
      {"pool_unit", "op"},
      {"tile_shift_add", "op"},
      {"router", "flit_hop"},
      {"global_buffer", "read_byte"},
      {"global_buffer", "write_byte"},
      {"dram", "byte"},
  };
  return actions;
}

const TechComponent& TechTable::component(const std::string& name) const {
  auto it = components.find(name);
  if (it == components.end()) throw std::logic_error("tech table lacks component " + name);
  return it->second;
}

double TechTable::energy_pj(const std::string& name, const std::string& action) const {
  const TechComponent& c = component(name);
  auto it = c.energy_pj.find(action);
  if (it == c.energy_pj.end()) throw std::logic_error("tech table lacks " + name + "." + action);
  return it->second;
}

// 2^(bits - reference bits) of a converter (Walden figure of merit: constant energy per step).
double TechTable::converter_scale(const std::string& name, int bits) const {
  return std::ldexp(1.0, bits - static_cast<int>(component(name).reference.at("bits")));
}

double TechTable::adc_energy_pj(int bits) const {
  const TechComponent& adc = component("adc");
  if (!adc.energy_by_bits_pj.empty()) return adc.energy_by_bits_pj.at(bits);
  return energy_pj("adc", "convert") * converter_scale("adc", bits);
}
double TechTable::adc_area_mm2(int bits) const {
  const TechComponent& adc = component("adc");
  if (!adc.area_by_bits_mm2.empty()) return adc.area_by_bits_mm2.at(bits);
  return adc.area_mm2 * converter_scale("adc", bits);
}
double TechTable::dac_energy_pj(int bits) const {
  return energy_pj("dac", "convert") * converter_scale("dac", bits);
}
double TechTable::dac_area_mm2(int bits) const {
  return component("dac").area_mm2 * converter_scale("dac", bits);
}

double TechTable::xbar_area_mm2(int rows, int columns) const {
  const TechComponent& x = component("xbar");
  const double reference_cells =
      static_cast<double>(x.reference.at("rows") * x.reference.at("columns"));
  return x.area_mm2 * static_cast<double>(rows) * static_cast<double>(columns) / reference_cells;
}

std::string TechTable::size_key(const std::string& component) {
  if (component == "dac") return "columns";
  if (component == "router") return "flit_bits";
  if (component == "input_register" || component == "output_register" ||
      component == "tile_buffer" || component == "tile_output_register" ||
      component == "global_buffer")
    return "bytes";
  return "";
}

double TechTable::size_scale(const std::string& name, int64_t size) const {
  const std::string key = size_key(name);
  if (key.empty()) return 1;
  const TechComponent& c = component(name);
  auto it = c.reference.find(key);
  if (it == c.reference.end() || size <= 0) return 1;
  const double ratio = static_cast<double>(size) / static_cast<double>(it->second);
  return key == "bytes" ? std::sqrt(ratio) : ratio;
}

double TechTable::sized_energy_pj(const std::string& name, const std::string& action,
                                  int64_t size) const {
  return energy_pj(name, action) * size_scale(name, size);
}

TechTable load_tech_table(const std::string& path) {
  return load_tech_table(path, required_actions(), true);
}

TechTable load_tech_table(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& required,
                          bool with_area_and_leakage) {
  // One read: the hash in reports is of exactly the bytes that were parsed.
  const std::string source = read_yaml_source(path);
  const YamlNode root = load_yaml_text(source, path);
  Diagnostics diagnostics;
  TechTable table;
  table.path = path;
  {
    MapReader top(&root, "", diagnostics, root.where);
    if (!top.present()) diagnostics.throw_if_any();
    table.name = top.string("name").value_or("");
    top.integer("version", 1, 1);
    table.technology_nm = static_cast<int>(top.integer("technology_nm", 1, 1000).value_or(0));
    top.string_or("description", "");
    top.allow("units");
    top.allow("fixed_components");  // read below
    const YamlNode* components = top.get("components", true);
    if (components != nullptr && !components->is_map()) {
      diagnostics.add(components->where, "components",
                      "expected a map of components, got " + components->describe());
    } else if (components != nullptr) {
      for (const YamlMapEntry& entry : components->entries) {
        const std::string cpath = join_path("components", entry.key);
        MapReader c(&entry.value, cpath, diagnostics, entry.key_where);
        TechComponent& out = table.components[entry.key];
        if (with_area_and_leakage) {
          out.area_mm2 = c.number("area_mm2", 0, 1e6).value_or(0);
          out.leakage_mw = c.number("leakage_mw", 0, 1e9).value_or(0);
        }
        // The model's actions of this component: any other is a typo the model would ignore.
        std::vector<std::string> known;
        for (const auto& [name, action] : required) {
          if (name == entry.key) known.push_back(action);
        }
        // Off-chip links: area and always-on power only (chip.offchip_links), no events.
        if (with_area_and_leakage && entry.key == "offchip_link") continue;
        if (known.empty()) {
          std::string names;
          for (const auto& [name, action] : required) {
            if (names.find(" " + name + ",") == std::string::npos) names += " " + name + ",";
          }
          diagnostics.add(
              entry.key_where, cpath,
              "unknown component (the model charges:" + names.substr(0, names.size() - 1) + ")");
          continue;
        }
        if (const YamlNode* energies = c.get("energy_pj", true)) {
          if (!energies->is_map() || energies->entries.empty()) {
            diagnostics.add(energies->where, join_path(cpath, "energy_pj"),
                            "expected a map of action: energy, got " + energies->describe());
          } else {
            for (const YamlMapEntry& e : energies->entries) {
              if (std::find(known.begin(), known.end(), e.key) == known.end()) {
                std::string list;
                for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
                diagnostics.add(e.key_where, join_path(join_path(cpath, "energy_pj"), e.key),
                                "unknown action (" + entry.key + " has: " + list + ")");
                continue;
              }
              auto value = read_number(e.value, join_path(join_path(cpath, "energy_pj"), e.key), 0,
                                       1e9, diagnostics);
              out.energy_pj[e.key] = value.value_or(0);  // present: not reported missing too
            }
          }
        }
        auto keys = reference_keys().find(entry.key);
        const std::string size_key = TechTable::size_key(entry.key);
        if (keys == reference_keys().end() && !size_key.empty() && with_area_and_leakage) {
          // Optional: the size the price is stated for (TechTable::sized_energy_pj).
          MapReader reference = c.map("reference", false);
          if (reference.present()) {
            if (auto size = reference.integer(size_key, 1, int64_t{1} << 40))
              out.reference[size_key] = *size;
          }
        }
        if (keys != reference_keys().end()) {
          MapReader reference = c.map("reference", true);
          if (!size_key.empty()) {
            const int64_t size = reference.integer_or(size_key, 0, 0, int64_t{1} << 40);
            if (size > 0) out.reference[size_key] = size;
          }
          const bool converter = entry.key != "xbar";
          for (const std::string& key : keys->second) {
            // A converter's reference resolution: 2^(bits - reference) must stay a number.
            out.reference[key] = reference.integer(key, 1, converter ? 16 : 1 << 20).value_or(1);
          }
          if (converter) {
            // The highest resolution the table's scaling rule is stated for (default: any the
            // presets accept).
            const int64_t bits = out.reference["bits"];
            out.reference["max_bits"] = reference.integer_or("max_bits", 16, 1, 16);
            if (out.reference["max_bits"] < bits) {
              diagnostics.add(reference.where(), join_path(reference.path(), "max_bits"),
                              "below the reference bits (" + std::to_string(bits) + ")");
            }
          }
        }
        if (entry.key == "xbar") {
          out.write_row_latency_ns = c.number("write_row_latency_ns", 0, 1e12).value_or(0);
        }
        if (entry.key == "adc" && with_area_and_leakage)
          read_adc_by_bits(c, cpath, out, diagnostics);
      }
      std::string missing;
      for (const auto& [name, action] : required) {
        auto it = table.components.find(name);
        if (it == table.components.end() || it->second.energy_pj.count(action) == 0) {
          missing.append(missing.empty() ? "" : ", ").append(name).append(".").append(action);
        }
      }
      if (!missing.empty()) {
        diagnostics.add(components->where, "components",
                        "the energy model needs actions this table lacks: " + missing);
      }
    }
  }
  if (const YamlNode* fixed = root.is_map() ? root.find("fixed_components") : nullptr) {
    if (!fixed->is_map()) {
      diagnostics.add(
          fixed->where, "fixed_components",
          "expected a map of component: {area_mm2, leakage_mw}, got " + fixed->describe());
    } else {
      for (const YamlMapEntry& entry : fixed->entries) {
        const std::string cpath = join_path("fixed_components", entry.key);
        if (table.components.count(entry.key) != 0) {
          diagnostics.add(entry.key_where, cpath,
                          "also a component with events: a fixed component needs its own name");
          continue;
        }
        MapReader c(&entry.value, cpath, diagnostics, entry.key_where);
        TechComponent& out = table.fixed_components[entry.key];
        out.area_mm2 = c.number("area_mm2", 0, 1e6).value_or(0);
        out.leakage_mw = c.number("leakage_mw", 0, 1e9).value_or(0);
      }
    }
  }
  diagnostics.throw_if_any();
  table.sha256 = sha256_hex(source);
  return table;
}

std::string resolve_table_path(const std::string& tech, const SourceLocation& where,
                               const std::string& origin, const std::string& presets) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(origin).parent_path();
  const bool is_path = tech.size() > 5 && tech.compare(tech.size() - 5, 5, ".yaml") == 0;
  fs::path path = is_path ? (fs::path(tech).is_absolute() ? fs::path(tech) : dir / tech)
                          : dir / ".." / "tech" / (tech + ".yaml");
  path = path.lexically_normal();
  std::error_code error;
  if (!fs::is_regular_file(path, error)) {
    throw InputError({{where, "tech",
                       "no technology table " + path.string() +
                           " (a name means configs/tech/<name>.yaml beside " + presets + ")"}});
  }
  return path.string();
}

std::string resolve_tech_path(const ArchConfig& arch) {
  const YamlNode* node = arch.resolved.find("tech");
  SourceLocation where = node != nullptr
                             ? node->where
                             : SourceLocation{arch.files.empty() ? "" : arch.files.front(), 0, 0};
  // The file that set `tech` (a base preset, or the first preset for a --set override).
  std::string origin =
      where.line > 0 ? where.origin : (arch.files.empty() ? "" : arch.files.front());
  return resolve_table_path(arch.tech, where, origin, "the presets");
}

// SHA-256 (FIPS 180-4), small and dependency-free: only for provenance hashes of input files.
std::string sha256_hex(const std::string& bytes) {
  static constexpr std::array<uint32_t, 64> k = {
      0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
      0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
      0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
      0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
      0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
      0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
      0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
      0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
      0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
      0xc67178f2};
  std::array<uint32_t, 8> h = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  std::string data = bytes;
  const uint64_t bit_length = static_cast<uint64_t>(bytes.size()) * 8;
  data.push_back(static_cast<char>(0x80));
  while (data.size() % 64 != 56) data.push_back(0);
  for (int i = 7; i >= 0; --i) data.push_back(static_cast<char>((bit_length >> (8 * i)) & 0xff));
  auto rotr = [](uint32_t x, int n) { return (x >> n) | (x << (32 - n)); };
  for (size_t block = 0; block < data.size(); block += 64) {
    std::array<uint32_t, 64> w{};
    for (size_t i = 0; i < 16; ++i) {
      for (size_t b = 0; b < 4; ++b) {
        w[i] = (w[i] << 8) | static_cast<uint8_t>(data[block + 4 * i + b]);
      }
    }
    for (int i = 16; i < 64; ++i) {
      const uint32_t s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
      const uint32_t s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    std::array<uint32_t, 8> v = h;
    for (int i = 0; i < 64; ++i) {
      const uint32_t s1 = rotr(v[4], 6) ^ rotr(v[4], 11) ^ rotr(v[4], 25);
      const uint32_t ch = (v[4] & v[5]) ^ (~v[4] & v[6]);
      const uint32_t t1 = v[7] + s1 + ch + k[i] + w[i];
      const uint32_t s0 = rotr(v[0], 2) ^ rotr(v[0], 13) ^ rotr(v[0], 22);
      const uint32_t maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
      const uint32_t t2 = s0 + maj;
      v = {t1 + t2, v[0], v[1], v[2], v[3] + t1, v[4], v[5], v[6]};
    }
    for (int i = 0; i < 8; ++i) h[i] += v[i];
  }
  std::string hex;
  for (uint32_t word : h) {
    std::array<char, 9> part{};
    std::snprintf(part.data(), part.size(), "%08x", word);
    hex += part.data();
  }
  return hex;
}

}  // namespace mixpim::sim
