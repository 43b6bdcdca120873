"""The class-based generator (scripts/gen_profile_class.py).

1. Scores on a hand-made importance matrix: with 4 classes and 4 channels where channel 0 is in
   every class's top half, channel 3 in none and channels 1 and 2 split the rest, the scores
   are 1, 1/2, 1/2, 0, and base 2 + span 4 gives 6, 4, 4, 2 bits.
2. A tiny run on the digits: the script fails unless mixpim's PIM predictions equal the
   fake-quantized model's image for image; the profile's per-channel bits follow the recorded
   scores, the classifier's neurons all score 1, and `mixpim info` accepts the profile.
Usage: test_class.py MIXPIM SOURCE_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import MIXPIM as mixpim, WORK as work, expect, finish, run_generator  # noqa: E402
import gen_profile_class as cb  # noqa: E402


importance = np.array([[9, 5, 1, 0], [9, 1, 5, 0], [9, 5, 1, 0], [9, 1, 5, 0]], dtype=float)
scores = cb.class_scores(importance)
expect(list(scores) == [1.0, 0.5, 0.5, 0.0], f"scores {list(scores)}")
expect(cb.bits_for(scores, 2, 4, 2, 8) == [6, 4, 4, 2], f"bits {cb.bits_for(scores, 2, 4, 2, 8)}")
expect(cb.bits_for(scores, 6, 4, 2, 8) == [8, 8, 8, 6], "clamped at the maximum")

out = os.path.join(work, "class")
run = run_generator("gen_profile_class.py", out, "--epochs", "4", "--width", "8")
if run.returncode == 0:
    summary = json.load(open(os.path.join(out, "summary.json")))
    expect(summary["images_where_pim_and_fake_quant_differ"] == 0 and summary["pim_exact"],
           "PIM and fake-quantized predictions differ")
    names = list(summary["bits"])
    for (layer, s), name in zip(summary["scores"].items(), names):
        want = cb.bits_for(s, summary["base"], summary["span"], 2, 8)
        expect(summary["bits"][name] == want, f"{name}: bits {summary['bits'][name]} for scores {s}")
    expect(all(v == 1.0 for v in list(summary["scores"].values())[-1]), "the classifier scores 1")
    info = subprocess.run([mixpim, "info", "-w", os.path.join(out, "model.onnx"), "-p",
                           os.path.join(out, "profile.yaml")], capture_output=True, text=True,
                          env=dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE"))
    expect(info.returncode == 0, "mixpim info refuses the profile:\n" + info.stderr)
finish("class-based generator")
