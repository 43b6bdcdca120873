"""mixpim's functional engine with an imported model's weights against PyTorch.

A small CNN with what real models have (batch norm, biases, ReLU6, a residual add, max and
average pooling, a channel concat, depthwise and grouped convolutions, a dilated convolution, a zero Pad folded into a convolution
as asymmetric padding, convolutions fed signed values, a linear classifier) is exported to
ONNX with random (seeded) weights and batch-norm statistics. On a batch of normalised (signed)
inputs, `mixpim run --engine functional -w model.onnx --outputs` must give:

1. at 16 bits, PyTorch's float outputs within 1e-3 of their range: a wrong batch-norm fold, a
   transposed weight, a lost bias or a padding error is far larger;
2. at 8 and 4 bits, the outputs of the same model under mixpim's stated rule applied in PyTorch
   (scripts/mixpim_quant.py, written apart from the C++), within 1e-4 of their range (float32
   batch-norm folding in PyTorch may move a weight across a rounding boundary) and with the
   same top-1 on every image; the quantization error itself (against float) must be at least
   10x the tolerance, so the agreement is not vacuous.

Usage: agreement.py MIXPIM SOURCE_DIR WORK_DIR. Exit 0 pass, 1 fail.
"""
import copy
import json
import os
import subprocess
import sys


import numpy as np
import torch
from torch import nn

mixpim, source_dir, work = sys.argv[1:4]
sys.path.insert(0, os.path.join(source_dir, "scripts"))
import mixpim_quant as mq  # noqa: E402

torch.manual_seed(3)


def conv_bn(cin, cout, k=3, stride=1, bias=False):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=bias), nn.BatchNorm2d(cout))


class Net(nn.Module):
    def __init__(self, zero_pad):
        super().__init__()
        self.stem = conv_bn(3, 16)
        self.a = conv_bn(16, 16)
        self.b = nn.Conv2d(16, 16, 3, 1, 1, bias=True)
        self.pool = nn.MaxPool2d(2)
        self.dw = nn.Sequential(nn.Conv2d(16, 16, 3, 1, 1, groups=16, bias=False),
                                nn.BatchNorm2d(16))  # depthwise
        self.c = nn.Conv2d(16, 8, 1, bias=True, groups=4)  # grouped
        self.d = conv_bn(16, 8, 3, 1, bias=True)
        self.g = nn.Conv2d(16, 16, 3, padding=2, dilation=2)  # dilated
        # A Pad (left 0, right 1, top 1, bottom 0) folded into the conv: asymmetric padding.
        self.h = nn.Sequential(nn.ZeroPad2d((0, 1, 1, 0)) if zero_pad else nn.Identity(),
                               nn.Conv2d(16, 16, 2, padding=0 if zero_pad else 1))
        self.e = conv_bn(16, 16, 3, 2)
        self.avg = nn.AvgPool2d(2)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        s = torch.relu(self.stem(x))
        # A bounded relu (a Clip node, as ReLU6 exports), bound 0.5 so that it clamps.
        r = torch.relu(s + self.b(torch.clamp(self.a(s), 0, 0.5)))
        p = torch.relu(self.dw(self.pool(r)))
        cat = torch.cat([self.c(p), self.d(p)], 1)  # no relu: e's input is signed
        z = self.h(torch.relu(self.g(cat)))  # no relu after h: e's input is signed again
        y = self.avg(torch.relu(self.e(z)))
        return self.fc(torch.flatten(self.gap(y), 1))


def make_model(zero_pad):
    model = Net(zero_pad)
    with torch.no_grad():  # batch-norm statistics far from identity, so a lost fold shows
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return model.eval()


import onnx  # noqa: E402

os.makedirs(work, exist_ok=True)
fail = 0


