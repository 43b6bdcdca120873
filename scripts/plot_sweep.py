#!/usr/bin/python3
"""Plots and a Markdown report for a `mixpim sweep` output directory.

    /usr/bin/python3 scripts/plot_sweep.py DIR [--out OUTDIR] [--title TEXT]

Reads DIR/points.csv (and DIR/summary.json when present) and writes into OUTDIR (default DIR),
each file atomically (temporary file + rename):

    energy_vs_array_size.png      total energy against crossbar size, a line per profile,
                                  a panel per network
    energy_breakdown.png          energy per component (stacked), per array size, a panel per
                                  network and profile
    energy_reduction.png          energy reduction against the 16-bit baseline, per profile and
                                  network (a panel per array size)
    latency_area_vs_array_size.png  latency and chip area against crossbar size
    report.md                     the figures and a table of the numbers

A plot whose axis the sweep does not vary (e.g. no pe.crossbar.rows axis) is skipped, and the
report says so. Runs under Debian's /usr/bin/python3 (matplotlib, Agg backend).
"""

import argparse
import csv
import io
import json
import math
import os
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

ROWS = "pe.crossbar.rows"
COLUMNS = "pe.crossbar.columns"
FIXED_COLUMNS = ("id", "status")
# Columns that points.csv adds after the axis columns (see sim/sweep/sweep.h).
METRICS_START = "workload_name"


def write_atomically(path, data):
    """Writes bytes or text to `path` through a temporary file in the same directory."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; outputs are meant to be shared
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def save_figure(fig, path):
    buffer = io.BytesIO()
    # No software/version metadata: the same numbers give the same bytes.
    fig.savefig(buffer, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    write_atomically(path, buffer.getvalue())


def number(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def base_name(path):
    name = os.path.basename(path or "")
    return name[:-5] if name.endswith(".yaml") else name


class Sweep:
    def __init__(self, directory):
        path = os.path.join(directory, "points.csv")
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            self.header = reader.fieldnames or []
            self.rows = list(reader)
        if not self.header or self.header[:2] != list(FIXED_COLUMNS):
            raise ValueError(f"{path}: not a mixpim sweep points.csv (header {self.header[:3]})")
        self.summary = {}
        summary_path = os.path.join(directory, "summary.json")
        if os.path.exists(summary_path):
            with open(summary_path) as f:
                self.summary = json.load(f)
        end = self.header.index(METRICS_START) if METRICS_START in self.header else len(self.header)
        self.axes = self.header[2:end]
        self.components = [c[len("energy_pj."):] for c in self.header if c.startswith("energy_pj.")]
        self.finished = [r for r in self.rows if r["status"] == "finished"]
        self.name = self.summary.get("name") or os.path.basename(os.path.abspath(directory))
        base = self.summary.get("spec", {}).get("base", {})
        self.base_workload = base.get("workload", "")
        self.base_precision = base.get("precision", "")

    def network(self, row):
        return (row.get("workload_name") or base_name(row.get("workload") or self.base_workload)
                or "network")

    def profile(self, row):
        return (row.get("precision_name") or base_name(row.get("precision") or self.base_precision)
                or "uniform16 (built-in)")

    def has_array_axis(self):
        return ROWS in self.axes or COLUMNS in self.axes

    def array_size(self, row):
        """(sort key, label) of a row's crossbar size, or None."""
        rows = number(row.get(ROWS)) if ROWS in self.axes else None
        cols = number(row.get(COLUMNS)) if COLUMNS in self.axes else None
        if rows is None and cols is None:
            return None
        if rows is not None and cols is not None:
            return (rows * cols, rows, f"{int(rows)}x{int(cols)}")
        value = rows if rows is not None else cols
        return (value, value, f"{int(value)}")

    def array_axis_label(self):
        if ROWS in self.axes and COLUMNS in self.axes:
            return "crossbar size (rows x columns)"
        return "crossbar rows" if ROWS in self.axes else "crossbar columns"

    def other_axes(self):
        """Axes other than array size, network and profile (their values split the lines)."""
        skip = {ROWS, COLUMNS, "workload", "precision"}
        return [a for a in self.axes if a not in skip]

    def variant(self, row):
        others = self.other_axes()
        return ", ".join(f"{a}={row[a]}" for a in others)


def ordered(values):
    """Unique values in first-seen order."""
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def series_label(sweep, row, with_network=False):
    label = sweep.profile(row)
    if with_network:
        label = f"{sweep.network(row)} / {label}"
    variant = sweep.variant(row)
    return f"{label} ({variant})" if variant else label


