#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang into build-fuzz/ and runs each for
# SECONDS (default 60) on a seed corpus of the shipped inputs, printing executions per target
# and any crash, timeout or leak file. Installs clang (and the fuzzer runtime) when missing.
#   bash scripts/fuzz.sh [SECONDS]        FUZZ_TARGETS="arch npy" bash scripts/fuzz.sh 30
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/build-fuzz"
targets=(${FUZZ_TARGETS:-arch tech workload profile sweep npy onnx})
jobs="${FUZZ_BUILD_JOBS:-2}"

sudo_if_needed() { if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi; }

# The fuzzer runtime ships in libclang-rt-14-dev on Debian 12 (not always pulled in by clang).
have_fuzzer_runtime() {
  echo 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }' |
    clang++ -x c++ -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1
}
# What the fuzz build needs of scripts/setup.sh's packages (CMake configures all of the
# project, SystemC and GoogleTest included), plus clang.
missing=()
for package in cmake make pkg-config python3 libsystemc-dev libyaml-cpp-dev nlohmann-json3-dev \
               libboost-dev libboost-program-options-dev libgtest-dev libgmock-dev \
               libonnx-dev libprotobuf-dev protobuf-compiler; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
command -v clang++ >/dev/null || missing+=(clang)
if [ ${#missing[@]} -gt 0 ]; then
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
if ! have_fuzzer_runtime; then
  [ ${#missing[@]} -gt 0 ] || sudo_if_needed apt-get update -qq
  if apt-cache policy libclang-rt-14-dev | grep -q 'Candidate: [0-9]'; then
    sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libclang-rt-14-dev
  fi
  have_fuzzer_runtime || { echo "error: clang++ cannot link -fsanitize=fuzzer" >&2; exit 1; }
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DMIXPIM_FUZZ=ON >/dev/null
cmake --build "$build" -j "$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")

# Seed corpora: the shipped files of each format, plus small .npy files made here.
corpus="$build/corpus"
seed() {  # seed FORMAT FILES...
  local dir="$corpus/$1"
  shift
  mkdir -p "$dir"
  cp "$@" "$dir/"
}
seed arch "$root"/configs/arch/*.yaml
seed tech "$root"/configs/tech/*.yaml
seed workload "$root"/workloads/*.yaml
mkdir -p "$corpus/profile"
for f in $(cd "$root/workloads/profiles" && find . -name '*.yaml'); do
  cp "$root/workloads/profiles/$f" "$corpus/profile/$(echo "${f#./}" | tr / _)"
done
seed sweep "$root"/configs/sweeps/*.yaml
mkdir -p "$corpus/npy"
npy_file() {  # npy_file NAME VERSION_MAJOR HEADER DATA_HEX
  local name="$1" major="$2" header="$3" data="$4"
  python3 - "$corpus/npy/$name" "$major" "$header" "$data" <<'PY'
import struct, sys
path, major, header, data = sys.argv[1], int(sys.argv[2]), sys.argv[3], bytes.fromhex(sys.argv[4])
prefix = 6 + 2 + (2 if major == 1 else 4)
pad = (-(prefix + len(header) + 1)) % 64
h = (header + " " * pad + "\n").encode("latin1")
length = struct.pack("<H", len(h)) if major == 1 else struct.pack("<I", len(h))
open(path, "wb").write(b"\x93NUMPY" + bytes([major, 0]) + length + h + data)
PY
}
npy_file i4_2x3.npy 1 "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 3), }" \
  010000000200000003000000fcffffff0500000006000000
npy_file f8_3.npy 1 "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }" \
  000000000000f03f0000000000000040000000000000f8bf
npy_file u1_scalar.npy 1 "{'descr': '|u1', 'fortran_order': False, 'shape': (), }" ff
npy_file i1_empty.npy 1 "{'descr': '|i1', 'fortran_order': False, 'shape': (0, 4), }" ""
npy_file f4_v2.npy 2 "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" 0000803f000000c0
npy_file i8_1x1x2.npy 1 "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1, 2), }" \
  ffffffffffffff7f0000000000000080
npy_file i2_4.npy 1 "{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }" 0100ff7f0080ffff

# ONNX seeds: the small test models (tests/onnx/make_models.py) where PyTorch is installed.
mkdir -p "$corpus/onnx"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
if "$py" -c "import torch, torchvision, onnx" 2>/dev/null; then
  "$py" "$root/tests/onnx/make_models.py" "$build/onnx-models" >/dev/null 2>&1 &&
    for f in concat sigmoid clip corrupt; do cp "$build/onnx-models/$f.onnx" "$corpus/onnx/"; done
else
  printf '\x08\x07' > "$corpus/onnx/tiny.onnx"
fi

status=0
for t in "${targets[@]}"; do
  work="$build/runs/$t"
  # New coverage goes to live/ (kept between runs); crash, timeout, leak and oom files to found/.
  mkdir -p "$work" "$build/found/$t" "$build/live/$t"
  log="$work/fuzz.log"
  echo "== fuzz_$t for ${seconds}s"
  set +e
  (cd "$work" && "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
     -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
     -artifact_prefix="$build/found/$t/" "$build/live/$t" "$corpus/$t" >"$log" 2>&1)
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  echo "   executions: $execs ($rate/s) ${cov}"
  artifacts=$(ls "$build/found/$t"/{crash,timeout,leak,oom,slow-unit}-* 2>/dev/null || true)
  if [ "$rc" -ne 0 ] || [ -n "$artifacts" ]; then
    status=1
    echo "   FAILED (exit $rc); log: $log"
    for a in $artifacts; do echo "   finding: $a"; done
    grep -m 5 -E 'ERROR|SUMMARY|terminate|uncaught' "$log" | sed 's/^/   /' || true
  fi
done
exit "$status"
