# shellcheck shell=bash
# MPEG-TS timelines that are not one clean run of timestamps:
#  - 33-bit wrap: a capture that starts 2.4 s before the 90 kHz clock wraps
#    (libavformat unwraps it into negative times before the wrap): every
#    frame, the input's pictures at the input's times (to 1 ms, from the
#    first packet), audio (MP2) copied byte for byte;
#  - two recordings written back to back (`cat a.ts b.ts`, clocks and
#    continuity counters restart): every frame of both, times strictly
#    rising, each recording's times moved by one constant (the second
#    starts where the first ended), audio copied and kept in sync; where the
#    second recording has another pixel format, the output holds ffmpeg's
#    own conversion of it;
#  - TS packets lost in the middle of a recording (a continuity error with
#    no restart) is damage: refused, or dropped and reported with skip.

V="testsrc2=size=320x240:rate=25"
A="sine=frequency=440:sample_rate=48000"

# ---- 33-bit wrap ----
gen -f lavfi -i "$V:duration=8" -f lavfi -i "$A:duration=8" -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -g 25 -bf 2 -c:a mp2 -output_ts_offset 95440 wrap.ts
# The raw clock passes 2^33 inside the clip: libavformat shows the frames
# before the wrap at negative times.
first=$(frame_times wrap.ts | sed -n 1p)
last=$(frame_times wrap.ts | tail -n1)
awk -v a="$first" -v b="$last" 'BEGIN { exit !(a < 0 && b > 0) }' ||
  fail "generator: wrap.ts does not wrap (first frame at $first, last at $last)"
run_vtpool encode wrap.ts -o wrap.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_same_frames wrap.ts wrap.mkv
assert_same_audio wrap.ts wrap.mkv
# Nothing below zero (Matroska cannot hold it): the wrap starts at 0.
origin=$(time_origin wrap.mkv)
awk -v o="$origin" 'BEGIN { exit !(o >= 0 && o < 0.001) }' ||
  fail "wrap.mkv starts at $origin s, not at 0"

# ---- two recordings back to back ----
gen -f lavfi -i "$V:duration=4" -f lavfi -i "$A:duration=4" -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -g 25 -bf 2 -c:a mp2 a.ts
gen -f lavfi -i "testsrc=size=320x240:rate=25:duration=4,format=yuv420p" \
  -f lavfi -i "sine=frequency=880:sample_rate=48000:duration=4" -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -g 25 -bf 2 -c:a mp2 b.ts
cat a.ts b.ts >ab.ts
run_vtpool encode ab.ts -o ab.mkv -c ffv1 -j 2 --segment 1 --progress none
[[ "$(frame_md5s ab.ts)" == "$(frame_md5s ab.mkv)" ]] ||
  fail "ab.mkv: the decoded frames differ from the input's"
assert_eq "$(frame_md5s ab.mkv | wc -l)" 200 "frames of two 4 s recordings"
assert_same_audio ab.ts ab.mkv
na=$(frame_times a.ts | wc -l)
# pkt_times FILE STREAM: pts_time of each packet of STREAM.
# shifts FILE_IN FILE_OUT STREAM: for each packet, output time - input
# time, in ms.
pkt_times() {
  ffprobe -v error -select_streams "$2" -show_entries packet=pts_time -of csv=p=0 "$1" |
    sed 's/,$//' | grep -v '^$'
}
shifts() {
  paste -d' ' <(pkt_times "$1" "$3") <(pkt_times "$2" "$3") | awk '{ printf "%d\n", ($2 - $1) * 1000 + ($2 >= $1 ? 0.5 : -0.5) }'
}
vshift=$(paste -d' ' <(frame_times ab.ts) <(frame_times ab.mkv) |
  awk '{ printf "%d\n", ($2 - $1) * 1000 + ($2 >= $1 ? 0.5 : -0.5) }')
frame_times ab.mkv | awk 'NR > 1 && $1 <= p { print "frame " NR - 1 " at " $1 " after " p; exit 1 }
  { p = $1 }' || fail "ab.mkv: frame times do not rise"
v1=$(head -n "$na" <<<"$vshift" | sort -u)
v2=$(tail -n +"$((na + 1))" <<<"$vshift" | sort -u)
[[ $(wc -l <<<"$v1") == 1 && $(wc -l <<<"$v2") == 1 ]] ||
  fail "each recording's frames should move by one constant: first $(tr '\n' ' ' <<<"$v1"), second $(tr '\n' ' ' <<<"$v2")"
# The second recording follows the first: its frames move by about 4 s.
((v2 - v1 >= 3900 && v2 - v1 <= 4200)) || fail "the second recording moved by $((v2 - v1)) ms"
# Audio keeps its sync with the video in both (within one MP2 frame, 24 ms).
ashift=$(shifts ab.ts ab.mkv a:0 | sort -un)
amin=$(head -n1 <<<"$ashift") amax=$(tail -n1 <<<"$ashift")
((amin >= v1 - 24 && amin <= v1 + 24 && amax >= v2 - 24 && amax <= v2 + 24)) ||
  fail "audio moved by $amin..$amax ms, video by $v1 and $v2 ms"
log "two recordings: video moved by $v1 and $v2 ms, audio by $amin and $amax ms"

# The second recording in 4:4:4: converted as ffmpeg converts it.
gen -f lavfi -i "testsrc=size=320x240:rate=25:duration=4" -f lavfi \
  -i "sine=frequency=880:sample_rate=48000:duration=4" -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv444p -g 25 -bf 2 -c:a mp2 b444.ts
cat a.ts b444.ts >ab444.ts
gen -i ab444.ts -map 0:v -c:v ffv1 -fps_mode passthrough ref444.mkv
run_vtpool encode ab444.ts -o ab444.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_eq "$(stream_field ab444.mkv v:0 pix_fmt)" yuv420p "pixel format of ab444.mkv"
[[ "$(frame_md5s ref444.mkv)" == "$(frame_md5s ab444.mkv)" ]] ||
  fail "ab444.mkv: the frames differ from ffmpeg's own transcode"

# ---- TS packets lost in the middle: damage ----
size=$(stat -c %s a.ts)
cut=$((size / 2 / 188 * 188))
{ head -c "$cut" a.ts; tail -c +"$((cut + 40 * 188 + 1))" a.ts; } >lost.ts
assert_fails 3 lost.mkv vtpool encode lost.ts -o lost.mkv -c ffv1 -j 2 --progress none
err=$(vtpool encode lost.ts -o lost.mkv -c ffv1 -j 2 --on-error skip --progress none 2>&1) ||
  fail "lost.ts with --on-error skip failed: $err"
[[ "$err" == *"dropped (--on-error skip)"* ]] || fail "lost.ts: no report of what was dropped: $err"
n=$(frame_md5s lost.mkv | wc -l)
((n > 0 && n < 100)) || fail "lost.ts with --on-error skip gave $n frames"
