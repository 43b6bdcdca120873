// End-to-end: the real `mixpim` binary on the shipped files. Checks exit codes, that stdout
// carries only the requested output, and JSON totals against closed forms.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_util.h"

namespace mixpim {
namespace {

using test::source_path;

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `mixpim <args>` from the source directory (so relative paths are the user's paths).
// `env`: assignments put before the command ("MIXPIM_MEMORY_LIMIT_MIB=1").
Result run(const std::string& args, const std::string& env = "") {
  test::TempDir dir;
  const std::string command = std::string("cd '") + MIXPIM_SOURCE_DIR + "' && " + env + " '" +
                              MIXPIM_CLI_PATH + "' " + args + " > '" + dir.file("out") + "' 2> '" +
                              dir.file("err") + "'";
  const int status = std::system(command.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_all(dir.file("out"));
  r.err = read_all(dir.file("err"));
  return r;
}

TEST(Cli, VersionHelpAndUsageErrors) {
  Result r = run("--version");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("mixpim 0.1.0", 0), 0u) << r.out;
  r = run("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("info"), std::string::npos);
  EXPECT_NE(r.out.find("config"), std::string::npos);
  r = run("");
  EXPECT_EQ(r.exit_code, 2);
  r = run("frobnicate");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown command 'frobnicate'"), std::string::npos);
  r = run("info --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--workload"), std::string::npos);
  r = run("info --workload workloads/vgg19-cifar10.yaml --bogus");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("Try 'mixpim info --help'"), std::string::npos) << r.err;
  r = run("info");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("workload"), std::string::npos) << r.err;
}

TEST(Cli, InfoJsonTotalsMatchClosedForm) {
  Result r = run("info --workload workloads/vgg19-cifar10.yaml --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto j = nlohmann::json::parse(r.out);  // stdout holds JSON only (no SystemC banner)
  EXPECT_EQ(j["totals"]["macs"], 398136320);
  EXPECT_EQ(j["totals"]["weights"], 20024000);
  EXPECT_EQ(j["totals"]["weight_memory_bits"], 16 * 20024000);  // default: 16-bit baseline
  EXPECT_EQ(j["layers"].size(), j["totals"]["layers"]);
  EXPECT_EQ(j["layers"][0]["name"], "conv1_1");
  EXPECT_EQ(j["layers"][0]["macs"], 64 * 32 * 32 * 3 * 9);
}

TEST(Cli, InfoWithProfiles) {
  Result r =
      run("info -w workloads/resnet18-cifar10.yaml -p workloads/profiles/uniform8.yaml --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["totals"]["weight_memory_bits"], 8 * 11164352);
  EXPECT_EQ(j["precision"]["name"], "uniform8");

  r = run(
      "info -w workloads/resnet18-cifar10.yaml -p workloads/profiles/resnet18/pruned.yaml --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(r.out);
  EXPECT_LT(j["totals"]["macs"].get<int64_t>(), 555422720);
  EXPECT_LT(j["totals"]["weights"].get<int64_t>(), 11164352);

  r = run("info -w workloads/vgg19-cifar10.yaml -p workloads/profiles/vgg19/mixed-layer.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("conv5_4"), std::string::npos);
  EXPECT_NE(r.out.find("total"), std::string::npos);
  EXPECT_NE(r.out.find("398,136,320"), std::string::npos) << r.out;
}

TEST(Cli, InfoWritesOutputFileAtomically) {
  test::TempDir dir;
  Result r = run("info -w workloads/vgg19-cifar10.yaml --json -o '" + dir.file("info.json") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(nlohmann::json::parse(read_all(dir.file("info.json")))["totals"]["macs"], 398136320);
}

TEST(Cli, BadInputExitsTwoWithLocatedMessage) {
  Result r =
      run("info -w workloads/resnet18-cifar10.yaml -p workloads/profiles/vgg19/mixed-layer.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("error: workloads/profiles/vgg19/mixed-layer.yaml:"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("network: profile is for \"vgg19\""), std::string::npos) << r.err;

  r = run("info -w workloads/nope.yaml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err, "error: workloads/nope.yaml: cannot open file\n");
}

TEST(Cli, ConfigValidatesPresetAndOverrides) {
  Result r = run("config --arch configs/arch/isaac.yaml --set pe.crossbar.rows=256");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pe"]["crossbar"]["rows"], 256);
  EXPECT_EQ(j["pe"]["crossbar"]["columns"], 128);
  EXPECT_EQ(j["overrides"][0], "pe.crossbar.rows=256");

  r = run("config --arch configs/arch/isaac.yaml --set pe.adc.bits=eight");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err,
      "error: --set pe.adc.bits=eight: pe.adc.bits: expected integer in [1, 16], got \"eight\"\n");
}

TEST(Cli, ConfigErrorInFileNamesLineAndKey) {
  test::TempDir dir;
  std::string text = read_all(source_path("configs/arch/isaac.yaml"));
  text.replace(text.find("  pes: 12"), 9, "  pes: lots");
  const std::string path = dir.write("broken.yaml", text);
  Result r = run("config --arch '" + path + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("tile.pes: expected integer in [1, 4096], got \"lots\""), std::string::npos)
      << r.err;
}

TEST(Cli, MapPrintsArraysUtilisationAndTotals) {
  Result r = run("map -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["totals"]["arrays"], 9788);  // closed form in test_mapping.cpp
  EXPECT_LE(j["totals"]["tiles"].get<int>(), 168);
  EXPECT_EQ(j["layers"].size(), 17u);
  EXPECT_EQ(j["layers"][0]["arrays"], 4);
  EXPECT_EQ(j["layers"][0]["row_blocks"], 1);
  for (const auto& layer : j["layers"]) {
    EXPECT_GT(layer["row_utilization"].get<double>(), 0.0);
    EXPECT_LE(layer["row_utilization"].get<double>(), 1.0);
    EXPECT_GE(layer["replication"].get<int>(), 1);
    // ISAAC flips weights: one flag per used column of every array of every copy.
    EXPECT_EQ(layer["flip_flag_bits"].get<int64_t>(), layer["replication"].get<int64_t>() *
                                                          layer["row_blocks"].get<int64_t>() *
                                                          layer["used_columns"].get<int64_t>());
    EXPECT_TRUE(layer["adc"]["exact"].get<bool>());
    EXPECT_EQ(layer["adc"]["bits"], 8);
  }
  EXPECT_EQ(j["layers"][0]["adc"]["bits_needed"], 6);  // 27 rows: floor(27 x 3 / 2) = 40
  r =
      run("map -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --json "
          "--set pe.crossbar.weight_flipping=false");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto plain = nlohmann::json::parse(r.out);
  EXPECT_EQ(plain["layers"][0]["flip_flag_bits"], 0);
  EXPECT_FALSE(plain["layers"][1]["adc"]["exact"].get<bool>());
  EXPECT_EQ(plain["layers"][1]["adc"]["range_bits"], 9);
  r =
      run("map -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
          "-p workloads/profiles/resnet18/mixed-channel.yaml --set pe.crossbar.rows=256");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("256x128 arrays"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("layer4.1.conv2"), std::string::npos) << r.out;
}

TEST(Cli, MapOfANetworkThatDoesNotFitExitsTwo) {
  Result r =
      run("map -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --set chip.tiles=4");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not fit: layer conv3_2"), std::string::npos) << r.err;
  r =
      run("map -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --set chip.tiles=4 "
          "--set mapping.allow_reprogramming=true --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(r.out)["totals"]["resident"].get<bool>());
}

// --- mixpim run ------------------------------------------------------------------------

TEST(CliRun, WritesTheThreeOutputsWithConsistentTotals) {
  test::TempDir dir;
  const std::string out = dir.file("vgg");
  Result r = run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml -o '" + out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("energy reduction 1.00x"), std::string::npos) << r.out;
  const auto j = nlohmann::json::parse(read_all(out + "/report.json"));
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["run"]["engine"], "analytic");
  EXPECT_EQ(j["run"]["tech"]["name"], "isaac-32nm");
  EXPECT_EQ(j["run"]["tech"]["sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["totals"]["macs"], 398136320);  // closed form in test_workload.cpp
  EXPECT_EQ(j["totals"]["ops"], 2 * 398136320LL);
  EXPECT_EQ(j["mapping"]["arrays"], 9788);  // closed form in test_mapping.cpp
  double components = 0;
  for (const auto& [name, c] : j["components"].items()) components += c["energy_pj"].get<double>();
  const double energy = j["totals"]["energy_pj"].get<double>();
  EXPECT_NEAR(components, energy, 1e-9 * energy);
  double layers = 0;
  for (const auto& l : j["layers"]) layers += l["energy_pj"].get<double>();
  EXPECT_LT(layers, energy);  // the rest is network input/output traffic
  EXPECT_GT(layers, 0.99 * energy);
  EXPECT_DOUBLE_EQ(j["totals"]["tops_per_w"].get<double>(), 2.0 * 398136320 / energy);
  EXPECT_DOUBLE_EQ(j["baseline"]["energy_reduction"].get<double>(), 1.0);  // 16-bit vs 16-bit
  EXPECT_DOUBLE_EQ(j["baseline"]["latency_ratio"].get<double>(), 1.0);
  EXPECT_EQ(j["layers"].size(), 40u);  // 16 conv + 16 relu + 5 pools + gap + flatten + fc
  // layers.csv: a header and one row per layer; report.md names its inputs.
  const std::string csv = read_all(out + "/layers.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 41);
  EXPECT_EQ(csv.rfind("layer,type,macs,", 0), 0u);
  const std::string md = read_all(out + "/report.md");
  EXPECT_NE(md.find("`configs/tech/isaac-32nm.yaml`"), std::string::npos);
  EXPECT_NE(md.find("| conv5_4 | conv2d |"), std::string::npos);
  // The component table lists the largest consumers first: rows in the order of their energy.
  std::vector<std::pair<double, std::string>> by_energy;
  for (const auto& [name, c] : j["components"].items())
    by_energy.emplace_back(-c["energy_pj"].get<double>(), name);
  std::stable_sort(by_energy.begin(), by_energy.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  size_t previous = md.find("## Energy by component");
  ASSERT_NE(previous, std::string::npos);
  for (const auto& [minus_pj, name] : by_energy) {
    const size_t row = md.find("\n| " + name + " | ", previous);
    ASSERT_NE(row, std::string::npos) << name;
    previous = row;
  }
  // Events and the price per event: ISAAC's 8-bit conversion is 16 mW / 10.24 GS/s = 1.5625 pJ
  // (configs/tech/isaac-32nm.yaml); the events column is the report.json count.
  const int64_t conversions = j["components"]["adc"]["counts"]["convert"].get<int64_t>();
  EXPECT_NE(md.find("| adc | "), std::string::npos);
  const std::string adc_row = md.substr(md.find("\n| adc | ") + 1, 80);
  char events[32];
  std::snprintf(events, sizeof events, "%.4g", static_cast<double>(conversions));
  EXPECT_NE(adc_row.find(std::string("| ") + events + " | 1.562 |"), std::string::npos) << adc_row;
}

TEST(CliRun, MixedProfileReducesEnergyAndSameInputsGiveIdenticalBytes) {
  test::TempDir dir;
  const std::string args =
      "run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/resnet18/mixed-channel.yaml -o '" +
      dir.file("r") + "'";
  Result r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string first = read_all(dir.file("r/report.json"));
  r = run(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(dir.file("r/report.json")), first);
  const auto j = nlohmann::json::parse(first);
  EXPECT_GT(j["baseline"]["energy_reduction"].get<double>(), 1.5);
  EXPECT_LT(j["baseline"]["energy_pj"].get<double>(), 1e12);
  EXPECT_GT(j["baseline"]["components"]["adc"]["reduction"].get<double>(), 1.5);
}

TEST(CliRun, BadInputExitsTwoAndLeavesEarlierOutputsIntact) {
  test::TempDir dir;
  const std::string out = dir.file("r");
  Result r =
      run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml -p "
          "workloads/profiles/uniform8.yaml -o '" +
          out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string before = read_all(out + "/report.json");
  r =
      run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --set pe.adc.bits=eight "
          "-o '" +
          out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(
      r.err,
      "error: --set pe.adc.bits=eight: pe.adc.bits: expected integer in [1, 16], got \"eight\"\n");
  r = run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --set chip.tiles=4 -o '" +
          out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("does not fit: layer conv3_2"), std::string::npos) << r.err;
  r = run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --engine warp -o '" +
          out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("unknown engine 'warp'"), std::string::npos) << r.err;
  r = run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml --set tech=nope -o '" +
          out + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tech: no technology table"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(out + "/report.json"), before);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(out))
    left.push_back(entry.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"layers.csv", "report.json",
                                            "report.md"}));  // no temporaries
}

TEST(CliRun, DigitalBaselineRatiosAreItsTotalsOverTheRunsTotals) {
  test::TempDir dir;
  const std::string out = dir.file("r");
  Result r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml -p "
          "workloads/profiles/resnet18/mixed-channel.yaml --tech configs/tech/generic-45nm.yaml "
          "--digital configs/digital/systolic-16bit.yaml "
          "--digital-set weight_buffer.capacity_bytes=67108864 -o '" +
          out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("vs digital energy reduction"), std::string::npos) << r.out;
  const nlohmann::json report = nlohmann::json::parse(read_all(out + "/report.json"));
  ASSERT_TRUE(report.contains("digital_baseline"));
  const nlohmann::json& d = report["digital_baseline"];
  const nlohmann::json& t = report["totals"];
  const double energy = d["totals"]["energy_pj"].get<double>();
  const double latency = d["totals"]["latency_ns"].get<double>();
  EXPECT_DOUBLE_EQ(d["energy_reduction"].get<double>(), energy / t["energy_pj"].get<double>());
  EXPECT_DOUBLE_EQ(d["latency_ratio"].get<double>(), t["latency_ns"].get<double>() / latency);
  EXPECT_DOUBLE_EQ(d["throughput_ratio"].get<double>(), latency / t["interval_ns"].get<double>());
  EXPECT_TRUE(d["weights_resident"].get<bool>());  // 22 MB of 16-bit weights in 64 MiB
  EXPECT_TRUE(d["same_technology_node"].get<bool>());
  EXPECT_EQ(d["overrides"][0], "weight_buffer.capacity_bytes=67108864");
  EXPECT_EQ(d["tech"]["path"], "configs/tech/digital-45nm.yaml");
  EXPECT_EQ(d["tech"]["sha256"].get<std::string>().size(), 64u);
  // Dense 16-bit: every MAC of the network, whatever the PIM profile prunes.
  const Result info = run("info -w workloads/resnet18-cifar10.yaml --json");
  EXPECT_EQ(d["totals"]["macs"], nlohmann::json::parse(info.out)["totals"]["macs"]);
  double sum_energy = 0, sum_time = 0;
  for (const auto& [name, c] : d["components"].items()) sum_energy += c["energy_pj"].get<double>();
  for (const auto& l : d["layers"]) sum_time += l["time_ns"].get<double>();
  EXPECT_NEAR(sum_energy, energy, 1e-9 * energy);
  EXPECT_NEAR(sum_time, latency, 1e-9 * latency);
  EXPECT_EQ(d["layers"].size(), report["layers"].size());
  const std::string md = read_all(out + "/report.md");
  EXPECT_NE(md.find("## Digital 16-bit baseline"), std::string::npos);
  std::array<char, 96> row{};
  std::snprintf(row.data(), row.size(), "| energy reduction vs digital 16-bit | %.2fx (below) |",
                d["energy_reduction"].get<double>());
  EXPECT_NE(md.find(row.data()), std::string::npos) << row.data();
  EXPECT_NE(md.find("--digital-set weight_buffer.capacity_bytes=67108864"), std::string::npos);

  // Against the PIM table at 32 nm the report says the ratios mix nodes.
  r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml --no-baseline "
          "--digital configs/digital/systolic-16bit.yaml -o '" +
          out + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_FALSE(nlohmann::json::parse(
                   read_all(out + "/report.json"))["digital_baseline"]["same_technology_node"]
                   .get<bool>());
  EXPECT_NE(read_all(out + "/report.md").find("the ratios mix technologies"), std::string::npos);
}

TEST(CliRun, BadDigitalBaselineExitsTwoBeforeWritingAnything) {
  test::TempDir dir;
  const std::string out = dir.file("r");
  const std::string common =
      "run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml -o '" + out + "' ";
  Result r =
      run(common + "--digital configs/digital/systolic-16bit.yaml --digital-set mac_array.rows=0");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err,
            "error: --digital-set mac_array.rows=0: mac_array.rows: expected integer in [1, "
            "65536], got \"0\"\n");
  r = run(common + "--digital configs/digital/systolic-16bit.yaml --digital-set tech=nope");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("tech: no technology table"), std::string::npos) << r.err;
  r = run(common + "--digital configs/arch/isaac.yaml");  // a PIM preset is not a digital one
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("configs/arch/isaac.yaml:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("mac_array: missing required key"), std::string::npos) << r.err;
  r = run(common + "--digital-set mac_array.rows=64");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--digital-set needs --digital"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(CliRun, BaselineThatDoesNotFitIsTimeMultiplexedAndSaysSo) {
  // 40 tiles hold VGG19 at 4 bits but not at 16 bits.
  test::TempDir dir;
  Result r =
      run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml -p "
          "workloads/profiles/uniform4.yaml "
          "--set chip.tiles=40 -o '" +
          dir.file("r") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(read_all(dir.file("r/report.json")));
  EXPECT_TRUE(j["mapping"]["resident"].get<bool>());
  EXPECT_TRUE(j["baseline"]["reprogrammed"].get<bool>());
  EXPECT_GT(j["baseline"]["energy_reduction"].get<double>(), 4.0);
}

TEST(CliRun, FunctionalEngineIsExactWithEnoughAdcBitsAndLossyBelow) {
  test::TempDir dir;
  // ISAAC's 128-row arrays at 2 bits per cell and 1-bit DACs need 9 ADC bits for exact sums.
  const std::string base =
      "run -e functional -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/resnet18/mixed-channel.yaml --no-baseline ";
  Result r = run(base + "--set pe.adc.bits=9 -o '" + dir.file("exact") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_all(dir.file("exact/report.json")));
  EXPECT_EQ(j["run"]["engine"], "functional");
  EXPECT_TRUE(j["functional"]["exact"].get<bool>());
  EXPECT_EQ(j["functional"]["totals"]["max_abs_error"], 0);
  EXPECT_EQ(j["functional"]["top1_agreement"], 1.0);
  EXPECT_GT(j["totals"]["energy_pj"].get<double>(),
            0);  // timing and energy from the analytic model
  EXPECT_FALSE(j.contains("baseline"));
  r = run(base + "--set pe.adc.bits=6 -o '" + dir.file("lossy") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(read_all(dir.file("lossy/report.json")));
  EXPECT_FALSE(j["functional"]["exact"].get<bool>());
  EXPECT_GT(j["functional"]["totals"]["max_abs_error"].get<int64_t>(), 0);
  r = run(base + "--batch 0 -o '" + dir.file("bad") + "'");
  EXPECT_EQ(r.exit_code, 2) << r.err;
}

// ADC exactness (sim/adc.h) as a user meets it: the default ISAAC chip is exact (weight
// flipping); without flipping its 8-bit ADCs lose a bit, which every output says, and
// --strict-adc refuses before writing anything.
TEST(CliRun, AdcExactnessIsReportedWarnedAndStrict) {
  test::TempDir dir;
  const std::string base =
      "run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/resnet18/mixed-channel.yaml ";
  Result r = run(base + "-o '" + dir.file("flip") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("  ADC        exact (8-bit converters, weight flipping, resolution fixed)"),
            std::string::npos)
      << r.out;
  auto j = nlohmann::json::parse(read_all(dir.file("flip/report.json")));
  EXPECT_TRUE(j["adc"]["exact"].get<bool>());
  EXPECT_EQ(j["adc"]["built_bits"], 8);
  EXPECT_EQ(j["adc"]["array_bits_needed"], 8);
  EXPECT_TRUE(j["baseline"]["adc_exact"].get<bool>());
  EXPECT_GT(j["components"]["flip_correct"]["counts"]["subtract"].get<int64_t>(), 0);
  for (const auto& l : j["layers"]) {
    if (l.contains("adc_bits")) {
      EXPECT_TRUE(l["adc_exact"].get<bool>()) << l["name"];
    }
  }

  const std::string plain = base + "--set pe.crossbar.weight_flipping=false ";
  r = run(plain + "-o '" + dir.file("plain") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.rfind("warning: ADC: 21 layer(s) (conv1, layer1.0.conv1, layer1.0.conv2, ...) "
                        "convert column sums of up to 9 bits with 8-bit ADCs",
                        0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("\nwarning: 16-bit baseline ADC: 21 layer(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("  ADC        NOT exact (8-bit converters, resolution fixed)"),
            std::string::npos)
      << r.out;
  j = nlohmann::json::parse(read_all(dir.file("plain/report.json")));
  EXPECT_FALSE(j["adc"]["exact"].get<bool>());
  EXPECT_EQ(j["adc"]["array_bits_needed"], 9);
  EXPECT_EQ(j["adc"]["inexact_layers"].size(), 21u);
  EXPECT_EQ(j["adc"]["inexact_layers"][0]["range_bits"], 9);
  EXPECT_FALSE(j["baseline"]["adc_exact"].get<bool>());
  EXPECT_FALSE(j["components"].contains("flip_correct"));
  const std::string md = read_all(dir.file("plain/report.md"));
  EXPECT_NE(md.find("| ADC conversions | NOT exact"), std::string::npos);
  EXPECT_NE(md.find("| 16-bit baseline ADC conversions | **not exact**"), std::string::npos);
  EXPECT_NE(md.find("| 8 (inexact: sums need 9) |"), std::string::npos);
  const std::string csv = read_all(dir.file("plain/layers.csv"));
  EXPECT_EQ(csv.rfind("layer,type,macs,adc_bits,adc_bits_needed,adc_exact,arrays,", 0), 0u);
  EXPECT_NE(csv.find("\nlayer1.0.conv1,conv2d,37748736,8,9,false,"), std::string::npos) << csv;

  r = run(plain + "--strict-adc -o '" + dir.file("strict") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("error: configs/arch/isaac.yaml:70:11: pe.adc.bits: ADC: 21 layer(s)", 0),
            0u)
      << r.err;
  EXPECT_NE(r.err.find("(--strict-adc)"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("strict")));
  r = run(base + "--strict-adc -o '" + dir.file("strict-ok") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;

  // Converters sized to 512-row arrays: 10 bits with flipping, exact; each layer at its own.
  r = run(base +
          "--set pe.crossbar.rows=512 --set pe.crossbar.columns=512 "
          "--set pe.adc.resolution=exact -o '" +
          dir.file("exact") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(read_all(dir.file("exact/report.json")));
  EXPECT_TRUE(j["adc"]["exact"].get<bool>());
  EXPECT_EQ(j["adc"]["built_bits"], 10);
  EXPECT_EQ(j["layers"][0]["adc_bits"], 6);  // conv1: 27 rows, floor(27 x 3 / 2) = 40

  // The digital baseline gets the same treatment: 32-bit accumulators cannot hold 16 x 16-bit
  // sums over 4608 terms (45 bits).
  const std::string digital = base + "--digital configs/digital/systolic-16bit.yaml ";
  r = run(digital + "-o '" + dir.file("digital") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  j = nlohmann::json::parse(read_all(dir.file("digital/report.json")));
  EXPECT_TRUE(j["digital_baseline"]["exact"].get<bool>());
  EXPECT_EQ(j["digital_baseline"]["accumulator_bits_needed"], 45);
  r = run(digital + "--digital-set mac_array.accumulator_bits=32 -o '" + dir.file("narrow") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err,
            "warning: digital baseline: 32-bit accumulators, but its sums need up to 45 bits "
            "(16-bit activations x 16-bit weights over the largest reduction); set "
            "mac_array.accumulator_bits\n");
  EXPECT_NE(read_all(dir.file("narrow/report.md")).find("(**NOT exact**: its sums lose bits)"),
            std::string::npos);
  r = run(digital + "--digital-set mac_array.accumulator_bits=32 --strict-adc -o '" +
          dir.file("narrow-strict") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("error: --digital-set mac_array.accumulator_bits=32: "
                        "mac_array.accumulator_bits: digital baseline: 32-bit",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("narrow-strict")));

  // More bits than the table's scaling rule covers: located, exit 2, nothing written.
  r = run(base + "--set pe.adc.bits=13 -o '" + dir.file("wide") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("error: --set pe.adc.bits=13: pe.adc.bits: 13-bit ADCs, but technology "
                        "table isaac-32nm",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("wide")));
}

// The functional engine's headline is in the console summary and report.md, not only in
// report.json.
TEST(CliRun, FunctionalHeadlineInSummaryAndReport) {
  test::TempDir dir;
  const std::string base =
      "run -e functional -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/resnet18/pruned.yaml --no-baseline ";
  Result r = run(base + "-o '" + dir.file("exact") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string headline =
      "bit-exact against the integer reference over 1 input(s) (random): max error 0, 0 lossy of ";
  EXPECT_NE(r.out.find("  functional " + headline), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("top-1 agreement 1.000 end to end\n"), std::string::npos) << r.out;
  const std::string md = read_all(dir.file("exact/report.md"));
  EXPECT_NE(md.find("## Functional (bit-accurate data through the arrays)\n\n" + headline),
            std::string::npos)
      << md;
  // Without flipping the default chip's answers are wrong, and the headline says so.
  r = run(base + "--set pe.crossbar.weight_flipping=false -o '" + dir.file("plain") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  functional NOT exact against the integer reference"), std::string::npos)
      << r.out;
  EXPECT_NE(r.err.find("warning: ADC:"), std::string::npos) << r.err;
}

// Data-aware runs end to end: the functional engine measures the activity and writes it; an
// analytic run from that file gives the functional run's data-aware energy exactly (the same
// fractions, the same engine); a cycle run on an ADC-bound chip (2 ADCs per PE) with
// skip_zero_blocks simulates its data-aware side and is faster there, with the
// data-independent side equal to its own totals. Options on the wrong engine are refused.
TEST(CliRun, ActivityMeasuredByFunctionalDrivesAnalyticAndCycleRuns) {
  test::TempDir dir;
  const std::string base =
      "-a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml -p "
      "workloads/profiles/resnet18/mixed-channel.yaml --set pe.adc.skip_zero_blocks=true --set "
      "pe.adc.count=2 --no-baseline ";
  const std::string activity = dir.file("act.yaml");
  Result r = run("run -e functional " + base + "--activity-out '" + activity + "' -o '" +
                 dir.file("f") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string yaml = read_all(activity);
  EXPECT_NE(yaml.find("  \"layer4.1.conv2\":\n    density: "), std::string::npos) << yaml;
  const auto functional = nlohmann::json::parse(read_all(dir.file("f/report.json")));
  r = run("run -e analytic " + base + "--activity '" + activity + "' -o '" + dir.file("a") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto analytic = nlohmann::json::parse(read_all(dir.file("a/report.json")));
  EXPECT_EQ(analytic["data_aware"]["energy_pj"], functional["data_aware"]["energy_pj"]);
  EXPECT_EQ(analytic["data_aware"]["conversion_active_fraction"],
            functional["data_aware"]["conversion_active_fraction"]);
  EXPECT_LT(analytic["data_aware"]["conversion_active_fraction"].get<double>(), 1.0);
  EXPECT_NE(r.out.find("  data-aware Data-aware energy (activity file "), std::string::npos)
      << r.out;

  r = run("run -e cycle " + base + "--activity '" + activity + "' -o '" + dir.file("c") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto cycle = nlohmann::json::parse(read_all(dir.file("c/report.json")));
  const auto& latency = cycle["data_aware"]["latency_ns"];
  EXPECT_EQ(latency["data_independent"], cycle["totals"]["latency_ns"]);
  EXPECT_LT(latency["data_aware"].get<double>(), latency["data_independent"].get<double>());
  EXPECT_FALSE(cycle.contains("activity_applied"));
  // No child directory left behind.
  for (const auto& e : std::filesystem::directory_iterator(dir.file("c")))
    EXPECT_EQ(e.path().filename().string().rfind(".child", 0), std::string::npos) << e.path();

  r = run("run -e functional " + base + "--activity '" + activity + "' -o '" + dir.file("x") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--activity is for analytic and cycle runs"), std::string::npos) << r.err;
  r = run("run " + base + "--activity-out '" + activity + "' -o '" + dir.file("x") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--activity-out needs --engine functional"), std::string::npos) << r.err;
  r = run("run " + base + "--activity-applied -o '" + dir.file("x") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--activity-applied needs --activity"), std::string::npos) << r.err;
}

// A layer name with a comma, quotes, a newline, a pipe and a NUL stays in its CSV field and
// Markdown cell (regression: it broke layers.csv rows and report.md tables).
TEST(CliRun, LayerNamesAreEscapedInCsvAndMarkdown) {
  test::TempDir dir;
  const std::string net =
      dir.write("odd.yaml",
                "name: odd\nnetwork: odd\ndataset: test\ninput: [3, 4, 4]\nlayers:\n"
                "  - {name: \"c,\\\"q\\\"\\n|p\\0z\", type: conv2d, kernel: 1, input: [3, 4, 4], "
                "output: [4, 4, 4]}\n"
                "  - {name: flatten, type: flatten, input: [4, 4, 4], output: [64]}\n"
                "  - {name: fc, type: linear, input: [64], output: [10]}\n");
  Result r = run("run -a configs/arch/isaac.yaml -w '" + net + "' --no-baseline -o '" +
                 dir.file("o") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string csv = read_all(dir.file("o/layers.csv"));
  // RFC 4180: quoted, quotes doubled, the newline inside the quotes, NUL as \0.
  EXPECT_NE(csv.find("\n\"c,\"\"q\"\"\n|p\\0z\",conv2d,"), std::string::npos) << csv;
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header, 3 rows, 1 inside quotes
  const std::string md = read_all(dir.file("o/report.md"));
  EXPECT_NE(md.find("| c,\"q\"\\n\\|p\\x00z | conv2d |"), std::string::npos) << md;
  EXPECT_EQ(md.find(std::string(1, '\0')), std::string::npos);
}

// A word without its option (`--set a=1 b=2`: the second --set forgotten) is a usage error,
// not silently dropped (regression: exit 0 with rows still 128).
TEST(Cli, StrayPositionalArgumentsAreUsageErrors) {
  test::TempDir dir;
  const std::string a = "-a configs/arch/isaac.yaml ";
  const std::string w = "-w workloads/vgg19-cifar10.yaml ";
  for (const std::string& args :
       {"run " + a + w + "--set pe.adc.bits=4 pe.crossbar.rows=256 --out '" + dir.file("o") + "'",
        "info " + w + "stray", "map " + a + w + "stray", "config " + a + "stray"}) {
    Result r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args;
    EXPECT_NE(r.err.find("too many positional options"), std::string::npos) << args << r.err;
    EXPECT_EQ(r.out, "") << args;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
}

// Regression: flatten fed a map more than one row high reported a false deadlock in the cycle
// engine (the pass-through held one row while flatten needs them all), with ISAAC's 64 KB tile
// buffers and with 16 MiB ones alike.
TEST(CliRun, CycleEngineRunsAStridedConvIntoFlattenAndLinear) {
  test::TempDir dir;
  const std::string net = dir.write(
      "k2s2.yaml",
      "name: k2s2\nnetwork: k2s2\ndataset: test\ninput: [3, 8, 8]\nlayers:\n"
      "  - {name: conv, type: conv2d, kernel: 2, stride: 2, input: [3, 8, 8], output: [8, 4, 4]}\n"
      "  - {name: flatten, type: flatten, input: [8, 4, 4], output: [128]}\n"
      "  - {name: fc, type: linear, input: [128], output: [10]}\n");
  for (const std::string& buffer :
       {std::string(), std::string("--set tile.buffer.capacity_bytes=16777216 ")}) {
    const std::string base =
        "run -a configs/arch/isaac.yaml -w '" + net + "' --no-baseline " + buffer;
    Result r = run(base + "-e cycle -o '" + dir.file("cycle") + "'");
    ASSERT_EQ(r.exit_code, 0) << buffer << r.err;
    r = run(base + "-o '" + dir.file("analytic") + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto cycle = nlohmann::json::parse(read_all(dir.file("cycle/report.json")));
    const auto analytic = nlohmann::json::parse(read_all(dir.file("analytic/report.json")));
    EXPECT_GE(cycle["totals"]["latency_ns"].get<double>(),
              analytic["totals"]["latency_ns"].get<double>() * (1 - 1e-12));
    EXPECT_EQ(cycle["components"]["adc"]["counts"], analytic["components"]["adc"]["counts"]);
  }
}

// Memory bounded up front (regression: accepted settings ended in a bare std::bad_alloc after
// tens of seconds): the estimate is refused before allocating, naming the setting.
TEST(Cli, MemoryGuardRefusesBeforeAllocatingAndAcceptsIsaacScale) {
  test::TempDir dir;
  const std::string map = "map -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml ";
  Result r = run(map + "--set tile.pes=1024");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("error: --set tile.pes=1024: tile.pes: the PE allocator for 172032 PEs "
                        "(168 tiles x 1024 PEs) and 17 layers needs about 89.1 GiB",
                        0),
            0u)
      << r.err;
  r = run(map +
          "--set chip.tiles=1048576 --set chip.noc.mesh_columns=512 "
          "--set chip.noc.mesh_rows=512");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the PE allocator for 12582912 PEs"), std::string::npos) << r.err;
  // ISAAC itself needs a few MB: accepted by default, refused under a 1 MiB limit.
  EXPECT_EQ(run(map).exit_code, 0);
  r = run(map, "MIXPIM_MEMORY_LIMIT_MIB=1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("above the limit of 1.0 MiB (MIXPIM_MEMORY_LIMIT_MIB"), std::string::npos)
      << r.err;
  r =
      run("run -e functional -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml "
          "--batch 1048576 -o '" +
          dir.file("big") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.err.rfind("error: --batch: the functional engine's tensors for a batch of 1048576 "
                        "vgg19-cifar10 inputs needs about",
                        0),
            0u)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("big")));
}

// Regressions: --data and --seed were silently ignored without the functional engine, and
// --seed -1 was recorded as 2^64 - 1. (--batch means something to every engine: below.)
TEST(CliRun, FunctionalOptionsNeedTheFunctionalEngineAndSeedsAreNonNegative) {
  test::TempDir dir;
  const std::string base =
      "run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml --no-baseline -o '" +
      dir.file("o") + "' ";
  for (const char* option : {"--seed 3", "--data map.yaml", "--threads 1"}) {
    Result r = run(base + option);
    EXPECT_EQ(r.exit_code, 2) << option;
    EXPECT_NE(r.err.find("needs --engine functional"), std::string::npos) << option << r.err;
  }
  Result r = run(base + "-e functional --threads -2");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--threads must be in [0, 1024]"), std::string::npos) << r.err;
  r = run(base + "-e functional --seed=-1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--seed expects a non-negative integer, got '-1'"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("o")));
}

// --baseline PROFILE: any profile as the reference of every ratio (PTQ papers compare with
// INT8). A profile against itself reduces nothing, by either engine.
TEST(CliRun, BaselineProfileIsTheReferenceOfEveryRatio) {
  test::TempDir dir;
  const std::string base =
      "run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/uniform8.yaml --baseline workloads/profiles/uniform8.yaml ";
  for (const char* name : {"analytic", "cycle"}) {
    const std::string engine = name;
    Result r = run(base + "-e " + engine + " -o '" + dir.file(engine) + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("  vs uniform8 energy reduction 1.00x, latency 1.000x"), std::string::npos)
        << r.out;
    const auto j = nlohmann::json::parse(read_all(dir.file(engine + "/report.json")));
    EXPECT_EQ(j["baseline"]["precision"], "uniform8");
    EXPECT_EQ(j["baseline"]["precision_path"], "workloads/profiles/uniform8.yaml");
    EXPECT_EQ(j["baseline"]["energy_reduction"].get<double>(), 1.0) << engine;
    EXPECT_EQ(j["baseline"]["latency_ratio"].get<double>(), 1.0) << engine;
    EXPECT_NE(
        read_all(dir.file(engine + "/report.md")).find("| energy reduction vs uniform8 | 1.00x |"),
        std::string::npos);
  }
  // The default is still the built-in 16 bits; mixed-channel against uniform8 saves less than
  // against 16 bits.
  Result r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
          "-p workloads/profiles/resnet18/mixed-channel.yaml -o '" +
          dir.file("m16") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
          "-p workloads/profiles/resnet18/mixed-channel.yaml "
          "--baseline workloads/profiles/uniform8.yaml -o '" +
          dir.file("m8") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto m16 = nlohmann::json::parse(read_all(dir.file("m16/report.json")));
  const auto m8 = nlohmann::json::parse(read_all(dir.file("m8/report.json")));
  EXPECT_EQ(m16["baseline"]["precision_path"], "");
  EXPECT_GT(m16["baseline"]["energy_reduction"].get<double>(),
            m8["baseline"]["energy_reduction"].get<double>());
  EXPECT_GT(m8["baseline"]["energy_reduction"].get<double>(), 1.0);
  // Bad input.
  r = run(base + "--no-baseline -o '" + dir.file("x") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--baseline and --no-baseline exclude each other"), std::string::npos);
  r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
          "--baseline workloads/profiles/vgg19/mixed-layer.yaml -o '" +
          dir.file("y") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("workloads/profiles/vgg19/mixed-layer.yaml"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("y")));
}

// What a researcher reads without the JSON (issue: report.md and layers.csv showed no bits or
// packing, and reprogramming hid inside "xbar"): per-layer bits, kept channels and packing;
// reprogramming as its own component, flagged in the summary; a glossary of every component.
TEST(CliRun, ReportShowsBitsPackingReprogrammingAndAGlossary) {
  test::TempDir dir;
  Result r =
      run("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
          "-p workloads/profiles/resnet18/mixed-channel.yaml -o '" +
          dir.file("mixed") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto j = nlohmann::json::parse(read_all(dir.file("mixed/report.json")));
  const auto& l = j["layers"][2];  // layer1.0.conv1: 48 channels at 4 bits, 16 at 8
  ASSERT_EQ(l["name"], "layer1.0.conv1");
  EXPECT_EQ(l["weight_bits"]["min"], 4);
  EXPECT_EQ(l["weight_bits"]["max"], 8);
  EXPECT_EQ(l["weight_bits"]["channels"]["4"], 48);
  EXPECT_EQ(l["weight_bits"]["channels"]["8"], 16);
  EXPECT_EQ(l["kept_channels"], 64);
  // 2-bit cells: 8-bit channels take 4 columns, 4-bit ones 2.
  EXPECT_EQ(l["column_groups"], nlohmann::json::parse(
                                    R"([{"bits": 8, "columns": 64, "channels": 16},
                                        {"bits": 4, "columns": 96, "channels": 48}])"));
  const std::string md = read_all(dir.file("mixed/report.md"));
  EXPECT_NE(md.find("| layer1.0.conv1 | conv2d | 37748736 | 4-8 (4:48 8:16) | 8 | 64/64 | "
                    "8b 16ch 64col; 4b 48ch 96col | 62.5% | 8 |"),
            std::string::npos)
      << md;
  const std::string csv = read_all(dir.file("mixed/layers.csv"));
  EXPECT_NE(csv.find(",4,8,4-8 (4:48 8:16),8,64,64,0.625,8b 16ch 64col; 4b 48ch 96col,"),
            std::string::npos)
      << csv;
  for (const auto& [name, c] : j["components"].items()) {
    EXPECT_NE(md.find(" | " + name + " | "), std::string::npos) << name;  // in the glossary
  }
  EXPECT_EQ(md.find("| other |"), std::string::npos);
  EXPECT_EQ(r.out.find("reprogram"), std::string::npos);  // resident: nothing rewritten

  r =
      run("run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml "
          "-p workloads/profiles/uniform8.yaml --set pe.crossbar.rows=64 "
          "--set pe.crossbar.columns=64 --set mapping.allow_reprogramming=true -o '" +
          dir.file("rewritten") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  j = nlohmann::json::parse(read_all(dir.file("rewritten/report.json")));
  ASSERT_TRUE(j["components"].contains("reprogram"));
  EXPECT_EQ(j["components"]["reprogram"]["counts"]["write_cell"],
            j["mapping"]["reprogram_cell_writes"]);
  EXPECT_FALSE(j["components"]["xbar"]["counts"].contains("write_cell"));
  EXPECT_NE(r.out.find("  reprogram  weights rewritten every inference: "), std::string::npos)
      << r.out;
  EXPECT_NE(
      read_all(dir.file("rewritten/report.md"))
          .find("| reprogramming | reprogram | cell writes when weights are time-multiplexed |"),
      std::string::npos);
}

// Silent no-ops become warnings (regression: pruning only conv2 of a ResNet block saved nothing
// after the add, and pruning the classifier's outputs was accepted, both silently).
TEST(CliRun, PruningThatSavesNothingOrRemovesClassesIsWarned) {
  test::TempDir dir;
  const std::string profile = dir.write(
      "odd-pruning.yaml",
      "name: odd-pruning\nnetwork: resnet18\ndefault: {weight_bits: 8, activation_bits: 8}\n"
      "layers:\n"
      "  layer1.0.conv2: {weight_bits: 8, activation_bits: 8, kept_channels: 48}\n"
      "  fc: {weight_bits: 8, activation_bits: 8, kept_channels: 8}\n");
  for (const std::string& command :
       {std::string("info -w workloads/resnet18-cifar10.yaml -p '") + profile + "'",
        std::string("run -a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml -p '") +
            profile + "' --no-baseline -o '" + dir.file("o") + "'"}) {
    Result r = run(command);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("warning: " + profile +
                         ": pruning 16 channel(s) of layer1.0.conv2 saves nothing after "
                         "layer1.0.add: its other input keeps them"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("warning: " + profile +
                         ": pruning 2 of 10 outputs of the classifier fc removes classes"),
              std::string::npos)
        << r.err;
  }
  // The shipped profiles prune consistently: no warning.
  for (const char* p : {"resnet18/pruned", "resnet18/mixed-channel", "vgg19/pruned"}) {
    const std::string net = std::string(p).rfind("vgg19", 0) == 0 ? "vgg19" : "resnet18";
    Result r =
        run("info -w workloads/" + net + "-cifar10.yaml -p workloads/profiles/" + p + ".yaml");
    EXPECT_EQ(r.err, "") << p;
  }
}

// --batch N: time-multiplexed weights are rewritten (and read from DRAM) once per batch, so the
// reprogramming energy and time per inference fall as 1/N and nothing else changes.
TEST(CliRun, BatchAmortisesReprogrammingAsOneOverN) {
  test::TempDir dir;
  const std::string base =
      "run -a configs/arch/isaac.yaml -w workloads/vgg19-cifar10.yaml "
      "-p workloads/profiles/uniform8.yaml --set pe.crossbar.rows=64 --set pe.crossbar.columns=64 "
      "--set mapping.allow_reprogramming=true --set chip.dram.enabled=true "
      "--set chip.dram.bandwidth_gb_per_s=25.6 --no-baseline ";
  std::vector<nlohmann::json> reports;
  for (int batch : {1, 4, 16}) {
    const std::string out = dir.file("b" + std::to_string(batch));
    Result r = run(base + "--batch " + std::to_string(batch) + " -o '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    reports.push_back(nlohmann::json::parse(read_all(out + "/report.json")));
    EXPECT_EQ(reports.back()["totals"]["batch"], batch);
  }
  const auto& one = reports[0];
  ASSERT_TRUE(one["components"].contains("reprogram"));
  EXPECT_GT(one["components"]["reprogram"]["counts"]["dram_byte"].get<int64_t>(), 0);
  for (size_t k = 1; k < reports.size(); ++k) {
    const double n = k == 1 ? 4 : 16;
    const auto& r = reports[k];
    EXPECT_NEAR(r["components"]["reprogram"]["dynamic_energy_pj"].get<double>(),
                one["components"]["reprogram"]["dynamic_energy_pj"].get<double>() / n,
                1e-9 * one["components"]["reprogram"]["dynamic_energy_pj"].get<double>());
    EXPECT_DOUBLE_EQ(r["totals"]["reprogram_ns"].get<double>(),
                     one["totals"]["reprogram_ns"].get<double>() / n);
    for (const auto& [name, c] : one["components"].items()) {
      if (name == "reprogram") continue;
      EXPECT_DOUBLE_EQ(r["components"][name]["dynamic_energy_pj"].get<double>(),
                       c["dynamic_energy_pj"].get<double>())
          << name;
    }
  }
  Result r = run(base + "--batch 0 -o '" + dir.file("zero") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--batch must be in [1, 1048576], got 0"), std::string::npos) << r.err;
}

// Peak figures next to the network's achieved ones, and the reference preset that reproduces
// ISAAC's published chip (41.3 TOPS, 0.48 TOPS/mm2, 0.63 TOPS/W with HyperTransport).
TEST(CliRun, PeakFiguresAndTheIsaacReferencePreset) {
  test::TempDir dir;
  Result r =
      run("run -a configs/arch/isaac-reference.yaml -w workloads/vgg19-cifar10.yaml "
          "--no-baseline -o '" +
          dir.file("ref") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("  peak       41.29 TOPS, 0.6233 TOPS/W, 0.4785 TOPS/mm2 (every PE busy, "
                       "16/16-bit weights/inputs;"),
            std::string::npos)
      << r.out;
  const auto j = nlohmann::json::parse(read_all(dir.file("ref/report.json")));
  EXPECT_EQ(j["peak"]["weight_bits"], 16);
  const double fraction = j["peak"]["achieved_fraction"].get<double>();
  EXPECT_GT(fraction, 0.0);
  EXPECT_LE(fraction, 1.0);  // a network never beats the chip's peak
  EXPECT_NEAR(fraction,
              j["totals"]["ops"].get<double>() *
                  j["totals"]["throughput_inferences_per_s"].get<double>() /
                  (j["peak"]["tops"].get<double>() * 1e12),
              1e-9);
  EXPECT_GT(j["components"]["offchip_link"]["leakage_energy_pj"].get<double>(), 0);
  EXPECT_NE(read_all(dir.file("ref/report.md"))
                .find("| peak (every PE busy, 16-bit weights, "
                      "16-bit inputs) | 41.29 TOPS"),
            std::string::npos);
  // A table without the links' figures is a located error, before anything is written.
  std::string table = read_all(std::string(MIXPIM_SOURCE_DIR) + "/configs/tech/isaac-32nm.yaml");
  const size_t at = table.find("  offchip_link:");
  ASSERT_NE(at, std::string::npos);
  table.erase(at, table.find("  dram:", at) - at);
  const std::string no_links = dir.write("no-links.yaml", table);
  r = run("run -a configs/arch/isaac-reference.yaml -w workloads/vgg19-cifar10.yaml --tech '" +
          no_links + "' -o '" + dir.file("x") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("chip.offchip_links: technology table isaac-32nm"), std::string::npos)
      << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir.file("x")));
}

// The cycle engine through the CLI: the same counts and energy as the analytic engine, never a
// shorter latency, its 16-bit baseline simulated by the cycle engine too, and identical bytes
// from two runs.
TEST(CliRun, CycleEngineCountsLikeAnalyticAndIsDeterministic) {
  test::TempDir dir;
  const std::string base =
      "-a configs/arch/isaac.yaml -w workloads/resnet18-cifar10.yaml "
      "-p workloads/profiles/resnet18/mixed-channel.yaml ";
  Result r = run("run " + base + "-o '" + dir.file("analytic") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string cycle = "run -e cycle " + base + "-o '" + dir.file("c") + "' --trace '" +
                            dir.file("trace.json") + "'";
  r = run(cycle);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("4 inferences"), std::string::npos) << r.out;
  const std::string first = read_all(dir.file("c/report.json"));
  const auto a = nlohmann::json::parse(read_all(dir.file("analytic/report.json")));
  const auto c = nlohmann::json::parse(first);
  EXPECT_EQ(c["run"]["engine"], "cycle");
  EXPECT_EQ(c["components"], a["components"]);  // same counts, same energy
  EXPECT_DOUBLE_EQ(c["totals"]["energy_pj"].get<double>(), a["totals"]["energy_pj"].get<double>());
  EXPECT_GE(c["totals"]["latency_ns"].get<double>(), a["totals"]["latency_ns"].get<double>());
  EXPECT_GE(c["totals"]["interval_ns"].get<double>(), a["totals"]["interval_ns"].get<double>());
  EXPECT_EQ(c["baseline"]["engine"], "cycle");  // simulated in a child process
  EXPECT_EQ(c["cycle"]["inferences"], 4);
  EXPECT_EQ(c["cycle"]["completed_ns"].size(), 4u);
  const auto trace = nlohmann::json::parse(read_all(dir.file("trace.json")));
  EXPECT_GT(trace["traceEvents"].size(), 100u);
  r = run(cycle);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_all(dir.file("c/report.json")), first);
  std::vector<std::string> left;
  for (const auto& entry : std::filesystem::directory_iterator(dir.file("c")))
    left.push_back(entry.path().filename().string());
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"layers.csv", "report.json",
                                            "report.md"}));  // baseline scratch removed

  r = run("run -e cycle --inferences 1 " + base + "--no-baseline -o '" + dir.file("one") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto one = nlohmann::json::parse(read_all(dir.file("one/report.json")));
  EXPECT_EQ(one["cycle"]["inferences"], 1);
  EXPECT_EQ(one["totals"]["latency_ns"], one["totals"]["interval_ns"]);  // nothing to measure

  r = run("run --trace x.json " + base + "-o '" + dir.file("bad") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--trace, --inferences and --every-pe need --engine cycle"),
            std::string::npos)
      << r.err;
  r = run("run -e cycle --inferences 0 " + base + "-o '" + dir.file("bad") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--inferences must be in [1, 1000]"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace mixpim
