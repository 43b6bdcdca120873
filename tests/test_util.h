#pragma once
// Shared test helpers: a scratch directory removed at the end of the test, and the
// first diagnostic of an InputError.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>

#include "sim/config/arch_config.h"
#include "sim/util/diagnostics.h"
#include "sim/workload/workload.h"

namespace mixpim::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mixpim-test-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data()) ? pattern : "";
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
    return file(name);
  }

 private:
  std::string path_;
};

// The whole file as bytes ("" when it cannot be read).
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline std::string source_path(const std::string& relative) {
  return std::string(MIXPIM_SOURCE_DIR) + "/" + relative;
}

// The shipped ISAAC preset.
inline sim::ArchConfig isaac_preset() {
  return sim::load_arch_config(source_path("configs/arch/isaac.yaml"));
}

// A one-conv network: input [cin, size, size] -> conv k x k, padding k/2 -> [cout, size, size].
inline sim::Network one_conv(int64_t cin, int64_t cout, int k, int64_t size) {
  sim::Network n;
  n.name = "one-conv";
  n.family = "test";
  n.input_shape = {cin, size, size};
  sim::Layer conv;
  conv.name = "conv";
  conv.type = sim::LayerType::kConv2d;
  conv.producers = {sim::kNetworkInput};
  conv.input_shape = {cin, size, size};
  conv.output_shape = {cout, size, size};
  conv.kernel_h = conv.kernel_w = k;
  conv.pad_h = conv.pad_w = k / 2;
  n.layers.push_back(conv);
  return n;
}

// Runs `load` and returns the error text it throws ("" if it does not throw InputError).
inline std::string input_error_of(const std::function<void()>& load) {
  try {
    load();
  } catch (const sim::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace mixpim::test
