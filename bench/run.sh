#!/usr/bin/env bash
# National recompute benchmark: the synthetic Netherlands, 4 years, demo model, mpirun -np N.
# Prints the per-stage times from run.json and each stage's ratio to a bound measured in the
# same script: kernel stages against a memory copy of the bytes they read, the write stage
# against a raw write of the same bytes to the same disk (dd, fdatasync).
# Usage: bench/run.sh [NP] [BUILD_DIR]     (the dataset is generated when absent)
set -euo pipefail
cd "$(dirname "$0")/.."
NP=${1:-2}
BUILD=${2:-build/release}
LEEFBAAR=$BUILD/leefbaar
MPIRUN=(mpirun -np "$NP" --oversubscribe)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
scripts/bootstrap.sh --bench
[[ -f data/nl-synthetic/manifest.toml ]] || "${MPIRUN[@]}" "$LEEFBAAR" -q synth --out data/nl-synthetic
OUT=out/bench-run
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v "${MPIRUN[@]}" "$LEEFBAAR" -q run configs/nl-synthetic.toml --force --out "$OUT" 2> /tmp/leefbaar-bench-run.time
grep -E "Elapsed|Maximum resident" /tmp/leefbaar-bench-run.time | sed 's/^\s*//'
/usr/bin/python3 - "$OUT" <<'PY'
import json, os, subprocess, sys, time
import numpy as np
out = sys.argv[1]
j = json.load(open(os.path.join(out, "run.json")))
def memcpy_seconds(nbytes):
    n = max(int(nbytes), 1 << 20)
    a = np.ones(n, dtype=np.uint8); b = np.empty_like(a)
    best = 1e9
    for _ in range(3):
        t = time.perf_counter(); np.copyto(b, a); best = min(best, time.perf_counter() - t)
    return best
def raw_write_seconds(nbytes):
    mb = max(int(nbytes) >> 20, 1)
    path = os.path.join(out, "raw-write.bin")
    t = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mb}", "conv=fdatasync"],
                   check=True, capture_output=True)
    s = time.perf_counter() - t
    os.remove(path)
    return s
print(f"ranks {j['ranks']}, threads/rank {j['threads_per_rank']}, total {j['wall_seconds']:.1f} s, "
      f"peak RSS/rank {max(j['peak_rss_bytes_per_rank'])/2**30:.2f} GiB")
print("| stage | seconds | bytes read | bytes written | bound | bound s | ratio |")
print("| --- | --- | --- | --- | --- | --- | --- |")
for s in j["stages"]:
    name, sec, rd, wr = s["name"], s["seconds"], s["bytes_read"], s["bytes_written"]
    if name.startswith("kernels/"):
        b, kind = memcpy_seconds(rd), "memcpy of bytes read"
    elif wr > 0:
        b, kind = raw_write_seconds(wr), "raw write (dd) of bytes written"
    else:
        b, kind = None, "-"
    ratio = f"{sec / b:.1f}x" if b else "-"
    bs = f"{b:.3f}" if b else "-"
    print(f"| {name} | {sec:.2f} | {rd/2**20:.0f} MiB | {wr/2**20:.0f} MiB | {kind} | {bs} | {ratio} |")
PY
