#pragma once
// Memory bounded up front: code about to allocate in proportion to a setting (the PE
// allocator's tables, a functional batch) estimates what it needs first and refuses, with the
// setting and the estimate named, rather than end in a bare std::bad_alloc or the OOM killer.

#include <cstdint>
#include <string>

#include "sim/util/diagnostics.h"

namespace mixpim::sim {

// The limit: MIXPIM_MEMORY_LIMIT_MIB when set (a positive integer), else half of the machine's
// physical memory.
int64_t memory_limit_bytes();

// Throws InputError at `where`/`key` when `estimate_bytes` exceeds the limit: "`what` needs
// about X GiB ... the limit is Y GiB (MIXPIM_MEMORY_LIMIT_MIB ...); `advice`".
void check_memory(double estimate_bytes, const std::string& what, const SourceLocation& where,
                  const std::string& key, const std::string& advice);

}  // namespace mixpim::sim
