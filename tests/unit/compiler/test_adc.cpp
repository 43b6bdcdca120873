// ADC resolution (sim/adc.h): column-sum bits with and without ISAAC's weight flipping against
// ISAAC's own formula, the three resolution policies, exactness, conversion time, and the
// technology table's converter limits.

#include <gtest/gtest.h>

#include <cmath>

#include "sim/compiler/adc.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

ArchConfig isaac(std::vector<std::string> overrides = {}) {
  return load_arch_config(source_path("configs/arch/isaac.yaml"), overrides);
}

ArchConfig array(int rows, int dac_bits, int cell_bits, bool flipping) {
  ArchConfig a = isaac();
  a.pe.crossbar.rows = rows;
  a.pe.dac.bits = dac_bits;
  a.pe.crossbar.bits_per_cell = cell_bits;
  a.pe.crossbar.weight_flipping = flipping;
  return a;
}

// ISAAC (ISCA 2016, Sec. 5): with R rows, v-bit inputs and w-bit cells the ADC needs
// A = log2(R) + v + w bits when v > 1 and w > 1, else log2(R) + v + w - 1; the flipped-weight
// encoding needs A - 1. Our exact rule is a bit count of the largest sum, written
// independently; the two must agree wherever ISAAC's formula applies (R a power of two).
// Conversion time against resolution: ISAAC's SAR converters at 1.28 GS/s at 8 bits take
// 0.78125 ns per 8-bit conversion and half that at 4 bits; a flash-like converter
// (pe.adc.conversion_time: fixed, the NeuroSim-alike preset's sense amplifiers) takes 1 /
// sample_rate at any resolution. A model that ignored the key (or scaled both) fails.
TEST(AdcTime, PerBitAndFixedConversionTimes) {
  ArchConfig arch = test::isaac_preset();
  EXPECT_DOUBLE_EQ(adc_conversion_ns(arch, 8), 1000.0 / 1280);
  EXPECT_DOUBLE_EQ(adc_conversion_ns(arch, 4), 1000.0 / 1280 / 2);
  arch = load_arch_config(source_path("configs/arch/isaac.yaml"), {"pe.adc.conversion_time=fixed"});
  EXPECT_EQ(arch.pe.adc.conversion_time, AdcConversionTime::kFixed);
  EXPECT_DOUBLE_EQ(adc_conversion_ns(arch, 4), 1000.0 / 1280);
  EXPECT_DOUBLE_EQ(adc_read_ns(arch, 1024, 3), 128 * 1000.0 / 1280);  // 1024 columns, 8 ADCs
  const std::string error = input_error_of([] {
    load_arch_config(source_path("configs/arch/isaac.yaml"), {"pe.adc.conversion_time=sar"});
  });
  EXPECT_NE(error.find("pe.adc.conversion_time"), std::string::npos) << error;
  EXPECT_EQ(load_arch_config(source_path("configs/arch/neurosim-sram.yaml")).pe.adc.conversion_time,
            AdcConversionTime::kFixed);
}

TEST(AdcBits, FlippingSavesTheOneBitIsaacsFormulaSays) {
  for (int log_rows = 1; log_rows <= 10; ++log_rows) {
    for (int v = 1; v <= 4; ++v) {
      for (int w = 1; w <= 4; ++w) {
        const int isaac_bits = log_rows + v + w - (v > 1 && w > 1 ? 0 : 1);
        const int rows = 1 << log_rows;
        const std::string what =
            "R=" + std::to_string(rows) + " v=" + std::to_string(v) + " w=" + std::to_string(w);
        EXPECT_EQ(column_sum_bits(rows, array(rows, v, w, false)), isaac_bits) << what;
        EXPECT_EQ(column_sum_bits(rows, array(rows, v, w, true)), isaac_bits - 1) << what;
      }
    }
  }
  // The shipped preset: 128 rows, 1-bit DACs, 2-bit cells: 9 bits, 8 with flipping, which is
  // the 8-bit ADC ISAAC's Table 2 lists.
  EXPECT_EQ(column_sum_bits(128, isaac({"pe.crossbar.weight_flipping=false"})), 9);
  EXPECT_EQ(column_sum_bits(128, isaac()), 8);
  EXPECT_EQ(largest_column_sum(128, isaac()), 192);
}

TEST(AdcBits, FlippingSavesNothingOnASingleRowAndMoreOffPowersOfTwo) {
  // One row of 1-bit cells read with 1-bit inputs sums to 0 or 1; flipping keeps it at 0, but
  // a converter has at least one bit: nothing saved.
  EXPECT_EQ(column_sum_bits(1, array(128, 1, 1, false)), 1);
  EXPECT_EQ(column_sum_bits(1, array(128, 1, 1, true)), 1);
  // Three rows, 1-bit cells, 2-bit inputs: 3 x 1 x 3 = 9 (4 bits); flipped, floor(3 / 2) x 3 =
  // 3 (2 bits). ISAAC's formula does not cover rows that are not a power of two.
  EXPECT_EQ(largest_column_sum(3, array(128, 2, 1, false)), 9);
  EXPECT_EQ(column_sum_bits(3, array(128, 2, 1, false)), 4);
  EXPECT_EQ(largest_column_sum(3, array(128, 2, 1, true)), 3);
  EXPECT_EQ(column_sum_bits(3, array(128, 2, 1, true)), 2);
}

