#include "memory_guard.h"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>

namespace mixpim::sim {

namespace {

std::string gib(double bytes) {
  std::array<char, 32> text{};
  std::snprintf(text.data(), text.size(), "%.1f", bytes / (1024.0 * 1024.0 * 1024.0));
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
        what + " needs about " + gib(estimate_bytes) + " GiB, above the limit of " +
            gib(static_cast<double>(limit)) +
            " GiB (MIXPIM_MEMORY_LIMIT_MIB, default half of physical memory); " + advice}});
}

}  // namespace mixpim::sim
