#!/usr/bin/env bash
# The benchmark pipeline in one command (see bench/pipeline.py for the scenarios and options):
#   bench/pipeline.sh [--quick] [--scenarios a,b] [--out DIR] [--data DIR] [--baseline FILE]
#                     [--tolerance 0.25] [--binary PATH] ...
# Exit status: 0 ok; 3 a figure regressed beyond the tolerance or a correctness check failed;
# 1 a scenario script failed; 2 usage error.
# jobscripts/slurm/bench.sbatch calls it as `bench/pipeline.sh BINARY RANKS WORKDIR` (the
# arguments of every bench script): those become --binary BINARY --ranks RANKS --out WORKDIR,
# with extra options from $LEEFBAAR_BENCH_ARGS.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/../scripts/bootstrap.sh" --bench >&2 || echo "pipeline.sh: scripts/bootstrap.sh --bench failed; using what is installed" >&2
export LEEFBAAR_BOOTSTRAPPED=1  # the bench scripts skip their own bootstrap
if [[ $# -ge 3 && $1 != -* ]]; then
  read -r -a extra <<< "${LEEFBAAR_BENCH_ARGS:-}"
  exec /usr/bin/python3 "$here/pipeline.py" --binary "$1" --ranks "$2" --out "$3" "${extra[@]}"
fi
exec /usr/bin/python3 "$here/pipeline.py" "$@"
