#!/usr/bin/env python3
"""mixpim's NeuroSim-alike preset beside DNN+NeuroSim V1.4 (results/neurosim/).

NeuroSim's side is data: results/neurosim/neurosim_v1.4.csv holds the figures NeuroSim V1.4
printed when run as an outside program at its defaults on synthetic traces in its wrapper's
format (results/neurosim/README.md says how). This script
  1. writes, per network and precision, the input activity of those traces as a mixpim
     activity file (results/neurosim/activity/): NeuroSim prices a read by the input bits its
     trace drives, so mixpim is given the same bit statistics (sim/compiler/activity.h);
  2. runs `mixpim run` on configs/arch/neurosim-sram.yaml with that activity and NeuroSim's tile
     count, and groups mixpim's components as NeuroSim reports them;
  3. writes results/neurosim/comparison.csv and the table of results/neurosim/README.md
     (between the markers), atomically.

The traces' statistics (gen_traces_hook.py of the reference set-up, stated here as numbers):
layer 1 signed two's-complement codes, no zeros; later layers unsigned, a fraction SPARSITY of
zeros; non-zero magnitudes round(|N(0, ACT_SCALE)|) clipped to [1, 2^(bits-1) - 1].

Usage: /usr/bin/python3 scripts/neurosim_compare.py [--mixpim build/mixpim] [--check]
  --check: compare with the committed comparison.csv instead of writing (exit 1 on change).
"""
import argparse
import csv
import io
import json
import math
import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(ROOT, "results", "neurosim")
SPARSITY = 0.5
ACT_SCALE = 24.0

# (label, NeuroSim network, mixpim workload, profile, bits)
CASES = [
    ("VGG8", "VGG8pad", "vgg8-cifar10", "uniform8", 8),
    ("VGG19-CIFAR", "VGG19C", "vgg19-cifar10", "uniform8", 8),
    ("ResNet18-CIFAR", "ResNet18C", "resnet18-cifar10", "uniform8", 8),
    ("VGG19-CIFAR 4b", "VGG19C", "vgg19-cifar10", "uniform4", 4),
    ("VGG19-CIFAR 16b", "VGG19C", "vgg19-cifar10", "uniform16", 16),
]

# NeuroSim's three energy groups and the mixpim components that do that work.
GROUPS = {
    "adc": ["adc", "xbar", "sample_hold"],  # "ADC (or S/As and precharger for SRAM)"
    "accumulation": ["shift_add", "output_register", "tile_shift_add", "tile_output_register",
                     "flip_correct"],
    "other": ["dac", "input_register", "tile_buffer", "global_buffer", "tile_bus", "router",
              "activation_unit", "pool_unit", "dram", "offchip_link", "reprogram"],
}
INTERCONNECT = ["tile_bus", "router"]


def magnitude_pmf(bits):
    """P(m = k), k = 1 .. 2^(bits-1) - 1, m = clip(round(|N(0, ACT_SCALE)|), 1, 2^(bits-1) - 1)."""
    top = 2 ** (bits - 1) - 1
    cdf = lambda x: math.erf(x / (ACT_SCALE * math.sqrt(2)))  # P(|X| < x)
    pmf = {}
    for k in range(1, top + 1):
        lo = 0.0 if k == 1 else k - 0.5
        hi = math.inf if k == top else k + 0.5
        pmf[k] = (1.0 if hi == math.inf else cdf(hi)) - cdf(lo)
    return pmf


def bit_ones(bits, signed, sparsity):
    pmf = magnitude_pmf(bits)
    ones = []
    for q in range(bits):
        p = 0.0
        for k, pk in pmf.items():
            if signed:  # +k or -k (two's complement), half each
                p += pk * 0.5 * (((k >> q) & 1) + (((2 ** bits - k) >> q) & 1))
            else:
                p += pk * ((k >> q) & 1)
        ones.append((1 - sparsity) * p)
    return ones


def weight_layers(workload):
    """Names of the conv2d/linear layers in network order."""
    with open(os.path.join(ROOT, "workloads", workload + ".yaml"), encoding="utf-8") as f:
        layers = yaml.safe_load(f)["layers"]
    return [l["name"] for l in layers if l["type"] in ("conv2d", "linear")]


