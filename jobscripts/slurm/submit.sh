#!/usr/bin/env bash
# Submit leefbaar's job chain to Slurm:
#   recompute (recompute.sbatch)
#     -> afterok: sweep slices (sweep-array.sbatch, a job array)     with --weights
#          -> afterok: merge (sweep-merge.sbatch)
#   bench (bench.sbatch, independent)                                 with --bench
#
# Usage: jobscripts/slurm/submit.sh --config FILE [options] [-- extra sbatch options]
#   --config FILE          run config (TOML); required unless --no-recompute
#   --out DIR              output folder (default: run.out of the config)
#   --nodes N              recompute nodes (default 1)
#   --ranks-per-node R     recompute MPI ranks per node (default 2)
#   --threads T            OpenMP threads per rank = --cpus-per-task (default 1)
#   --time T               recompute time limit, Slurm format (default 02:00:00)
#   --partition P          partition of every job (default: the cluster's default)
#   --account A            account of every job
#   --launcher L           mpirun (default) | srun (needs srun --mpi=pmix support, see
#                          --srun-mpi) | none
#   --srun-mpi M           srun --mpi plugin (default pmix)
#   --bind B               core (default) | none: pin ranks to cores, threads to their cores
#   --force                replace a finished run in the output folder (first start only)
#   --no-recompute         skip the recompute; sweep an existing run (--run-dir)
#   --run-dir DIR          the run to sweep (default: the output folder)
#   --after JOBID          make the first job wait for JOBID (afterok)
#   --weights SPEC         sweep weight SPEC (leefbaar sweep --weights); enables the sweep
#   --members M            number of sweep members (required with --weights)
#   --slices S             array tasks (default: min(M, 4)); task i computes [i*M/S, (i+1)*M/S)
#   --sweep-threads T      threads per sweep task (default 1)
#   --sweep-time T         time limit per sweep task (default 01:00:00)
#   --sweep-out DIR        sweep folder (default: RUN_DIR/sweep)
#   --bench                also submit the benchmark job (bench.sbatch)
#   --bench-out DIR        its output (default: OUT/bench)
#   --logs DIR             job .out/.err files (default: OUT/logs)
#   --binary PATH          leefbaar binary (default: build/release/leefbaar of this repo)
#   --dry-run              print the sbatch commands, submit nothing
# Prints one line per submitted job, `<step> <jobid>` (recompute, sweep, merge, bench), on
# stdout; everything else on stderr. Every path may contain spaces (they reach the jobs
# through the environment, exported with --export=ALL, never through a comma list).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
die() { echo "submit.sh: $*" >&2; exit 2; }
abspath() {  # absolute path without resolving symlinks; the folder need not exist yet
  case $1 in /*) printf '%s\n' "$1" ;; *) printf '%s\n' "$PWD/$1" ;; esac
}

config="" out="" nodes=1 rpn=2 threads=1 time=02:00:00 partition="" account=""
launcher=mpirun srun_mpi=pmix bind=core force=0 recompute=1 run_dir="" after=""
weights="" members="" slices="" sweep_threads=1 sweep_time=01:00:00 sweep_out=""
bench=0 bench_out="" logs="" binary="$root/build/release/leefbaar" dry=0 extra=()
need() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --config) need "$@"; config=$2; shift 2 ;;
    --out) need "$@"; out=$2; shift 2 ;;
    --nodes) need "$@"; nodes=$2; shift 2 ;;
    --ranks-per-node) need "$@"; rpn=$2; shift 2 ;;
    --threads) need "$@"; threads=$2; shift 2 ;;
    --time) need "$@"; time=$2; shift 2 ;;
    --partition) need "$@"; partition=$2; shift 2 ;;
    --account) need "$@"; account=$2; shift 2 ;;
    --launcher) need "$@"; launcher=$2; shift 2 ;;
    --srun-mpi) need "$@"; srun_mpi=$2; shift 2 ;;
    --bind) need "$@"; bind=$2; shift 2 ;;
    --force) force=1; shift ;;
    --no-recompute) recompute=0; shift ;;
    --run-dir) need "$@"; run_dir=$2; shift 2 ;;
    --after) need "$@"; after=$2; shift 2 ;;
    --weights) need "$@"; weights=$2; shift 2 ;;
    --members) need "$@"; members=$2; shift 2 ;;
    --slices) need "$@"; slices=$2; shift 2 ;;
    --sweep-threads) need "$@"; sweep_threads=$2; shift 2 ;;
    --sweep-time) need "$@"; sweep_time=$2; shift 2 ;;
    --sweep-out) need "$@"; sweep_out=$2; shift 2 ;;
    --bench) bench=1; shift ;;
    --bench-out) need "$@"; bench_out=$2; shift 2 ;;
    --logs) need "$@"; logs=$2; shift 2 ;;
    --binary) need "$@"; binary=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done

posint() { [[ $2 =~ ^[0-9]+$ && $2 -gt 0 ]] || die "$1 '$2': expected a positive integer"; }
posint --nodes "$nodes"; posint --ranks-per-node "$rpn"; posint --threads "$threads"
posint --sweep-threads "$sweep_threads"
case $launcher in mpirun|srun|none) ;; *) die "--launcher '$launcher': expected mpirun, srun or none" ;; esac
case $bind in core|none) ;; *) die "--bind '$bind': expected core or none" ;; esac
binary=$(abspath "$binary")
[[ -x $binary ]] || die "leefbaar binary '$binary' not found (build it, or pass --binary)"

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
logs=$(abspath "${logs:-$out/logs}")
bench_out=$(abspath "${bench_out:-$out/bench}")
if [[ -n $weights ]]; then
  posint --members "$members"
  [[ -n $slices ]] || slices=$(( members < 4 ? members : 4 ))
  posint --slices "$slices"
  [[ $slices -le $members ]] || die "--slices $slices exceeds --members $members"
fi
[[ $recompute -eq 1 || -n $weights || $bench -eq 1 ]] || die "nothing to submit"
case $logs in *%*) die "--logs '$logs' must not contain '%' (Slurm file patterns)";; esac

# Everything reaches the jobs through the environment (sbatch --export=ALL).
export LEEFBAAR_ROOT=$root LEEFBAAR=$binary LEEFBAAR_LAUNCHER=$launcher
export LEEFBAAR_SRUN_MPI=$srun_mpi LEEFBAAR_BIND=$bind
export LEEFBAAR_CONFIG=$config LEEFBAAR_OUT=$out LEEFBAAR_FORCE=$force
export LEEFBAAR_RUN_DIR=$run_dir LEEFBAAR_SWEEP_OUT=$sweep_out
export LEEFBAAR_SWEEP_WEIGHTS=$weights LEEFBAAR_SWEEP_MEMBERS=$members LEEFBAAR_SWEEP_SLICES=$slices
export LEEFBAAR_BENCH_OUT=$bench_out
unset LEEFBAAR_SLICE LEEFBAAR_SWEEP_MERGED

common=(--export=ALL --chdir="$root")
[[ -n $partition ]] && common+=(--partition="$partition")
[[ -n $account ]] && common+=(--account="$account")
[[ $dry -eq 1 ]] || mkdir -p "$logs"

# submit STEP sbatch-args... : prints "STEP JOBID"; sets $jobid.
submit() {
  local step=$1; shift
  local cmd=(sbatch --parsable "${common[@]}" "$@")
  if [[ $dry -eq 1 ]]; then
    printf '%q ' "${cmd[@]}" >&2; echo >&2
    jobid="DRY-$step"
  else
    jobid=$("${cmd[@]}") || die "sbatch failed for $step"
    jobid=${jobid%%;*}
  fi
  echo "$step $jobid"
  echo "submit.sh: $step -> job $jobid" >&2
}

# Slurm time limit (M, M:S, H:M:S, D-H, D-H:M, D-H:M:S) in seconds; empty if not understood.
time_seconds() {
  local t=$1 d=0 h=0 m=0 s=0
  if [[ $t =~ ^([0-9]+)-([0-9]+)(:([0-9]+))?(:([0-9]+))?$ ]]; then
    d=${BASH_REMATCH[1]} h=${BASH_REMATCH[2]} m=${BASH_REMATCH[4]:-0} s=${BASH_REMATCH[6]:-0}
  elif [[ $t =~ ^([0-9]+):([0-9]+):([0-9]+)$ ]]; then
    h=${BASH_REMATCH[1]} m=${BASH_REMATCH[2]} s=${BASH_REMATCH[3]}
  elif [[ $t =~ ^([0-9]+):([0-9]+)$ ]]; then
    m=${BASH_REMATCH[1]} s=${BASH_REMATCH[2]}
  elif [[ $t =~ ^([0-9]+)$ ]]; then
    m=${BASH_REMATCH[1]}
  else
    return 0
  fi
  echo $(( ((10#$d * 24 + 10#$h) * 60 + 10#$m) * 60 + 10#$s ))
}
# recompute.sbatch asks for its time-limit warning (requeue and resume) 300 s ahead; a
# shorter limit would get the warning at once, so it comes at a quarter of the limit instead.
signal=()
limit=$(time_seconds "$time")
if [[ -n $limit ]] && (( limit <= 600 )); then
  signal=(--signal="B:USR1@$(( limit / 4 ))")
fi

dep=()
[[ -n $after ]] && dep=(--dependency="afterok:$after")
if [[ $recompute -eq 1 ]]; then
  submit recompute "${dep[@]}" --job-name=leefbaar-recompute "${signal[@]}" \
    --nodes="$nodes" --ntasks-per-node="$rpn" --cpus-per-task="$threads" --time="$time" \
    --requeue --open-mode=append \
    --output="$logs/%x-%j.out" --error="$logs/%x-%j.err" \
    "${extra[@]}" "$here/recompute.sbatch"
  dep=(--dependency="afterok:$jobid")
fi
if [[ -n $weights ]]; then
  submit sweep "${dep[@]}" --job-name=leefbaar-sweep --array="0-$((slices - 1))" \
    --ntasks=1 --cpus-per-task="$sweep_threads" --time="$sweep_time" \
    --output="$logs/%x-%A_%a.out" --error="$logs/%x-%A_%a.err" \
    "${extra[@]}" "$here/sweep-array.sbatch"
  submit merge --dependency="afterok:$jobid" --job-name=leefbaar-merge \
    --ntasks=1 --cpus-per-task=1 --time="$sweep_time" \
    --output="$logs/%x-%j.out" --error="$logs/%x-%j.err" \
    "${extra[@]}" "$here/sweep-merge.sbatch"
fi
if [[ $bench -eq 1 ]]; then
  submit bench --job-name=leefbaar-bench --nodes=1 --ntasks-per-node="$rpn" \
    --cpus-per-task="$threads" --exclusive \
    --output="$logs/%x-%j.out" --error="$logs/%x-%j.err" \
    "${extra[@]}" "$here/bench.sbatch"
fi
