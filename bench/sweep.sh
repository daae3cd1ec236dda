#!/usr/bin/env bash
# Weight-sweep benchmark: K Monte-Carlo members (K = 250, 500, 1000) with `leefbaar sweep` on a
# finished run, against one plain sgemm of the same shape ((cells x indicators) x (indicators x K),
# cells summed over the run's years), measured in the same script on the same cores.
#
#   bench/sweep.sh [RUN_DIR]      env: NP (ranks, default 2), OMP_NUM_THREADS (default 1),
#                                      KS ("250 500 1000"), LEEFBAAR (binary), WORK (scratch),
#                                      CONFIG (run config, passed as --config; default: the one
#                                      named in RUN_DIR/run.json), REPS (sweeps per K, default 2:
#                                      the fastest counts, as the sgemm's best of 3; the first
#                                      process after a pause runs ~1 s slower on this VM)
#
# RUN_DIR defaults to out/nl-synthetic when it holds a complete run (leefbaar.h5 with status
# complete and summary.json), else a small synthetic run is made in $WORK. The sgemm baseline is
# OpenBLAS cblas_sgemm (Debian libopenblas-dev) with as many threads as NP x OMP_NUM_THREADS, or
# a naive triple loop when OpenBLAS is not installed (the script says which).
# Correctness next to the times: CHECK_K members (default 16) swept in one go and as two
# --members slices merged with `sweep merge` must give identical members.csv, zones.csv,
# sensitivity.csv and sweep.h5 (h5diff). BENCH_JSONL=file appends JSON records (bench/record.py).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LEEFBAAR=${LEEFBAAR:-$ROOT/build/release/leefbaar}
NP=${NP:-2}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
KS=${KS:-"250 500 1000"}
WORK=${WORK:-$(mktemp -d /tmp/leefbaar-bench-sweep.XXXXXX)}
MPIRUN=(mpirun -np "$NP" --bind-to none)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$WORK"
emit() { [[ -z ${BENCH_JSONL:-} ]] || /usr/bin/python3 "$ROOT/bench/record.py" --scenario sweep --ranks "$NP" --threads "$OMP_NUM_THREADS" "$@"; }

RUN=${1:-}
if [[ -z $RUN ]]; then
  info=$("$LEEFBAAR" info "$ROOT/out/nl-synthetic/leefbaar.h5" 2>/dev/null || true)
  if [[ -f $ROOT/out/nl-synthetic/summary.json ]] && grep -q '^status: complete' <<< "$info"; then
    RUN=$ROOT/out/nl-synthetic
    echo "run: national synthetic run $RUN"
  else
    echo "run: out/nl-synthetic missing or incomplete; making the small synthetic run in $WORK"
    "$LEEFBAAR" -q synth --out "$WORK/data" --preset small --force
    printf '[run]\nmodel = "%s"\ndata = "%s"\nout = "%s"\n' "$ROOT/configs/models/lbm-demo.toml" "$WORK/data" "$WORK/run" > "$WORK/run.toml"
    "${MPIRUN[@]}" "$LEEFBAAR" -q run "$WORK/run.toml" --force
    RUN=$WORK/run
  fi
fi

