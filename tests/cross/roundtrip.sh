#!/usr/bin/env bash
# The same lossless round trips on two FFmpeg versions, compared.
#   tests/cross/roundtrip.sh inputs DIR              make the inputs (once)
#   tests/cross/roundtrip.sh digest VTPOOL DIR OUT   encode each input with
#                                 VTPOOL (ffv1, 2 workers, 1 s segments) and
#                                 write what came out to OUT/NAME.{video,audio}
#   tests/cross/roundtrip.sh compare OUT_A OUT_B     identical, or exit 1
# scripts/test.sh --ffmpeg V makes the inputs and a digest with this machine's
# FFmpeg, a digest inside the Debian root of V with its FFmpeg, and compares:
# every decoded frame's checksum and presentation time, and every audio
# packet's bytes and times, must be the same on both. The inputs are made
# once, by one FFmpeg, so both sides read the same bytes.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../integration/lib.sh
source "$here/../integration/lib.sh"

# Each input: a name and the ffmpeg arguments that make it.
make_inputs() {
  local dir=$1
  mkdir -p "$dir"
  [[ -e "$dir/.done" ]] && return 0
  # x264 with B-frames, b-pyramid and an open GOP, AAC, in MP4.
  gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=6" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=6" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    -x264-params keyint=30:bframes=3:b-pyramid=normal:open-gop=1 -c:a aac "$dir/bframes.mp4"
  # Variable frame rate on a millisecond grid, FLAC, in Matroska.
  gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=6,settb=1/1000,setpts='(N*40+20*floor(N/7)+10*mod(N,3))/1000/TB'" \
    -f lavfi -i "sine=frequency=330:sample_rate=44100:duration=6" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params keyint=20:bframes=2 \
    -fps_mode passthrough -enc_time_base:v 1/1000 -c:a flac "$dir/vfr.mkv"
  # MPEG-2 with MP2 in MPEG-TS.
  gen -f lavfi -i "testsrc2=size=352x288:rate=25:duration=6" \
    -f lavfi -i "sine=frequency=550:sample_rate=48000:duration=6" \
    -c:v mpeg2video -g 12 -bf 2 -q:v 4 -c:a mp2 "$dir/mpeg2.ts"
  # 10-bit x264 in Matroska, no audio.
  gen -f lavfi -i "testsrc2=size=320x240:rate=30000/1001:duration=4" \
    -c:v libx264 -preset veryfast -pix_fmt yuv420p10le -x264-params keyint=15 "$dir/10bit.mkv"
  touch "$dir/.done"
}

digest() {
  local bin=$1 dir=$2 out=$3 f name tmp
  VTPOOL=$(readlink -f "$bin")
  [[ -x "$VTPOOL" ]] || fail "no vtpool at $bin"
  mkdir -p "$out"
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-cross.XXXXXX")
  for f in "$dir"/*.*; do
    name=${f##*/}
    run_vtpool encode "$f" -o "$tmp/$name.mkv" -c ffv1 -j 2 --segment 1 --progress none
    frame_sums "$tmp/$name.mkv" >"$out/$name.video"
    if [[ -n "$(probe "$f" -select_streams a -show_entries stream=index -of csv=p=0)" ]]; then
      # Packet bytes and times of the copied audio. Durations are not
      # compared: FFmpeg 5.1's Matroska muxer writes no duration for the
      # last audio block (ffmpeg -c copy gives the same), 7.1 and later do.
      # Newer ffprobe adds empty columns: only the one asked for is kept.
      ffprobe -v error -select_streams a:0 -show_entries packet=pts_time \
        -of csv=p=0 "$tmp/$name.mkv" | cut -d, -f1 >"$out/$name.audio.times"
      audio_sums "$tmp/$name.mkv" >"$out/$name.audio"
    fi
    # The decoded frames must also be the input's.
    frame_sums "$f" | cut -d' ' -f2 >"$tmp/in.md5"
    cut -d' ' -f2 "$out/$name.video" | cmp -s - "$tmp/in.md5" ||
      fail "$name: the decoded frames differ from the input's"
    log "$name: $(wc -l <"$out/$name.video") frames"
  done
  rm -rf "$tmp"
}

compare() {
  local a=$1 b=$2 f n=0
  for f in "$a"/*; do
    [[ -e "$b/${f##*/}" ]] || fail "${f##*/} is missing in $b"
    cmp -s "$f" "$b/${f##*/}" || fail "${f##*/} differs: $(diff "$f" "$b/${f##*/}" | head -4 | tr '\n' ' ')"
    n=$((n + 1))
  done
  ((n > 0)) || fail "nothing to compare in $a"
  echo "cross: $n digests identical ($a, $b)"
}

usage() {
  echo "usage: $0 inputs DIR | digest VTPOOL DIR OUT | compare A B" >&2
  exit 2
}
case "${1:-}:$#" in
  inputs:2) make_inputs "$2" ;;
  digest:4) digest "$2" "$3" "$4" ;;
  compare:3) compare "$2" "$3" ;;
  *) usage ;;
esac
