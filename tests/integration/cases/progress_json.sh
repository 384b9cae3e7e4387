# shellcheck shell=bash
# --progress json writes JSON objects, one per line, on stdout;
# --progress none keeps both stdout and stderr empty.

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
  -map 0:v -map 1:a -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 \
  -c:a aac -b:a 64k in.mp4

log "vtpool encode in.mp4 -o out.mkv -c libx264 -j 2 --segment 1 --progress json"
rc=0
vtpool encode in.mp4 -o out.mkv -c libx264 --preset ultrafast -j 2 --segment 1 --progress json \
  >json.out 2>json.err || rc=$?
((rc == 0)) || fail "--progress json exited $rc: $(_oneline json.err)"
[[ -s json.out ]] || fail "--progress json printed nothing on stdout"
err=$(python3 -c '
import json, sys
lines = [l for l in sys.stdin.read().splitlines() if l.strip()]
objs = []
for i, l in enumerate(lines):
    try:
        objs.append(json.loads(l))
    except ValueError as e:
        print("line %d is not JSON: %r (%s)" % (i + 1, l[:200], e))
        sys.exit(1)
if not any(isinstance(o, dict) and "frames" in o for o in objs):
    print("no line has a \"frames\" key: %r" % lines[-1][:200])
    sys.exit(1)
' <json.out) || fail "--progress json: $err"
log "--progress json: $(wc -l <json.out) lines, last: $(tail -n1 json.out)"
assert_eq "$(count_frames out.mkv)" 100 "frames in out.mkv"

log "vtpool encode in.mp4 -o out2.mkv -c libx264 --progress none"
rc=0
vtpool encode in.mp4 -o out2.mkv -c libx264 --preset ultrafast -j 2 --segment 1 --progress none \
  >none.out 2>none.err || rc=$?
((rc == 0)) || fail "--progress none exited $rc: $(_oneline none.err)"
[[ ! -s none.out ]] || fail "--progress none printed on stdout: $(_oneline none.out)"
[[ ! -s none.err ]] || fail "--progress none printed on stderr: $(_oneline none.err)"
assert_eq "$(count_frames out2.mkv)" 100 "frames in out2.mkv"

# Progress moves while the first segment is still being encoded: workers
# report the frames they have encoded (one segment here, and a slow preset).
gen -f lavfi -i "testsrc2=size=640x360:rate=25:duration=4" -c:v libx264 -preset veryfast \
  -pix_fmt yuv420p -g 100 one.mp4
log "vtpool encode one.mp4 -o one.mkv -c libx264 --preset veryslow -j 1 --segment 100 --progress json"
rc=0
vtpool encode one.mp4 -o one.mkv -c libx264 --preset veryslow -j 1 --segment 100 --progress json \
  >one.out 2>one.err || rc=$?
((rc == 0)) || fail "one segment: exited $rc: $(_oneline one.err)"
err=$(python3 -c '
import json, sys
objs = [json.loads(l) for l in sys.stdin.read().splitlines() if l.strip()]
early = [o for o in objs if o["segments"] == 0 and o["frames"] > 0 and 0 < o["percent"] < 100]
if not early:
    print("no line shows frames before the first segment is done: %r" % objs[:3])
    sys.exit(1)
frames = [o["frames"] for o in objs]
if frames != sorted(frames) or frames[-1] != 100:
    print("frames should rise to 100: %r" % frames)
    sys.exit(1)
print(len(early))
' <one.out) || fail "progress of one segment: $err"
log "progress of one segment: $err lines before it was done"
