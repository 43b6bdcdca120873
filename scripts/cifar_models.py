"""The CIFAR topologies of workloads/vgg19-cifar10.yaml and workloads/resnet18-cifar10.yaml as
PyTorch modules (scripts/gen_workloads.py describes them), with batch norm after every
convolution as they are trained; mixpim folds it on import. The generators take them with
`--model vgg19` / `--model resnet18`.

- VGG19 (Simonyan and Zisserman, ICLR 2015, configuration E, CIFAR variant): 16 3x3
  convolutions (pad 1) in groups 64,64 | 128,128 | 256x4 | 512x4 | 512x4, each group followed by
  a 2x2 max pool, then global average pooling and one linear classifier.
- ResNet18 (He et al., CVPR 2016, CIFAR variant): 3x3 stem with 64 channels and no max pool,
  four stages of two BasicBlocks (64, 128, 256, 512; stride 2 from the second stage, 1x1
  projection shortcuts where the shape changes), global average pooling, linear classifier.
"""
import torch
import torch.nn as nn

VGG19_GROUPS = [[64, 64], [128, 128], [256] * 4, [512] * 4, [512] * 4]


class Vgg19Cifar(nn.Module):
    def __init__(self, in_channels=3, classes=10):
        super().__init__()
        layers = []
        c = in_channels
        for group in VGG19_GROUPS:
            for width in group:
                layers += [nn.Conv2d(c, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                           nn.ReLU()]
                c = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.gap(self.features(x)), 1))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride=stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))


class ResNet18Cifar(nn.Module):
    def __init__(self, in_channels=3, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 64, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks = []
        c = 64
        for stage, width in enumerate([64, 128, 256, 512]):
            for b in range(2):
                blocks.append(BasicBlock(c, width, 2 if stage > 0 and b == 0 else 1))
                c = width
        self.blocks = nn.Sequential(*blocks)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        return self.fc(torch.flatten(self.gap(self.blocks(x)), 1))
