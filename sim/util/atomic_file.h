#pragma once
// Outputs are never half-written: content goes to a temporary file in the target's
// directory, is flushed to disk, and is renamed over the target in one step.

#include <string>
#include <string_view>

namespace mixpim::sim {

// Writes `content` to `path` atomically. Throws std::runtime_error naming the path on failure
// (the target is then untouched and the temporary file removed).
void write_file_atomically(const std::string& path, std::string_view content);

}  // namespace mixpim::sim
