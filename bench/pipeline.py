#!/usr/bin/python3
"""leefbaar benchmark pipeline: runs the standard scenarios (the bench/*.sh scripts, which emit
one JSON record per figure through bench/record.py), adds the run metadata, writes
results.json + results.csv into --out, appends the rows to the history CSV, flags regressions
against the previous history entry of the same machine (or a --baseline file) and updates the
history table + plot in bench/RESULTS.md.

Scenarios (--scenarios, comma-separated; default all):
  kernels      bench/kernels.sh: focal sums and EDT vs memcpy, GRASS r.neighbors, SciPy, gdal_proximity
  synth        bench/synth.sh: `leefbaar synth` vs gdal_translate and dd of the same bytes
  recompute    bench/run.sh: `leefbaar run` by stage (run.json); also writes the records of
               hdf5-write (write stage vs dd of the same bytes) and aggregation (the aggregate
               stage's time: it works on in-memory scores, no file pass is a fair bound)
  sweep        bench/sweep.sh: `leefbaar sweep` vs sgemm of the same shape; sliced+merged == single
  scaling      bench/run.sh at 1, 2 and 4 ranks (4 oversubscribed on 2 cores, marked) and 1 rank
               x 2 threads: wall time vs the 1 x 1 run, output fingerprints identical

Exit status: 0 when no figure regressed and every correctness check passed; 3 on a regression
or a failed check; 1 when a scenario script failed; 2 on a usage error.
"""
import argparse
import csv
import datetime
import io
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SCENARIOS = ["kernels", "synth", "recompute", "sweep", "scaling"]
GROUP = {"hdf5-write": "recompute", "aggregation": "recompute"}
META_FIELDS = [
    "run_id", "date", "mode", "machine_id", "hostname", "cpu_model", "cores", "memory_gib", "load_before",
    "load_after", "os", "compiler", "mpi", "hdf5", "gdal", "leefbaar_version", "git_commit", "git_dirty",
    "command", "data",
]
REC_FIELDS = [
    "scenario", "metric", "value", "unit", "baseline_name", "baseline_value", "ratio", "goal", "goal_met",
    "kind", "status", "ranks", "threads", "oversubscribed", "reps", "note",
]
CSV_FIELDS = META_FIELDS + REC_FIELDS
BEGIN, END = "<!-- history:begin -->", "<!-- history:end -->"


def sh(cmd, **kw):
    try:
        return subprocess.run(cmd, shell=isinstance(cmd, str), capture_output=True, text=True, timeout=60,
                              **kw).stdout.strip()
    except Exception:
        return ""


def first_line(s):
    return s.splitlines()[0].strip() if s else ""


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def metadata(args, binary):
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = 0.0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 2**20
    os_name = platform.platform()
    if os.path.exists("/etc/os-release"):
        with open("/etc/os-release") as f:
            m = re.search(r'^PRETTY_NAME="?([^"\n]*)', f.read(), re.M)
            if m:
                os_name = m.group(1) + " (" + platform.release() + ")"
    compiler = ""
    cache = os.path.join(os.path.dirname(binary), "CMakeCache.txt")
    cxx = "c++"
    if os.path.exists(cache):
        with open(cache) as f:
            m = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.*)$", f.read(), re.M)
            if m:
                cxx = m.group(1)
    compiler = first_line(sh([cxx, "--version"]))
    hdf5 = ""
    m = re.search(r"HDF5 Version:\s*(\S+)", sh("h5cc -showconfig 2>/dev/null || h5pcc -showconfig"))
    if m:
        hdf5 = m.group(1)
    else:
        hdf5 = first_line(sh(["h5dump", "--version"]))
    commit = sh(["git", "-C", ROOT, "rev-parse", "HEAD"])
    dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]) != ""
    host = socket.gethostname()
    cores = os.cpu_count() or 1
    return {
        "run_id": datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "machine_id": f"{host}/{cores}c/{round(mem)}G/{cpu}",
        "hostname": host,
        "cpu_model": cpu,
        "cores": cores,
        "memory_gib": round(mem, 1),
        "load_before": loadavg(),
        "load_after": "",
        "os": os_name,
        "compiler": compiler,
        "mpi": first_line(sh(["mpirun", "--version"])),
        "hdf5": hdf5,
        "gdal": first_line(sh(["gdal-config", "--version"])) or first_line(sh(["gdalinfo", "--version"])),
        "leefbaar_version": first_line(sh([binary, "--version"])),
        "git_commit": commit,
        "git_dirty": dirty,
        "command": " ".join(shlex.quote(a) for a in [sys.argv[0]] + sys.argv[1:]),
        "data": "",
    }


