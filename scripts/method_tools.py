"""Shared plumbing of the profile generators (scripts/gen_profile_*.py).

- The data: scikit-learn's handwritten digits (1,797 real 8x8 images, Debian's python3-sklearn),
  split 80/20 stratified and seeded, pixels scaled to [0, 1]. Any torch module and pair of
  DataLoaders plug in the same way (`train`, `accuracy`, `evaluate_in_mixpim` take them).
- Quantization-aware training under mixpim's rule (scripts/mixpim_quant.py: per-channel
  symmetric weights, power-of-two activation steps calibrated on the batch), with a
  straight-through estimator: the forward pass sees the quantized values, the gradient passes
  as if it did not.
- Export to ONNX and evaluation in mixpim: the functional engine on the test images with
  `--labels` (accuracy of the PIM path and of the quantized model), energy and latency against
  the 16-bit baseline.
Runs on Debian's interpreter (/usr/bin/python3) with python3-torch and python3-sklearn.
"""
import json
import os
import subprocess

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
from torch import nn

import mixpim_quant as mq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def seed_everything(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)  # reproducible float sums


def digits_loaders(seed, batch_size=64):
    """(train, test) DataLoaders of the sklearn digits, [N, 1, 8, 8] in [0, 1], labels 0-9."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=seed)
    generator = torch.Generator().manual_seed(seed)
    train = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train)),
        batch_size=batch_size, shuffle=True, generator=generator)
    test = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test)),
        batch_size=len(y_test))
    return train, test


def digits32_loaders(seed, batch_size=64):
    """The digits of digits_loaders upsampled to 32x32 (bilinear) on 3 identical channels: the
    input of the CIFAR topologies (scripts/cifar_models.py)."""
    def upsample(loader, **kwargs):
        x, y = loader.dataset.tensors
        x = F.interpolate(x, size=(32, 32), mode="bilinear", align_corners=False)
        return torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x.repeat(1, 3, 1, 1).contiguous(), y), **kwargs)

    train, test = digits_loaders(seed, batch_size)
    return (upsample(train, batch_size=batch_size, shuffle=True,
                     generator=torch.Generator().manual_seed(seed)),
            upsample(test, batch_size=len(test.dataset)))


def _load_callable(spec, what):
    """FUNCTION from FILE.py of a "FILE.py:FUNCTION" spec."""
    import importlib.util

    path, _, function = spec.rpartition(":")
    if not path.endswith(".py") or not function or not os.path.isfile(path):
        raise SystemExit(f"{what}: expected a built-in name or FILE.py:FUNCTION, got {spec!r}")
    module_spec = importlib.util.spec_from_file_location(
        os.path.splitext(os.path.basename(path))[0], path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    if not hasattr(module, function):
        raise SystemExit(f"{what}: {path} has no function {function!r}")
    return getattr(module, function)


def add_task_arguments(parser):
    """--model, --dataset, --width and --pim-images: what every generator works on."""
    parser.add_argument(
        "--model", default="digits-cnn",
        help="digits-cnn, vgg19 or resnet18 (the CIFAR topologies of workloads/, "
             "scripts/cifar_models.py), or FILE.py:FUNCTION returning a torch.nn.Module "
             "(called with no arguments, after seeding)")
    parser.add_argument(
        "--dataset", default="digits",
        help="digits (scikit-learn's 8x8 handwritten digits, 80/20 split), digits32 (the same "
             "upsampled to 32x32 on 3 channels, for vgg19/resnet18), or FILE.py:FUNCTION "
             "called with the seed, returning (train DataLoader, test DataLoader) of (image, "
             "integer label) batches")
    parser.add_argument("--width", type=int, default=16,
                        help="digits-cnn: channels of its first convolution")
    parser.add_argument("--pim-images", type=int, default=0,
                        help="run mixpim's functional engine on the first N test images only "
                             "(0: all); PyTorch accuracies stay on the whole test set")


class Task:
    """A model and a dataset (add_task_arguments): a torch module factory and fresh, seeded
    DataLoaders, so any user model and dataset plug in the same way."""

    def __init__(self, args):
        self.args = args
        _, test = self.loaders()
        self.example = test.dataset[0][0][None]  # indexing draws no random numbers
        names = {"digits-cnn": "DigitsCnn", "vgg19": "VGG19 (CIFAR)",
                 "resnet18": "ResNet18 (CIFAR)"}
        data = {"digits": "sklearn digits", "digits32": "sklearn digits upsampled to 32x32"}
        self.label = (f"{names.get(args.model, args.model)} on "
                      f"{data.get(args.dataset, args.dataset)}")

    def loaders(self):
        if self.args.dataset == "digits":
            return digits_loaders(self.args.seed)
        if self.args.dataset == "digits32":
            return digits32_loaders(self.args.seed)
        return _load_callable(self.args.dataset, "--dataset")(self.args.seed)

    def new_model(self):
        import cifar_models

        channels = self.example.shape[0 + 1]
        if self.args.model == "digits-cnn":
            return DigitsCnn(self.args.width, channels)
        if self.args.model == "vgg19":
            return cifar_models.Vgg19Cifar(channels)
        if self.args.model == "resnet18":
            return cifar_models.ResNet18Cifar(channels)
        return _load_callable(self.args.model, "--model")()


class DigitsCnn(nn.Module):
    """A small CNN for 8x8 digits: three 3x3 convolutions (ReLU), 2x2 max pooling, global
    average pooling, a linear classifier. No batch norm, so that the layers trained under the
    rule are the layers mixpim runs."""

    def __init__(self, width=16, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, padding=1)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.conv3 = nn.Conv2d(2 * width, 2 * width, 3, padding=1)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2 * width, 10)

    def forward(self, x):
        x = torch.relu(self.conv1(x))
        x = self.pool(torch.relu(self.conv2(x)))
        x = torch.relu(self.conv3(x))
        return self.fc(torch.flatten(self.gap(x), 1))


def weight_modules(model):
    """(name, module) of every Conv2d / Linear, in definition order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]


