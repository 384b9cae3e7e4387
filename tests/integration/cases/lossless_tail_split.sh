# shellcheck shell=bash
# The finer tail: with the input's length known, the last stretch is cut
# into shorter segments so both workers finish together, and most of those
# cuts fall between keyframes (2 s apart here). H.264 with a B-pyramid and
# open GOPs in MP4 (B-frames give negative dts), re-encoded losslessly:
# every frame, frame time and audio packet must survive the cuts.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=10,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=10" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=50:min-keyint=50:bframes=3:b-adapt=0:b-pyramid=normal:open-gop=1:scenecut=0 \
  -c:a aac -b:a 96k in.mp4

in_kf=$(keyframe_times in.mp4)
assert_eq "$(wc -l <<<"$in_kf")" 5 "generator: keyframes in input (every 2 s)"

vtpool encode in.mp4 -o out.mkv -c ffv1 -j 2 --segment 2 --progress none -vvv 2>vtpool.log ||
  fail "vtpool encode exited $?: $(grep -v 'packet pts' vtpool.log | tail -3)"
assert_same_frames in.mp4 out.mkv
assert_same_audio in.mp4 out.mkv

# Cuts between keyframes: segment starts that are not input keyframes.
starts=$(sed -n 's/.*job 1 segment [0-9]*: packets \[\([0-9.]*\),.*/\1/p' vtpool.log)
between=$(awk -v tol="$VTP_TIME_TOL" '
  NR == FNR { k[++n] = $1; next }
  { on = 0; for (i = 1; i <= n; i++) { d = k[i] - $1; if (d < 0) d = -d; if (d <= tol) on = 1 }
    if (!on) c++ }
  END { print c + 0 }' <(printf '%s\n' "$in_kf") <(printf '%s\n' "$starts"))
((between >= 2)) || fail "expected cuts between keyframes; segment starts: $(tr '\n' ' ' <<<"$starts")"
# And shorter toward the end: the last cut is less than 1 s before the end.
last=$(tail -1 <<<"$starts")
awk -v l="$last" 'BEGIN { exit !(10 - l < 1.0) }' ||
  fail "the last segment starts at $last, more than 1 s before the end"
log "$(wc -l <<<"$starts") segments, $between cut between keyframes, the last from $last s"
