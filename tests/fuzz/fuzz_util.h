#pragma once
// Shared by the libFuzzer targets: a per-process scratch directory (loaders take paths, and
// several fuzzer jobs may run at once) and the one outcome besides success that is fine.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "sim/util/diagnostics.h"

namespace mixpim::fuzz {

// A directory of this process's own, removed at exit. The path lives on the heap (never
// freed) so that it outlives the static destructors that run before the atexit handler.
inline const std::string& scratch_dir() {
  static const std::string* dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "mixpim-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    auto* path = new std::string(pattern);
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(scratch_dir(), ignored);
    });
    return path;
  }();
  return *dir;
}

// Writes `text` to `name` in the scratch directory and returns its path.
inline std::string write_file(const std::string& name, const std::string& text) {
  const std::string path = scratch_dir() + "/" + name;
  // Unlink first: truncating a file and rewriting it makes ext4 flush it on close
  // (auto_da_alloc), a thousand times slower than a fresh file.
  std::remove(path.c_str());
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

inline std::string bytes_to_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

// Runs `body`; InputError is a clean rejection. Anything else escapes to libFuzzer, which
// reports it (an uncaught exception aborts) together with the input.
template <typename Body>
int run_clean(Body&& body) {
  try {
    body();
  } catch (const sim::InputError& e) {
    if (std::string(e.what()).empty()) std::abort();  // an error must say something
  }
  return 0;
}

}  // namespace mixpim::fuzz
