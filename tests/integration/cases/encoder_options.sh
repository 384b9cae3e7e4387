# shellcheck shell=bash
# What --preset and -x mean on this FFmpeg (README, "Encoder options across
# FFmpeg versions"): every spelling the README gives as portable works, and
# an option this version's encoder does not have is refused up front with
# its name (exit 2, nothing written), never ignored.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=2" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params keyint=25 in.mkv

lavc_major=$("$VTPOOL" --version | sed -n 's/.*libavcodec \([0-9]*\)\..*/\1/p')
[[ -n "$lavc_major" ]] || fail "vtpool --version names no libavcodec version"
log "libavcodec $lavc_major"

# refused EXPECTED_WORDS ARGS...: exit 2, one line naming the option, no output.
refused() {
  local words=$1 rc=0 err
  shift
  err=$(vtpool encode in.mkv -o bad.mkv "$@" --progress none 2>&1 >/dev/null) || rc=$?
  ((rc == 2)) || fail "vtpool encode $*: exit $rc (expected 2): $err"
  [[ "$err" == *"$words"* ]] || fail "vtpool encode $*: '$err' does not say '$words'"
  [[ ! -e bad.mkv ]] || fail "vtpool encode $*: bad.mkv written"
  log "refused as expected: $err"
}

# x264: preset names and x264-params, the same on every version.
run_vtpool encode in.mkv -o x264.mkv -c libx264 --preset veryfast -x x264-params=keyint=10 \
  -j 2 --segment 1 --progress none
assert_same_frame_times in.mkv x264.mkv
# keyint=10 inside 1 s segments of 25 frames: keyframes at least every 10.
nkey=$(keyframe_times x264.mkv | wc -l)
((nkey >= 6)) || fail "x264-params=keyint=10 not applied: $nkey keyframes in 50 frames"
refused "no option 'nosuchoption'" -c libx264 -x nosuchoption=1
refused "has no preset 'ultrafastest' (one of: ultrafast," -c libx264 --preset ultrafastest

# x265: the same on every version, and quiet: it logs by itself some 25
# lines for every encoder it opens, which vtpool keeps to its errors unless
# -v asks for more (run_vtpool fails on any stderr with --progress none).
run_vtpool encode in.mkv -o x265.mkv -c libx265 --preset ultrafast -x x265-params=keyint=10 \
  -j 2 --segment 1 --progress none
assert_same_frame_times in.mkv x265.mkv
chatter=$(vtpool encode in.mkv -o x265v.mkv -c libx265 --preset ultrafast -j 2 --segment 1 \
  --progress none -vvv 2>&1 | grep -c 'x265 \[info\]' || true)
((chatter > 0)) || fail "x265's own log is not shown with -vvv"

# SVT-AV1: --preset is its number; 12 and 13 act as 11 on SVT-AV1 2.x and
# later (a warning SVT prints itself, shown with -v); svtav1-params
# works everywhere; the separate options FFmpeg 5.1 still had (la_depth,
# tile_columns, ...) are gone from 7.1 on.
run_vtpool encode in.mkv -o svt.webm -c libsvtav1 --preset 13 --crf 50 \
  -x svtav1-params=tile-columns=1 -j 2 --segment 1 --progress none
assert_same_frame_times in.mkv svt.webm
refused "'preset'" -c libsvtav1 --preset medium
if ((lavc_major >= 61)); then
  refused "no option 'la_depth'" -c libsvtav1 --preset 12 -x la_depth=10
else
  run_vtpool encode in.mkv -o svt-la.webm -c libsvtav1 --preset 12 -x la_depth=10 \
    -j 2 --segment 1 --progress none
fi

# libaom: speed is cpu-used; it has no preset on any version.
run_vtpool encode in.mkv -o aom.mkv -c libaom-av1 -x cpu-used=8 -x row-mt=1 --crf 50 \
  -j 2 --segment 1 --progress none
assert_same_frame_times in.mkv aom.mkv
refused "no option 'preset'" -c libaom-av1 --preset 8
