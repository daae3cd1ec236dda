#!/usr/bin/env bash
# Before/after sweep benchmark: bench/sweep.sh with a baseline binary (BASE) and a new binary
# (NEW), back to back in one script on the same run, then the outputs of the two compared
# (members.csv, zones.csv, sensitivity.csv byte for byte, sweep.h5 by h5diff) for every K.
#
#   BASE=old/leefbaar NEW=build/release/leefbaar OUT=out/sweep-ab bench/sweep_ab.sh [RUN_DIR]
#   env as bench/sweep.sh (NP, OMP_NUM_THREADS, KS, CONFIG); each pass writes to OUT/<base|new>.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
: "${BASE:?BASE=the baseline leefbaar binary}"
NEW=${NEW:-$ROOT/build/release/leefbaar}
OUT=${OUT:-$ROOT/out/sweep-ab}
KS=${KS:-"250 500 1000"}
export KS
for tag in base new; do
  if [[ $tag == base ]]; then B=$BASE; else B=$NEW; fi
  echo "=== $tag: $B  $(date -u +%H:%M:%S)"
  rm -rf "${OUT:?}/$tag"
  WORK=$OUT/$tag LEEFBAAR=$B "$ROOT/bench/sweep.sh" "$@"
done
echo "=== outputs base vs new"
for K in $KS; do
  for f in members.csv zones.csv sensitivity.csv; do
    cmp -s "$OUT/base/sweep$K/$f" "$OUT/new/sweep$K/$f" && echo "K=$K $f identical" || echo "K=$K $f DIFFERS"
  done
  h5diff -q "$OUT/base/sweep$K/sweep.h5" "$OUT/new/sweep$K/sweep.h5" >/dev/null 2>&1 \
    && echo "K=$K sweep.h5 identical (h5diff)" || echo "K=$K sweep.h5 DIFFERS"
done
echo "=== done $(date -u +%H:%M:%S)"
