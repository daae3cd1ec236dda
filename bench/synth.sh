#!/usr/bin/env bash
# Benchmark of `leefbaar synth` (national preset, 4 years) against a plain-GDAL baseline that
# writes the same number of bytes: gdal_translate -co COMPRESS=DEFLATE of one national layer,
# timed and scaled to the number of raster files, plus a raw dd of the uncompressed bytes.
# Usage: bench/synth.sh [BINARY] [NP] [OUT]   (defaults: build/release/leefbaar 2 /tmp/nl)
# env: PRESET (national, small or tiny; default national), BENCH_JSONL (also append JSON records,
# see bench/record.py). Besides the times it checks that a second generation with the same seed
# is byte-identical (the generator is a pure function of seed and options) when CHECK_REPEAT=1,
# and that the rasters equal those of REFERENCE_DATA (a dataset of the same preset and seed).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PRESET=${PRESET:-national}
emit() { [[ -z ${BENCH_JSONL:-} ]] || /usr/bin/python3 "$HERE/record.py" --scenario synth --ranks "$NP" "$@"; }
BIN=${1:-build/release/leefbaar}
NP=${2:-2}
OUT=${3:-/tmp/nl}
MPI="mpirun --allow-run-as-root --oversubscribe -np $NP"
LOG=$(mktemp)

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v $MPI "$BIN" synth --preset "$PRESET" --out "$OUT" --force 2>"$LOG" >/dev/null
WALL=$(grep "Elapsed (wall clock)" "$LOG" | awk '{print $NF}')
RSS_KB=$(grep "Maximum resident set size" "$LOG" | awk '{print $NF}')
WALL_S=$(echo "$WALL" | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
NTIF=$(find "$OUT" -name '*.tif' | wc -l)
BYTES_ON_DISK=$(du -sb "$OUT" | cut -f1)
NX=$(grep -m1 '^nx' "$OUT/manifest.toml" | awk '{print $3}')
NY=$(grep -m1 '^ny' "$OUT/manifest.toml" | awk '{print $3}')
RAW_BYTES=$(( NTIF * NX * NY * 4 ))

# Baseline 1: GDAL writing one Int32 national layer (DEFLATE, tiled, predictor 2), scaled to
# all files and divided over the ranks (the generator writes files on NP ranks at once).
T0=$(date +%s.%N)
gdal_translate -q -co COMPRESS=DEFLATE -co TILED=YES -co PREDICTOR=2 \
  "$OUT/2018/residents.tif" /tmp/synth-bench-copy.tif
T1=$(date +%s.%N)
ONE=$(echo "$T1 - $T0" | bc -l)
GDAL_S=$(echo "$ONE * $NTIF / $NP" | bc -l)
rm -f /tmp/synth-bench-copy.tif

# Baseline 2: dd of the uncompressed bytes to disk.
T0=$(date +%s.%N)
dd if=/dev/zero of=/tmp/synth-bench-dd bs=1M count=$(( RAW_BYTES / 1048576 )) conv=fsync status=none
T1=$(date +%s.%N)
DD_S=$(echo "$T1 - $T0" | bc -l)
rm -f /tmp/synth-bench-dd

printf 'command: /usr/bin/time -v %s %s synth --preset %s --out %s --force\n' "$MPI" "$BIN" "$PRESET" "$OUT"
printf 'wall: %s s, peak RSS per rank: %.0f MiB\n' "$WALL_S" "$(echo "$RSS_KB / 1024" | bc -l)"
printf 'rasters: %d files, %.2f GB uncompressed, %.0f MB on disk (with GeoPackages)\n' "$NTIF" \
  "$(echo "$RAW_BYTES / 1000000000" | bc -l)" "$(echo "$BYTES_ON_DISK / 1000000" | bc -l)"
printf 'baseline gdal_translate DEFLATE: %.2f s per layer -> %.1f s for %d files on %d ranks; ratio %.2f\n' \
  "$ONE" "$GDAL_S" "$NTIF" "$NP" "$(echo "$WALL_S / $GDAL_S" | bc -l)"
printf 'baseline dd of %.2f GB: %.1f s; ratio %.2f\n' "$(echo "$RAW_BYTES / 1000000000" | bc -l)" "$DD_S" \
  "$(echo "$WALL_S / $DD_S" | bc -l)"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
emit --metric "synth_${PRESET}_vs_gdal_translate" --value "$WALL_S" --baseline-name "gdal_translate DEFLATE x $NTIF files / $NP ranks" \
  --baseline-value "$GDAL_S" --note "$NTIF rasters, $RAW_BYTES bytes uncompressed"
emit --metric "synth_${PRESET}_vs_dd" --value "$WALL_S" --baseline-name "dd of the uncompressed bytes" --baseline-value "$DD_S"
emit --metric "synth_${PRESET}_peak_rss_per_rank" --value "$(echo "$RSS_KB / 1048576" | bc -l)" --unit GiB --kind info
same_options() { grep -E '^(preset|seed|years|boundaries|cell|nx|ny) =' "$1/manifest.toml"; }
if [[ -n ${REFERENCE_DATA:-} && -f $REFERENCE_DATA/manifest.toml ]] \
   && [[ $(same_options "$REFERENCE_DATA") == "$(same_options "$OUT")" ]]; then
  # Correctness without a second generation: an existing dataset of the same preset and default
  # seed (e.g. data/nl-synthetic) must hold the same rasters byte for byte.
  DIFF=0 N=0
  while IFS= read -r f; do
    N=$((N + 1)); cmp -s "$OUT/$f" "$REFERENCE_DATA/$f" || DIFF=$((DIFF + 1))
  done < <(cd "$OUT" && find . -name '*.tif')
  echo "vs reference dataset $REFERENCE_DATA: $DIFF of $N rasters differ"
  emit --metric "synth_${PRESET}_rasters_differing_from_reference" --value "$DIFF" --unit files --kind check \
    --goal 'value==0' --note "$N rasters compared with $REFERENCE_DATA"
fi
if [[ ${CHECK_REPEAT:-0} == 1 ]]; then
  # Correctness: the same seed gives the same files (every raster and the manifest).
  $MPI "$BIN" -q synth --preset "$PRESET" --out "$OUT.repeat" --force >/dev/null 2>&1
  DIFF=0
  while IFS= read -r f; do cmp -s "$OUT/$f" "$OUT.repeat/$f" || DIFF=$((DIFF + 1)); done \
    < <(cd "$OUT" && find . -name '*.tif' -o -name manifest.toml)
  rm -rf "$OUT.repeat"
  echo "repeat generation: $DIFF files differ"
  emit --metric "synth_${PRESET}_files_differing_on_repeat" --value "$DIFF" --unit files --kind check --goal 'value==0'
fi
grep "synth:" "$LOG" | tail -12
rm -f "$LOG"
