#!/usr/bin/env bash
# Pins mixpim's side of results/neurosim/: reruns scripts/neurosim_compare.py with this build
# and fails when an activity file or a figure of comparison.csv would change (a price, count or
# preset key that moves the NeuroSim comparison must come with the regenerated page).
# Usage: compare.sh MIXPIM SOURCE_DIR
set -euo pipefail
source "$2/tests/python_with.sh"
python_with yaml
"$python" "$2/scripts/neurosim_compare.py" --mixpim "$1" --check
