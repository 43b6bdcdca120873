#!/usr/bin/env bash
# ONNX import against the shipped workloads: exports the CIFAR VGG19 and ResNet18 from PyTorch
# (tests/onnx/make_models.py, built as scripts/gen_workloads.py builds the YAML), then requires
# - `mixpim info --json` totals (MACs, weights, layers) equal to the shipped YAML's,
# - `mixpim map --json` to give the same arrays per weight layer on ISAAC at 8 bits,
# - `mixpim run` on the .onnx to report the same energy as on the YAML,
# - `mixpim import` to write a workload that loads back to the same totals,
# - a network with a channel Concat to run in every engine (same energy, functional exact),
# - torchvision's ResNet18 and MobileNetV2 to import with their published sizes and run through
#   every engine (same energy, functional bit-exact with their real weights),
# - unsupported operators (Sigmoid, a Clip that is not a ReLU6) and a corrupt file to exit 2
#   naming the node or the file, writing nothing.
# Usage: import.sh MIXPIM_BINARY SOURCE_DIR. Exit 0 pass, 1 fail, 77 skipped (no torch/onnx).
set -euo pipefail
mixpim=$1
source_dir=$2
source "$source_dir/tests/python_with.sh"
python_with torch torchvision onnx numpy

work=$(mktemp -d /tmp/mixpim-onnx.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" "$source_dir/tests/onnx/make_models.py" "$work" > "$work/export.log" 2>&1 \
  || { cat "$work/export.log"; exit 1; }
cd "$source_dir"
fail=0
check() {  # check DESCRIPTION COMMAND... : the command must succeed
  local what=$1
  shift
  if ! "$@"; then
    echo "FAIL: $what"
    fail=1
  fi
}
same_json() {  # same_json A.json B.json PYTHON_EXPRESSION_OF_d
  "$python" - "$1" "$2" "$3" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
pick = lambda d: eval(sys.argv[3], {"d": d})
if pick(a) != pick(b):
    print("  imported:", pick(a))
    print("  shipped: ", pick(b))
    sys.exit(1)
PY
}
for net in vgg19 resnet18; do
  model=$work/$net.onnx
  yaml=workloads/$net-cifar10.yaml
  "$mixpim" info --json -w "$model" -o "$work/$net-info-onnx.json"
  "$mixpim" info --json -w "$yaml" -o "$work/$net-info-yaml.json"
  check "$net: info totals" same_json "$work/$net-info-onnx.json" "$work/$net-info-yaml.json" "d['totals']"
  for f in onnx yaml; do
    src=$model
    [ "$f" = yaml ] && src=$yaml
    "$mixpim" map --json -a configs/arch/isaac.yaml -w "$src" -p workloads/profiles/uniform8.yaml \
      -o "$work/$net-map-$f.json"
    "$mixpim" run -a configs/arch/isaac.yaml -w "$src" -p workloads/profiles/uniform8.yaml \
      --no-baseline -o "$work/$net-run-$f" > /dev/null
  done
  check "$net: arrays per layer" same_json "$work/$net-map-onnx.json" "$work/$net-map-yaml.json" \
    "[(l['arrays'], l['replication'], l['pes']) for l in d['layers']]"
  check "$net: energy" same_json "$work/$net-run-onnx/report.json" "$work/$net-run-yaml/report.json" \
    "d['totals']['energy_pj']"
  "$mixpim" import "$model" -o "$work/$net.yaml"
  "$mixpim" info --json -w "$work/$net.yaml" -o "$work/$net-info-import.json"
  check "$net: imported YAML loads back" same_json "$work/$net-info-import.json" \
    "$work/$net-info-yaml.json" "d['totals']"
done

# A concatenation network through every engine: the same counts (energy) in all three, and the
# functional engine bit-exact (8-bit ADCs hold its column sums).
for engine in analytic cycle functional; do
  check "concat: $engine run" "$mixpim" run -e "$engine" -a configs/arch/isaac.yaml -w "$work/concat.onnx" \
    -p workloads/profiles/uniform8.yaml --no-baseline -o "$work/concat-$engine" > /dev/null
done
check "concat: a concat layer" grep -q '"type": "concat"' "$work/concat-analytic/report.json"
check "concat: cycle energy" same_json "$work/concat-cycle/report.json" "$work/concat-analytic/report.json" \
  "d['totals']['energy_pj']"
check "concat: data-aware energy below the data-independent one" "$python" -c "import json, sys; d = json.load(open(sys.argv[1]))['data_aware']; e = d['energy_pj']; sys.exit(0 if 0 < d['dac_active_fraction'] < 1 and e['data_aware'] < e['data_independent'] and d['dac_pj']['data_aware'] < d['dac_pj']['data_independent'] else 1)" "$work/concat-functional/report.json"
check "concat: functional exact" "$python" -c "import json, sys; f = json.load(open(sys.argv[1]))['functional']; sys.exit(0 if f['exact'] and f['totals']['max_abs_error'] == 0 else 1)" "$work/concat-functional/report.json"

# `mixpim import --weights` writes what `--data` reads: the imported YAML with its weight map
# gives the functional engine the same outputs as the .onnx itself.
"$mixpim" import "$work/concat.onnx" -o "$work/concat.yaml" --weights "$work/concat-weights"
check "import --weights: a map per layer" grep -q '"b_Conv.bias": "b_Conv.bias.npy"' "$work/concat-weights/data.yaml"
"$mixpim" run -e functional -a configs/arch/isaac.yaml -w "$work/concat.onnx" -p workloads/profiles/uniform8.yaml \
  --no-baseline --outputs "$work/concat-onnx.npy" -o "$work/concat-onnx" > /dev/null
"$mixpim" run -e functional -a configs/arch/isaac.yaml -w "$work/concat.yaml" -p workloads/profiles/uniform8.yaml \
  --data "$work/concat-weights/data.yaml" --no-baseline --outputs "$work/concat-yaml.npy" -o "$work/concat-yaml" > /dev/null
check "import --weights: the same outputs" "$python" -c "import numpy, sys; a, b = (numpy.load(p) for p in sys.argv[1:]); sys.exit(0 if a.shape == b.shape and (a == b).all() and a.any() else 1)" "$work/concat-onnx.npy" "$work/concat-yaml.npy"

# A torchvision model through every engine with its own (random-initialised) float weights:
# its published size, the same energy in all three engines, the functional engine bit-exact on
# ISAAC with real weights. Usage: torchvision_model NAME MACS WEIGHTS
torchvision_model() {
  local name=$1 model=$work/tv-$1.onnx
  "$mixpim" info --json -w "$model" -o "$work/$name-info.json"
  check "$name: MACs and weights" "$python" -c "import json, sys; t = json.load(open(sys.argv[1]))['totals']; sys.exit(0 if (t['macs'], t['weights']) == (int(sys.argv[2]), int(sys.argv[3])) else 1)" "$work/$name-info.json" "$2" "$3"
  for engine in analytic cycle functional; do
    check "$name: $engine run" "$mixpim" run -e "$engine" -a configs/arch/isaac.yaml -w "$model" \
      -p workloads/profiles/uniform8.yaml --no-baseline -o "$work/$name-$engine" > /dev/null
  done
  for engine in cycle functional; do
    check "$name: $engine energy" same_json "$work/$name-$engine/report.json" \
      "$work/$name-analytic/report.json" "d['totals']['energy_pj']"
  done
  check "$name: functional exact with real weights" "$python" -c "import json, sys; f = json.load(open(sys.argv[1]))['functional']; sys.exit(0 if f['exact'] and f['weights'] == 'real' else 1)" "$work/$name-functional/report.json"
}
# ResNet18, ImageNet stem (torchvision: 1.81 GFLOPS, 11.7 M parameters with biases and BN).
torchvision_model resnet18 1814073344 11678912
# MobileNetV2: depthwise convolutions mapped per group, ReLU6 (torchvision: 0.30 GFLOPS, 3.5 M).
torchvision_model mobilenet-v2 300774272 3469760

expect_error() {  # expect_error MODEL TEXT
  local status=0
  "$mixpim" import "$work/$1" -o "$work/out-$1.yaml" > "$work/err-$1.txt" 2>&1 || status=$?
  if [ "$status" -ne 2 ] || ! grep -qF -- "$2" "$work/err-$1.txt" || [ -e "$work/out-$1.yaml" ]; then
    echo "FAIL: $1: expected exit 2 naming '$2', nothing written; got exit $status:"
    cat "$work/err-$1.txt"
    fail=1
  fi
}
expect_error sigmoid.onnx "node 1 '/1/Sigmoid' (Sigmoid): operator Sigmoid is not supported"
expect_error clip.onnx "only Clip(0, max) with 0 < max <= 1e12 (ReLU6) is supported, got [-1.000000, 1.000000]"
expect_error corrupt.onnx "corrupt.onnx: not an ONNX model"
expect_error missing.onnx "missing.onnx: cannot open the file"
[ "$fail" -eq 0 ] && echo "ONNX import: all checks passed"
exit "$fail"
