# shellcheck shell=bash
# An adaptive-bitrate ladder: each segment decoded once and encoded at every
# size, packaged as CMAF with HLS or DASH playlists, read back by FFmpeg's
# own HLS and DASH readers.
#  - A lossless first rung (x264 qp=0 at the input's size): every frame of
#    the input, bit for bit, through the master playlist's first variant.
#  - Every rendition has every frame at its size, keyframes at the same
#    times, which are where the media playlists' segments start.
#  - The audio: every AAC packet of the input, copied.
#  - The playlists say what RFC 8216 and the DASH profile ask.
#  - Refusals before any work, and a ladder that fails midway leaves
#    nothing behind.
#  - --live-playlist: an EVENT playlist is there while the rest encodes.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -c:v libx264 -preset veryfast -g 25 -bf 2 -c:a aac -shortest in.mp4
frames=$(count_frames in.mp4)
apkts=$(probe in.mp4 -select_streams a:0 -count_packets -show_entries stream=nb_read_packets \
  -of csv=p=0)

# The second rung with x264's default preset (B-frames: decode times before
# the first frame, which the shared shift keeps from going negative).
rungs=(--rendition 320x240,qp=0,preset=ultrafast --rendition 160x-2,crf=30)

mkdir hls
run_vtpool encode in.mp4 -o hls/master.m3u8 "${rungs[@]}" -j 2 --segment 2 --progress none
for f in hls/master.m3u8 hls/320x240/index.m3u8 hls/160x120/index.m3u8 hls/audio/index.m3u8 \
  hls/320x240/init.mp4 hls/audio/init.mp4; do
  assert_file "$f"
done
master=$(cat hls/master.m3u8)
for want in '#EXT-X-INDEPENDENT-SEGMENTS' 'RESOLUTION=320x240' 'RESOLUTION=160x120' \
  'CODECS="avc1.' ',mp4a.40.2"' 'AVERAGE-BANDWIDTH=' 'FRAME-RATE=25.000' 'AUDIO="audio"' \
  'TYPE=AUDIO,GROUP-ID="audio"'; do
  [[ "$master" == *"$want"* ]] || fail "master playlist lacks $want: $master"
done
for t in 320x240 160x120 audio; do
  m=$(cat "hls/$t/index.m3u8")
  for want in '#EXT-X-VERSION:7' '#EXT-X-MAP:URI="init.mp4"' '#EXT-X-PLAYLIST-TYPE:VOD' \
    '#EXT-X-ENDLIST'; do
    [[ "$m" == *"$want"* ]] || fail "$t/index.m3u8 lacks $want"
  done
  # Every segment listed exists; the target duration covers the longest.
  awk -v t="$t" '
    /^#EXT-X-TARGETDURATION:/ { split($0, a, ":"); target = a[2] }
    /^#EXTINF:/ { split($0, a, "[:,]"); d = a[2] + 0; if (int(d + 0.5) > target) bad = 1 }
    END { exit bad }' "hls/$t/index.m3u8" || fail "$t: a segment is longer than the target"
  while read -r seg; do
    assert_file "hls/$t/$seg"
  done < <(grep -v '^#' "hls/$t/index.m3u8")
done
[[ -z "$(find hls -name '*.tmp*' -o -name '.*vtpool*')" ]] || fail "temporary files left in hls/"

# The first variant is the input, frame for frame (its media playlist holds
# the video alone: times from the first frame).
VTP_TIME_REF=first assert_same_frames in.mp4 hls/320x240/index.m3u8
# Audio and video in step: through the master playlist, the first audio
# packet (AAC priming) comes as far before the first frame as in the input,
# within a millisecond.
starts() {
  for s in v:0 a:0; do
    probe "$1" -select_streams "$s" -show_entries packet=pts_time -of csv=p=0 |
      awk -F, '$1 != "" { print $1 }' | sort -g | awk 'NR == 1'
  done | awk 'NR == 1 { v = $1 } NR == 2 { printf "%.6f\n", v - $1 }'
}
lead_in=$(starts in.mp4)
lead_out=$(starts hls/master.m3u8)
awk -v a="$lead_in" -v b="$lead_out" 'BEGIN { d = a - b; exit !(d < 0.001 && d > -0.001) }' ||
  fail "audio against video: $lead_in s in the input, $lead_out s in the ladder"
