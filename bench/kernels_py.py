#!/usr/bin/python3
"""Helpers for bench/kernels.sh (run with /usr/bin/python3: it has NumPy, SciPy and GDAL).

  gen OUTDIR [NX NY]            realistic 2,800 x 3,250 (or NX x NY) Int32 grid (grid.tif) + EDT features (features.tif)
  memcpy NBYTES REPS            best time of a NumPy copy of NBYTES bytes
  compare_int A.tif B.tif       cells whose values differ (nodata equal to nodata), as integers
  edt FEATURES.tif LEEFBAAR.tif REPS   SciPy distance_transform_edt time and mismatches vs leefbaar
  proximity FEATURES.tif EXACT.tif OUT.tif   gdal_proximity.py time and its error vs the exact EDT
"""
import subprocess
import sys
import time

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
NX, NY, CELL, X0, Y1 = 2800, 3250, 100.0, 0.0, 625000.0
NODATA = -2147483648


def write(path, arr, nodata=None):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, arr.shape[1], arr.shape[0], 1, gdal.GDT_Int32, ["TILED=YES", "COMPRESS=DEFLATE"])
    ds.SetGeoTransform((X0, CELL, 0, Y1, 0, -CELL))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(28992)
    ds.SetProjection(srs.ExportToWkt())
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    b.WriteArray(arr)
    ds = None


def read(path):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    return b.ReadAsArray(), b.GetNoDataValue()


def gen(outdir, nx=None, ny=None):
    """Clustered counts: ~600 towns (log-normal sizes, Gaussian footprints) plus sparse rural
    cells, Poisson counts (most cells 0), and a 'sea' of nodata in the north-west. A smaller
    NX x NY grid (bench/pipeline.py --quick) keeps the town density and the sea's share."""
    global NX, NY
    full = NX
    NX, NY = int(nx or NX), int(ny or NY)
    towns = max(1, round(600 * NX * NY / (2800 * 3250)))
    rng = np.random.default_rng(2018)
    y, x = np.mgrid[0:NY, 0:NX].astype(np.float32)
    dens = np.zeros((NY, NX), np.float32)
    for _ in range(towns):
        cx, cy = rng.uniform(0, NX), rng.uniform(0, NY)
        size = rng.lognormal(3.0, 1.0)  # peak persons per cell
        s = rng.uniform(3, 25)  # footprint in cells
        r = int(4 * s)
        x0, x1 = max(0, int(cx) - r), min(NX, int(cx) + r)
        y0, y1 = max(0, int(cy) - r), min(NY, int(cy) + r)
        dens[y0:y1, x0:x1] += size * np.exp(-((x[y0:y1, x0:x1] - cx) ** 2 + (y[y0:y1, x0:x1] - cy) ** 2) / (2 * s * s))
    dens += (rng.uniform(0, 1, (NY, NX)) < 0.03) * rng.uniform(1, 20, (NY, NX)).astype(np.float32)
    counts = rng.poisson(dens).astype(np.int32)
    counts[counts < 5] = 0  # privacy rounding as in CBS grids: many zeros
    sea = (x + 0.8 * y) < 900 * NX / full  # north-west corner
    counts[sea] = NODATA
    write(f"{outdir}/grid.tif", counts, NODATA)
    valid = counts[~sea]
    print(f"grid.tif: zeros {np.mean(valid == 0):.1%} of valid cells, nodata {np.mean(sea):.1%}, max {valid.max()}")
    feat = (counts >= np.percentile(valid, 99.0)).astype(np.int32)  # ~1% feature cells, no nodata
    write(f"{outdir}/features.tif", feat)
    print(f"features.tif: {feat.mean():.2%} feature cells")


def memcpy(nbytes, reps):
    src = np.ones(nbytes, np.uint8)
    dst = np.zeros_like(src)
    best = 1e300
    for _ in range(reps):
        t = time.perf_counter()
        np.copyto(dst, src)
        best = min(best, time.perf_counter() - t)
    print(f"numpy_memcpy_s {best:.6f}")


def compare_int(a_path, b_path):
    a, na = read(a_path)
    b, nb = read(b_path)
    am = np.isnan(a) if a.dtype.kind == "f" else (a == na if na is not None else np.zeros(a.shape, bool))
    bm = np.isnan(b) if b.dtype.kind == "f" else (b == nb if nb is not None else np.zeros(b.shape, bool))
    if na is not None and a.dtype.kind == "f":
        am |= a == na
    if nb is not None and b.dtype.kind == "f":
        bm |= b == nb
    diff = (am != bm) | (~am & ~bm & (np.rint(a.astype(np.float64)) != np.rint(b.astype(np.float64))))
    print(f"mismatches {int(diff.sum())} of {a.size} (nodata {int(am.sum())} / {int(bm.sum())})")


def edt(feat_path, ours_path, reps):
    from scipy import ndimage
    feat, _ = read(feat_path)
    ours, _ = read(ours_path)
    best = best_cpu = 1e300
    for _ in range(reps):
        t = time.perf_counter()
        c = time.process_time()
        d = ndimage.distance_transform_edt(feat == 0, sampling=CELL)
        best = min(best, time.perf_counter() - t)
        best_cpu = min(best_cpu, time.process_time() - c)
    bad = int(np.sum(np.abs(d - ours) > 1e-6))
    bits = int(np.sum(d != ours))
    print(f"scipy_edt_s {best:.6f}")
    print(f"scipy_edt_cpu_s {best_cpu:.6f}")
    print(f"scipy_mismatches {bad} (|diff| > 1e-6 m; bitwise-different {bits}; max |diff| {np.max(np.abs(d - ours)):.3g} m)")


def proximity(feat_path, exact_path, out_path):
    t = time.perf_counter()
    subprocess.run(["/usr/bin/python3", "/usr/bin/gdal_proximity.py", "-q", feat_path, out_path,
                    "-values", "1", "-distunits", "GEO", "-ot", "Float64"], check=True)
    secs = time.perf_counter() - t
    p, _ = read(out_path)
    exact, _ = read(exact_path)
    err = np.abs(p - exact)
    print(f"gdal_proximity_s {secs:.6f}")
    print(f"gdal_proximity_error cells off by > 1 cm: {int(np.sum(err > 0.01))} ({np.mean(err > 0.01):.2%}), "
          f"max error {err.max():.1f} m, mean {err.mean():.4f} m")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "gen":
        gen(*args[:3])
    elif cmd == "memcpy":
        memcpy(int(args[0]), int(args[1]))
    elif cmd == "compare_int":
        compare_int(args[0], args[1])
    elif cmd == "edt":
        edt(args[0], args[1], int(args[2]))
    elif cmd == "proximity":
        proximity(args[0], args[1], args[2])
    else:
        sys.exit(f"unknown command {cmd}")
