#!/usr/bin/python3
"""Accuracy under analog non-idealities (results/nonideal/): a `mixpim sweep` of the functional
engine on the digits test images over the cells' programming variation (sigma) and bits per
cell, for a mixed-precision profile (class-based, per-filter bits) against uniform 8 bits.

Takes the trained models and profiles the methods report produced (scripts/methods_report.py
calls it with its work directory: run2 is the class-based generator's output, run4 the uniform
8-bit QAT recipe), writes the sweep spec there, runs it on both cores and writes report.md,
summary.csv (paths left out: the same bytes on every run) and two plots; then a second sweep
of IR drop (wire resistance) against rows activated per read, as a table.

The sweep sets pe.adc.resolution: exact, so that the ADC's own bits do not mix with the
device's effect when the cells hold more bits.

Usage: /usr/bin/python3 scripts/nonideal_report.py --work METHODS_WORK_DIR [--out results/nonideal]
"""
import argparse
import csv
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import method_tools as mt  # noqa: E402

PROFILES = [("class-based (2-6 bits per filter)", "run2"), ("uniform 8-bit (QAT)", "run4")]
SIGMAS = [0, 0.02, 0.05, 0.1, 0.2]
BITS_PER_CELL = [1, 2, 4]
SEEDS = [1, 2, 3]  # device draws (and nothing else: the inputs are the test images)
# IR drop against rows activated per read (deterministic: no draws). 1 Ohm per cell pitch is
# about an 8 % drop on a fully driven 128x128 array, within the first-order model's ~1 %
# (README "Non-idealities").
WIRE_OHMS = [1]
ROWS_PER_READ = [0, 32, 16]
IR_DROP_IMAGES = 120  # the first 120 test images: the IR-drop model is a pass over each array per read


def first_images(work, count):
    """The first `count` test images and labels as their own data map (the functional engine
    takes a whole .npy as the batch); returns its directory."""
    import numpy as np
    source = os.path.join(work, PROFILES[0][1], "mixpim")
    out = os.path.join(work, f"first-{count}-images")
    os.makedirs(out, exist_ok=True)
    for name in ("x.npy", "labels.npy"):
        np.save(os.path.join(out, name), np.load(os.path.join(source, name))[:count])
    with open(os.path.join(out, "data.yaml"), "w") as f:
        f.write("input: x.npy\n")
    return out


def write_spec(path, work, ir_drop=False):
    runs = [os.path.join(work, run) for _, run in PROFILES]
    data = first_images(work, IR_DROP_IMAGES) if ir_drop else os.path.join(runs[0], "mixpim")
    lines = [
        "name: nonideal-digits" + ("-ir-drop" if ir_drop else ""),
        "description: " + ("accuracy against IR drop and rows activated per read" if ir_drop else
                           "accuracy against programming variation and bits per cell") +
        ", functional engine",
        "base:",
        f"  arch: {os.path.join(mt.ROOT, 'configs', 'arch', 'isaac.yaml')}",
        "  engine: functional",
        f"  batch: {IR_DROP_IMAGES if ir_drop else 360}",
        f"  data: {os.path.join(data, 'data.yaml')}",
        f"  labels: {os.path.join(data, 'labels.npy')}",
        "  set:",
        "    pe.adc.resolution: exact",
        "axes:",
        "  - zip:",
        f"      - {{key: workload, values: [{', '.join(os.path.join(r, 'model.onnx') for r in runs)}]}}",
        f"      - {{key: precision, values: [{', '.join(os.path.join(r, 'profile.yaml') for r in runs)}]}}",
    ]
    if ir_drop:
        lines += [f"  - {{key: pe.crossbar.device.wire_resistance_ohm, values: {WIRE_OHMS}}}",
                  f"  - {{key: pe.crossbar.rows_per_read, values: {ROWS_PER_READ}}}"]
    else:
        lines += [f"  - {{key: pe.crossbar.bits_per_cell, values: {BITS_PER_CELL}}}",
                  f"  - {{key: pe.crossbar.device.programming_sigma, values: {SIGMAS}}}",
                  f"  - {{key: seed, values: {SEEDS}}}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def plot(out, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = dict(zip([p for p, _ in PROFILES], plt.rcParams["axes.prop_cycle"].by_key()["color"]))

    def figure(name, x_of, lines, xlabel, title, xticks=None):
        """One plot of mean accuracy with the range of the draws; lines: (label, points,
        color, linestyle). Written atomically."""
        fig, ax = plt.subplots(figsize=(8, 6))
        for label, points, color, style in lines:
            ax.errorbar([x_of(r) for r in points], [100 * r["accuracy"] for r in points],
                        yerr=[[100 * (r["accuracy"] - r["accuracy_min"]) for r in points],
                              [100 * (r["accuracy_max"] - r["accuracy"]) for r in points]],
                        color=color, linestyle=style, marker="o", markersize=4, capsize=3,
                        label=label)
        if xticks:
            ax.set_xticks(xticks)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("PIM top-1 accuracy on the digits test set (%, mean and range of 3 draws)")
        ax.set_title(title)
        # Below the axes: no legend over the data.
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, fontsize=8)
        fig.tight_layout()
        fig.savefig(os.path.join(out, name + ".tmp.png"), dpi=110)
        plt.close(fig)
        os.replace(os.path.join(out, name + ".tmp.png"), os.path.join(out, name + ".png"))

    figure("accuracy_vs_sigma", lambda r: 100 * r["sigma"],
           [(f"{profile}, {bits} bit(s) per cell",
             [r for r in rows if r["profile"] == profile and r["bits_per_cell"] == bits],
             colors[profile], {1: ":", 2: "-", 4: "--"}[bits])
            for profile, _ in PROFILES for bits in BITS_PER_CELL],
           "programming variation sigma (% of the level's conductance)",
           "Accuracy against cell variation (DigitsCnn, ISAAC, exact ADCs)")
    figure("accuracy_vs_bits_per_cell", lambda r: r["bits_per_cell"],
           [(f"{profile}, sigma {100 * sigma:g} %",
             [r for r in rows if r["profile"] == profile and r["sigma"] == sigma],
             colors[profile], {0.02: ":", 0.05: "-", 0.1: "--"}[sigma])
            for profile, _ in PROFILES for sigma in (0.02, 0.05, 0.1)],
           "bits per cell", "Accuracy against bits per cell (DigitsCnn, ISAAC, exact ADCs)",
           BITS_PER_CELL)


