#!/usr/bin/python3
"""One benchmark measurement as one JSON line (the machine-readable output of the bench/*.sh
scripts, collected by bench/pipeline.py).

  record.py --scenario S --metric M --value V --unit U [--baseline-name N --baseline-value B]
            [--ratio R] [--goal 'ratio<=3'] [--kind time|ratio|check|info] [--ranks N]
            [--threads T] [--reps K] [--note TEXT]

Appends the record to the file named by $BENCH_JSONL and does nothing when it is unset, so the
scripts still run on their own. A record's ratio is value / baseline value (computed when not
given); every compared figure is "lower is better". kind=check records are correctness checks:
value is the number of mismatches and the check passes when it is 0 (or the goal holds).
Goals: 'ratio<=X', 'value<=X', 'value==X' (met is filled in by the pipeline).
"""
import argparse
import json
import os
import sys


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", required=True)
    p.add_argument("--metric", required=True)
    p.add_argument("--value", required=True)
    p.add_argument("--unit", default="s")
    p.add_argument("--baseline-name", default="")
    p.add_argument("--baseline-value", default="")
    p.add_argument("--ratio", default="")
    p.add_argument("--goal", default="")
    p.add_argument("--kind", default="time", choices=["time", "ratio", "check", "info"])
    p.add_argument("--ranks", default="")
    p.add_argument("--threads", default="")
    p.add_argument("--reps", default="1")
    p.add_argument("--note", default="")
    a = p.parse_args(argv)
    path = os.environ.get("BENCH_JSONL")
    if not path:
        return 0

    def num(s):
        if s in ("", None, "-"):
            return None
        try:
            return float(s)
        except ValueError:
            return None

    rec = {
        "scenario": a.scenario,
        "metric": a.metric,
        "value": num(a.value),
        "unit": a.unit,
        "baseline_name": a.baseline_name,
        "baseline_value": num(a.baseline_value),
        "ratio": num(a.ratio),
        "goal": a.goal,
        "kind": a.kind,
        "ranks": int(a.ranks) if a.ranks else None,
        "threads": int(a.threads) if a.threads else None,
        "reps": int(a.reps) if a.reps else 1,
        "note": a.note,
    }
    if rec["value"] is None and a.kind != "info":
        print(f"record.py: {a.scenario}/{a.metric}: value '{a.value}' is not a number (recorded as missing)",
              file=sys.stderr)
    if rec["ratio"] is None and rec["value"] is not None and rec["baseline_value"]:
        rec["ratio"] = rec["value"] / rec["baseline_value"]
    with open(path, "a") as f:
        f.write(json.dumps(rec, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
