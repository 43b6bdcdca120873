// `mixpim sweep`: run every point of a sweep spec as its own process, N at a time, into a
// resumable directory; or emit a Slurm job array for the same layout; or collect results.
//
//   DIR/sweep.json           the expanded sweep (points, their arguments and axis values)
//   DIR/points/<id>/         one per point: report.json (finished), error.txt (failed),
//                            stdout.txt, stderr.txt, and whatever else `run` writes
//   DIR/points.csv           one row per point, in point order
//   DIR/summary.json         spec echo, counts, per-point status and errors

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "sim/util/atomic_file.h"
#include "sim/cli/cli.h"
#include "sim/util/diagnostics.h"
#include "sim/util/process_pool.h"
#include "sim/sweep/sweep.h"

namespace mixpim::sim {

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

struct SweepUsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

constexpr const char* kUsage =
    "SPEC --out DIR [-j N]           run every point (resumes in an existing DIR)\n"
    "       mixpim sweep SPEC --emit-slurm DIR       write a Slurm job array for the same layout\n"
    "       mixpim sweep --collect DIR               rebuild points.csv and summary.json\n"
    "       mixpim sweep SPEC --dry-run              list the points and their arguments";

using Clock = std::chrono::steady_clock;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string duration_text(double seconds) {
  const long total = static_cast<long>(seconds + 0.5);
  std::ostringstream s;
  if (total >= 3600) {
    s << total / 3600 << ":" << std::setw(2) << std::setfill('0') << (total / 60) % 60;
  } else {
    s << total / 60;
  }
  s << ":" << std::setw(2) << std::setfill('0') << total % 60;
  return s.str();
}

std::string first_line(const std::string& text) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") != std::string::npos) return line;
  }
  return "";
}

std::string shell_word(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;!#~") == std::string::npos) {
    return word;
  }
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// "exit code: 2" / "killed by signal 9", the same words sweep.slurm writes (a shell reports
// a signal as 128+N, so an exit code above 128 reads as a signal there; match it here).
std::string ending_text(const ProcessOutcome& outcome, bool has_report) {
  if (outcome.timed_out) {
    return "timed out after " + std::to_string(static_cast<int64_t>(outcome.seconds)) +
           " s (--point-timeout)";
  }
  if (!outcome.exited) return "killed by signal " + std::to_string(outcome.signal);
  if (outcome.exit_code == 0) return has_report ? "" : "exit code: 0 (no report.json written)";
  if (outcome.exit_code > 128) return "killed by signal " + std::to_string(outcome.exit_code - 128);
  return "exit code: " + std::to_string(outcome.exit_code);
}

// Progress on stderr: a redrawn one-line bar on a terminal, plain lines otherwise.
class Progress {
 public:
  Progress(std::ostream& err, bool tty, const Sweep& sweep, size_t already_done, size_t to_run)
      : err_(err),
        tty_(tty),
        sweep_(sweep),
        total_(sweep.points.size()),
        done_(already_done),
        to_run_(to_run),
        start_(Clock::now()) {}

  void point_done(size_t index, bool ok, double seconds, const std::string& error) {
    ++done_;
    ++ran_;
    failed_ += ok ? 0 : 1;
    if (tty_) {
      if (!ok) {
        clear();
        err_ << "failed: " << sweep_.points[index].id << ": " << error << "\n";
      }
      draw();
      return;
    }
    const SweepPoint& p = sweep_.points[index];
    err_ << "[" << done_ << "/" << total_ << "] " << p.id << (ok ? " finished" : " FAILED")
         << " in " << std::fixed << std::setprecision(2) << seconds << " s";
    err_.unsetf(std::ios::floatfield);
    for (size_t c = 0; c < sweep_.columns.size(); ++c) {
      err_ << (c ? " " : "  ") << sweep_.columns[c] << "=" << p.values[c];
    }
    if (!ok) err_ << "\n    " << error;
    err_ << std::endl;
  }

  void tick() {
    if (tty_) draw();
  }

  void finish() {
    if (tty_ && drawn_) err_ << "\n" << std::flush;
  }

 private:
  void clear() {
    if (drawn_) err_ << "\r" << std::string(width_, ' ') << "\r";
  }

  void draw() {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    constexpr int kBar = 24;
    const int filled = total_ ? static_cast<int>(kBar * done_ / total_) : kBar;
    std::ostringstream line;
    line << "[" << std::string(filled, '#') << std::string(kBar - filled, '.') << "] " << done_
         << "/" << total_ << " done";
    if (failed_) line << ", " << failed_ << " failed";
    line << ", " << duration_text(elapsed) << " elapsed, ETA ";
    if (ran_ == 0) {
      line << "--:--";
    } else {
      // Rate of this session only: points finished before a resume took no time now.
      const size_t remaining = to_run_ > ran_ ? to_run_ - ran_ : 0;
      line << duration_text(elapsed / static_cast<double>(ran_) * static_cast<double>(remaining));
    }
    std::string text = line.str();
    const size_t previous = width_;
    width_ = std::max(width_, text.size());
    err_ << "\r" << text << std::string(previous > text.size() ? previous - text.size() : 0, ' ')
         << std::flush;
    drawn_ = true;
  }

