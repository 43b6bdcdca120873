#!/usr/bin/env bash
# The main job: set up and build, then print the per-layer workload summary of VGG19 and
# ResNet18 (CIFAR-10) under the example per-channel mixed-precision profiles.
# (The energy-reduction report replaces this once the energy model lands.)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
build_dir=${MIXPIM_BUILD_DIR:-build}
for net in vgg19 resnet18; do
  echo
  "$build_dir/mixpim" info --workload "workloads/$net-cifar10.yaml" \
    --precision "workloads/profiles/$net/mixed-channel.yaml"
done
