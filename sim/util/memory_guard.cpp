#include "sim/util/memory_guard.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace mixpim::sim {

namespace {

// "3.2 GiB", or "12.5 MiB" below a GiB (a small limit would read "0.0 GiB").
std::string size_text(double bytes) {
  std::array<char, 32> text{};
  const double mib = bytes / (1024.0 * 1024.0);
  if (mib < 1024) {
    std::snprintf(text.data(), text.size(), "%.1f MiB", mib);
  } else {
    std::snprintf(text.data(), text.size(), "%.1f GiB", mib / 1024.0);
  }
  return text.data();
}

}  // namespace

int64_t memory_limit_bytes() {
  if (const char* env = std::getenv("MIXPIM_MEMORY_LIMIT_MIB")) {
    char* end = nullptr;
    const long long mib = std::strtoll(env, &end, 10);
    if (end != env && *end == '\0' && mib > 0 && mib < (int64_t{1} << 40)) {
      return static_cast<int64_t>(mib) << 20;
    }
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page <= 0) return int64_t{8} << 30;  // unknown: 8 GiB
  return static_cast<int64_t>(pages) * page / 2;
}

void check_memory(double estimate_bytes, const std::string& what, const SourceLocation& where,
                  const std::string& key, const std::string& advice) {
  const int64_t limit = memory_limit_bytes();
  if (estimate_bytes <= static_cast<double>(limit)) return;
  throw InputError(
      {{where, key,
        what + " needs about " + size_text(estimate_bytes) + ", above the limit of " +
            size_text(static_cast<double>(limit)) +
            " (MIXPIM_MEMORY_LIMIT_MIB, default half of physical memory); " + advice}});
}

}  // namespace mixpim::sim
