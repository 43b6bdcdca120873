// libFuzzer target: architecture presets (configs/arch/*.yaml). Loads the bytes as a preset,
// echoes the resolved config as JSON and, when it loads, maps a tiny network on it, so that
// strange but valid configurations (one-row arrays, huge chips, odd encodings) are exercised
// past validation too.
#include <cstdint>
#include <string>

#include "sim/config/arch_config.h"
#include "sim/config/config_echo.h"
#include "sim/compiler/mapping.h"
#include "sim/workload/precision.h"
#include "sim/workload/workload.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

using namespace mixpim::sim;

// Four layers, one of each weight kind, small enough that mapping costs microseconds.
const char kTinyNetwork[] = R"(name: tiny
network: tiny
input: [3, 8, 8]
layers:
  - {name: conv1, type: conv2d, kernel: 3, padding: 1, input: [3, 8, 8], output: [16, 8, 8]}
  - {name: relu1, type: relu, input: [16, 8, 8], output: [16, 8, 8]}
  - {name: flat, type: flatten, input: [16, 8, 8], output: [1024]}
  - {name: fc, type: linear, input: [1024], output: [10]}
)";

struct Fixture {
  Network network = load_network(mixpim::fuzz::write_file("tiny.yaml", kTinyNetwork));
  PrecisionProfile uniform = uniform_profile(network, 8);
  PrecisionProfile mixed = [this] {
    PrecisionProfile p = uniform_profile(network, 16);
    for (size_t j = 0; j < p.layers[0].weight_bits.size(); ++j) {
      p.layers[0].weight_bits[j] = 1 + static_cast<int>(j % 16);
      p.layers[0].kept[j] = j % 3 != 0;
    }
    p.layers[3].activation_bits = 3;
    return p;
  }();
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;
  const std::string path =
      mixpim::fuzz::write_file("arch.yaml", mixpim::fuzz::bytes_to_string(data, size));
  return mixpim::fuzz::run_clean([&] {
    const ArchConfig arch = load_arch_config(path);
    (void)arch_config_json(arch).dump();
    // Not fitting is a clean InputError too; each mapping is tried on its own.
    mixpim::fuzz::run_clean([&] { map_network(fixture.network, fixture.uniform, arch); });
    mixpim::fuzz::run_clean([&] { map_network(fixture.network, fixture.mixed, arch); });
  });
}
