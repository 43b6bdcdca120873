#!/usr/bin/env bash
# Runs tests/onnx/agreement.py in a temporary directory. Exit 77 skips where python3-torch or
# python3-onnx is missing. Usage: agreement.sh MIXPIM_BINARY SOURCE_DIR
set -euo pipefail
python=/usr/bin/python3
[ -x "$python" ] || python=python3
"$python" -c "import torch, onnx, numpy" 2> /dev/null \
  || { echo "SKIPPED: python3-torch, python3-onnx or python3-numpy missing (scripts/setup.sh installs them)"; exit 77; }
work=$(mktemp -d /tmp/mixpim-agreement.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" -W ignore "$2/tests/onnx/agreement.py" "$1" "$2" "$work"
