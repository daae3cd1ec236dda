#!/usr/bin/env bash
# National recompute benchmark: the synthetic Netherlands, 4 years, demo model, mpirun -np N.
# Prints the per-stage times from run.json and each stage's ratio to a bound measured in the
# same script: kernel stages against a memory copy of the bytes their kernel calls read and
# write (summed over the calls; older runs without that record: the bytes read) and their layer
# reads against a raw read of the year's layer files, the write stage
# (parallel HDF5) against a raw write of the same bytes to the same disk (dd, fdatasync); the
# aggregation stage (every zone statistic, the typology and the summary, in memory) against the
# streaming pass over the same per-cell bytes that the stage times in the same run (goal 2x;
# bench/aggregate.sh times the stage alone, repeatedly), its outputs (CSVs, summary JSON and
# GeoPackage) against ogr2ogr writing the same GeoPackage. Next to
# the times: a fingerprint (BLAKE2b of every dataset's bytes of leefbaar.h5, in name
# order), which must not depend on the rank or thread count.
# Usage: bench/run.sh [NP] [BUILD_DIR]     (the dataset is generated when absent)
# env: DATA (dataset folder, default data/nl-synthetic), OUT (default out/bench-run),
#      THREADS (OpenMP threads per rank, default 1), SCENARIO (record scenario of the whole-run
#      figures, default recompute), STAGES (1: per-stage records, default 1),
#      KEEP (1: keep OUT, default 1), BENCH_JSONL (append JSON records, see bench/record.py)
set -euo pipefail
cd "$(dirname "$0")/.."
NP=${1:-2}
BUILD=${2:-build/release}
LEEFBAAR=$BUILD/leefbaar
DATA=${DATA:-data/nl-synthetic}
OUT=${OUT:-out/bench-run}
THREADS=${THREADS:-1}
MPIRUN=(mpirun -np "$NP" --oversubscribe)
[[ $THREADS -gt 1 ]] && MPIRUN+=(--bind-to none)
[[ $(id -u) -eq 0 ]] && MPIRUN+=(--allow-run-as-root)
[[ -n ${LEEFBAAR_BOOTSTRAPPED:-} ]] || scripts/bootstrap.sh --bench
[[ -f $DATA/manifest.toml ]] || "${MPIRUN[@]}" "$LEEFBAAR" -q synth --out "$DATA"
mkdir -p "$OUT"
DATA_ABS=$(cd "$DATA" && pwd)
OUT_ABS=$(cd "$OUT" && pwd)
CONFIG=$OUT_ABS.toml
printf '[run]\nmodel = "%s"\ndata = "%s"\nout = "%s"\n' "$PWD/configs/models/lbm-demo.toml" "$DATA_ABS" "$OUT_ABS" > "$CONFIG"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: OMP_NUM_THREADS=$THREADS ${MPIRUN[*]} $LEEFBAAR -q run $CONFIG --force"
OMP_NUM_THREADS=$THREADS /usr/bin/time -v "${MPIRUN[@]}" "$LEEFBAAR" -q run "$CONFIG" --force 2> "$OUT_ABS.time" \
  || { echo "run.sh: leefbaar run failed:"; head -20 "$OUT_ABS.time"; exit 1; }
grep -E "Elapsed|Maximum resident" "$OUT_ABS.time" | sed 's/^\s*//'
/usr/bin/python3 - "$OUT" "$NP" "$THREADS" "${SCENARIO:-recompute}" "${STAGES:-1}" "$(nproc)" <<'PY'
import hashlib, json, os, subprocess, sys, time
import h5py
import numpy as np
out, np_, threads, scenario, stages, cores = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1", int(sys.argv[6])
j = json.load(open(os.path.join(out, "run.json")))
def emit(scen, metric, value, **kw):
    if not os.environ.get("BENCH_JSONL"):
        return
    args = ["/usr/bin/python3", "bench/record.py", "--scenario", scen, "--metric", metric, "--value", str(value),
            "--ranks", str(np_), "--threads", str(threads)]
    for k, v in kw.items():
        if v is not None:
            args += ["--" + k.replace("_", "-"), str(v)]
    subprocess.run(args, check=True)
