#!/usr/bin/env bash
# The main job: set up and build; regenerate the energy-reduction report (results/, the
# 144-point sweep of scripts/energy_report.sh) and the methods report (results/methods: the
# profile generators on a model trained on the digits, scripts/methods_report.py, and the
# accuracy under analog non-idealities, results/nonideal) and the NeuroSim comparison
# (results/neurosim); then
# simulate VGG19 and ResNet18 (CIFAR-10) under their example per-channel mixed profiles on the
# ISAAC preset, each against the 16-bit baseline and the digital 16-bit baseline
# (configs/digital/), and say where the reports are.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
build_dir=${MIXPIM_BUILD_DIR:-build}
out_dir=${MIXPIM_OUT_DIR:-out}
bash scripts/energy_report.sh
# The quantization methods on a trained model (digits): accuracy beside energy (results/methods).
MIXPIM="$build_dir/mixpim" /usr/bin/python3 -W ignore scripts/methods_report.py
# The NeuroSim-alike preset beside NeuroSim V1.4's outputs (results/neurosim).
/usr/bin/python3 scripts/neurosim_compare.py --mixpim "$build_dir/mixpim" > /dev/null
for net in vgg19 resnet18; do
  echo
  "$build_dir/mixpim" run --arch configs/arch/isaac.yaml --workload "workloads/$net-cifar10.yaml" \
    --precision "workloads/profiles/$net/mixed-channel.yaml" --digital configs/digital/systolic-16bit.yaml \
    --out "$out_dir/$net-cifar10-mixed-channel"
done
echo
echo "reports: results/energy-reduction/report.md; results/methods/report.md; results/nonideal/report.md; results/neurosim/README.md; $out_dir/*/report.md (report.json, layers.csv beside them)"