def activity_text(workload, bits):
    lines = ["source: \"DNN+NeuroSim V1.4 synthetic traces: layer 1 signed, no zeros; then %g zeros, "
             "|N(0, %g)| magnitudes (scripts/neurosim_compare.py)\"" % (SPARSITY, ACT_SCALE),
             "layers:"]
    for i, name in enumerate(weight_layers(workload)):
        first = i == 0
        ones = bit_ones(bits, signed=first, sparsity=0.0 if first else SPARSITY)
        lines.append("  %s:" % name)
        lines.append("    density: %.6f" % (1.0 if first else 1 - SPARSITY))
        lines.append("    bit_ones: [%s]" % ", ".join("%.6f" % p for p in ones))
    return "\n".join(lines) + "\n"


def mesh(tiles):
    columns = math.ceil(math.sqrt(tiles))
    rows = math.ceil(tiles / columns)
    return columns, rows


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def run_mixpim(mixpim, case, tiles, activity_path, workdir, extra=()):
    label, _, workload, profile, bits = case
    columns, rows = mesh(tiles)
    out = os.path.join(workdir, workload + "-" + profile + "-" + str(len(extra)))
    cmd = [mixpim, "run", "--arch", "configs/arch/neurosim-sram.yaml",
           "--workload", "workloads/%s.yaml" % workload,
           "--precision", "workloads/profiles/%s.yaml" % profile,
           "--set", "chip.tiles=%d" % (columns * rows),
           "--set", "chip.noc.mesh_columns=%d" % columns, "--set", "chip.noc.mesh_rows=%d" % rows,
           "--activity", os.path.relpath(activity_path, ROOT), "--activity-applied"] + \
        [a for e in extra for a in ("--set", e)] + ["--out", out]
    env = dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE")
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    report = json.load(open(os.path.join(out, "report.json")))
    comp = report["components"]
    group = {g: sum(comp[c]["energy_pj"] for c in names if c in comp) / 1e6
             for g, names in GROUPS.items()}
    return {
        "tiles": columns * rows,
        "energy_uj": report["totals"]["energy_pj"] / 1e6,
        "leakage_uj": report["totals"]["leakage_energy_pj"] / 1e6,
        "adc_uj": group["adc"], "accumulation_uj": group["accumulation"], "other_uj": group["other"],
        "interconnect_uj": sum(comp[c]["energy_pj"] for c in INTERCONNECT if c in comp) / 1e6,
        "interval_ns": report["totals"]["interval_ns"],
        "area_mm2": report["totals"]["area_mm2"],
        "conversions": comp["adc"]["counts"]["convert"],
        "command": " ".join(c if " " not in c else "'%s'" % c for c in
                            ["mixpim"] + cmd[1:cmd.index("--out")]),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mixpim", default=os.path.join(ROOT, "build", "mixpim"))
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    neurosim = {}
    for row in csv.DictReader(open(os.path.join(OUT, "neurosim_v1.4.csv"))):
        neurosim[(row["network"], int(row["bits"]))] = row
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for case in CASES:
            label, ns_net, workload, profile, bits = case
            ns = neurosim[(ns_net, bits)]
            activity = os.path.join(OUT, "activity", "%s-%db.yaml" % (workload, bits))
            text = activity_text(workload, bits)
            if args.check:
                if open(activity).read() != text:
                    sys.exit("neurosim_compare: %s differs from what the statistics give" % activity)
            else:
                write_atomic(activity, text)
            m = run_mixpim(os.path.abspath(args.mixpim), case, int(ns["tiles"]), activity, workdir)
            # NeuroSim's novel mapping (a kernel position's rows in their own blocks).
            nm = run_mixpim(os.path.abspath(args.mixpim), case, int(ns["tiles"]), activity, workdir,
                            extra=("mapping.row_blocks=per_kernel_position",))
            ns_total = float(ns["dynamic_uj"]) + float(ns["leakage_uj"])
            rows.append({
                "case": label, "bits": bits,
                "neurosim_energy_uj": "%.3f" % ns_total, "mixpim_energy_uj": "%.3f" % m["energy_uj"],
                "energy_ratio": "%.3f" % (m["energy_uj"] / ns_total),
                "neurosim_adc_uj": ns["adc_uj"], "mixpim_adc_uj": "%.3f" % m["adc_uj"],
                "neurosim_accumulation_uj": ns["accumulation_uj"],
                "mixpim_accumulation_uj": "%.3f" % m["accumulation_uj"],
                "neurosim_other_uj": ns["other_uj"], "mixpim_other_uj": "%.3f" % m["other_uj"],
                "neurosim_interconnect_uj": ns["interconnect_uj"],
                "mixpim_interconnect_uj": "%.3f" % m["interconnect_uj"],
                "neurosim_leakage_uj": ns["leakage_uj"], "mixpim_leakage_uj": "%.3f" % m["leakage_uj"],
                "neurosim_interval_ns": ns["interval_ns"], "mixpim_interval_ns": "%.1f" % m["interval_ns"],
                "neurosim_area_mm2": ns["area_mm2"], "mixpim_area_mm2": "%.2f" % m["area_mm2"],
                "neurosim_tiles": ns["tiles"], "mixpim_tiles": m["tiles"],
                "mixpim_conversions": m["conversions"],
                "mixpim_kernel_position_energy_uj": "%.3f" % nm["energy_uj"],
                "mixpim_kernel_position_energy_ratio": "%.3f" % (nm["energy_uj"] / ns_total),
                "mixpim_kernel_position_adc_uj": "%.3f" % nm["adc_uj"],
                "mixpim_kernel_position_conversions": nm["conversions"],
                "mixpim_command": m["command"],
            })
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    csv_path = os.path.join(OUT, "comparison.csv")
    if args.check:
        if open(csv_path).read() != buf.getvalue():
            sys.exit("neurosim_compare: results/neurosim/comparison.csv changed; rerun without --check")
        print("neurosim_compare: comparison.csv and activity files unchanged")
        return
    write_atomic(csv_path, buf.getvalue())

    table = ["| case | energy per image, NeuroSim / mixpim (ratio) | ADC and sense | accumulation "
             "| other (of which interconnect) | leakage | pipeline interval | chip area (tiles) "
             "| per kernel position: energy (ratio), ADC and sense |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        table.append("| %s | %s / %s uJ (%s) | %s / %s | %s / %s | %s (%s) / %s (%s) | %s / %s | "
                     "%.1f / %.1f us | %s / %s mm2 (%s / %s) | %s uJ (%s), %s |" % (
                         r["case"], r["neurosim_energy_uj"], r["mixpim_energy_uj"], r["energy_ratio"],
                         r["neurosim_adc_uj"], r["mixpim_adc_uj"], r["neurosim_accumulation_uj"],
                         r["mixpim_accumulation_uj"], r["neurosim_other_uj"],
                         r["neurosim_interconnect_uj"], r["mixpim_other_uj"],
                         r["mixpim_interconnect_uj"], r["neurosim_leakage_uj"], r["mixpim_leakage_uj"],
                         float(r["neurosim_interval_ns"]) / 1000, float(r["mixpim_interval_ns"]) / 1000,
                         r["neurosim_area_mm2"], r["mixpim_area_mm2"], r["neurosim_tiles"],
                         r["mixpim_tiles"], r["mixpim_kernel_position_energy_uj"],
                         r["mixpim_kernel_position_energy_ratio"], r["mixpim_kernel_position_adc_uj"]))
    base = {r["bits"]: r for r in rows if r["case"].startswith("VGG19")}
    trend = []
    for bits in (4, 16):
        ns = float(base[bits]["neurosim_energy_uj"]) / float(base[8]["neurosim_energy_uj"])
        mx = float(base[bits]["mixpim_energy_uj"]) / float(base[8]["mixpim_energy_uj"])
        trend.append("| VGG19-CIFAR %d b / 8 b | %.3f | %.3f | %+.1f %% |" % (bits, ns, mx, 100 * (mx / ns - 1)))
    text = "\n".join(table) + "\n\nPrecision trend (energy relative to 8 bits):\n\n" + \
        "| ratio | NeuroSim | mixpim | difference |\n|---|---|---|---|\n" + "\n".join(trend) + "\n"
    readme = os.path.join(OUT, "README.md")
    old = open(readme).read()
    start, end = "<!-- table: scripts/neurosim_compare.py -->\n", "<!-- end table -->"
    if start not in old or end not in old:
        sys.exit("neurosim_compare: %s lacks the table markers" % readme)
    new = old[:old.index(start) + len(start)] + text + old[old.index(end):]
    write_atomic(readme, new)
    print(text)


if __name__ == "__main__":
    main()
