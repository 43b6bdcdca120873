// mixpim entry point. Kept tiny: everything testable lives in run_cli().

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli.h"

int main(int argc, char** argv) {
  // SystemC prints its banner on stdout when the kernel starts unless told not to; set it
  // before anything can start the kernel so that stdout stays machine-readable.
  ::setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
  std::vector<std::string> args(argv + 1, argv + argc);
  return mixpim::sim::run_cli(args, std::cout, std::cerr);
}