def check(tag, model, export_mode, opset, expect_ops, batch=8, size=16, bit_widths=(8, 4),
          float_tolerance=1e-3):
    """Exports `model`, then compares mixpim with PyTorch at 16 bits and `bit_widths`."""
    global fail
    x = torch.randn(batch, 3, size, size)
    np.save(os.path.join(work, f"{tag}-x.npy"), x.numpy())
    with open(os.path.join(work, f"{tag}-data.yaml"), "w") as f:
        f.write(f"input: {tag}-x.npy\n")
    onnx_path = os.path.join(work, f"{tag}.onnx")
    torch.onnx.export(model, torch.zeros(1, 3, size, size), onnx_path, opset_version=opset,
                      training=export_mode)
    ops = [n.op_type for n in onnx.load(onnx_path).graph.node]
    for op, count in expect_ops.items():
        if ops.count(op) != count:
            print(f"FAIL: {tag}: the export has {ops.count(op)} {op}, expected {count}:", ops)
            fail = 1
            return
    reference = mq.run_float(model, x).numpy()
    # The rule in PyTorch runs on the float weights mixpim runs (batch norm folded by mixpim, in
    # double): PyTorch's own float32 fold moves some weights across a rounding boundary, and a
    # deep network carries such one-step differences to its outputs. The fold itself is checked
    # against the float model at 16 bits.
    folded = mq.fold_batchnorm(copy.deepcopy(model))
    tag_dir = os.path.join(work, tag)
    os.makedirs(tag_dir, exist_ok=True)
    try:
        mq.import_into(mixpim, onnx_path, folded, tag_dir)
    except ValueError as e:
        print(f"FAIL: {tag}: {e}")
        fail = 1
        return

    runs = {}

    def mixpim_outputs(bits):
        if bits not in runs:
            runs[bits] = run_mixpim(bits)
        return runs[bits]

    def run_mixpim(bits):
        out = os.path.join(work, f"{tag}-run{bits}")
        npy = os.path.join(work, f"{tag}-out{bits}.npy")
        subprocess.run([mixpim, "run", "-e", "functional", "-a",
                        os.path.join(source_dir, "configs/arch/isaac.yaml"), "-w", onnx_path, "-p",
                        os.path.join(source_dir, f"workloads/profiles/uniform{bits}.yaml"),
                        "--data", os.path.join(work, f"{tag}-data.yaml"), "--batch", str(batch),
                        "--no-baseline", "--outputs", npy, "-o", out],
                       check=True, stdout=subprocess.DEVNULL)
        report = json.load(open(os.path.join(out, "report.json")))["functional"]
        return np.load(npy), report

    span = float(reference.max() - reference.min())
    got16, report16 = mixpim_outputs(16)
    err16 = float(np.abs(got16 - reference).max())
    print(f"{tag}, 16 bits: max |mixpim - float| = {err16:.3g} (output range {span:.3g})")
    if report16["weights"] != "real" or not report16["exact"]:
        print(f"FAIL: {tag}: expected real weights and an exact PIM path")
        fail = 1
    if err16 > float_tolerance * span:
        print(f"FAIL: {tag}: 16 bits: mixpim differs from PyTorch's float model")
        fail = 1
    for bits in (16,) + tuple(bit_widths):
        got, report = mixpim_outputs(bits)
        fake = mq.FakeQuant(folded, mq.uniform_precision(folded, bits, bits)).run_batch(x).numpy()
        diff = float(np.abs(got - fake).max())
        quant_error = float(np.abs(fake - reference).max())
        same_top1 = int((got.argmax(1) == fake.argmax(1)).sum())
        print(f"{tag}, {bits} bits: max |mixpim - rule in PyTorch| = {diff:.3g}, max |rule - float| = "
              f"{quant_error:.3g}, top-1 equal on {same_top1}/{batch}")
        if not report["exact"]:
            print(f"FAIL: {tag}: {bits} bits: the PIM path is not exact on ISAAC")
            fail = 1
        if diff > 1e-4 * span or same_top1 != batch:
            print(f"FAIL: {tag}: {bits} bits: mixpim does not follow its stated rule")
            fail = 1
        if bits < 16 and quant_error < 10 * max(diff, 1e-4 * span):
            print(f"FAIL: {tag}: {bits} bits: quantization error too small for the check to mean anything")
            fail = 1


# PRESERVE keeps the BatchNormalization nodes (an EVAL export folds them itself), so mixpim's
# folding is what is tested. ZeroPad2d exports as a constant Pad only below opset 11 (above,
# PyTorch computes the pads in the graph), so the padded variant is exported at opset 10, which
# also gives Clip its bounds as attributes.
check("batchnorm", make_model(False), torch.onnx.TrainingMode.PRESERVE, 13,
      {"BatchNormalization": 5, "Clip": 1})
check("pad", make_model(True), torch.onnx.TrainingMode.PRESERVE, 10,
      {"Pad": 2, "BatchNormalization": 5, "Clip": 1})
# torchvision's MobileNetV2 itself (random initialisation, batch norms as nodes, depthwise
# convolutions, ReLU6, linear bottlenecks), on 96x96 inputs to keep the test short.
import torchvision  # noqa: E402

torch.manual_seed(5)
mobilenet = torchvision.models.mobilenet_v2()
# Batch-norm statistics from a few random batches (at initialisation they are 0 and 1, and the
# outputs vanish below the fixed point's 2^-16).
with torch.no_grad():
    for m in mobilenet.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.momentum = None  # a plain average
    mobilenet.train()
    for _ in range(4):
        mobilenet(torch.randn(8, 3, 96, 96))
# 16-bit activations of this depth keep a power-of-two step of up to 2^-9 (values near 100):
# a float tolerance of 1e-2 of the range.
check("mobilenet_v2", mobilenet.eval(), torch.onnx.TrainingMode.PRESERVE, 13,
      {"BatchNormalization": 52, "Clip": 35}, batch=2, size=96, bit_widths=(8,),
      float_tolerance=1e-2)
print("agreement: all checks passed" if fail == 0 else "agreement: FAILED")
sys.exit(fail)
