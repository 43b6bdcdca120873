// libFuzzer target: precision profiles (workloads/profiles/**), against the shipped
// ResNet18 (CIFAR-10), loaded once. A profile that loads is also counted (pruning masks
// through adds and flattens).
#include <cstdint>
#include <string>

#include "sim/workload/precision.h"
#include "sim/workload/workload.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Network network =
      load_network(std::string(MIXPIM_SOURCE_DIR) + "/workloads/resnet18-cifar10.yaml");
  const std::string path =
      mixpim::fuzz::write_file("profile.yaml", mixpim::fuzz::bytes_to_string(data, size));
  return mixpim::fuzz::run_clean([&] {
    const PrecisionProfile profile = load_profile(path, network);
    (void)count_layers(network, profile);
  });
}
