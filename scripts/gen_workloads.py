#!/usr/bin/env python3
"""Generates the shipped networks and example precision profiles under workloads/.

Networks (standard CIFAR variants, batch norm folded, no biases):
  VGG19    16 conv3x3 (pad 1) in groups 64,64 | 128,128 | 256x4 | 512x4 | 512x4, each group
           followed by a 2x2 max-pool, then global average pool, flatten, one linear layer.
  VGG8     DNN+NeuroSim's benchmark (CIFAR-10 only): conv3x3 128,128 | 256,256 | 512,512,
           each pair followed by a 2x2 max-pool, then linear 8192 -> 1024 -> 10.
  ResNet18 conv3x3 stem with 64 channels (no max-pool), four stages of two BasicBlocks
           (64, 128, 256, 512); the first block of stages 2-4 has stride 2 and a 1x1 stride-2
           projection shortcut; global average pool, flatten, one linear layer.
for CIFAR-10 (32x32, 10 classes), CIFAR-100 (32x32, 100) and TinyImageNet (64x64, 200).

The mixed and pruned profiles are examples that exercise the formats in the spirit of the
methods in shared/papers (per-layer bits from activation density, per-channel bits from
importance, activation-density pruning); they are not published results.

Run from anywhere: `/usr/bin/python3 scripts/gen_workloads.py`. Output is deterministic.
"""

import os

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads")

DATASETS = [("cifar10", 32, 10), ("cifar100", 32, 100), ("tinyimagenet", 64, 200)]


def shape(values):
    return "[" + ", ".join(str(v) for v in values) + "]"


class Builder:
    """Accumulates layers with explicit shapes; each method returns the new layer's name."""

    def __init__(self, input_shape):
        self.lines = []
        self.shapes = {"input": list(input_shape)}
        self.last = "input"

    def _emit(self, name, kind, src, out, extra="", explicit_from=False):
        fields = ["name: " + name, "type: " + kind]
        if explicit_from:
            fields.append("from: [" + ", ".join(src) + "]")
        if extra:
            fields.append(extra)
        fields.append("input: " + shape(self.shapes[src[0]]))
        fields.append("output: " + shape(out))
        self.lines.append("  - {" + ", ".join(fields) + "}")
        self.shapes[name] = out
        self.last = name
        return name

    def conv(self, name, cout, kernel, stride=1, padding=0, src=None):
        c, h, w = self.shapes[src or self.last]
        out = [cout, (h + 2 * padding - kernel) // stride + 1, (w + 2 * padding - kernel) // stride + 1]
        extra = "kernel: %d" % kernel
        if stride != 1:
            extra += ", stride: %d" % stride
        if padding:
            extra += ", padding: %d" % padding
        return self._emit(name, "conv2d", [src or self.last], out, extra, src not in (None, self.last))

    def unary(self, name, kind, src=None, extra=""):
        s = self.shapes[src or self.last]
        if kind == "maxpool":
            out = [s[0], s[1] // 2, s[2] // 2]
        elif kind == "global_avgpool":
            out = [s[0], 1, 1]
        elif kind == "flatten":
            out = [s[0] * s[1] * s[2]]
        else:
            out = list(s)
        return self._emit(name, kind, [src or self.last], out, extra, src not in (None, self.last))

    def linear(self, name, features):
        return self._emit(name, "linear", [self.last], [features])

    def add(self, name, a, b):
        return self._emit(name, "add", [a, b], list(self.shapes[a]), "", True)


VGG19_GROUPS = [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4]


def vgg19(image, classes):
    b = Builder([3, image, image])
    for g, group in enumerate(VGG19_GROUPS, start=1):
        for i, cout in enumerate(group, start=1):
            b.conv("conv%d_%d" % (g, i), cout, 3, padding=1)
            b.unary("relu%d_%d" % (g, i), "relu")
        b.unary("pool%d" % g, "maxpool", extra="kernel: 2, stride: 2")
    b.unary("gap", "global_avgpool")
    b.unary("flatten", "flatten")
    b.linear("fc", classes)
    return b.lines


def vgg8(image, classes):
    """VGG8 as DNN+NeuroSim benchmarks it (its NetWork_VGG8.csv; Peng et al., IEDM 2019):
    conv3x3 (pad 1) 128, 128 | 256, 256 | 512, 512, each pair followed by a 2x2 max-pool,
    then linear 8192 -> 1024 and 1024 -> classes."""
    b = Builder([3, image, image])
    for g, cout in enumerate([128, 256, 512], start=1):
        for i in (1, 2):
            b.conv("conv%d_%d" % (g, i), cout, 3, padding=1)
            b.unary("relu%d_%d" % (g, i), "relu")
        b.unary("pool%d" % g, "maxpool", extra="kernel: 2, stride: 2")
    b.unary("flatten", "flatten")
    b.linear("fc1", 1024)
    b.unary("relu_fc1", "relu")
    b.linear("fc2", classes)
    return b.lines


def resnet18(image, classes):
    b = Builder([3, image, image])
    b.conv("conv1", 64, 3, padding=1)
    x = b.unary("relu1", "relu")
    cin = 64
    for stage, planes in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            stride = 2 if stage > 1 and block == 0 else 1
            p = "layer%d.%d." % (stage, block)
            b.conv(p + "conv1", planes, 3, stride=stride, padding=1, src=x)
            b.unary(p + "relu1", "relu")
            main = b.conv(p + "conv2", planes, 3, padding=1)
            shortcut = x
            if stride != 1 or cin != planes:
                shortcut = b.conv(p + "shortcut", planes, 1, stride=stride, src=x)
            b.add(p + "add", main, shortcut)
            x = b.unary(p + "relu2", "relu")
            cin = planes
    b.unary("gap", "global_avgpool")
    b.unary("flatten", "flatten")
    b.linear("fc", classes)
    return b.lines


def resnet50(image, classes):
    """ResNet-50 (He et al., CVPR 2016, Table 1): 7x7/2 stem, 3x3/2 max pool, bottleneck blocks
    [3, 4, 6, 3] of 1x1, 3x3 (stride in the 3x3), 1x1 with 4x expansion."""
    b = Builder([3, image, image])
    b.conv("conv1", 64, 7, stride=2, padding=3)
    b.unary("relu1", "relu")
    x = b.unary("pool1", "maxpool", extra="kernel: 3, stride: 2, padding: 1")
    cin = 64
    for stage, (planes, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)], start=1):
        for block in range(blocks):
            stride = 2 if stage > 1 and block == 0 else 1
            p = "layer%d.%d." % (stage, block)
            b.conv(p + "conv1", planes, 1, src=x)
            b.unary(p + "relu1", "relu")
            b.conv(p + "conv2", planes, 3, stride=stride, padding=1)
            b.unary(p + "relu2", "relu")
            main = b.conv(p + "conv3", planes * 4, 1)
            shortcut = x
            if stride != 1 or cin != planes * 4:
                shortcut = b.conv(p + "shortcut", planes * 4, 1, stride=stride, src=x)
            b.add(p + "add", main, shortcut)
            x = b.unary(p + "relu3", "relu")
            cin = planes * 4
    b.unary("gap", "global_avgpool")
    b.unary("flatten", "flatten")
    b.linear("fc", classes)
    return b.lines


