#!/usr/bin/python3
"""Proposes the eight class limits of a model from a finished run: the resident-weighted
quantiles of the deviation score of one year (default: the model's reference year).

The demo model's limits (configs/models/lbm-demo.toml [classes]) were set this way on the
synthetic Netherlands, so that the shares of residents per class in the reference year match
the 2018 analysis (about 4% in classes 1-3, 81% in class 6 or better). Re-run it when the
generator changes, and paste the printed list into the model.

Usage: calibrate_classes.py RUN_DIR [--year Y] [--shares 0.5,1.5,4.1,10,19,45,75,93]
Needs python3-h5py and python3-numpy (Debian), hence /usr/bin/python3.
"""
import argparse
import sys

import h5py
import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir")
    ap.add_argument("--year", type=int)
    ap.add_argument("--shares", default="0.5,1.5,4.1,10,19,45,75,93",
                    help="cumulative resident shares (percent) below each limit")
    a = ap.parse_args()
    path = f"{a.run_dir}/leefbaar.h5"
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        sys.exit(f"calibrate_classes: cannot open {path}: {e}")
    years = sorted(int(y) for y in f["matrix"].keys())
    year = a.year if a.year is not None else years[len(years) // 2]
    if str(year) not in f["matrix"]:
        sys.exit(f"calibrate_classes: {path} has no /matrix/{year} (years: {years})")
    g = f["matrix"][str(year)]
    dev = g["deviation_fixed"][:, 0].astype(np.float64) / 2.0**32
    res = g["residents"][:, 0].astype(np.float64)
    order = np.argsort(dev, kind="stable")
    cum = np.cumsum(res[order]) / res.sum()
    shares = [float(s) / 100 for s in a.shares.split(",")]
    limits = []
    for s in shares:
        i = int(np.searchsorted(cum, s))
        limits.append(round(float(dev[order][min(i, len(order) - 1)]), 3))
    print(f"# resident-weighted quantiles of the {year} deviation at {a.shares} %")
    print("limits = [" + ", ".join(f"{v:g}" for v in limits) + "]")


if __name__ == "__main__":
    main()
