#!/usr/bin/env bash
# The national calibration test: generates the synthetic Netherlands (4 years), runs the
# shipped national config (configs/nl-synthetic.toml, demo model) on it with 2 ranks, and
# checks the 2018 analysis' bands (tests/national/calibration_check.py).
# Usage: run_calibration.sh LEEFBAAR SOURCE_DIR MPIEXEC [MPIEXEC_FLAGS...]
set -euo pipefail
bin=$1 src=$2
shift 2
mpi=("$@")
work=$(mktemp -d "${TMPDIR:-/tmp}/leefbaar-calibration.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
"${mpi[@]}" -np 2 "$bin" -q synth --out "$work/data"
t1=$SECONDS
# The shipped run config, with the data and output folders of this test and the model by
# absolute path.
sed -e "s#^model = .*#model = \"$src/configs/models/lbm-demo.toml\"#" \
    -e "s#^data = .*#data = \"$work/data\"#" \
    -e "s#^out = .*#out = \"$work/out\"#" "$src/configs/nl-synthetic.toml" > "$work/run.toml"
"${mpi[@]}" -np 2 "$bin" -q run "$work/run.toml"
t2=$SECONDS
echo "synth $((t1 - t0)) s, run $((t2 - t1)) s"
/usr/bin/python3 "$src/tests/national/calibration_check.py" "$work/out"
