# shellcheck shell=bash
# Leases have deadlines. A worker that stays alive (it answers heartbeats)
# but loses the segments it takes, saying nothing about them, must not stall
# a job: after --lease-timeout each segment it held goes to another worker
# as one failed attempt, and the job ends "done", frame-exact. Before
# deadlines such a job waited forever. The worker's slot stays taken by
# what it lost, so it is not handed the next segment to lose.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
PY=$(pyzmq_python)

mkdir -p in out
svc_make_input "$PWD/in/in.mkv" 4 1

svc_start --lease-timeout 2
svc_spawn hoard "$PY" "$tools/hostile_zmq.py" hoard --listen "$SVC_LISTEN" --threads 1 --seconds 120
HOARD=$SVC_LAST_PID
svc_until 15 "the hoarding worker to join" svc_joined_at_least 1

id=$(svc_submit "$PWD/in/in.mkv" -o "$PWD/out/out.mkv" -c ffv1 --segment 1)
took() {
  grep -q "took a segment" "$PWD/hoard.log"
}
svc_until 15 "the hoarding worker to take a segment" took
# Now a real worker: it gets the rest, and what the hoarder lost.
svc_worker w1
svc_wait "$id" 0 90
grep -q "said nothing about it for 2 s" "$SVC_LOG" ||
  fail "the service did not say why it sent a segment again: $(svc_tail "$SVC_LOG")"
log "service: $(grep -m2 'said nothing' "$SVC_LOG" | tr '\n' ';')"
assert_same_frames "$PWD/in/in.mkv" "$PWD/out/out.mkv"

# The hoarder's slot stays taken by what it lost: it got nothing more.
kill "$HOARD" 2>/dev/null || true
wait "$HOARD" 2>/dev/null || true
assert_eq "$(grep -c 'took a segment' "$PWD/hoard.log")" 1 "segments the hoarding worker took"
svc_finish
