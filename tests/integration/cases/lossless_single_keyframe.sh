# shellcheck shell=bash
# Only the first frame is a keyframe: the input cannot be cut at keyframes,
# yet the segmented round trip must still be exact.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=infinite:scenecut=0:bframes=3 \
  -c:a flac in.mkv

kf=$(keyframe_times in.mkv)
assert_eq "$(wc -l <<<"$kf")" 1 "generator: number of keyframes in input"
awk '{ exit !($1 < 0.001) }' <<<"$kf" || fail "generator: the keyframe is not the first frame ($kf)"

run_vtpool encode in.mkv -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_same_frames in.mkv out.mkv
assert_same_audio in.mkv out.mkv
