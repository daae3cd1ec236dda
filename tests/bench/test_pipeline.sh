#!/usr/bin/env bash
# ctest bench_pipeline: bench/pipeline.py end to end on real, tiny scenarios (no fakes):
#   1. `--quick --scenarios synth,kernels` (synth --preset tiny with its repeat check, the focal
#      kernels on a 240 x 280 grid (100 m, 500 m) against GRASS/SciPy when installed) into a scratch folder,
#      with a scratch history (the repository's bench/history is never touched);
#   2. results.json and results.csv are well-formed: the run metadata (machine, load before/after,
#      OS, compiler, MPI/HDF5/GDAL versions, leefbaar version, git commit + dirty flag, date,
#      command), every record with scenario/metric/value/unit/baseline/ratio/goal/status, and the
#      correctness checks passing;
#   3. the regression flag: judged against a baseline file whose figures are 3x better the
#      pipeline exits 3 and names the regressions; against its own results it exits 0; a failed
#      correctness check also exits 3;
#   4. the history summary writes the table between the markers of a RESULTS.md and a PNG.
# Usage: test_pipeline.sh LEEFBAAR_BINARY
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$1
W=$(mktemp -d /tmp/leefbaar-bench-test.XXXXXX)
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
PY=/usr/bin/python3
$PY -c "import numpy, matplotlib; from osgeo import gdal" 2>/dev/null \
  || { echo "SKIP: needs python3-numpy, python3-gdal and python3-matplotlib (scripts/bootstrap.sh --bench)"; exit 0; }

printf '# Benchmark results\n\nhand-written text\n\n<!-- history:begin -->\nold\n<!-- history:end -->\n\nmore text\n' > "$W/RESULTS.md"
t0=$(date +%s)
"$ROOT/bench/pipeline.sh" --quick --scenarios synth,kernels --kernel-grid 240x280 --kernel-radii 100,500 --reps 1 --binary "$BIN" \
  --out "$W/run1" --history "$W/history/results.csv" --results-md "$W/RESULTS.md" > "$W/run1.log" 2>&1
rc=$?
echo "pipeline run: exit $rc after $(( $(date +%s) - t0 )) s"
[[ $rc -eq 0 ]] || { tail -40 "$W/run1.log"; for f in "$W"/run1/logs/*.log; do echo "== $f"; tail -20 "$f"; done; fail "pipeline exited $rc"; }

$PY - "$W" <<'PY' || fail "malformed results"
import csv, json, sys
w = sys.argv[1]
j = json.load(open(f"{w}/run1/results.json"))
meta, recs = j["meta"], j["records"]
need = ["run_id", "date", "mode", "machine_id", "cpu_model", "cores", "memory_gib", "load_before", "load_after", "os",
        "compiler", "mpi", "hdf5", "gdal", "leefbaar_version", "git_commit", "git_dirty", "command"]
missing = [k for k in need if meta.get(k) in (None, "")]
assert not missing, f"metadata missing: {missing}"
assert meta["mode"] == "quick" and isinstance(meta["git_dirty"], bool) and len(meta["git_commit"]) == 40, meta
assert "leefbaar" in meta["leefbaar_version"], meta["leefbaar_version"]
assert recs, "no records"
for r in recs:
    for k in ("scenario", "metric", "value", "unit", "baseline_name", "baseline_value", "ratio", "goal", "goal_met",
              "kind", "status", "ranks", "threads", "oversubscribed"):
        assert k in r, (k, r)
scen = {r["scenario"] for r in recs}
assert scen == {"synth", "kernels"}, scen
timed = [r for r in recs if r["kind"] == "time" and r["baseline_value"]]
assert timed and all(abs(r["ratio"] - r["value"] / r["baseline_value"]) < 1e-9 * max(1, r["ratio"]) for r in timed)
checks = [r for r in recs if r["kind"] == "check"]
names = {r["metric"] for r in checks}
assert "synth_tiny_files_differing_on_repeat" in names, names
assert any(m.startswith("sum_100m_cells_differing") for m in names), names
bad = [r for r in checks if r["status"] == "FAIL"]
assert not bad, f"failed checks: {bad}"
rows = list(csv.DictReader(open(f"{w}/run1/results.csv")))
assert len(rows) == len(recs), (len(rows), len(recs))
assert all(r["git_commit"] == meta["git_commit"] and r["load_after"] == meta["load_after"] for r in rows)
hist = list(csv.DictReader(open(f"{w}/history/results.csv")))
assert len(hist) == len(recs), "history rows"
# A baseline with 3x better figures, and a results file with one failed check.
better = dict(j)
better["records"] = [dict(r, value=(r["value"] / 3 if r["value"] else r["value"]),
                          ratio=(r["ratio"] / 3 if r["ratio"] else r["ratio"])) for r in recs]
json.dump(better, open(f"{w}/better.json", "w"))
broken = dict(j)
broken["records"] = [dict(r, value=1.0, status="FAIL") if r["metric"] == "synth_tiny_files_differing_on_repeat" else r
                     for r in recs]
json.dump(broken, open(f"{w}/broken.json", "w"))
print(f"ok: {len(recs)} records, {len(checks)} checks, {len(timed)} timed with a baseline")
PY

grep -q '<!-- history:begin -->' "$W/RESULTS.md" && grep -q 'hand-written text' "$W/RESULTS.md" && grep -q 'more text' "$W/RESULTS.md" \
  || fail "RESULTS.md markers or hand-written text lost"
grep -qx old "$W/RESULTS.md" && fail "RESULTS.md history block not replaced"
grep -q '| synth | synth_tiny_vs_dd |' "$W/RESULTS.md" || fail "RESULTS.md has no history table row for synth"
[[ $(head -c 8 "$W/history/history.png" | od -An -c | tr -d ' ') == '211PNG\r\n032\n' ]] || fail "history.png is not a PNG"

common=(--binary "$BIN" --no-history --tolerance 0.25)
"$ROOT/bench/pipeline.sh" "${common[@]}" --compare-only "$W/run1/results.json" --baseline "$W/better.json" > "$W/cmp1.log" 2>&1
rc=$?; [[ $rc -eq 3 ]] || { cat "$W/cmp1.log"; fail "a 3x better baseline: exit $rc, want 3"; }
grep -q REGRESSED "$W/cmp1.log" || fail "no REGRESSED line in the table"
"$ROOT/bench/pipeline.sh" "${common[@]}" --compare-only "$W/run1/results.json" --baseline "$W/run1/results.json" > "$W/cmp2.log" 2>&1
rc=$?; [[ $rc -eq 0 ]] || { cat "$W/cmp2.log"; fail "its own results as baseline: exit $rc, want 0"; }
"$ROOT/bench/pipeline.sh" "${common[@]}" --compare-only "$W/broken.json" --baseline "$W/run1/results.json" > "$W/cmp3.log" 2>&1
rc=$?; [[ $rc -eq 3 ]] || { cat "$W/cmp3.log"; fail "a failed correctness check: exit $rc, want 3"; }
grep -q "CORRECTNESS CHECK FAILED" "$W/cmp3.log" || fail "no correctness message"
echo "ok: regression flag fires on a better baseline (exit 3), not on itself (exit 0), and on a failed check (exit 3)"
