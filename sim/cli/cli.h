#pragma once
// The `mixpim` command line: `mixpim <command> [options]`.
// Exit codes: 0 success, 1 internal or I/O failure, 2 bad input or usage.

#include <iosfwd>
#include <string>
#include <vector>

namespace mixpim::sim {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

// Runs the CLI on `args` (without the program name); never throws.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace mixpim::sim
