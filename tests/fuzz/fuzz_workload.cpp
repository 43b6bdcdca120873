// libFuzzer target: network files (workloads/*.yaml). A network that loads is also counted
// under the 16-bit baseline (shapes, MACs, channel masks), which relies on the checks made
// at load time.
#include <cstdint>
#include <string>

#include "sim/workload/precision.h"
#include "sim/workload/workload.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      mixpim::fuzz::write_file("workload.yaml", mixpim::fuzz::bytes_to_string(data, size));
  return mixpim::fuzz::run_clean([&] {
    const Network network = load_network(path);
    // A profile holds one entry per output channel: only count modest networks.
    for (const Layer& layer : network.layers) {
      if (layer.has_weights() && layer.out_channels() > (1 << 16)) return;
    }
    (void)count_layers(network, uniform_profile(network, kBaselineBits));
  });
}
