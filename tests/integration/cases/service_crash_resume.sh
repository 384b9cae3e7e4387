# shellcheck shell=bash
# The service survives the SIGKILL of a worker and then its own: three jobs
# on `serve -j 0` with two `worker -j 1`. When the first job has segments
# done, one worker is killed; later, while a job is running with segments
# stored and more to do, the service is killed and started again on the same
# queue and work directory. The surviving worker rejoins by itself, the
# service says it resumes the running jobs, the segments stored before the
# crash are not encoded again, and all three jobs end "done", frame-exact
# with the input's audio.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

NSEG=10     # seconds of input = segments per job
mkdir -p in out
for k in 1 2 3; do
  svc_make_input "$PWD/in/in$k.mkv" "$NSEG" "$k"
done

svc_start
svc_worker w1
W1=$SVC_LAST_PID
svc_worker w2
W2=$SVC_LAST_PID

svc_until 15 "two workers to join" svc_joined_at_least 2

# Jobs 2 and 3 run at the pace of the input (a second a segment), so that
# one of them is seen midway however slowly this machine answers polls.
ids=()
for k in 1 2 3; do
  slow=("${SVC_SLOW[@]}")
  ((k == 1)) || slow=(--vf realtime)
  id=$(svc_submit "$PWD/in/in$k.mkv" -o "$PWD/out/out$k.mkv" -c ffv1 --segment 1 "${slow[@]}")
  ids+=("$id")
done

# 1. The first job has segments done: kill a worker (both hold a segment).
segments_at_least() {
  local st seg
  read -r st seg < <(svc_job "$1") || return 1
  [[ "$st" == running && "$seg" -ge $2 ]]
}
svc_until 30 "job ${ids[0]} to have 2 segments done" segments_at_least "${ids[0]}" 2
log "jobs before killing w1: $(svc_jobs | tr '\n' ';')"
kill -9 "$W1"
wait "$W1" 2>/dev/null || true
log "SIGKILL w1 (pid $W1)"
# The service notices (after --liveness heartbeats, or at once when a send
# to it fails) and sends the segment the dead worker held to the other one.
DEAD='stopped answering\|could not be reached'
log_has() {
  grep -q "$1" "$SVC_LOG"
}
svc_until 15 "the service to notice that w1 died" log_has "$DEAD"
log "service: $(grep -m2 "$DEAD" "$SVC_LOG" | tr '\n' ';')"
base=$(svc_jobs | awk '{ s += $3 } END { print s + 0 }')

# 2. Later: more segments done, and a job running with some of its segments
# stored and at least 4 to go (so it cannot end before the kill lands).
VICTIMS=
ready_to_crash() {
  local snap total
  snap=$(svc_jobs) || return 1
  total=$(awk '{ s += $3 } END { print s + 0 }' <<<"$snap")
  ((total >= base + 2)) || return 1
  VICTIMS=$(awk -v max=$((NSEG - 4)) '$2 == "running" && $3 >= 1 && $3 <= max { print $1 }' <<<"$snap")
  SNAP=$snap
  [[ -n "$VICTIMS" ]]
}
svc_until 60 "a running job with 1..$((NSEG - 4)) segments done" ready_to_crash
svc_kill
log "jobs at the kill: $(tr '\n' ';' <<<"$SNAP"); running with stored segments: ${VICTIMS//$'\n'/ }"

# The stored segments of each victim, with their inode: "job-N/seg-M INODE MTIME".
stored=$(cd "$SVC_WORKDIR" && find . -name 'seg-*.vtpr' -printf '%P %i %T@\n' | sort)
log "stored segment files at the kill: $(awk '{ print $1 }' <<<"$stored" | tr '\n' ' ')"

svc_start
for v in $VICTIMS; do
  grep -qE "resuming job $v\$" "$SVC_LOG" ||
    fail "the restarted service did not log 'resuming job $v': $(svc_tail "$SVC_LOG")"
done
log "the restarted service logged: $(grep -o 'resuming job [0-9]*' "$SVC_LOG" | tr '\n' ';')"

# No worker has rejoined yet (that takes the heartbeat liveness): every file
# stored before the crash is still there. Of a victim's files, all those the
# queue recorded (its "segments") must survive untouched to the end; one
# more may exist (stored, killed before it was recorded): it is the newest.
keep=
for v in $VICTIMS; do
  files=$(grep "^job-$v/" <<<"$stored" || true)
  nfiles=$(grep -c . <<<"$files" || true)
  nrec=$(svc_field "$v" segments)
  [[ "$nrec" =~ ^[0-9]+$ ]] || fail "job $v: segments is '$nrec'"
  if ((nfiles == nrec + 1)); then
    files=$(sort -k3,3g <<<"$files" | head -n "$nrec")
  elif ((nfiles != nrec)); then
    fail "job $v: $nfiles segment files in the work dir at the kill, but the queue recorded $nrec after the restart"
  fi
  log "job $v: $nrec segments recorded before the crash, $nfiles files"
  keep+=$files$'\n'
done
while read -r path inode _; do
  [[ -n "$path" ]] || continue
  [[ -e "$SVC_WORKDIR/$path" ]] || fail "stored segment $path disappeared when the service restarted"
done <<<"$keep"

# The surviving worker reconnects by itself.
svc_until 30 "the surviving worker w2 to rejoin the restarted service" svc_joined_at_least 1
svc_running "$W2" || fail "worker w2 exited: $(svc_tail w2.log)"
log "w2 rejoined; starting a replacement worker w3"
svc_worker w3

# Until every job is done, no segment stored before the crash is written
# again (a rewritten file is a new inode).
not_rewritten() {
  local path inode cur
  while read -r path inode _; do
    [[ -n "$path" ]] || continue
    cur=$(stat -c %i "$SVC_WORKDIR/$path" 2>/dev/null) || continue
    [[ "$cur" == "$inode" ]] ||
      fail "segment $path, stored before the crash, was encoded again after the restart"
  done <<<"$keep"
}
all_done() {
  local snap
  not_rewritten
  snap=$(svc_jobs) || return 1
  if awk '$2 == "failed" || $2 == "cancelled" { bad = 1 } END { exit !bad }' <<<"$snap"; then
    fail "a job did not succeed: $(tr '\n' ';' <<<"$snap")"
  fi
  awk '$2 != "done" { n++ } END { exit n > 0 }' <<<"$snap"
}
svc_until 120 "all jobs to be done" all_done

for k in 1 2 3; do
  svc_wait "${ids[k - 1]}" 0 30
done
for k in 1 2 3; do
  svc_check_output "$PWD/in/in$k.mkv" "$PWD/out/out$k.mkv"
done

# Finished segments are kept only until their job is done.
left=$(find "$SVC_WORKDIR" -mindepth 1 \( -name 'job-*' -o -name 'seg-*' \) -print | head -n5)
[[ -z "$left" ]] || fail "the work dir still holds segments after all jobs are done: $left"
log "work dir at the end: $(find "$SVC_WORKDIR" -mindepth 1 -printf '%f ')(service pid $SVC_PID)"
_check_no_temp "$PWD/out" "after the jobs"
svc_running "$W2" || fail "worker w2 exited: $(svc_tail w2.log)"
svc_finish