// A layer with a 27-row block (3x3x3 conv) and one with 128-row blocks, on ISAAC without and
// with flipping, under each policy.
struct TwoLayers : ::testing::Test {
  void SetUp() override {
    first.row_block_rows = {27};
    second.row_block_rows = {128, 128, 32};
  }
  LayerMapping first, second;
};

TEST_F(TwoLayers, FixedExactBoundCoversTheWholeArray) {
  const ArchConfig plain = isaac({"pe.crossbar.weight_flipping=false"});
  // 8 bits over the array's 9-bit range: step 2, so even the 27-row layer (81: 7 bits) loses.
  LayerAdc a = layer_adc(first, plain);
  EXPECT_EQ(a.bits, 8);
  EXPECT_EQ(a.range_bits, 9);
  EXPECT_EQ(a.needed_bits, 7);
  EXPECT_FALSE(a.exact);
  EXPECT_FALSE(layer_adc(second, plain).exact);
  // Flipping: range 8 bits, exact everywhere.
  EXPECT_TRUE(layer_adc(first, isaac()).exact);
  EXPECT_TRUE(layer_adc(second, isaac()).exact);
  EXPECT_EQ(layer_adc(second, isaac()).needed_bits, 8);
  EXPECT_EQ(layer_adc(first, isaac()).needed_bits, 6);  // floor(27 x 3 / 2) = 40
  // 9 bits without flipping: exact.
  EXPECT_TRUE(
      layer_adc(second, isaac({"pe.crossbar.weight_flipping=false", "pe.adc.bits=9"})).exact);
}

TEST_F(TwoLayers, ClipIsExactWhenTheLayersSumsFit) {
  const ArchConfig clip =
      isaac({"pe.crossbar.weight_flipping=false", "pe.adc.full_scale=clip", "pe.adc.bits=8"});
  EXPECT_TRUE(layer_adc(first, clip).exact);    // 81 <= 255
  EXPECT_FALSE(layer_adc(second, clip).exact);  // 384 > 255
  EXPECT_EQ(layer_adc(second, clip).range_bits, 8);
}

TEST_F(TwoLayers, PerLayerAndExactPolicies) {
  const ArchConfig per_layer =
      isaac({"pe.crossbar.weight_flipping=false", "pe.adc.resolution=per_layer"});
  EXPECT_EQ(layer_adc(first, per_layer).bits, 7);
  EXPECT_TRUE(layer_adc(first, per_layer).exact);
  EXPECT_EQ(layer_adc(second, per_layer).bits, 8);  // capped at pe.adc.bits
  EXPECT_FALSE(layer_adc(second, per_layer).exact);

  // exact: converters built for the array (512 rows, 2-bit cells: 1536 -> 11 bits; 10 with
  // flipping), each layer at its own bits; pe.adc.bits no longer caps.
  const ArchConfig exact = isaac({"pe.crossbar.weight_flipping=false", "pe.adc.resolution=exact",
                                  "pe.crossbar.rows=512", "pe.crossbar.columns=512"});
  EXPECT_EQ(adc_built_bits(exact), 11);
  EXPECT_EQ(adc_built_bits(isaac({"pe.adc.resolution=exact", "pe.crossbar.rows=512"})), 10);
  LayerMapping tall;
  tall.row_block_rows = {512, 100};
  EXPECT_EQ(layer_adc(tall, exact).bits, 11);
  EXPECT_TRUE(layer_adc(tall, exact).exact);
  EXPECT_EQ(layer_adc(first, exact).bits, 7);
  // Fixed and per_layer converters are built at pe.adc.bits.
  EXPECT_EQ(adc_built_bits(per_layer), 8);
  EXPECT_EQ(adc_built_bits(isaac({"pe.adc.bits=6"})), 6);
}

TEST(AdcBits, FlippingAndResolutionKeysAreValidated) {
  std::string e = input_error_of([] { isaac({"pe.crossbar.weight_flipping=sometimes"}); });
  EXPECT_NE(e.find("--set pe.crossbar.weight_flipping=sometimes: pe.crossbar.weight_flipping"),
            std::string::npos)
      << e;
  e = input_error_of([] { isaac({"pe.adc.resolution=perfect"}); });
  EXPECT_NE(e.find("pe.adc.resolution"), std::string::npos) << e;
  EXPECT_NE(e.find("exact"), std::string::npos) << e;  // listed among the choices
  EXPECT_EQ(isaac({"pe.adc.resolution=exact"}).pe.adc.resolution, AdcResolution::kExact);
  EXPECT_TRUE(isaac().pe.crossbar.weight_flipping);  // the ISAAC preset flips, as the paper does
}

