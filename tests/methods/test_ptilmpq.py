"""The PTILMPQ generator (scripts/gen_profile_ptilmpq.py).

1. The allocation on a hand-made case: layer a (importance 0.9) and b (0.1), two channels of 10
   weights each, channel scores [0.8, 0.2] in both; levels 2, 4, 8; a budget of 3 bits per
   weight (120 bits: 80 at the start, 40 to give). The highest L x I x 4^-b / cost moves first:
   a's channel 0 (2 -> 4, 20 bits), then a's channel 1 (0.9 x 0.2 / 16 beats a's channel 0 at
   4 bits: 0.72 / 256 per 40), leaving b at 2 bits: [4, 4] and [2, 2], 120 bits.
2. A tiny run on the digits: the budget holds, and the script fails unless mixpim's PIM
   predictions equal the fake-quantized model's image for image.
Usage: test_ptilmpq.py MIXPIM SOURCE_DIR WORK_DIR
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import WORK as work, expect, finish, run_generator  # noqa: E402
import gen_profile_ptilmpq as pt  # noqa: E402


bits, used = pt.allocate({"a": 0.9, "b": 0.1}, {"a": [0.8, 0.2], "b": [0.8, 0.2]},
                         {"a": 10, "b": 10}, [2, 4, 8], 3 * 40)
expect(bits == {"a": [4, 4], "b": [2, 2]} and used == 120, f"allocation {bits}, {used} bits")
bits, used = pt.allocate({"a": 0.9, "b": 0.1}, {"a": [0.8, 0.2], "b": [0.8, 0.2]},
                         {"a": 10, "b": 10}, [2, 4, 8], 2 * 40)
expect(bits == {"a": [2, 2], "b": [2, 2]} and used == 80, "a budget at the lowest level")

out = os.path.join(work, "ptilmpq")
run = run_generator("gen_profile_ptilmpq.py", out,
                    "--epochs", "4", "--width", "8", "--budget-bits", "3.5")
if run.returncode == 0:
    summary = json.load(open(os.path.join(out, "summary.json")))
    expect(summary["used_bits_per_weight"] <= 3.5, f"budget exceeded: {summary['used_bits_per_weight']}")
    expect(summary["images_where_pim_and_fake_quant_differ"] == 0 and summary["pim_exact"],
           "PIM and fake-quantized predictions differ")
    expect(any(len(set(b)) > 1 for b in summary["bits"].values()), "no layer mixes precisions")
finish("PTILMPQ generator")
