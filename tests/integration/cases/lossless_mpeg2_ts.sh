# shellcheck shell=bash
# MPEG-2 video with B-frames and open GOPs plus MP2 audio in MPEG-TS (which
# starts at a 1.4 s offset, 90 kHz time base) -> FFV1 in Matroska.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -map 0:v -map 1:a \
  -c:v mpeg2video -q:v 4 -bf 2 -g 12 \
  -c:a mp2 -b:a 128k in.ts

pict_types in.ts | grep -qx B || fail "generator: input has no B-frames"
(($(keyframe_times in.ts | wc -l) >= 10)) || fail "generator: expected a keyframe every 12 frames"

run_vtpool encode in.ts -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_same_frames in.ts out.mkv
assert_same_audio in.ts out.mkv
