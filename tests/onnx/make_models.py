"""Exports the test models for the ONNX importer (tests/onnx/import.sh) into a directory.

The CIFAR VGG19 and ResNet18 are built like scripts/gen_workloads.py builds the shipped
workloads (3x3 convolutions with padding 1, batch norm after each, 2x2 max pooling, global
average pooling, one linear classifier), so their imported totals must equal the shipped YAML's.
The others exercise the importer's errors. Weights are random (seeded): only shapes matter.
Usage: /usr/bin/python3 tests/onnx/make_models.py OUT_DIR
"""
import os
import sys

import torch
from torch import nn

torch.manual_seed(0)


def conv_bn(cin, cout, kernel=3, stride=1, padding=1):
    return [nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False),
            nn.BatchNorm2d(cout)]


class Vgg19(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        layers, cin = [], 3
        for group in [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4]:
            for cout in group:
                layers += conv_bn(cin, cout) + [nn.ReLU()]
                cin = cout
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))

    def forward(self, x):
        return self.head(self.features(x))


class Block(nn.Module):
    def __init__(self, cin, planes, stride):
        super().__init__()
        self.main = nn.Sequential(*conv_bn(cin, planes, stride=stride), nn.ReLU(), *conv_bn(planes, planes))
        self.shortcut = None
        if stride != 1 or cin != planes:
            self.shortcut = nn.Sequential(*conv_bn(cin, planes, 1, stride, 0))
        self.relu = nn.ReLU()

    def forward(self, x):
        return self.relu(self.main(x) + (x if self.shortcut is None else self.shortcut(x)))


class Resnet18(nn.Module):
    def __init__(self, classes=10):
        super().__init__()
        self.stem = nn.Sequential(*conv_bn(3, 64), nn.ReLU())
        blocks, cin = [], 64
        for stage, planes in enumerate([64, 128, 256, 512]):
            for block in range(2):
                blocks.append(Block(cin, planes, 2 if stage > 0 and block == 0 else 1))
                cin = planes
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, classes))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x)))


class Branches(nn.Module):
    """Two branches joined by a channel concatenation (an Inception-style module)."""

    def __init__(self):
        super().__init__()
        self.a = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.b = nn.Conv2d(3, 4, 1)
        self.head = nn.Sequential(nn.Conv2d(12, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten(), nn.Linear(8, 10))

    def forward(self, x):
        return self.head(torch.cat([self.a(x), self.b(x)], dim=1))


def export(model, path, shape=(1, 3, 32, 32)):
    model.eval()
    torch.onnx.export(model, torch.randn(*shape), path, opset_version=13,
                      input_names=["input"], output_names=["logits"])


def main(out):
    os.makedirs(out, exist_ok=True)
    export(Vgg19(), os.path.join(out, "vgg19.onnx"))
    export(Resnet18(), os.path.join(out, "resnet18.onnx"))
    export(Branches(), os.path.join(out, "concat.onnx"), (1, 3, 8, 8))
    export(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Sigmoid(), nn.Flatten(),
                         nn.Linear(8 * 8 * 8, 10)),
           os.path.join(out, "sigmoid.onnx"), (1, 3, 8, 8))
    export(nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.Hardtanh(-1, 1), nn.Flatten(),
                         nn.Linear(8 * 8 * 8, 10)),
           os.path.join(out, "clip.onnx"), (1, 3, 8, 8))
    # torchvision's ResNet18 (ImageNet stem: 7x7 stride-2 conv, 3x3 max pooling), batch norms
    # kept as nodes so that mixpim folds them.
    import torchvision
    torch.onnx.export(torchvision.models.resnet18().eval(), torch.randn(1, 3, 224, 224),
                      os.path.join(out, "tv-resnet18.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE)
    # torchvision's MobileNetV2: depthwise convolutions, ReLU6 (Clip), linear bottlenecks.
    torch.onnx.export(torchvision.models.mobilenet_v2().eval(), torch.randn(1, 3, 224, 224),
                      os.path.join(out, "tv-mobilenet-v2.onnx"), opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE)
    with open(os.path.join(out, "corrupt.onnx"), "wb") as f:
        f.write(b"\x08\x07this is not a protobuf model \xff\xff\xff")


if __name__ == "__main__":
    main(sys.argv[1])
