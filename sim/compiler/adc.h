#pragma once
// ADC resolution, one rule each: how large a column sum can be, which bits each layer's
// conversions use and what their full scale covers, whether they are exact, how many bits the
// converters are built with, and how long one conversion takes. The allocator's cost model,
// every engine and the energy model ask these functions; none restates them.
//
// Column sums. A column of `rows` active cells of b_c bits, read with d-bit DAC inputs, sums
// to at most rows x (2^b_c - 1) x (2^d - 1). With weight flipping (pe.crossbar.
// weight_flipping; ISAAC, Shafiee et al., ISCA 2016, Sec. 5 "encoding to reduce ADC size") a
// column whose cells add up to more than half of rows x (2^b_c - 1) stores each cell's
// complement (2^b_c - 1 - c) instead and sets the column's flag bit; the cells of every
// column then add up to at most floor(rows x (2^b_c - 1) / 2), so the largest sum is
// (2^d - 1) x floor(rows x (2^b_c - 1) / 2), one bit fewer. The digital side restores a
// flagged column's sum as (2^b_c - 1) x (sum of the block's inputs) - converted sum.
// With pe.crossbar.rows_per_read a read activates a row group of at most that many rows:
// a conversion sums one group, and flipping is decided per column and row group.
//
// Resolution policies (pe.adc.resolution):
// - fixed: every conversion at pe.adc.bits. Its full scale (full_scale: exact_bound) covers
//   the largest sum of one read of the array (all its rows, or rows_per_read), so it is exact only
//   when pe.adc.bits reaches that sum's bits; with full_scale: clip (LSB = 1) it is exact when the
//   layer's sums fit.
// - per_layer: each layer converts at the bits its own tallest row block (or row group) needs,
//   capped at pe.adc.bits, with the full scale set to that block's largest sum.
// - exact: converters are built with the bits one read of the array needs (area, peak power),
//   and each layer converts at the bits its tallest row block (or group) needs: exact by
//   construction.
//   pe.adc.bits is then the resolution at which sample_rate_msps is quoted.

#include <cstdint>

#include "sim/compiler/action_counts.h"
#include "sim/config/arch_config.h"
#include "sim/compiler/mapping.h"
#include "sim/config/tech_table.h"

namespace mixpim::sim {

// Largest sum one column of `rows` active rows can produce in one crossbar read (above).
int64_t largest_column_sum(int64_t rows, const ArchConfig& arch);
// Bits that hold every such sum: bit width of largest_column_sum, at least 1.
int column_sum_bits(int64_t rows, const ArchConfig& arch);
// Rows one read of an array activates: pe.crossbar.rows, or rows_per_read when smaller.
int rows_per_array_read(const ArchConfig& arch);
// Row groups of one full read of an array: ceil(pe.crossbar.rows / rows_per_array_read).
int64_t read_groups_per_array(const ArchConfig& arch);

// Resolution the converters are built with: pe.adc.bits, or with resolution: exact the bits
// one read of the array needs. Sets ADC area and peak power.
int adc_built_bits(const ArchConfig& arch);

// One layer's conversions.
struct LayerAdc {
  int bits = 0;         // resolution of the layer's conversions (their energy and time)
  int range_bits = 0;   // the full scale spans sums of this many bits (LSB = 2^(range - bits))
  int needed_bits = 0;  // bits the layer's largest column sum needs (its tallest block or group)
  bool exact = true;    // every column sum the layer can produce converts to itself
};
LayerAdc layer_adc(const LayerMapping& layer, const ArchConfig& arch);

// Time of one conversion at `bits`: 1 / sample_rate at pe.adc.bits, scaled by bits /
// pe.adc.bits. A SAR ADC (ISAAC's, Table 2; Kull et al., ISSCC 2013) resolves one bit per
// internal cycle, so its conversion time is proportional to its resolution. With
// pe.adc.conversion_time: fixed (a flash converter or NeuroSim's multi-level sense amplifier,
// 2^b - 1 comparators deciding at once) it is 1 / sample_rate at any resolution.
double adc_conversion_ns(const ArchConfig& arch, int bits);

// Time the busiest PE's ADCs take to convert `columns` columns of one crossbar read at
// `bits`: ceil(columns / ADCs per PE) conversions back to back.
double adc_read_ns(const ArchConfig& arch, int64_t columns, int bits);

// Counts the digital work of weight flipping for `mvms` MVMs of a layer (nothing without
// flipping): each array sums the input bits it applies (flip_correct.input_bit, a popcount per
// read), and every conversion passes the flagged-column correction (flip_correct.subtract),
// a subtraction whether or not its column is flagged: the flags depend on the weights, the
// count must not.
void count_flip_correction(int64_t mvms, const LayerMapping& layer, const ArchConfig& arch,
                           ActionCounts& counts);

// Refuses converters the technology table does not cover: built ADC bits (adc_built_bits)
// above the table's adc max_bits, or DAC bits above its dac max_bits. Throws InputError
// located at the preset key (pe.adc.bits, or pe.adc.resolution for exact converters).
void check_converters(const ArchConfig& arch, const TechTable& table);

}  // namespace mixpim::sim
