#!/usr/bin/env bash
# Alternating A/B runs of two bench_kernels binaries (e.g. this build and a build of an earlier
# commit) on the same grid, so that both see the same machine load: ROUNDS rounds, each running
# A then B at every thread count in THREADS_LIST, best of REPS inside each run. Prints, per
# radius and thread count, the best and median over the rounds of the circular sum (`sum_*`, the
# BlockInputs path of `leefbaar focal`), its CPU time, and the memcpy floor measured in the same
# process, with the load average before every round.
# Usage: bench/kernels_ab.sh A_BENCH_KERNELS B_BENCH_KERNELS GRID.tif FEATURES.tif
#        (env: ROUNDS=3 REPS=5 THREADS_LIST="2 1" RADII="100 500 1000 5000" OUT=dir)
set -euo pipefail
a=$1 b=$2 grid=$3 feat=$4
rounds=${ROUNDS:-3}
reps=${REPS:-5}
read -r -a threads_list <<< "${THREADS_LIST:-2 1}"
read -r -a radii <<< "${RADII:-100 500 1000 5000}"
out=${OUT:-$(mktemp -d /tmp/leefbaar-kab.XXXXXX)}
mkdir -p "$out"
for ((i = 1; i <= rounds; ++i)); do
  echo "round $i load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  for t in "${threads_list[@]}"; do
    for side in a b; do
      bin=$a; [[ $side == b ]] && bin=$b
      BENCH_SKIP_EXTRA=1 OMP_NUM_THREADS=$t "$bin" "$grid" "$feat" "$reps" "${radii[@]}" \
        > "$out/${side}_t${t}_r$i.txt"
    done
  done
done
# best and median over rounds of one key in the files of one side and thread count
stat() {
  for f in "$out/${1}_t${2}_r"*.txt; do awk -v k="$3" '$1 == k { print $2 }' "$f"; done | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) { print "- -"; exit } m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f %.4f\n", v[1], m }'
}
echo "| threads | radius | A s (best / median) | A CPU s | B s (best / median) | B CPU s | B / A (best) | A / memcpy (best) | A CPU / memcpy CPU | B / memcpy (best) |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for t in "${threads_list[@]}"; do
  read -r ma _ < <(stat a "$t" memcpy_s); read -r mac _ < <(stat a "$t" memcpy_cpu_s)
  read -r mb _ < <(stat b "$t" memcpy_s)
  for r in "${radii[@]}"; do
    read -r sa sam < <(stat a "$t" "sum_${r}_s"); read -r ca _ < <(stat a "$t" "sum_${r}_cpu_s")
    read -r sb sbm < <(stat b "$t" "sum_${r}_s"); read -r cb _ < <(stat b "$t" "sum_${r}_cpu_s")
    awk -v t="$t" -v r="$r" -v sa="$sa" -v sam="$sam" -v ca="$ca" -v sb="$sb" -v sbm="$sbm" -v cb="$cb" \
      -v ma="$ma" -v mac="$mac" -v mb="$mb" 'BEGIN {
        printf "| %s | %s m | %.4f / %.4f | %.4f | %.4f / %.4f | %.4f | %.2fx | %.1fx | %.1fx | %.1fx |\n",
          t, r, sa, sam, ca, sb, sbm, cb, sb / sa, sa / ma, ca / mac, sb / mb }'
  done
done
echo
echo "memcpy floor (best over rounds, in A's process): $(stat a "${threads_list[0]}" memcpy_s | cut -d' ' -f1) s wall, $(stat a "${threads_list[0]}" memcpy_cpu_s | cut -d' ' -f1) s CPU; in B's: $(stat b "${threads_list[0]}" memcpy_s | cut -d' ' -f1) s. Raw outputs in $out."
grep -h MISMATCH "$out"/*.txt || echo "No MISMATCH lines in any run."
