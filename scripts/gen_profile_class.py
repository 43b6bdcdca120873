#!/usr/bin/python3
"""Class-based quantization: per-filter weight bits from class-importance scores plus a search.

The method (../shared/papers 002, Class-based Quantization for Neural Networks; only its
abstract is available to us, so the details below are our choices, stated in README): a trained
float model is quantized post-training, filter by filter (and neuron by neuron).

1. Importance per class: for each class c and each output channel j of a weight layer, the
   Taylor importance T[c, j] = mean over the training images of class c of
   |sum over positions of a_j x dL/da_j| (a_j: the channel's output, L: the cross-entropy).
2. Score: channel j is important for class c when T[c, j] is in the top half of its layer's
   channels for that class; its score s_j is the fraction of classes it is important for.
   Channels of the classifier (one per class) all score 1.
3. Bits: b_j = clamp(base + round(s_j x span), min_bits, max_bits): more important channels get
   more bits.
4. Search: the smallest `base` (fewest bits) whose fake-quantized accuracy on a validation
   split (20 % of the training images, not the test set) is within `--tolerance` of the float
   model's there. Activations stay at `--activation-bits` (the method is about weights).

Writes into --out what gen_profile_ad.py writes (model.onnx, profile.yaml with per-channel
weight_bits, summary.json with the scores) and fails unless mixpim's PIM predictions equal the
fake-quantized model's image for image.

Usage: /usr/bin/python3 scripts/gen_profile_class.py --out DIR [--epochs 24] [--span 4]
       [--min-bits 2] [--max-bits 8] [--activation-bits 8] [--tolerance 0.01] [--seed 1]
       [--model digits-cnn|vgg19|resnet18|FILE.py:FUNCTION] [--width 16]
       [--dataset digits|digits32|FILE.py:FUNCTION] [--pim-images N]
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import method_tools as mt  # noqa: E402
import mixpim_quant as mq  # noqa: E402


def class_importance(model, images, labels, classes):
    """T[layer] = array [classes, channels] of mean |sum over positions of a x dL/da|."""
    outputs = {}
    handles = []
    for name, module in mt.weight_modules(model):
        def hook(_, __, out, name=name):
            out.retain_grad()
            outputs[name] = out
        handles.append(module.register_forward_hook(hook))
    model.eval()
    scores = {}
    for c in range(classes):
        x = images[labels == c]
        model.zero_grad()
        loss = F.cross_entropy(model(x), labels[labels == c], reduction="sum")
        loss.backward()
        for name, a in outputs.items():
            taylor = (a * a.grad).detach()
            if taylor.dim() == 4:
                taylor = taylor.sum(dim=(2, 3))
            t = taylor.abs().sum(dim=0).numpy() / len(x)
            scores.setdefault(name, np.zeros((classes, t.shape[0])))[c] = t
    for h in handles:
        h.remove()
    return scores


def class_scores(importance):
    """s_j: the fraction of classes for which channel j is in the top half of its layer."""
    classes, channels = importance.shape
    important = np.zeros(channels)
    for c in range(classes):
        order = np.argsort(-importance[c], kind="stable")
        important[order[: (channels + 1) // 2]] += 1
    return important / classes


def bits_for(scores, base, span, min_bits, max_bits):
    return [int(np.clip(base + round(s * span), min_bits, max_bits)) for s in scores]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=24)
    parser.add_argument("--span", type=int, default=4, help="bits between score 0 and score 1")
    parser.add_argument("--min-bits", type=int, default=2)
    parser.add_argument("--max-bits", type=int, default=8)
    parser.add_argument("--activation-bits", type=int, default=8)
    parser.add_argument("--tolerance", type=float, default=0.01,
                        help="accuracy the search may give up on the validation split")
    parser.add_argument("--seed", type=int, default=1)
    mt.add_task_arguments(parser)
    args = parser.parse_args()
    task = mt.Task(args)
    os.makedirs(args.out, exist_ok=True)
    mixpim = mt.mixpim_binary()
    model, float_accuracy, train_loader, test_loader = mt.train_float(task, args.epochs)
    pairs = list(train_loader)  # one pass: the loader shuffles on every pass
    images = torch.cat([x for x, _ in pairs])
    labels = torch.cat([y for _, y in pairs])
    # A validation split of the training images for the search (the test set stays unseen).
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed))
    validation = order[: len(order) // 5]
    x_val, y_val = images[validation], labels[validation]

    importance = class_importance(model, images, labels, 10)
    layers = [n for n, _ in mt.weight_modules(model)]
    classifier = layers[-1]
    scores = {n: (np.ones(importance[n].shape[1]) if n == classifier
                  else class_scores(importance[n])) for n in layers}

    folded = mq.fold_batchnorm(model)
    with torch.no_grad():
        float_val = float((folded(x_val).argmax(1) == y_val).float().mean())

    def precision(base):
        return {n: {"weight_bits": bits_for(scores[n], base, args.span, args.min_bits,
                                            args.max_bits),
                    "activation_bits": args.activation_bits} for n in layers}

    def validation_accuracy(base):
        fake = mq.FakeQuant(folded, precision(base)).run_batch(x_val).numpy()
        return float((fake.argmax(1) == y_val.numpy()).mean())

    # Fewest bits first: the first base within tolerance (accuracy grows with base).
    search = []
    chosen = args.max_bits
    for base in range(args.min_bits - args.span, args.max_bits + 1):
        acc = validation_accuracy(base)
        search.append({"base": base, "validation_accuracy": acc})
        if acc >= float_val - args.tolerance:
            chosen = base
            break
    summary = mt.finish(
        model, precision(chosen), args.out, mixpim, "class-based",
        f"Class-based per-filter bits (base {chosen}, span {args.span}, "
        f"[{args.min_bits}, {args.max_bits}]), {task.label}, seed {args.seed}",
        test_loader,
        {"method": "class-based", "seed": args.seed, "epochs": args.epochs, "span": args.span,
         "base": chosen, "float_validation_accuracy": float_val, "search": search,
         "scores": {n: [round(float(v), 4) for v in scores[n]] for n in layers},
         "float_accuracy": float_accuracy},
        task)
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
