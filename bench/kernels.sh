#!/usr/bin/env bash
# Kernel benchmarks for `leefbaar focal` (never part of ctest). On a generated 2,800 x 3,250 Int32
# grid of clustered counts, in one run:
#   - circular sum at 100 m, 500 m, 1 km, 5 km: the CLI (wall time, read+kernel+write) and the
#     kernel alone (bench_kernels), against GRASS r.neighbors -c method=sum with the same thread
#     count, with a cell-by-cell check that the outputs are identical;
#   - the same passes against a plain memcpy of the input+output bytes (C++ and NumPy);
#   - the exact EDT against SciPy ndimage.distance_transform_edt and gdal_proximity.py;
#   - the previous stored-prefix circular sum and the per-cell R-tree point kernels as same-run
#     baselines of the current kernels (compared bit for bit), and the demo model's decay kernels;
#   - OpenMP scaling 1 -> THREADS threads of the kernels.
# Usage: bench/kernels.sh            (env: BUILD_DIR=build, WORK_DIR=tmp dir, THREADS=nproc, REPS=3,
#                                     NX=2800 NY=3250 grid size, RADII="100 500 1000 5000",
#                                     BENCH_JSONL=file: also append one JSON record per figure,
#                                     see bench/record.py; bench/pipeline.py sets it)
# Writes the Markdown tables to $WORK_DIR/kernels.md and stdout. Peers that are missing are skipped
# with a line saying so.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${BUILD_DIR:-$root/build}
work=${WORK_DIR:-$(mktemp -d /tmp/leefbaar-kbench.XXXXXX)}
threads=${THREADS:-$(nproc)}
reps=${REPS:-3}
read -r -a radii <<< "${RADII:-100 500 1000 5000}"
nx=${NX:-2800}; ny=${NY:-3250}
PY=/usr/bin/python3  # the first python3 on PATH may lack SciPy and GDAL
mkdir -p "$work"
log() { echo "kernels.sh: $*" >&2; }
emit() { [[ -z ${BENCH_JSONL:-} ]] || $PY "$here/record.py" --scenario kernels --ranks 1 "$@"; }  # one process

[[ -n ${LEEFBAAR_BOOTSTRAPPED:-} ]] || "$root/scripts/bootstrap.sh" --bench || log "scripts/bootstrap.sh --bench failed; using what is installed"
have_grass=1; command -v grass >/dev/null || { have_grass=0; log "GRASS (grass-core) missing: skipping the r.neighbors comparison"; }
have_scipy=1; $PY -c "import scipy.ndimage" 2>/dev/null || { have_scipy=0; log "SciPy (python3-scipy) missing: skipping the EDT comparison"; }
have_prox=1; [[ -x /usr/bin/gdal_proximity.py ]] && $PY -c "from osgeo import gdal" 2>/dev/null || { have_prox=0; log "gdal_proximity.py (python3-gdal) missing: skipping it"; }
$PY -c "import numpy; from osgeo import gdal" 2>/dev/null || { log "NumPy/GDAL Python bindings missing: cannot generate the grid"; exit 1; }

if [[ ${SKIP_BUILD:-0} != 1 ]]; then  # bench/pipeline.py sets SKIP_BUILD=1 when both binaries exist
  if [[ ! -f "$build/CMakeCache.txt" ]]; then cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null; fi
  cmake --build "$build" -j2 --target leefbaar bench_kernels >/dev/null || { log "build failed"; exit 1; }
fi
LF="$build/leefbaar"; BK="$build/bench_kernels"

log "generating the grid in $work"
$PY "$here/kernels_py.py" gen "$work" "$nx" "$ny" >&2
cells=$((nx * ny))
declare -A V
now() { date +%s.%N; }
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

# Kernels alone, 1 and THREADS threads (includes the in-process memcpy floor).
for t in 1 "$threads"; do
  OMP_NUM_THREADS=$t "$BK" "$work/grid.tif" "$work/features.tif" "$reps" "${radii[@]}" > "$work/bk_$t.txt"
done
$PY "$here/kernels_py.py" memcpy $((cells * 8)) "$reps" > "$work/np_memcpy.txt"
V[memcpy]=$(val memcpy_s "$work/bk_$threads.txt"); V[npmemcpy]=$(val numpy_memcpy_s "$work/np_memcpy.txt")

