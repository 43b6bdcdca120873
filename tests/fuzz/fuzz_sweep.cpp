// libFuzzer target: sweep specs (configs/sweeps/*.yaml). The text is parsed as if it were
// configs/sweeps/fuzz.yaml in the source tree, so the shipped specs' relative paths resolve;
// specs with few points are expanded and their inputs checked (arch overrides, workloads,
// profiles) like `mixpim sweep` does before running anything.
#include <cstdint>
#include <filesystem>
#include <string>

#include "sim/sweep/sweep.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

namespace {

// Checking inputs loads files per distinct point: keep it to small specs so that one input
// stays in the millisecond range.
constexpr size_t kMaxCheckedPoints = 64;

// Devices and FIFOs (a spec may name any path, /dev/zero included) would only measure the
// operating system: check the inputs only when every named path is a file of modest size,
// a directory or absent.
bool safe_inputs(const SweepSpec& spec) {
  auto ok = [](const SweepValue& v) {
    std::error_code error;
    const std::filesystem::path p(v.resolved);
    if (!std::filesystem::exists(p, error)) return true;  // a clean "cannot open"
    if (std::filesystem::is_directory(p, error)) return true;
    return std::filesystem::is_regular_file(p, error) &&
           std::filesystem::file_size(p, error) < (1u << 20);
  };
  for (const SweepBaseEntry& e : spec.base) {
    if (e.key != "engine" && !ok(e.value)) return false;
  }
  for (const SweepAxis& axis : spec.axes) {
    for (const SweepKey& key : axis.keys) {
      if (key.key != "arch" && key.key != "workload" && key.key != "precision") continue;
      for (const SweepValue& v : key.values) {
        if (!ok(v)) return false;
      }
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = std::string(MIXPIM_SOURCE_DIR) + "/configs/sweeps/fuzz.yaml";
  const std::string text = mixpim::fuzz::bytes_to_string(data, size);
  return mixpim::fuzz::run_clean([&] {
    const SweepSpec spec = parse_sweep_spec_text(text, path);
    const size_t points = count_sweep_points(spec);
    if (points > kMaxCheckedPoints) return;
    const Sweep sweep = expand_sweep(spec);
    (void)sweep_to_json(sweep).dump();
    (void)slurm_points_list(sweep);
    if (safe_inputs(spec)) check_sweep_inputs(spec);
  });
}
