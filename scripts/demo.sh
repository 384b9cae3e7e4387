#!/usr/bin/env bash
# Build vtpool, make a 20 s 720p sample clip and transcode it with all cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/setup.sh
scripts/build.sh

mkdir -p demo
in=demo/sample.mp4
out=demo/sample-out.mp4
duration=20

if [[ ! -s "$in" ]]; then
  echo "demo: making $in (${duration} s, 1280x720, 25 fps, stereo 440 Hz)"
  ffmpeg -hide_banner -loglevel error -nostdin -y \
    -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$duration" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$duration" \
    -filter_complex '[1:a]pan=stereo|c0=c0|c1=c0[a]' \
    -map 0:v -map '[a]' \
    -c:v libx264 -preset fast -crf 23 -pix_fmt yuv420p \
    -g 50 -keyint_min 50 -x264-params scenecut=0 \
    -c:a aac -b:a 128k \
    -movflags +faststart \
    "$in"
fi

echo "demo: build/vtpool encode $in -o $out -c libx264 --crf 23 --preset fast -y"
start=$(date +%s.%N)
build/vtpool encode "$in" -o "$out" -c libx264 --crf 23 --preset fast -y
end=$(date +%s.%N)

frames=$(ffprobe -v error -select_streams v:0 -count_packets \
  -show_entries stream=nb_read_packets -of csv=p=0 "$out")
in_duration=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$in")

awk -v s="$start" -v e="$end" -v f="$frames" -v d="$in_duration" -v out="$out" -v cpus="$(nproc)" 'BEGIN {
  wall = e - s
  if (wall <= 0) wall = 0.001
  printf "demo: result in %s\n", out
  printf "demo: wall time %.2f s on %d cores\n", wall, cpus
  printf "demo: %d frames encoded, %.1f frames/s, %.2fx real time\n", f, f / wall, d / wall
}'
