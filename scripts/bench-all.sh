#!/usr/bin/env bash
# Makes every figure in BENCHMARKS.md, on this machine, from media it makes.
#   scripts/bench-all.sh [OUTDIR]     (default bench-out/; takes 15-25 minutes on 2 cores)
# Run it on a quiet machine: other load lowers every figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-out}
mkdir -p "$out"
V=build/vtpool
[[ -x $V ]] || scripts/build.sh >/dev/null
gen() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
say() { printf '\n== %s\n' "$*"; }

say "inputs"
# Natural-looking motion: a zooming Mandelbrot set with film grain, 25 fps.
[[ -s $out/1080p.mkv ]] || gen -f lavfi -i "mandelbrot=size=1920x1080:rate=25,noise=alls=12:allf=t" \
  -t 20 -c:v libx264 -preset veryfast -crf 18 -g 50 "$out/1080p.mkv"
[[ -s $out/360p.mkv ]] || gen -f lavfi -i "mandelbrot=size=640x360:rate=25,noise=alls=12:allf=t" \
  -t 20 -c:v libx264 -preset veryfast -crf 18 -g 50 "$out/360p.mkv"
[[ -s $out/quality-clean.mkv ]] || gen -f lavfi -i "mandelbrot=size=640x360:rate=25" \
  -t 130 -c:v libx264 -preset veryfast -crf 16 -g 50 "$out/quality-clean.mkv"
[[ -s $out/quality-synthetic.mkv ]] || gen -f lavfi -i "testsrc2=size=640x360:rate=25" \
  -t 130 -c:v libx264 -preset veryfast -crf 16 -g 50 "$out/quality-synthetic.mkv"
[[ -s $out/onekey720.mkv ]] || gen -f lavfi -i "testsrc2=size=1280x720:rate=25" -t 20 \
  -c:v libx264 -preset veryfast -x264-params keyint=infinite:scenecut=0 "$out/onekey720.mkv"
[[ -s $out/day64.mkv ]] || gen -f lavfi -i "testsrc2=size=64x64:rate=5" -t 86400 \
  -c:v libx264 -preset ultrafast -g 50 "$out/day64.mkv"
[[ -s $out/tenth64.mkv ]] || gen -f lavfi -i "testsrc2=size=64x64:rate=5" -t 8640 \
  -c:v libx264 -preset ultrafast -g 50 "$out/tenth64.mkv"

say "an ideal split: two single-threaded x264 on the two halves, alone and at once"
half() {
  /usr/bin/time -f "half from $1 s: wall %e s, user %U s" ffmpeg -hide_banner -loglevel error \
    -nostdin -threads 1 -ss "$1" -i "$out/1080p.mkv" -t 10 -c:v libx264 -preset medium -crf 23 \
    -threads 1 -f null -
}
half 0
half 10
half 0 & half 10 & wait

say "x264 medium, 1080p: sweep with the single-encoder baseline"
$V bench "$out/1080p.mkv" -c libx264 --preset medium --crf 23 --baseline --repeat 2 \
  --csv "$out/x264-1080p.csv" --json "$out/x264-1080p.json"

say "libaom-av1 cpu-used=6, 360p: sweep with the baseline"
$V bench "$out/360p.mkv" -c libaom-av1 -x cpu-used=6 --crf 32 --baseline --repeat 2 \
  --csv "$out/aom-360p.csv"

say "the price of cutting (x264 medium, 360p, 130 s: a Mandelbrot zoom, then testsrc2)"
$V bench "$out/quality-clean.mkv" -c libx264 --preset medium --crf 23 --quality 2,10,60
$V bench "$out/quality-synthetic.mkv" -c libx264 --preset medium --crf 23 --quality 2,10,60

say "single-keyframe 720p input, x264 medium, -j 2: CPU time / wall time"
/usr/bin/time -f "%e %U %S" -o "$out/onekey.time" $V encode "$out/onekey720.mkv" \
  -o "$out/onekey-out.mkv" -c libx264 --preset medium --crf 23 -j 2 -y --progress none
awk '{ printf "wall %.2f s, cpu %.2f s, cpu/wall = %.2f\n", $1, $2 + $3, ($2 + $3) / $1 }' "$out/onekey.time"

say "scale: 24 h of 64x64 (8640 segments of 10 s) against 2.4 h: memory and dispatcher time"
$V bench "$out/tenth64.mkv" --cores 2 -c libx264 --preset ultrafast --segment 10 --csv "$out/tenth64.csv"
$V bench "$out/day64.mkv" --cores 2 -c libx264 --preset ultrafast --segment 10 --csv "$out/day64.csv"
awk -F, 'FNR == 2 { n = $10 / 50; cpu = $5 * $1 * $9; printf "%s: %d segments, peak %.1f MB, dispatcher %.3f ms per segment\n", FILENAME, n, $7, 1000 * $6 * cpu / n }' \
  "$out/tenth64.csv" "$out/day64.csv"

if command -v gnuplot >/dev/null; then
  scripts/plot-bench.sh "$out/x264-1080p.csv" "$out/x264-1080p.png"
fi