# ---------------------------------------------------------------------------------------------
# Running the scenarios


def run_script(name, cmd, env, log_dir):
    """Runs one bench script with its log in log_dir/name.log; returns (ok, seconds)."""
    log = os.path.join(log_dir, name + ".log")
    print(f"pipeline: {name}: {' '.join(shlex.quote(c) for c in cmd)}  (log {log}; load {loadavg()})", flush=True)
    t = time.time()
    with open(log, "w") as f:
        f.write("command: " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        f.flush()
        rc = subprocess.run(cmd, cwd=ROOT, env=env, stdout=f, stderr=subprocess.STDOUT).returncode
    s = time.time() - t
    print(f"pipeline: {name}: exit {rc} after {s:.0f} s", flush=True)
    return rc == 0, s


def read_jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if line.strip():
                    out.append(json.loads(line))
    return out


def run_scenarios(args, binary, build_dir, out, meta):
    work = os.path.join(out, "work")
    logs = os.path.join(out, "logs")
    os.makedirs(work, exist_ok=True)
    os.makedirs(logs, exist_ok=True)
    jsonl = os.path.join(out, "records.jsonl")
    if os.path.exists(jsonl):
        os.remove(jsonl)
    base_env = dict(os.environ, BENCH_JSONL=jsonl, BUILD_DIR=build_dir, LEEFBAAR=binary)
    quick = args.quick
    failures = []
    sel = args.scenarios

    # The dataset of the recompute, sweep and scaling scenarios.
    data = args.data
    if not data and any(s in sel for s in ("recompute", "sweep", "scaling")):
        data = os.path.join(work, "data-" + args.preset)
        if not os.path.exists(os.path.join(data, "manifest.toml")):
            print(f"pipeline: generating the {args.preset} dataset in {data}", flush=True)
            subprocess.run(mpirun(2) + [binary, "-q", "synth", "--preset", args.preset, "--out", data, "--force"],
                           check=True)
    # A generated dataset is named by its preset, so runs into different --out folders compare.
    meta["data"] = os.path.abspath(data) if args.data else (f"synth --preset {args.preset}" if data else "")

    if "kernels" in sel:
        env = dict(base_env, WORK_DIR=os.path.join(work, "kernels"), THREADS=str(args.threads), REPS=str(args.reps))
        if os.access(os.path.join(build_dir, "bench_kernels"), os.X_OK):
            env["SKIP_BUILD"] = "1"
        if args.kernel_grid:
            nx, ny = args.kernel_grid.lower().split("x")
            env.update(NX=nx, NY=ny)
        elif quick:
            env.update(NX="560", NY="650")
        if args.kernel_radii:
            env.update(RADII=args.kernel_radii.replace(",", " "))
        elif quick:
            env.update(RADII="100 500 1000")
        ok, _ = run_script("kernels", ["bash", "bench/kernels.sh"], env, logs)
        ok or failures.append("kernels")
    if "synth" in sel:
        preset = args.synth_preset or ("tiny" if quick else "national")
        # Repeat check (same seed -> same bytes) except nationally, where it would double the time.
        env = dict(base_env, PRESET=preset, CHECK_REPEAT="0" if preset == "national" else "1")
        if preset == "national" and args.data:
            env["REFERENCE_DATA"] = os.path.abspath(args.data)  # same preset, default seed: same rasters
        tgt = os.path.join(work, "synth-out")
        ok, _ = run_script("synth", ["bash", "bench/synth.sh", binary, str(args.ranks), tgt], env, logs)
        shutil.rmtree(tgt, ignore_errors=True)
        ok or failures.append("synth")
    run_dir = os.path.join(work, "run")
    if "recompute" in sel or "sweep" in sel or "scaling" in sel:
        # The recompute at --ranks ranks x 1 thread (also the sweeps' input and a scaling point).
        env = dict(base_env, DATA=data, OUT=run_dir, THREADS="1", SCENARIO="scaling" if "recompute" not in sel and "scaling" in sel else "recompute",
                   STAGES="1" if "recompute" in sel else "0")
        ok, _ = run_script("recompute", ["bash", "bench/run.sh", str(args.ranks), build_dir], env, logs)
        ok or failures.append("recompute")
    if "sweep" in sel and os.path.exists(os.path.join(run_dir, "leefbaar.h5")):
        env = dict(base_env, NP=str(args.ranks), OMP_NUM_THREADS="1", WORK=os.path.join(work, "sweep"),
                   KS=args.sweep_ks or ("8 16" if quick else "100 250"), CHECK_K="8" if quick else "16")
        ok, _ = run_script("sweep", ["bash", "bench/sweep.sh", run_dir], env, logs)
        shutil.rmtree(os.path.join(work, "sweep"), ignore_errors=True)
        ok or failures.append("sweep")
    if "scaling" in sel:
        sdata = data
        if args.scaling_data:
            sdata = args.scaling_data
            if sdata in ("small", "tiny", "national"):
                sdata = os.path.join(work, "data-" + args.scaling_data)
                if not os.path.exists(os.path.join(sdata, "manifest.toml")):
                    subprocess.run(mpirun(2) + [binary, "-q", "synth", "--preset", args.scaling_data, "--out", sdata,
                                                "--force"], check=True)
            named = args.scaling_data in ("small", "tiny", "national")
            meta["data"] += f" (scaling: {('synth --preset ' + args.scaling_data) if named else os.path.abspath(sdata)})"
        for np_, th in args.scaling:
            if sdata == data and np_ == args.ranks and th == 1 and os.path.exists(os.path.join(run_dir, "run.json")):
                continue  # the recompute above is this point
            env = dict(base_env, DATA=sdata, OUT=os.path.join(work, f"run-{np_}x{th}"), THREADS=str(th),
                       SCENARIO="scaling", STAGES="0", KEEP="0")
            ok, _ = run_script(f"scaling-{np_}x{th}", ["bash", "bench/run.sh", str(np_), build_dir], env, logs)
            ok or failures.append(f"scaling-{np_}x{th}")
    if not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
        for p in (run_dir + ".toml", run_dir + ".time"):
            if os.path.exists(p):
                os.remove(p)
    records = read_jsonl(jsonl)
    if "scaling" in sel:
        records += scaling_records(records, same_data=not args.scaling_data)
    return records, failures


def mpirun(n):
    cmd = ["mpirun", "-np", str(n), "--oversubscribe"]
    if os.geteuid() == 0:
        cmd.append("--allow-run-as-root")
    return cmd


def scaling_records(records, same_data):
    """The scaling figures from the whole-run records: time / time at 1 rank x 1 thread, and one
    check that every rank/thread count wrote the same leefbaar.h5 (fingerprint). The recompute's
    run is a scaling point when it used the same dataset."""
    runs = [r for r in records if r["metric"].startswith("run_wall_") and (same_data or r["scenario"] == "scaling")]
    ref = next((r for r in runs if r.get("ranks") == 1 and r.get("threads") == 1), None)
    out = []
    for r in runs:
        if r is ref or ref is None or not r.get("value"):
            continue
        out.append({"scenario": "scaling", "metric": "vs_1r1t_" + r["metric"][len("run_wall_"):],
                    "value": r["value"], "unit": "s", "baseline_name": "run_wall 1 rank x 1 thread",
                    "baseline_value": ref["value"], "ratio": r["value"] / ref["value"] if ref["value"] else None,
                    "goal": "", "kind": "ratio", "ranks": r["ranks"], "threads": r["threads"], "reps": 1,
                    "note": "wall time / wall time at 1 rank x 1 thread (lower is better)"})
    fps = {}
    for r in runs:
        m = re.search(r"fingerprint=(\w+)", r.get("note", ""))
        if m:
            fps[r["metric"][len("run_wall_"):]] = m.group(1)
    distinct = sorted(set(fps.values()))
    out.append({"scenario": "scaling", "metric": "outputs_differing_between_rank_thread_counts",
                "value": float(len(distinct) - 1) if distinct else None, "unit": "configs",
                "baseline_name": "", "baseline_value": None, "ratio": None, "goal": "value==0", "kind": "check",
                "ranks": None, "threads": None, "reps": 1,
                "note": "; ".join(f"{k}={v}" for k, v in sorted(fps.items())) or "no fingerprints"})
    return out


# ---------------------------------------------------------------------------------------------
# Goals, regressions, files


def eval_goal(rec):
    g = (rec.get("goal") or "").replace(" ", "")
    m = re.fullmatch(r"(ratio|value)(<=|>=|==|<|>)(-?[\d.eE+-]+)", g)
    if not m:
        return ""
    x = rec.get(m.group(1))
    if x is None:
        return ""
    lim = float(m.group(3))
    op = m.group(2)
    ok = {"<=": x <= lim, ">=": x >= lim, "==": x == lim, "<": x < lim, ">": x > lim}[op]
    return "yes" if ok else "no"


def finish_record(rec, cores):
    rec.setdefault("note", "")
    for k in ("baseline_name", "goal", "unit", "kind"):
        rec[k] = rec.get(k) or ""
    r, t = rec.get("ranks"), rec.get("threads")
    rec["oversubscribed"] = bool(r and t and r * t > cores) if (r or t) else ""
    if rec.get("ratio") is None and rec.get("value") is not None and rec.get("baseline_value"):
        rec["ratio"] = rec["value"] / rec["baseline_value"]
    rec["goal_met"] = eval_goal(rec)
    if rec["kind"] == "check":
        if rec.get("value") is None:
            rec["status"] = "skipped"
        else:
            ok = rec["goal_met"] == "yes" if rec["goal_met"] else rec["value"] == 0
            rec["status"] = "pass" if ok else "FAIL"
    else:
        rec["status"] = "ok" if rec.get("value") is not None else "missing"
    return rec


def compared(rec):
    """The figure a regression is judged on (lower is better): the ratio to the baseline measured
    in the same run when there is one (load-normalised), else the value; None for info/check."""
    if rec.get("kind") in ("info", "check"):
        return None, ""
    # A baseline shorter than 0.1 s (a memcpy of a few MiB) is mostly timer and load noise: judge
    # the value itself then.
    if rec.get("ratio") not in (None, "") and (as_float(rec.get("baseline_value")) or 0) >= 0.1:
        return float(rec["ratio"]), "ratio"
    if rec.get("value") not in (None, ""):
        return float(rec["value"]), "value"
    return None, ""


def as_float(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def load_rows(path):
    """Records of a results.json, a results.csv or a history CSV (as dicts with floats)."""
    if path.endswith(".json"):
        with open(path) as f:
            j = json.load(f)
        rows = []
        for r in j["records"]:
            rows.append(dict(j.get("meta", {}), **r))
        return rows
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        for k in ("value", "baseline_value", "ratio"):
            r[k] = as_float(r.get(k))
    return rows


def regressions(records, meta, baseline_rows, tolerance, min_seconds):
    """Each timed record against its reference row: (record, reference row, figure kind, change)."""
    ref = {}
    for row in baseline_rows:  # later rows win: the latest previous entry
        ref[(row["scenario"], row["metric"])] = row
    out = []
    for rec in records:
        cur, kind = compared(rec)
        row = ref.get((rec["scenario"], rec["metric"]))
        if cur is None or row is None:
            continue
        prev = as_float(row.get(kind))
        if prev is None or prev <= 0:
            continue
        change = cur / prev - 1.0
        regressed = change > tolerance
        if regressed and kind == "value" and rec.get("unit") == "s" and cur - prev < min_seconds:
            regressed = False  # below the timer noise floor
        if regressed and kind == "ratio" and rec.get("kind") == "time":
            # A ratio that grew only because the baseline got faster (a peer, a dd, on a shared
            # machine) while our own time did not get worse beyond the margin is no regression.
            pv, cv = as_float(row.get("value")), as_float(rec.get("value"))
            if pv and cv is not None and (cv / pv - 1.0 <= tolerance or cv - pv < min_seconds):
                regressed = False
        out.append({"scenario": rec["scenario"], "metric": rec["metric"], "figure": kind, "previous": prev,
                    "current": cur, "change": change, "regressed": regressed,
                    "reference": row.get("run_id") or "baseline file"})
    return out


def history_reference(history, meta):
    """The rows of the latest previous run of the same machine, mode and dataset in the history."""
    if not os.path.exists(history):
        return []
    rows = [r for r in load_rows(history)
            if r.get("machine_id") == meta["machine_id"] and r.get("mode") == meta["mode"]
            and r.get("data", "") == meta.get("data", "") and r.get("run_id") != meta["run_id"]]
    if not rows:
        return []
    last = max(r["run_id"] for r in rows)
    return [r for r in rows if r["run_id"] == last]


def fmt(x, nd=3):
    if x is None or x == "":
        return "-"
    if isinstance(x, float):
        if abs(x) >= 1000:
            return f"{x:,.0f}"
        return f"{x:.{nd}g}" if abs(x) < 1 else f"{x:.{nd}f}".rstrip("0").rstrip(".")
    return str(x)


def write_outputs(out, meta, records, regs):
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump({"meta": meta, "records": records, "regressions": regs}, f, indent=1, sort_keys=True)
    with open(os.path.join(out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in records:
            w.writerow(dict(meta, **r))


def append_history(history, meta, records):
    os.makedirs(os.path.dirname(os.path.abspath(history)), exist_ok=True)
    new = not os.path.exists(history) or os.path.getsize(history) == 0
    with open(history, "a", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        if new:
            w.writeheader()
        for r in records:
            w.writerow(dict(meta, **r))


def print_table(records, regs, tolerance):
    regmap = {(g["scenario"], g["metric"]): g for g in regs}
    print()
    print(f"{'scenario':<12} {'metric':<44} {'value':>10} {'unit':<6} {'ratio':>8} {'goal':<10} {'met':<4} "
          f"{'status':<7} {'vs prev':>8}")
    for r in records:
        g = regmap.get((r["scenario"], r["metric"]))
        chg = "-" if not g else f"{g['change'] * 100:+.0f}%" + (" REGRESSED" if g["regressed"] else "")
        print(f"{r['scenario']:<12} {r['metric'][:44]:<44} {fmt(r.get('value')):>10} {r.get('unit', ''):<6} "
              f"{fmt(r.get('ratio')):>8} {r.get('goal', ''):<10} {r.get('goal_met', ''):<4} {r['status']:<7} {chg:>8}")
    nreg = sum(g["regressed"] for g in regs)
    nfail = sum(r["status"] == "FAIL" for r in records)
    print(f"\npipeline: {len(records)} records, {len(regs)} compared with the reference "
          f"(tolerance {tolerance * 100:.0f}%): {nreg} regressed; correctness checks failed: {nfail}")
    return nreg, nfail


# ---------------------------------------------------------------------------------------------
# History summary: markdown table + PNG in bench/RESULTS.md


def summarize(history, results_md, png, max_runs=8):
    rows = load_rows(history)
    if not rows:
        return
    runs = sorted({r["run_id"] for r in rows})
    latest_by_mode = {}
    for r in rows:
        latest_by_mode[r["mode"]] = max(latest_by_mode.get(r["mode"], ""), r["run_id"])
    md = io.StringIO()
    md.write(f"Generated by `bench/pipeline.py` from `bench/history/results.csv` ({len(runs)} runs, "
             f"{len(rows)} rows); plot: `bench/history/{os.path.basename(png)}`. "
             "Ratios are value / baseline measured in the same run (lower is better).\n\n")
    md.write("| run | mode | commit | machine | load before / after | data | records | checks failed | goals met |\n")
    md.write("| --- | --- | --- | --- | --- | --- | ---: | ---: | ---: |\n")
    for run in runs[-max_runs:]:
        rr = [r for r in rows if r["run_id"] == run]
        m = rr[0]
        checks = [r for r in rr if r["kind"] == "check"]
        goals = [r for r in rr if r.get("goal_met") in ("yes", "no")]
        dirty = " (dirty)" if str(m.get("git_dirty")) in ("True", "true", "1") else ""
        md.write(f"| {run} | {m['mode']} | {m['git_commit'][:10]}{dirty} | {m['cpu_model']}, {m['cores']} cores | "
                 f"{m['load_before']} / {m['load_after']} | {m.get('data') or '-'} | {len(rr)} | "
                 f"{sum(r['status'] == 'FAIL' for r in checks)} of {len(checks)} | "
                 f"{sum(r['goal_met'] == 'yes' for r in goals)} of {len(goals)} |\n")
    for mode in sorted(latest_by_mode):
        run = latest_by_mode[mode]
        rr = [r for r in rows if r["run_id"] == run]
        prev_runs = [x for x in runs if x < run and any(r["run_id"] == x and r["mode"] == mode for r in rows)]
        prev = {(r["scenario"], r["metric"]): r for r in rows if prev_runs and r["run_id"] == prev_runs[-1]}
        md.write(f"\nLatest {mode} run {run} (`{rr[0]['command']}`):\n\n")
        md.write("| scenario | metric | ranks x threads | value | unit | baseline | baseline value | ratio | goal | met "
                 "| status | previous run |\n")
        md.write("| --- | --- | --- | ---: | --- | --- | ---: | ---: | --- | --- | --- | ---: |\n")
        for r in rr:
            p = prev.get((r["scenario"], r["metric"]))
            cur, kind = compared(r)
            pv = as_float(p.get(kind)) if p and kind else None
            pc = f"{fmt(pv)} ({(cur / pv - 1) * 100:+.0f}%)" if pv and cur is not None else "-"
            rt = f"{r.get('ranks') or '-'} x {r.get('threads') or '-'}"
            if str(r.get("oversubscribed")) in ("True", "true"):
                rt += " (oversubscribed)"
            md.write(f"| {r['scenario']} | {r['metric']} | {rt} | {fmt(r['value'])} | {r['unit']} | "
                     f"{r['baseline_name'] or '-'} | {fmt(r['baseline_value'])} | {fmt(r['ratio'])} | "
                     f"{r['goal'] or '-'} | {r['goal_met'] or '-'} | {r['status']} | {pc} |\n")
    md.write(f"\n![benchmark history](history/{os.path.basename(png)})\n")
    plot(rows, runs, png)
    text = open(results_md).read() if os.path.exists(results_md) else "# Benchmark results\n"
    block = f"{BEGIN}\n{md.getvalue()}{END}"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## History (bench/pipeline.py)\n\n" + block + "\n"
    with open(results_md, "w") as f:
        f.write(text)


KEY_RATIOS = [r"^sum_\d+m_kernel$", r"^sum_\d+m_kernel_vs_grass$", r"^edt_kernel_vs_scipy$", r"_vs_dd$",
              r"^stage_deltas_write$", r"^stage_aggregate$", r"^stage_aggregate_outputs$",
              r"^sweep_k\d+_score$", r"^vs_1r1t_"]
KEY_TIMES = [r"^run_wall_", r"^synth_\w+_vs_dd$", r"^sweep_k\d+_total$", r"^sum_\d+m_cli$", r"^edt_cli$"]


def plot(rows, runs, png):
    """Per mode: the key ratios to their same-run baselines (left) and the key wall times (right)
    over the runs of the history."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    modes = sorted({r["mode"] for r in rows})
    fig, axes = plt.subplots(len(modes), 2, figsize=(15, 4.6 * len(modes)), squeeze=False)
    for row_axes, mode in zip(axes, modes):
        mruns = [x for x in runs if any(r["run_id"] == x and r["mode"] == mode for r in rows)]
        for ax, pats, field, ylabel in ((row_axes[0], KEY_RATIOS, "ratio", "ratio to the same-run baseline"),
                                        (row_axes[1], KEY_TIMES, "value", "seconds")):
            series = {}
            for r in rows:
                if r["mode"] != mode or r["kind"] in ("info", "check") or r.get(field) is None:
                    continue
                if any(re.search(p, r["metric"]) for p in pats):
                    series.setdefault(f"{r['scenario']}/{r['metric']}", {})[r["run_id"]] = r[field]
            for k in sorted(series):
                xs = [i for i, x in enumerate(mruns) if x in series[k]]
                ax.plot(xs, [series[k][mruns[i]] for i in xs], marker="o", label=k)
            ax.set_yscale("log")
            ax.set_xticks(range(len(mruns)))
            ax.set_xticklabels([x[:13] for x in mruns], rotation=30, ha="right", fontsize=7)
            ax.set_xlim(-0.5, max(len(mruns) - 0.5, 0.5))
            ax.set_ylabel(ylabel + " (lower is better)")
            ax.set_title(f"{mode} runs: {'ratios' if field == 'ratio' else 'times'}", fontsize=10)
            ax.grid(True, which="both", alpha=0.3)
            if series:
                ax.legend(fontsize=6, ncol=1, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.suptitle("leefbaar benchmark history (bench/history/results.csv)")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
    plt.close(fig)


# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="small scenarios (tiny/small presets, small grids, few members)")
    p.add_argument("--scenarios", default=",".join(SCENARIOS),
                   help=f"comma-separated subset of {','.join(SCENARIOS)} (also hdf5-write, aggregation = recompute)")
    p.add_argument("--out", help="output folder (default out/bench-<date>)")
    p.add_argument("--data", help="existing dataset for recompute/sweep/scaling (default: generate --preset in --out)")
    p.add_argument("--preset", help="synth preset of the generated dataset (default: small with --quick, else national)")
    p.add_argument("--synth-preset", help="preset of the synth scenario (default: tiny with --quick, else national)")
    p.add_argument("--binary", help="leefbaar binary (default build/release/leefbaar)")
    p.add_argument("--ranks", type=int, default=2, help="MPI ranks of the recompute, synth and sweep (default 2)")
    p.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="threads of the kernel scenario")
    p.add_argument("--reps", type=int, default=3, help="repetitions of the in-process timings (min is kept)")
    p.add_argument("--kernel-grid", help="NXxNY of the kernel scenario's grid (default 2800x3250, quick 560x650)")
    p.add_argument("--kernel-radii", help='radii in m of the kernel scenario (default "100 500 1000 5000", quick "100 500 1000")')
    p.add_argument("--sweep-ks", help='sweep sizes, e.g. "250 500" (default "8 16" quick, "100 250" full)')
    p.add_argument("--scaling-configs", default="1x1,2x1,4x1,1x2", help="RANKSxTHREADS list (default 1x1,2x1,4x1,1x2)")
    p.add_argument("--scaling-data", help="dataset folder (or a preset name: generated) of the scaling runs (default --data)")
    p.add_argument("--baseline", help="compare with this results.json / results.csv instead of the history")
    p.add_argument("--tolerance", type=float, default=0.25, help="regression margin (default 0.25 = 25%%)")
    p.add_argument("--min-seconds", type=float, default=0.05,
                   help="ignore time regressions smaller than this many seconds (default 0.05)")
    p.add_argument("--history", default=os.path.join(HERE, "history", "results.csv"),
                   help="history CSV to compare with and append to (default bench/history/results.csv)")
    p.add_argument("--no-history", action="store_true", help="neither append to nor summarise the history")
    p.add_argument("--results-md", default=os.path.join(HERE, "RESULTS.md"))
    p.add_argument("--compare-only", metavar="RESULTS_JSON",
                   help="run nothing: judge an earlier results.json against --baseline (or the history)")
    p.add_argument("--summarize-only", action="store_true", help="only regenerate the history table and plot")
    p.add_argument("--keep", action="store_true", help="keep the run outputs in OUT/work")
    a = p.parse_args(argv)
    a.scenarios = [GROUP.get(s.strip(), s.strip()) for s in a.scenarios.split(",") if s.strip()]
    bad = [s for s in a.scenarios if s not in SCENARIOS]
    if bad:
        p.error(f"unknown scenario(s) {', '.join(bad)}; known: {', '.join(SCENARIOS)}, hdf5-write, aggregation")
    try:
        a.scaling = [tuple(int(x) for x in c.lower().split("x")) for c in a.scaling_configs.split(",") if c]
    except ValueError:
        p.error("--scaling-configs wants RANKSxTHREADS,...")
    a.preset = a.preset or ("small" if a.quick else "national")
    return a


def main(argv):
    args = parse_args(argv)
    png = os.path.join(os.path.dirname(os.path.abspath(args.history)), "history.png")
    if args.summarize_only:
        summarize(args.history, args.results_md, png)
        print(f"pipeline: updated {args.results_md} and {png}")
        return 0
    binary = os.path.abspath(args.binary or os.path.join(ROOT, "build", "release", "leefbaar"))
    if not os.access(binary, os.X_OK):
        print(f"pipeline: no leefbaar binary at {binary} (build first or pass --binary)", file=sys.stderr)
        return 2
    build_dir = os.path.dirname(binary)
    failures = []
    if args.compare_only:
        j = json.load(open(args.compare_only))
        meta, records = j["meta"], j["records"]
        out = os.path.dirname(os.path.abspath(args.compare_only))
    else:
        out = os.path.abspath(args.out or os.path.join(ROOT, "out", "bench-" + time.strftime("%Y%m%d-%H%M%S")))
        os.makedirs(out, exist_ok=True)
        meta = metadata(args, binary)
        print(f"pipeline: {meta['mode']} run {meta['run_id']} into {out}; load before {meta['load_before']}", flush=True)
        records, failures = run_scenarios(args, binary, build_dir, out, meta)
        meta["load_after"] = loadavg()
        records = [finish_record(r, meta["cores"]) for r in records]
    if args.baseline:
        ref_rows = load_rows(args.baseline)
    elif not args.no_history:
        ref_rows = history_reference(args.history, meta)
    else:
        ref_rows = []
    regs = regressions(records, meta, ref_rows, args.tolerance, args.min_seconds)
    if not args.compare_only:
        write_outputs(out, meta, records, regs)
        if not args.no_history:
            append_history(args.history, meta, records)
            summarize(args.history, args.results_md, png)
    nreg, nfail = print_table(records, regs, args.tolerance)
    print(f"pipeline: results in {out}/results.json and results.csv" +
          ("" if args.no_history or args.compare_only else f"; history {args.history}; summary {args.results_md}"))
    print(f"pipeline: load before {meta['load_before']}, after {meta['load_after']}")
    if failures:
        print(f"pipeline: FAILED scenario scripts: {', '.join(failures)}")
        return 1
    if nreg or nfail:
        print("pipeline: REGRESSION" if nreg else "pipeline: CORRECTNESS CHECK FAILED")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
