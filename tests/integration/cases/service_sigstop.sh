# shellcheck shell=bash
# A worker that stops answering (SIGSTOP) loses its segment to the other
# worker: with --heartbeat 200 --liveness 3 the service declares it dead in
# well under a second, and the job finishes frame-exact while the stopped
# worker is still stopped. After SIGCONT the stopped worker rejoins by
# itself, and with the other worker gone it alone completes a second job.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

HB=(--heartbeat 200 --liveness 3)
mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 12 1
svc_make_input "$PWD/in/b.mkv" 6 2

svc_start "${HB[@]}"
svc_worker w1 "${HB[@]}"
W1=$SVC_LAST_PID
svc_worker w2 "${HB[@]}"
W2=$SVC_LAST_PID
svc_until 15 "two workers to join" svc_joined_at_least 2

id=$(svc_submit "$PWD/in/a.mkv" -o "$PWD/out/a.mkv" -c ffv1 --segment 1 "${SVC_SLOW[@]}")
started() {
  local st seg
  read -r st seg < <(svc_job "$id") || return 1
  [[ "$st" == running && "$seg" -ge 1 ]]
}
svc_until 30 "job $id to have a segment done" started

# Both workers hold a segment while the job has more to send (-j 1 each).
kill -STOP "$W1"
t_stop=$(date +%s%N)
log "SIGSTOP w1 (pid $W1) with job $id at: $(svc_job "$id")"
[[ "$(svc_state "$W1")" == T ]] || fail "w1 is not stopped: state $(svc_state "$W1")"

log_has() {
  grep -q "$1" "$SVC_LOG"
}
svc_until 10 "the service to declare w1 dead" log_has 'stopped answering'
dead_ms=$((($(date +%s%N) - t_stop) / 1000000))
((dead_ms < 3000)) || fail "the service took $dead_ms ms to notice a stopped worker (heartbeat 200 ms, liveness 3)"
# The segment is put back right after the worker is buried; the two lines
# are separate writes, so the second may land a moment after the first.
resent() {
  grep -q "job $id segment [0-9]*: .*sending it again" "$SVC_LOG"
}
svc_until 5 "the stopped worker's segment to be sent again" resent
log "declared dead after about $dead_ms ms: $(grep -m1 'sending it again' "$SVC_LOG")"

svc_wait "$id" 0 60
[[ "$(svc_state "$W1")" == T ]] || fail "w1 is no longer stopped (state $(svc_state "$W1")) when the job ended"
svc_check_output "$PWD/in/a.mkv" "$PWD/out/a.mkv"

# Resume w1, remove w2: the next job can only be done by w1, which must
# rejoin by itself.
before=$(svc_joined)
kill -CONT "$W1"
log "SIGCONT w1; SIGKILL w2 (pid $W2)"
kill -9 "$W2"
wait "$W2" 2>/dev/null || true
svc_until 15 "w1 to rejoin after SIGCONT" svc_joined_at_least $((before + 1))
svc_running "$W1" || fail "w1 exited after SIGCONT: $(svc_tail w1.log)"

id2=$(svc_submit "$PWD/in/b.mkv" -o "$PWD/out/b.mkv" -c ffv1 --segment 1)
svc_wait "$id2" 0 60
svc_check_output "$PWD/in/b.mkv" "$PWD/out/b.mkv"
assert_eq "$(svc_field "$id" state)" "done" "state of job $id"
svc_finish