def array_ticks(ax, sizes):
    xs = [s[1] for s in sizes]
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([s[2] for s in sizes])
    ax.minorticks_off()


def profile_colors(sweep):
    """One colour per profile (series label), the same in every panel and plot."""
    colors = plt.get_cmap("tab10").colors
    labels = ordered(series_label(sweep, r) for r in sweep.finished)
    return {label: colors[k % len(colors)] for k, label in enumerate(labels)}


def plot_lines(ax, sweep, rows, metric, scale, colors):
    """A line per profile against array size; hollow markers where weights were reprogrammed."""
    for label in ordered(series_label(sweep, r) for r in rows):
        points = sorted((sweep.array_size(r), number(r[metric]), reprogrammed(r)) for r in rows
                        if series_label(sweep, r) == label and number(r[metric]) is not None)
        color = colors[label]
        ax.plot([p[0][1] for p in points], [p[1] / scale for p in points], color=color,
                label=label)
        for size, value, hollow in points:
            ax.plot(size[1], value / scale, marker="o", color=color,
                    markerfacecolor="white" if hollow else color)


def figure_legend(fig, sweep, colors, top):
    """The profiles' legend above the panels (never over data), with the hollow-marker key."""
    handles = [plt.Line2D([], [], color=c, marker="o") for c in colors.values()]
    labels = list(colors)
    if any(reprogrammed(r) for r in sweep.finished):
        handles.append(plt.Line2D([], [], marker="o", color="gray", markerfacecolor="white",
                                  linestyle=""))
        labels.append("hollow: weights reprogrammed every inference")
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, top),
               ncol=min(len(labels), 7), fontsize=8, frameon=False)


def plot_energy_vs_array(sweep, out_dir):
    if not sweep.has_array_axis():
        return None, "no pe.crossbar.rows / pe.crossbar.columns axis"
    networks = ordered(sweep.network(r) for r in sweep.finished)
    ncols = min(3, len(networks))
    nrows = math.ceil(len(networks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.5 * ncols, 4 * nrows + 0.6), squeeze=False)
    panels = [ax for row in axes for ax in row]
    for ax in panels[len(networks):]:
        ax.set_visible(False)
    colors = profile_colors(sweep)
    for ax, network in zip(panels, networks):
        rows = [r for r in sweep.finished if sweep.network(r) == network]
        sizes = sorted({sweep.array_size(r) for r in rows})
        plot_lines(ax, sweep, rows, "energy_pj", 1e6, colors)
        array_ticks(ax, sizes)
        ax.set_title(network)
        ax.set_xlabel(sweep.array_axis_label())
        ax.set_ylabel("energy per inference (uJ)")
        ax.set_yscale("log")  # profiles differ by an order of magnitude or more
        ax.grid(True, which="both", alpha=0.3)
    figure_legend(fig, sweep, colors, 0.955)
    fig.suptitle("Energy against array size")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    name = "energy_vs_array_size.png"
    save_figure(fig, os.path.join(out_dir, name))
    return name, None


