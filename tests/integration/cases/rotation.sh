# shellcheck shell=bash
# A rotated input (a display matrix, as every phone writes): into MP4 the
# matrix is kept and the frames stay as stored; into Matroska, which keeps
# no rotation here, the frames are turned upright, exactly as ffmpeg's own
# decoding turns them, and -v says so.

gen -f lavfi -i "testsrc2=size=320x180:rate=25:duration=3" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params keyint=25:bframes=2 \
  -c:a aac upright.mp4
# FFmpeg 6.0 and later set the matrix with -display_rotation; 5.1's MP4
# muxer takes the "rotate" tag.
help=$(ffmpeg -hide_banner -h full 2>/dev/null || true)
if [[ "$help" == *-display_rotation* ]]; then
  gen -display_rotation 90 -i upright.mp4 -c copy -map 0 rot.mp4
else
  gen -i upright.mp4 -c copy -map 0 -metadata:s:v:0 rotate=90 rot.mp4
fi
rotation=$(probe rot.mp4 -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 |
  awk 'NF && !n++')
[[ "$rotation" == 90 || "$rotation" == -90 ]] ||
  fail "generator: rot.mp4 has no display matrix (rotation '$rotation')"

# dims FILE: WIDTHxHEIGHT of v:0 (side data kept out of the answer).
dims() {
  probe "$1" -select_streams v:0 -show_entries stream=width,height -of default=nw=1:nk=1 |
    head -2 | paste -sd x
}

# Matroska: turned upright, the frames those ffmpeg decodes.
err=$(vtpool encode rot.mp4 -o rot.mkv -c ffv1 -j 2 --segment 1 -v --progress none 2>&1) ||
  fail "vtpool encode rot.mp4 -o rot.mkv failed: $err"
[[ "$err" == *"frames are turned upright (transpose="* ]] || fail "-v did not say the frames are turned: $err"
assert_eq "$(dims rot.mkv)" 180x320 "rot.mkv size"
want=$(frame_md5s rot.mp4)
got=$(frame_md5s rot.mkv)
[[ -n "$want" && "$want" == "$got" ]] || fail "rot.mkv's frames are not ffmpeg's upright frames"
assert_same_frame_times rot.mp4 rot.mkv
assert_same_audio rot.mp4 rot.mkv

# MP4: the matrix kept, the frames as stored.
run_vtpool encode rot.mp4 -o rot-out.mp4 -c libx264 --preset veryfast -j 2 --segment 1 \
  --progress none
assert_eq "$(dims rot-out.mp4)" 320x180 "rot-out.mp4 size"
out_rotation=$(probe rot-out.mp4 -select_streams v:0 -show_entries stream_side_data=rotation \
  -of csv=p=0 | awk 'NF && !n++')
assert_eq "$out_rotation" "$rotation" "rot-out.mp4 rotation"
assert_same_frame_times rot.mp4 rot-out.mp4
