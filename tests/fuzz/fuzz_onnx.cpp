// libFuzzer target: ONNX models (mixpim import, and every --workload given an .onnx file).
// The bytes are imported in memory (import_onnx only adds the file read); a model that
// imports is also read back as a workload, as load_network does.
#include <cstdint>
#include <string_view>

#include "sim/workload/onnx_import.h"
#include "sim/workload/workload.h"
#include "tests/fuzz/fuzz_util.h"

using namespace mixpim::sim;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  return mixpim::fuzz::run_clean([&] {
    const ImportedModel model = import_onnx_bytes(bytes, "fuzz.onnx");
    (void)load_imported_network("fuzz.onnx", model.workload_yaml);
  });
}