def write_report(out, rows, ir_rows):
    with open(os.path.join(out, "summary.csv.tmp"), "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    os.replace(os.path.join(out, "summary.csv.tmp"), os.path.join(out, "summary.csv"))
    lines = [
        "# Accuracy under analog non-idealities",
        "",
        "Generated by `scripts/nonideal_report.py` (called by `scripts/methods_report.py`, part "
        "of `scripts/run.sh`): a `mixpim sweep` of the functional engine over the 360 digits "
        "test images, DigitsCnn as the methods report trained it, on ISAAC with exact ADCs "
        "(`pe.adc.resolution: exact`), every cell drawn with a Gaussian programming variation "
        "`sigma` relative to its level's conductance (`pe.crossbar.device.programming_sigma`; "
        "on/off ratio 10, every copy of a layer drawn apart; README \"Non-idealities\"). Each "
        "point is drawn with seeds 1, 2 and 3: the mean and the range of the three. Reference: "
        "the same model without the hardware; top-1 agreement (mean) with it.",
        "",
        "| profile | bits per cell | sigma | PIM accuracy (mean) | range of 3 draws | reference "
        "accuracy | top-1 agreement |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['profile']} | {r['bits_per_cell']} | {100 * r['sigma']:g} % | "
                     f"{100 * r['accuracy']:.1f} % | {100 * r['accuracy_min']:.1f} - "
                     f"{100 * r['accuracy_max']:.1f} % | {100 * r['reference_accuracy']:.1f} % | "
                     f"{100 * r['top1_agreement']:.1f} % |")
    # Which cell width loses most at sigma 10 %, per profile, from the numbers above.
    worst = {}
    for r in rows:
        if r["sigma"] == 0.1 and (r["profile"] not in worst or r["accuracy"] < worst[r["profile"]]["accuracy"]):
            worst[r["profile"]] = r
    loses = "; ".join(f"{p}: {w['bits_per_cell']}-bit cells ({100 * w['accuracy']:.1f} %)"
                      for p, w in worst.items())
    lines += ["", "![accuracy against sigma](accuracy_vs_sigma.png)", "",
              "![accuracy against bits per cell](accuracy_vs_bits_per_cell.png)", "",
              "Two effects pull against each other: more bits per cell put more levels between "
              "G_off and G_on, so the same relative sigma is a larger error in levels (and the "
              "high slice's error is shifted further), while fewer slices per weight add fewer "
              "independent errors. Lowest mean accuracy at sigma 10 %: " + loses + ".", ""]
    lines += [
        "## IR drop and rows activated per read",
        "",
        "The same model and test images with wire resistance on rows and columns "
        "(`pe.crossbar.device.wire_resistance_ohm`, first-order model) and no other non-ideality, "
        "reading all of a block's rows at once or row groups of 32 or 16 "
        "(`pe.crossbar.rows_per_read`): a group's read drives only its rows, so the columns carry "
        "less current, for 4 or 8 reads and conversions per 128-row block instead of 1. No draws: "
        f"one run per point, on the first {IR_DROP_IMAGES} test images (the IR-drop model is a "
        "pass over every array per read, so these runs are slow).",
        "",
        "| profile | wire (Ohm per cell) | rows per read | PIM accuracy | reference accuracy | "
        "top-1 agreement |",
        "|---|---|---|---|---|---|",
    ]
    for r in ir_rows:
        per_read = "all" if r["rows_per_read"] == 0 else str(r["rows_per_read"])
        lines.append(f"| {r['profile']} | {r['wire_ohm']:g} | {per_read} | "
                     f"{100 * r['accuracy']:.1f} % | {100 * r['reference_accuracy']:.1f} % | "
                     f"{100 * r['top1_agreement']:.1f} % |")
    lines.append("")
    with open(os.path.join(out, "report.md.tmp"), "w") as f:
        f.write("\n".join(lines))
    os.replace(os.path.join(out, "report.md.tmp"), os.path.join(out, "report.md"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", required=True, help="the methods report's work directory")
    parser.add_argument("--out", default=os.path.join(mt.ROOT, "results", "nonideal"))
    args = parser.parse_args()
    mixpim = mt.mixpim_binary()
    os.makedirs(args.out, exist_ok=True)
    spec = os.path.join(args.work, "nonideal-sweep.yaml")
    write_spec(spec, args.work)
    sweep_out = os.path.join(args.work, "nonideal-sweep")
    env = dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE")
    subprocess.run([mixpim, "sweep", spec, "--out", sweep_out, "-j", "2"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    points = list(csv.DictReader(open(os.path.join(sweep_out, "points.csv"))))
    names = {os.path.join(args.work, run, "profile.yaml"): label for label, run in PROFILES}
    draws = {}
    for p in points:
        if p["status"] != "finished":
            raise SystemExit(f"nonideal report: point {p['id']} {p['status']} ({sweep_out})")
        key = (names[p["precision"]], int(p["pe.crossbar.bits_per_cell"]),
               float(p["pe.crossbar.device.programming_sigma"]))
        draws.setdefault(key, []).append(p)
    rows = []
    for (profile, bits, sigma), runs in draws.items():
        accuracy = [float(r["accuracy"]) for r in runs]
        agreement = [float(r["top1_agreement"]) for r in runs]
        rows.append({
            "profile": profile, "bits_per_cell": bits, "sigma": sigma, "seeds": len(runs),
            "accuracy": sum(accuracy) / len(accuracy), "accuracy_min": min(accuracy),
            "accuracy_max": max(accuracy),
            "reference_accuracy": float(runs[0]["reference_accuracy"]),
            "top1_agreement": sum(agreement) / len(agreement),
        })
    # IR drop against rows per read.
    spec = os.path.join(args.work, "nonideal-ir-drop.yaml")
    write_spec(spec, args.work, ir_drop=True)
    sweep_out = os.path.join(args.work, "nonideal-ir-drop")
    subprocess.run([mixpim, "sweep", spec, "--out", sweep_out, "-j", "2"], check=True, env=env,
                   stdout=subprocess.DEVNULL)
    ir_rows = []
    for p in csv.DictReader(open(os.path.join(sweep_out, "points.csv"))):
        if p["status"] != "finished":
            raise SystemExit(f"nonideal report: point {p['id']} {p['status']} ({sweep_out})")
        ir_rows.append({
            "profile": names[p["precision"]],
            "wire_ohm": float(p["pe.crossbar.device.wire_resistance_ohm"]),
            "rows_per_read": int(p["pe.crossbar.rows_per_read"]),
            "accuracy": float(p["accuracy"]),
            "reference_accuracy": float(p["reference_accuracy"]),
            "top1_agreement": float(p["top1_agreement"]),
        })
    plot(args.out, rows)
    write_report(args.out, rows, ir_rows)
    print(f"nonideal report: {args.out}/report.md")


if __name__ == "__main__":
    main()
