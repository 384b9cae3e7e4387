# shellcheck shell=bash
# A ladder plays in a browser: headless Chromium plays the HLS output
# through hls.js and the DASH output through dash.js, each rendition forced
# in turn, to the end: no player error, currentTime reaching the duration,
# the picture at the rendition's size, fragments from that rendition only.
# The one notice allowed is hls.js stepping over the start of the
# timeline, from 0 to the first frame (its bufferSeekOverHole, not fatal):
# the tracks' times are shifted by the encoder's B-frame delay, so that no
# decode time is negative, and a fragment has no edit list to hide the
# shift (DASH's presentationTimeOffset does). The browser decodes at least
# every frame but those the step passes over.

gen -f lavfi -i "testsrc2=size=640x360:rate=25:duration=6" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=6" \
  -c:v libx264 -preset veryfast -g 25 -c:a aac -shortest in.mp4
mkdir site
run_vtpool encode in.mp4 -o site/hls/master.m3u8 --rendition 640x360,crf=26 \
  --rendition 320x-2,crf=30 -j 2 --segment 2 --preset veryfast --progress none
run_vtpool encode in.mp4 -o site/dash/manifest.mpd --rendition 640x360,crf=26 \
  --rendition 320x-2,crf=30 -j 2 --segment 2 --preset veryfast --progress none
duration=$(probe in.mp4 -show_entries format=duration -of csv=p=0)
frames=$(count_frames in.mp4)

# check_play REPORT WIDTH HEIGHT: the report says it played to the end.
check_play() {
  python3 - "$1" "$2" "$3" "$duration" "$frames" <<'PY' || fail "playback: $1"
import json, sys
r = json.loads(sys.argv[1])
w, h, duration, frames = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
fps = 25
level = r["level"]
problems = []
if r.get("fatal"):
    problems.append("player error: %s" % r["fatal"])
def leading_gap(e):
    return (e["details"] == "bufferSeekOverHole" and
            e.get("reason", "").startswith("fragment loaded with buffer holes, seeking from 0 to ") and
            e["buffered"] and e["buffered"][0][0] < 0.2)
others = [e for e in r["errors"] if not leading_gap(e)]
passed = 0
for e in r["errors"]:
    if leading_gap(e):
        to = float(e["reason"].rsplit(" ", 1)[1])
        passed = max(passed, int((to - e["buffered"][0][0]) * fps) + 1)
# (A seek decodes again from the keyframe: more may be counted.)
if r["quality"] < frames - passed:
    problems.append("%d frames decoded of %d (%d stepped over)" % (r["quality"], frames, passed))
if others:
    problems.append("player errors: %s" % others)
if not r.get("ended"):
    problems.append("did not end")
if not (r["currentTime"] >= duration - 0.1 and abs(r["duration"] - duration) < 0.1):
    problems.append("currentTime %s, duration %s, input %s" % (r["currentTime"], r["duration"], duration))
if (r["width"], r["height"]) != (w, h):
    problems.append("picture %dx%d, rendition %dx%d" % (r["width"], r["height"], w, h))
if r["levels"] != [level]:
    problems.append("fragments from renditions %s, forced %d" % (r["levels"], level))
if problems:
    print("; ".join(problems))
    sys.exit(1)
PY
}

for player in hls dash; do
  src=hls/master.m3u8
  [[ $player == dash ]] && src=dash/manifest.mpd
  for size in "640 360" "320 180"; do
    read -r w h <<<"$size"
    report=$(play_ladder site "$player" "$src" "$h") || exit 1
    log "$player ${w}x$h: $report"
    check_play "$report" "$w" "$h"
  done
done
