// Architecture config: the shipped preset, every error class (unknown key, wrong type,
// missing key, out of range, cross-field), --set overrides and `base:` inheritance.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "sim/config/arch_config.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Loads `text` as a preset from a scratch directory; returns the error with the directory
// stripped from paths.
class ArchErrors : public ::testing::Test {
 protected:
  std::string error_of(const std::string& text, const std::vector<std::string>& overrides = {}) {
    const std::string path = dir_.write("arch.yaml", text);
    std::string error = input_error_of([&] { load_arch_config(path, overrides); });
    for (size_t at; (at = error.find(dir_.path() + "/")) != std::string::npos;) {
      error.erase(at, dir_.path().size() + 1);
    }
    return error;
  }
  // The shipped preset with one line replaced.
  std::string isaac_with(const std::string& from, const std::string& to) {
    std::string text = read_all(source_path("configs/arch/isaac.yaml"));
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return at == std::string::npos ? text : text.replace(at, from.size(), to);
  }
  test::TempDir dir_;
};

TEST(ArchConfig, IsaacPresetLoadsWithTable2Values) {
  const ArchConfig c = load_arch_config(source_path("configs/arch/isaac.yaml"));
  EXPECT_EQ(c.name, "isaac");
  EXPECT_EQ(c.tech, "isaac-32nm");
  EXPECT_EQ(c.chip.tiles, 168);
  EXPECT_EQ(c.tile.pes, 12);
  EXPECT_EQ(c.pe.crossbars, 8);
  EXPECT_EQ(c.pe.crossbar.rows, 128);
  EXPECT_EQ(c.pe.crossbar.columns, 128);
  EXPECT_EQ(c.pe.crossbar.bits_per_cell, 2);
  EXPECT_EQ(c.pe.dac.bits, 1);
  EXPECT_EQ(c.pe.adc.bits, 8);
  EXPECT_EQ(c.pe.adc.count, 8);
  EXPECT_EQ(c.pe.crossbar.signed_weights, SignedWeights::kOffset);
  EXPECT_EQ(c.chip.noc.topology, NocTopology::kCmesh);
  EXPECT_EQ(c.crossbars_total(), 168 * 12 * 8);
  EXPECT_EQ(c.mapping.mode, MappingMode::kLayerPipelined);
}

TEST_F(ArchErrors, WrongTypeNamesFileLineColumnAndKey) {
  const std::string text =
      isaac_with("    bits: 8                 #", "    bits: eight                 #");
  const auto line = 1 + std::count(text.begin(), text.begin() + text.find("bits: eight"), '\n');
  std::string error = error_of(text);
  EXPECT_NE(error.find("arch.yaml:" + std::to_string(line) +
                       ":11: pe.adc.bits: expected integer in [1, 16], got \"eight\""),
            std::string::npos)
      << error;
}

// Regressions: a base that is a number or a list merged as nothing (then only "missing key"
// errors), and errors about two keys pointed at the preset's map even when a --set override
// had set the value.
TEST(ArchErrorsMore, BaseThatIsNotAMapAndOverrideLocations) {
  test::TempDir dir;
  dir.write("scalar.yaml", "42\n");
  dir.write("list.yaml", "- a\n- b\n");
  std::string e = input_error_of(
      [&] { load_arch_config(dir.write("p1.yaml", "base: scalar.yaml\nname: x\n")); });
  EXPECT_NE(e.find(dir.file("scalar.yaml") +
                   ":1:1: expected a map (an architecture preset), got "
                   "\"42\" (base of " +
                   dir.file("p1.yaml") + ":1:7)"),
            std::string::npos)
      << e;
  e = input_error_of([&] { load_arch_config(dir.write("p2.yaml", "base: list.yaml\nname: x\n")); });
  EXPECT_NE(e.find("got a list (base of"), std::string::npos) << e;

  const std::string isaac = source_path("configs/arch/isaac.yaml");
  e = input_error_of([&] {
    load_arch_config(isaac, {"pe.crossbar.columns=7", "pe.crossbar.signed_weights=differential"});
  });
  EXPECT_EQ(e.rfind("--set pe.crossbar.columns=7: pe.crossbar.columns: differential weights use "
                    "column pairs",
                    0),
            0u)
      << e;
  e = input_error_of([&] { load_arch_config(isaac, {"pe.adc.count=99999"}); });
  EXPECT_EQ(e.rfind("--set pe.adc.count=99999: pe.adc.count: more ADCs", 0), 0u) << e;
  e = input_error_of([&] { load_arch_config(isaac, {"chip.tiles=999"}); });
  EXPECT_EQ(e.rfind("--set chip.tiles=999: chip.noc: ", 0), 0u) << e;
}

