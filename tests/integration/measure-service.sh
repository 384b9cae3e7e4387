#!/usr/bin/env bash
# Not a test: compares one transcode run by `vtpool encode` with the same job
# run by the service (`serve -j 0` and two `worker -j 1` on this machine).
#   tests/integration/measure-service.sh [ROUNDS]      (default 2)
# Input: 1280x720, 25 fps, 20 s, x264 with a keyframe every 2 s, AAC audio.
# Job: -c libx264 --preset medium --crf 23 --segment 2 (encode: -j 2).
# The two ways alternate, ROUNDS times each. For the service the time is from
# `vtpool submit` until `vtpool wait` returns (the service and its workers
# are started, and have joined, before the first round).
# Prints each run, the mean of each way and the ratio service / encode.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
VTPOOL=${VTPOOL:-$root/build/vtpool}
[[ "$VTPOOL" == /* || "$VTPOOL" != */* ]] || VTPOOL=$PWD/$VTPOOL
export VTPOOL
rounds=${1:-2}
[[ -x "$VTPOOL" ]] || { echo "measure-service: vtpool not found: $VTPOOL" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-measure-service.XXXXXX")
cd "$work"
source "$here/lib.sh"
source "$here/service_lib.sh"
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
  svc__cleanup
  rm -rf "$work"
}
trap finish EXIT

echo "measure-service: making a 1280x720 20 s input" >&2
gen -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=20" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=20" \
  -map 0:v -map 1:a -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=50:min-keyint=50:scenecut=0 -c:a aac -b:a 96k "$work/in.mp4"

JOB=(-c libx264 --preset medium --crf 23 --segment 2)

svc_start
svc_worker w1
svc_worker w2
joined() {
  (($(svc_joined) >= 2))
}
svc_until 15 "two workers to join" joined

now_ms() {
  echo $(($(date +%s%N) / 1000000))
}
enc_ms=()
svc_ms=()
for ((r = 1; r <= rounds; r++)); do
  t0=$(now_ms)
  "$VTPOOL" encode "$work/in.mp4" -o "$work/enc$r.mp4" "${JOB[@]}" -j 2 --progress none
  enc_ms+=($(($(now_ms) - t0)))
  echo "round $r: encode -j 2                      $(awk -v m="${enc_ms[-1]}" 'BEGIN { printf "%.2f s", m / 1000 }')"

  t0=$(now_ms)
  id=$(svc_submit "$work/in.mp4" -o "$work/svc$r.mp4" "${JOB[@]}" 2>/dev/null)
  svc_wait "$id" 0 600 2>/dev/null
  svc_ms+=($(($(now_ms) - t0)))
  echo "round $r: serve -j 0 + 2 x worker -j 1     $(awk -v m="${svc_ms[-1]}" 'BEGIN { printf "%.2f s", m / 1000 }')"
  for f in "$work/enc$r.mp4" "$work/svc$r.mp4"; do
    n=$(count_frames "$f")
    [[ "$n" == 500 ]] || { echo "measure-service: $f has $n frames, expected 500" >&2; exit 1; }
  done
done

awk -v e="${enc_ms[*]}" -v s="${svc_ms[*]}" 'BEGIN {
  ne = split(e, E, " "); ns = split(s, S, " ")
  for (i = 1; i <= ne; i++) me += E[i]; me /= ne
  for (i = 1; i <= ns; i++) ms += S[i]; ms /= ns
  printf "encode  mean %.2f s (%.1f fps)\n", me / 1000, 500 / (me / 1000)
  printf "service mean %.2f s (%.1f fps)\n", ms / 1000, 500 / (ms / 1000)
  printf "service / encode = %.3f\n", ms / me
}'
