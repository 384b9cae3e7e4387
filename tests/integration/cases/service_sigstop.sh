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
svc_worker w1 "${HB[@]}" -v     # -vv: it logs each segment it takes and answers
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

# w1 is stopped while it holds a segment. Its last line for the job says
# whether it does: "encoding" is written when a segment arrives, "sending
# the result" before the result leaves. Read once w1 is stopped, the line is
# final; when it is not "encoding", w1 is let go and tried again. (When the
# service reads faster than the workers encode, w1 can be between
# segments, and then it has nothing to lose.)
holds_segment() {
  local last
  last=$(grep "worker: job $id segment" "$PWD/w1.log" | tail -n 1)
  [[ "$last" == *": encoding" ]]
}
w1_stopped() {
  [[ "$(svc_state "$W1")" == T ]]
}
stop_w1_holding() {
  holds_segment || return 1
  kill -STOP "$W1"
  svc_until 5 "w1 to stop" w1_stopped
  holds_segment && return 0
  kill -CONT "$W1"
  return 1
}
svc_until 30 "w1 to be stopped while it holds a segment" stop_w1_holding
t_stop=$(date +%s%N)
held=$(grep "worker: job $id segment" "$PWD/w1.log" | tail -n 1 | sed 's/.*segment \([0-9]*\): .*/\1/')
log "SIGSTOP w1 (pid $W1) with job $id at $(svc_job "$id"), holding segment $held"

log_has() {
  grep -q "$1" "$SVC_LOG"
}
svc_until 10 "the service to declare w1 dead" log_has 'stopped answering'
dead_ms=$((($(date +%s%N) - t_stop) / 1000000))
((dead_ms < 3000)) || fail "the service took $dead_ms ms to notice a stopped worker (heartbeat 200 ms, liveness 3)"
# The segment is put back right after the worker is buried; the two lines
# are separate writes, so the second may land a moment after the first.
resent() {
  grep -q "job $id segment $held: .*sending it again" "$SVC_LOG"
}
svc_until 5 "segment $held, held by the stopped worker, to be sent again" resent
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
