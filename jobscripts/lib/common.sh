# Shared by the job scripts in jobscripts/slurm/ (sourced, not run). Inside Slurm and on a
# plain machine (jobscripts/local/run.sh) alike it provides:
#   lb_init STEP        start the clock, resolve the binary, install the summary trap
#   lb_layout           ranks, ranks per node, threads from Slurm (or LEEFBAAR_RANKS/THREADS)
#   lb_launch CMD...    run CMD on the ranks with mpirun, srun or nothing, forwarding signals
#   lb_run_out CONFIG   the output folder a run config names (run.out, relative to the file)
#   lb_log MSG          a time-stamped line on stderr
# Environment read here (every path may contain spaces):
#   LEEFBAAR            the leefbaar binary (default: $LEEFBAAR_ROOT/build/release/leefbaar)
#   LEEFBAAR_LAUNCHER   mpirun (default) | srun | none (one process, no launcher)
#   LEEFBAAR_SRUN_MPI   srun --mpi plugin (default pmix; `srun --mpi=list` shows the choices)
#   LEEFBAAR_BIND       core (default inside Slurm) | none (default outside Slurm)
#   LEEFBAAR_RANKS, LEEFBAAR_THREADS   outside Slurm: ranks (default 2) and threads (default 1)
#   LEEFBAAR_MPIRUN_ARGS extra mpirun arguments (word-split)

lb_log() { echo "[$(date '+%F %T')] ${LB_STEP:-job}: $*" >&2; }

lb_die() { lb_log "error: $*"; LB_STATUS=failed; exit 2; }

# The one-line summary, printed on every exit (success, failure, signal) and appended to
# $LB_JOBLOG (default $LB_OUT/jobs.log) when its folder exists.
lb_summary() {
  local rc=$?
  [[ -n ${LB_SUMMARY_DONE:-} ]] && return
  LB_SUMMARY_DONE=1
  local wall=$(( $(date +%s) - LB_T0 ))
  local status=${LB_STATUS:-}
  if [[ -z $status || $status == running ]]; then
    if [[ $rc -eq 0 ]]; then status=ok; else status=failed; fi
  fi
  local job=${SLURM_JOB_ID:-local}
  [[ -n ${SLURM_ARRAY_JOB_ID:-} ]] && job="${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"
  local line
  line="leefbaar-job: step=$LB_STEP job=$job status=$status rc=$rc wall=${wall}s restarts=${SLURM_RESTART_COUNT:-0} host=$(hostname -s) out=${LB_OUT:-?}"
  echo "$line"
  [[ $status != ok ]] && echo "$line" >&2
  local joblog=${LB_JOBLOG:-${LB_OUT:+$LB_OUT/jobs.log}}
  if [[ -n $joblog && -d $(dirname "$joblog") ]]; then echo "$(date '+%F %T') $line" >> "$joblog" 2>/dev/null || true; fi
}

# Signals: Slurm sends SIGTERM on scancel, preemption, requeue and at the time limit; the
# launcher runs in the background so the trap fires at once and passes the signal on.
lb_on_signal() {
  local sig=$1
  LB_STATUS=${LB_SIGNAL_STATUS:-terminated-$sig}
  lb_log "received SIG$sig: stopping (status $LB_STATUS)"
  if [[ -n ${LB_CHILD:-} ]]; then kill -TERM "$LB_CHILD" 2>/dev/null || true; fi
}

lb_init() {
  LB_STEP=$1
  LB_T0=$(date +%s)
  LB_STATUS=running
  LB_OUT=${LB_OUT:-}
  LEEFBAAR=${LEEFBAAR:-$LEEFBAAR_ROOT/build/release/leefbaar}
  trap lb_summary EXIT
  trap 'lb_on_signal TERM' TERM
  trap 'lb_on_signal INT' INT
  [[ -x $LEEFBAAR ]] || lb_die "leefbaar binary '$LEEFBAAR' not found or not executable (set LEEFBAAR)"
  LB_IN_SLURM=0
  [[ -n ${SLURM_JOB_ID:-} ]] && LB_IN_SLURM=1
  LB_LAUNCHER=${LEEFBAAR_LAUNCHER:-mpirun}
  case $LB_LAUNCHER in
    mpirun|srun|none) ;;
    *) lb_die "LEEFBAAR_LAUNCHER='$LB_LAUNCHER': expected mpirun, srun or none" ;;
  esac
  if [[ $LB_LAUNCHER == srun && $LB_IN_SLURM -eq 0 ]]; then
    lb_die "LEEFBAAR_LAUNCHER=srun needs a Slurm allocation"
  fi
}

