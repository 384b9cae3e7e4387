#!/usr/bin/env bash
# Plots a `vtpool bench --csv FILE` sweep: frames per second against worker
# count, for vtpool and (when measured) the single multi-threaded encoder.
#   scripts/plot-bench.sh bench.csv [bench.png]
# Needs gnuplot (Debian: apt-get install gnuplot-nox).
set -euo pipefail
csv=${1:?usage: plot-bench.sh BENCH.csv [OUT.png]}
png=${2:-${csv%.csv}.png}
command -v gnuplot >/dev/null || { echo "plot-bench.sh: gnuplot is not installed (apt-get install gnuplot-nox)" >&2; exit 1; }
baseline=$(awk -F, 'NR > 1 && $11 > 0 { print "yes"; exit }' "$csv")
one=$(awk -F, 'NR == 2 { print $2 / $1; exit }' "$csv")   # one worker's rate
gnuplot <<GP
set terminal pngcairo size 900,560 enhanced font "sans,11"
set output "$png"
set datafile separator ","
set key left top
set grid
set xlabel "workers (threads)"
set ylabel "frames per second"
set title "vtpool bench: throughput against cores"
set xtics 1
one = $one
plot "$csv" using 1:2 skip 1 with linespoints lw 2 pt 7 title "vtpool", \
     "$csv" using 1:(one*\$1) skip 1 with lines dt 2 lc rgb "gray" title "ideal (N x one worker)" \
     $( [ "$baseline" = yes ] && echo ', "'"$csv"'" using 1:11 skip 1 with linespoints lw 2 pt 5 title "single encoder, N threads"' )
GP
echo "plot-bench.sh: wrote $png"