def plot_breakdown(sweep, out_dir):
    if not sweep.components:
        return None, "no per-component energy in the reports"
    groups = ordered((sweep.network(r), series_label(sweep, r)) for r in sweep.finished)
    totals = {c: sum(number(r.get("energy_pj." + c)) or 0 for r in sweep.finished)
              for c in sweep.components}
    grand = sum(totals.values()) or 1
    # Components under 1 % of the energy of the whole sweep are summed into "other".
    major = sorted((c for c in sweep.components if totals[c] / grand >= 0.01),
                   key=lambda c: -totals[c])
    minor = [c for c in sweep.components if c not in major]
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5 * ncols, 3.8 * nrows), squeeze=False)
    colors = plt.get_cmap("tab20").colors
    for k, (network, label) in enumerate(groups):
        ax = axes[k // ncols][k % ncols]
        rows = [r for r in sweep.finished
                if sweep.network(r) == network and series_label(sweep, r) == label]
        if sweep.has_array_axis():
            rows.sort(key=lambda r: sweep.array_size(r))
            names = [sweep.array_size(r)[2] for r in rows]
            ax.set_xlabel(sweep.array_axis_label())
        else:
            names = [r["id"] for r in rows]
            ax.set_xlabel("point")
        bottom = [0.0] * len(rows)
        stacks = [(c, [number(r.get("energy_pj." + c)) or 0 for r in rows]) for c in major]
        if minor:
            stacks.append(("other", [sum(number(r.get("energy_pj." + c)) or 0 for c in minor)
                                     for r in rows]))
        for i, (component, values) in enumerate(stacks):
            values = [v / 1e6 for v in values]
            ax.bar(range(len(rows)), values, bottom=bottom, label=component,
                   color=colors[i % len(colors)])
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(names, rotation=30 if len(names) > 4 else 0, fontsize=8)
        ax.set_title(f"{network} / {label}", fontsize=9)
        ax.set_ylabel("energy per inference (uJ)")
        ax.grid(True, axis="y", alpha=0.3)
    for k in range(len(groups), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.suptitle("Energy by component")
    fig.tight_layout()
    name = "energy_breakdown.png"
    save_figure(fig, os.path.join(out_dir, name))
    return name, None


def reprogrammed(row):
    """True when the point's weights were time-multiplexed (rewritten every inference)."""
    return row.get("resident") == "false"


def baseline_name(sweep, rows):
    """What the ratios compare with: "16-bit", or the baseline profile's name."""
    names = {r.get("baseline_precision") for r in rows if r.get("baseline_precision")}
    if len(names) != 1:
        return "16-bit" if not names else "per-point"
    name = names.pop()
    return "16-bit" if name == "uniform16" else name


def plot_reduction(sweep, out_dir):
    rows = [r for r in sweep.finished if number(r.get("energy_reduction")) is not None]
    if not rows:
        return None, "no baseline energy_reduction in the reports"
    networks = ordered(sweep.network(r) for r in rows)
    profiles = ordered(series_label(sweep, r) for r in rows)
    sizes = sorted({sweep.array_size(r) for r in rows}) if sweep.has_array_axis() else [None]
    # Panels in a grid of at most two columns, each wide enough for its bars and with its own
    # y scale (a reprogrammed 64x64 point must not flatten the others' bars); the legend sits
    # above the panels, never over data.
    columns = min(len(sizes), 2)
    grid_rows = math.ceil(len(sizes) / columns)
    panel_width = min(14.0, max(4.5, 0.35 * len(networks) * len(profiles) + 1))
    fig, axes = plt.subplots(grid_rows, columns, figsize=(panel_width * columns, 4.4 * grid_rows),
                             squeeze=False)
    width = 0.8 / max(1, len(profiles))
    colors = plt.get_cmap("tab10").colors
    panels = [ax for row in axes for ax in row]
    for ax in panels[len(sizes):]:
        ax.set_visible(False)
    any_reprogrammed = False
    for ax, size in zip(panels, sizes):
        top = 0.0
        for j, profile in enumerate(profiles):
            values, hatches = [], []
            for network in networks:
                match = [r for r in rows
                         if sweep.network(r) == network and series_label(sweep, r) == profile
                         and (size is None or sweep.array_size(r) == size)]
                values.append(number(match[0]["energy_reduction"]) if match else 0)
                hatches.append("//" if match and reprogrammed(match[0]) else "")
            any_reprogrammed = any_reprogrammed or any(hatches)
            xs = [i + (j - (len(profiles) - 1) / 2) * width for i in range(len(networks))]
            bars = ax.bar(xs, values, width, label=profile, color=colors[j % len(colors)])
            for bar, hatch in zip(bars, hatches):
                bar.set_hatch(hatch)
            ax.bar_label(bars, labels=[f"{v:.1f}" if v else "" for v in values], fontsize=6,
                         rotation=90, padding=2)
            top = max([top] + values)
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_ylim(0, top * 1.22 if top > 0 else 1)  # room for the rotated labels
        ax.set_xticks(range(len(networks)))
        ax.set_xticklabels(networks, fontsize=8)
        ax.set_title(f"{size[2]} arrays" if size else "")
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_ylabel(f"energy reduction vs {baseline_name(sweep, rows)} (x)")
    handles, labels = panels[0].get_legend_handles_labels()
    if any_reprogrammed:
        handles.append(plt.Rectangle((0, 0), 1, 1, facecolor="white", edgecolor="black",
                                     hatch="//"))
        labels.append("hatched: weights reprogrammed every inference")
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.965),
               ncol=min(len(labels), 7), fontsize=8, frameon=False)
    fig.suptitle(f"Energy reduction against the {baseline_name(sweep, rows)} baseline on the same "
                 "hardware (bars labelled in x)")
    fig.tight_layout(rect=(0, 0, 1, 0.92))
    name = "energy_reduction.png"
    save_figure(fig, os.path.join(out_dir, name))
    return name, None


