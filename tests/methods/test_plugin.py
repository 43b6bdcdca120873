"""A user's model and dataset plug into every generator (scripts/method_tools.py Task):
`--model FILE.py:FUNCTION` (here a CNN with batch norm, which mixpim folds on import) and
`--dataset FILE.py:FUNCTION` (here the digits split over several test batches, upsampled to
16x16 on 3 channels). The PTILMPQ and AD generators run on them; each fails unless mixpim's PIM
predictions equal the fake-quantized model's image for image on the `--pim-images` evaluated.
The activity file each writes is accepted by `mixpim run --activity`, and a malformed spec is
refused with a message naming it.
Usage: test_plugin.py MIXPIM SOURCE_DIR WORK_DIR
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import MIXPIM as mixpim, WORK as work, expect, finish, run_generator  # noqa: E402

user = os.path.join(work, "user_model.py")
with open(user, "w") as f:
    f.write('''
import torch
import torch.nn as nn
import torch.nn.functional as F
import method_tools as mt


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.head = nn.Linear(8, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.relu(self.conv2(x))
        return self.head(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def make():
    return Net()


def data(seed):
    train, test = mt.digits_loaders(seed)
    def resize(loader, **kw):
        x, y = loader.dataset.tensors
        x = F.interpolate(x, size=(16, 16), mode="nearest").repeat(1, 3, 1, 1)
        return torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), **kw)
    return (resize(train, batch_size=64, shuffle=True,
                   generator=torch.Generator().manual_seed(seed)),
            resize(test, batch_size=100))  # several test batches
''')

env = dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE")
for script, args in (("gen_profile_ptilmpq.py", ["--budget-bits", "4"]),
                     ("gen_profile_ad.py", ["--checkpoint", "2"])):
    out = os.path.join(work, "plugin-" + script)
    run = run_generator(script, out, "--epochs", "3", "--model", user + ":make", "--dataset",
                        user + ":data", "--pim-images", "40", *args)
    if run.returncode != 0:
        continue
    summary = json.load(open(os.path.join(out, "summary.json")))
    expect(summary["pim_images"] == 40, f"{script}: {summary['pim_images']} PIM images, not 40")
    expect(summary["images_where_pim_and_fake_quant_differ"] == 0 and summary["pim_exact"],
           f"{script}: PIM and fake-quantized predictions differ")
    expect(len(summary["bits"]) == 3, f"{script}: {len(summary['bits'])} weight layers, not 3")
    expect("user_model.py:make on " in open(os.path.join(out, "profile.yaml")).read(),
           f"{script}: the profile does not name the user's model")
    r = subprocess.run([mixpim, "run", "-a", os.path.join(sys.argv[2], "configs", "arch", "isaac.yaml"),
                        "-w", os.path.join(out, "model.onnx"), "-p",
                        os.path.join(out, "profile.yaml"), "--activity",
                        os.path.join(out, "activity.yaml"), "--no-baseline", "-o",
                        os.path.join(out, "activity-run")], capture_output=True, text=True, env=env)
    expect(r.returncode == 0 and "data-aware" in r.stdout,
           f"{script}: mixpim run --activity refuses the activity file:\n{r.stderr}")

r = subprocess.run([sys.executable, "-W", "ignore",
                    os.path.join(sys.argv[2], "scripts", "gen_profile_class.py"), "--out",
                    os.path.join(work, "bad"), "--model", "nofile.py:make"],
                   capture_output=True, text=True, env=dict(os.environ, MIXPIM=mixpim))
expect(r.returncode != 0 and "--model: expected a built-in name or FILE.py:FUNCTION, got "
       "'nofile.py:make'" in r.stderr, "a missing model file is not refused clearly:\n" + r.stderr)
finish("plugged-in model and dataset")
