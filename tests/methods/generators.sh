#!/usr/bin/env bash
# Runs the profile generators' tests (tests/methods/test_*.py) in a temporary directory. Exit 77
# skips where python3-torch or python3-sklearn is missing. Usage: generators.sh MIXPIM SOURCE_DIR
set -euo pipefail
source "$2/tests/python_with.sh"
python_with torch sklearn onnx yaml numpy
work=$(mktemp -d /tmp/mixpim-methods.XXXXXX)
trap 'rm -rf "$work"' EXIT
status=0
"$python" -W ignore "$2/tests/methods/test_ad.py" "$1" "$2" "$work" || status=1
"$python" -W ignore "$2/tests/methods/test_class.py" "$1" "$2" "$work" || status=1
"$python" -W ignore "$2/tests/methods/test_ptilmpq.py" "$1" "$2" "$work" || status=1
"$python" -W ignore "$2/tests/methods/test_plugin.py" "$1" "$2" "$work" || status=1
exit "$status"
