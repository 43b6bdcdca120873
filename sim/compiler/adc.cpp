#include "sim/compiler/adc.h"

#include <algorithm>
#include <string>

namespace mixpim::sim {

int64_t largest_column_sum(int64_t rows, const ArchConfig& arch) {
  const int64_t cell_max = (int64_t{1} << arch.pe.crossbar.bits_per_cell) - 1;
  const int64_t input_max = (int64_t{1} << arch.pe.dac.bits) - 1;
  const int64_t cells = arch.pe.crossbar.weight_flipping ? rows * cell_max / 2 : rows * cell_max;
  return cells * input_max;
}

int column_sum_bits(int64_t rows, const ArchConfig& arch) {
  const int64_t largest = largest_column_sum(rows, arch);
  int bits = 1;
  while ((int64_t{1} << bits) <= largest) ++bits;
  return bits;
}

int rows_per_array_read(const ArchConfig& arch) {
  const int rows = arch.pe.crossbar.rows, per_read = arch.pe.crossbar.rows_per_read;
  return per_read > 0 ? std::min(rows, per_read) : rows;
}

int64_t read_groups_per_array(const ArchConfig& arch) {
  const int per_read = rows_per_array_read(arch);
  return (arch.pe.crossbar.rows + per_read - 1) / per_read;
}

int adc_built_bits(const ArchConfig& arch) {
  return arch.pe.adc.resolution == AdcResolution::kExact
             ? column_sum_bits(rows_per_array_read(arch), arch)
             : arch.pe.adc.bits;
}

LayerAdc layer_adc(const LayerMapping& layer, const ArchConfig& arch) {
  const AdcConfig& adc = arch.pe.adc;
  LayerAdc out;
  // A conversion sums the rows of one read: a row group when rows_per_read splits the block.
  out.needed_bits = column_sum_bits(layer.rows_per_conversion(), arch);
  switch (adc.resolution) {
    case AdcResolution::kFixed:
      out.bits = adc.bits;
      // exact_bound: the range is the whole array's; clip: one code per unit of sum.
      out.range_bits = adc.full_scale == AdcFullScale::kClip
                           ? adc.bits
                           : column_sum_bits(rows_per_array_read(arch), arch);
      break;
    case AdcResolution::kPerLayer:
      out.bits = std::min(adc.bits, out.needed_bits);
      out.range_bits = adc.full_scale == AdcFullScale::kClip ? out.bits : out.needed_bits;
      break;
    case AdcResolution::kExact:
      out.bits = out.needed_bits;
      out.range_bits = out.needed_bits;
      break;
  }
  // Step 1 and a top code at or above the largest sum: every sum converts to itself.
  out.exact = out.range_bits <= out.bits && out.bits >= out.needed_bits;
  return out;
}

double adc_conversion_ns(const ArchConfig& arch, int bits) {
  const double at_rate = 1000.0 / arch.pe.adc.sample_rate_msps;
  if (arch.pe.adc.conversion_time == AdcConversionTime::kFixed) return at_rate;
  return at_rate * static_cast<double>(bits) / static_cast<double>(arch.pe.adc.bits);
}

double adc_read_ns(const ArchConfig& arch, int64_t columns, int bits) {
  const int64_t slots = (columns + arch.pe.adc.count - 1) / arch.pe.adc.count;
  return static_cast<double>(slots) * adc_conversion_ns(arch, bits);
}

void count_flip_correction(int64_t mvms, const LayerMapping& layer, const ArchConfig& arch,
                           ActionCounts& counts) {
  if (!arch.pe.crossbar.weight_flipping) return;
  const int64_t reads = mvms * layer.input_cycles;
  counts.add("flip_correct", "input_bit", reads * layer.array_rows() * arch.pe.dac.bits);
  counts.add("flip_correct", "subtract", reads * layer.conversions_per_cycle());
}

void check_converters(const ArchConfig& arch, const TechTable& table) {
  Diagnostics diagnostics;
  const int adc_max = static_cast<int>(table.component("adc").reference.at("max_bits"));
  const int built = adc_built_bits(arch);
  if (built > adc_max) {
    const bool exact = arch.pe.adc.resolution == AdcResolution::kExact;
    const std::string what =
        exact ? "exact converters for " + std::to_string(rows_per_array_read(arch)) +
                    (rows_per_array_read(arch) < arch.pe.crossbar.rows ? "-row reads need "
                                                                       : "-row arrays need ") +
                    std::to_string(built) + " bits"
              : std::to_string(built) + "-bit ADCs";
    diagnostics.add(key_location(arch, {"pe", "adc", exact ? "resolution" : "bits"}),
                    exact ? "pe.adc.resolution" : "pe.adc.bits",
                    what + ", but technology table " + table.name + " (" + table.path +
                        ") states its ADC scaling rule up to " + std::to_string(adc_max) +
                        " bits (components.adc.reference.max_bits)");
  }
  const int dac_max = static_cast<int>(table.component("dac").reference.at("max_bits"));
  if (arch.pe.dac.bits > dac_max) {
    diagnostics.add(key_location(arch, {"pe", "dac", "bits"}), "pe.dac.bits",
                    std::to_string(arch.pe.dac.bits) + "-bit DACs, but technology table " +
                        table.name + " (" + table.path + ") states its DAC scaling rule up to " +
                        std::to_string(dac_max) + " bits (components.dac.reference.max_bits)");
  }
  diagnostics.throw_if_any();
}

}  // namespace mixpim::sim
