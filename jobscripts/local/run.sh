#!/usr/bin/env bash
# The Slurm job chain on one machine, without Slurm: the same job scripts
# (jobscripts/slurm/*.sbatch) run one after the other with mpirun, each stopping the chain
# when it fails:
#   recompute -> sweep slices 0..S-1 (one after the other) -> merge      [-> bench]
#
# Usage: jobscripts/local/run.sh --config FILE [options]
#   --config FILE      run config (TOML); required unless --no-recompute
#   --out DIR          output folder (default: run.out of the config)
#   --ranks R          MPI ranks (default 2; more than the cores is allowed)
#   --threads T        OpenMP threads per rank (default 1)
#   --bind B           none (default) | core
#   --force            replace a finished run (otherwise: resume from checkpoints if any)
#   --no-recompute     skip the recompute; sweep an existing run (--run-dir)
#   --run-dir DIR      the run to sweep (default: the output folder)
#   --weights SPEC --members M [--slices S] [--sweep-out DIR]   the weight sweep
#   --bench [--bench-out DIR]   the benchmark suite (bench.sbatch) at the end
#   --binary PATH      leefbaar binary (default: build/release/leefbaar of this repo)
# Each step prints its `leefbaar-job: ...` summary line, as in Slurm (job=local).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
slurm=$root/jobscripts/slurm
die() { echo "local/run.sh: $*" >&2; exit 2; }
abspath() { case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac; }

config="" out="" ranks=2 threads=1 bind=none force=0 recompute=1 run_dir="" weights=""
members="" slices="" sweep_out="" bench=0 bench_out="" binary="$root/build/release/leefbaar"
need() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) need "$@"; config=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    --ranks) need "$@"; ranks=$2; shift 2 ;;
    --threads) need "$@"; threads=$2; shift 2 ;;
    --bind) need "$@"; bind=$2; shift 2 ;;
    --force) force=1; shift ;;
    --no-recompute) recompute=0; shift ;;
    --run-dir) need "$@"; run_dir=$2; shift 2 ;;
    --weights) need "$@"; weights=$2; shift 2 ;;
    --members) need "$@"; members=$2; shift 2 ;;
    --slices) need "$@"; slices=$2; shift 2 ;;
    --sweep-out) need "$@"; sweep_out=$2; shift 2 ;;
    --bench) bench=1; shift ;;
    --bench-out) need "$@"; bench_out=$2; shift 2 ;;
    --binary) need "$@"; binary=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $ranks =~ ^[0-9]+$ && $ranks -gt 0 ]] || die "--ranks '$ranks': expected a positive integer"
[[ $threads =~ ^[0-9]+$ && $threads -gt 0 ]] || die "--threads '$threads': expected a positive integer"
if [[ -n $config ]]; then
  [[ -f $config ]] || die "run config '$config' not found"
  config=$(abspath "$config")
fi
if [[ -z $out ]]; then
  [[ -n $config ]] || die "--out or --config needed"
  LEEFBAAR_ROOT=$root source "$root/jobscripts/lib/common.sh"
  out=$(lb_run_out "$config") || die "cannot read run.out from '$config'; pass --out"
fi
out=$(abspath "$out")
[[ $recompute -eq 0 || -n $config ]] || die "--config is required (or --no-recompute --run-dir DIR)"
run_dir=$(abspath "${run_dir:-$out}")
sweep_out=$(abspath "${sweep_out:-$run_dir/sweep}")
if [[ -n $weights ]]; then
  [[ $members =~ ^[0-9]+$ && $members -gt 0 ]] || die "--members '$members': expected a positive integer"
  [[ -n $slices ]] || slices=1
  [[ $slices =~ ^[0-9]+$ && $slices -gt 0 && $slices -le $members ]] || die "--slices '$slices': 1..members"
fi

# Not inside Slurm: the job scripts then take ranks and threads from these.
unset SLURM_JOB_ID SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID SLURM_RESTART_COUNT
export LEEFBAAR_ROOT=$root LEEFBAAR=$(abspath "$binary") LEEFBAAR_LAUNCHER=mpirun
export LEEFBAAR_RANKS=$ranks LEEFBAAR_THREADS=$threads LEEFBAAR_BIND=$bind
export LEEFBAAR_CONFIG=$config LEEFBAAR_OUT=$out LEEFBAAR_FORCE=$force
export LEEFBAAR_RUN_DIR=$run_dir LEEFBAAR_SWEEP_OUT=$sweep_out
export LEEFBAAR_SWEEP_WEIGHTS=$weights LEEFBAAR_SWEEP_MEMBERS=$members LEEFBAAR_SWEEP_SLICES=$slices
export LEEFBAAR_BENCH_OUT=$(abspath "${bench_out:-$out/bench}")

if [[ $recompute -eq 1 ]]; then
  bash "$slurm/recompute.sbatch"
fi
if [[ -n $weights ]]; then
  for ((i = 0; i < slices; i++)); do
    LEEFBAAR_SLICE=$i bash "$slurm/sweep-array.sbatch"
  done
  bash "$slurm/sweep-merge.sbatch"
fi
if [[ $bench -eq 1 ]]; then
  bash "$slurm/bench.sbatch"
fi
