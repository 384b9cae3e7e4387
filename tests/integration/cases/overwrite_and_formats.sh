# shellcheck shell=bash
# -y replaces an existing output; every supported container is written and
# reads back with all the frames. WebM cannot hold AAC, so the audio is
# re-encoded to Opus or Vorbis there.

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=3" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=3" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 -bf 2 \
  -c:a aac -b:a 64k in.mp4
frames=$(count_frames in.mp4)
assert_eq "$frames" 75 "generator: frames in input"

# -y replaces an existing file.
printf 'old content\n' >out.mkv
run_vtpool encode in.mp4 -o out.mkv -c libx264 --preset ultrafast -y --progress none
assert_eq "$(count_frames out.mkv)" "$frames" "frames in out.mkv after -y"
assert_eq "$(stream_field out.mkv a:0 codec_name)" aac "audio codec of out.mkv"

for ext in mp4 mov ts; do
  run_vtpool encode in.mp4 -o "out.$ext" -c libx264 --preset ultrafast -j 2 --segment 1 --progress none
  assert_eq "$(count_frames "out.$ext")" "$frames" "frames in out.$ext"
  assert_eq "$(stream_field "out.$ext" v:0 codec_name)" h264 "video codec of out.$ext"
  assert_eq "$(stream_field "out.$ext" a:0 codec_name)" aac "audio codec of out.$ext"
done

run_vtpool encode in.mp4 -o out.webm -c libvpx-vp9 -x deadline=realtime -x cpu-used=8 -j 2 --segment 1 --progress none
assert_eq "$(count_frames out.webm)" "$frames" "frames in out.webm"
assert_eq "$(stream_field out.webm v:0 codec_name)" vp9 "video codec of out.webm"
acodec=$(stream_field out.webm a:0 codec_name)
[[ "$acodec" == opus || "$acodec" == vorbis ]] || fail "audio codec of out.webm is '$acodec', expected opus or vorbis"
