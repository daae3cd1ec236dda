#!/usr/bin/env bash
# Parallel layout study of the national recompute (issue: "spatial blocks with halos; where it
# scales better, also split ranks across years"). On the same machine, in one script:
#   spatial: one `leefbaar run` of all years on NP ranks (2-D blocks with halos, every rank
#            computes every year of its block) -- what leefbaar does;
#   years:   the years split into NP groups of one rank each, run at the same time as NP
#            independent 1-rank runs (each computes whole-grid kernels of its years; no halos,
#            no communication): an upper bound for what a years-across-sub-communicators layout
#            could reach in the kernel stages, which hold most of the time.
# Compared: the kernel stages (the busiest group for the year split, since groups run at once)
# and the wall time of each variant. The non-kernel stages of the year split are not comparable
# (each group standardises on its own reference year) and are not reported.
# Usage: bench/layout.sh [NP] [BUILD_DIR]   env: DATA (default data/nl-synthetic), OUT (default
#        out/bench-layout), THREADS (per rank, default 1)
set -euo pipefail
cd "$(dirname "$0")/.."
NP=${1:-2}
BUILD=${2:-build/release}
LEEFBAAR=$BUILD/leefbaar
DATA=${DATA:-data/nl-synthetic}
OUT=${OUT:-out/bench-layout}
THREADS=${THREADS:-1}
ROOT=()
[[ $(id -u) -eq 0 ]] && ROOT=(--allow-run-as-root)
[[ -f $DATA/manifest.toml ]] || { echo "layout.sh: no dataset in $DATA (run scripts/national.sh or leefbaar synth)"; exit 2; }
mkdir -p "$OUT"
DATA_ABS=$(cd "$DATA" && pwd)
OUT_ABS=$(cd "$OUT" && pwd)
MODEL=$PWD/configs/models/lbm-demo.toml
mapfile -t YEARS < <(sed -n 's/^years = \[\(.*\)\]/\1/p' "$DATA/manifest.toml" | tr -d ' ' | tr ',' '\n')
(( ${#YEARS[@]} >= NP )) || { echo "layout.sh: ${#YEARS[@]} years cannot be split over $NP groups"; exit 2; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "years: ${YEARS[*]}; $NP ranks x $THREADS thread(s)"

# Spatial: all years on NP ranks.
printf '[run]\nmodel = "%s"\ndata = "%s"\nout = "%s/spatial"\n' "$MODEL" "$DATA_ABS" "$OUT_ABS" > "$OUT_ABS/spatial.toml"
t0=$(date +%s.%N)
OMP_NUM_THREADS=$THREADS mpirun -np "$NP" --oversubscribe "${ROOT[@]}" "$LEEFBAAR" -q run "$OUT_ABS/spatial.toml" --force
t1=$(date +%s.%N)
echo "spatial wall: $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s"

# Years: NP independent 1-rank runs at the same time, years dealt round-robin; each group's
# model takes its first year as the reference year.
pids=()
t0=$(date +%s.%N)
for ((g = 0; g < NP; ++g)); do
  ys=()
  for ((i = g; i < ${#YEARS[@]}; i += NP)); do ys+=("${YEARS[i]}"); done
  sed "s/^reference_year = .*/reference_year = ${ys[0]}/" "$MODEL" > "$OUT_ABS/model-g$g.toml"
  printf '[run]\nmodel = "%s"\ndata = "%s"\nout = "%s/years-g%d"\nyears = [%s]\n' \
    "$OUT_ABS/model-g$g.toml" "$DATA_ABS" "$OUT_ABS" "$g" "$(IFS=,; echo "${ys[*]}")" > "$OUT_ABS/years-g$g.toml"
  OMP_NUM_THREADS=$THREADS mpirun -np 1 --bind-to none "${ROOT[@]}" "$LEEFBAAR" -q run "$OUT_ABS/years-g$g.toml" --force &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; done
t1=$(date +%s.%N)
echo "years wall: $(awk "BEGIN{printf \"%.1f\", $t1 - $t0}") s"

/usr/bin/python3 - "$OUT_ABS" "$NP" <<'PY'
import json, sys
out, np_ = sys.argv[1], int(sys.argv[2])
def kernels(path):
    j = json.load(open(path))
    return {s["name"].split()[0]: s["seconds"] for s in j["stages"] if s["name"].startswith("kernels/")}, j
sp, sj = kernels(f"{out}/spatial/run.json")
print("| layout | kernel stages (s) | per year (s) | peak RSS per rank (GiB) |")
print("| --- | --- | --- | --- |")
print(f"| spatial, {np_} ranks, all years | {sum(sp.values()):.2f} | " +
      ", ".join(f"{k[8:]} {v:.2f}" for k, v in sp.items()) +
      f" | {max(sj['peak_rss_bytes_per_rank']) / 2**30:.2f} |")
worst = 0.0
for g in range(np_):
    yk, yj = kernels(f"{out}/years-g{g}/run.json")
    worst = max(worst, sum(yk.values()))
    print(f"| years, group {g} (1 rank) | {sum(yk.values()):.2f} | " +
          ", ".join(f"{k[8:]} {v:.2f}" for k, v in yk.items()) +
          f" | {max(yj['peak_rss_bytes_per_rank']) / 2**30:.2f} |")
print(f"kernel stages: spatial {sum(sp.values()):.2f} s, year split (busiest group) {worst:.2f} s, "
      f"year split / spatial = {worst / sum(sp.values()):.2f}")
PY
