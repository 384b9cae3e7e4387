# shellcheck shell=bash
# `vtpool serve` survives hostile traffic on both of its endpoints (worker
# --listen and client --control; ROUTER sockets). With a service and one
# worker running, tools/hostile_zmq.py (pyzmq, fixed seed) sends from DEALER
# sockets: 500 random single frames (0..4096 bytes) and 50 multipart
# messages to each endpoint, frames with a valid "VTP1" header of each type
# followed by garbage (also from a peer that said READY, so that they reach
# the RESULT parser), READYs with absurd thread counts, forged RESULTs for
# jobs that do not exist, malformed JSON requests, and oversized messages
# (64 MiB and 16 MiB + 1 byte on the control endpoint, over its 16 MiB cap;
# 8 MiB on the worker endpoint). Every control request under the cap gets
# exactly one answer, a refusal. Then:
#  - the service is alive, `vtpool list` answers, the worker is still there;
#  - a normal job completes frame-exact while a rogue peer keeps sending
#    forged RESULTs for the segments of that job, which it was never given;
#  - a peer that says READY with 4096 threads and then stays silent is
#    given segments, but they go to the real worker after the liveness
#    time: a second job completes frame-exact. The same with a silent peer
#    whose READY says it sends no heartbeats (as in-process threads do):
#    the service must not let such a network peer hold segments forever;
#  - SIGTERM ends everything within 15 s with no sanitizer report.
# A wrong control answer or a stuck job is noted and the case goes on; it
# fails at the end with what it noted (a dead service fails it at once).
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
: "${VTP_HOSTILE_SEED:=4242}"

PY=$(pyzmq_python)

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 4 1
svc_make_input "$PWD/in/b.mkv" 4 2
svc_make_input "$PWD/in/c.mkv" 4 3

svc_start
svc_worker w1
W1=$SVC_LAST_PID
svc_until 15 "the worker to join" svc_joined_at_least 1

# Failures that do not stop the service are collected, so that one wrong
# answer does not hide the rest; the case fails with them at the end.
later=()
defer() {
  later+=("$*")
  log "FAILED (reported at the end): $*"
}

# ---- the abuse ----
log "hostile_zmq.py abuse (seed $VTP_HOSTILE_SEED)"
rc=0
timeout -k 5 180 "$PY" "$tools/hostile_zmq.py" abuse --listen "$SVC_LISTEN" --control "$SVC_CONTROL" \
  --seed "$VTP_HOSTILE_SEED" >abuse.out 2>abuse.err || rc=$?
if ! svc_running "$SVC_PID"; then
  # Where it crashed: the sanitizer's or libc's words, and vtpool's frames.
  why=$(grep -m1 -E 'ERROR: |runtime error|free\(\)|malloc\(\)|corrupted|Segmentation|Aborted' "$SVC_LOG" || true)
  frames=$(grep -E '^ +#[0-9]+ .* in vtp_|^ +#[0-9]+ .* in [a-z_]+ /' "$SVC_LOG" | grep -v sanitizer |
    head -n 4 | sed 's/^ *//; s/0x[0-9a-f]* in //' | tr '\n' ';' || true)
  fail "the service died during the abuse (${why:-no message}; ${frames:-no stack}); hostile_zmq.py: $(_oneline abuse.err)"
fi
log "$(cat abuse.out)"
if ((rc != 0)); then
  [[ -s abuse.out ]] || fail "hostile_zmq.py abuse exited $rc before the end: $(_oneline abuse.err)"
  while IFS= read -r line; do
    defer "${line#hostile_zmq.py: }"
  done <abuse.err
  ((${#later[@]} > 0)) || defer "hostile_zmq.py abuse exited $rc"
fi
log "service log after the abuse: $(grep -v '^vtpool: serving' "$SVC_LOG" | sed 's/[0-9][0-9]*/N/g' |
  sort | uniq -c | sort -rn | head -n 6 | tr -s ' ' | tr '\n' ';')"

svc_running "$W1" || fail "worker w1 exited during the abuse: $(svc_tail w1.log)"
list=$(svc_client list) || fail "vtpool list does not answer after the abuse"
log "vtpool list after the abuse: ${list:-<no jobs>}"
assert_eq "$(svc_jobs | grep -c . || true)" 0 "jobs queued by the abuse"

# ---- a normal job, with forged RESULTs for it flying around ----
joined=$(svc_joined)
svc_spawn forge "$PY" "$tools/hostile_zmq.py" forge --listen "$SVC_LISTEN" --jobs 1,2,3,4 \
  --seconds 120 --seed "$VTP_HOSTILE_SEED"
FORGE=$SVC_LAST_PID
svc_until 15 "the forging peer to join" svc_joined_at_least $((joined + 1))
ida=$(svc_submit "$PWD/in/a.mkv" -o "$PWD/out/a.mkv" -c ffv1 --segment 1 "${SVC_SLOW[@]}")
svc_wait "$ida" 0 60
svc_running "$FORGE" || fail "the forging peer exited early: $(svc_tail forge.log)"
kill -TERM "$FORGE" 2>/dev/null || true
wait "$FORGE" 2>/dev/null || true
log "$(tail -n1 forge.log)"
svc_check_output "$PWD/in/a.mkv" "$PWD/out/a.mkv"
_check_no_temp "$PWD/out" "job $ida"

svc_alive
svc_running "$W1" || fail "worker w1 exited: $(svc_tail w1.log)"
svc_client list >/dev/null || fail "vtpool list does not answer after job $ida"

# ---- silent peers that claim many threads ----
# silent_job NAME HEARTBEAT INPUT: a peer says READY with 4096 threads and
# the heartbeat flag HEARTBEAT, stays connected and silent; a job must
# still complete within 40 s, frame-exact.
silent_job() {
  local name=$1 hb=$2 in=$3 id pid rc=0
  svc_spawn "$name" "$PY" "$tools/hostile_zmq.py" ready --listen "$SVC_LISTEN" --threads 4096 \
    --heartbeat "$hb" --seconds 90
  pid=$SVC_LAST_PID
  sleep 1
  id=$(svc_submit "$PWD/in/$in.mkv" -o "$PWD/out/$in.mkv" -c ffv1 --segment 1)
  log "job $id runs with a silent peer (READY: 4096 threads, heartbeat flag $hb) connected"
  timeout -k 5 60 "$VTPOOL" wait "$id" --server "$SVC_CONTROL" --timeout 40 >/dev/null 2>wait.err || rc=$?
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  log "$name: $(tail -n1 "$name.log")"
  if ((rc != 0)); then
    defer "job $id, with a connected silent peer whose READY said 4096 threads and heartbeat flag $hb:" \
      "vtpool wait exited $rc ($(_oneline wait.err)); state: $(svc_field "$id" state)," \
      "$(svc_field "$id" segments) of 4 segments done"
    return 0
  fi
  svc_check_output "$PWD/in/$in.mkv" "$PWD/out/$in.mkv"
}
silent_job silent1 1 b
silent_job silent0 0 c

svc_alive
svc_running "$W1" || fail "worker w1 exited: $(svc_tail w1.log)"
svc_client list >/dev/null || fail "vtpool list does not answer at the end"
svc_finish
if ((${#later[@]} > 0)); then
  msg=${later[0]}
  ((${#later[@]} == 1)) || msg="${#later[@]} problems; first: $msg; last: ${later[-1]}"
  fail "$msg"
fi