# The CLI, THREADS threads, one rank.
for r in "${radii[@]}"; do
  t0=$(now)
  OMP_NUM_THREADS=$threads "$LF" focal --op sum --radius "$r" "$work/grid.tif" "$work/lf_sum_$r.tif" 2> "$work/lf_sum_$r.log"
  V[cli_$r]=$(echo "$(now) - $t0" | bc)
done
t0=$(now)
OMP_NUM_THREADS=$threads "$LF" focal --op distance "$work/features.tif" "$work/lf_edt.tif" 2> "$work/lf_edt.log"
V[cli_edt]=$(echo "$(now) - $t0" | bc)

# GRASS r.neighbors with the same thread count.
if (( have_grass )); then
  grass --tmp-location EPSG:28992 --exec $PY "$here/kernels_grass.py" "$work/grid.tif" "$work" "$threads" "${radii[@]}" \
    > "$work/grass.txt" 2> "$work/grass.log" || log "GRASS run failed, see $work/grass.log"
  for r in "${radii[@]}"; do
    V[grass_$r]=$(val "grass_sum_${r}_s" "$work/grass.txt")
    if [[ -f "$work/grass_sum_$r.tif" ]]; then
      V[mis_$r]=$($PY "$here/kernels_py.py" compare_int "$work/lf_sum_$r.tif" "$work/grass_sum_$r.tif" | awk '{print $2}')
    fi
  done
fi
if (( have_scipy )); then $PY "$here/kernels_py.py" edt "$work/features.tif" "$work/lf_edt.tif" "$reps" > "$work/scipy.txt"; fi
if (( have_prox )); then $PY "$here/kernels_py.py" proximity "$work/features.tif" "$work/lf_edt.tif" "$work/prox.tif" > "$work/prox.txt"; fi