assert_eq "$(count_frames hls/160x120/index.m3u8)" "$frames" "160x120 frames"
assert_eq "$(stream_field hls/160x120/index.m3u8 v:0 width),$(stream_field hls/160x120/index.m3u8 v:0 height)" \
  "160,120" "second rung's size"
# Keyframes: at the same times in both, one at each segment's start.
k1=$(keyframe_times hls/320x240/index.m3u8)
k2=$(keyframe_times hls/160x120/index.m3u8)
[[ "$k1" == "$k2" ]] || fail "keyframes differ between renditions: $k1 | $k2"
starts=$(awk -v s="$(head -n1 <<<"$k1")" '/^#EXTINF:/ { split($0, a, "[:,]"); printf "%.3f\n", s + t; t += a[2] }' \
  hls/320x240/index.m3u8)
while read -r s; do
  grep -qx "$(printf '%.3f' "$s")" < <(while read -r k; do printf '%.3f\n' "$k"; done <<<"$k1") ||
    fail "no keyframe at the segment start $s (keyframes: $k1)"
done <<<"$starts"
# The audio, copied: every packet.
got=$(probe hls/audio/index.m3u8 -select_streams a:0 -count_packets \
  -show_entries stream=nb_read_packets -of csv=p=0 | awk 'NR == 1')
assert_eq "$got" "$apkts" "audio packets"
assert_same_audio in.mp4 hls/audio/index.m3u8

# DASH: the same through FFmpeg's DASH reader (absolute path: FFmpeg 5.1's
# reader resolves a relative one wrongly). Missing directories are made.
run_vtpool encode in.mp4 -o deep/er/manifest.mpd "${rungs[@]}" -j 2 --segment 2 --progress none
mv deep/er dash
mpd=$(cat dash/manifest.mpd)
for want in 'contentType="video"' 'contentType="audio"' '<SegmentTimeline>' 'codecs="avc1.' \
  'codecs="mp4a.40.2"' 'width="160" height="120"' 'startWithSAP="1"'; do
  [[ "$mpd" == *"$want"* ]] || fail "MPD lacks $want"
done
[[ ! -e dash/320x240/index.m3u8 ]] || fail "DASH output has HLS playlists"
for i in 0 1; do
  n=$(probe "$PWD/dash/manifest.mpd" -select_streams "v:$i" -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 | awk 'NR == 1')
  assert_eq "$n" "$frames" "DASH rendition $i frames"
done
a=$(frame_sums in.mp4 | awk '{ print $2 }')
b=$(ffmpeg -v error -i "$PWD/dash/manifest.mpd" -map 0:v:0 -f framemd5 - | awk -F, '!/^#/ { gsub(/ /, "", $6); print $6 }')
[[ "$a" == "$b" ]] || fail "DASH lossless rendition differs from the input"

# Refusals, before any work: exit 2, nothing written.
mkdir bad
assert_fails 2 bad/master.m3u8 vtpool encode in.mp4 -o bad/master.m3u8 --progress none
assert_fails 2 bad/out.mp4 vtpool encode in.mp4 -o bad/out.mp4 --rendition 160x120 --progress none
assert_fails 2 bad/m.mpd vtpool encode in.mp4 -o bad/m.mpd --rendition 160x120 --live-playlist \
  --progress none
assert_fails 2 bad/master.m3u8 vtpool encode in.mp4 -o bad/master.m3u8 --rendition 160x120 \
  -c ffv1 --progress none
assert_fails 2 bad/master.m3u8 vtpool encode in.mp4 -o bad/master.m3u8 --rendition 0x120 \
  --progress none
assert_fails 2 bad/master.m3u8 vtpool encode in.mp4 -o bad/master.m3u8 --rendition 160x120 \
  --audio libopus --progress none
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -c:v libx264 -preset ultrafast -c:a flac flac.mkv
assert_fails 2 bad/master.m3u8 vtpool encode flac.mkv -o bad/master.m3u8 --rendition 160x120 \
  --audio copy --progress none
[[ -z "$(ls -A bad)" ]] || fail "refused ladders left files: $(ls -A bad)"
# An existing ladder is not written over without -y; with it, no segment of
# the former one is left.
assert_fails_keeps 4 hls/master.m3u8 vtpool encode in.mp4 -o hls/master.m3u8 "${rungs[@]}" \
  --progress none