# The sgemm baseline program.
cat > "$WORK/sgemm.cpp" <<'CPP'
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>
#ifdef HAVE_CBLAS
#include <cblas.h>
#endif
int main(int argc, char** argv) {
    const long m = atol(argv[1]), k = atol(argv[2]), n = atol(argv[3]);
    std::vector<float> a(size_t(m * k)), b(size_t(k * n)), c(size_t(m * n));
    for (size_t i = 0; i < a.size(); ++i) a[i] = float((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < b.size(); ++i) b[i] = float((i * 40503u) % 1000) * 1e-4f;
    double best = 1e300, best_cpu = 1e300;
    // CPU seconds of the process (all threads): comparable with the sweep's score cpu_seconds
    // on a shared machine.
    auto cpu = [] {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    for (int rep = 0; rep < 3; ++rep) {
        const double c0 = cpu();
        const auto t0 = std::chrono::steady_clock::now();
#ifdef HAVE_CBLAS
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a.data(), int(k), b.data(), int(n), 0.0f, c.data(), int(n));
#else
        for (long i = 0; i < m; ++i) {
            float* ci = &c[size_t(i * n)];
            for (long j = 0; j < n; ++j) ci[j] = 0;
            for (long p = 0; p < k; ++p) {
                const float av = a[size_t(i * k + p)];
                const float* bp = &b[size_t(p * n)];
                for (long j = 0; j < n; ++j) ci[j] += av * bp[j];
            }
        }
#endif
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (s < best) best = s;
        const double cs = cpu() - c0;
        if (cs < best_cpu) best_cpu = cs;
    }
    std::printf("%.4f %.4f %g\n", best, best_cpu, double(c[size_t(m * n / 2)]));
}
CPP
if [[ -f /usr/include/x86_64-linux-gnu/cblas.h || -f /usr/include/cblas.h ]] && ls /usr/lib/x86_64-linux-gnu/libopenblas.so* >/dev/null 2>&1; then
  g++ -O3 -march=native -DHAVE_CBLAS -o "$WORK/sgemm" "$WORK/sgemm.cpp" -lopenblas
  BASELINE="OpenBLAS cblas_sgemm ($((NP * OMP_NUM_THREADS)) threads)"
  export OPENBLAS_NUM_THREADS=$((NP * OMP_NUM_THREADS))
else
  g++ -O3 -march=native -o "$WORK/sgemm" "$WORK/sgemm.cpp"
  BASELINE="naive triple loop (1 thread; OpenBLAS not installed)"
fi
echo "baseline: $BASELINE"
echo "ranks: $NP, threads per rank: $OMP_NUM_THREADS, $(getconf _NPROCESSORS_ONLN) cores"
echo
echo "load before: $(uptime)"
echo
echo "| K | sweep total s | read s | score s | write s | score s per member | sgemm s | total / sgemm | score / sgemm | score CPU s | sgemm CPU s | score CPU / sgemm CPU | load (1 min) |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
# Per-section wall / CPU seconds of rank 0 from timing.json.
cat > "$WORK/sections.py" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
w, c = t.get("sections_rank0", {}), t.get("sections_cpu_rank0", {})
print("; ".join(f"{k} {w[k]:.2f}/{c.get(k, float('nan')):.2f}" for k in w))
PY
SECTIONS=""
for K in $KS; do
  printf '[sweep]\nkind = "montecarlo"\nmembers = %d\nseed = 1\nscale = 0.1\n' "$K" > "$WORK/mc$K.toml"
  BEST=""
  for ((rep = 1; rep <= ${REPS:-2}; rep++)); do
    "${MPIRUN[@]}" "$LEEFBAAR" -q sweep "$RUN" --weights "$WORK/mc$K.toml" --out "$WORK/sweep$K-rep$rep" ${CONFIG:+--config "$CONFIG"}
    T=$(python3 -c "import json;print(json.load(open('$WORK/sweep$K-rep$rep/timing.json'))['seconds']['total'])")
    echo "K=$K rep $rep: total $T s" >&2
    if [[ -z $BEST ]] || python3 -c "import sys;sys.exit(0 if $T < $BEST_T else 1)"; then BEST=$rep BEST_T=$T; fi
  done
  rm -rf "$WORK/sweep$K"
  mv "$WORK/sweep$K-rep$BEST" "$WORK/sweep$K"
  rm -rf "$WORK"/sweep"$K"-rep*
  read -r CELLS NI TOT RD SC WR KERNEL SCPU < <(python3 -c "import json;t=json.load(open('$WORK/sweep$K/timing.json'));s=t['seconds'];print(t['cells'],t['indicators'],s['total'],s['read'],s['score'],s['write'],t.get('kernel','?'),t.get('cpu_seconds',{}).get('score',float('nan')))")
  read -r SG SGCPU _ < <("$WORK/sgemm" "$CELLS" "$NI" "$K")
  LOAD=$(cut -d' ' -f1 /proc/loadavg)
  python3 -c "
k,tot,rd,sc,wr,sg,scpu,sgcpu=$K,$TOT,$RD,$SC,$WR,$SG,$SCPU,$SGCPU
print(f'| {k} | {tot:.1f} | {rd:.1f} | {sc:.1f} | {wr:.1f} | {sc/k:.4f} | {sg:.3f} | {tot/sg:.1f} | {sc/sg:.2f} | {scpu:.2f} | {sgcpu:.3f} | {scpu/sgcpu:.2f} | $LOAD |')"
  SECTIONS+="K=$K: $(python3 "$WORK/sections.py" "$WORK/sweep$K/timing.json")"$'\n'
  emit --metric "sweep_k${K}_total" --value "$TOT" --baseline-name "$BASELINE" --baseline-value "$SG" --note "cells $CELLS, indicators $NI"
  emit --metric "sweep_k${K}_score" --value "$SC" --baseline-name "$BASELINE" --baseline-value "$SG"
done

# Correctness: slices + merge == one sweep.
CK=${CHECK_K:-16}
printf '[sweep]\nkind = "montecarlo"\nmembers = %d\nseed = 7\nscale = 0.1\n' "$CK" > "$WORK/check.toml"
"${MPIRUN[@]}" "$LEEFBAAR" -q sweep "$RUN" --weights "$WORK/check.toml" --out "$WORK/check-all" ${CONFIG:+--config "$CONFIG"}
"${MPIRUN[@]}" "$LEEFBAAR" -q sweep "$RUN" --weights "$WORK/check.toml" --members "0:$((CK / 2))" --out "$WORK/check-a" ${CONFIG:+--config "$CONFIG"}
"${MPIRUN[@]}" "$LEEFBAAR" -q sweep "$RUN" --weights "$WORK/check.toml" --members "$((CK / 2)):$CK" --out "$WORK/check-b" ${CONFIG:+--config "$CONFIG"}
"$LEEFBAAR" -q sweep merge "$WORK/check-m" "$WORK/check-a" "$WORK/check-b"
DIFF=0 DIFFS=""
for f in members.csv zones.csv sensitivity.csv; do
  cmp -s "$WORK/check-all/$f" "$WORK/check-m/$f" || { DIFF=$((DIFF + 1)); DIFFS+=" $f"; }
done
h5diff -q "$WORK/check-all/sweep.h5" "$WORK/check-m/sweep.h5" >/dev/null 2>&1 || { DIFF=$((DIFF + 1)); DIFFS+=" sweep.h5"; }
echo "sweep of $CK members, sliced 2 ways and merged vs one sweep: $DIFF files differ${DIFFS}"
emit --metric sweep_merged_vs_single_files_differing --value "$DIFF" --unit files --kind check --goal 'value==0' \
  --note "K=$CK; differing:${DIFFS:- none}"
echo
echo "sections of rank 0 (wall s / CPU s of its thread):"
printf '%s' "$SECTIONS"
echo
echo "sweep kernel path: $KERNEL; load after: $(uptime)"
echo
echo "shape: cells (all years) = $CELLS, indicators = $NI; work folder $WORK"