TEST_F(ArchErrors, OutOfRangeValue) {
  std::string error = error_of(isaac_with("    bits_per_cell: 2 ", "    bits_per_cell: 9 "));
  EXPECT_NE(error.find("pe.crossbar.bits_per_cell: expected integer in [1, 8], got \"9\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("arch.yaml:"), std::string::npos) << error;
}

TEST_F(ArchErrors, UnknownKeyListsTheExpectedOnes) {
  std::string error = error_of(isaac_with("    bits_per_cell: 2 ", "    bits_per_cel: 2 "));
  EXPECT_NE(error.find("pe.crossbar.bits_per_cel: unknown key (expected one of: bits_per_cell, "
                       "columns, device, read_latency_ns, rows, rows_per_read, signed_weights, "
                       "weight_flipping)"),
            std::string::npos)
      << error;
  // ... and the now-missing key is reported in the same pass.
  EXPECT_NE(error.find("pe.crossbar.bits_per_cell: missing required key"), std::string::npos)
      << error;
}

TEST_F(ArchErrors, MissingRequiredKeysAndSections) {
  std::string error = error_of("name: x\ntech: t\nclock_mhz: 1000\n");
  EXPECT_NE(error.find("arch.yaml:1:1: chip: missing required key"), std::string::npos) << error;
  EXPECT_NE(error.find("arch.yaml:1:1: tile: missing required key"), std::string::npos) << error;
  EXPECT_NE(error.find("arch.yaml:1:1: pe: missing required key"), std::string::npos) << error;
}

TEST_F(ArchErrors, WrongShapesAndEnums) {
  std::string error = error_of(isaac_with("  pes: 12 ", "  pes: [12] "));
  EXPECT_NE(error.find("tile.pes: expected integer in [1, 4096], got a list"), std::string::npos)
      << error;
  error = error_of(isaac_with("topology: cmesh", "topology: torus"));
  EXPECT_NE(error.find("chip.noc.topology: expected one of {mesh, cmesh}, got \"torus\""),
            std::string::npos)
      << error;
  error = error_of("- 1\n- 2\n");
  EXPECT_NE(error.find("arch.yaml:1:1: expected a map of keys, got a list"), std::string::npos)
      << error;
}

TEST_F(ArchErrors, CrossFieldRules) {
  std::string error = error_of(isaac_with("    count: 8 ", "    count: 2000 "));
  EXPECT_NE(error.find("pe.adc.count: more ADCs (2000) than crossbar columns in the PE (1024)"),
            std::string::npos)
      << error;
  error = error_of(isaac_with("tiles: 168 ", "tiles: 169 "));
  EXPECT_NE(error.find("chip.noc: mesh_columns x mesh_rows x tiles_per_router = 168 cannot attach "
                       "chip.tiles = 169"),
            std::string::npos)
      << error;
  error = error_of(isaac_with("signed_weights: offset", "signed_weights: differential"),
                   {"pe.crossbar.columns=127"});
  EXPECT_NE(error.find("columns must be even, got 127"), std::string::npos) << error;
}

TEST_F(ArchErrors, EveryProblemIsReportedInOnePass) {
  std::string text = isaac_with("    bits: 8                 #", "    bits: 0                 #");
  const size_t at = text.find("  pes: 12");
  text.replace(at, 9, "  pes: -1");
  std::string error = error_of(text);
  EXPECT_NE(error.find("pe.adc.bits"), std::string::npos) << error;
  EXPECT_NE(error.find("tile.pes"), std::string::npos) << error;
}

TEST(ArchOverrides, SetChangesValuesAndPassesTheSameValidation) {
  const std::string isaac = source_path("configs/arch/isaac.yaml");
  const ArchConfig c = load_arch_config(
      isaac, {"pe.crossbar.rows=256", "pe.crossbar.columns=64", "mapping.mode=layer_by_layer"});
  EXPECT_EQ(c.pe.crossbar.rows, 256);
  EXPECT_EQ(c.pe.crossbar.columns, 64);
  EXPECT_EQ(c.mapping.mode, MappingMode::kLayerByLayer);

  std::string error = input_error_of([&] { load_arch_config(isaac, {"pe.adc.bits=eight"}); });
  EXPECT_EQ(error,
            "--set pe.adc.bits=eight: pe.adc.bits: expected integer in [1, 16], got \"eight\"");
  error = input_error_of([&] { load_arch_config(isaac, {"pe.adc.bitz=4"}); });
  EXPECT_NE(error.find("--set pe.adc.bitz=4: pe.adc.bitz: unknown key"), std::string::npos)
      << error;
  error = input_error_of([&] { load_arch_config(isaac, {"pe.crossbar.rows=0"}); });
  EXPECT_EQ(error,
            "--set pe.crossbar.rows=0: pe.crossbar.rows: expected integer in [2, 8192], got \"0\"");
  error = input_error_of([&] { load_arch_config(isaac, {"tile.pes.count=3"}); });
  EXPECT_NE(error.find("--set tile.pes.count=3: tile.pes: is \"12\", not a map"), std::string::npos)
      << error;
}

TEST(ArchInheritance, ChildOverridesBaseKeyByKey) {
  test::TempDir dir;
  dir.write("base.yaml", read_all(source_path("configs/arch/isaac.yaml")));
  const std::string child = dir.write(
      "child.yaml",
      "base: base.yaml\nname: big-arrays\npe:\n  crossbar:\n    rows: 512\n    columns: 512\n");
  const ArchConfig c = load_arch_config(child, {"pe.adc.bits=10"});
  EXPECT_EQ(c.name, "big-arrays");
  EXPECT_EQ(c.pe.crossbar.rows, 512);
  EXPECT_EQ(c.pe.crossbar.bits_per_cell, 2);  // inherited
  EXPECT_EQ(c.pe.adc.bits, 10);               // override wins over both files
  EXPECT_EQ(c.chip.tiles, 168);
  ASSERT_EQ(c.files.size(), 2u);
  EXPECT_EQ(c.files[0], child);
  EXPECT_EQ(c.files[1], dir.file("base.yaml"));
}

TEST(ArchInheritance, ErrorsNameTheFileTheyAreIn) {
  test::TempDir dir;
  dir.write("base.yaml", read_all(source_path("configs/arch/isaac.yaml")));
  const std::string child =
      dir.write("child.yaml", "base: base.yaml\npe:\n  crossbar:\n    rows: many\n");
  std::string error = input_error_of([&] { load_arch_config(child); });
  EXPECT_EQ(error, dir.file("child.yaml") +
                       ":4:11: pe.crossbar.rows: expected integer in [2, 8192], got \"many\"");
}

TEST(ArchInheritance, CyclesAndMissingBasesAreErrors) {
  test::TempDir dir;
  dir.write("a.yaml", "base: b.yaml\n");
  dir.write("b.yaml", "base: a.yaml\n");
  std::string error = input_error_of([&] { load_arch_config(dir.file("a.yaml")); });
  EXPECT_NE(error.find("inheritance cycle through " + dir.file("a.yaml")), std::string::npos)
      << error;
  dir.write("c.yaml", "base: nowhere.yaml\n");
  error = input_error_of([&] { load_arch_config(dir.file("c.yaml")); });
  EXPECT_NE(error.find(dir.file("nowhere.yaml") + ": cannot open file (base of " +
                       dir.file("c.yaml") + ":1:7)"),
            std::string::npos)
      << error;
}

}  // namespace
}  // namespace mixpim::sim
