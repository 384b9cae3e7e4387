# shellcheck shell=bash
# 10-bit 4:2:0 H.264 (High 10) with AAC in MP4 -> FFV1 in Matroska: the
# pixel format stays 10-bit and every frame is bit-exact.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=6,noise=alls=10:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=6" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p10le -profile:v high10 \
  -x264-params keyint=25:min-keyint=25:bframes=3:scenecut=0 \
  -c:a aac -b:a 96k in.mp4

assert_eq "$(stream_field in.mp4 v:0 pix_fmt)" yuv420p10le "generator: input pix_fmt"
assert_eq "$(stream_field in.mp4 v:0 profile)" "High 10" "generator: input profile"
pict_types in.mp4 | grep -qx B || fail "generator: input has no B-frames"

run_vtpool encode in.mp4 -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
pix=$(stream_field out.mkv v:0 pix_fmt)
[[ "$pix" == *10* ]] || fail "output pix_fmt $pix is not 10-bit"
assert_same_frames in.mp4 out.mkv
assert_same_audio in.mp4 out.mkv
