#!/usr/bin/env python3
"""Rank 0's CPU seconds of a sweep, by phase, from timing.json (sections_cpu_rank0).

    bench/sweep_cpu.py DIR...   each DIR a bench/sweep.sh WORK folder (sweep<K>/timing.json)

Total = the top-level sections (write/summaries includes its sub-sections; the rank
correlation counts separately when it ran outside write/summaries, as in this branch).
"""
import glob
import json
import os
import sys

for d in sys.argv[1:]:
    for f in sorted(glob.glob(os.path.join(d, "sweep*", "timing.json")),
                    key=lambda p: int(os.path.basename(os.path.dirname(p))[5:] or 0)):
        t = json.load(open(f))
        c = t["sections_cpu_rank0"]
        top = sum(v for k, v in c.items() if not k.startswith("write/summaries/"))
        rc = c.get("write/summaries/rank correlation", 0.0)
        # Outside write/summaries when write/summaries is smaller than its sub-sections' sum.
        subs = sum(v for k, v in c.items() if k.startswith("write/summaries/"))
        if c.get("write/summaries", 0.0) + 1e-9 < subs:
            top += rc
        rd = sum(v for k, v in c.items() if k.startswith("read/"))
        kern, mrow = c.get("score/kernel", 0.0), c.get("score/member_row", 0.0)
        print(f"{d} K={t['members']}: rank 0 CPU total {top:.2f} read {rd:.2f} kernel {kern:.2f} "
              f"member_row {mrow:.2f} write {top - rd - kern - mrow:.2f}")