def _ste(value, quantized):
    return value + (quantized - value).detach()


def _fake_input(x, bits):
    """mixpim's input rule (mixpim_quant.FakeQuant), differentiable by STE."""
    fixed = mq.round_half_away(x.double() * 2.0 ** mq.FRACTION_BITS)
    signed = bool(fixed.min() < 0)
    s, lo, hi = mq.input_shift(fixed.detach(), bits, signed)
    q = torch.clamp(torch.floor((fixed + (2.0 ** (s - 1) if s else 0.0)) / 2.0 ** s), lo, hi)
    return _ste(x, (q * 2.0 ** (s - mq.FRACTION_BITS)).to(x.dtype))


def _fake_weight(w, bits):
    q, steps = mq.quantize_weights(w.detach(), bits)
    shape = (-1,) + (1,) * (w.dim() - 1)
    return _ste(w, (q * steps.reshape(shape)).to(w.dtype))


class QuantTraining:
    """Quantization-aware training: while active, each Conv2d/Linear named in `bits`
    (name -> (weight bits, activation bits)) computes with fake-quantized weights and inputs."""

    def __init__(self, model, bits):
        self.bits = dict(bits)
        self.handles = []
        for name, module in weight_modules(model):
            self.handles.append(module.register_forward_pre_hook(self._input_hook(name)))
            module.forward = self._forward(module, name)

    def _input_hook(self, name):
        def hook(module, args):
            if name not in self.bits:
                return None
            return (_fake_input(args[0], self.bits[name][1]),)
        return hook

    def _forward(self, module, name):
        original = type(module).forward

        def forward(x):
            if name not in self.bits:
                return original(module, x)
            w = _fake_weight(module.weight, self.bits[name][0])
            if isinstance(module, nn.Conv2d):
                return F.conv2d(x, w, module.bias, module.stride, module.padding, module.dilation,
                                module.groups)
            return F.linear(x, w, module.bias)
        return forward

    def remove(self):
        for h in self.handles:
            h.remove()


def channel_means(model, batches, names, transform):
    """Per output channel of each named Conv2d/Linear layer: the mean of transform(output) over
    every image and position of `batches` (forward hooks, eval mode, no gradients). Returns
    name -> float64 tensor [channels]."""
    sums = {}
    handles = []
    for name, module in weight_modules(model):
        if name in names:
            def hook(_, __, out, name=name):
                dims = [0] + list(range(2, out.dim()))
                total = transform(out).sum(dim=dims).double()
                entry = sums.setdefault(name, [torch.zeros_like(total), 0])
                entry[0] += total
                entry[1] += out.numel() // out.shape[1]
            handles.append(module.register_forward_hook(hook))
    model.eval()
    with torch.no_grad():
        for x in batches:
            model(x)
    for h in handles:
        h.remove()
    return {n: total / count for n, (total, count) in sums.items()}