r2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.1f", a / b }'; }
f3() { awk -v a="$1" 'BEGIN { if (a == "") print "-"; else printf "%.3f", a }'; }
{
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (shared machine)."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(date -u +%Y-%m-%d); grid $nx x $ny Int32; ${threads} threads; best of ${reps} (kernel, memcpy, SciPy), one run (CLI, GRASS)."
  echo
  echo "Circular sum (Int32 in, Int32 out; memcpy floor = copy of input+output bytes, $(f3 "${V[memcpy]}") s C++ / $(f3 "${V[npmemcpy]}") s NumPy):"
  echo
  echo "| radius | leefbaar CLI s | kernel s | kernel / memcpy | previous kernel (stored prefix) s | previous / kernel | prefix set-up s | chord pass s | chords / memcpy | GRASS r.neighbors s | GRASS / CLI | GRASS / kernel | cells differing from GRASS |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for r in "${radii[@]}"; do
    k=$(val "sum_${r}_s" "$work/bk_$threads.txt"); p=$(val "prefix_${r}_s" "$work/bk_$threads.txt"); c=$(val "chords_${r}_s" "$work/bk_$threads.txt")
    o=$(val "stored_sum_${r}_s" "$work/bk_$threads.txt")
    echo "| $r m | $(f3 "${V[cli_$r]}") | $(f3 "$k") | $(r2 "$k" "${V[memcpy]}")x | $(f3 "$o") | $(r2 "$o" "$k")x | $(f3 "$p") | $(f3 "$c") | $(r2 "$c" "${V[memcpy]}")x | $(f3 "${V[grass_$r]:-}") | $(r2 "${V[grass_$r]:-}" "${V[cli_$r]}")x | $(r2 "${V[grass_$r]:-}" "$k")x | ${V[mis_$r]:-not run} |"
  done
  echo
  grep -h MISMATCH "$work"/bk_*.txt || echo "Streaming and stored-prefix sums identical at every radius, and row-blocked equal to one-row-at-a-time chords (bench_kernels compares them)."
  echo
  echo "Same-run baselines of the current changes, and CPU time (process CPU seconds of all threads; on this shared, often oversubscribed machine wall time also measures the other jobs; memcpy is one thread, so CPU ratios compare total work):"
  echo
  echo "| radius | kernel (Int32 out) s | kernel CPU s | kernel CPU / memcpy CPU | no square decomposition s | no square / kernel | scanned bound, no square (previous algorithm) s | previous / kernel | previous CPU / kernel CPU | int64 sums + conversion s | chords 4 rows CPU s | chords one row CPU s |"
  echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  b="$work/bk_$threads.txt"
  for r in "${radii[@]}"; do
    k=$(val "kernel_i32_${r}_s" "$b"); kc=$(val "kernel_i32_${r}_cpu_s" "$b")
    ns=$(val "kernel_i32_nosquare_${r}_s" "$b"); pv=$(val "kernel_i32_scan_nosquare_${r}_s" "$b"); pc=$(val "kernel_i32_scan_nosquare_${r}_cpu_s" "$b")
    o=$(val "sum_via_int64_${r}_s" "$b"); cc=$(val "chords_rows4_${r}_cpu_s" "$b"); cc1=$(val "chords_rows1_${r}_cpu_s" "$b")
    echo "| $r m | $(f3 "$k") | $(f3 "$kc") | $(r2 "$kc" "$(val memcpy_cpu_s "$b")")x | $(f3 "$ns") | $(r2 "$ns" "$k")x | $(f3 "$pv") | $(r2 "$pv" "$k")x | $(r2 "$pc" "$kc")x | $(f3 "$o") | $(f3 "$cc") | $(f3 "$cc1") |"
  done
  echo
  echo "Exact EDT (distance to the nearest of $( $PY -c "from osgeo import gdal; import numpy as n; print(int(n.sum(gdal.Open('$work/features.tif').ReadAsArray())))" ) feature cells, uncapped):"
  echo
  k=$(val edt_s "$work/bk_$threads.txt"); s=$(val scipy_edt_s "$work/scipy.txt" 2>/dev/null); p=$(val gdal_proximity_s "$work/prox.txt" 2>/dev/null)
  echo "| tool | time s | time / leefbaar kernel | result vs exact |"
  echo "| --- | ---: | ---: | --- |"
  echo "| leefbaar EDT kernel | $(f3 "$k") | 1.0x | exact (reference) |"
  echo "| leefbaar focal --op distance (CLI) | $(f3 "${V[cli_edt]}") | $(r2 "${V[cli_edt]}" "$k")x | |"
  echo "| SciPy distance_transform_edt | $(f3 "$s") | $(r2 "$s" "$k")x | $(grep -s scipy_mismatches "$work/scipy.txt" | cut -d' ' -f2-) |"
  echo "| CPU time: leefbaar EDT kernel / SciPy | $(f3 "$(val edt_cpu_s "$work/bk_$threads.txt")") / $(f3 "$(val scipy_edt_cpu_s "$work/scipy.txt" 2>/dev/null)") | $(r2 "$(val scipy_edt_cpu_s "$work/scipy.txt" 2>/dev/null)" "$(val edt_cpu_s "$work/bk_$threads.txt")")x | (process CPU seconds, all threads) |"
  echo "| gdal_proximity.py | $(f3 "$p") | $(r2 "$p" "$k")x | $(grep -s gdal_proximity_error "$work/prox.txt" | cut -d' ' -f2-) |"
  echo
  echo "Point kernels ($(val points "$work/bk_$threads.txt") points at every 40th feature cell; block-candidate kernel vs the per-cell R-tree reference, same run):"
  echo
  echo "| kernel | block-candidate s | per-cell R-tree s | R-tree / new | cells differing |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  for key in point_nearest point_kth2 point_count1000; do
    a=$(val "${key}_s" "$work/bk_$threads.txt"); b=$(val "${key}_rtree_s" "$work/bk_$threads.txt")
    echo "| ${key#point_} | $(f3 "$a") | $(f3 "$b") | $(r2 "$b" "$a")x | $(val "${key}_mismatches" "$work/bk_$threads.txt") |"
  done
  echo
  echo "Decay kernels (Int32 grid, halo = support): gaussian sigma 2000 m $(f3 "$(val decay_gaussian2000_s "$work/bk_$threads.txt")") s ($(r2 "$(val decay_gaussian2000_s "$work/bk_$threads.txt")" "${V[memcpy]}")x memcpy), exponential length 500 m cutoff 2000 m $(f3 "$(val decay_exponential500_2000_s "$work/bk_$threads.txt")") s ($(r2 "$(val decay_exponential500_2000_s "$work/bk_$threads.txt")" "${V[memcpy]}")x memcpy)."
  echo
  echo "OpenMP scaling (kernels alone, in-process):"
  echo
  echo "| pass | 1 thread s | $threads threads s | speed-up |"
  echo "| --- | ---: | ---: | ---: |"
  for key in $(awk '$1 ~ /_s$/ { print $1 }' "$work/bk_1.txt"); do
    a=$(val "$key" "$work/bk_1.txt"); b=$(val "$key" "$work/bk_$threads.txt")
    echo "| ${key%_s} | $(f3 "$a") | $(f3 "$b") | $(r2 "$a" "$b")x |"
  done
} | tee "$work/kernels.md"

