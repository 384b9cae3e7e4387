# shellcheck shell=bash
# MP4 edit lists, as cutting without re-encoding writes them:
#  - a cut (`ffmpeg -ss 1.3 -t 3 -c copy`): the video decodes from the
#    keyframe before 1.3 s, and the frames before the edit's start are
#    marked to be discarded, as are the audio packets there. vtpool encodes
#    exactly the frames a player shows (ffmpeg's own decode of the file) at
#    their times, and copies only the audio packets that are played, and
#    the one before them, which the decoder needs to start;
#  - a delay (an empty edit: the video starts 1 s after the audio): the
#    video keeps it.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=6" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=6" \
  -c:v libx264 -preset veryfast -g 50 -bf 2 -c:a aac src.mp4
gen -ss 1.3 -t 3 -i src.mp4 -c copy cut.mp4
gen -itsoffset 1 -i src.mp4 -i src.mp4 -map 0:v -map 1:a -c copy delay.mp4

# played_audio FILE: pts_time of the audio packets not marked discard.
# all_audio FILE: pts_time of every audio packet.
played_audio() {
  ffprobe -v error -select_streams a:0 -show_entries packet=pts_time,flags -of csv=p=0 "$1" |
    awk -F, 'NF >= 2 && $2 !~ /D/ { print $1 }'
}
all_audio() {
  ffprobe -v error -select_streams a:0 -show_entries packet=pts_time -of csv=p=0 "$1" |
    sed 's/,$//' | grep -v '^$'
}
discarded=$(ffprobe -v error -select_streams v:0 -show_entries packet=flags -of csv=p=0 cut.mp4 |
  grep -c D || true)
((discarded > 0)) || fail "generator: cut.mp4 has no video packets to discard"

for out in cut.mkv cut-x264.mp4; do
  if [[ "$out" == *.mkv ]]; then
    run_vtpool encode cut.mp4 -o "$out" -c ffv1 -j 2 --segment 0.5 --progress none
    # Frames as ffmpeg shows them: the edit's, not the decoded pre-roll.
    VTP_TIME_REF=absolute assert_same_frames cut.mp4 "$out"
  else
    run_vtpool encode cut.mp4 -o "$out" -c libx264 --preset ultrafast -j 2 --segment 0.5 \
      --progress none
    VTP_TIME_REF=absolute assert_same_frame_times cut.mp4 "$out"
  fi
  # (MP4 marks that one discard again, through its own edit list.)
  assert_eq "$(all_audio "$out" | wc -l)" "$(($(played_audio cut.mp4 | wc -l) + 1))" \
    "audio packets in $out (the played ones of cut.mp4, and one before)"
  first=$(all_audio "$out" | sed -n 1p)
  awk -v t="$first" 'BEGIN { exit !(t > -0.05) }' ||
    fail "$out: audio starts at $first s, more than one packet before the edit's start"
done

run_vtpool encode delay.mp4 -o delay.mkv -c ffv1 -j 2 --segment 0.5 --progress none
VTP_TIME_REF=absolute assert_same_frames delay.mp4 delay.mkv
