// Sweep specs: parsing, located errors, expansion (cartesian x zip), ids, the manifest, and
// the points.csv / summary.json builders. Running points is tested end to end in
// tests/integration/test_sweep_cli.cpp.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "sim/sweep/sweep.h"
#include "tests/test_util.h"

namespace mixpim::sim {
namespace {

using test::input_error_of;
using test::source_path;

// A spec whose paths point into the source tree (absolute), written into `dir`.
std::string write_spec(const test::TempDir& dir, const std::string& body,
                       const std::string& name = "spec.yaml") {
  return dir.write(name, body);
}

std::string base_block() {
  const std::string arch = source_path("configs/arch/isaac.yaml");
  const std::string workload = source_path("workloads/vgg19-cifar10.yaml");
  return "base:\n  arch: " + arch + "\n  workload: " + workload + "\n";
}

bool has(const std::vector<std::string>& args, const std::string& word) {
  return std::find(args.begin(), args.end(), word) != args.end();
}

// Regression: duplicates were found by text only, though README promises an error for any two
// identical points: 8, 08 and +8 (and 1000 and 1e3, a/../w.yaml and w.yaml) are the same.
TEST(SweepSpec, DuplicatePointsAreFoundByMeaningNotSpelling) {
  test::TempDir dir;
  auto error_of = [&](const std::string& axis) {
    return input_error_of([&] {
      parse_sweep_spec_text("name: d\nbase: {arch: a.yaml, workload: w.yaml}\naxes:\n" + axis,
                            dir.file("d.yaml"));
    });
  };
  for (const char* values : {"[8, 08]", "[8, +8]", "[1000, 1e3]", "[0.5, 5e-1]", "[true, True]"}) {
    const std::string e = error_of(std::string("  - {key: pe.adc.bits, values: ") + values + "}\n");
    EXPECT_NE(e.find("values[1]: duplicate value (same as entry 0): two identical points"),
              std::string::npos)
        << values << ": " << e;
  }
  std::string e = error_of("  - {key: workload, values: [w.yaml, sub/../w.yaml]}\n");
  EXPECT_NE(e.find("duplicate value"), std::string::npos) << e;
  // Different values stay different points.
  EXPECT_EQ(error_of("  - {key: pe.adc.bits, values: [8, 9, 0x8]}\n"), "");
  EXPECT_EQ(error_of("  - {key: pe.crossbar.signed_weights, values: [offset, differential]}\n"),
            "");
}

// Regression: two spec files in different folders both saying `workload: net.yaml` (different
// files) sent to one --out directory: the second ran no point, taking the first's results for
// its own. A point's id covers the bytes of every file it reads.
TEST(SweepSpec, PointIdsCoverTheContentOfEveryFileAPointReads) {
  test::TempDir dir;
  const std::string vgg = test::read_file(source_path("workloads/vgg19-cifar10.yaml"));
  const std::string resnet = test::read_file(source_path("workloads/resnet18-cifar10.yaml"));
  std::filesystem::create_directories(dir.file("a"));
  std::filesystem::create_directories(dir.file("b"));
  std::filesystem::create_directories(dir.file("c"));
  dir.write("a/net.yaml", vgg);
  dir.write("b/net.yaml", resnet);
  dir.write("c/net.yaml", vgg);
  const std::string body = "name: s\nbase: {arch: " + source_path("configs/arch/isaac.yaml") +
                           ", workload: net.yaml}\naxes:\n  - {key: pe.crossbar.rows, values: "
                           "[128, 256]}\n";
  const Sweep a = load_sweep(dir.write("a/spec.yaml", body));
  const Sweep b = load_sweep(dir.write("b/spec.yaml", body));
  const Sweep c = load_sweep(dir.write("c/spec.yaml", body));
  ASSERT_EQ(a.points.size(), 2u);
  EXPECT_NE(a.points[0].id, b.points[0].id);  // same words, different workload
  EXPECT_EQ(a.points[0].id, c.points[0].id);  // same words, same bytes: the same point
  EXPECT_NE(a.points[0].id, a.points[1].id);
  // A preset's base, reached only through `base:`, counts too.
  dir.write("a/base.yaml", test::read_file(source_path("configs/arch/isaac.yaml")));
  const std::string child = dir.write("a/child.yaml", "base: base.yaml\nname: child\n");
  const std::string body2 = "name: s\nbase: {arch: " + child +
                            ", workload: net.yaml}\naxes:\n  - {key: pe.crossbar.rows, values: "
                            "[128, 256]}\n";
  const std::string id_before = load_sweep(dir.write("a/spec2.yaml", body2)).points[0].id;
  dir.write("a/base.yaml", test::read_file(source_path("configs/arch/isaac.yaml")) + "# edited\n");
  EXPECT_NE(load_sweep(dir.file("a/spec2.yaml")).points[0].id, id_before);
}

TEST(SweepSpec, CartesianTimesZipExpandsInOrder) {
  test::TempDir dir;
  const SweepSpec spec = parse_sweep_spec_text(
      "name: demo\n"
      "base: {arch: arch/a.yaml, workload: w/v.yaml, engine: analytic,\n"
      "       set: {pe.adc.bits: 8}}\n"
      "axes:\n"
      "  - {key: pe.crossbar.rows, values: [64, 128, 256]}\n"
      "  - zip:\n"
      "      - {key: workload, values: [w/v.yaml, w/r.yaml]}\n"
      "      - {key: precision, values: [p/u8.yaml, p/u4.yaml]}\n",
      dir.file("spec.yaml"));
  EXPECT_EQ(spec.name, "demo");
  ASSERT_EQ(spec.axes.size(), 2u);
  EXPECT_FALSE(spec.axes[0].zipped);
  EXPECT_TRUE(spec.axes[1].zipped);
  EXPECT_EQ(count_sweep_points(spec), 6u);

  const Sweep sweep = expand_sweep(spec);
  ASSERT_EQ(sweep.points.size(), 6u);
  EXPECT_EQ(sweep.columns, (std::vector<std::string>{"pe.crossbar.rows", "workload", "precision"}));
  // First axis outermost, last innermost.
  EXPECT_EQ(sweep.points[0].values, (std::vector<std::string>{"64", "w/v.yaml", "p/u8.yaml"}));
  EXPECT_EQ(sweep.points[1].values, (std::vector<std::string>{"64", "w/r.yaml", "p/u4.yaml"}));
  EXPECT_EQ(sweep.points[2].values, (std::vector<std::string>{"128", "w/v.yaml", "p/u8.yaml"}));
  EXPECT_EQ(sweep.points[5].values, (std::vector<std::string>{"256", "w/r.yaml", "p/u4.yaml"}));

  // Arguments: paths resolved against the spec's directory, base set then the axis.
  const std::vector<std::string>& args = sweep.points[3].args;
  EXPECT_EQ(args.front(), "run");
  const std::string root = std::filesystem::path(dir.path()).lexically_normal().string();
  EXPECT_TRUE(has(args, root + "/arch/a.yaml"));
  EXPECT_TRUE(has(args, root + "/w/r.yaml"));
  EXPECT_TRUE(has(args, root + "/p/u4.yaml"));
  EXPECT_TRUE(has(args, "pe.adc.bits=8"));
  EXPECT_TRUE(has(args, "pe.crossbar.rows=128"));
  EXPECT_TRUE(has(args, "analytic"));
  EXPECT_FALSE(has(args, "--out"));  // added per run
}

TEST(SweepSpec, PointCountsForCombinations) {
  test::TempDir dir;
  auto count = [&](const std::string& axes) {
    return expand_sweep(parse_sweep_spec_text("base: {arch: a.yaml, workload: w.yaml}\n" + axes,
                                              dir.file("s.yaml")))
        .points.size();
  };
  EXPECT_EQ(count(""), 1u);
  EXPECT_EQ(count("axes: []\n"), 1u);
  EXPECT_EQ(count("axes: [{key: a.b, values: [1, 2, 3, 4]}]\n"), 4u);
  EXPECT_EQ(count("axes: [{key: a.b, values: [1, 2]}, {key: a.c, values: [1, 2, 3]},"
                  " {key: a.d, values: [5, 6, 7, 8, 9]}]\n"),
            30u);
  EXPECT_EQ(
      count("axes: [{zip: [{key: a.b, values: [1, 2, 3]}, {key: a.c, values: [4, 5, 6]}]}]\n"), 3u);
  EXPECT_EQ(count("axes: [{zip: [{key: a.b, values: [1, 2]}, {key: a.c, values: [4, 5]}]},"
                  " {zip: [{key: a.d, values: [1, 2, 3]}, {key: engine, values: [analytic, cycle, "
                  "functional]}]},"
                  " {key: a.e, values: [1, 2]}]\n"),
            12u);
  // The shipped example: 6 (network, profile) pairs x 4 square sizes.
  EXPECT_EQ(
      expand_sweep(parse_sweep_spec(source_path("configs/sweeps/array-size.yaml"))).points.size(),
      24u);
}

TEST(SweepSpec, IdsAreStableUniqueAndPadded) {
  test::TempDir dir;
  const std::string text =
      "base: {arch: a.yaml, workload: w.yaml}\naxes: [{key: x.y, values: [1, 2, 3]}]\n";
  const Sweep a = expand_sweep(parse_sweep_spec_text(text, dir.file("s.yaml")));
  const Sweep b = expand_sweep(parse_sweep_spec_text(text, dir.file("s.yaml")));
  // The hash covers the settings as written, not where the spec lives.
  test::TempDir other;
  const Sweep moved = expand_sweep(parse_sweep_spec_text(text, other.file("s.yaml")));
  ASSERT_EQ(a.points.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.points[i].id, b.points[i].id);
    EXPECT_EQ(a.points[i].id, moved.points[i].id);
    EXPECT_EQ(a.points[i].id.size(), 13u) << a.points[i].id;  // "0001-" + 8 hex digits
    EXPECT_EQ(a.points[i].id.substr(0, 5), "000" + std::to_string(i) + "-");
  }
  EXPECT_NE(a.points[0].id.substr(5), a.points[1].id.substr(5));
  const Sweep changed = expand_sweep(parse_sweep_spec_text(
      "base: {arch: a.yaml, workload: w.yaml}\naxes: [{key: x.y, values: [1, 2, 4]}]\n",
      dir.file("s.yaml")));
  EXPECT_EQ(changed.points[1].id, a.points[1].id);
  EXPECT_NE(changed.points[2].id, a.points[2].id);
}

TEST(SweepSpec, AxisOverridesBaseSetAndValuesKeepTheirYaml) {
  test::TempDir dir;
  const Sweep sweep = expand_sweep(parse_sweep_spec_text(
      "base: {arch: a.yaml, workload: w.yaml, set: {pe.adc.bits: 8, chip.tiles: 4}}\n"
      "axes:\n"
      "  - {key: pe.adc.bits, values: [6, 7]}\n"
      "  - {key: x.list, values: [[1, 2], \"quoted, text\", {a: 1}]}\n",
      dir.file("s.yaml")));
  ASSERT_EQ(sweep.points.size(), 6u);
  const std::vector<std::string>& args = sweep.points[0].args;
  EXPECT_EQ(std::count(args.begin(), args.end(), "--set"), 3);
  EXPECT_TRUE(has(args, "pe.adc.bits=6"));
  EXPECT_FALSE(has(args, "pe.adc.bits=8"));
  EXPECT_TRUE(has(args, "chip.tiles=4"));
  EXPECT_TRUE(has(args, "x.list=[1, 2]"));
  EXPECT_EQ(sweep.points[0].values[1], "[1, 2]");
  EXPECT_EQ(sweep.points[1].values[1], "\"quoted, text\"");
  EXPECT_EQ(sweep.points[2].values[1], "{a: 1}");
  EXPECT_TRUE(has(sweep.points[0].args, "analytic"));  // default engine
}

TEST(SweepSpec, EveryProblemIsReportedAtOnceWithLocation) {
  const std::string error = input_error_of([] {
    parse_sweep_spec_text(
        "name: bad\n"                               // 1
        "colour: blue\n"                            // 2
        "base: {arch: a.yaml, engine: quantum}\n"   // 3
        "axes:\n"                                   // 4
        "  - {key: pe.crossbar.rows, vals: [1]}\n"  // 5
        "  - zip:\n"                                // 6
        "      - {key: pe.x, values: [1, 2, 3]}\n"  // 7
        "      - {key: pe.y, values: [1, 2]}\n"     // 8
        "  - {key: pe.z, values: []}\n"             // 9
        "  - {key: pe.x, values: [1]}\n"            // 10
        "  - {key: pe.w, values: 4}\n"              // 11
        "  - {key: pe.v, values: [1], zip: []}\n"   // 12
        "  - {key: pe..u, values: [1]}\n"           // 13
        "  - {key: pe.t, values: [1, 2, 1]}\n"      // 14
        "  - {key: arch, values: [\"\"]}\n",        // 15
        "bad.yaml");
  });
  EXPECT_NE(error.find("bad.yaml:2:1: colour: unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("bad.yaml:3:30: base.engine: expected one of {analytic, cycle, functional}, "
                       "got \"quantum\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:5:29: axes[0].vals: unknown key"), std::string::npos) << error;
  EXPECT_NE(error.find("axes[0].values: missing required key"), std::string::npos) << error;
  EXPECT_NE(error.find("bad.yaml:8:15: axes[1].zip[1].values: zipped lists must have equal "
                       "lengths: pe.y has 2 values, pe.x has 3"),
            std::string::npos)
      << error;
  EXPECT_NE(
      error.find(
          "bad.yaml:9:25: axes[2].values: expected a non-empty list of values, got an empty list"),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find("bad.yaml:10:11: axes[3].key: \"pe.x\" is already an axis (at bad.yaml:7:15)"),
      std::string::npos)
      << error;
  EXPECT_NE(
      error.find("bad.yaml:11:25: axes[4].values: expected a non-empty list of values, got \"4\""),
      std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:12:5: axes[5]: an axis has either key and values, or zip"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:13:11: axes[6].key: expected a key path"), std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:14:32: axes[7].values[2]: duplicate value"), std::string::npos)
      << error;
  EXPECT_NE(error.find("bad.yaml:15:26: axes[8].values[0]: expected a file path"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("base.workload: missing required key (give it in base or as an axis)"),
            std::string::npos)
      << error;
}

TEST(SweepSpec, FileLevelErrors) {
  EXPECT_EQ(input_error_of([] { parse_sweep_spec("/nonexistent/sweep.yaml"); }),
            "/nonexistent/sweep.yaml: cannot open file");
  EXPECT_NE(input_error_of([] {
              parse_sweep_spec_text("- a\n- b\n", "list.yaml");
            }).find("list.yaml:1:1: expected a map with name, base and axes"),
            std::string::npos);
  EXPECT_NE(input_error_of([] {
              parse_sweep_spec_text("axes: [\n", "syntax.yaml");
            }).find("YAML syntax error"),
            std::string::npos);
  // An empty file: the required keys are missing.
  EXPECT_NE(input_error_of([] { parse_sweep_spec_text("", "empty.yaml"); }).find("base.arch"),
            std::string::npos);
  EXPECT_NE(input_error_of([] {
              parse_sweep_spec_text("base: {arch: a, workload: w, set: {workload: x}}\n", "s.yaml");
            }).find("s.yaml:1:36: base.set.workload: \"workload\" is not an architecture key"),
            std::string::npos);
  // Too many points is refused before anything is built.
  std::string axes = "base: {arch: a, workload: w}\naxes:\n";
  for (int i = 0; i < 6; ++i) {
    axes += "  - {key: k.a" + std::to_string(i) + ", values: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]}\n";
  }
  EXPECT_NE(input_error_of([&] {
              parse_sweep_spec_text(axes, "big.yaml");
            }).find("the axes make 1000000 points (at most 100000)"),
            std::string::npos);
}

TEST(SweepSpec, InputsAreCheckedAgainstTheArchitectureSchemaAtSpecLines) {
  test::TempDir dir;
  const std::string path =
      write_spec(dir, base_block() +                                        // 1-3
                          "  set: {pe.adc.bitz: 8}\n"                       // 4
                          "axes:\n"                                         // 5
                          "  - {key: pe.crossbar.rows, values: [64, 0]}\n"  // 6
                          "  - {key: profile, values: [x]}\n"               // 7
                          "  - {key: precision, values: [nope.yaml]}\n");   // 8
  const std::string error = input_error_of([&] { load_sweep(path); });
  EXPECT_NE(error.find(path + ":4:9: pe.adc.bitz: unknown architecture key pe.adc.bitz"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(path + ":6:42: pe.crossbar.rows: expected integer in [2, 8192], got \"0\""),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(path + ":7:11: profile: unknown key: not arch, workload, precision, "
                              "engine, digital, baseline, data, labels, batch or seed, nor "
                              "a top-level architecture key"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find(path + ":8:31: precision: nope.yaml: cannot open file"), std::string::npos)
      << error;

  // A profile that does not fit a network of the sweep names the point's workload.
  const std::string mismatch = write_spec(
      dir,
      base_block() + "  precision: " + source_path("workloads/profiles/resnet18/pruned.yaml") +
          "\n",
      "mismatch.yaml");
  const std::string error2 = input_error_of([&] { load_sweep(mismatch); });
  EXPECT_NE(error2.find("profile is for \"resnet18\""), std::string::npos) << error2;
  EXPECT_NE(error2.find("with workload"), std::string::npos) << error2;

  // The shipped example is valid.
  EXPECT_EQ(load_sweep(source_path("configs/sweeps/array-size.yaml")).points.size(), 24u);
}

// `baseline:` (a profile) reaches every point as --baseline and is checked against each
// point's workload like `precision:`.
TEST(SweepSpec, BaselineProfileIsPassedToEveryPointAndChecked) {
  test::TempDir dir;
  const std::string u8 = source_path("workloads/profiles/uniform8.yaml");
  const Sweep sweep =
      load_sweep(write_spec(dir, base_block() + "  baseline: " + u8 +
                                     "\naxes:\n  - {key: pe.crossbar.rows, values: [64, 128]}\n"));
  ASSERT_EQ(sweep.points.size(), 2u);
  for (const SweepPoint& p : sweep.points) {
    auto it = std::find(p.args.begin(), p.args.end(), "--baseline");
    ASSERT_NE(it, p.args.end());
    EXPECT_EQ(*(it + 1), u8);
  }
  const std::string wrong = write_spec(
      dir,
      base_block() + "  baseline: " + source_path("workloads/profiles/resnet18/pruned.yaml") +
          "\naxes:\n  - {key: pe.crossbar.rows, values: [64]}\n",
      "wrong.yaml");
  const std::string e = input_error_of([&] { load_sweep(wrong); });
  EXPECT_NE(e.find("profile is for \"resnet18\""), std::string::npos) << e;
}

TEST(SweepSpec, DigitalBaselinePresetIsPassedToEveryPointAndChecked) {
  test::TempDir dir;
  const std::string digital = source_path("configs/digital/systolic-16bit.yaml");
  const std::string path =
      write_spec(dir, base_block() + "  digital: " + digital + "\n" +
                          "axes:\n  - {key: pe.crossbar.rows, values: [64, 128]}\n");
  const Sweep sweep = load_sweep(path);
  ASSERT_EQ(sweep.points.size(), 2u);
  for (const SweepPoint& p : sweep.points) {
    auto it = std::find(p.args.begin(), p.args.end(), "--digital");
    ASSERT_NE(it, p.args.end());
    EXPECT_EQ(*(it + 1), digital);
  }
  // Without the key, ids are what they were (the digital baseline is not hashed in).
  const Sweep plain = load_sweep(write_spec(
      dir, base_block() + "axes:\n  - {key: pe.crossbar.rows, values: [64, 128]}\n", "plain.yaml"));
  EXPECT_FALSE(has(plain.points[0].args, "--digital"));
  EXPECT_NE(plain.points[0].id, sweep.points[0].id);

  // A missing preset is named at the spec line; a broken one at its own line.
  const std::string missing =
      write_spec(dir, base_block() + "  digital: nope.yaml\n", "missing.yaml");
  EXPECT_NE(input_error_of([&] {
              load_sweep(missing);
            }).find(missing + ":4:12: digital: nope.yaml: cannot open file"),
            std::string::npos);
  dir.write("broken.yaml", "name: b\ntech: digital-45nm\nclock_mhz: -1\n");
  const std::string broken = write_spec(dir, base_block() + "  digital: broken.yaml\n", "b.yaml");
  const std::string error = input_error_of([&] { load_sweep(broken); });
  EXPECT_NE(error.find(dir.file("broken.yaml") + ":3:12: clock_mhz: expected number"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("mac_array: missing required key"), std::string::npos) << error;
}

TEST(SweepManifest, RoundTripsAndRejectsMalformed) {
  test::TempDir dir;
  const Sweep sweep = expand_sweep(parse_sweep_spec_text(
      "name: m\nbase: {arch: a.yaml, workload: w.yaml}\naxes: [{key: x.y, values: [1, 2]}]\n",
      dir.file("s.yaml")));
  const Sweep back = sweep_from_json(sweep_to_json(sweep));
  EXPECT_EQ(back.name, "m");
  EXPECT_EQ(back.columns, sweep.columns);
  ASSERT_EQ(back.points.size(), 2u);
  EXPECT_EQ(back.points[1].id, sweep.points[1].id);
  EXPECT_EQ(back.points[1].args, sweep.points[1].args);
  EXPECT_EQ(back.spec, sweep.spec);
  EXPECT_EQ(sweep.spec["axes"][0]["key"], "x.y");

  nlohmann::json bad = sweep_to_json(sweep);
  bad["points"][0]["id"] = "../escape";
  EXPECT_THROW(sweep_from_json(bad), std::runtime_error);
  bad = sweep_to_json(sweep);
  bad["points"][1]["values"] = nlohmann::json::array();
  EXPECT_THROW(sweep_from_json(bad), std::runtime_error);
  EXPECT_THROW(sweep_from_json(nlohmann::json::array()), std::runtime_error);
  EXPECT_THROW(sweep_from_json({{"schema_version", 1}}), std::runtime_error);
}

Sweep small_sweep() {
  Sweep sweep;
  sweep.name = "s";
  sweep.spec = {{"name", "s"}};
  sweep.columns = {"pe.crossbar.rows", "precision"};
  for (size_t i = 0; i < 3; ++i) {
    SweepPoint p;
    p.index = i;
    p.id = "000" + std::to_string(i) + "-abcdef0" + std::to_string(i);
    p.values = {std::to_string(64 << i), i == 2 ? "a,b.yaml" : "u8.yaml"};
    sweep.points.push_back(p);
  }
  return sweep;
}

nlohmann::json fake_report(double energy, nlohmann::json components) {
  return {
      {"schema_version", 1},
      {"run", {{"workload", {{"name", "vgg19-cifar10"}}}, {"precision", {{"name", "uniform8"}}}}},
      {"totals",
       {{"energy_pj", energy},
        {"latency_ns", 1000},
        {"area_mm2", 12.5},
        {"tops_per_w", 2.25},
        {"tops_per_mm2", 0.5},
        {"throughput_inferences_per_s", 1e6},
        {"edp_pj_ns", energy * 1000},
        {"macs", 398136320}}},
      {"mapping", {{"resident", true}}},
      {"adc", {{"built_bits", 8}, {"exact", energy < 2}}},
      {"components", components},
      {"baseline",
       {{"energy_pj", 4 * energy},
        {"energy_reduction", 4.0},
        {"latency_ratio", 1},
        {"precision", "uniform16"},
        {"adc_exact", false}}}};
}

TEST(SweepOutputs, PointsCsvHasOneRowPerPointAndComponentUnion) {
  const Sweep sweep = small_sweep();
  std::vector<PointResult> results(3);
  results[0].status = PointStatus::kFinished;
  results[0].report = fake_report(
      1.5, {{"xbar", {{"energy_pj", 1.0}, {"area_mm2", 2.0}}}, {"adc", {{"energy_pj", 0.5}}}});
  results[1].status = PointStatus::kFailed;
  results[1].error = "error: boom\nexit code: 2\n";
  results[2].status = PointStatus::kFinished;
  results[2].report = fake_report(3, {{"router", {{"energy_pj", 3}}}});
  const std::string csv = points_csv(sweep, results);
  std::istringstream in(csv);
  std::string header, row0, row1, row2, extra;
  std::getline(in, header);
  std::getline(in, row0);
  std::getline(in, row1);
  std::getline(in, row2);
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(
      header,
      "id,status,pe.crossbar.rows,precision,workload_name,precision_name,energy_pj,latency_ns,"
      "area_mm2,tops_per_w,tops_per_mm2,throughput_inferences_per_s,edp_pj_ns,macs,resident,"
      "adc_bits,adc_exact,baseline_adc_exact,energy_reduction,latency_ratio,baseline_precision,"
      "energy_pj.adc,energy_pj.router,energy_pj.xbar,area_mm2.xbar");
  EXPECT_EQ(row0,
            "0000-abcdef00,finished,64,u8.yaml,vgg19-cifar10,uniform8,1.5,1000,12.5,2.25,0.5,"
            "1000000.0,1500.0,398136320,true,8,true,false,4.0,1,uniform16,0.5,,1.0,2.0");
  EXPECT_EQ(row1, "0001-abcdef01,failed,128,u8.yaml,,,,,,,,,,,,,,,,,,,,,");
  EXPECT_NE(row2.find(",true,8,false,false,"), std::string::npos) << row2;  // inexact point
  EXPECT_EQ(row2.substr(0, 41), "0002-abcdef02,finished,256,\"a,b.yaml\",vgg");
  EXPECT_EQ(row2.substr(row2.size() - 5), ",,3,,");  // no adc, router 3, no xbar
}

TEST(SweepOutputs, DigitalBaselineColumnsOnlyWhenAPointHasOne) {
  const Sweep sweep = small_sweep();
  std::vector<PointResult> results(3);
  for (PointResult& r : results) {
    r.status = PointStatus::kFinished;
    r.report = fake_report(2, nlohmann::json::object());
  }
  EXPECT_EQ(points_csv(sweep, results).find("digital_"), std::string::npos);
  results[1].report["digital_baseline"] = {{"energy_reduction", 12.5}, {"latency_ratio", 0.25}};
  std::istringstream in(points_csv(sweep, results));
  std::string header, row0, row1;
  std::getline(in, header);
  std::getline(in, row0);
  std::getline(in, row1);
  const std::string tail =
      ",latency_ratio,baseline_precision,digital_energy_reduction,digital_latency_ratio";
  EXPECT_EQ(header.substr(header.size() - tail.size()), tail);
  EXPECT_EQ(row0.substr(row0.size() - 14), ",1,uniform16,,");  // latency_ratio 1, no digital
  EXPECT_EQ(row1.substr(row1.size() - 22), ",1,uniform16,12.5,0.25");
}

TEST(SweepOutputs, SummaryCountsAndErrors) {
  const Sweep sweep = small_sweep();
  std::vector<PointResult> results(3);
  results[0].status = PointStatus::kFinished;
  results[1].status = PointStatus::kFailed;
  results[1].error = "error: boom\nexit code: 2\n";
  const nlohmann::json summary = sweep_summary(sweep, results);
  EXPECT_EQ(summary["counts"]["total"], 3);
  EXPECT_EQ(summary["counts"]["finished"], 1);
  EXPECT_EQ(summary["counts"]["failed"], 1);
  EXPECT_EQ(summary["counts"]["pending"], 1);
  EXPECT_EQ(summary["points"][1]["status"], "failed");
  EXPECT_EQ(summary["points"][1]["error"], "error: boom\nexit code: 2");
  EXPECT_EQ(summary["points"][2]["status"], "pending");
  EXPECT_FALSE(summary["points"][2].contains("error"));
  EXPECT_EQ(summary["points"][0]["values"]["pe.crossbar.rows"], "64");
  EXPECT_EQ(summary["spec"]["name"], "s");
}

TEST(SweepOutputs, PointStatusFromDirectoryAndErrorText) {
  test::TempDir dir;
  EXPECT_EQ(read_point_result(dir.file("missing")).status, PointStatus::kPending);
  dir.write("error.txt", "error: x\nexit code: 2\n");
  PointResult r = read_point_result(dir.path());
  EXPECT_EQ(r.status, PointStatus::kFailed);
  EXPECT_EQ(r.error, "error: x\nexit code: 2\n");
  dir.write("report.json", "{\"totals\": {\"energy_pj\": 1, \"latency_ns\": 2, \"area_mm2\": 3}}");
  r = read_point_result(dir.path());
  EXPECT_EQ(r.status, PointStatus::kFinished);  // a report wins over a stale error
  EXPECT_EQ(r.report["totals"]["energy_pj"], 1);
  // Regression: {} counted as finished, and a string latency went into points.csv.
  for (const char* broken : {"{}",
                             "{\"totals\": {\"energy_pj\": 1, \"latency_ns\": \"fast\", "
                             "\"area_mm2\": 3}}"}) {
    dir.write("report.json", broken);
    r = read_point_result(dir.path());
    EXPECT_EQ(r.status, PointStatus::kFailed) << broken;
    EXPECT_NE(r.error.find("is missing or not a number"), std::string::npos) << r.error;
  }
  dir.write("report.json", "{\"totals\": ");
  r = read_point_result(dir.path());
  EXPECT_EQ(r.status, PointStatus::kFailed);
  EXPECT_NE(r.error.find("report.json is unreadable"), std::string::npos);

  EXPECT_EQ(point_error_text("", "exit code: 2"), "exit code: 2\n");
  EXPECT_EQ(point_error_text("oops", "exit code: 1"), "oops\nexit code: 1\n");
  EXPECT_EQ(point_error_text("oops\n", "killed by signal 9"), "oops\nkilled by signal 9\n");
  const std::string long_text(kMaxErrorStderrBytes + 100, 'x');
  EXPECT_EQ(point_error_text(long_text, "e").size(), kMaxErrorStderrBytes + 3);
}

TEST(SweepSlurm, PointsListQuotesEveryWord) {
  Sweep sweep = small_sweep();
  sweep.points[0].args = {"run", "--arch", "/a b/it's.yaml"};
  const std::string list = slurm_points_list(sweep);
  EXPECT_EQ(list.substr(0, list.find('\n')), "'0000-abcdef00' 'run' '--arch' '/a b/it'\\''s.yaml'");
  const std::string script = slurm_script(sweep, "/out", "/bin/mixpim", {"--time=01:00:00"}, 4);
  EXPECT_NE(script.find("#SBATCH --array=0-2%4\n"), std::string::npos) << script;
  EXPECT_NE(script.find("#SBATCH --time=01:00:00\n"), std::string::npos) << script;
  EXPECT_NE(script.find("runner=${MIXPIM_SWEEP_RUNNER:-'/bin/mixpim'}"), std::string::npos);
  EXPECT_NE(script.find("limit=()\n"), std::string::npos);
  EXPECT_NE(slurm_script(sweep, "/out", "/bin/mixpim", {}, 0, 30).find("limit=(timeout -k 3 30)\n"),
            std::string::npos);
}

// Regression: a newline in a path became a space in points.txt and the task then failed. A
// word with control characters is written as $'...', one line per point, and bash's
// `eval "set -- $line"` (what sweep.slurm does) gives back exactly the original bytes.
TEST(SweepSlurm, PointsListKeepsControlCharactersExactly) {
  Sweep sweep = small_sweep();
  const std::string odd = "/w/new\nline\ttab 'q' back\\slash.yaml";
  sweep.points[0].args = {"run", "--workload", odd};
  const std::string list = slurm_points_list(sweep);
  EXPECT_EQ(std::count(list.begin(), list.end(), '\n'), 3);  // one line per point
  EXPECT_NE(list.find("$'/w/new\\x0aline\\x09tab \\'q\\' back\\\\slash.yaml'"), std::string::npos)
      << list;
  test::TempDir dir;
  const std::string points = dir.write("points.txt", list);
  const std::string script = dir.write(
      "decode.sh",
      "out=$2\nline=$(sed -n 1p \"$1\")\neval \"set -- $line\"\nprintf '%s' \"$4\" > \"$out\"\n");
  const std::string command =
      "bash '" + script + "' '" + points + "' '" + dir.file("decoded") + "'";
  ASSERT_EQ(std::system(command.c_str()), 0);
  EXPECT_EQ(test::read_file(dir.file("decoded")), odd);
}

}  // namespace
}  // namespace mixpim::sim
