#pragma once
// Technology tables (configs/tech/*.yaml): energy per event, leakage power and area of every
// hardware component, as data. The model asks for (component, action) pairs; a table that
// lacks any of them is rejected once, with every missing pair listed.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/config/arch_config.h"

namespace mixpim::sim {

struct TechComponent {
  double area_mm2 = 0;    // per instance (an array, converter, unit, router, or byte of storage)
  double leakage_mw = 0;  // per instance
  std::map<std::string, double> energy_pj;  // action -> energy per event
  // Reference attributes for scaling (xbar: rows, columns; adc and dac: bits, and max_bits,
  // the highest resolution the table's scaling rule is stated for; optional size references:
  // dac columns, storage bytes, router flit_bits; see TechTable::sized_energy_pj).
  std::map<std::string, int64_t> reference;
  // adc only, optional: energy and area per conversion at each resolution from 1 bit to
  // reference.max_bits, where the source gives them (replacing the 2^bits rule).
  std::map<int, double> energy_by_bits_pj;
  std::map<int, double> area_by_bits_mm2;
  double write_row_latency_ns = 0;  // xbar only: programming time of one row
};

struct TechTable {
  std::string name;
  int technology_nm = 0;
  std::string path;
  std::string sha256;  // of the file's bytes, echoed in reports
  std::map<std::string, TechComponent> components;
  // Units with area and always-on power but no events in the model (area_mm2, leakage_mw):
  // what a preset's pe/tile fixed_components name (a programmable core's control, instruction
  // memory, register file...).
  std::map<std::string, TechComponent> fixed_components;

  // Energy of one `action` of `component`; the pair must exist (checked at load).
  double energy_pj(const std::string& component, const std::string& action) const;
  const TechComponent& component(const std::string& name) const;
  // ADC conversion energy and ADC area at `bits`: the table's per-resolution values where it
  // lists them (energy_by_bits_pj), else the reference values times 2^(bits - ref): Walden's
  // figure of merit (energy per conversion step constant across resolutions). `bits` at most
  // reference.max_bits (the compiler refuses more: sim/compiler/adc.cpp).
  double adc_energy_pj(int bits) const;
  double adc_area_mm2(int bits) const;
  // DAC likewise (2^(bits - ref)): a d-bit DAC drives 2^d levels.
  double dac_energy_pj(int bits) const;
  double dac_area_mm2(int bits) const;
  // Crossbar area scaled by cells from the reference array.
  double xbar_area_mm2(int rows, int columns) const;
  // Energy of one `action` of `component` of size `size`, where the table states the size its
  // price is for (reference.columns, .bytes or .flit_bits; without one the price is flat):
  // - dac, per row driven: linear in the row's columns (the word line's C V^2);
  // - storage (registers, buffers), per byte: sqrt(capacity / reference bytes), the trend of
  //   M. Horowitz's SRAM figures (ISSCC 2014: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ per
  //   64-bit access: x4 capacity costs x2, x32 costs x5 ~ sqrt(32));
  // - router, per flit hop: linear in the flit's bits (buffers and crossbar are that wide).
  double sized_energy_pj(const std::string& component, const std::string& action,
                         int64_t size) const;
  // The factor sized_energy_pj applies (1 for a flat price).
  double size_scale(const std::string& component, int64_t size) const;
  // The reference key that sets a component's size ("" when its price is flat).
  static std::string size_key(const std::string& component);

 private:
  double converter_scale(const std::string& name, int bits) const;
};

// Every (component, action) the energy model charges.
const std::vector<std::pair<std::string, std::string>>& required_actions();

// Loads and validates a table. Throws InputError listing every problem (missing components
// or actions included).
TechTable load_tech_table(const std::string& path);
// The same for a table another model charges (the digital baseline, digital_baseline.h):
// `required` lists the (component, action) pairs that model needs. Without
// `with_area_and_leakage` the table holds energies only, and area_mm2 or leakage_mw keys are
// errors (that model would ignore them).
TechTable load_tech_table(const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& required,
                          bool with_area_and_leakage);

// Where the architecture's `tech:` points: a name resolves to configs/tech/<name>.yaml next
// to the preset that set it (<preset dir>/../tech/), a path ending in .yaml is relative to
// that preset. Throws InputError naming the key when the file does not exist.
std::string resolve_tech_path(const ArchConfig& arch);

// The rule behind resolve_tech_path, for any preset: `tech` read at `where` in the file
// `origin`; `presets` names that file's kind in the error ("the presets").
std::string resolve_table_path(const std::string& tech, const SourceLocation& where,
                               const std::string& origin, const std::string& presets);

// SHA-256 of a byte string, lowercase hex (for report provenance).
std::string sha256_hex(const std::string& bytes);

}  // namespace mixpim::sim
