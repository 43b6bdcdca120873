#!/usr/bin/env bash
# The one-way dependencies of sim/ (the ctest LayerDependencies): a file in sim/<stage>/ includes
# headers of its own stage and of stages below it only, and each stage's CMakeLists.txt links only
# stages below it:
#   util < config < workload < compiler < engines (= hw/) < report < sweep < cli
# hw/ (the SystemC cycle engine) sits at the engines level: it includes the stages below and, of
# engines/, only the shared interface (engine.h, performance.h), never another engine; only the
# cli includes or links hw/. Prints every violation with file and line; exit 1 if any.
set -euo pipefail
root=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$root"

declare -A rank=([util]=0 [config]=1 [workload]=2 [compiler]=3 [engines]=4 [hw]=4 [report]=5
                 [sweep]=6 [cli]=7)
failures=0
fail() {
  echo "$1" >&2
  failures=$((failures + 1))
}

# Stages in sim/ that the table does not know: a new folder must be placed in the order first.
for dir in sim/*/; do
  stage=$(basename "$dir")
  [[ -n ${rank[$stage]+x} ]] || fail "$dir: a stage missing from tests/layers/check_layers.sh"
done

# The stage of a path inside the repository ("" outside sim/ and hw/).
stage_of() {
  case "$1" in
    sim/*/*) local rest=${1#sim/}; echo "${rest%%/*}" ;;
    hw/*) echo hw ;;
    *) echo "" ;;
  esac
}

while IFS= read -r file; do
  from=$(stage_of "$file")
  [[ -n $from && -n ${rank[$from]+x} ]] || continue
  while IFS=: read -r line text; do
    header=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/' <<<"$text")
    to=$(stage_of "$header")
    [[ -n $to ]] || continue
    if [[ -z ${rank[$to]+x} ]]; then
      fail "$file:$line: includes $header, in no known stage"
    elif [[ $to == hw && $from != hw && $from != cli ]]; then
      fail "$file:$line: includes $header: only the cli uses hw/ (through the engine registry)"
    elif [[ $from == hw && $to == engines && ! $header =~ ^sim/engines/(engine|performance)\.h$ ]]; then
      fail "$file:$line: includes $header: hw/ is an engine and uses only engine.h and performance.h of engines/"
    elif ((rank[$to] > rank[$from])); then
      fail "$file:$line: includes $header: stage $from may not depend on $to, a stage above it"
    fi
  done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"' "$file" || true)
  if [[ $from != hw ]] && grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<systemc' "$file" >/dev/null; then
    fail "$file: includes SystemC: sim/ is kernel-free"
  fi
done < <(git ls-files 'sim/*' 'hw/*' 2>/dev/null || find sim hw -type f)

# Link lines: mixpim::<stage> targets a stage's CMakeLists.txt links.
for cmake in sim/*/CMakeLists.txt hw/CMakeLists.txt; do
  from=$(stage_of "$cmake")
  while IFS=: read -r line text; do
    for target in $(grep -oE 'mixpim::[a-z_]+' <<<"$text"); do
      to=${target#mixpim::}
      [[ $to == core ]] && to=sweep  # everything kernel-free
      [[ -n ${rank[$to]+x} ]] || continue
      [[ $to == "$from" ]] && continue
      if [[ $to == hw && $from != cli ]] || ((rank[$to] > rank[$from])); then
        fail "$cmake:$line: links $target: stage $from may link only stages below it"
      fi
    done
  done < <(grep -nE 'target_link_libraries|^[[:space:]]*(PUBLIC|PRIVATE)' "$cmake" || true)
done

if ((failures > 0)); then
  echo "$failures layering violation(s); the order is util < config < workload < compiler < engines (= hw) < report < sweep < cli" >&2
  exit 1
fi
echo "layers: every include and link runs one way (util < config < workload < compiler < engines = hw < report < sweep < cli)"
