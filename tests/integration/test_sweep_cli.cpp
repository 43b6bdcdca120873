// End-to-end: the real `mixpim sweep` binary, with a fake per-point runner (a bash script that
// writes a report.json from its arguments, sleeps or fails on request), so these tests do not
// depend on the simulator itself. Covers: a full run, failed-point recording, resume after a
// SIGKILL, Ctrl-C, -j1 vs -j2, the Slurm script run locally for every array index, --collect.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "sim/util/npy.h"
#include "tests/test_util.h"

namespace mixpim {
namespace {

namespace fs = std::filesystem;
using test::source_path;

// Writes report.json like `mixpim run` would; numbers derive from rows and the profile.
// FAKE_FAIL=substring: fail (exit 2, located message) when the arguments contain it.
// FAKE_FAIL_AFTER=substring: write report.json, then fail (exit 3).
// FAKE_SLEEP=seconds: sleep first. FAKE_SLOW=substring: sleep 30 s when the arguments contain
// it. FAKE_LOG=file: append the --out directory (counts runs).
constexpr const char* kFakeRunner = R"(#!/bin/bash
all="$*"
out=""; rows=128; prec=""; wl=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2;;
    --set) case "$2" in pe.crossbar.rows=*) rows=${2#*=};; esac; shift 2;;
    --precision) prec=$2; shift 2;;
    --workload) wl=$2; shift 2;;
    *) shift;;
  esac
done
[ -n "$out" ] || { echo "error: no --out" >&2; exit 2; }
if [ -n "${FAKE_FAIL:-}" ] && [[ "$all" == *"$FAKE_FAIL"* ]]; then
  echo "error: fake.yaml:3:7: pe.crossbar.rows: fake failure for $FAKE_FAIL" >&2
  exit 2
fi
if [ -n "${FAKE_SLEEP:-}" ]; then sleep "$FAKE_SLEEP"; fi
if [ -n "${FAKE_SLOW:-}" ] && [[ "$all" == *"$FAKE_SLOW"* ]]; then sleep 30; fi
if [ -n "${FAKE_LOG:-}" ]; then echo "$out" >> "$FAKE_LOG"; fi
pname=$(basename "$prec" .yaml); wname=$(basename "$wl" .yaml)
bits=16; case $pname in uniform8) bits=8;; uniform4) bits=4;; esac
energy=$((rows * bits * 10))
cat > "$out/report.json.tmp" <<JSON
{"schema_version": 1,
 "run": {"engine": "analytic", "workload": {"name": "$wname", "path": "$wl"},
         "precision": {"name": "$pname", "path": "$prec"}},
 "totals": {"energy_pj": $energy, "latency_ns": $((rows * 3)), "area_mm2": $((rows / 8)).5,
            "tops_per_w": 1.25, "tops_per_mm2": 0.5, "throughput_inferences_per_s": 1000,
            "edp_pj_ns": $((energy * rows * 3)), "macs": 398136320},
 "components": {"adc": {"energy_pj": $((energy / 2)), "area_mm2": 1.5},
                "xbar": {"energy_pj": $((energy / 4)), "area_mm2": 2.5},
                "dac": {"energy_pj": $((energy / 4)), "area_mm2": 0.25}},
 "layers": [],
 "baseline": {"energy_pj": $((rows * 160)), "latency_ns": $((rows * 3)),
              "energy_reduction": $((16 / bits)).0, "latency_ratio": 1.0}}
JSON
mv "$out/report.json.tmp" "$out/report.json"
echo "fake run: $out"
if [ -n "${FAKE_FAIL_AFTER:-}" ] && [[ "$all" == *"$FAKE_FAIL_AFTER"* ]]; then
  echo "error: disk full after report.json" >&2
  exit 3
fi
)";

struct Result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string quote(const std::string& word) { return "'" + word + "'"; }

class SweepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    runner_ = dir_.write("fake-runner.sh", kFakeRunner);
    ::chmod(runner_.c_str(), 0755);
    spec_ = dir_.write("spec.yaml", spec_text());
  }

  // clang-format off
  static std::string spec_text() {
    return "name: fake\n"
           "base:\n"
           "  arch: " + source_path("configs/arch/isaac.yaml") + "\n"
           "  workload: " + source_path("workloads/vgg19-cifar10.yaml") + "\n"
           "axes:\n"
           "  - key: precision\n"
           "    values:\n"
           "      - " + source_path("workloads/profiles/uniform16.yaml") + "\n"
           "      - " + source_path("workloads/profiles/uniform8.yaml") + "\n"
           "  - {key: pe.crossbar.rows, values: [64, 128, 256, 512]}\n";
  }
  // clang-format on

  // Runs a shell command line (env assignments allowed in front), capturing stdout/stderr.
  Result shell(const std::string& command) {
    const std::string command_line = "cd " + quote(dir_.path()) + " && " + command + " > " +
                                     quote(dir_.file("out.txt")) + " 2> " +
                                     quote(dir_.file("err.txt"));
    const int status = std::system(command_line.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = read_all(dir_.file("out.txt"));
    r.err = read_all(dir_.file("err.txt"));
    return r;
  }

  Result sweep(const std::string& args, const std::string& env = "") {
    return shell(env + " " + quote(MIXPIM_CLI_PATH) + " sweep " + args);
  }

  Result run_into(const std::string& out, const std::string& extra = "",
                  const std::string& env = "") {
    return sweep(
        quote(spec_) + " --out " + quote(out) + " --runner " + quote(runner_) + " " + extra, env);
  }

  // Starts `mixpim sweep` in the background; returns its pid.
  pid_t start(const std::string& args, const std::string& env) {
    const std::string command = "exec env " + env + " " + quote(MIXPIM_CLI_PATH) + " sweep " +
                                args + " > " + quote(dir_.file("bg-out.txt")) + " 2> " +
                                quote(dir_.file("bg-err.txt"));
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    return pid;
  }

  static int count_reports(const std::string& out) {
    int n = 0;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(out + "/points", ec)) {
      n += fs::exists(entry.path() / "report.json") ? 1 : 0;
    }
    return n;
  }

  static int count_lines(const std::string& path) {
    std::ifstream in(path);
    int n = 0;
    std::string line;
    while (std::getline(in, line)) ++n;
    return n;
  }

  test::TempDir dir_;
  std::string runner_;
  std::string spec_;
};

