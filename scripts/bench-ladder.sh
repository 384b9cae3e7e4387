#!/usr/bin/env bash
# The ladder figures of BENCHMARKS.md: a three-rendition HLS ladder of a 1080p
# input (1920x1080 crf 23, 1280x720 crf 24, 640x360 crf 26; x264 veryfast;
# media segments of 6 s) made three ways, taking turns, RUNS times each:
#   ladder    one `vtpool encode` with three --rendition (one decode a segment)
#   separate  three `vtpool encode` runs, one rendition each
#   ffmpeg    one ffmpeg process: split, scale, three x264 encoders and its hls
#             muxer (fMP4), a keyframe forced every 6 s as vtpool's cuts make
# Prints every run's wall and CPU seconds, the medians, and each output's bytes.
#   scripts/bench-ladder.sh [OUTDIR [RUNS]]   (default bench-out/, 3 runs)
#   scripts/bench-ladder.sh OUTDIR --one ladder|separate|ffmpeg
#                                            one way, once, untimed (to time
#                                            from outside)
# Run it on a quiet machine: other load lowers every figure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=${1:-bench-out}
runs=${2:-3}
mkdir -p "$out"
V=$PWD/build/vtpool
[[ -x $V ]] || scripts/build.sh >/dev/null
in=$out/1080p.mkv
[[ -s $in ]] || ffmpeg -hide_banner -loglevel error -nostdin -y \
  -f lavfi -i "mandelbrot=size=1920x1080:rate=25,noise=alls=12:allf=t" \
  -t 20 -c:v libx264 -preset veryfast -crf 18 -g 50 "$in"

sizes=(1920x1080 1280x720 640x360)
crfs=(23 24 26)
times=$out/ladder-times.txt
: >"$times"

# timed NAME CMD...: runs CMD, appends "NAME WALL CPU" to $times.
timed() {
  local name=$1
  shift
  /usr/bin/time -f "$name %e %U %S" -a -o "$times" "$@"
}

ladder() {
  rm -rf "$out/ladder" && mkdir -p "$out/ladder"
  local args=() i
  for i in 0 1 2; do args+=(--rendition "${sizes[$i]},crf=${crfs[$i]}"); done
  "$V" encode "$in" -o "$out/ladder/master.m3u8" "${args[@]}" --preset veryfast --segment 6 \
    --audio none --progress none
}

separate() {
  local i
  for i in 0 1 2; do
    rm -rf "$out/separate-$i" && mkdir -p "$out/separate-$i"
    "$V" encode "$in" -o "$out/separate-$i/master.m3u8" --rendition "${sizes[$i]},crf=${crfs[$i]}" \
      --preset veryfast --segment 6 --audio none --progress none
  done
}

ffmpeg_ladder() {
  rm -rf "$out/ffmpeg" && mkdir -p "$out/ffmpeg"
  ffmpeg -hide_banner -loglevel error -nostdin -y -i "$in" \
    -filter_complex "[0:v]split=3[a][b][c];[b]scale=1280:720[b2];[c]scale=640:360[c2]" \
    -map "[a]" -map "[b2]" -map "[c2]" -c:v libx264 -preset veryfast \
    -crf:v:0 23 -crf:v:1 24 -crf:v:2 26 -force_key_frames "expr:gte(t,n_forced*6)" \
    -f hls -hls_time 6 -hls_playlist_type vod -hls_segment_type fmp4 \
    -var_stream_map "v:0 v:1 v:2" -master_pl_name master.m3u8 \
    -hls_segment_filename "$out/ffmpeg/%v/seg-%05d.m4s" "$out/ffmpeg/%v/index.m3u8"
}

if [[ $runs == --one ]]; then
  case ${3:-} in
    ladder) ladder ;;
    separate) separate ;;
    ffmpeg) ffmpeg_ladder ;;
    *) echo "usage: $0 OUTDIR --one ladder|separate|ffmpeg" >&2; exit 2 ;;
  esac
  exit 0
fi

for ((r = 1; r <= runs; r++)); do
  echo "run $r of $runs" >&2
  timed ladder bash -c "$(declare -f ladder); $(declare -p V in out sizes crfs); ladder"
  timed separate bash -c "$(declare -f separate); $(declare -p V in out sizes crfs); separate"
  timed ffmpeg bash -c "$(declare -f ffmpeg_ladder); $(declare -p in out); ffmpeg_ladder"
done

echo "runs (wall s, user s, sys s):"
cat "$times"
echo "medians:"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for name in ladder separate ffmpeg; do
  printf '%-9s wall %7.2f s  cpu %7.2f s\n' "$name" \
    "$(awk -v n="$name" '$1 == n { print $2 }' "$times" | median)" \
    "$(awk -v n="$name" '$1 == n { print $3 + $4 }' "$times" | median)"
done
# bytes DIR: of the media and init segments under DIR.
bytes() { find "$1" -type f \( -name '*.m4s' -o -name '*.mp4' \) -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }
echo "bytes of each rendition (init and media segments):"
for i in 0 1 2; do
  printf '%-10s ladder %10d  separate %10d  ffmpeg %10d\n' "${sizes[$i]}" \
    "$(bytes "$out/ladder/${sizes[$i]}")" "$(bytes "$out/separate-$i/${sizes[$i]}")" \
    "$(bytes "$out/ffmpeg/$i")"
done
