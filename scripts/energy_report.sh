#!/usr/bin/env bash
# Regenerates the committed energy-reduction report, results/energy-reduction/: runs the sweep
# configs/sweeps/energy-reduction.yaml (144 analytic points, both cores) into a scratch
# directory, then draws the plots and report.md and copies points.csv into results/; then the
# 12 cycle-engine points at 128x128 (configs/sweeps/energy-reduction-cycle.yaml) into
# results/energy-reduction/cycle-128/ the same way.
# Expects a built tree (scripts/setup.sh); MIXPIM_BUILD_DIR (build), MIXPIM_OUT_DIR (out).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${MIXPIM_BUILD_DIR:-build}
scratch=${MIXPIM_OUT_DIR:-out}/energy-reduction-sweep
final=results/energy-reduction
# Built beside the committed report and swapped in at the end, so a failed run leaves the
# committed report whole (and no PNG of a plot that is no longer drawn).
results=results/.energy-reduction.tmp
rm -rf "$results"
python=/usr/bin/python3
[ -x "$python" ] || python=python3
mkdir -p "$results"
# From scratch: a sweep resumes finished points, which would keep results of an older binary.
rm -rf "$scratch"
"$build_dir/mixpim" sweep configs/sweeps/energy-reduction.yaml --out "$scratch" -j "$(nproc)"
"$python" scripts/plot_sweep.py "$scratch" --out "$results" \
  --title "Energy reduction of mixed-precision profiles against 16 bits (ISAAC-like PIM, analytic engine)"
cp "$scratch/points.csv" "$results/.points.csv.tmp" && mv "$results/.points.csv.tmp" "$results/points.csv"

cycle_scratch=${MIXPIM_OUT_DIR:-out}/energy-reduction-cycle-sweep
rm -rf "$cycle_scratch"
mkdir -p "$results/cycle-128"
"$build_dir/mixpim" sweep configs/sweeps/energy-reduction-cycle.yaml --out "$cycle_scratch" -j "$(nproc)"
"$python" scripts/plot_sweep.py "$cycle_scratch" --out "$results/cycle-128" \
  --title "Energy reduction against 16 bits at 128x128, cycle-level engine (ISAAC-like PIM)"
cp "$cycle_scratch/points.csv" "$results/cycle-128/.points.csv.tmp" \
  && mv "$results/cycle-128/.points.csv.tmp" "$results/cycle-128/points.csv"
rm -rf "$final.old"
[ -d "$final" ] && mv "$final" "$final.old"
mv "$results" "$final"
rm -rf "$final.old"
echo "energy-reduction report: $final/report.md"