def plot_latency_area(sweep, out_dir):
    if not sweep.has_array_axis():
        return None, "no pe.crossbar.rows / pe.crossbar.columns axis"
    # Latency: a panel per network, a line per profile (hollow markers: weights reprogrammed);
    # area does not depend on the profile, so it is one line in the last panel, each point
    # labelled with the ADC bits the converters are built with when the sweep changes them.
    networks = ordered(sweep.network(r) for r in sweep.finished)
    cells = len(networks) + 1
    ncols = min(4, cells)
    nrows = math.ceil(cells / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.8 * nrows + 0.6),
                             squeeze=False)
    panels = [ax for row in axes for ax in row]
    for ax in panels[cells:]:
        ax.set_visible(False)
    sizes = sorted({sweep.array_size(r) for r in sweep.finished})
    colors = profile_colors(sweep)
    for ax, network in zip(panels, networks):
        rows = [r for r in sweep.finished if sweep.network(r) == network]
        plot_lines(ax, sweep, rows, "latency_ns", 1e3, colors)
        array_ticks(ax, sizes)
        ax.set_yscale("log")
        ax.set_title(network, fontsize=9)
        ax.set_xlabel(sweep.array_axis_label())
        ax.set_ylabel("latency per inference (us)")
        ax.grid(True, which="both", alpha=0.3)
    area_ax = panels[len(networks)]
    by_size = {}
    for r in sweep.finished:
        area = number(r["area_mm2"])
        if area is not None:
            by_size.setdefault(sweep.array_size(r), (area, r.get("adc_bits", "")))
    points = sorted(by_size.items())
    area_ax.plot([p[0][1] for p in points], [p[1][0] for p in points], marker="s",
                 color="black")
    if len({p[1][1] for p in points}) > 1:
        for size, (area, bits) in points:
            area_ax.annotate(f"{bits}-bit ADCs", (size[1], area), textcoords="offset points",
                             xytext=(0, 7), ha="center", fontsize=8)
    array_ticks(area_ax, sizes)
    area_ax.margins(x=0.15)
    area_ax.set_title("chip area (every profile)", fontsize=9)
    area_ax.set_xlabel(sweep.array_axis_label())
    area_ax.set_ylabel("chip area (mm2)")
    area_ax.set_ylim(0, max((p[1][0] for p in points), default=1) * 1.2)
    area_ax.grid(True, alpha=0.3)
    figure_legend(fig, sweep, colors, 0.955)
    fig.suptitle("Latency and area against array size")
    fig.tight_layout(rect=(0, 0, 1, 0.9))
    name = "latency_area_vs_array_size.png"
    save_figure(fig, os.path.join(out_dir, name))
    return name, None


def fmt(value, digits=4):
    v = number(value)
    if v is None:
        return ""
    if v == 0:
        return "0"
    if abs(v) >= 1e6 or abs(v) < 1e-3:
        return f"{v:.{digits - 1}e}"
    return f"{v:.{digits}g}"


def adc_cell(row):
    """A point's ADC resolution and whether every conversion (its baseline's too) is exact."""
    bits = row.get("adc_bits", "")
    if not bits:
        return ""
    exact = row.get("adc_exact") == "true" and row.get("baseline_adc_exact", "true") == "true"
    return f"{bits} ({'yes' if exact else '**no**'})"


def adc_sentence(sweep):
    """One sentence on ADC exactness over the finished points (empty for older points.csv)."""
    rows = [r for r in sweep.finished if r.get("adc_exact")]
    if not rows:
        return []
    inexact = [r for r in rows if adc_cell(r).endswith("(**no**)")]
    if not inexact:
        return [f"ADCs: every conversion of all {len(rows)} points and of their 16-bit baselines "
                "is exact (the converters hold every column sum; `adc_exact` in points.csv).", ""]
    return [f"ADCs: **{len(inexact)} of {len(rows)} points lose bits in their conversions** (a point "
            "or its 16-bit baseline has fewer ADC bits than its column sums need; `adc_exact` in "
            "points.csv, and the last column below): their energies are those of a chip that "
            "computes wrong answers.", ""]


