#!/usr/bin/python3
"""The methods report: each quantization method's profile on a real trained model, accuracy
beside energy, at several array sizes (results/methods/).

Runs every generator (scripts/gen_profile_*.py) and, as reference points, the same
quantization-aware recipe at uniform 8 and 4 bits, on the digits (seeded: the same numbers on
every run). Each trained model and profile is then evaluated in mixpim's functional engine on
the test images with labels, on ISAAC with 64x64, 128x128 (the preset) and 256x256 arrays,
against the 16-bit baseline. Writes report.md, summary.csv and accuracy_vs_energy.png, then
runs scripts/nonideal_report.py on the same models (results/nonideal/).

Usage: /usr/bin/python3 scripts/methods_report.py [--out results/methods] [--work DIR]
"""
import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import method_tools as mt  # noqa: E402

# (label, generator script, its arguments)
RUNS = [
    ("activation density", "gen_profile_ad.py", []),
    ("activation density + pruning", "gen_profile_ad.py", ["--prune-density", "0.05"]),
    ("class-based", "gen_profile_class.py", []),
    ("PTILMPQ (4 bits per weight)", "gen_profile_ptilmpq.py", []),
    ("uniform 8-bit (QAT)", "gen_profile_ad.py", ["--start-bits", "8", "--checkpoint", "1000"]),
    ("uniform 4-bit (QAT)", "gen_profile_ad.py", ["--start-bits", "4", "--checkpoint", "1000"]),
]
ARRAY_SIZES = [64, 128, 256]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(mt.ROOT, "results", "methods"))
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    mixpim = mt.mixpim_binary()
    work = args.work or tempfile.mkdtemp(prefix="mixpim-methods-")
    os.makedirs(args.out, exist_ok=True)
    env = dict(os.environ, MIXPIM=mixpim, SC_COPYRIGHT_MESSAGE="DISABLE")
    rows = []
    for index, (label, script, extra) in enumerate(RUNS):
        out = os.path.join(work, f"run{index}")
        print(f"methods report: {label} ...", flush=True)
        subprocess.run([sys.executable, "-W", "ignore", os.path.join(mt.ROOT, "scripts", script),
                        "--out", out] + extra, check=True, env=env, stdout=subprocess.DEVNULL)
        summary = json.load(open(os.path.join(out, "summary.json")))
        x = np.load(os.path.join(out, "mixpim", "x.npy"))
        y = np.load(os.path.join(out, "mixpim", "labels.npy"))
        for size in ARRAY_SIZES:
            pim = mt.evaluate_in_mixpim(
                mixpim, os.path.join(out, "model.onnx"), os.path.join(out, "profile.yaml"), x, y,
                os.path.join(out, f"array{size}"),
                overrides=[f"pe.crossbar.rows={size}", f"pe.crossbar.columns={size}"])
            rows.append({
                "method": label, "array": f"{size}x{size}",
                "bits": " ".join(bits_text(b) for b in summary["bits"].values()),
                "kept_channels": " ".join(f"{v}" for v in summary.get("kept_channels", {}).values()),
                "float_accuracy": summary["float_accuracy"],
                "fake_quant_accuracy": summary["fake_quant_accuracy"],
                "pim_accuracy": pim["accuracy"], "pim_exact": pim["exact"],
                "energy_reduction": pim["energy_reduction"],
                "dac_active": pim["dac_active_fraction"],
                "conversions_kept": pim["conversion_active_fraction"],
                "data_aware_energy_reduction": pim["baseline_energy_pj"] / pim["data_aware_energy_pj"],
                "latency_ratio": pim["latency_ratio"],
            })
    write_csv(os.path.join(args.out, "summary.csv"), rows)
    plot(os.path.join(args.out, "accuracy_vs_energy.png"), rows)
    write_markdown(os.path.join(args.out, "report.md"), rows)
    print(f"methods report: {args.out}/report.md")
    # Accuracy under analog non-idealities, on the models trained above (results/nonideal/).
    subprocess.run([sys.executable, os.path.join(mt.ROOT, "scripts", "nonideal_report.py"),
                    "--work", work], check=True, env=env)


def bits_text(bits):
    """8, or 2-6 when the channels of a layer differ."""
    if isinstance(bits, int):
        return str(bits)
    return str(bits[0]) if min(bits) == max(bits) else f"{min(bits)}-{max(bits)}"


def write_csv(path, rows):
    with open(path + ".tmp", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        for r in rows:
            writer.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})
    os.replace(path + ".tmp", path)


