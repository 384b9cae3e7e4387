#!/usr/bin/env bash
# The dispatcher's own cost, for BENCHMARKS.md ("The dispatcher's own
# cost"): CPU of the dispatcher's thread and the job's media thread (what
# `vtpool bench` reports as its share), per frame, per segment and per GB of
# input, with cheap encodes (x264 ultrafast, 2 workers) so that the
# dispatcher's part shows; and one core's encoding speed with the encoders
# people use, from which follows how many cores one dispatcher can feed.
#   scripts/bench-dispatcher.sh [OUTDIR]    (default bench-out/; about 5 minutes)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-out}
mkdir -p "$out"
V=$PWD/build/vtpool
[[ -x $V ]] || scripts/build.sh >/dev/null
gen() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
noisy() { echo "testsrc2=size=$1:rate=25:duration=$2,noise=alls=8:allf=t"; }

x264_gop=(-c:v libx264 -preset veryfast -pix_fmt yuv420p)
[[ -s $out/d-gop1080.mkv ]] || gen -f lavfi -i "$(noisy 1920x1080 20)" "${x264_gop[@]}" \
  -x264-params keyint=50:min-keyint=50:scenecut=0 "$out/d-gop1080.mkv"
[[ -s $out/d-onekey1080.mkv ]] || gen -f lavfi -i "$(noisy 1920x1080 20)" "${x264_gop[@]}" \
  -x264-params keyint=infinite:scenecut=0 "$out/d-onekey1080.mkv"
[[ -s $out/d-raw1080.nut ]] || gen -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=10" \
  -c:v rawvideo -pix_fmt yuv420p "$out/d-raw1080.nut"
[[ -s $out/d-gop2160.mkv ]] || gen -f lavfi -i "$(noisy 3840x2160 6)" "${x264_gop[@]}" \
  -x264-params keyint=50:min-keyint=50:scenecut=0 "$out/d-gop2160.mkv"
[[ -s $out/d-noisy1080.nut ]] || gen -i "$out/d-gop1080.mkv" -frames:v 60 -c:v rawvideo \
  "$out/d-noisy1080.nut"

# cost NAME FILE [ENCODE ARGS...]: one table row.
cost() {
  local name=$1 f=$2 cuts
  shift 2
  "$V" bench "$f" --cores 2 -c libx264 --preset ultrafast "$@" --json "$out/d-$name.json" \
    >/dev/null 2>&1
  cuts=$("$V" encode "$f" -o "$out/d-out.mkv" -y -c libx264 --preset ultrafast -j 2 "$@" \
    --progress none -v 2>&1 | sed -n 's/.*vtpool: \([0-9]*\) cuts.*/\1/p')
  python3 - "$out/d-$name.json" "$name" "$f" "${cuts:-0}" <<'PY'
import json, os, sys
path, name, f, cuts = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
p = json.load(open(path))["points"][0]
disp = p["dispatcher_share"] * p["utilisation"] * p["wall_s"] * 2
gb, segs, n = os.path.getsize(f) / 1e9, cuts + 1, p["frames"]
print(f"| {name} | {n} | {segs} | {gb:.3f} | {disp:.2f} | {disp / n * 1e3:.2f} | "
      f"{disp / segs * 1e3:.0f} | {disp / gb:.1f} | {n / disp:.0f} |")
PY
}

echo "| input | frames | segments | GB | dispatcher CPU s | ms/frame | ms/segment | s/GB | frames/s it feeds |"
echo "|---|---|---|---|---|---|---|---|---|"
cost "1080p, keyframe every 2 s" "$out/d-gop1080.mkv"
cost "1080p, one keyframe, decoded (--segment 2)" "$out/d-onekey1080.mkv" --segment 2
cost "1080p raw" "$out/d-raw1080.nut"
cost "2160p, keyframe every 2 s" "$out/d-gop2160.mkv"

echo
echo "one core's encoding speed, noisy 1080p:"
speed() {
  local n=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  gen -i "$out/d-noisy1080.nut" -frames:v "$n" "$@" -f null -
  t1=$(date +%s.%N)
  python3 -c "import sys; print(f'  {sys.argv[3]}: {int(sys.argv[4]) / (float(sys.argv[2]) - float(sys.argv[1])):.2f} fps')" \
    "$t0" "$t1" "$*" "$n"
}
speed 60 -c:v libx264 -preset veryfast -threads 1
speed 30 -c:v libx264 -preset medium -threads 1
speed 10 -c:v libx265 -preset medium -x265-params pools=1:frame-threads=1:log-level=error
speed 20 -c:v libsvtav1 -preset 8 -svtav1-params lp=1 2>/dev/null  # SVT logs on its own
echo "decoding (ffmpeg, the one-keyframe input):"
for t in 1 2; do
  t0=$(date +%s.%N)
  gen -threads "$t" -i "$out/d-onekey1080.mkv" -f null -
  t1=$(date +%s.%N)
  python3 -c "import sys; print(f'  {sys.argv[3]} threads: {500 / (float(sys.argv[2]) - float(sys.argv[1])):.1f} fps')" \
    "$t0" "$t1" "$t"
done
