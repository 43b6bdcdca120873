#!/usr/bin/env bash
# A real Slurm round trip on this machine: starts munged, slurmctld and slurmd (single node,
# localhost, no systemd, a private socket, ports and state directory), runs a small sweep
# locally, emits the same sweep as a job array, submits it with sbatch, waits, collects, and
# requires points.csv and summary.json to equal the local sweep's byte for byte.
# Usage: roundtrip.sh MIXPIM_BINARY SOURCE_DIR. Exit 0 pass, 1 fail, 77 skipped (the reason is
# printed: no Slurm or munge installed, or not root).
set -euo pipefail
mixpim=$1
source_dir=$2

skip() {
  echo "SKIPPED: Slurm round trip: $*"
  exit 77
}
for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (scripts/setup.sh installs slurmctld, slurmd, slurm-client and munge)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root here"

work=$(mktemp -d /tmp/mixpim-slurm.XXXXXX)
chmod 700 "$work"
cleanup() {
  local code=$?
  if [ $code -ne 0 ]; then
    echo "--- slurmctld.log"; tail -n 20 "$work/slurmctld.log" 2> /dev/null || true
    echo "--- slurmd.log"; tail -n 20 "$work/slurmd.log" 2> /dev/null || true
    echo "--- munged.log"; tail -n 5 "$work/munged.log" 2> /dev/null || true
  fi
  local pids=()
  for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid" "$work/munged.pid"; do
    [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
  done
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2> /dev/null || true
  # The daemons take a moment to stop; nothing of this test may outlive it.
  for _ in $(seq 1 50); do
    alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2> /dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.2
  done
  [ ${#pids[@]} -gt 0 ] && kill -9 "${pids[@]}" 2> /dev/null || true
  rm -rf "$work"
  exit $code
}
trap cleanup EXIT

# munge: a key and socket of our own, so a system munged (if any) is left alone.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --force --socket="$work/munge.socket" --key-file="$work/munge.key" \
  --pid-file="$work/munged.pid" --log-file="$work/munged.log" --seed-file="$work/munged.seed" \
  || skip "munged does not start here (see $work/munged.log)"

# Ports from the process id, so two runs on one machine (both test passes) cannot collide.
port=$((20000 + ($$ % 20000)))
node=$(hostname -s)
mkdir -p "$work/spool" "$work/state"
cat > "$work/slurm.conf" <<CONF
ClusterName=mixpimtest
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge.socket
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmdSpoolDir=$work/spool
StateSaveLocation=$work/state
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$node NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=mixpim Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -c || skip "slurmctld does not start here (see $work/slurmctld.log)"
slurmd || skip "slurmd does not start here (see $work/slurmd.log)"
for _ in $(seq 1 50); do
  sinfo -h -o %T 2> /dev/null | grep -q idle && break
  sleep 0.2
done
sinfo -h -o %T | grep -q idle || { echo "the node did not come up"; exit 1; }

# A small real sweep: ResNet18 at two profiles and two array sizes, analytic.
cat > "$work/spec.yaml" <<SPEC
name: slurm-roundtrip
base:
  arch: $source_dir/configs/arch/isaac.yaml
  workload: $source_dir/workloads/resnet18-cifar10.yaml
axes:
  - key: precision
    values: [$source_dir/workloads/profiles/uniform8.yaml, $source_dir/workloads/profiles/resnet18/mixed-channel.yaml]
  - {key: pe.crossbar.rows, values: [128, 256]}
SPEC
"$mixpim" sweep "$work/spec.yaml" --out "$work/local" -j 2 > /dev/null
"$mixpim" sweep "$work/spec.yaml" --emit-slurm "$work/cluster" > /dev/null
# --wait returns when every array task has ended; a bound keeps a stuck cluster from hanging CI.
timeout 300 sbatch --wait --quiet "$work/cluster/sweep.slurm"
"$mixpim" sweep --collect "$work/cluster" > /dev/null
cmp "$work/local/points.csv" "$work/cluster/points.csv"
cmp "$work/local/summary.json" "$work/cluster/summary.json"
tasks=$(ls "$work/cluster/slurm" | wc -l)
[ "$tasks" -eq 4 ] || { echo "expected 4 task logs, got $tasks"; exit 1; }
echo "Slurm round trip: 4 points through sbatch equal the local sweep byte for byte"
