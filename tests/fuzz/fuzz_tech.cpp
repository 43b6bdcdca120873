// libFuzzer target: technology tables (configs/tech/*.yaml). A table that loads must also
// answer every query the energy model makes (required actions, ADC/DAC/crossbar scaling).
#include <cstdint>
#include <string>

#include "sim/config/tech_table.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      mixpim::fuzz::write_file("tech.yaml", mixpim::fuzz::bytes_to_string(data, size));
  return mixpim::fuzz::run_clean([&] {
    const TechTable table = load_tech_table(path);
    double sum = 0;
    for (const auto& [component, action] : required_actions()) {
      sum += table.energy_pj(component, action);
    }
    // Up to the resolution each converter's figures are stated for (reference.max_bits): the
    // compiler refuses more (sim/compiler/adc.cpp), and a per-resolution ADC table ends there.
    const auto max_bits = [&](const char* converter) {
      return static_cast<int>(table.component(converter).reference.at("max_bits"));
    };
    for (int bits = 1; bits <= max_bits("adc"); ++bits)
      sum += table.adc_energy_pj(bits) + table.adc_area_mm2(bits);
    for (int bits = 1; bits <= max_bits("dac"); ++bits)
      sum += table.dac_energy_pj(bits) + table.dac_area_mm2(bits);
    sum += table.xbar_area_mm2(8192, 8192);
    (void)sum;
  });
}
