#!/usr/bin/env bash
# Write-stage A/B: the national recompute (`leefbaar run`, 4 years, demo model, mpirun -np NP)
# with two or more binaries or settings, alternated ROUNDS times in one script, each against the
# same bound as bench/run.sh: a raw write (dd, fdatasync) of the bytes the write stage writes,
# timed after a sync so that the run's own dirty pages do not slow it.
#
#   bench/h5write_ab.sh NAME=BINARY[:ENV=VALUE] ...    e.g.
#   bench/h5write_ab.sh base=/tmp/base/leefbaar stock=build/release/leefbaar:LEEFBAAR_HDF5_STOCK_DEFLATE=1 \
#                       new=build/release/leefbaar
# env: DATA (default data/nl-synthetic), WORK (scratch, default /tmp/leefbaar-h5ab), NP (2),
#      ROUNDS (2). Prints one row per run: wall, deltas+write stage, its ratio to dd, file size.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=$(cd "${DATA:-data/nl-synthetic}" && pwd)
WORK=${WORK:-/tmp/leefbaar-h5ab}
NP=${NP:-2}
ROUNDS=${ROUNDS:-2}
MPIRUN=(mpirun -np "$NP" --oversubscribe)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
mkdir -p "$WORK"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| round | variant | wall s | deltas+write s | bytes written (MiB) | dd of the same bytes s | ratio | leefbaar.h5 MB |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for round in $(seq 1 "$ROUNDS"); do
  for spec in "$@"; do
    name=${spec%%=*}
    rest=${spec#*=}
    bin=${rest%%:*}
    envs=()
    [[ $rest == *:* ]] && envs=("${rest#*:}")
    out=$WORK/$name
    rm -rf "$out"
    printf '[run]\nmodel = "%s"\ndata = "%s"\nout = "%s"\n' "$PWD/configs/models/lbm-demo.toml" "$DATA" "$out" > "$WORK/$name.toml"
    env OMP_NUM_THREADS=1 "${envs[@]}" "${MPIRUN[@]}" "$bin" -q run "$WORK/$name.toml" --force
    read -r wall wsec wbytes < <(/usr/bin/python3 -c "
import json,sys; r=json.load(open(sys.argv[1]))
s=[x for x in r['stages'] if x['name']=='deltas+write'][0]
print(r['wall_seconds'], s['seconds'], s['bytes_written'])" "$out/run.json")
    mib=$(( (wbytes + 1048575) / 1048576 ))
    sync  # the run's own dirty pages first: dd should not wait for them
    t0=$(date +%s.%N)
    dd if=/dev/zero of="$WORK/dd.bin" bs=1M count="$mib" conv=fdatasync status=none
    t1=$(date +%s.%N)
    rm -f "$WORK/dd.bin"
    size=$(stat -c %s "$out/leefbaar.h5")
    /usr/bin/python3 -c "
import sys; r,n,w,ws,mib,t0,t1,size=sys.argv[1:]
dd=float(t1)-float(t0)
print(f'| {r} | {n} | {float(w):.1f} | {float(ws):.2f} | {mib} | {dd:.2f} | {float(ws)/dd:.1f}x | {int(size)/1e6:.0f} |')" \
      "$round" "$name" "$wall" "$wsec" "$mib" "$t0" "$t1" "$size"
  done
done