TEST(AdcTime, ConversionTimeScalesWithBitsFromTheQuotedRate) {
  const ArchConfig a = isaac();  // 1.28 GS/s at 8 bits: 0.78125 ns per conversion
  EXPECT_DOUBLE_EQ(adc_conversion_ns(a, 8), 1000.0 / 1280);
  EXPECT_DOUBLE_EQ(adc_conversion_ns(a, 10), 1000.0 / 1280 * 10 / 8);
  EXPECT_DOUBLE_EQ(adc_conversion_ns(a, 6), 1000.0 / 1280 * 6 / 8);
  // 8 ADCs: 128 columns are 16 conversions back to back, 129 are 17.
  EXPECT_DOUBLE_EQ(adc_read_ns(a, 128, 8), 16 * 1000.0 / 1280);
  EXPECT_DOUBLE_EQ(adc_read_ns(a, 129, 8), 17 * 1000.0 / 1280);
}

TEST(AdcLimits, ConvertersBeyondTheTableAreLocatedErrors) {
  const TechTable table = load_tech_table(source_path("configs/tech/isaac-32nm.yaml"));
  EXPECT_EQ(table.component("adc").reference.at("max_bits"), 12);
  EXPECT_NO_THROW(check_converters(isaac({"pe.adc.bits=12"}), table));
  std::string e = input_error_of([&] { check_converters(isaac({"pe.adc.bits=13"}), table); });
  EXPECT_EQ(e.rfind("--set pe.adc.bits=13: pe.adc.bits: 13-bit ADCs, but technology table "
                    "isaac-32nm",
                    0),
            0u)
      << e;
  EXPECT_NE(e.find("up to 12 bits (components.adc.reference.max_bits)"), std::string::npos) << e;
  // A preset file's key is located by file and line.
  test::TempDir dir;
  const std::string preset =
      dir.write("big.yaml", "base: " + source_path("configs/arch/isaac.yaml") +
                                "\npe:\n  adc:\n    bits: 14\n");
  e = input_error_of([&] { check_converters(load_arch_config(preset), table); });
  EXPECT_EQ(e.rfind(preset + ":4:11: pe.adc.bits: 14-bit ADCs", 0), 0u) << e;
  // Exact converters for 8192-row arrays with 4-bit cells would need 17 bits.
  e = input_error_of([&] {
    check_converters(
        isaac({"pe.adc.resolution=exact", "pe.crossbar.rows=8192", "pe.crossbar.bits_per_cell=4"}),
        table);
  });
  EXPECT_NE(e.find("pe.adc.resolution: exact converters for 8192-row arrays need 16 bits"),
            std::string::npos)
      << e;
}

TEST(AdcLimits, TableConverterReferencesAreChecked) {
  test::TempDir dir;
  std::string text = test::read_file(source_path("configs/tech/isaac-32nm.yaml"));
  const std::string good = "reference: {bits: 8, max_bits: 12}";
  ASSERT_NE(text.find(good), std::string::npos);
  auto with = [&](const std::string& reference) {
    std::string t = text;
    t.replace(t.find(good), good.size(), reference);
    return dir.write("t.yaml", t);
  };
  std::string e =
      input_error_of([&] { load_tech_table(with("reference: {bits: 8, max_bits: 6}")); });
  EXPECT_NE(e.find("components.adc.reference.max_bits: below the reference bits (8)"),
            std::string::npos)
      << e;
  // A reference resolution of 2^20 bits made every conversion cost 2^-1048568 pJ, i.e. 0.
  e = input_error_of([&] { load_tech_table(with("reference: {bits: 1048576}")); });
  EXPECT_NE(e.find("components.adc.reference.bits"), std::string::npos) << e;
  // Regression: an unknown action (a typo) was accepted and silently never charged.
  std::string typo = text;
  typo.replace(typo.find("read_cell:"), 10, "raed_cell:");
  e = input_error_of([&] { load_tech_table(dir.write("typo.yaml", typo)); });
  EXPECT_NE(e.find("components.xbar.energy_pj.raed_cell: unknown action (xbar has: read_cell, "
                   "write_cell)"),
            std::string::npos)
      << e;
  std::string extra = text + "  warp_drive: {area_mm2: 1, leakage_mw: 0, energy_pj: {op: 1}}\n";
  e = input_error_of([&] { load_tech_table(dir.write("extra.yaml", extra)); });
  EXPECT_NE(e.find("components.warp_drive: unknown component (the model charges: xbar, dac,"),
            std::string::npos)
      << e;
  // Without max_bits, any resolution the presets accept (16 bits).
  EXPECT_EQ(load_tech_table(with("reference: {bits: 8}")).component("adc").reference.at("max_bits"),
            16);
}

}  // namespace
}  // namespace mixpim::sim