NETWORKS = {"vgg19": (vgg19, "VGG19"), "resnet18": (resnet18, "ResNet18")}
# Networks generated for one data set only.
EXTRA_NETWORKS = [("resnet50", resnet50, "ResNet-50", "imagenet", 224, 1000),
                  ("vgg8", vgg8, "VGG8 (DNN+NeuroSim's)", "cifar10", 32, 10)]


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_network(family, build, title, dataset, image, classes):
    name = "%s-%s" % (family, dataset)
    header = [
        "# %s for %s (%dx%d inputs, %d classes). Generated by scripts/gen_workloads.py;"
        % (title, dataset, image, image, classes),
        "# edit the generator, not this file. Batch norm folded; no biases.",
        "name: " + name,
        "network: " + family,
        "dataset: " + dataset,
        "input: " + shape([3, image, image]),
        "layers:",
    ]
    write(os.path.join(ROOT, name + ".yaml"), "\n".join(header + build(image, classes)) + "\n")


def write_networks():
    for family, (build, title) in NETWORKS.items():
        for dataset, image, classes in DATASETS:
            write_network(family, build, title, dataset, image, classes)
    for family, build, title, dataset, image, classes in EXTRA_NETWORKS:
        write_network(family, build, title, dataset, image, classes)


# --- profiles ------------------------------------------------------------------------------

def uniform(bits):
    return "\n".join([
        "name: uniform%d" % bits,
        "description: %d-bit weights and activations in every conv2d/linear layer%s."
        % (bits, " (the baseline)" if bits == 16 else ""),
        "default: {weight_bits: %d, activation_bits: %d}" % (bits, bits),
    ]) + "\n"


def vgg19_layers():
    names = []
    for g, group in enumerate(VGG19_GROUPS, start=1):
        for i, cout in enumerate(group, start=1):
            names.append(("conv%d_%d" % (g, i), cout))
    return names


