#include "sim/util/process_pool.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <stdexcept>

namespace mixpim::sim {

namespace {

// Self-pipe: the handlers only write a byte, the loop polls the read end. This wakes the
// loop for SIGCHLD without races between waitpid() and sleeping.
int g_wake_pipe[2] = {-1, -1};
volatile sig_atomic_t g_interrupt = 0;

extern "C" void on_signal(int signo) {
  const int saved = errno;
  if (signo == SIGINT || signo == SIGTERM) g_interrupt = signo;
  const char byte = 1;
  if (g_wake_pipe[1] >= 0) {
    [[maybe_unused]] ssize_t n = ::write(g_wake_pipe[1], &byte, 1);
  }
  errno = saved;
}

// Installs the handlers and the pipe for one run(); restores everything on destruction.
class SignalScope {
 public:
  SignalScope() {
    if (::pipe2(g_wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
      throw std::runtime_error(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    g_interrupt = 0;
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    ::sigaction(SIGCHLD, &action, &old_chld_);
    action.sa_flags = SA_RESTART;
    ::sigaction(SIGINT, &action, &old_int_);
    ::sigaction(SIGTERM, &action, &old_term_);
  }
  ~SignalScope() {
    ::sigaction(SIGCHLD, &old_chld_, nullptr);
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
    ::close(g_wake_pipe[0]);
    ::close(g_wake_pipe[1]);
    g_wake_pipe[0] = g_wake_pipe[1] = -1;
  }
  SignalScope(const SignalScope&) = delete;
  SignalScope& operator=(const SignalScope&) = delete;

 private:
  struct sigaction old_chld_ {};
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

void wait_for_wake(int timeout_ms) {
  pollfd fd{g_wake_pipe[0], POLLIN, 0};
  ::poll(&fd, 1, timeout_ms);  // EINTR is fine: the loop re-checks everything
  char buffer[64];
  while (::read(g_wake_pipe[0], buffer, sizeof buffer) > 0) {
  }
}

void write_all(int fd, const char* text) {
  size_t size = std::strlen(text);
  while (size > 0) {
    const ssize_t n = ::write(fd, text, size);
    if (n <= 0) return;
    text += n;
    size -= static_cast<size_t>(n);
  }
}

using Clock = std::chrono::steady_clock;

struct Running {
  std::size_t index;
  Clock::time_point start;
  bool timed_out = false;  // stopped for running past the pool's timeout
};

pid_t spawn(const ProcessTask& task) {
  if (task.argv.empty()) throw std::runtime_error("empty command");
  std::vector<char*> argv;
  for (const std::string& arg : task.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("cannot fork: ") + std::strerror(errno));
  if (pid > 0) {
    ::setpgid(pid, pid);  // also in the child: whichever runs first, no race
    return pid;
  }

  // Child (this process is single-threaded, so the usual fork restrictions are relaxed).
  // Its own process group, so that stopping it stops whatever a wrapper runner started too.
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  const int in = ::open("/dev/null", O_RDONLY);
  const int out = ::open(task.stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open(task.stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (in < 0 || out < 0 || err < 0) {
    write_all(2, "mixpim sweep: cannot open the point's output files\n");
    ::_exit(127);
  }
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  for (const int fd : {in, out, err}) {
    if (fd > 2) ::close(fd);  // the point inherits exactly stdin, stdout and stderr
  }
  ::execvp(argv[0], argv.data());
  const char* reason = std::strerror(errno);
  write_all(2, "mixpim sweep: cannot execute ");
  write_all(2, argv[0]);
  write_all(2, ": ");
  write_all(2, reason);
  write_all(2, "\n");
  ::_exit(127);
}

}  // namespace

bool ProcessPool::run(std::size_t count, const std::function<ProcessTask(std::size_t)>& prepare,
                      const std::function<void(std::size_t, const ProcessOutcome&)>& done,
                      const std::function<void()>& tick, int tick_ms) {
  SignalScope signals;
  interrupt_signal_ = 0;
  std::map<pid_t, Running> running;
  std::size_t next = 0;
  auto last_tick = Clock::now();

  // Reaps whatever has ended; returns the outcomes through done() unless `silent`.
  auto reap = [&](bool silent) {
    while (true) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;  // 0: none ended yet; -1: no children left
      auto it = running.find(pid);
      if (it == running.end()) continue;
      ProcessOutcome outcome;
      outcome.exited = WIFEXITED(status);
      outcome.exit_code = outcome.exited ? WEXITSTATUS(status) : -1;
      outcome.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      outcome.seconds = std::chrono::duration<double>(Clock::now() - it->second.start).count();
      outcome.timed_out = it->second.timed_out;
      const std::size_t index = it->second.index;
      running.erase(it);
      // A child killed by the same Ctrl-C that interrupts us was stopped, not failed.
      if (!silent && !(g_interrupt != 0 && !outcome.exited)) done(index, outcome);
    }
  };

  // Stops the children: SIGTERM, a grace period, then SIGKILL.
  auto stop_all = [&] {
    for (const auto& [pid, info] : running) ::kill(-pid, SIGTERM);  // the child's whole group
    const auto deadline = Clock::now() + std::chrono::seconds(3);
    while (!running.empty() && Clock::now() < deadline) {
      reap(true);
      if (!running.empty()) wait_for_wake(50);
    }
    for (const auto& [pid, info] : running) ::kill(-pid, SIGKILL);
    while (!running.empty()) {
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, 0);
      if (pid < 0 && errno != EINTR) break;
      running.erase(pid);
    }
  };

  try {
    while ((next < count || !running.empty()) && g_interrupt == 0) {
      while (g_interrupt == 0 && next < count && running.size() < static_cast<size_t>(jobs_)) {
        ProcessTask task = prepare(next);
        const pid_t pid = spawn(task);
        running[pid] = {next, Clock::now(), false};
        ++next;
      }
      reap(false);
      if (g_interrupt != 0) break;
      if (timeout_s_ > 0) {
        // Over time: SIGTERM to the task's group, SIGKILL once the grace period has passed too.
        const auto now = Clock::now();
        for (auto& [pid, info] : running) {
          const double age = std::chrono::duration<double>(now - info.start).count();
          if (age > timeout_s_ && !info.timed_out) {
            info.timed_out = true;
            ::kill(-pid, SIGTERM);
          } else if (info.timed_out && age > timeout_s_ + 3) {
            ::kill(-pid, SIGKILL);
          }
        }
      }
      if (running.size() >= static_cast<size_t>(jobs_) || (next >= count && !running.empty())) {
        wait_for_wake(timeout_s_ > 0 ? std::min(tick_ms, 100) : tick_ms);
      }
      if (Clock::now() - last_tick >= std::chrono::milliseconds(tick_ms)) {
        last_tick = Clock::now();
        if (tick) tick();
      }
    }
  } catch (...) {
    stop_all();  // never leave simulations running behind an error
    throw;
  }

  if (g_interrupt == 0) return true;
  interrupt_signal_ = g_interrupt;
  stop_all();
  return false;
}

}  // namespace mixpim::sim
