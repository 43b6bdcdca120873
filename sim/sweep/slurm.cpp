// Sweeps on Slurm: the job-array script and its points list.
#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "sim/sweep/sweep.h"
#include "sim/util/text_table.h"

namespace mixpim::sim {

namespace fs = std::filesystem;

namespace {

// The per-task logic of sweep.slurm, after the #SBATCH header and the two variables.
// points.txt holds single-quoted words only, so `eval set --` cannot run anything else.
constexpr const char* kSlurmBody =
    R"SH(task=${SLURM_ARRAY_TASK_ID:?not set: run through sbatch, or set it to test}
case $task in ''|*[!0-9]*) echo "bad SLURM_ARRAY_TASK_ID: $task" >&2; exit 2;; esac
line=$(sed -n "$((task + 1))p" "$sweep_dir/points.txt")
if [ -z "$line" ]; then echo "no point $task in $sweep_dir/points.txt" >&2; exit 2; fi
eval "set -- $line"
id=$1
shift
out=$sweep_dir/points/$id
if [ -f "$out/report.json" ]; then echo "point $id: already finished"; exit 0; fi
mkdir -p "$out" || exit 1
rm -f "$out/error.txt"
"${limit[@]}" "$runner" "$@" --out "$out" > "$out/stdout.txt" 2> "$out/stderr.txt" < /dev/null
code=$?
if [ "$code" -eq 0 ] && [ -f "$out/report.json" ]; then echo "point $id: finished"; exit 0; fi
# A run that wrote its report and then failed is not finished (as in a local sweep).
[ -f "$out/report.json" ] && mv -f "$out/report.json" "$out/report.json.failed"
# Same error.txt as a local sweep: the tail of stderr, then how the run ended.
if [ "$code" -eq 0 ]; then ending='exit code: 0 (no report.json written)'
elif [ "${#limit[@]}" -gt 0 ] && { [ "$code" -eq 124 ] || [ "$code" -eq 137 ]; }; then
  ending="timed out after ${limit[3]} s (--point-timeout)"
elif [ "$code" -gt 128 ]; then ending="killed by signal $((code - 128))"
else ending="exit code: $code"; fi
tmp=$out/error.txt.tmp.$$
{
  tail -c @TAIL_BYTES@ "$out/stderr.txt"
  if [ -s "$out/stderr.txt" ] && [ -n "$(tail -c 1 "$out/stderr.txt")" ]; then echo; fi
  echo "$ending"
} > "$tmp" && mv -f "$tmp" "$out/error.txt"
echo "point $id: failed ($ending)" >&2
exit 1
)SH";

// One shell word for bash: '...' with ' as '\'' ; a word holding control characters (a
// newline in a path) becomes $'...' with every such byte escaped, so it stays on its line.
std::string shell_quote(const std::string& word) {
  const bool control = std::any_of(word.begin(), word.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
  if (control) {
    std::string quoted = "$'";
    for (char c : word) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\\' || c == '\'') {
        quoted += '\\';
        quoted += c;
      } else if (u < 0x20 || u == 0x7f) {
        quoted += hex_escape(u);
      } else {
        quoted += c;
      }
    }
    return quoted + "'";
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

std::string slurm_points_list(const Sweep& sweep) {
  std::string text;
  for (const SweepPoint& p : sweep.points) {
    text += shell_quote(p.id);
    for (const std::string& arg : p.args) text += " " + shell_quote(arg);
    text += "\n";
  }
  return text;
}

std::string slurm_script(const Sweep& sweep, const std::string& dir, const std::string& runner,
                         const std::vector<std::string>& sbatch_options, int max_parallel,
                         int point_timeout_s) {
  const size_t n = sweep.points.size();
  std::string job_name;
  for (char c : sweep.name) {
    job_name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  }
  std::ostringstream s;
  s << "#!/bin/bash\n"
    << "# Slurm job array for mixpim sweep \"" << job_name << "\" (" << n
    << " points), written by `mixpim sweep --emit-slurm`.\n"
    << "#   submit:  sbatch " << dir << "/sweep.slurm\n"
    << "#   collect: mixpim sweep --collect " << dir << "\n"
    << "# Task i runs line i+1 of points.txt into points/<id>/ exactly as a local\n"
    << "# `mixpim sweep --out` does; finished points are skipped, so resubmitting resumes.\n"
    << "# Without a cluster: for i in $(seq 0 " << (n ? n - 1 : 0)
    << "); do SLURM_ARRAY_TASK_ID=$i bash sweep.slurm; done\n"
    << "#SBATCH --job-name=mixpim-" << job_name << "\n"
    << "#SBATCH --array=0-" << (n ? n - 1 : 0);
  if (max_parallel > 0) s << "%" << max_parallel;
  s << "\n"
    << "#SBATCH --ntasks=1\n"
    << "#SBATCH --cpus-per-task=1\n"
    << "#SBATCH --output=\"" << dir << "/slurm/%A_%a.out\"\n";
  for (const std::string& option : sbatch_options) s << "#SBATCH " << option << "\n";
  s << "set -u\n"
    << "sweep_dir=" << shell_quote(dir) << "\n"
    << "runner=${MIXPIM_SWEEP_RUNNER:-" << shell_quote(runner) << "}\n";
  // --point-timeout: the point's run is stopped (SIGTERM, SIGKILL 3 s later) as locally.
  if (point_timeout_s > 0) {
    s << "limit=(timeout -k 3 " << point_timeout_s << ")\n";
  } else {
    s << "limit=()\n";
  }
  s << kSlurmBody;
  std::string script = s.str();
  const std::string tail_bytes = "@TAIL_BYTES@";
  script.replace(script.find(tail_bytes), tail_bytes.size(), std::to_string(kMaxErrorStderrBytes));
  return script;
}

}  // namespace mixpim::sim