  std::ostream& err_;
  bool tty_;
  const Sweep& sweep_;
  size_t total_;
  size_t done_;
  size_t to_run_;
  size_t ran_ = 0;
  size_t failed_ = 0;
  Clock::time_point start_;
  size_t width_ = 0;
  bool drawn_ = false;
};

std::string default_runner() {
  if (const char* env = std::getenv("MIXPIM_SWEEP_RUNNER"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) throw std::runtime_error("cannot find this program's path (/proc/self/exe)");
  return self.string();
}

std::string absolute_dir(const std::string& dir) {
  return fs::absolute(fs::path(dir)).lexically_normal().string();
}

void make_dirs(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec || !fs::is_directory(path)) {
    throw std::runtime_error("cannot create directory " + path.string() + ": " +
                             (ec ? ec.message() : "exists and is not a directory"));
  }
}

// One sweep per directory at a time; the kernel drops the lock if we die.
class DirLock {
 public:
  explicit DirLock(const fs::path& dir) {
    const std::string path = (dir / ".sweep.lock").string();
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      throw std::runtime_error("another sweep is running in " + dir.string());
    }
  }
  ~DirLock() { ::close(fd_); }
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;

 private:
  int fd_ = -1;
};

std::vector<PointResult> read_results(const Sweep& sweep, const fs::path& dir) {
  std::vector<PointResult> results;
  for (const SweepPoint& p : sweep.points) {
    results.push_back(read_point_result((dir / "points" / p.id).string()));
  }
  return results;
}

struct Counts {
  size_t finished = 0, failed = 0, pending = 0;
};

// Writes points.csv and summary.json; prints the counts and the failed points.
Counts write_outputs(const Sweep& sweep, const fs::path& dir, std::ostream& out,
                     std::ostream& err) {
  const std::vector<PointResult> results = read_results(sweep, dir);
  write_file_atomically((dir / "points.csv").string(), points_csv(sweep, results));
  write_file_atomically((dir / "summary.json").string(),
                        sweep_summary(sweep, results).dump(2) + "\n");
  Counts counts;
  size_t shown = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    switch (results[i].status) {
      case PointStatus::kFinished:
        ++counts.finished;
        break;
      case PointStatus::kPending:
        ++counts.pending;
        break;
      case PointStatus::kFailed:
        ++counts.failed;
        if (++shown <= 10) {
          err << "failed: " << sweep.points[i].id << ": " << first_line(results[i].error) << "\n";
        }
        break;
    }
  }
  if (shown > 10) err << "... and " << shown - 10 << " more failed points (see summary.json)\n";
  out << "sweep " << sweep.name << ": " << sweep.points.size() << " points, " << counts.finished
      << " finished, " << counts.failed << " failed, " << counts.pending << " pending\n"
      << "  " << (dir / "points.csv").string() << "\n"
      << "  " << (dir / "summary.json").string() << "\n";
  return counts;
}