def plot(path, rows):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    markers = {"64x64": "o", "128x128": "s", "256x256": "^"}
    methods = list(dict.fromkeys(r["method"] for r in rows))
    colors = dict(zip(methods, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for r in rows:
        ax.scatter(r["energy_reduction"], 100 * r["pim_accuracy"], color=colors[r["method"]],
                   marker=markers[r["array"]], s=50)
    float_accuracy = rows[0]["float_accuracy"]
    ax.axhline(100 * float_accuracy, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ticks = [t for t in (1, 2, 4, 8, 16, 32, 64, 128)
             if min(r["energy_reduction"] for r in rows) / 1.5 <= t <= 1.5 * max(r["energy_reduction"] for r in rows)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t}x" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("energy reduction against 16 bits (x, log scale)")
    ax.set_ylabel("PIM top-1 accuracy on the digits test set (%)")
    ax.set_title("Accuracy against energy, DigitsCnn on ISAAC (dotted: float)")
    handles = [plt.Line2D([], [], color=colors[m], marker="o", linestyle="", label=m)
               for m in methods]
    handles += [plt.Line2D([], [], color="black", marker=markers[a], linestyle="",
                           label=f"{a} arrays") for a in markers]
    # Outside the axes: no legend over the data.
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(path + ".tmp.png", dpi=110)
    plt.close(fig)
    os.replace(path + ".tmp.png", path)


def write_markdown(path, rows):
    lines = [
        "# Quantization methods on a real model: accuracy beside energy",
        "",
        "Generated by `scripts/methods_report.py` (part of `scripts/run.sh`): DigitsCnn trained "
        "on scikit-learn's handwritten digits (1,797 real 8x8 images, 80/20 split, seed 1), "
        "each method's profile evaluated by `mixpim run --engine functional --labels` on the "
        "360 test images, ISAAC with the array size shown, against the uniform 16-bit "
        "baseline. Float accuracy: the same recipe trained without quantization. Fake-quant: "
        "the method's model under mixpim's rule in PyTorch (`scripts/mixpim_quant.py`); PIM: "
        "mixpim's functional engine (equal to fake-quant image for image, checked). Bits: per "
        "weight layer (conv1, conv2, conv3, fc; a range when its channels differ); kept channels of the pruned layers (of 16, 32, "
        "32).",
        "",
        "| method | arrays | bits | kept channels | float acc. | fake-quant acc. | PIM acc. | exact | energy reduction | DAC rows active | conversions kept | data-aware reduction | latency ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['method']} | {r['array']} | {r['bits']} | {r['kept_channels'] or 'all'} | "
            f"{100 * r['float_accuracy']:.1f} % | "
            f"{100 * r['fake_quant_accuracy']:.1f} % | {100 * r['pim_accuracy']:.1f} % | "
            f"{'yes' if r['pim_exact'] else 'no'} | {r['energy_reduction']:.2f}x | "
            f"{100 * r['dac_active']:.1f} % | {100 * r['conversions_kept']:.1f} % | "
            f"{r['data_aware_energy_reduction']:.2f}x | "
            f"{r['latency_ratio']:.3f} |")
    lines += ["", "![accuracy against energy reduction](accuracy_vs_energy.png)", "",
              "Energy reduction: data-independent energy (every row driven in every input "
              "cycle) against the 16-bit baseline's. DAC rows active: the fraction of DAC "
              "drives whose input slice was not zero on the test images; conversions kept: the "
              "fraction left when a row block with no input bit in a cycle skips its "
              "conversions (`pe.adc.skip_zero_blocks`); data-aware reduction: the 16-bit "
              "baseline's data-independent energy over the profile's data-aware energy with "
              "both (README \"Data-aware energy\"; each generator also writes the activity "
              "it measured as `activity.yaml`, which `mixpim run --activity` takes).", "",
              "Exact: the PIM path equals the integer reference in every layer. At 256x256 "
              "ISAAC's 8-bit ADCs no longer cover the column sums (256 rows x 3 x 1 need 10 "
              "bits, 9 with weight flipping), so conversions lose a bit and accuracy falls: "
              "mixpim's energy for such a chip is that of a chip computing wrong answers "
              "(the run warns; `pe.adc.resolution: exact` prices exact converters).", "",
              "VGG19 and ResNet18 (`--model vgg19|resnet18 --dataset digits32`) run through "
              "the same generators but take far longer than the main job's budget (README "
              "\"Profile generators\").", ""]
    with open(path + ".tmp", "w") as f:
        f.write("\n".join(lines))
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