def markdown_table(sweep):
    axes = [a for a in sweep.axes if a not in ("workload", "precision")]
    header = (["point", "network", "profile"] + axes +
              ["energy (uJ)", "latency (us)", "area (mm2)", "TOPS/W", "TOPS/mm2",
               "inferences/s", "energy reduction vs 16-bit", "weights resident", "ADC bits (exact)"])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in sweep.rows:
        if r["status"] != "finished":
            cells = [r["id"], sweep.network(r), sweep.profile(r)] + \
                    [r.get(a, "") for a in axes] + [f"**{r['status']}**"] + [""] * 8
        else:
            energy = number(r["energy_pj"])
            latency = number(r["latency_ns"])
            reduction = number(r.get("energy_reduction"))
            cells = [r["id"], sweep.network(r), sweep.profile(r)] + [r.get(a, "") for a in axes] + [
                fmt(energy / 1e6 if energy is not None else None),
                fmt(latency / 1e3 if latency is not None else None),
                fmt(r["area_mm2"]), fmt(r["tops_per_w"]), fmt(r["tops_per_mm2"]),
                fmt(r["throughput_inferences_per_s"]),
                f"{reduction:.3f}x" if reduction is not None else "",
                {"true": "yes", "false": "no (reprogrammed)"}.get(r.get("resident", ""), ""),
                adc_cell(r)]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def report(sweep, figures, skipped, title):
    counts = sweep.summary.get("counts", {})
    spec = sweep.summary.get("spec", {})
    out = [f"# {title or 'Sweep ' + sweep.name}", ""]
    if spec.get("description"):
        out += [spec["description"].strip(), ""]
    if spec.get("path"):
        # Relative to the working directory when below it: reports are committed, and no path
        # of the machine that made them belongs in them.
        path = spec["path"]
        relative = os.path.relpath(path) if os.path.isabs(path) else path
        out += [f"Spec: `{path if relative.startswith('..') else relative}`", ""]
    total = counts.get("total", len(sweep.rows))
    finished = counts.get("finished", len(sweep.finished))
    out += [f"{total} points: {finished} finished, {counts.get('failed', 0)} failed, "
            f"{counts.get('pending', 0)} pending. Axes: "
            + (", ".join(f"`{a}`" for a in sweep.axes) or "none") + ".", ""]
    out += ["Energy is per inference; the energy reduction compares each point with the uniform "
            "16-bit profile of the same network on the same hardware (the `baseline` section of "
            "the point's report.json). Points whose weights do not fit on the chip run "
            "time-multiplexed (weights resident: no), with the reprogramming counted.", ""]
    out += adc_sentence(sweep)
    for caption, name in figures:
        out += [f"## {caption}", "", f"![{caption}]({name})", ""]
    if skipped:
        out += ["Skipped plots:", ""] + [f"- {caption}: {why}" for caption, why in skipped] + [""]
    out += ["## Numbers", "", markdown_table(sweep)]
    failed = [p for p in sweep.summary.get("points", []) if p.get("status") == "failed"]
    if failed:
        out += ["## Failed points", ""]
        for p in failed:
            first = next((l for l in p.get("error", "").splitlines() if l.strip()), "")
            out.append(f"- `{p['id']}`: {first}")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", help="sweep output directory (holds points.csv)")
    parser.add_argument("--out", help="where to write the PNGs and report.md (default: DIR)")
    parser.add_argument("--title", help="report title (default: 'Sweep <name>')")
    args = parser.parse_args(argv)
    try:
        sweep = Sweep(args.dir)
    except (OSError, ValueError, json.JSONDecodeError) as e:
        print(f"plot_sweep: error: {e}", file=sys.stderr)
        return 2
    out_dir = args.out or args.dir
    os.makedirs(out_dir, exist_ok=True)
    if not sweep.finished:
        print("plot_sweep: no finished points: writing the report without figures", file=sys.stderr)
    plots = [
        ("Energy against array size", plot_energy_vs_array),
        ("Energy by component", plot_breakdown),
        ("Energy reduction against 16 bits", plot_reduction),
        ("Latency and area against array size", plot_latency_area),
    ]
    figures, skipped = [], []
    for caption, plot in plots:
        name, why = plot(sweep, out_dir) if sweep.finished else (None, "no finished points")
        if name:
            figures.append((caption, name))
            print(os.path.join(out_dir, name))
        else:
            skipped.append((caption, why))
            print(f"skipped: {caption}: {why}", file=sys.stderr)
    path = os.path.join(out_dir, "report.md")
    write_atomically(path, report(sweep, figures, skipped, args.title))
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
