"""mixpim's quantization rule for real weights, as PyTorch fake quantization.

The functional engine (sim/engines/functional.h, "Real weights") quantizes a float model as follows, and
this module applies the same rule to a torch.nn.Module so that accuracy can be read in PyTorch
and compared image for image with `mixpim run --engine functional`:

- every tensor between layers is fixed point with F = 16 fraction bits (round half away from 0);
- a conv/linear input of a bits is unsigned [0, 2^a - 1], or signed [-2^(a-1), 2^(a-1) - 1] when
  the batch's input has a negative value; its step is 2^(s - F), s the smallest shift that keeps
  the batch's extreme values in range (calibrated on the batch, rounding half up);
- weights per output channel j, symmetric: step d_j = max|W_j| / (2^(w_j-1) - 1),
  q = clamp(round(W / d_j)) (1 bit: d_j = max|W_j|, q in {-1, 0});
- output = acc x d_j x 2^s + b_j x 2^F, rounded to the fixed point; pruned channels are 0;
- average pooling divides the fixed-point window sum with rounding half up.

Batch norm is folded into the convolution before it (torch.fx), as mixpim's ONNX import folds it.
Used by tests/onnx/agreement.py and the profile generators. Runs on Debian's python3-torch.
"""

import math
import os

import torch
import torch.fx
import torch.nn.functional as F
from torch import nn
from torch.fx.experimental.optimization import fuse

FRACTION_BITS = 16
_ONE = float(1 << FRACTION_BITS)


def round_half_away(x):
    return torch.sign(x) * torch.floor(torch.abs(x) + 0.5)


def to_fixed(x):
    """A real tensor on the engine's fixed-point grid (still in real units)."""
    return round_half_away(x * _ONE) / _ONE


def fold_batchnorm(model):
    """A torch.fx GraphModule of `model` in eval mode with every Conv+BatchNorm pair folded."""
    return fuse(model.eval())


def weight_layers(graph_module):
    """(qualified name, module) of every Conv2d / Linear call, in execution order."""
    modules = dict(graph_module.named_modules())
    out = []
    for node in graph_module.graph.nodes:
        if node.op == "call_module" and isinstance(modules[node.target], (nn.Conv2d, nn.Linear)):
            out.append((node.target, modules[node.target]))
    return out


def input_shift(fixed, bits, signed):
    """The smallest shift s keeping the extreme fixed-point values in the a-bit range."""
    lo = -(1 << (bits - 1)) if signed else 0
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    top, bottom = float(fixed.max().clamp(min=0)), float(fixed.min().clamp(max=0))
    s = 0
    while s < 62 and (_round_shift(top, s) > hi or _round_shift(bottom, s) < lo):
        s += 1
    return s, lo, hi


def _round_shift(v, s):
    return v if s == 0 else math.floor((v + 2.0 ** (s - 1)) / 2.0 ** s)


def quantize_weights(weight, bits, kept_out=None):
    """Per-output-channel symmetric integers and steps (float64)."""
    w = weight.detach().to(torch.float64).reshape(weight.shape[0], -1)
    bits = torch.as_tensor(bits).expand(w.shape[0]) if not torch.is_tensor(bits) or bits.dim() == 0 \
        else torch.as_tensor(bits)
    q = torch.zeros_like(w)
    steps = torch.zeros(w.shape[0], dtype=torch.float64)
    for j in range(w.shape[0]):
        b = int(bits[j])
        if kept_out is not None and not kept_out[j]:
            continue
        max_abs = float(w[j].abs().max())
        if max_abs == 0:
            continue
        hi = 0 if b == 1 else (1 << (b - 1)) - 1
        lo = -1 if b == 1 else -hi
        steps[j] = max_abs / (1 if b == 1 else hi)
        q[j] = torch.clamp(round_half_away(w[j] / steps[j]), lo, hi)
    return q.reshape(weight.shape), steps


