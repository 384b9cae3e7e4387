# shellcheck shell=bash
# Chapters, the title tag and a subtitle stream are carried over into the output.

cat >meta.txt <<'META'
;FFMETADATA1
title=vtpool chapter test

[CHAPTER]
TIMEBASE=1/1000
START=0
END=2000
title=First part

[CHAPTER]
TIMEBASE=1/1000
START=2000
END=4000
title=Second part
META

cat >subs.srt <<'SRT'
1
00:00:00,500 --> 00:00:01,500
Hello

2
00:00:02,500 --> 00:00:03,500
World
SRT

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
  -i subs.srt -i meta.txt \
  -map 0:v -map 1:a -map 2:s -map_metadata 3 -map_chapters 3 \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 \
  -c:a flac -c:s subrip in.mkv

chapters() {
  ffprobe -v error -show_chapters -of csv=p=0 "$1" | grep -c . || true
}
title() {
  ffprobe -v error -show_entries format_tags=title -of csv=p=0 "$1"
}
assert_eq "$(chapters in.mkv)" 2 "generator: chapters in input"
assert_eq "$(title in.mkv)" "vtpool chapter test" "generator: title of input"
assert_eq "$(stream_field in.mkv s:0 codec_name)" subrip "generator: subtitle codec of input"

run_vtpool encode in.mkv -o out.mkv -c libx264 --preset ultrafast -j 2 --segment 1 --progress none
assert_eq "$(chapters out.mkv)" 2 "chapters in output"
assert_eq "$(title out.mkv)" "vtpool chapter test" "title of output"
[[ -n "$(stream_field out.mkv s:0 codec_name)" ]] || fail "output has no subtitle stream"
assert_eq "$(count_frames out.mkv)" 100 "frames in output"
