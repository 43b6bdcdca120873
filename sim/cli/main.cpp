// mixpim entry point. Kept tiny: everything testable lives in run_cli().

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "sim/cli/cli.h"

namespace {
int run(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return mixpim::sim::run_cli(args, std::cout, std::cerr);
}
}  // namespace

int main(int argc, char** argv) {
  // SystemC prints its banner on stdout when the kernel starts unless told not to; set it
  // before anything can start the kernel so that stdout stays machine-readable.
  ::setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  return run(argc, argv);
}

// libsystemc.so brings its own main() that calls sc_main(), so the symbol must exist. Our
// main() above takes precedence; should SystemC's ever run instead, it does the same job.
// (SystemC declares sc_main extern "C".)
extern "C" int sc_main(int argc, char** argv) { return run(argc, argv); }