int run_sweep(const Sweep& sweep, const fs::path& dir, const std::string& runner, int jobs,
              int point_timeout_s, std::ostream& out, std::ostream& err) {
  make_dirs(dir / "points");
  DirLock lock(dir);
  write_file_atomically((dir / "sweep.json").string(), sweep_to_json(sweep).dump(2) + "\n");

  std::vector<size_t> todo;
  for (const SweepPoint& p : sweep.points) {
    std::error_code ec;
    // Finished: a readable report.json; anything else (failed, pending, unreadable) reruns.
    (void)ec;
    if (read_point_result((dir / "points" / p.id).string()).status != PointStatus::kFinished) {
      todo.push_back(p.index);
    }
  }
  const size_t already = sweep.points.size() - todo.size();
  err << "sweep " << sweep.name << ": " << sweep.points.size() << " points";
  if (already) err << ", " << already << " already finished";
  err << ", running " << todo.size() << " with " << jobs << (jobs == 1 ? " job" : " jobs") << "\n";

  Progress progress(err, ::isatty(STDERR_FILENO) == 1, sweep, already, todo.size());
  ProcessPool pool(jobs, point_timeout_s);
  std::vector<bool> started(todo.size(), false);
  const auto start = Clock::now();
  const bool complete = pool.run(
      todo.size(),
      [&](size_t k) {
        const SweepPoint& p = sweep.points[todo[k]];
        const fs::path point_dir = dir / "points" / p.id;
        started[k] = true;
        make_dirs(point_dir);
        std::error_code ec;
        fs::remove(point_dir / "error.txt", ec);  // a rerun that is stopped stays pending
        ProcessTask task;
        task.argv.push_back(runner);
        task.argv.insert(task.argv.end(), p.args.begin(), p.args.end());
        task.argv.push_back("--out");
        task.argv.push_back(point_dir.string());
        task.stdout_path = (point_dir / "stdout.txt").string();
        task.stderr_path = (point_dir / "stderr.txt").string();
        return task;
      },
      [&](size_t k, const ProcessOutcome& outcome) {
        const SweepPoint& p = sweep.points[todo[k]];
        const fs::path point_dir = dir / "points" / p.id;
        std::error_code ec;
        const bool has_report = fs::is_regular_file(point_dir / "report.json", ec);
        const std::string ending = ending_text(outcome, has_report);
        std::string error;
        if (!ending.empty()) {
          // A run that wrote its report and then failed is not finished: set the report aside
          // so the point counts as failed and reruns.
          if (has_report)
            fs::rename(point_dir / "report.json", point_dir / "report.json.failed", ec);
          const std::string text = point_error_text(read_text(point_dir / "stderr.txt"), ending);
          write_file_atomically((point_dir / "error.txt").string(), text);
          error = first_line(text);
          if (error != ending) error += " (" + ending + ")";
        }
        progress.point_done(todo[k], ending.empty(), outcome.seconds, error);
      },
      [&] { progress.tick(); });
  progress.finish();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (!complete) {
    err << "interrupted (signal " << pool.interrupt_signal()
        << "): the stopped points stay pending; rerun the same command to resume\n";
  }
  const Counts counts = write_outputs(sweep, dir, out, err);
  // Points that ran to an end, finished or failed: an interruption leaves the ones it stopped
  // pending (their earlier error.txt was removed when they started).
  size_t ran = 0;
  for (size_t k = 0; k < todo.size(); ++k) {
    ran += started[k] &&
           read_point_result((dir / "points" / sweep.points[todo[k]].id).string()).status !=
               PointStatus::kPending;
  }
  out << "  ran " << ran << " points in " << std::fixed << std::setprecision(2) << seconds
      << " s\n";
  out.unsetf(std::ios::floatfield);
  if (!complete) return 128 + pool.interrupt_signal();
  return counts.failed || counts.pending ? kExitFailure : kExitOk;
}

// A control character (a newline) in text that becomes a line of sweep.slurm would start a new
// shell line there; a double quote would end the quoted #SBATCH --output path.
void check_script_text(const std::string& text, const std::string& what, bool quoted_path) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || (quoted_path && c == '"')) {
      throw SweepUsageError(what + " holds a " +
                            (c == '"' ? std::string("double quote")
                                      : "control character (byte " + std::to_string(u) + ")") +
                            ", which would break sweep.slurm: " + text);
    }
  }
}

int emit_slurm(const Sweep& sweep, const fs::path& dir, const std::string& runner,
               const std::vector<std::string>& sbatch_options, int max_parallel,
               int point_timeout_s, std::ostream& out) {
  check_script_text(dir.string(), "the --emit-slurm directory", true);
  for (const std::string& option : sbatch_options) {
    check_script_text(option, "--slurm-option", false);
  }
  make_dirs(dir / "points");
  make_dirs(dir / "slurm");  // Slurm does not create the --output directory
  DirLock lock(dir);         // not while a local sweep (or another emit) uses the directory
  write_file_atomically((dir / "sweep.json").string(), sweep_to_json(sweep).dump(2) + "\n");
  write_file_atomically((dir / "points.txt").string(), slurm_points_list(sweep));
  const std::string script = (dir / "sweep.slurm").string();
  write_file_atomically(script, slurm_script(sweep, dir.string(), runner, sbatch_options,
                                             max_parallel, point_timeout_s));
  ::chmod(script.c_str(), 0755);
  out << "wrote " << script << " (" << sweep.points.size() << " array tasks) and "
      << (dir / "points.txt").string() << "\n"
      << "  submit:  sbatch " << script << "\n"
      << "  collect: mixpim sweep --collect " << dir.string() << "\n";
  return kExitOk;
}