# Sets LB_RANKS, LB_RANKS_PER_NODE, LB_NODES, LB_THREADS and the OpenMP environment.
lb_layout() {
  if [[ $LB_IN_SLURM -eq 1 ]]; then
    LB_NODES=${SLURM_JOB_NUM_NODES:-${SLURM_NNODES:-1}}
    LB_RANKS=${SLURM_NTASKS:-${SLURM_NPROCS:-1}}
    LB_RANKS_PER_NODE=${SLURM_NTASKS_PER_NODE:-$(( (LB_RANKS + LB_NODES - 1) / LB_NODES ))}
    LB_THREADS=${SLURM_CPUS_PER_TASK:-1}
    LB_BIND=${LEEFBAAR_BIND:-core}
  else
    LB_NODES=1
    LB_RANKS=${LEEFBAAR_RANKS:-2}
    LB_RANKS_PER_NODE=$LB_RANKS
    LB_THREADS=${LEEFBAAR_THREADS:-1}
    LB_BIND=${LEEFBAAR_BIND:-none}
  fi
  [[ $LB_LAUNCHER == none ]] && LB_RANKS=1 LB_RANKS_PER_NODE=1
  export OMP_NUM_THREADS=$LB_THREADS
  if [[ $LB_BIND == core ]]; then
    # Each rank owns LB_THREADS cores; its threads stay on them, one per core.
    export OMP_PLACES=cores OMP_PROC_BIND=close
  else
    # Unbound ranks must not pin their threads: every rank would start on core 0.
    export OMP_PROC_BIND=false
    unset OMP_PLACES
  fi
  lb_log "layout: $LB_NODES node(s), $LB_RANKS rank(s) ($LB_RANKS_PER_NODE per node), $LB_THREADS thread(s) per rank, launcher $LB_LAUNCHER, binding $LB_BIND"
}

# Runs "$@" on the ranks; returns its exit code. The launcher runs in the background and
# the shell waits, so a SIGTERM from Slurm reaches the trap immediately.
lb_launch() {
  local cmd=()
  case $LB_LAUNCHER in
    srun)
      cmd=(srun "--mpi=${LEEFBAAR_SRUN_MPI:-pmix}" --kill-on-bad-exit=1
           "--nodes=$LB_NODES" "--ntasks=$LB_RANKS" "--ntasks-per-node=$LB_RANKS_PER_NODE"
           "--cpus-per-task=$LB_THREADS")
      if [[ $LB_BIND == core ]]; then cmd+=(--cpu-bind=cores); else cmd+=(--cpu-bind=none); fi
      ;;
    mpirun)
      cmd=(mpirun -np "$LB_RANKS" -x OMP_NUM_THREADS -x OMP_PROC_BIND)
      [[ -n ${OMP_PLACES:-} ]] && cmd+=(-x OMP_PLACES)
      if [[ $LB_IN_SLURM -eq 1 ]]; then
        # Inside an allocation Open MPI reads the nodes and slots from Slurm.
        if [[ $LB_BIND == core ]]; then
          cmd+=(--map-by "ppr:$LB_RANKS_PER_NODE:node:PE=$LB_THREADS" --bind-to core)
        else
          cmd+=(--map-by "ppr:$LB_RANKS_PER_NODE:node" --bind-to none)
        fi
      else
        cmd+=(--oversubscribe)
        if [[ $LB_BIND == core ]]; then cmd+=(--map-by "slot:PE=$LB_THREADS" --bind-to core); else cmd+=(--bind-to none); fi
      fi
      [[ $(id -u) -eq 0 ]] && cmd+=(--allow-run-as-root)
      # shellcheck disable=SC2206
      [[ -n ${LEEFBAAR_MPIRUN_ARGS:-} ]] && cmd+=($LEEFBAAR_MPIRUN_ARGS)
      ;;
    none) cmd=() ;;
  esac
  lb_log "launch: ${cmd[*]} $*"
  "${cmd[@]}" "$@" &
  LB_CHILD=$!
  local rc=0
  while true; do
    wait "$LB_CHILD"; rc=$?
    # wait returns early (>128) when a trapped signal arrives; keep waiting for the child.
    kill -0 "$LB_CHILD" 2>/dev/null || break
  done
  LB_CHILD=
  return "$rc"
}

# The output folder of a run config: run.out resolved against the config's folder.
lb_run_out() {
  local py=python3
  [[ -x /usr/bin/python3 ]] && py=/usr/bin/python3
  "$py" - "$1" <<'EOF'
import os, sys, tomllib
path = sys.argv[1]
with open(path, "rb") as f:
    out = tomllib.load(f).get("run", {}).get("out")
if not out:
    sys.exit(f"{path}: no run.out; pass an output folder")
print(os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(path)), out)))
EOF
}

# [A, B) member bounds of slice I of S over M members (contiguous, sizes differ by <= 1).
lb_slice_bounds() {
  local i=$1 s=$2 m=$3
  echo "$(( i * m / s )) $(( (i + 1) * m / s ))"
}
