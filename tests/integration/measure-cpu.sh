#!/usr/bin/env bash
# Not a test: measures how well vtpool keeps the CPUs busy on an input that
# cannot be cut at keyframes (720p, 20 s, only the first frame is a keyframe).
# Prints "cpu/wall = X" where X = (user + sys) / elapsed of the vtpool run.
#   tests/integration/measure-cpu.sh [JOBS]     (default JOBS=2)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
VTPOOL=${VTPOOL:-$root/build/vtpool}
[[ "$VTPOOL" == /* || "$VTPOOL" != */* ]] || VTPOOL=$PWD/$VTPOOL
jobs=${1:-2}

[[ -x "$VTPOOL" ]] || { echo "measure-cpu: vtpool not found: $VTPOOL" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "measure-cpu: /usr/bin/time missing (run scripts/setup.sh)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-measure.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "measure-cpu: making 1280x720 20 s input with a single keyframe" >&2
ffmpeg -hide_banner -loglevel error -nostdin -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=20" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params keyint=infinite:scenecut=0 \
  -c:a aac -b:a 96k "$work/in.mp4"
nk=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 "$work/in.mp4" | grep -c K || true)
[[ "$nk" == 1 ]] || { echo "measure-cpu: input has $nk keyframes, expected 1" >&2; exit 1; }

echo "measure-cpu: vtpool encode -c libx264 --preset medium --crf 23 -j $jobs" >&2
/usr/bin/time -o "$work/time" -f '%e %U %S' \
  "$VTPOOL" encode "$work/in.mp4" -o "$work/out.mp4" -c libx264 --preset medium --crf 23 \
  -j "$jobs" --progress none
read -r wall user sys <"$work/time"
frames=$(ffprobe -v error -select_streams v:0 -count_packets \
  -show_entries stream=nb_read_packets -of csv=p=0 "$work/out.mp4" | head -n1)
awk -v w="$wall" -v u="$user" -v s="$sys" -v f="$frames" -v j="$jobs" 'BEGIN {
  if (w <= 0) w = 0.01
  printf "wall %.2f s, user %.2f s, sys %.2f s, %d frames (%.1f fps), -j %d\n", w, u, s, f, f / w, j
  printf "cpu/wall = %.2f\n", (u + s) / w
}'