class FakeQuant(torch.fx.Interpreter):
    """Runs a folded GraphModule under the rule above.

    precision: qualified module name -> dict(weight_bits=int or per-channel list,
    activation_bits=int, kept=per-output-channel list of bools or None). Layers not named run
    in float (use this for float reference runs: precision={}).
    """

    def __init__(self, graph_module, precision):
        super().__init__(graph_module)
        self.precision = precision
        self.modules = dict(graph_module.named_modules())
        self.shifts = {}

    def run_batch(self, x):
        with torch.no_grad():
            return super().run(to_fixed(x.to(torch.float64)))

    def call_module(self, target, args, kwargs):
        module = self.modules[target]
        x = args[0]
        if isinstance(module, (nn.Conv2d, nn.Linear)) and target in self.precision:
            p = self.precision[target]
            fixed = round_half_away(x * _ONE)
            signed = bool(fixed.min() < 0)
            s, lo, hi = input_shift(fixed, p["activation_bits"], signed)
            xq = torch.clamp(torch.floor((fixed + (2.0 ** (s - 1) if s else 0.0)) / 2.0 ** s), lo, hi)
            kept = p.get("kept")
            q, steps = quantize_weights(module.weight, p["weight_bits"], kept)
            if isinstance(module, nn.Conv2d):
                acc = F.conv2d(xq, q, None, module.stride, module.padding, module.dilation, module.groups)
                shape = (1, -1, 1, 1)
            else:
                acc = F.linear(xq, q)
                shape = (1, -1)
            bias = module.bias.detach().to(torch.float64) if module.bias is not None \
                else torch.zeros(q.shape[0], dtype=torch.float64)
            y = round_half_away(acc * (steps * 2.0 ** s).reshape(shape) + (bias * _ONE).reshape(shape))
            if kept is not None:
                y = y * torch.tensor([1.0 if k else 0.0 for k in kept], dtype=torch.float64).reshape(shape)
            self.shifts[target] = s
            return y / _ONE
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            return to_fixed(F.conv2d(x, module.weight.double(), None if module.bias is None else module.bias.double(),
                                     module.stride, module.padding, module.dilation, module.groups)
                            if isinstance(module, nn.Conv2d)
                            else F.linear(x, module.weight.double(), None if module.bias is None else module.bias.double()))
        if isinstance(module, (nn.AvgPool2d, nn.AdaptiveAvgPool2d)):
            return _fixed_average(module(x * _ONE))
        return module(x)

    def call_function(self, target, args, kwargs):
        out = super().call_function(target, args, kwargs)
        if target in (F.avg_pool2d, F.adaptive_avg_pool2d):
            return _fixed_average(out * _ONE)
        return out


def _fixed_average(mean_in_fixed_units):
    # Window sum / area of fixed-point integers, rounded half up (mixpim's div_round).
    return torch.floor(mean_in_fixed_units + 0.5) / _ONE


def import_into(mixpim, onnx_path, folded, work_dir):
    """The mixpim layer names of `folded`'s weight layers, in order, after loading into them the
    float weights mixpim runs (`mixpim import --weights`: batch norm folded in double; PyTorch's
    float32 fold can move a weight across a rounding boundary). Raises ValueError when the
    layers do not line up."""
    import subprocess

    import numpy as np
    import yaml

    weights_dir = os.path.join(work_dir, "imported-weights")
    subprocess.run([mixpim, "import", onnx_path, "-o", os.path.join(work_dir, "imported.yaml"),
                    "--weights", weights_dir], check=True, stdout=subprocess.DEVNULL)
    parameters = yaml.safe_load(open(os.path.join(weights_dir, "data.yaml")))
    names = [k for k in parameters if not k.endswith(".bias")]
    modules = weight_layers(folded)
    if len(names) != len(modules):
        raise ValueError(f"{len(names)} weight layers imported, {len(modules)} in PyTorch")
    with torch.no_grad():
        for name, (_, module) in zip(names, modules):
            w = torch.from_numpy(np.load(os.path.join(weights_dir, parameters[name])))
            b = torch.from_numpy(np.load(os.path.join(weights_dir, parameters[name + ".bias"])))
            if tuple(w.shape) != tuple(module.weight.shape):
                raise ValueError(f"{name} has shape {tuple(w.shape)} in mixpim, "
                                 f"{tuple(module.weight.shape)} in PyTorch")
            module.weight = nn.Parameter(w)
            module.bias = nn.Parameter(b)
    return names


def uniform_precision(graph_module, weight_bits, activation_bits):
    return {name: {"weight_bits": weight_bits, "activation_bits": activation_bits}
            for name, _ in weight_layers(graph_module)}


def run_float(model, x):
    with torch.no_grad():
        return model.eval().to(torch.float64)(x.to(torch.float64))


__all__ = ["FakeQuant", "fold_batchnorm", "weight_layers", "uniform_precision", "run_float",
           "import_into",
           "quantize_weights", "to_fixed", "FRACTION_BITS"]