def train(model, loader, epochs, lr=0.01, on_epoch=None, on_step=None):
    """Adam, cross-entropy; `on_step()` after each optimizer step (e.g. to keep pruned weights
    at zero), `on_epoch(epoch)` after each epoch (checkpoints)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            F.cross_entropy(model(x), y).backward()
            optimizer.step()
            if on_step is not None:
                on_step()
        if on_epoch is not None:
            on_epoch(epoch)


def channel_consumers(model, example):
    """For each Conv2d/Linear whose output channels can be removed: the Conv2d/Linear layers
    that read those channels as their input channels (features), through ReLU, pooling and a
    flatten of [C, 1, 1]. Layers whose output reaches anything else (an add, a concat, the
    network output) are absent: pruning them would not remove rows downstream."""
    from torch.fx.passes.shape_prop import ShapeProp

    traced = torch.fx.symbolic_trace(model)
    ShapeProp(traced).propagate(example)
    modules = dict(traced.named_modules())
    passing_functions = {torch.relu, F.relu, F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d}
    passing_modules = (nn.ReLU, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d)

    def is_weight(node):
        return node.op == "call_module" and isinstance(modules[node.target], (nn.Conv2d, nn.Linear))

    out = {}
    for node in traced.graph.nodes:
        if not is_weight(node):
            continue
        consumers, frontier, ok = [], [node], True
        while frontier and ok:
            current = frontier.pop()
            for user in current.users:
                if is_weight(user) and user.args[0] is current:
                    consumers.append(user.target)
                elif user.op == "call_module" and isinstance(modules[user.target], passing_modules):
                    frontier.append(user)
                elif user.op == "call_function" and user.target in passing_functions:
                    frontier.append(user)
                elif user.op == "call_function" and user.target is torch.flatten:
                    shape = current.meta["tensor_meta"].shape
                    ok = len(shape) == 4 and shape[2] == 1 and shape[3] == 1
                    frontier.append(user)
                else:
                    ok = False
        if ok and consumers and isinstance(modules[node.target], nn.Conv2d):
            out[node.target] = consumers
    return out


def accuracy(model, loader):
    model.eval()
    right = total = 0
    with torch.no_grad():
        for x, y in loader:
            right += int((model(x).argmax(1) == y).sum())
            total += len(y)
    return right / total


def write_profile(path, name, description, layer_bits):
    """A mixpim profile: layer_bits maps a mixpim layer name to dict(weight_bits=int or list,
    activation_bits=int, kept_channels=optional list)."""
    lines = [f"name: {name}", "description: >", f"  {description}", "layers:"]
    for layer, b in layer_bits.items():
        items = [f"weight_bits: {b['weight_bits']}", f"activation_bits: {b['activation_bits']}"]
        if b.get("kept_channels") is not None:
            items.append(f"kept_channels: {list(b['kept_channels'])}")
        lines.append(f"  \"{layer}\": {{{', '.join(items)}}}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def export_onnx(model, example, path):
    model.eval()
    torch.onnx.export(model, example, path, opset_version=13)


def mixpim_binary():
    for candidate in (os.environ.get("MIXPIM", ""), os.path.join(ROOT, "build", "mixpim")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise SystemExit("mixpim binary not found: build it (scripts/run.sh) or set MIXPIM")


# Data-aware figures with conversions of all-zero row blocks skipped (sim/compiler/activity.h); the
# data-independent figures do not depend on it.
SKIP_ZERO_BLOCKS = "pe.adc.skip_zero_blocks=true"


def evaluate_in_mixpim(mixpim, onnx_path, profile_path, x_test, y_test, work_dir,
                       arch=os.path.join(ROOT, "configs", "arch", "isaac.yaml"), overrides=(),
                       activity_out=None):
    """Runs the functional engine on the test set with labels, against the 16-bit baseline
    (`overrides`: --set key=value of the architecture, after SKIP_ZERO_BLOCKS); with
    `activity_out`, writes the measured input activity there (mixpim's activity file).
    Returns dict(accuracy, reference_accuracy, exact, energy_pj, energy_reduction,
    data_aware_energy_pj, dac_active_fraction, conversion_active_fraction, baseline_energy_pj,
    latency_ratio, outputs)."""
    os.makedirs(work_dir, exist_ok=True)
    np.save(os.path.join(work_dir, "x.npy"), x_test.astype(np.float32))
    np.save(os.path.join(work_dir, "labels.npy"), y_test.astype(np.int64))
    with open(os.path.join(work_dir, "data.yaml"), "w") as f:
        f.write("input: x.npy\n")
    out = os.path.join(work_dir, "run")
    outputs = os.path.join(work_dir, "outputs.npy")
    env = dict(os.environ, SC_COPYRIGHT_MESSAGE="DISABLE")
    subprocess.run([mixpim, "run", "-e", "functional", "-a", arch, "-w", onnx_path, "-p",
                    profile_path, "--data", os.path.join(work_dir, "data.yaml"), "--labels",
                    os.path.join(work_dir, "labels.npy"), "--batch", str(len(y_test)),
                    "--outputs", outputs, "-o", out]
                   + (["--activity-out", activity_out] if activity_out else [])
                   + [a for o in (SKIP_ZERO_BLOCKS,) + tuple(overrides) for a in ("--set", o)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    report = json.load(open(os.path.join(out, "report.json")))
    f = report["functional"]
    return {"accuracy": f["accuracy"], "reference_accuracy": f["reference_accuracy"],
            "exact": f["exact"], "energy_pj": report["totals"]["energy_pj"],
            "energy_reduction": report["baseline"]["energy_reduction"],
            "data_aware_energy_pj": report["data_aware"]["energy_pj"]["data_aware"],
            "dac_active_fraction": report["data_aware"]["dac_active_fraction"],
            "conversion_active_fraction": report["data_aware"]["conversion_active_fraction"],
            "baseline_energy_pj": report["baseline"]["energy_pj"],
            "latency_ratio": report["baseline"]["latency_ratio"],
            "outputs": np.load(outputs)}


def train_float(task, epochs):
    """The float reference: the task's model trained without quantization. Returns (model,
    accuracy, train loader, test loader)."""
    seed_everything(task.args.seed)
    train_loader, test_loader = task.loaders()
    model = task.new_model()
    train(model, train_loader, epochs)
    return model, accuracy(model, test_loader), train_loader, test_loader


def finish(model, bits, out_dir, mixpim, name, description, test_loader, summary, task):
    """Exports `model`, writes its mixpim profile and evaluates it.

    bits: PyTorch module name -> dict(weight_bits=int or per-channel list, activation_bits=int,
    kept=per-channel bools or None). Writes out_dir/model.onnx, profile.yaml, summary.json
    (`summary` plus accuracies, energy and the image-for-image comparison) and returns the
    summary; its "ok" is False when mixpim's PIM predictions differ from the fake-quantized
    model's (exact ADCs) or the PIM path is not exact."""
    model = model.eval()
    onnx_path = os.path.join(out_dir, "model.onnx")
    export_onnx(model, torch.zeros_like(task.example), onnx_path)
    folded = mq.fold_batchnorm(model)
    names = mq.import_into(mixpim, onnx_path, folded, out_dir)
    targets = [t for t, _ in mq.weight_layers(folded)]
    precision = {}
    for n, t in zip(names, targets):
        b = bits[t]
        kept = b.get("kept")
        precision[n] = {"weight_bits": b["weight_bits"], "activation_bits": b["activation_bits"],
                        "kept_channels": None if kept is None else [j for j, k in enumerate(kept) if k]}
    profile_path = os.path.join(out_dir, "profile.yaml")
    write_profile(profile_path, name, description, precision)
    pairs = list(test_loader)
    x_test, y_test = torch.cat([x for x, _ in pairs]), torch.cat([y for _, y in pairs])
    fake = mq.FakeQuant(folded, {t: {"weight_bits": bits[t]["weight_bits"],
                                     "activation_bits": bits[t]["activation_bits"],
                                     "kept": bits[t].get("kept")} for t in targets})
    fake_predictions = fake.run_batch(x_test).numpy().argmax(1)
    # mixpim on all test images, or the first --pim-images (a deep model's functional run
    # takes seconds per image).
    n = len(y_test) if task.args.pim_images <= 0 else min(task.args.pim_images, len(y_test))
    pim = evaluate_in_mixpim(mixpim, onnx_path, profile_path, x_test[:n].numpy(),
                             y_test[:n].numpy(), os.path.join(out_dir, "mixpim"),
                             activity_out=os.path.join(out_dir, "activity.yaml"))
    differ = int((pim["outputs"].argmax(1) != fake_predictions[:n]).sum())
    summary = dict(summary)
    summary.update({
        "bits": {n: precision[n]["weight_bits"] for n in names},
        "kept_channels": {n: len(precision[n]["kept_channels"]) for n in names
                          if precision[n]["kept_channels"] is not None},
        "fake_quant_accuracy": float((fake_predictions == y_test.numpy()).mean()),
        "pim_accuracy": pim["accuracy"], "pim_reference_accuracy": pim["reference_accuracy"],
        "pim_exact": pim["exact"], "pim_images": n,
        "fake_quant_accuracy_on_pim_images": float(
            (fake_predictions[:n] == y_test[:n].numpy()).mean()),
        "images_where_pim_and_fake_quant_differ": differ,
        "energy_reduction_vs_16bit": pim["energy_reduction"],
        "latency_ratio_vs_16bit": pim["latency_ratio"],
    })
    summary["ok"] = differ == 0 and pim["exact"]
    with open(os.path.join(out_dir, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(json.dumps({k: v for k, v in summary.items() if k not in ("history", "scores")},
                     indent=2))
    if not summary["ok"]:
        print("FAIL: the PIM predictions differ from the fake-quantized model's")
    return summary