def raw_read_seconds(files):
    best = 1e9
    for _ in range(3):
        t = time.perf_counter()
        for f in files:
            with open(f, "rb", buffering=0) as fh:
                while fh.read(1 << 22):
                    pass
        best = min(best, time.perf_counter() - t)
    return max(best, 1e-6)
def memcpy_seconds(nbytes):
    n = max(int(nbytes), 1 << 20)
    a = np.ones(n, dtype=np.uint8); b = np.empty_like(a)
    best = 1e9
    for _ in range(max(3, min(20, (1 << 30) // n))):  # more repetitions of small copies
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
def ogr2ogr_seconds(gpkg):
    copy = os.path.join(out, "ogr2ogr-copy.gpkg")
    best = 1e9
    for _ in range(2):
        if os.path.exists(copy):
            os.remove(copy)
        t = time.perf_counter()
        subprocess.run(["ogr2ogr", "-f", "GPKG", copy, gpkg], check=True, capture_output=True)
        best = min(best, time.perf_counter() - t)
    os.remove(copy)
    return best
h5 = os.path.join(out, "leefbaar.h5")
def grid_datasets(f):
    names = []
    f.visititems(lambda n, o: names.append(n) if isinstance(o, h5py.Dataset) else None)
    return sorted(names)
def fingerprint():
    h = hashlib.blake2b(digest_size=16)
    with h5py.File(h5, "r") as f:
        for n in grid_datasets(f):
            d = f[n]
            h.update(n.encode()); h.update(str(d.dtype).encode()); h.update(str(d.shape).encode())
            if d.ndim >= 1 and d.shape[0] > 0:
                step = max(1, (8 << 20) // max(1, d[0:1].nbytes))
                for r in range(0, d.shape[0], step):
                    h.update(np.ascontiguousarray(d[r:r + step]).tobytes())
            else:
                h.update(np.asarray(d[()]).tobytes())
    return h.hexdigest()
oversub = np_ * threads > cores
tag = f"{np_}r{threads}t" + ("-oversubscribed" if oversub else "")
rss = max(j["peak_rss_bytes_per_rank"]) / 2**30
print(f"ranks {j['ranks']}, threads/rank {j['threads_per_rank']}, total {j['wall_seconds']:.1f} s, peak RSS/rank {rss:.2f} GiB")
fp = fingerprint()
print(f"output fingerprint (BLAKE2b of every dataset of leefbaar.h5): {fp}")
emit(scenario, f"run_wall_{tag}", j["wall_seconds"], unit="s", note=f"fingerprint={fp}")
emit(scenario, f"run_peak_rss_per_rank_{tag}", rss, unit="GiB", kind="info", goal="value<=4")
ks = j.get("kernel_stages_rank0", {})
if stages:
    agg_line = None
    print("| stage | seconds | bytes read | bytes written | bound | bound s | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for s in j["stages"]:
        name, sec, rd, wr = s["name"], s["seconds"], s["bytes_read"], s["bytes_written"]
        key = ("aggregate_outputs" if name == "aggregate outputs" else name.split(" ")[0]).replace("/", "_").replace("+", "_")
        b, kind, scen = None, "-", "recompute"
        if name.startswith("kernels/") and ks.get(name.split("/")[1].split(" ")[0], {}).get("call_bytes_max_rank", 0) > 0:
            # The stage's kernel calls against a memcpy of the bytes they touch: per call, each
            # input layer over the block plus that kernel's reach, and the cells it must write
            # (the scored ones for kernels that take the scored-cell mask, else the block) (run.json kernel_stages_rank0.call_bytes_max_rank: the busiest rank; the ranks run
            # side by side, so one copy of that rank's bytes bounds the stage).
            y = name.split("/")[1].split(" ")[0]
            k = ks[y]
            b, kind = memcpy_seconds(k["call_bytes_max_rank"]), "memcpy of the kernel calls' in+out bytes"
            print(f"  {name}: {k['call_bytes_max_rank']/2**30:.2f} GiB touched by the kernel calls (busiest rank); rank 0: "
                  f"layer reads {k['read_seconds']:.2f} s, kernel calls {k['kernel_seconds']:.2f} s "
                  f"({k['kernel_seconds']/b:.1f}x the bound), checkpoint write {k['checkpoint_seconds']:.2f} s, "
                  f"other {sec - k['read_seconds'] - k['kernel_seconds'] - k['checkpoint_seconds']:.2f} s")
            emit(scen, f"stage_{key}_kernel_calls", k["kernel_seconds"], unit="s", baseline_name=kind,
                 baseline_value=b, goal="ratio<=3", note=name + " (kernel calls only, rank 0)")
            # Layer reads (an I/O part of the stage) against a raw read of the same files: every
            # GeoTIFF of the year the run read, whole (rank 0 reads about half of each file's
            # tiles, so this bound is generous), from the page cache as the run found them.
            files = [f for f in j.get("inputs", {}) if f.endswith(".tif") and f"/{y}/" in f]
            if files:
                rb = raw_read_seconds(files)
                nbytes = sum(os.path.getsize(f) for f in files)
                print(f"  {name}: layer reads {k['read_seconds']:.2f} s against a raw read of the year's "
                      f"{len(files)} layer files ({nbytes/2**20:.0f} MiB compressed, whole) {rb:.3f} s: "
                      f"{k['read_seconds']/rb:.0f}x (decoding and nodata mapping, not the disk)")
                emit(scen, f"stage_{key}_layer_reads", k["read_seconds"], unit="s", baseline_name="raw read of the layer files",
                     baseline_value=rb, kind="info", note=name + " (rank 0)")
            else:
                emit(scen, f"stage_{key}_layer_reads", k["read_seconds"], unit="s", kind="info", note=name + " (rank 0)")
        elif name.startswith("kernels/") and rd > 0:
            b, kind = memcpy_seconds(rd), "memcpy of bytes read"
        elif name == "aggregate outputs":
            # The CSVs and summary (rank 0) and the GeoPackage (the last rank, the longer part):
            # against a peer writing the same GeoPackage, ogr2ogr copying the run's own zones.gpkg.
            scen = "aggregation"
            b, kind = ogr2ogr_seconds(os.path.join(out, "aggregates", "zones.gpkg")), "ogr2ogr writing the same GeoPackage"
        elif wr > 0:
            b, kind, scen = raw_write_seconds(wr), "raw write (dd) of bytes written", "hdf5-write"
        elif name == "aggregate":
            # The stage computes every statistic from the cell scores held in memory (its
            # outputs are the next stage): its bound is the streaming pass over the same per-cell
            # bytes that the stage itself times in the same run
            # (run.json aggregate_seconds_rank0.stream_baseline; goal: at most 2x).
            scen = "aggregation"
            ag = j.get("aggregate_seconds_rank0", {})
            if ag.get("stream_baseline", 0) > 0:
                b, kind = ag["stream_baseline"], "streaming pass over the same cell bytes (in run)"
                for part in ag:
                    if not part.startswith("stream_baseline"):
                        emit(scen, f"aggregate_{part.replace('+', '_')}", ag[part], unit="s",
                             baseline_name="stream_baseline", baseline_value=b, kind="info")
                agg_line = ("aggregate sections (rank 0): " + ", ".join(
                    f"{k} {v:.3f} s" for k, v in ag.items() if not k.startswith("stream_baseline"))
                    + f"; stream baseline {b:.3f} s over {ag['stream_baseline_bytes']/1e6:.0f} MB")
        ratio = f"{sec / b:.1f}x" if b else "-"
        bs = f"{b:.3f}" if b else "-"
        print(f"| {name} | {sec:.2f} | {rd/2**20:.0f} MiB | {wr/2**20:.0f} MiB | {kind} | {bs} | {ratio} |")
        emit(scen, f"stage_{key}", sec, unit="s", baseline_name=kind if b else None, baseline_value=b,
             goal=("ratio<=2" if name == "aggregate" else "ratio<=3") if b else None, note=name)
    if agg_line:
        print(agg_line)
PY
if [[ ${KEEP:-1} != 1 ]]; then rm -rf "$OUT_ABS" "$OUT_ABS.toml" "$OUT_ABS.time"; fi