# Machine-readable records (bench/record.py): every time with its baseline, and the checks.
if [[ -n ${BENCH_JSONL:-} ]]; then
  mc=${V[memcpy]}
  emit --metric memcpy_floor --value "$mc" --unit s --kind info --threads "$threads" --reps "$reps" \
    --note "C++ memcpy of the Int32 input+output bytes, grid ${nx}x${ny}"
  for r in "${radii[@]}"; do
    k=$(val "sum_${r}_s" "$work/bk_$threads.txt")
    emit --metric "sum_${r}m_kernel" --value "$k" --baseline-name memcpy --baseline-value "$mc" \
      --goal "$( ((r <= 500)) && echo 'ratio<=3' || { ((r >= 5000)) && echo 'ratio<=10'; } )" --threads "$threads" --reps "$reps"
    emit --metric "sum_${r}m_cli" --value "${V[cli_$r]}" --baseline-name "grass_r.neighbors" \
      --baseline-value "${V[grass_$r]:-}" --threads "$threads"
    if [[ -n ${V[grass_$r]:-} ]]; then
      emit --metric "sum_${r}m_kernel_vs_grass" --value "$k" --baseline-name "grass_r.neighbors" \
        --baseline-value "${V[grass_$r]}" --threads "$threads" --reps "$reps"
    fi
    emit --metric "sum_${r}m_cells_differing_from_grass" --kind check --unit cells \
      --value "${V[mis_$r]:-}" --goal 'value==0' --note "$( [[ -n ${V[mis_$r]:-} ]] || echo 'GRASS not run' )"
  done
  k=$(val edt_s "$work/bk_$threads.txt")
  s=$(val scipy_edt_s "$work/scipy.txt" 2>/dev/null)
  emit --metric edt_kernel_vs_scipy --value "$k" --baseline-name scipy.ndimage.distance_transform_edt \
    --baseline-value "$s" --goal 'ratio<=0.1' --threads "$threads" --reps "$reps"
  emit --metric edt_cli --value "${V[cli_edt]}" --baseline-name edt_kernel --baseline-value "$k" --threads "$threads"
  emit --metric edt_cells_differing_from_scipy --kind check --unit cells --goal 'value==0' \
    --value "$(grep -s scipy_mismatches "$work/scipy.txt" | awk '{print $2}')" \
    --note "$(grep -s scipy_mismatches "$work/scipy.txt" | cut -d' ' -f3-)"
  p=$(val gdal_proximity_s "$work/prox.txt" 2>/dev/null)
  [[ -z $p ]] || emit --metric edt_kernel_vs_gdal_proximity --value "$k" --baseline-name gdal_proximity.py \
    --baseline-value "$p" --threads "$threads"
  for key in $(awk '$1 ~ /_s$/ && $1 != "memcpy_s" { print $1 }' "$work/bk_1.txt"); do
    a=$(val "$key" "$work/bk_1.txt"); b=$(val "$key" "$work/bk_$threads.txt")
    emit --metric "omp_${key%_s}_${threads}t" --value "$b" --baseline-name "${key%_s}_1t" --baseline-value "$a" \
      --kind ratio --threads "$threads" --reps "$reps" --note "time at $threads threads / time at 1 thread"
  done
fi
log "outputs and logs in $work"
