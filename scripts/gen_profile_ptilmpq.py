#!/usr/bin/python3
"""PTILMPQ: post-training intra-layer multi-precision from layer and channel importance.

The method (../shared/papers 000, Post-Training Intra-Layer Multi-Precision Quantization; only
its abstract is available to us, so the details below are our choices, stated in README): a
trained float model is quantized after training with a small calibration set (128 training
images), its channels getting different bits within a layer under a weight-memory budget.

1. Layer importance L_l: the calibration loss increase when layer l alone has its weights at
   the lowest level (others float), normalised to sum to 1.
2. Channel importance I_lj: |W_j| (L2 norm of the channel's weights) x mean |a_j| (its mean
   absolute output on the calibration images), normalised within the layer to sum to 1.
3. Allocation: every channel starts at the lowest level of `--levels` (2, 4, 6, 8); while the
   budget allows, the channel with the highest L_l x I_lj x 4^-b / (its weights x the step to
   the next level) moves up one level (a quantization error of step 2^-b has power 4^-b).
   The budget is `--budget-bits` per weight on average (default 4: the memory of uniform
   4-bit weights). Activations stay at `--activation-bits`.

Writes model.onnx, profile.yaml (per-channel weight_bits) and summary.json into --out and fails
unless mixpim's PIM predictions equal the fake-quantized model's image for image.

Usage: /usr/bin/python3 scripts/gen_profile_ptilmpq.py --out DIR [--budget-bits 4]
       [--levels 2,4,6,8] [--activation-bits 8] [--epochs 24] [--seed 1]
       [--model digits-cnn|vgg19|resnet18|FILE.py:FUNCTION] [--width 16]
       [--dataset digits|digits32|FILE.py:FUNCTION] [--pim-images N]
"""
import argparse
import heapq
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import method_tools as mt  # noqa: E402
import mixpim_quant as mq  # noqa: E402


def layer_importance(folded, x, y, low_bits, layers):
    """Calibration loss increase with one layer's weights at `low_bits` (others float)."""
    with torch.no_grad():
        base = float(F.cross_entropy(folded(x), y))
        out = {}
        for name in layers:
            fake = mq.FakeQuant(folded, {name: {"weight_bits": low_bits, "activation_bits": 16}})
            loss = float(F.cross_entropy(fake.run_batch(x), y))
            out[name] = max(loss - base, 0.0) + 1e-12
    total = sum(out.values())
    return {n: v / total for n, v in out.items()}


def channel_importance(model, x, layers):
    """|W_j| x mean |a_j| per output channel, normalised within the layer."""
    activity = {n: m.numpy() for n, m in mt.channel_means(model, [x], layers, torch.abs).items()}
    modules = dict(model.named_modules())
    out = {}
    for name in layers:
        w = modules[name].weight.detach().reshape(modules[name].weight.shape[0], -1)
        score = w.norm(dim=1).numpy() * activity[name] + 1e-12
        out[name] = score / score.sum()
    return out


def allocate(layer_weight, channel_score, weights_per_channel, levels, budget_bits):
    """Greedy promotion under the budget (module docstring). Returns bits per channel."""
    bits = {n: [levels[0]] * len(s) for n, s in channel_score.items()}
    used = sum(levels[0] * weights_per_channel[n] * len(s) for n, s in channel_score.items())
    heap = []

    def push(n, j):
        level = levels.index(bits[n][j])
        if level + 1 < len(levels):
            step = levels[level + 1] - levels[level]
            gain = layer_weight[n] * channel_score[n][j] * 4.0 ** -bits[n][j]
            heapq.heappush(heap, (-gain / (weights_per_channel[n] * step), n, j))

    for n, s in channel_score.items():
        for j in range(len(s)):
            push(n, j)
    while heap:
        _, n, j = heapq.heappop(heap)
        level = levels.index(bits[n][j])
        cost = (levels[level + 1] - levels[level]) * weights_per_channel[n]
        if used + cost > budget_bits:
            continue  # a cheaper promotion elsewhere may still fit
        used += cost
        bits[n][j] = levels[level + 1]
        push(n, j)
    return bits, used


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--budget-bits", type=float, default=4.0,
                        help="average weight bits the allocation may use")
    parser.add_argument("--levels", default="2,4,6,8")
    parser.add_argument("--activation-bits", type=int, default=8)
    parser.add_argument("--calibration", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1)
    mt.add_task_arguments(parser)
    args = parser.parse_args()
    task = mt.Task(args)
    os.makedirs(args.out, exist_ok=True)
    mixpim = mt.mixpim_binary()
    levels = [int(v) for v in args.levels.split(",")]
    model, float_accuracy, train_loader, test_loader = mt.train_float(task, args.epochs)
    pairs = list(train_loader)
    x = torch.cat([a for a, _ in pairs])[: args.calibration]
    y = torch.cat([b for _, b in pairs])[: args.calibration]
    layers = [n for n, _ in mt.weight_modules(model)]
    folded = mq.fold_batchnorm(model)
    layer_weight = layer_importance(folded, x, y, levels[0], layers)
    channel_score = channel_importance(model, x, layers)
    modules = dict(model.named_modules())
    per_channel = {n: modules[n].weight[0].numel() for n in layers}
    total_weights = sum(modules[n].weight.numel() for n in layers)
    bits, used = allocate(layer_weight, channel_score, per_channel, levels,
                          args.budget_bits * total_weights)
    summary = mt.finish(
        model, {n: {"weight_bits": bits[n], "activation_bits": args.activation_bits}
                for n in layers},
        args.out, mixpim, "ptilmpq",
        f"PTILMPQ per-channel bits (levels {args.levels}, {args.budget_bits} bits per weight "
        f"on average), {task.label}, seed {args.seed}", test_loader,
        {"method": "ptilmpq", "seed": args.seed, "epochs": args.epochs,
         "budget_bits_per_weight": args.budget_bits,
         "used_bits_per_weight": used / total_weights,
         "layer_importance": layer_weight,
         "scores": {n: [round(float(v), 5) for v in channel_score[n]] for n in layers},
         "float_accuracy": float_accuracy},
        task)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
