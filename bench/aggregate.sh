#!/usr/bin/env bash
# The aggregation stage alone (`leefbaar aggregate`) on a finished national run, REPEAT times,
# its two parts against two bounds measured in the same script:
#  - the statistics (every level, year and period, typology, summary; nothing written) against
#    the streaming pass over the same per-cell bytes that the stage itself times in the same
#    process (best of three passes over the scored cells of every year, the finest zone raster
#    and the share-bin layers); goal: at most 2x;
#  - the outputs (CSVs and summary on rank 0, the GeoPackage on the last rank) against ogr2ogr
#    copying the same output layers (same polygons and fields) into a new GeoPackage.
# The outputs of every repetition are compared byte for byte with the run's own aggregates/ and
# summary.json (which `leefbaar run` wrote), so the stage must reproduce them exactly.
# Usage: bench/aggregate.sh RUN_DIR [NP] [BUILD_DIR]
# env: OUT (default out/bench-aggregate), REPEAT (default 3), THREADS (default 1), CONFIG
#      (run config, default: the one named in RUN_DIR/run.json)
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${1:?usage: bench/aggregate.sh RUN_DIR [NP] [BUILD_DIR]}
NP=${2:-2}
BUILD=${3:-build/release}
OUT=${OUT:-out/bench-aggregate}
REPEAT=${REPEAT:-3}
THREADS=${THREADS:-1}
MPIRUN=(mpirun -np "$NP" --oversubscribe)
[[ $THREADS -gt 1 ]] && MPIRUN+=(--bind-to none)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
CFG=()
[[ -n ${CONFIG:-} ]] && CFG=(--config "$CONFIG")
mkdir -p "$OUT"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: OMP_NUM_THREADS=$THREADS ${MPIRUN[*]} $BUILD/leefbaar -q aggregate $RUN ${CFG[*]} --out $OUT/rN --timings $OUT/rN.json"
for r in $(seq 1 "$REPEAT"); do
  rm -rf "$OUT/r$r"
  OMP_NUM_THREADS=$THREADS "${MPIRUN[@]}" "$BUILD/leefbaar" -q aggregate "$RUN" "${CFG[@]}" \
    --out "$OUT/r$r" --timings "$OUT/r$r.json"
  same=identical
  for f in summary.json aggregates/*.csv aggregates/zones.gpkg; do
    for g in "$RUN"/$f; do
      rel=${g#"$RUN"/}
      cmp -s "$g" "$OUT/r$r/$rel" || { same="DIFFERENT: $rel"; break 2; }
    done
  done
  # Peer baseline of the GeoPackage: ogr2ogr copying the stage's own output layers.
  rm -f "$OUT/ogr2ogr-copy.gpkg"
  t0=$(date +%s.%N)
  ogr2ogr -f GPKG "$OUT/ogr2ogr-copy.gpkg" "$OUT/r$r/aggregates/zones.gpkg"
  t1=$(date +%s.%N)
  echo "{\"ogr2ogr_seconds\": $(echo "$t1 - $t0" | bc | awk '{printf "%.6f", $1}'), \"outputs\": \"$same\"}" > "$OUT/r$r.peer.json"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$OUT" "$REPEAT" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
print("| rep | statistics s | stream pass s (MB) | ratio | outputs s | ogr2ogr GPKG copy s | ratio | sections (rank 0) | outputs vs run |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
for r in range(1, n + 1):
    j = json.load(open(f"{out}/r{r}.json")); p = json.load(open(f"{out}/r{r}.peer.json"))
    a = j["aggregate_seconds_rank0"]; b = a["stream_baseline"]
    skip = ("stream_baseline", "stream_baseline_bytes", "stream_baseline_checksum_mod_1e6",
            "stream_baseline_cells_only_bytes")
    secs = ", ".join(f"{k} {v:.3f}" for k, v in a.items() if k not in skip)
    st, ou, peer = j["statistics_seconds"], j["outputs_seconds"], p["ogr2ogr_seconds"]
    print(f"| {r} | {st:.3f} | {b:.3f} ({a['stream_baseline_bytes']/1e6:.0f}) | {st/b:.1f}x | "
          f"{ou:.3f} | {peer:.3f} | {ou/peer:.1f}x | {secs} | {p['outputs']} |")
PY
