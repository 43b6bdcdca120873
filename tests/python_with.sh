# Sourced by the tests that drive Python: python_with MODULE... sets $python to Debian's
# interpreter (/usr/bin/python3 where it exists) and exits 77, ctest's skip, naming the first
# module it cannot import (scripts/setup.sh installs them all).
python_with() {
  python=/usr/bin/python3
  [ -x "$python" ] || python=python3
  local module
  for module in "$@"; do
    "$python" -c "import $module" 2> /dev/null \
      || { echo "SKIPPED: Python module $module missing (scripts/setup.sh installs it)"; exit 77; }
  done
}
