#!/usr/bin/env bash
# ctest slurm_jobs: the job scripts of jobscripts/ on a real single-node Slurm.
#
#   run_slurm_test.sh LEEFBAAR_BINARY SOURCE_DIR
#
#  1. starts a private Slurm on this machine (tests/slurm/minislurm.sh: munged, slurmctld,
#     slurmd, generated slurm.conf, everything in a temporary folder);
#  2. generates the small synthetic dataset (in a folder whose name has a space) and runs
#     the config once directly with mpirun: the reference;
#  3. through jobscripts/slurm/submit.sh (every path with spaces):
#     a. recompute with mpirun inside the allocation, `scontrol requeue` once the first
#        checkpoint exists; the requeued job resumes -> leefbaar.h5 identical (h5diff) to
#        the reference, complete (leefbaar info), logs and summary lines as promised;
#        when `leefbaar sweep` exists, the sweep array + merge chained after it (afterok)
#        must equal one unsliced sweep;
#     b. recompute with srun --mpi=pmix, 1 rank x N threads (when Slurm offers pmix);
#     c. bench.sbatch over a stand-in bench folder (one script present, one missing);
#     d. a job that fails still prints its summary line (status=failed);
#  4. jobscripts/local/run.sh resumes from the reference's checkpoints -> identical;
#  5. stops everything it started (trap).
# Exit: 0 pass, 1 fail, 77 skip (Slurm cannot be started here: not root, packages missing,
# daemons do not come up).
set -uo pipefail
SKIP_CODE=77
[[ $# -ge 2 ]] || { echo "usage: $0 LEEFBAAR_BINARY SOURCE_DIR" >&2; exit 2; }
LEEFBAAR=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$2" && pwd)
T_START=$(date +%s)

# The sweep interface (`leefbaar sweep RUN_DIR --weights SPEC --members A:B --out DIR`, A:B
# 0-based with B exclusive; `leefbaar sweep merge OUT DIR...`): SPEC is a TOML file with a
# [sweep] table, written below (LEEFBAAR_TEST_SWEEP_WEIGHTS/_MEMBERS replace it).
SWEEP_WEIGHTS=${LEEFBAAR_TEST_SWEEP_WEIGHTS:-}
SWEEP_MEMBERS=${LEEFBAAR_TEST_SWEEP_MEMBERS:-6}
SWEEP_SLICES=3

# A Slurm around ctest (CI inside a job) must not leak into the private cluster.
for v in $(compgen -v SLURM_); do unset "$v"; done
export PATH=$PATH:/usr/sbin:/sbin
export OMPI_MCA_rmaps_base_oversubscribe=1

say() { echo "[$(( $(date +%s) - T_START ))s] $*"; }
WORK="" CL=""
dump_logs() {
  [[ -n $WORK && -d $WORK ]] || return 0
  local f
  while IFS= read -r -d '' f; do
    echo "----- $f (last 25 lines)"; tail -25 "$f"
  done < <(find "$WORK" -path "$CL" -prune -o \( -name '*.out' -o -name '*.err' \) -type f -print0 2>/dev/null)
  for f in "$CL/log/slurmctld.log" "$CL/log/slurmd.log"; do
    [[ -f $f ]] && { echo "----- $f (last 15 lines)"; tail -15 "$f"; }
  done
}
fail() { echo "FAIL: $*"; dump_logs; exit 1; }
skip() { echo "SKIP: $*"; exit "$SKIP_CODE"; }
cleanup() {
  local rc=$?
  if [[ -n $CL ]]; then bash "$SRC/tests/slurm/minislurm.sh" stop "$CL" || true; fi
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${LEEFBAAR_TEST_KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf -- "$WORK"; fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[[ -x $LEEFBAAR ]] || fail "leefbaar binary '$LEEFBAAR' missing"
# Slurm needs root here (slurmd starts jobs as their user); say why when it cannot start.
[[ $(id -u) -eq 0 ]] || skip "Slurm test needs root to start slurmd (run ctest as root, as CI does)"
for b in munged slurmctld slurmd sbatch; do
  command -v "$b" >/dev/null || skip "'$b' not installed: scripts/bootstrap.sh installs slurm-wlm and munge"
done
command -v h5diff >/dev/null || fail "h5diff missing (hdf5-tools)"

WORK=$(mktemp -d /tmp/leefbaar-slurm-test.XXXXXX)
CL=$WORK/cluster
say "starting a private Slurm in $CL"
if ! env_line=$(bash "$SRC/tests/slurm/minislurm.sh" start "$CL"); then
  rc=$?
  [[ $rc -eq 3 ]] && skip "a local Slurm cannot be started on this machine (see the minislurm lines above)"
  fail "tests/slurm/minislurm.sh start failed ($rc)"
fi
export SLURM_CONF=$CL/slurm.conf
sinfo

NP=2; [[ $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) -lt 2 ]] && NP=1
MPIRUN=(mpirun -np "$NP" --oversubscribe --bind-to none -x OMP_NUM_THREADS=1)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
SUBMIT=("$SRC/jobscripts/slurm/submit.sh" --binary "$LEEFBAAR")

# ---- data, config, reference run -------------------------------------------------------
DATA="$WORK/data set/small"
CONF_DIR="$WORK/conf dir"
OUTS="$WORK/out dir"
mkdir -p "$CONF_DIR" "$OUTS" "$(dirname "$DATA")"
say "synth small -> $DATA"
"$LEEFBAAR" -q synth --out "$DATA" --preset small --force || fail "synth failed"
cat > "$CONF_DIR/run.toml" <<EOF
[run]
model = "$SRC/configs/models/lbm-demo.toml"
data = "$DATA"
out = "$OUTS/default"
EOF
cat > "$CONF_DIR/bad.toml" <<EOF
[run]
model = "$SRC/configs/models/lbm-demo.toml"
data = "$WORK/no such data"
out = "$OUTS/bad"
EOF
if [[ -z $SWEEP_WEIGHTS ]]; then
  SWEEP_WEIGHTS="$CONF_DIR/sweep weights.toml"
  printf '[sweep]\nkind = "montecarlo"\nmembers = %d\nseed = 7\nscale = 0.1\n' "$SWEEP_MEMBERS" > "$SWEEP_WEIGHTS"
fi
REF="$OUTS/direct"
say "reference: mpirun -np $NP leefbaar run (outside Slurm)"
"${MPIRUN[@]}" "$LEEFBAAR" -q run "$CONF_DIR/run.toml" --out "$REF" || fail "direct run failed"

# ---- helpers ---------------------------------------------------------------------------
job_field() { scontrol -o show job "$1" 2>/dev/null | grep -o "$2=[^ ]*" | cut -d= -f2-; }
# Waits until every job (or array task) of $1 has ended; fails after $2 seconds.
wait_done() {
  local id=$1 limit=$2 t0 states
  t0=$(date +%s)
  while :; do
    states=$(job_field "$id" JobState)
    if [[ -n $states ]] && ! grep -qvE '^(COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED)$' <<< "$states"; then
      return 0
    fi
    if job_field "$id" Reason | grep -q DependencyNeverSatisfied; then
      fail "job $id can never run (a dependency failed)"
    fi
    (( $(date +%s) - t0 < limit )) || fail "job $id not finished after ${limit}s (states: $(echo $states))"
    sleep 0.5
  done
}
expect_completed() {
  local id=$1 what=$2 s
  s=$(job_field "$id" JobState | sort -u | tr '\n' ' ')
  [[ $s == "COMPLETED " ]] || fail "$what (job $id) ended $s(exit $(job_field "$id" ExitCode | head -1))"
}
same_h5() {
  [[ -f $2 ]] || fail "$3: $2 missing"
  diff <(h5ls -r "$1" | sort) <(h5ls -r "$2" | sort) >/dev/null || fail "$3: other datasets than the reference"
  h5diff "$1" "$2" >/dev/null || { h5diff "$1" "$2" | head -20; fail "$3: leefbaar.h5 differs from the reference"; }
}
complete_h5() {
  local info
  info=$("$LEEFBAAR" info "$1") || fail "leefbaar info $1 failed"
  grep -q '^status: complete' <<< "$info" || fail "$1 not complete: $(head -5 <<< "$info")"
  local s
  for s in plan kernels/2012 kernels/2018 reference model deltas write; do
    grep -qx "  $s" <<< "$info" || fail "$1: stage $s missing in leefbaar info"
  done
}
# Compares two sweep outputs: HDF5 files by content, other files byte for byte; JSON and
# logs (timings, paths) only by presence.
same_dirs() {
  local a=$1 b=$2 f
  diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) \
    || fail "sweep outputs hold different files: $a vs $b"
  while IFS= read -r -d '' f; do
    case $f in
      *.h5) h5diff "$a/$f" "$b/$f" >/dev/null || fail "sweep: $f differs (merged vs single)" ;;
      *.json|*.log) ;;
      *) cmp -s "$a/$f" "$b/$f" || fail "sweep: $f differs (merged vs single)" ;;
    esac
  done < <(cd "$a" && find . -type f -print0)
}