run_vtpool encode in.mp4 -o hls/master.m3u8 "${rungs[@]}" -j 2 --segment 4 -y --progress none
n=$(grep -c '^seg-' hls/320x240/index.m3u8)
assert_eq "$(find hls/320x240 -name 'seg-*.m4s' | wc -l)" "$n" "segment files after -y"

# A ladder that fails midway (the input is damaged at 70%, after some of
# its segments and playlists are written) leaves nothing: no playlist, no
# track, not the directories it made.
gen -i in.mp4 -c copy -f mpegts in.ts
cp in.ts damaged.ts
python3 - damaged.ts <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "r+b") as f:
    f.seek(0, 2)
    size = f.tell()
    for k in range(40):
        f.seek(int(size * 0.7) + k * 188 * 3 + 4)
        f.write(bytes(random.randrange(256) for _ in range(150)))
PY
mkdir broken
rc=0
vtpool encode damaged.ts -o broken/made/here/master.m3u8 "${rungs[@]}" -j 2 --segment 1 --live-playlist \
  --progress none -vvv 2>broken.err || rc=$?
((rc == 3)) || fail "damaged input: exit $rc, expected 3: $(grep '^vtpool' broken.err | tail -n1)"
grep -q 'ladder: segment 0 written' broken.err || fail "the damaged ladder wrote no segment first"
[[ -z "$(ls -A broken)" ]] || fail "failed ladder left: $(find broken | head | tr '\n' ' ')"
# The same input whole, from MPEG-TS (ADTS audio, unpacked for MP4).
mkdir ts
run_vtpool encode in.ts -o ts/master.m3u8 "${rungs[@]}" -j 2 --segment 1 --progress none
VTP_TIME_REF=first assert_same_frames in.mp4 ts/320x240/index.m3u8
assert_same_audio in.mp4 ts/audio/index.m3u8

# Interlaced input (MPEG-2, top field first, 720x576 at 16:15, 4:3 on screen): deinterlaced,
# every frame there, progressive, square pixels at the display aspect.
gen -f lavfi -i "testsrc2=size=720x576:rate=25:duration=3" -vf "setfield=tff,setsar=16/15" \
  -flags +ildct+ilme -c:v mpeg2video -q:v 3 -g 12 tff.ts
mkdir tff
err=$(vtpool encode tff.ts -o tff/master.m3u8 --rendition 640x-2 -j 2 --segment 1 -v \
  --progress none 2>&1) || fail "interlaced ladder failed: $err"
[[ "$err" == *"a ladder's renditions are deinterlaced"* ]] || fail "-v did not say it deinterlaces: $err"
assert_eq "$(count_frames tff/640x480/index.m3u8)" "$(count_frames tff.ts)" "interlaced ladder frames"
inter=$(probe tff/640x480/index.m3u8 -select_streams v:0 -show_entries frame=interlaced_frame \
  -of csv=p=0 | awk -F, '$1 != "" && $1 != 0' | wc -l)
assert_eq "$inter" 0 "interlaced frames in the ladder"

# --live-playlist: while it encodes, the master and EVENT media playlists
# are there, listing only finished segments; at the end they are VOD.
gen -f lavfi -i "testsrc2=size=640x360:rate=25:duration=40" -c:v libx264 -preset ultrafast \
  -g 25 long.mp4
mkdir live
vtpool encode long.mp4 -o live/master.m3u8 --rendition 640x360 --rendition 320x-2 -j 1 \
  --segment 1 --preset medium --live-playlist --progress none 2>live.err &
pid=$!
seen=''
while kill -0 "$pid" 2>/dev/null; do
  if [[ -s live/master.m3u8 && -s live/640x360/index.m3u8 ]]; then
    cp live/640x360/index.m3u8 early.m3u8
    kill -0 "$pid" 2>/dev/null && seen=1
    break
  fi
  sleep 0.05
done
wait "$pid" || fail "live ladder failed: $(_oneline live.err)"
[[ -n "$seen" ]] || fail "no playlist appeared while the live ladder encoded"
grep -q '#EXT-X-PLAYLIST-TYPE:EVENT' early.m3u8 || fail "early playlist is not EVENT: $(_oneline early.m3u8)"
! grep -q '#EXT-X-ENDLIST' early.m3u8 || fail "early playlist already ended"
grep -q '#EXT-X-PLAYLIST-TYPE:VOD' live/640x360/index.m3u8 || fail "final playlist is not VOD"
assert_eq "$(count_frames live/320x180/index.m3u8)" "$(count_frames long.mp4)" "live ladder frames"
