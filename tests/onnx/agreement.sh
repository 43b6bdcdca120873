#!/usr/bin/env bash
# Runs tests/onnx/agreement.py in a temporary directory. Exit 77 skips where a Python module it
# needs is missing (tests/python_with.sh). Usage: agreement.sh MIXPIM_BINARY SOURCE_DIR
set -euo pipefail
source "$2/tests/python_with.sh"
python_with torch torchvision onnx numpy yaml
work=$(mktemp -d /tmp/mixpim-agreement.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$python" -W ignore "$2/tests/onnx/agreement.py" "$1" "$2" "$work"
