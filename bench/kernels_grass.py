#!/usr/bin/python3
"""Run inside `grass --tmp-location EPSG:28992 --exec /usr/bin/python3 kernels_grass.py GRID.tif OUTDIR NPROCS R...`:
times r.neighbors -c method=sum per radius (size = 2*floor(r/cell)+1, the cell-centre circle) and
exports each result as OUTDIR/grass_sum_<r>.tif (Float64, NULL -> NaN) for the cell-by-cell check."""
import sys
import time

import grass.script as gs

grid, outdir, nprocs = sys.argv[1], sys.argv[2], int(sys.argv[3])
radii = [float(r) for r in sys.argv[4:]]
gs.run_command("r.external", input=grid, output="grid", quiet=True, overwrite=True)
gs.run_command("g.region", raster="grid", quiet=True)
cell = float(gs.region()["nsres"])
for r in radii:
    size = 2 * int(r // cell) + 1
    t = time.perf_counter()
    gs.run_command("r.neighbors", flags="c", input="grid", output="s", method="sum", size=size,
                   nprocs=nprocs, quiet=True, overwrite=True)
    secs = time.perf_counter() - t
    print(f"grass_sum_{r:g}_s {secs:.6f} size={size}", flush=True)
    gs.run_command("r.out.gdal", input="s", output=f"{outdir}/grass_sum_{r:g}.tif", format="GTiff",
                   type="Float64", flags="f", quiet=True, overwrite=True)
