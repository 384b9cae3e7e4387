# shellcheck shell=bash
# Variable frame rate: irregular gaps on a millisecond grid must come out
# unchanged after a segmented FFV1 round trip.

# Deltas cycle through 50, 50, 20 ms, plus 20 ms every 7th frame. The
# encoder's time base is given: ffmpeg 8 and later would otherwise round the
# times to the nominal 25 fps.
gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8,settb=1/1000,setpts='(N*40+20*floor(N/7)+10*mod(N,3))/1000/TB'" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=20:min-keyint=20:bframes=2:scenecut=0 \
  -fps_mode passthrough -enc_time_base:v 1/1000 -c:a flac in.mkv

# Generator sanity: frame times strictly increase and the gaps vary.
deltas=$(frame_deltas in.mkv)
(($(wc -l <<<"$deltas") >= 3)) || fail "generator: input is not VFR (deltas: $(tr '\n' ' ' <<<"$deltas"))"
awk '$1 <= 0 { exit 1 }' <<<"$deltas" || fail "generator: frame times do not strictly increase"
pict_types in.mkv | grep -qx B || fail "generator: input has no B-frames"

run_vtpool encode in.mkv -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_same_frames in.mkv out.mkv
assert_same_audio in.mkv out.mkv
