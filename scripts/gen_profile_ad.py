#!/usr/bin/python3
"""Activation-density (AD) in-training mixed precision: a mixpim profile from training.

The method (../shared/papers 001, Activation Density based Mixed-Precision Quantization; only
its abstract is available to us, so the rule below is the form the issue states, and we say so
in README): train under quantization; at checkpoints measure each layer's activation density
AD_l, the fraction of its outputs that are non-zero after its ReLU, over the training set; set
the layer's bits b_l <- max(min_bits, ceil(AD_l * b_l)); continue training at the new bits. A
layer not followed by a ReLU (the classifier) keeps its bits. A layer's weights and its input
activations use b_l (mixpim's activation_bits is a layer's input width).

Writes into --out: model.onnx (the trained float weights), profile.yaml (per-layer bits, mixpim
layer names), summary.json (AD and bits per checkpoint, float / fake-quantized / PIM accuracy,
energy and latency against 16 bits; float accuracy is the same recipe and seed trained without
quantization). Checks that mixpim's PIM accuracy equals the fake-quantized
accuracy image for image (exact ADCs) and exits 1 otherwise.

Usage: /usr/bin/python3 scripts/gen_profile_ad.py --out DIR [--epochs 24] [--checkpoint 6]
       [--start-bits 16] [--min-bits 2] [--seed 1]
       [--model digits-cnn|vgg19|resnet18|FILE.py:FUNCTION] [--width 16]
       [--dataset digits|digits32|FILE.py:FUNCTION] [--pim-images N]
"""
import argparse
import math
import os
import sys

import torch
import torch.fx
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import method_tools as mt  # noqa: E402


def ad_bits(density, bits, min_bits):
    """The AD rule: b <- max(min_bits, ceil(AD * b))."""
    return max(min_bits, math.ceil(density * bits - 1e-12))


def relu_followed(model):
    """Names of the Conv2d/Linear modules whose output goes straight into a ReLU."""
    traced = torch.fx.symbolic_trace(model)
    modules = dict(traced.named_modules())
    relus = {torch.relu, torch.nn.functional.relu}
    out = set()
    for node in traced.graph.nodes:
        if node.op == "call_module" and isinstance(modules[node.target], (nn.Conv2d, nn.Linear)):
            users = list(node.users)
            if len(users) == 1 and (users[0].target in relus or (
                    users[0].op == "call_module" and isinstance(modules[users[0].target], nn.ReLU))):
                out.add(node.target)
    return out


def activation_density(model, loader, names):
    """Fraction of positive outputs (non-zero after the ReLU) of each named layer: the mean of
    its channels' densities (every channel has as many outputs)."""
    return {n: float(sum(d) / len(d)) for n, d in channel_density(model, loader, names).items()}


def channel_density(model, loader, names):
    """Per output channel of each named layer: the fraction of its outputs that are positive."""
    means = mt.channel_means(model, (x for x, _ in loader), names, lambda out: out > 0)
    return {n: m.tolist() for n, m in means.items()}


def prune_mask(density, threshold):
    """Kept channels: density at least the threshold; the densest channel always stays."""
    kept = [d >= threshold for d in density]
    if not any(kept):
        kept[max(range(len(density)), key=lambda j: density[j])] = True
    return kept


def zero_pruned(model, kept, consumers):
    """Pruned channels do not exist: their weights and bias are zero, and so are the weights
    of their consumers' rows that read them (mixpim removes those rows, so they must not set a
    consumer's quantization step either)."""
    modules = dict(model.named_modules())
    with torch.no_grad():
        for name, mask in kept.items():
            gone = torch.tensor([not k for k in mask])
            modules[name].weight[gone] = 0
            if modules[name].bias is not None:
                modules[name].bias[gone] = 0
            for consumer in consumers.get(name, []):
                modules[consumer].weight[:, gone] = 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--checkpoint", type=int, default=6, help="epochs between AD updates")
    parser.add_argument("--start-bits", type=int, default=16)
    parser.add_argument("--min-bits", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prune-density", type=float, default=0.0,
                        help="AD pruning: remove channels whose activation density on the "
                             "training set is below this (0: no pruning)")
    parser.add_argument("--finetune", type=int, default=4,
                        help="epochs of training after pruning")
    mt.add_task_arguments(parser)
    args = parser.parse_args()
    task = mt.Task(args)
    os.makedirs(args.out, exist_ok=True)
    mixpim = mt.mixpim_binary()
    # The float reference: the same recipe and seed without quantization.
    _, float_accuracy, _, _ = mt.train_float(task, args.epochs)

    mt.seed_everything(args.seed)
    train_loader, test_loader = task.loaders()
    model = task.new_model()
    layers = [n for n, _ in mt.weight_modules(model)]
    followed = relu_followed(model)
    bits = {n: args.start_bits for n in layers}
    quant = mt.QuantTraining(model, {n: (b, b) for n, b in bits.items()})
    history = []

    def checkpoint(epoch):
        if (epoch + 1) % args.checkpoint != 0 or epoch + 1 == args.epochs:
            return
        density = activation_density(model, train_loader, followed)
        for n in followed:
            bits[n] = ad_bits(density[n], bits[n], args.min_bits)
            quant.bits[n] = (bits[n], bits[n])
        history.append({"epoch": epoch + 1, "density": density, "bits": dict(bits)})

    mt.train(model, train_loader, args.epochs, on_epoch=checkpoint)
    kept = {}
    if args.prune_density > 0:
        # AD pruning: channels that (almost) never fire go, then training continues without them.
        consumers = mt.channel_consumers(model, task.example)
        density = channel_density(model, train_loader, set(consumers) & followed)
        kept = {n: prune_mask(d, args.prune_density) for n, d in density.items()}
        zero_pruned(model, kept, consumers)
        mt.train(model, train_loader, args.finetune, on_step=lambda: zero_pruned(model, kept, consumers))
    quant.remove()
    # A fresh module with the trained weights (the training hooks patched forward).
    trained = task.new_model()
    trained.load_state_dict(model.state_dict())
    summary = mt.finish(
        trained, {t: {"weight_bits": bits[t], "activation_bits": bits[t], "kept": kept.get(t)}
                  for t in layers},
        args.out, mixpim, "activation-density" + ("-pruned" if kept else ""),
        f"Activation-density bits (b <- ceil(AD b) every {args.checkpoint} epochs from "
        f"{args.start_bits}), {task.label}, seed {args.seed}", test_loader,
        {"method": "activation-density", "seed": args.seed, "epochs": args.epochs,
         "checkpoint_epochs": args.checkpoint, "start_bits": args.start_bits,
         "prune_density": args.prune_density, "history": history,
         "float_accuracy": float_accuracy},  # the same recipe trained without quantization
        task)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
