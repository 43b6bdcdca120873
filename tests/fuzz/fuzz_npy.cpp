// libFuzzer target: NumPy .npy files (functional-engine weights and inputs). The bytes are
// parsed in memory (read_npy only adds the file read); an array that parses is also
// converted to integers and shape-checked as the functional engine does.
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/util/npy.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  return mixpim::fuzz::run_clean([&] {
    const NpyArray array = parse_npy(bytes, "fuzz.npy");
    (void)npy_shape_string(array.shape);
    mixpim::fuzz::run_clean([&] { (void)npy_integer_values(array); });
    expect_npy_shape(array, {2, 3}, "fuzz input");
  });
}
