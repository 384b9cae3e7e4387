# shellcheck shell=bash
# Lossy H.264 -> H.264 in MP4 with 1 s segments on 2 workers: the same frames
# at the same times, a keyframe at every segment start (at the input's
# keyframes, and between them in the finer tail), and the AAC audio copied
# untouched.
#
# The input is open-GOP H.264 as in lossless_bframes_opengop, at 24 fps so
# that keyint 24 (with leading B-frames, see there) puts keyframes on whole
# seconds.

gen -f lavfi -i "testsrc2=size=320x240:rate=24:duration=8,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=24:min-keyint=24:bframes=3:b-adapt=0:b-pyramid=normal:open-gop=1:scenecut=0 \
  -c:a aac -b:a 96k in.mp4

pict_types in.mp4 | grep -qx B || fail "generator: input has no B-frames"
in_kf=$(keyframe_times in.mp4)
assert_eq "$(wc -l <<<"$in_kf")" 8 "generator: keyframes in input (one a second)"
(($(leading_frames in.mp4) > 0)) || fail "generator: input has no open-GOP leading frames"

# -vvv lists the segments, with their cuts in seconds of the input.
vtpool encode in.mp4 -o out.mp4 -c libx264 --crf 23 -j 2 --segment 1 --progress none -vvv \
  2>vtpool.log || fail "vtpool encode exited $?: $(grep -v 'packet pts' vtpool.log | tail -3)"
assert_eq "$(stream_field out.mp4 v:0 codec_name)" h264 "output video codec"
assert_same_frame_times in.mp4 out.mp4

# Every segment starts with a keyframe in the output, wherever it was cut.
starts=$(sed -n 's/.*job 1 segment [0-9]*: packets \[\([0-9.]*\),.*/\1/p' vtpool.log)
(($(wc -l <<<"$starts") >= 7)) || fail "expected at least 7 cuts, the log has: $starts"
out_kf=$(keyframe_times out.mp4)
missing=$(awk -v tol="$VTP_TIME_TOL" -v ro="$(time_origin out.mp4)" -v ri="$(time_origin in.mp4)" '
  NR == FNR { o[++n] = $1 - ro; next }
  {
    t = $1 - ri; found = 0
    for (i = 1; i <= n; i++) { d = o[i] - t; if (d < 0) d = -d; if (d <= tol) { found = 1; break } }
    if (!found) printf "%s ", $1
  }' <(printf '%s\n' "$out_kf") <(printf '%s\n' "$starts"))
[[ -z "$missing" ]] || fail "no output keyframe at segment start(s) $missing(output keyframes: $(tr '\n' ' ' <<<"$out_kf"))"

assert_same_audio in.mp4 out.mp4