def resnet18_layers():
    names = [("conv1", 64)]
    for stage, planes in enumerate([64, 128, 256, 512], start=1):
        for block in range(2):
            p = "layer%d.%d." % (stage, block)
            names += [(p + "conv1", planes), (p + "conv2", planes)]
            if stage > 1 and block == 0:
                names.append((p + "shortcut", planes))
    return names


# Example per-layer bits (weights = activations) that fall with depth, the trend activation
# density shows in deep layers of VGG/ResNet (shared/papers/001); first and last layer 8 bits.
def vgg19_layer_bits():
    return {"conv1_1": 8, "conv1_2": 8, "conv2_1": 7, "conv2_2": 7,
            "conv3_1": 6, "conv3_2": 6, "conv3_3": 5, "conv3_4": 5,
            "conv4_1": 5, "conv4_2": 4, "conv4_3": 4, "conv4_4": 4,
            "conv5_1": 3, "conv5_2": 3, "conv5_3": 3, "conv5_4": 3, "fc": 8}


def resnet18_layer_bits():
    bits = {"conv1": 8}
    per_stage = {1: 7, 2: 6, 3: 5, 4: 4}
    for name, _ in resnet18_layers()[1:]:
        bits[name] = per_stage[int(name[5])]
    bits["fc"] = 8
    return bits


def mixed_layer(family, bits):
    lines = [
        "name: mixed-layer",
        "network: " + family,
        "description: >",
        "  Example per-layer profile (not a published result): weight and activation bits fall",
        "  with depth, as activation-density based quantization assigns them (shared/papers/001).",
        "layers:",
    ]
    for name, b in bits.items():
        lines.append("  %s: {weight_bits: %d, activation_bits: %d}" % (name, b, b))
    return "\n".join(lines) + "\n"


def mixed_channel(family, layers):
    # A quarter of each layer's output channels (the "important" ones) at 8 bits, the rest at
    # 4 bits, in the spirit of importance-based intra-layer multi-precision (shared/papers/000).
    lines = [
        "name: mixed-channel",
        "network: " + family,
        "description: >",
        "  Example per-channel profile (not a published result): in every conv layer the first",
        "  quarter of output channels keeps 8-bit weights and the rest use 4 bits; activations",
        "  8 bits; first conv and fc uniform 8 bits.",
        "default: {weight_bits: 8, activation_bits: 8}",
        "layers:",
    ]
    for name, cout in layers[1:]:
        lines.append("  %s:" % name)
        lines.append("    weight_bits:")
        lines.append("      - {bits: 8, count: %d}" % (cout // 4))
        lines.append("      - {bits: 4, count: %d}" % (cout - cout // 4))
    return "\n".join(lines) + "\n"


def pruned(family, layers, bits, keep):
    lines = [
        "name: pruned",
        "network: " + family,
        "description: >",
        "  Example pruned profile (not a published result): per-layer bits as in mixed-layer.yaml",
        "  and output channels removed where activation density is low in deep layers, in the",
        "  spirit of activation-density pruning (shared/papers/001).",
        "layers:",
    ]
    for name, b in bits.items():
        entry = "weight_bits: %d, activation_bits: %d" % (b, b)
        if name in keep:
            entry += ", kept_channels: %d" % keep[name]
        lines.append("  %s: {%s}" % (name, entry))
    return "\n".join(lines) + "\n"


def write_profiles():
    profiles = os.path.join(ROOT, "profiles")
    for bits in (16, 8, 4):
        write(os.path.join(profiles, "uniform%d.yaml" % bits), uniform(bits))

    vgg_keep = {}
    for name, cout in vgg19_layers():
        group = int(name[4])
        if group >= 3:  # keep 1/2 of conv3-conv4 channels, 1/4 of conv5
            vgg_keep[name] = cout // 2 if group < 5 else cout // 4
    # ResNet18: prune inside blocks only (conv1 of each block), so residual sums stay whole.
    res_keep = {}
    for name, cout in resnet18_layers():
        if name.endswith(".conv1") and name.startswith("layer"):
            stage = int(name[5])
            if stage >= 2:
                res_keep[name] = cout // 2 if stage < 4 else cout // 4

    for family, layers, bits, keep in (
            ("vgg19", vgg19_layers(), vgg19_layer_bits(), vgg_keep),
            ("resnet18", resnet18_layers(), resnet18_layer_bits(), res_keep)):
        d = os.path.join(profiles, family)
        write(os.path.join(d, "mixed-layer.yaml"), mixed_layer(family, bits))
        write(os.path.join(d, "mixed-channel.yaml"), mixed_channel(family, layers))
        write(os.path.join(d, "pruned.yaml"), pruned(family, layers, bits, keep))


if __name__ == "__main__":
    write_networks()
    write_profiles()