int collect(const fs::path& dir, std::ostream& out, std::ostream& err) {
  const fs::path manifest = dir / "sweep.json";
  std::error_code ec;
  if (!fs::is_regular_file(manifest, ec)) {
    throw InputError({{SourceLocation{manifest.string(), 0, 0}, "",
                       "cannot open file (not a sweep directory?)"}});
  }
  DirLock lock(dir);  // not while a local sweep writes the same points.csv
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(read_text(manifest));
  } catch (const nlohmann::json::exception& e) {
    throw InputError({{SourceLocation{manifest.string(), 0, 0}, "",
                       std::string("not valid JSON: ") + e.what()}});
  }
  Sweep sweep;
  try {
    sweep = sweep_from_json(json);
  } catch (const std::runtime_error& e) {
    throw InputError({{SourceLocation{manifest.string(), 0, 0}, "", e.what()}});
  }
  const Counts counts = write_outputs(sweep, dir, out, err);
  return counts.failed || counts.pending ? kExitFailure : kExitOk;
}

int sweep_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  po::options_description options("options");
  std::string out_dir, slurm_dir, collect_dir, runner;
  std::vector<std::string> sbatch_options;
  int jobs = 0;
  int point_timeout_s = 0;
  // clang-format off
  options.add_options()
      ("out,o", po::value(&out_dir), "run the points into this directory (resumes)")
      ("jobs,j", po::value(&jobs), "points run at once (default: number of cores); with "
                                   "--emit-slurm, the array's concurrency limit")
      ("emit-slurm", po::value(&slurm_dir), "write DIR/sweep.slurm and DIR/points.txt instead")
      ("slurm-option", po::value(&sbatch_options)->composing(),
       "extra #SBATCH line, e.g. --slurm-option=--time=01:00:00 (repeatable)")
      ("point-timeout", po::value(&point_timeout_s),
       "stop a point's run after SECONDS and record it as failed (local and Slurm)")
      ("collect", po::value(&collect_dir), "rebuild DIR/points.csv and DIR/summary.json")
      ("dry-run", "print the points and their arguments, run nothing")
      ("runner", po::value(&runner),
       "program run per point as `PROGRAM run ... --out DIR` (default: this mixpim; "
       "environment: MIXPIM_SWEEP_RUNNER)")
      ("help,h", "show this help");
  // clang-format on
  po::options_description hidden;
  std::string spec_path;
  hidden.add_options()("spec", po::value(&spec_path));
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("spec", 1);
  po::variables_map values;
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), values);
    po::notify(values);
  } catch (const po::error& e) {
    throw SweepUsageError(e.what());
  }
  if (values.count("help")) {
    out << "usage: mixpim sweep " << kUsage << "\n\n"
        << "The spec format is described in configs/sweeps/README.md.\n\n"
        << options << "\n";
    return kExitOk;
  }
  const int modes = !out_dir.empty() + !slurm_dir.empty() + !collect_dir.empty() +
                    static_cast<int>(values.count("dry-run"));
  if (modes != 1) {
    throw SweepUsageError("give exactly one of --out, --emit-slurm, --collect, --dry-run");
  }
  if (values.count("jobs") && (jobs < 1 || jobs > 1024)) {
    throw SweepUsageError("--jobs must be in [1, 1024]");
  }
  if (values.count("point-timeout") && (point_timeout_s < 1 || point_timeout_s > 10'000'000)) {
    throw SweepUsageError("--point-timeout must be in [1, 10000000] seconds");
  }
  if (!collect_dir.empty()) {
    if (!spec_path.empty())
      throw SweepUsageError("--collect takes no spec (it reads DIR/sweep.json)");
    return collect(absolute_dir(collect_dir), out, err);
  }
  if (spec_path.empty()) throw SweepUsageError("missing the sweep spec file");

  const Sweep sweep = load_sweep(spec_path);
  if (values.count("dry-run")) {
    for (const SweepPoint& p : sweep.points) {
      out << p.id;
      for (const std::string& arg : p.args) out << " " << shell_word(arg);
      out << "\n";
    }
    return kExitOk;
  }
  if (runner.empty()) runner = default_runner();
  if (!slurm_dir.empty()) {
    return emit_slurm(sweep, absolute_dir(slurm_dir), runner, sbatch_options,
                      values.count("jobs") ? jobs : 0, point_timeout_s, out);
  }
  if (!values.count("jobs")) {
    const long cores = ::sysconf(_SC_NPROCESSORS_ONLN);
    jobs = cores > 0 ? static_cast<int>(std::min(cores, 1024L)) : 1;
  }
  return run_sweep(sweep, absolute_dir(out_dir), runner, jobs, point_timeout_s, out, err);
}

}  // namespace

int cmd_sweep(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  try {
    return sweep_command(args, out, err);
  } catch (const SweepUsageError& e) {
    err << "mixpim sweep: " << e.what() << "\n"
        << "Try 'mixpim sweep --help'.\n";
    return kExitBadInput;
  }
}

}  // namespace mixpim::sim
