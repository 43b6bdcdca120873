#!/usr/bin/env bash
# Times a 32-point analytic sweep with the real binary: VGG19 and ResNet18 (CIFAR-10) x
# uniform16/uniform8/uniform4/mixed-channel x square arrays 64..512, every point a `mixpim run`
# process, -j = number of cores. Prints absolute seconds and points per second.
#   bash scripts/bench_sweep.sh            (MIXPIM_BUILD_DIR=build by default; JOBS=nproc)
# Target: under 10 s on a 2-core machine.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MIXPIM_BUILD_DIR:-$root/build}
case $build_dir in /*) ;; *) build_dir=$root/$build_dir ;; esac
mixpim=$build_dir/mixpim
jobs=${JOBS:-$(nproc)}
[ -x "$mixpim" ] || { echo "bench_sweep: $mixpim not built (cmake --build $build_dir)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mixpim-bench-sweep-XXXXXX")
trap 'rm -rf "$work"' EXIT
w=$root/workloads
p=$w/profiles
cat > "$work/bench.yaml" <<YAML
name: bench-32
base:
  arch: "$root/configs/arch/isaac.yaml"
  engine: analytic
  set: {mapping.allow_reprogramming: true}
axes:
  - zip:
      - key: workload
        values: ["$w/vgg19-cifar10.yaml", "$w/vgg19-cifar10.yaml", "$w/vgg19-cifar10.yaml",
                 "$w/vgg19-cifar10.yaml", "$w/resnet18-cifar10.yaml", "$w/resnet18-cifar10.yaml",
                 "$w/resnet18-cifar10.yaml", "$w/resnet18-cifar10.yaml"]
      - key: precision
        values: ["$p/uniform16.yaml", "$p/uniform8.yaml", "$p/uniform4.yaml", "$p/vgg19/mixed-channel.yaml",
                 "$p/uniform16.yaml", "$p/uniform8.yaml", "$p/uniform4.yaml", "$p/resnet18/mixed-channel.yaml"]
  - zip:
      - {key: pe.crossbar.rows, values: [64, 128, 256, 512]}
      - {key: pe.crossbar.columns, values: [64, 128, 256, 512]}
YAML

start=$(date +%s.%N)
status=0
"$mixpim" sweep "$work/bench.yaml" --out "$work/out" -j "$jobs" > "$work/stdout" 2> "$work/stderr" || status=$?
end=$(date +%s.%N)
if [ "$status" -ne 0 ]; then
  cat "$work/stderr" "$work/stdout" >&2
  echo "bench_sweep: the sweep failed (exit $status)" >&2
  exit 1
fi
points=$(($(wc -l < "$work/out/points.csv") - 1))
finished=$(grep -c ',finished,' "$work/out/points.csv" || true)
awk -v s="$start" -v e="$end" -v n="$points" -v f="$finished" -v j="$jobs" 'BEGIN {
  t = e - s
  printf "sweep: %d analytic points (%d finished), -j %d: %.2f s, %.1f points/s (target < 10 s: %s)\n",
         n, f, j, t, n / t, (t < 10 ? "ok" : "SLOW")
}'