TEST_F(SweepCli, FullRunWritesEveryOutputAndJ1EqualsJ2) {
  const std::string a = dir_.file("a"), b = dir_.file("b");
  Result r = run_into(a, "-j 1");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("8 points, 8 finished, 0 failed, 0 pending"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("[8/8] "), std::string::npos) << r.err;  // plain lines: not a terminal
  EXPECT_EQ(r.err.find('\r'), std::string::npos);
  r = run_into(b, "-j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const std::string csv = read_all(a + "/points.csv");
  EXPECT_EQ(csv, read_all(b + "/points.csv"));
  EXPECT_EQ(read_all(a + "/summary.json"), read_all(b + "/summary.json"));
  EXPECT_EQ(count_lines(a + "/points.csv"), 9);
  std::istringstream lines(csv);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header.rfind(
                "id,status,precision,pe.crossbar.rows,workload_name,precision_name,energy_pj,", 0),
            0u)
      << header;
  EXPECT_NE(header.find(",energy_pj.adc,energy_pj.dac,energy_pj.xbar,area_mm2.adc,"),
            std::string::npos)
      << header;
  EXPECT_EQ(first.rfind("0000-", 0), 0u) << first;
  EXPECT_NE(first.find(",finished," + source_path("workloads/profiles/uniform16.yaml") +
                       ",64,vgg19-cifar10,uniform16,10240,192,8.5,"),
            std::string::npos)
      << first;

  const auto summary = nlohmann::json::parse(read_all(a + "/summary.json"));
  EXPECT_EQ(summary["counts"]["finished"], 8);
  EXPECT_EQ(summary["counts"]["total"], 8);
  EXPECT_EQ(summary["spec"]["name"], "fake");
  const auto manifest = nlohmann::json::parse(read_all(a + "/sweep.json"));
  for (const auto& p : manifest["points"]) {
    const std::string point = a + "/points/" + p["id"].get<std::string>();
    EXPECT_TRUE(fs::exists(point + "/report.json")) << point;
    EXPECT_FALSE(fs::exists(point + "/error.txt")) << point;
    EXPECT_NE(read_all(point + "/stdout.txt").find("fake run"), std::string::npos);
  }

  // Rerunning a finished sweep runs nothing and rewrites the same files.
  r = run_into(a, "-j 2", "FAKE_LOG=" + quote(dir_.file("log")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("8 already finished, running 0"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_.file("log")));
  EXPECT_EQ(read_all(a + "/points.csv"), csv);
}

// Functional points on real inputs: `data`, `labels`, `batch` and `seed` reach every point's
// run; points.csv gains the functional columns. Three images of a one-layer network with
// integer weights: at sigma 0 the PIM path is exact and its accuracy is the reference's (the
// labels make it 2/3); with sigma the device seeds differ, so the two seeds' points do too.
// A data map on an analytic sweep is refused at its spec line.
TEST_F(SweepCli, FunctionalPointsTakeDataLabelsBatchAndSeed) {
  test::TempDir d;
  const std::string net =
      d.write("net.yaml",
              "name: one\nnetwork: one\ndataset: test\ninput: [4, 1, 1]\nlayers:\n"
              "  - {name: fc, type: conv2d, kernel: 1, input: [4, 1, 1], output: [3, 1, 1]}\n");
  d.write("x.npy", sim::npy_int64_bytes({3, 4, 1, 1}, {9, 0, 1, 2, 0, 8, 1, 0, 3, 3, 7, 1}));
  d.write("w.npy", sim::npy_int64_bytes({3, 4, 1, 1}, {5, -1, 0, 2, 0, 6, -2, 1, 1, 1, 4, 0}));
  // Outputs: image 0 -> [49, 0, 13], 1 -> [-8, 46, 12], 2 -> [14, 5, 34]: arg-max 0, 1, 2.
  d.write("labels.npy", sim::npy_int64_bytes({3}, {0, 1, 0}));
  const std::string data = d.write("data.yaml", "input: x.npy\nfc: w.npy\n");
  const std::string spec =
      d.write("spec.yaml", "base:\n  arch: " + source_path("configs/arch/isaac.yaml") +
                               "\n  workload: net.yaml\n  engine: functional\n  data: data.yaml\n"
                               "  labels: labels.npy\n  batch: 3\naxes:\n"
                               "  - {key: pe.crossbar.device.programming_sigma, values: [0, 0.3]}\n"
                               "  - {key: seed, values: [1, 2]}\n");
  Result r = sweep(quote(spec) + " --out " + quote(d.file("out")) + " -j 2");
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  std::istringstream csv(read_all(d.file("out/points.csv")));
  std::string header, line;
  std::getline(csv, header);
  EXPECT_NE(header.find(",functional_exact,top1_agreement,accuracy,reference_accuracy,"),
            std::string::npos)
      << header;
  std::vector<std::vector<std::string>> rows;
  while (std::getline(csv, line)) {
    std::vector<std::string> cells;
    std::istringstream fields(line);
    std::string cell;
    while (std::getline(fields, cell, ',')) cells.push_back(cell);
    rows.push_back(cells);
  }
  ASSERT_EQ(rows.size(), 4u);
  std::vector<std::string> names;
  std::istringstream fields(header);
  std::string name;
  while (std::getline(fields, name, ',')) names.push_back(name);
  auto at = [&](const std::vector<std::string>& row, const std::string& column) {
    const auto it = std::find(names.begin(), names.end(), column);
    return it == names.end() ? std::string("missing")
                             : row[static_cast<size_t>(it - names.begin())];
  };
  for (size_t i = 0; i < 2; ++i) {  // sigma 0, seeds 1 and 2
    EXPECT_EQ(at(rows[i], "functional_exact"), "true");
    EXPECT_EQ(std::stod(at(rows[i], "reference_accuracy")), 2.0 / 3);
    EXPECT_EQ(at(rows[i], "accuracy"), at(rows[i], "reference_accuracy"));
  }
  EXPECT_EQ(at(rows[2], "functional_exact"), "false");
  const auto report = [&](size_t i) {
    return nlohmann::json::parse(
        read_all(d.file("out/points/" + rows[i][0] + "/report.json")))["functional"];
  };
  EXPECT_EQ(report(0)["batch"], 3);
  EXPECT_NE(report(2)["layers"][0]["rms_error"], report(3)["layers"][0]["rms_error"]);

  const std::string bad =
      d.write("bad.yaml", "base:\n  arch: " + source_path("configs/arch/isaac.yaml") +
                              "\n  workload: net.yaml\n  data: data.yaml\naxes:\n"
                              "  - {key: pe.crossbar.rows, values: [64, 128]}\n");
  r = sweep(quote(bad) + " --out " + quote(d.file("bad-out")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.yaml:4:9: data: data needs engine: functional, got analytic"),
            std::string::npos)
      << r.err;
}

TEST_F(SweepCli, FailedPointsAreRecordedAndRetriedOnRerun) {
  const std::string out = dir_.file("out");
  Result r = run_into(out, "-j 2", "FAKE_FAIL=rows=256");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("8 points, 6 finished, 2 failed, 0 pending"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("FAILED"), std::string::npos) << r.err;
  const auto summary = nlohmann::json::parse(read_all(out + "/summary.json"));
  int failed = 0;
  for (const auto& p : summary["points"]) {
    if (p["values"]["pe.crossbar.rows"] != "256") {
      EXPECT_EQ(p["status"], "finished") << p.dump();
      continue;
    }
    ++failed;
    EXPECT_EQ(p["status"], "failed");
    EXPECT_EQ(p["error"],
              "error: fake.yaml:3:7: pe.crossbar.rows: fake failure for rows=256\nexit code: 2");
    const std::string point = out + "/points/" + p["id"].get<std::string>();
    EXPECT_EQ(read_all(point + "/error.txt"),
              "error: fake.yaml:3:7: pe.crossbar.rows: fake failure for rows=256\nexit code: 2\n");
    EXPECT_FALSE(fs::exists(point + "/report.json"));
  }
  EXPECT_EQ(failed, 2);
  EXPECT_NE(read_all(out + "/points.csv").find(",failed,"), std::string::npos);

  // A rerun retries only the failed points; their error.txt goes away.
  r = run_into(out, "-j 2", "FAKE_LOG=" + quote(dir_.file("log")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(dir_.file("log")), 2);
  EXPECT_EQ(read_all(out + "/points.csv").find(",failed,"), std::string::npos);
  for (const auto& entry : fs::directory_iterator(out + "/points")) {
    EXPECT_FALSE(fs::exists(entry.path() / "error.txt")) << entry.path();
  }
}

// A run that writes report.json and then fails (e.g. a full disk while writing the rest) is
// failed, not finished: its report is set aside and a rerun retries it.
TEST_F(SweepCli, RunThatFailsAfterItsReportIsFailedAndRetried) {
  const std::string out = dir_.file("out");
  Result r = run_into(out, "-j 2", "FAKE_FAIL_AFTER=rows=256");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.out.find("8 points, 6 finished, 2 failed, 0 pending"), std::string::npos) << r.out;
  int set_aside = 0;
  for (const auto& entry : fs::directory_iterator(out + "/points")) {
    if (fs::exists(entry.path() / "report.json.failed")) {
      ++set_aside;
      EXPECT_FALSE(fs::exists(entry.path() / "report.json")) << entry.path();
      EXPECT_NE(read_all((entry.path() / "error.txt").string()).find("exit code: 3"),
                std::string::npos);
    }
  }
  EXPECT_EQ(set_aside, 2);
  r = run_into(out, "-j 2", "FAKE_LOG=" + quote(dir_.file("log")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(count_lines(dir_.file("log")), 2);
}

TEST_F(SweepCli, ResumeAfterSigkillEqualsAnUninterruptedRun) {
  const std::string reference = dir_.file("reference"), out = dir_.file("out");
  ASSERT_EQ(run_into(reference, "-j 2").exit_code, 0);

  const pid_t pid =
      start(quote(spec_) + " --out " + quote(out) + " -j 2 --runner " + quote(runner_),
            "FAKE_SLEEP=0.25");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_reports(out) < 3 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  // The running points die with the sweep (PR_SET_PDEATHSIG); give them a moment.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const int finished = count_reports(out);
  ASSERT_GE(finished, 3);
  ASSERT_LT(finished, 8) << "the sweep finished before it could be killed";
  EXPECT_FALSE(fs::exists(out + "/points.csv"));  // written at the end only

  const Result r = run_into(out, "-j 2", "FAKE_LOG=" + quote(dir_.file("log")));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find(std::to_string(finished) + " already finished"), std::string::npos) << r.err;
  EXPECT_EQ(count_lines(dir_.file("log")), 8 - finished);  // only the rest ran
  EXPECT_EQ(read_all(out + "/points.csv"), read_all(reference + "/points.csv"));
  EXPECT_EQ(read_all(out + "/summary.json"), read_all(reference + "/summary.json"));
}

TEST_F(SweepCli, InterruptStopsChildrenAndLeavesPointsPending) {
  const std::string out = dir_.file("out");
  const pid_t pid = start(
      quote(spec_) + " --out " + quote(out) + " -j 2 --runner " + quote(runner_), "FAKE_SLEEP=0.3");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (count_reports(out) < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGINT);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 130);
  EXPECT_NE(read_all(dir_.file("bg-err.txt")).find("interrupted"), std::string::npos);
  const auto summary = nlohmann::json::parse(read_all(out + "/summary.json"));
  EXPECT_EQ(summary["counts"]["failed"], 0);  // stopped points are pending, not failed
  EXPECT_GT(summary["counts"]["pending"].get<int>(), 0);
  EXPECT_EQ(summary["counts"]["finished"].get<int>() + summary["counts"]["pending"].get<int>(), 8);
  // Regression: it said "ran 8 points" whatever the interruption stopped.
  const std::string ran =
      "  ran " + std::to_string(summary["counts"]["finished"].get<int>()) + " points in ";
  EXPECT_NE(read_all(dir_.file("bg-out.txt")).find(ran), std::string::npos)
      << read_all(dir_.file("bg-out.txt"));
}

TEST_F(SweepCli, SlurmScriptRunLocallyEqualsLocalSweep) {
  const std::string local = dir_.file("local"), cluster = dir_.file("cluster");
  ASSERT_EQ(run_into(local, "-j 2", "FAKE_FAIL=rows=512").exit_code, 1);

  Result r =
      sweep(quote(spec_) + " --emit-slurm " + quote(cluster) + " -j 3 --runner " + quote(runner_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string script = read_all(cluster + "/sweep.slurm");
  EXPECT_NE(script.find("#SBATCH --array=0-7%3\n"), std::string::npos) << script;
  EXPECT_EQ(count_lines(cluster + "/points.txt"), 8);
  EXPECT_TRUE(fs::is_directory(cluster + "/slurm"));

  // Every array index, as Slurm would run them (here one after another).
  for (int i = 0; i < 8; ++i) {
    r = shell("env -u MIXPIM_SWEEP_RUNNER FAKE_FAIL=rows=512 SLURM_ARRAY_TASK_ID=" +
              std::to_string(i) + " bash " + quote(cluster + "/sweep.slurm"));
    const bool fails = i % 4 == 3;  // rows=512 is the last value of the inner axis
    EXPECT_EQ(r.exit_code, fails ? 1 : 0) << i << r.err;
  }
  r = sweep("--collect " + quote(cluster));
  EXPECT_EQ(r.exit_code, 1) << r.err;  // two points failed
  EXPECT_NE(r.out.find("8 points, 6 finished, 2 failed"), std::string::npos) << r.out;
  EXPECT_EQ(read_all(cluster + "/points.csv"), read_all(local + "/points.csv"));
  EXPECT_EQ(read_all(cluster + "/summary.json"), read_all(local + "/summary.json"));

  // Resubmitting skips finished points and retries the failed ones.
  r = shell("FAKE_LOG=" + quote(dir_.file("log")) + " SLURM_ARRAY_TASK_ID=0 bash " +
            quote(cluster + "/sweep.slurm"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("already finished"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_.file("log")));
  r = shell("SLURM_ARRAY_TASK_ID=3 bash " + quote(cluster + "/sweep.slurm"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // A local sweep into the same directory finishes the rest, through the runner in the env.
  r = sweep(quote(spec_) + " --out " + quote(cluster), "MIXPIM_SWEEP_RUNNER=" + quote(runner_));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("7 already finished, running 1"), std::string::npos) << r.err;

  r = shell("SLURM_ARRAY_TASK_ID=8 bash " + quote(cluster + "/sweep.slurm"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no point 8"), std::string::npos) << r.err;
}

// --point-timeout stops a point that runs too long and records why, in a local sweep and in
// the Slurm script alike; the other points finish.
TEST_F(SweepCli, PointTimeoutFailsTheSlowPointLocallyAndUnderSlurm) {
  const std::string local = dir_.file("local"), cluster = dir_.file("cluster");
  const auto start = std::chrono::steady_clock::now();
  Result r = run_into(local, "-j 2 --point-timeout 1", "FAKE_SLOW=rows=512");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 20);
  EXPECT_NE(r.out.find("8 points, 6 finished, 2 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("timed out after 1 s (--point-timeout)"), std::string::npos) << r.err;

  r = sweep(quote(spec_) + " --emit-slurm " + quote(cluster) + " --point-timeout 1 --runner " +
            quote(runner_));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = shell("FAKE_SLOW=rows=512 SLURM_ARRAY_TASK_ID=3 bash " + quote(cluster + "/sweep.slurm"));
  EXPECT_EQ(r.exit_code, 1);
  bool found = false;
  for (const auto& entry : fs::directory_iterator(cluster + "/points")) {
    const std::string error = read_all((entry.path() / "error.txt").string());
    found = found || error.find("timed out after 1 s (--point-timeout)") != std::string::npos;
  }
  EXPECT_TRUE(found);
  EXPECT_EQ(
      sweep(quote(spec_) + " --out " + quote(dir_.file("x")) + " --point-timeout 0").exit_code, 2);
}

// Regressions: a newline in --slurm-option or in the --emit-slurm directory became a shell
// line of sweep.slurm (and a task ran it); --emit-slurm and --collect ignored a running local
// sweep's lock.
TEST_F(SweepCli, EmitSlurmRefusesControlCharactersAndHonoursTheLock) {
  const std::string cluster = dir_.file("cluster");
  Result r = shell(quote(MIXPIM_CLI_PATH) + " sweep " + quote(spec_) + " --emit-slurm " +
                   quote(cluster) + " --slurm-option=" + quote("--time=1\ntouch INJECTED"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--slurm-option holds a control character (byte 10)"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(cluster + "/sweep.slurm"));
  r = shell(quote(MIXPIM_CLI_PATH) + " sweep " + quote(spec_) + " --emit-slurm " +
            quote(dir_.file("a\nb")));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("the --emit-slurm directory holds a control character"), std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(dir_.file("a\nb")));
  EXPECT_FALSE(fs::exists(dir_.file("INJECTED")));

  // A local sweep holds the directory: emitting or collecting there waits its turn.
  const std::string busy = dir_.file("busy");
  const pid_t pid = start(
      quote(spec_) + " --out " + quote(busy) + " -j 1 --runner " + quote(runner_), "FAKE_SLEEP=1");
  for (int i = 0; i < 100 && !fs::exists(busy + "/sweep.json"); ++i) ::usleep(20000);
  ASSERT_TRUE(fs::exists(busy + "/sweep.json"));
  const std::string before = read_all(busy + "/sweep.json");
  r = sweep(quote(spec_) + " --emit-slurm " + quote(busy));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another sweep is running in"), std::string::npos) << r.err;
  r = sweep("--collect " + quote(busy));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("another sweep is running in"), std::string::npos) << r.err;
  EXPECT_EQ(read_all(busy + "/sweep.json"), before);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

TEST_F(SweepCli, PlotScriptDrawsFiguresAndReport) {
  if (std::system("/usr/bin/python3 -c 'import matplotlib, numpy' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 with matplotlib is not installed";
  }
  const std::string out = dir_.file("out");
  ASSERT_EQ(run_into(out, "-j 2", "FAKE_FAIL=rows=512").exit_code, 1);
  const Result r =
      shell("/usr/bin/python3 " + quote(source_path("scripts/plot_sweep.py")) + " " + quote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* png : {"energy_vs_array_size.png", "energy_breakdown.png",
                          "energy_reduction.png", "latency_area_vs_array_size.png"}) {
    EXPECT_EQ(read_all(out + "/" + png).substr(1, 3), "PNG") << png;
  }
  const std::string report = read_all(out + "/report.md");
  EXPECT_NE(report.find("![Energy by component](energy_breakdown.png)"), std::string::npos);
  EXPECT_NE(report.find("| vgg19-cifar10 | uniform8 | 128 | 0.01024 | 0.384 | 16.5 | 1.25 |"),
            std::string::npos)
      << report;
  EXPECT_NE(report.find("**failed**"), std::string::npos);
  EXPECT_NE(report.find("fake failure for rows=512"), std::string::npos);
  // Nothing half-written is left behind.
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_EQ(entry.path().filename().string().rfind(".tmp", 0), std::string::npos) << entry.path();
  }
}

TEST_F(SweepCli, BadSpecAndUsageErrorsExitTwoWithoutWriting) {
  std::string text = spec_text();
  text.replace(text.find("pe.crossbar.rows"), 16, "pe.crossbar.rowz");
  const std::string bad = dir_.write("bad.yaml", text);
  const std::string out = dir_.file("out");
  Result r = sweep(quote(bad) + " --out " + quote(out) + " --runner " + quote(runner_));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("error: " + bad + ":10:11: pe.crossbar.rowz: unknown architecture key"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(out));

  r = sweep(quote(spec_));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("give exactly one of --out, --emit-slurm, --collect, --dry-run"),
            std::string::npos);
  EXPECT_NE(r.err.find("Try 'mixpim sweep --help'"), std::string::npos);
  r = sweep(quote(spec_) + " --out x -j 0");
  EXPECT_EQ(r.exit_code, 2);
  r = sweep("--collect " + quote(dir_.path()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("sweep.json: cannot open file (not a sweep directory?)"), std::string::npos)
      << r.err;
  r = sweep("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--emit-slurm"), std::string::npos);

  r = sweep(quote(spec_) + " --dry-run");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 8);
  EXPECT_NE(r.out.find("--set pe.crossbar.rows=512 --engine analytic"), std::string::npos) << r.out;

  // A runner that cannot be executed fails every point, with the reason recorded.
  r = sweep(quote(spec_) + " --out " + quote(out) + " --runner /nonexistent/runner");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(read_all(out + "/summary.json").find("cannot execute /nonexistent/runner"),
            std::string::npos);
}

}  // namespace
}  // namespace mixpim
