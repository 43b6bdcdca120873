#pragma once
// A fixed-size pool of child processes (fork/exec), for sweeps: the SystemC kernel cannot be
// elaborated twice in one process, so every simulation point is its own process.
// SIGINT/SIGTERM during run() stop it cleanly: running children get SIGTERM (SIGKILL after a
// grace period), nothing new starts, and run() returns false. Children also get SIGTERM if
// this process dies (PR_SET_PDEATHSIG), so a killed sweep leaves no orphan simulations.
// Single-threaded callers only (it installs signal handlers for the duration of run()).

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace mixpim::sim {

struct ProcessTask {
  std::vector<std::string> argv;  // argv[0] is the program (looked up in PATH without a '/')
  std::string stdout_path;        // truncated and written by the child
  std::string stderr_path;
};

struct ProcessOutcome {
  bool exited = false;  // normal exit (exit_code valid), else killed by `signal`
  int exit_code = -1;
  int signal = 0;
  double seconds = 0;
  bool timed_out = false;  // killed by the pool after its per-task timeout
};

class ProcessPool {
 public:
  // `timeout_s` > 0: a task running longer is stopped (its process group gets SIGTERM, then
  // SIGKILL after a grace period) and reported with timed_out set.
  explicit ProcessPool(int jobs, double timeout_s = 0)
      : jobs_(jobs < 1 ? 1 : jobs), timeout_s_(timeout_s) {}

  // Runs tasks 0..count-1, at most `jobs` at a time, in index order. `prepare(i)` is called
  // just before task i starts and returns what to run; `done(i, outcome)` when it ends;
  // `tick()` at least every `tick_ms` while waiting (progress redraw). Returns false when
  // interrupted; tasks stopped by the interruption get no done() call.
  bool run(std::size_t count, const std::function<ProcessTask(std::size_t)>& prepare,
           const std::function<void(std::size_t, const ProcessOutcome&)>& done,
           const std::function<void()>& tick, int tick_ms = 250);

  // The signal that interrupted the last run() (0 if none).
  int interrupt_signal() const { return interrupt_signal_; }

 private:
  int jobs_;
  double timeout_s_ = 0;
  int interrupt_signal_ = 0;
};

}  // namespace mixpim::sim
