# shellcheck shell=bash
# Many workers, oversubscribed on a small machine, on a single-keyframe
# 1080p input: the dispatcher decodes the input itself (no keyframe to cut
# at) and sends raw frames (37 MB a segment), and neither may keep
# heartbeats from either side. `serve -j 8` (one worker process of 8
# threads, the default heartbeats: a peer silent for 3 s is dead) and
# `encode -j 16` both finish frame-exact, and nothing is sent twice: no
# worker is declared dead or unreachable, no worker finds the dispatcher
# silent, no segment is sent again. (BENCHMARKS.md, "Heartbeats with many
# workers", has the same serve run with a 1 s liveness on a quiet machine:
# no loss, against 7 to 10 a run when the dispatcher decoded on its own
# thread. The case keeps the default so that a loaded machine, running
# other cases beside it, cannot fail it.)
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

SECONDS_IN=16
gen -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=$SECONDS_IN" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$SECONDS_IN" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -x264-params keyint=infinite:scenecut=0 \
  -c:a flac in.mkv
assert_eq "$(keyframe_times in.mkv | wc -l)" 1 "generator: keyframes in the input"

sent_twice() {
  grep -E 'stopped answering|could not be reached|dispatcher silent|sending it again|failed [0-9]+ times' "$1" || true
}

# serve: the 8 threads join at once and all want a segment.
svc_start -j 8
id=$(svc_submit "$PWD/in.mkv" -o "$PWD/serve.mkv" -c ffv1 --segment 0.5)
svc_wait "$id" 0 300
again=$(sent_twice "$SVC_LOG")
[[ -z "$again" ]] || fail "serve -j 8 sent segments twice: $(tr '\n' ';' <<<"$again" | head -c 600)"
log "serve -j 8: $(grep -c 'worker joined' "$SVC_LOG") worker joined, nothing sent twice"
assert_same_frames in.mkv serve.mkv
assert_same_audio in.mkv serve.mkv
svc_finish

# encode: 16 worker threads in the process.
rc=0
vtpool encode in.mkv -o encode.mkv -c ffv1 -j 16 --segment 0.5 --progress none -v 2>encode.log ||
  rc=$?
((rc == 0)) || fail "vtpool encode -j 16 exited $rc: $(svc_tail encode.log)"
again=$(sent_twice encode.log)
[[ -z "$again" ]] || fail "encode -j 16 sent segments twice: $(tr '\n' ';' <<<"$again" | head -c 600)"
assert_same_frames in.mkv encode.mkv
assert_same_audio in.mkv encode.mkv
