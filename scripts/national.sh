#!/usr/bin/env bash
# The main job: a national recompute of the synthetic Netherlands with its report.
#   1. generate the synthetic Netherlands into data/nl-synthetic (skipped when present)
#   2. run the national recompute under mpirun -np 2 (configs/nl-synthetic.toml)
#   3. describe the results
# Environment: NP (ranks, default 2), LEEFBAAR (binary, default build/release/leefbaar).
set -euo pipefail
cd "$(dirname "$0")/.."
NP=${NP:-2}
LEEFBAAR=${LEEFBAAR:-build/release/leefbaar}
MPIRUN=(mpirun -np "$NP" --oversubscribe)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)

mkdir -p data out
if [[ ! -f data/nl-synthetic/manifest.toml ]]; then
  "${MPIRUN[@]}" "$LEEFBAAR" synth --out data/nl-synthetic --preset national
fi
"${MPIRUN[@]}" "$LEEFBAAR" run configs/nl-synthetic.toml --force
"$LEEFBAAR" info out/nl-synthetic/leefbaar.h5 | sed -n 1,20p   # sed reads all: no SIGPIPE under pipefail
echo "national recompute complete: out/nl-synthetic/ (leefbaar.h5, run.json, summary.json, aggregates/, report/index.html)"