# Interrupts job $1 (output folder $2) once its first checkpoint exists, either as an
# operator would (`scontrol requeue`, mode requeue) or as Slurm's time-limit warning does
# (SIGUSR1 to the batch shell, mode timelimit: the job requeues itself); then lets the
# requeued job start at once (it would wait ~2 minutes for its BeginTime).
interrupt_after_checkpoint() {
  local id=$1 out=$2 mode=$3 t0 st cps
  t0=$(date +%s)
  while :; do
    st=$(job_field "$id" JobState)
    shopt -s nullglob; cps=("$out"/checkpoints/kernels-*.h5); shopt -u nullglob
    [[ $st == RUNNING && ${#cps[@]} -gt 0 ]] && break
    [[ $st == PENDING || $st == RUNNING || $st == CONFIGURING ]] || fail "job $id is $st before its first checkpoint"
    (( $(date +%s) - t0 < 180 )) || fail "no checkpoint after 180 s (job $id $st)"
    sleep 0.2
  done
  [[ -f $out/leefbaar.h5 ]] && fail "job $id finished before the interruption: make the run longer"
  if [[ $mode == requeue ]]; then
    say "first checkpoint ${cps[0]##*/}: scontrol requeue $id"
    scontrol requeue "$id" || fail "scontrol requeue $id failed"
  else
    say "first checkpoint ${cps[0]##*/}: time-limit warning (SIGUSR1 to the batch shell of $id)"
    scancel --batch --signal=USR1 "$id" || fail "scancel --batch --signal=USR1 $id failed"
  fi
  t0=$(date +%s)
  while :; do
    st=$(job_field "$id" JobState)
    [[ $st == PENDING ]] && scontrol update JobId="$id" StartTime=now 2>/dev/null
    [[ $st == RUNNING || $st == COMPLETED || $st == FAILED ]] && [[ $(job_field "$id" Restarts) -ge 1 ]] && break
    (( $(date +%s) - t0 < 120 )) || fail "interrupted job $id did not restart ($st)"
    sleep 0.5
  done
}
# slurmstepd copies a batch script's output to its .out file from a pipe and may still be
# doing so when the job is already reported finished: wait (at most 20 s) until the file
# holds at least $3 (default 1) summary lines of step $2.
await_summaries() {
  local file=$1 step=$2 want=${3:-1} n
  for _ in $(seq 1 40); do
    n=$(grep -c "^leefbaar-job: step=$step " "$file" 2>/dev/null || true)
    [[ ${n:-0} -ge $want ]] && return 0
    sleep 0.5
  done
  return 0
}
# Checks the logs of a recompute job $1 (output $2) that was interrupted once ($3: the
# status of the first start's summary) and resumed.
check_resumed() {
  local id=$1 out=$2 first=$3 summaries
  [[ $(job_field "$id" Restarts) == 1 ]] || fail "job $id: Restarts=$(job_field "$id" Restarts), expected 1"
  local log_out="$out/logs/leefbaar-recompute-$id.out" log_err="$out/logs/leefbaar-recompute-$id.err"
  [[ -f $log_out && -f $log_err ]] || fail "job logs $log_out / .err missing"
  await_summaries "$log_out" recompute 2
  summaries=$(grep '^leefbaar-job: step=recompute' "$log_out")
  [[ $(wc -l <<< "$summaries") -eq 2 ]] || fail "expected 2 summary lines (interrupted + resumed), got: $summaries"
  head -1 <<< "$summaries" | grep -q "status=$first " || fail "first start's summary: $(head -1 <<< "$summaries")"
  tail -1 <<< "$summaries" | grep -q "status=ok rc=0 .*restarts=1 .*out=$out\$" || fail "last summary: $(tail -1 <<< "$summaries")"
  grep -q 'resuming from [1-9][0-9]* checkpoint' "$log_err" || fail "job $id did not resume from the checkpoints"
  [[ $(grep -c 'step=recompute' "$out/jobs.log") -eq 2 ]] || fail "$out/jobs.log lacks the two summaries"
}

HAVE_SWEEP=0
if "$LEEFBAAR" sweep --help 2>/dev/null | grep -qE '^Usage: .*sweep'; then HAVE_SWEEP=1; fi

# ---- a. recompute (mpirun) requeued mid-run, then sweep array + merge ------------------
OUT_A="$OUTS/slurm mpirun"
sweep_args=()
if [[ $HAVE_SWEEP -eq 1 ]]; then
  sweep_args=(--weights "$SWEEP_WEIGHTS" --members "$SWEEP_MEMBERS" --slices "$SWEEP_SLICES")
else
  echo "SKIP (part): sweep array + merge: \`leefbaar sweep --help\` shows no sweep subcommand yet"
fi
say "a. submit.sh: recompute ($NP ranks, mpirun)${sweep_args:+ + sweep array + merge}"
ids=$("${SUBMIT[@]}" --config "$CONF_DIR/run.toml" --out "$OUT_A" --ranks-per-node "$NP" --threads 1 \
      --time 00:10:00 "${sweep_args[@]}") || fail "submit.sh failed"
echo "$ids"
RID=$(awk '$1 == "recompute" {print $2}' <<< "$ids")
[[ -n $RID ]] || fail "submit.sh printed no recompute job id"

interrupt_after_checkpoint "$RID" "$OUT_A" requeue
say "a. restarted; waiting for the chain"
wait_done "$RID" 240
expect_completed "$RID" "requeued recompute"
check_resumed "$RID" "$OUT_A" terminated-TERM
grep -q 'launch: mpirun ' "$OUT_A/logs/leefbaar-recompute-$RID.err" || fail "the recompute did not launch with mpirun"
complete_h5 "$OUT_A/leefbaar.h5"
same_h5 "$REF/leefbaar.h5" "$OUT_A/leefbaar.h5" "requeued Slurm recompute"
say "ok: requeued Slurm recompute resumed; leefbaar.h5 identical to the direct run"

if [[ $HAVE_SWEEP -eq 1 ]]; then
  SID=$(awk '$1 == "sweep" {print $2}' <<< "$ids")
  MID=$(awk '$1 == "merge" {print $2}' <<< "$ids")
  wait_done "$SID" 240; expect_completed "$SID" "sweep array"
  wait_done "$MID" 120; expect_completed "$MID" "sweep merge"
  m_start=$(date -d "$(job_field "$MID" StartTime)" +%s)
  while read -r e; do
    (( m_start >= $(date -d "$e" +%s) )) || fail "merge $MID started before sweep task end $e (afterok)"
  done < <(job_field "$SID" EndTime)
  [[ $(job_field "$SID" JobState | wc -l) -eq $SWEEP_SLICES ]] || fail "sweep array $SID: expected $SWEEP_SLICES tasks"
  [[ $(grep -c 'step=sweep .*status=ok' "$OUT_A/sweep/jobs.log") -eq $SWEEP_SLICES ]] || fail "sweep/jobs.log: expected $SWEEP_SLICES ok slices"
  say "a. single unsliced sweep for comparison"
  "$LEEFBAAR" -q sweep "$OUT_A" --weights "$SWEEP_WEIGHTS" --members "0:$SWEEP_MEMBERS" \
     --out "$WORK/sweep single" || fail "single sweep failed (SPEC '$SWEEP_WEIGHTS', set in tests/slurm/run_slurm_test.sh)"
  same_dirs "$WORK/sweep single" "$OUT_A/sweep/merged"
  say "ok: sweep array ($SWEEP_SLICES slices) + merge equals one sweep"
fi

# ---- b, c, d: srun launcher, bench, a failing job (queued together) --------------------
OUT_B="$OUTS/slurm srun"
BID="" 
if srun --mpi=list 2>&1 | grep -qw pmix; then
  say "b. submit.sh: recompute with srun --mpi=pmix, 1 rank x $NP threads"
  ids=$("${SUBMIT[@]}" --config "$CONF_DIR/run.toml" --out "$OUT_B" --launcher srun \
        --ranks-per-node 1 --threads "$NP" --time 00:10:00) || fail "submit.sh (srun) failed"
  BID=$(awk '$1 == "recompute" {print $2}' <<< "$ids")
  interrupt_after_checkpoint "$BID" "$OUT_B" timelimit
else
  echo "SKIP (part): srun launcher: this Slurm has no pmix MPI plugin"
fi
BENCH_DIR="$WORK/bench scripts"
mkdir -p "$BENCH_DIR"
cat > "$BENCH_DIR/fast.sh" <<'EOF'
#!/usr/bin/env bash
echo "fast: binary=$1 ranks=$2 work=$3 threads=$THREADS np=$NP"
test -x "$1" && test -d "$3"
EOF
say "c. submit.sh --bench (one script present, one missing)"
ids=$(LEEFBAAR_BENCH_DIR=$BENCH_DIR LEEFBAAR_BENCH="fast missing" "${SUBMIT[@]}" --no-recompute \
      --out "$OUTS/bench run" --bench --bench-out "$WORK/bench out") || fail "submit.sh --bench failed"
BEID=$(awk '$1 == "bench" {print $2}' <<< "$ids")
say "d. submit.sh: a recompute that must fail (no dataset)"
# (a time limit above the 300 s of the time-limit warning, --signal=B:USR1@300, so the
# warning cannot arrive before the job has failed)
ids=$("${SUBMIT[@]}" --config "$CONF_DIR/bad.toml" --time 00:10:00) || fail "submit.sh (bad) failed"
FID=$(awk '$1 == "recompute" {print $2}' <<< "$ids")

wait_done "$FID" 120
[[ $(job_field "$FID" JobState) == FAILED ]] || fail "the bad job $FID ended $(job_field "$FID" JobState), expected FAILED"
await_summaries "$OUTS/bad/logs/leefbaar-recompute-$FID.out" recompute
summary_found=0
grep -q "^leefbaar-job: step=recompute job=$FID status=failed rc=[1-9]" "$OUTS/bad/logs/leefbaar-recompute-$FID.out" && summary_found=1
[[ $summary_found -eq 1 ]] || fail "the failed job's summary line is missing"
say "ok: a failing job ends FAILED with its summary line"

wait_done "$BEID" 120
expect_completed "$BEID" "bench"
BLOG="$OUTS/bench run/logs/leefbaar-bench-$BEID.out"
await_summaries "$BLOG" bench
grep -q '^bench: missing skipped' "$BLOG" || fail "bench: the missing script was not reported as skipped"
grep -q '^bench: fast ok' "$BLOG" || fail "bench: fast.sh did not run"
grep -q "^fast: binary=$LEEFBAAR ranks=$NP work=$WORK/bench out/fast threads=1 np=$NP\$" "$WORK/bench out/fast.log" \
  || fail "bench: fast.sh got other arguments: $(cat "$WORK/bench out/fast.log")"
grep -q "status=ok" "$BLOG" || fail "bench: no ok summary"
say "ok: bench job ran the present script and skipped the missing one"

if [[ -n $BID ]]; then
  wait_done "$BID" 240
  expect_completed "$BID" "srun recompute"
  check_resumed "$BID" "$OUT_B" requeued-timelimit
  grep -q 'launch: srun --mpi=pmix' "$OUT_B/logs/leefbaar-recompute-$BID.err" || fail "srun job did not launch with srun"
  complete_h5 "$OUT_B/leefbaar.h5"
  same_h5 "$REF/leefbaar.h5" "$OUT_B/leefbaar.h5" "srun recompute (1 rank x $NP threads)"
  say "ok: srun recompute requeued itself at the time-limit warning, resumed, identical to the direct run"
fi

# ---- 4. the local runner resumes from the reference's checkpoints ----------------------
OUT_L="$OUTS/local run"
mkdir -p "$OUT_L/checkpoints"
cp "$REF"/checkpoints/* "$OUT_L/checkpoints/"
say "local runner (resume from copied checkpoints)"
out=$("$SRC/jobscripts/local/run.sh" --config "$CONF_DIR/run.toml" --out "$OUT_L" --ranks "$NP" \
      --binary "$LEEFBAAR" 2>"$WORK/local.err") || { cat "$WORK/local.err"; fail "local runner failed"; }
grep -q 'resuming from' "$WORK/local.err" || fail "local runner did not resume"
grep -q '^leefbaar-job: step=recompute job=local status=ok' <<< "$out" || fail "local runner: no ok summary"
same_h5 "$REF/leefbaar.h5" "$OUT_L/leefbaar.h5" "local runner"
say "ok: local runner identical to the direct run"

say "all Slurm job checks passed"
