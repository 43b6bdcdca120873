#!/usr/bin/env bash
# Times one inference of VGG19 and ResNet18 (CIFAR-10, per-channel mixed profiles, ISAAC preset
# with 128x128 arrays) in the analytic, cycle and functional (batch 1) engines, each a separate
# `mixpim run` process, then a 32-point analytic sweep (scripts/bench_sweep.sh), and prints one
# table: wall seconds, peak RSS, simulated cycles per wall second, events per wall second.
# Builds nothing: uses $MIXPIM_BUILD_DIR/mixpim (default build/).
#   bash scripts/bench.sh              writes $MIXPIM_BUILD_DIR/bench.json too (BENCH_JSON=path)
# Then the cycle engine alone, as issue 13 states its targets: VGG19 and ResNet18 CIFAR-10 at 8
# bits (uniform8) on the ISAAC preset (128x128 arrays), each a whole `mixpim run --engine cycle`
# including its 16-bit baseline (a child process): engine wall time per inference, PE read steps
# and kernel events per inference, events per wall second, peak memory.
# Targets: cycle engine under 0.5 s per inference, a whole cycle run with its baseline under 2 s,
# under 1 GiB; functional ResNet18 under 60 s; the sweep under 10 s.
# Events: the cycle engine's SystemC waits and notifications (report.json cycle.kernel_events);
# "hw events" are the hardware events counted (sum of every action count), for every engine.
# BENCH_SWEEP=0 skips the sweep.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${MIXPIM_BUILD_DIR:-$root/build}
case $build_dir in /*) ;; *) build_dir=$root/$build_dir ;; esac
mixpim=$build_dir/mixpim
bench_json=${BENCH_JSON:-$build_dir/bench.json}
[ -x "$mixpim" ] || { echo "bench: $mixpim not built (cmake --build $build_dir)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/mixpim-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
have_time=0
[ -x /usr/bin/time ] && have_time=1

: > "$work/rows.tsv"
for net in vgg19 resnet18; do
  for engine in analytic cycle functional; do
    out=$work/$net-$engine
    cmd=("$mixpim" run --arch "$root/configs/arch/isaac.yaml" --workload "$root/workloads/$net-cifar10.yaml"
         --precision "$root/workloads/profiles/$net/mixed-channel.yaml" --engine "$engine" --no-baseline
         --out "$out")
    status=0
    start=$(date +%s.%N)
    if [ "$have_time" = 1 ]; then
      /usr/bin/time -v -o "$work/time-$net-$engine" "${cmd[@]}" > "$work/stdout-$net-$engine" 2> "$work/stderr-$net-$engine" || status=$?
    else
      "${cmd[@]}" > "$work/stdout-$net-$engine" 2> "$work/stderr-$net-$engine" || status=$?
    fi
    end=$(date +%s.%N)
    rss=""
    if [ "$have_time" = 1 ] && [ -f "$work/time-$net-$engine" ]; then
      rss=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$work/time-$net-$engine")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$net" "$engine" "$status" "$start" "$end" "$rss" "$out" >> "$work/rows.tsv"
  done
done

for mode in classes every-pe; do
  for net in vgg19 resnet18; do
    out=$work/$net-cycle8-$mode
    cmd=("$mixpim" run --arch "$root/configs/arch/isaac.yaml" --workload "$root/workloads/$net-cifar10.yaml"
         --precision "$root/workloads/profiles/uniform8.yaml" --engine cycle --out "$out")
    [ "$mode" = every-pe ] && cmd+=(--every-pe)
    tag=$net-cycle8-$mode
    status=0
    start=$(date +%s.%N)
    if [ "$have_time" = 1 ]; then
      /usr/bin/time -v -o "$work/time-$tag" "${cmd[@]}" > "$work/stdout-$tag" 2> "$work/stderr-$tag" || status=$?
    else
      "${cmd[@]}" > "$work/stdout-$tag" 2> "$work/stderr-$tag" || status=$?
    fi
    end=$(date +%s.%N)
    rss=""
    if [ "$have_time" = 1 ] && [ -f "$work/time-$tag" ]; then
      rss=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$work/time-$tag")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$net" "$mode" "$status" "$start" "$end" "$rss" "$out" "$work/stdout-$tag" >> "$work/cycle8.tsv"
  done
done

# The functional engine with every non-ideality on (sim/engines/device.h) against the ideal run:
# ResNet18 CIFAR-10 mixed-channel, batch 1. Target (issue 17): under 2x the ideal time.
: > "$work/nonideal.tsv"
for variant in ideal nonideal; do
  cmd=("$mixpim" run --arch "$root/configs/arch/isaac.yaml" --workload "$root/workloads/resnet18-cifar10.yaml"
       --precision "$root/workloads/profiles/resnet18/mixed-channel.yaml" --engine functional --no-baseline
       --out "$work/functional-$variant")
  if [ "$variant" = nonideal ]; then
    for s in pe.crossbar.device.programming_sigma=0.05 pe.crossbar.device.read_noise_sigma=0.02 \
             pe.crossbar.device.stuck_on_rate=0.001 pe.crossbar.device.stuck_off_rate=0.001 \
             pe.crossbar.device.drift_nu=0.01 pe.crossbar.device.read_time_s=1000 pe.adc.noise_lsb=0.3; do
      cmd+=(--set "$s")
    done
  fi
  start=$(date +%s.%N)
  status=0
  "${cmd[@]}" > /dev/null 2> "$work/stderr-functional-$variant" || status=$?
  end=$(date +%s.%N)
  printf '%s\t%s\t%s\t%s\n' "$variant" "$status" "$start" "$end" >> "$work/nonideal.tsv"
done

# Scale (issue 18): `mixpim map` of ResNet18 CIFAR-10 mixed-channel on ISAAC tiles at 168, 672,
# 2,688 and 10,752 tiles (a concentrated mesh grown with them), wall time and peak memory; a
# whole analytic run including its 16-bit baseline, VGG19 and ResNet18 (mean of 10); and, when
# built, the allocator against the plain program it replaced (tests/bench/bench_allocation.cpp).
: > "$work/scale.tsv"
for spec in 168:7:6 672:14:12 2688:28:24 10752:56:48; do
  IFS=: read -r tiles cols rows <<< "$spec"
  cmd=("$mixpim" map --arch "$root/configs/arch/isaac.yaml" --workload "$root/workloads/resnet18-cifar10.yaml"
       --precision "$root/workloads/profiles/resnet18/mixed-channel.yaml" --set "chip.tiles=$tiles"
       --set "chip.noc.mesh_columns=$cols" --set "chip.noc.mesh_rows=$rows")
  start=$(date +%s.%N)
  status=0
  if [ "$have_time" = 1 ]; then
    /usr/bin/time -v -o "$work/time-map-$tiles" "${cmd[@]}" > /dev/null 2> "$work/stderr-map-$tiles" || status=$?
  else
    "${cmd[@]}" > /dev/null 2> "$work/stderr-map-$tiles" || status=$?
  fi
  end=$(date +%s.%N)
  rss=""
  [ -f "$work/time-map-$tiles" ] && rss=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$work/time-map-$tiles")
  printf 'map\t%s\t%s\t%s\t%s\t%s\n' "$tiles" "$status" "$start" "$end" "$rss" >> "$work/scale.tsv"
done
for net in vgg19 resnet18; do
  cmd=("$mixpim" run --arch "$root/configs/arch/isaac.yaml" --workload "$root/workloads/$net-cifar10.yaml"
       --precision "$root/workloads/profiles/$net/mixed-channel.yaml" --out "$work/run-$net")
  status=0
  [ "$have_time" = 1 ] && /usr/bin/time -v -o "$work/time-run-$net" "${cmd[@]}" > /dev/null 2>&1
  start=$(date +%s.%N)
  for _ in 1 2 3 4 5 6 7 8 9 10; do "${cmd[@]}" > /dev/null 2> "$work/stderr-run-$net" || status=$?; done
  end=$(date +%s.%N)
  rss=""
  [ -f "$work/time-run-$net" ] && rss=$(awk -F': ' '/Maximum resident set size/ {print $2 / 1024}' "$work/time-run-$net")
  printf 'run\t%s\t%s\t%s\t%s\t%s\n' "$net" "$status" "$start" "$end" "$rss" >> "$work/scale.tsv"
done
: > "$work/allocation.json"
if [ -x "$build_dir/tests/mixpim_bench_allocation" ]; then
  "$build_dir/tests/mixpim_bench_allocation" --benchmark_format=json > "$work/allocation.json" 2> /dev/null || : > "$work/allocation.json"
fi

sweep_line=""
if [ "${BENCH_SWEEP:-1}" = 1 ] && [ -f "$root/scripts/bench_sweep.sh" ]; then
  sweep_line=$(bash "$root/scripts/bench_sweep.sh" | tail -1) || sweep_line=""
fi
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" - "$work/rows.tsv" "$bench_json" "$sweep_line" "$work/cycle8.tsv" "$work/nonideal.tsv" "$work/scale.tsv" "$work/allocation.json" <<'PY'
import json, os, re, sys
rows, path, sweep_line, cycle8, nonideal, scale, allocation = sys.argv[1:8]
results = []
for line in open(rows):
    net, engine, status, start, end, rss, out = line.rstrip("\n").split("\t")
    wall = float(end) - float(start)
    r = {"network": net, "engine": engine, "ok": status == "0", "wall_s": wall,
         "peak_rss_mib": float(rss) if rss else None}
    report = os.path.join(out, "report.json")
    if r["ok"] and os.path.exists(report):
        rep = json.load(open(report))
        clock_mhz = rep["run"]["arch"]["config"].get("clock_mhz", 1200)
        cycle = rep.get("cycle", {})
        host = cycle.get("host", {})  # if the CLI ever records host stats there
        if r["peak_rss_mib"] is None and "peak_rss_mib" in host:
            r["peak_rss_mib"] = host["peak_rss_mib"]
        cycles = cycle.get("simulated_cycles", round(rep["totals"]["latency_ns"] * clock_mhz / 1000))
        hw_events = sum(sum(c.get("counts", {}).values()) for c in rep.get("components", {}).values())
        r.update({"simulated_cycles": cycles, "simulated_cycles_per_s": cycles / wall,
                  "kernel_events": cycle.get("kernel_events"),
                  "kernel_events_per_s": cycle["kernel_events"] / wall if "kernel_events" in cycle else None,
                  "hw_events": hw_events, "hw_events_per_s": hw_events / wall,
                  "latency_ns": rep["totals"]["latency_ns"]})
    results.append(r)

def fmt(v, spec):
    width = int(spec.split(".")[0] or 0)
    return "-".rjust(width) if v is None else format(v, spec)

print(f"{'network':<10} {'engine':<10} {'wall s':>8} {'peak MiB':>9} {'sim cycles/s':>13} "
      f"{'events/s':>10} {'hw events/s':>12} {'target':>7}")
for r in results:
    if not r["ok"]:
        print(f"{r['network']:<10} {r['engine']:<10} {'failed (see mixpim run ' + r['engine'] + ')':>40}")
        continue
    target = "-"
    if r["engine"] == "cycle":
        fast = r["wall_s"] < 2 and (r["peak_rss_mib"] is None or r["peak_rss_mib"] < 1024)
        target = "ok" if fast else "SLOW"
    if r["engine"] == "functional" and r["network"] == "resnet18":
        target = "ok" if r["wall_s"] < 60 else "SLOW"
    print(f"{r['network']:<10} {r['engine']:<10} {r['wall_s']:>8.3f} {fmt(r['peak_rss_mib'], '9.1f')} "
          f"{r['simulated_cycles_per_s']:>13.3e} {fmt(r['kernel_events_per_s'], '10.3e')} "
          f"{r['hw_events_per_s']:>12.3e} {target:>7}")
sweep = None
m = re.match(r"sweep: (\d+) analytic points \((\d+) finished\), -j (\d+): ([0-9.]+) s", sweep_line)
if m:
    sweep = {"points": int(m.group(1)), "finished": int(m.group(2)), "jobs": int(m.group(3)),
             "wall_s": float(m.group(4)), "points_per_s": int(m.group(1)) / float(m.group(4))}
    print(f"{'sweep':<10} {'analytic':<10} {sweep['wall_s']:>8.3f} {'-':>9} {'-':>13} {'-':>10} "
          f"{sweep['points_per_s']:>9.1f} pt/s {('ok' if sweep['wall_s'] < 10 else 'SLOW'):>4}"
          f"   ({sweep['points']} points, -j {sweep['jobs']})")
# The cycle engine at 8 bits, whole runs with their 16-bit baseline.
cycle_runs = []
print()
print("cycle engine, 8-bit, per inference; 'classes': one pipeline per class of identical PEs (default),")
print("'every-pe': one per PE (--every-pe); whole run = mixpim run including its 16-bit baseline")
print(f"{'network':<9} {'mode':<9} {'s/inference':>11} {'PE steps':>9} {'simulated':>9} {'events':>9} "
      f"{'events/s':>10} {'run+16-bit s':>12} {'peak MiB':>9} {'target':>7}")
for line in open(cycle8) if os.path.exists(cycle8) else []:
    net, mode, status, start, end, rss, out, stdout = line.rstrip("\n").split("\t")
    whole = float(end) - float(start)
    text = open(stdout).read() if os.path.exists(stdout) else ""
    m = re.search(r"simulated\s+(\d+) inferences, (\d+) cycles, (\d+) read steps, (\d+) kernel events in ([0-9.e+-]+) s", text)
    if status != "0" or not m:
        print(f"{net:<9} {mode:<9} failed (see {stdout})")
        cycle_runs.append({"network": net, "mode": mode, "ok": False})
        continue
    n, cycles, steps, events, wall = int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), float(m.group(5))
    peak = float(rss) if rss else None
    rep = json.load(open(os.path.join(out, "report.json")))
    simulated = rep["cycle"]["simulated_read_steps"]
    r = {"network": net, "mode": mode, "ok": True, "inferences": n, "engine_wall_s": wall,
         "simulated_read_steps_per_inference": simulated / n,
         "engine_wall_s_per_inference": wall / n, "read_steps_per_inference": steps / n,
         "kernel_events_per_inference": events / n, "kernel_events_per_s": events / wall if wall > 0 else None,
         "whole_run_with_baseline_s": whole, "peak_rss_mib": peak}
    ok = wall / n <= 0.5 and whole <= 2 and (peak is None or peak < 1024)
    r["target_met"] = ok
    cycle_runs.append(r)
    print(f"{net:<9} {mode:<9} {wall / n:>11.4f} {steps / n:>9.0f} {simulated / n:>9.0f} {events / n:>9.0f} "
          f"{fmt(r['kernel_events_per_s'], '10.3e')} {whole:>12.3f} {fmt(peak, '9.1f')} {('ok' if ok else 'SLOW'):>7}")
functional_nonideal = {}
for line in open(nonideal) if os.path.exists(nonideal) else []:
    variant, status, start, end = line.rstrip("\n").split("\t")
    functional_nonideal[variant] = float(end) - float(start) if status == "0" else None
if functional_nonideal.get("ideal") and functional_nonideal.get("nonideal"):
    ratio = functional_nonideal["nonideal"] / functional_nonideal["ideal"]
    functional_nonideal["ratio"] = ratio
    print()
    print(f"functional ResNet18 (mixed-channel, batch 1): ideal {functional_nonideal['ideal']:.2f} s, "
          f"every non-ideality on {functional_nonideal['nonideal']:.2f} s: {ratio:.1f}x "
          f"(target under 2x: {'ok' if ratio < 2 else 'SLOW'})")
# Scale (issue 18), beside the figures the issue measured before the allocator was replaced.
before_map = {"168": 0.09, "672": 0.60, "2688": 6.7, "10752": 133.0}
target_map = {"168": 0.02, "672": 0.1, "2688": 0.5, "10752": 5.0}
scale_rows = {"map": [], "run": []}
print()
print("scale: `mixpim map` ResNet18 CIFAR-10 mixed-channel, ISAAC tiles (issue 18: before, target)")
print(f"{'tiles':>7} {'wall s':>8} {'peak MiB':>9} {'before s':>9} {'target s':>9} {'':>5}")
for line in open(scale) if os.path.exists(scale) else []:
    kind, what, status, start, end, rss = line.rstrip("\n").split("\t")
    wall = float(end) - float(start)
    peak = float(rss) if rss else None
    if kind == "map":
        ok = status == "0" and wall <= target_map[what]
        scale_rows["map"].append({"tiles": int(what), "ok": status == "0", "wall_s": wall, "peak_rss_mib": peak,
                                  "before_s": before_map[what], "target_s": target_map[what]})
        print(f"{what:>7} {wall:>8.3f} {fmt(peak, '9.1f')} {before_map[what]:>9.2f} {target_map[what]:>9.2f} "
              f"{('ok' if ok else 'SLOW'):>5}")
    else:
        per_run = wall / 10
        scale_rows["run"].append({"network": what, "ok": status == "0", "wall_s_per_run": per_run,
                                  "peak_rss_mib": peak, "target_s": 0.030})
print("analytic run including its 16-bit baseline, ISAAC, mixed-channel (mean of 10; target 0.030 s):")
for r in scale_rows["run"]:
    print(f"  {r['network']:<9} {r['wall_s_per_run']:.4f} s, peak {fmt(r['peak_rss_mib'], '.1f')} MiB "
          f"{'ok' if r['ok'] and r['wall_s_per_run'] <= 0.030 else 'SLOW'}")
alloc = {}
if os.path.exists(allocation) and os.path.getsize(allocation) > 0:
    for b in json.load(open(allocation)).get("benchmarks", []):
        name, tiles = b["name"].split("/")[0:2]
        alloc.setdefault(tiles, {})[name] = b["real_time"] / 1000.0  # ms -> s
    print("allocation alone (Google Benchmark): allocate_pes against allocate_pes_reference")
    print(f"{'tiles':>7} {'allocator s':>12} {'reference s':>12} {'ratio':>8}")
    for tiles in sorted(alloc, key=int):
        a = alloc[tiles].get("allocate_pes")
        ref = alloc[tiles].get("allocate_pes_reference")
        ratio = f"{ref / a:.1f}x" if a and ref else "-"
        print(f"{tiles:>7} {fmt(a, '12.4f')} {fmt(ref, '12.4f')} {ratio:>8}")
tmp = path + ".tmp"
with open(tmp, "w") as f:
    json.dump({"benchmarks": results, "sweep": sweep, "cycle_8bit_runs": cycle_runs,
               "functional_nonideal": functional_nonideal,
               "scale": scale_rows, "allocation_s": alloc,
               "machine": {"cores": os.cpu_count(), "uname": " ".join(os.uname()[0:1] + os.uname()[2:5])}},
              f, indent=1)
    f.write("\n")
os.replace(tmp, path)
print(f"written {path}")
PY
for net in vgg19 resnet18; do
  if grep -q "unknown engine" "$work/stderr-$net-cycle" 2>/dev/null; then
    echo "bench: this mixpim has no --engine cycle yet (tests/hw/test_cycle_engine.cpp times the engine in-process)" >&2
    break
  fi
done
