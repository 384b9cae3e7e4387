# shellcheck shell=bash
# Real clips from Debian packages (tests/integration/real/clips.txt: 35
# files, 11 containers read by 9 demuxers, 15 video codecs), fetched once
# and cached. Each "exact" clip: vtpool's lossless round trip (FFV1, 2
# workers, 1 s segments, and again with the default plan) decodes to the
# input's frames (or, where FFV1 needs another pixel format,
# those of ffmpeg's own FFV1 transcode) at the input's frame times, with its
# audio copied; and its x264 encode has the input's frame times too (or is
# refused up front where ffmpeg's own x264 encode fails), and so has a
# ladder of it (HLS, its audio as AAC). A "damaged" clip
# is refused, and encoded with the damage dropped under --on-error skip.
# Each "refused" clip is an open defect: vtpool must refuse it cleanly
# (exit 3, one line, nothing written), never finish with frames lost.

real=$(cd "$(dirname "${BASH_SOURCE[0]}")/../real" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/vtpool/real
list=$("$real/fetch.sh" "$cache") || fail "fetching the real clips failed"
present=$(grep -vc '^missing ' <<<"$list" || true)
((present >= 12)) || fail "only $present real clips could be fetched: $(grep '^missing ' <<<"$list" | tr '\n' ' ')"
while read -r word name; do
  [[ "$word" == missing ]] && log "not in this release's packages: $name"
done <<<"$list"

# assert_rate_grid IN OUT: OUT has IN's number of frames, frame k at k
# decode slots after the first, to 1 ms (a slot: the step between IN's
# first two decode times, which libavformat counts from the stream's
# header; ffprobe's frame rates of these streams differ across FFmpeg
# versions).
assert_rate_grid() {
  local n step res
  n=$(frame_times "$1" | wc -l)
  step=$(probe "$1" -select_streams v:0 -show_entries packet=dts_time -of csv=p=0 |
    sed 's/,$//' | grep -v '^$' | awk 'NR == 2 { print $1 - p } { p = $1 }')
  res=$(frame_times "$2" | awk -v n="$n" -v step="$step" '
    NR == 1 { t0 = $1 }
    { d = $1 - t0 - (NR - 1) * step; if (d < 0) d = -d
      if (d > 0.001) { printf "frame %d at %s, not %.6f\n", NR - 1, $1, t0 + (NR - 1) * step; exit 1 } }
    END { if (NR != n) { printf "%d frames, the input has %d\n", NR, n; exit 1 } }') ||
    fail "$2: $res"
}

exact=0 refused=0 damaged=0
while read -r name expect; do
  [[ "$name" == missing ]] && continue
  clip=$cache/clips/$name
  ref=origin
  [[ "$expect" == exact:first ]] && ref=first
  case "$expect" in
    exact | exact:first | exact:rate)
      run_vtpool encode "$clip" -o "vt-$name.mkv" -c ffv1 -j 2 --segment 1 --progress none
      # Pixels as the input's, or where FFV1 needs another pixel format
      # (RGB24, palettes) as ffmpeg's transcode converts them (FFmpeg 7.1 and
      # later also squeeze full-range JPEG YUV into limited range there,
      # which vtpool does not); times as the input has them (ffmpeg's own
      # encode rounds variable frame rates to its encoder's time base).
      got=$(frame_md5s "vt-$name.mkv")
      if [[ "$(frame_md5s "$clip")" != "$got" ]]; then
        gen -i "$clip" -map 0:v:0 -c:v ffv1 -fps_mode passthrough "ref-$name.mkv"
        [[ "$(frame_md5s "ref-$name.mkv")" == "$got" ]] ||
          fail "$name: the decoded frames differ from the input's and from ffmpeg's FFV1 transcode"
      fi
      if [[ "$expect" == exact:rate ]]; then
        assert_rate_grid "$clip" "vt-$name.mkv"
      else
        VTP_TIME_REF=$ref assert_same_frame_times "$clip" "vt-$name.mkv"
      fi
      # The default plan (cuts between keyframes, from a keyframe far back)
      # gives the same frames.
      run_vtpool encode "$clip" -o "plan-$name.mkv" -c ffv1 -j 2 --progress none
      [[ "$(frame_md5s "plan-$name.mkv")" == "$got" ]] ||
        fail "$name: the default plan's frames differ from those of 1 s segments"
      rm -f "plan-$name.mkv"
      # Audio is copied: Matroska holds every codec of these clips.
      ain=$(stream_field "$clip" a:0 codec_name)
      assert_eq "$(stream_field "vt-$name.mkv" a:0 codec_name)" "$ain" "$name: audio codec"
      # Lossy: where ffmpeg's own x264 encode works, vtpool's has its frame
      # times; where it does not (x264 takes no odd height in 4:2:0),
      # vtpool refuses up front.
      if ffmpeg "${FFMPEG_Q[@]}" -y -i "$clip" -map 0:v:0 -frames:v 1 -c:v libx264 \
        -preset ultrafast "ref-$name.mp4" 2>/dev/null; then
        run_vtpool encode "$clip" -o "vt-$name.mp4" -c libx264 --preset ultrafast -j 2 \
          --segment 1 --progress none
        # (From the first frame: audio encoded for MP4 starts with priming
        # before it, which moves the default origin.)
        if [[ "$expect" == exact:rate ]]; then
          assert_rate_grid "$clip" "vt-$name.mp4"
        else
          VTP_TIME_REF=first assert_same_frame_times "$clip" "vt-$name.mp4"
        fi
        # A ladder of it (CMAF, audio as AAC): every frame, in each rendition.
        # Audio that does not decode (one clip's AC3) refuses it, as it
        # should: then without audio.
        rc=0
        vtpool encode "$clip" -o "lad-$name/master.m3u8" --rendition 160x-2,preset=ultrafast \
          -j 2 --segment 1 --progress none 2>lad.err || rc=$?
        if ((rc == 3)) && [[ -n "$(ffmpeg -nostdin -v error -i "$clip" -map 0:a -f null - 2>&1)" ]]; then
          log "$name: its audio does not decode, the ladder is refused: $(_oneline lad.err)"
          run_vtpool encode "$clip" -o "lad-$name/master.m3u8" --rendition 160x-2,preset=ultrafast \
            -j 2 --segment 1 --audio none --progress none
        elif ((rc != 0)); then
          fail "$name: the ladder exited $rc: $(_oneline lad.err)"
        fi
        rung=$(find "lad-$name" -maxdepth 1 -name '[0-9]*x[0-9]*' | head -n1)
        assert_eq "$(count_frames "$rung/index.m3u8")" "$(frame_times "$clip" | wc -l)" \
          "$name: frames of its ladder"
        rm -rf "lad-$name"
      else
        assert_fails 2 "vt-$name.mp4" vtpool encode "$clip" -o "vt-$name.mp4" -c libx264 \
          --preset ultrafast --progress none
      fi
      rm -f "ref-$name.mkv" "vt-$name.mkv" "ref-$name.mp4" "vt-$name.mp4"
      exact=$((exact + 1)) ;;
    damaged)
      assert_fails 3 "vt-$name.mkv" vtpool encode "$clip" -o "vt-$name.mkv" -c ffv1 -j 2 \
        --segment 1 --progress none
      err=$(vtpool encode "$clip" -o "vt-$name.mkv" -c ffv1 -j 2 --segment 1 --on-error skip \
        --progress none 2>&1) || fail "$name with --on-error skip: $err"
      [[ "$err" == *"(--on-error skip)"* ]] || fail "$name: nothing said about what was dropped"
      frame_times "vt-$name.mkv" | awk 'NR > 1 && $1 <= p { exit 1 } { p = $1 }' ||
        fail "$name with --on-error skip: frame times do not rise"
      log "$name: damaged, refused; with skip $(frame_times "vt-$name.mkv" | wc -l) frames"
      rm -f "vt-$name.mkv"
      damaged=$((damaged + 1)) ;;
    refused:*)
      assert_fails 3 "vt-$name.mkv" vtpool encode "$clip" -o "vt-$name.mkv" -c ffv1 -j 2 \
        --segment 1 --progress none
      log "$name: refused (${expect#refused:}), an open defect"
      refused=$((refused + 1)) ;;
    *) fail "clips.txt: unknown expectation '$expect' for $name" ;;
  esac
done <<<"$list"
log "real clips: $exact frame-exact, $damaged damaged and refused, $refused refused cleanly (open defects)"
