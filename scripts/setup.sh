#!/usr/bin/env bash
# Installs whatever of mixpim's Debian packages is missing (idempotent: nothing is installed
# or updated when all are present), then configures and builds into build/.
# Environment: MIXPIM_BUILD_DIR (default build), MIXPIM_CMAKE_ARGS (extra cmake arguments).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(
  g++ cmake make pkg-config
  libsystemc-dev libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-matplotlib python3-numpy python3-yaml time
  slurmctld slurmd slurm-client munge   # the Slurm round-trip test (tests/slurm/roundtrip.sh)
  libonnx-dev libprotobuf-dev protobuf-compiler   # ONNX import (sim/workload/onnx_import.h)
  python3-torch python3-onnx   # tests/onnx: models exported from PyTorch at test time
  python3-torchvision python3-sklearn   # torchvision models in tests/onnx; the digits example
)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then sudo=(sudo); fi
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

build_dir=${MIXPIM_BUILD_DIR:-build}
# shellcheck disable=SC2086  # MIXPIM_CMAKE_ARGS is a list of arguments
mkdir -p "$build_dir"
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release ${MIXPIM_CMAKE_ARGS:-} > "$build_dir/configure.log" 2>&1 \
  || { cat "$build_dir/configure.log"; exit 1; }
cmake --build "$build_dir" -j "$(nproc)"
