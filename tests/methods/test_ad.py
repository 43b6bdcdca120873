"""The activation-density generator (scripts/gen_profile_ad.py).

1. The AD rule on a hand-made activation pattern: a 1x1 conv whose channel 0 passes positive
   inputs (+1) and whose channel 1 negates them (-1) has density exactly 1/2 after its ReLU on
   positive images, so 16 bits become ceil(0.5 x 16) = 8, then 4; the minimum holds at 2.
2. A tiny run on the digits (seconds): the script itself fails unless mixpim's PIM predictions
   equal the fake-quantized model's image for image; its profile must be accepted by
   `mixpim info`, and its bits must follow the recorded densities by the rule.
3. AD pruning: the mask on hand-made densities, the zeroing of a pruned channel and of exactly
   its consumer rows, and a tiny pruned run whose PIM predictions equal the fake-quantized ones
   (a consumer whose step were set by a pruned row would differ).
Usage: test_ad.py MIXPIM SOURCE_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import MIXPIM as mixpim, WORK as work, expect, finish, run_generator  # noqa: E402
import gen_profile_ad as ad  # noqa: E402


class Pattern(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.fc = nn.Linear(2 * 4 * 4, 3)
        with torch.no_grad():
            self.conv.weight[:] = torch.tensor([1.0, -1.0]).reshape(2, 1, 1, 1)
            self.conv.bias.zero_()

    def forward(self, x):
        return self.fc(torch.flatten(torch.relu(self.conv(x)), 1))


model = Pattern()
expect(ad.relu_followed(model) == {"conv"}, f"ReLU-followed layers: {ad.relu_followed(model)}")
loader = [(torch.rand(5, 1, 4, 4) + 0.1, torch.zeros(5, dtype=torch.long)) for _ in range(3)]
density = ad.activation_density(model, loader, {"conv"})
expect(density == {"conv": 0.5}, f"density {density}, expected exactly 0.5")
expect(ad.ad_bits(0.5, 16, 2) == 8 and ad.ad_bits(0.5, 8, 2) == 4, "0.5 x 16 -> 8 -> 4")
expect(ad.ad_bits(0.3, 8, 2) == 3, "ceil(0.3 x 8) = 3")
expect(ad.ad_bits(0.05, 8, 2) == 2, "the minimum holds")
expect(ad.ad_bits(1.0, 7, 2) == 7, "density 1 keeps the bits")

out = os.path.join(work, "ad")
run = run_generator("gen_profile_ad.py", out, "--epochs", "4", "--checkpoint", "2", "--width", "4")
if run.returncode == 0:
    summary = json.load(open(os.path.join(out, "summary.json")))
    info = subprocess.run([mixpim, "info", "-w", os.path.join(out, "model.onnx"), "-p",
                           os.path.join(out, "profile.yaml")], capture_output=True, text=True,
                          env=dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE"))
    expect(info.returncode == 0, "mixpim info refuses the profile:\n" + info.stderr)
    history = summary["history"]
    expect(len(history) == 1, f"one checkpoint in 4 epochs every 2 (not at the end): {history}")
    expect(summary["images_where_pim_and_fake_quant_differ"] == 0 and summary["pim_exact"],
           "PIM and fake-quantized predictions differ")
    expect(summary["pim_accuracy"] == summary["fake_quant_accuracy"], "accuracies differ")
    for layer, d in history[0]["density"].items():
        expect(history[0]["bits"][layer] == ad.ad_bits(d, 16, 2),
               f"{layer}: bits {history[0]['bits'][layer]} for density {d}")
    expect(summary["bits"]["fc_Gemm"] == 16, "the classifier (no ReLU) keeps its bits")
# AD pruning: channels below the density threshold go; the densest stays when all are below.
expect(ad.prune_mask([0.5, 0.01, 0.2, 0.0], 0.05) == [True, False, True, False], "prune mask")
expect(ad.prune_mask([0.01, 0.03, 0.02], 0.05) == [False, True, False], "the densest stays")
# Zeroing a pruned channel also zeroes the consumer's rows that read it (mixpim drops them).
pair = nn.Sequential(nn.Conv2d(1, 3, 1), nn.ReLU(), nn.Conv2d(3, 2, 1))
ad.zero_pruned(pair, {"0": [True, False, True]}, {"0": ["2"]})
expect(float(pair[0].weight[1].abs().sum()) == 0 and float(pair[0].bias[1]) == 0,
       "pruned channel's weights and bias zeroed")
expect(float(pair[2].weight[:, 1].abs().sum()) == 0 and float(pair[2].weight[:, 0].abs().sum()) > 0,
       "only the consumer's rows of the pruned channel zeroed")

pruned_out = os.path.join(work, "ad-pruned")
run = run_generator("gen_profile_ad.py", pruned_out,
                    "--epochs", "4", "--checkpoint", "2", "--width", "8", "--prune-density", "0.2", "--finetune", "1")
if run.returncode == 0:
    summary = json.load(open(os.path.join(pruned_out, "summary.json")))
    kept = summary["kept_channels"]
    expect(kept and any(v < (8 if k == "conv1_Conv" else 16) for k, v in kept.items()),
           f"nothing pruned at density 0.2: {kept}")
    expect(summary["images_where_pim_and_fake_quant_differ"] == 0, "pruned: PIM and fake-quant differ")
    expect("kept_channels" in open(os.path.join(pruned_out, "profile.yaml")).read(),
           "the profile lists kept channels")
finish("activation-density generator")
