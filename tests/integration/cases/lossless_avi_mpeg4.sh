# shellcheck shell=bash
# MPEG-4 Part 2 with B-frames plus MP3 audio in AVI (no presentation
# timestamps in the container) -> FFV1 in Matroska.
#
# libavformat gives AVI frames only decode timestamps: after B-frames the
# decoded frames' best-effort times start one frame late (0.04 s) and the last
# frame has none. So frame times are compared relative to the first frame,
# frames without an input time are not compared, and the output must simply be
# a steady 25 fps.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=44100:duration=8" \
  -map 0:v -map 1:a \
  -c:v mpeg4 -q:v 4 -bf 2 -g 12 \
  -c:a libmp3lame -b:a 128k in.avi

pict_types in.avi | grep -qx B || fail "generator: input has no B-frames"

run_vtpool encode in.avi -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
VTP_TIME_REF=first assert_same_frames in.avi out.mkv
deltas=$(frame_deltas out.mkv)
assert_eq "$(tr '\n' ' ' <<<"$deltas")" "0.040 " "distinct frame time steps in output"
assert_same_audio in.avi out.mkv
