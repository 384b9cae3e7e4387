# shellcheck shell=bash
# A running job that cannot be resumed after a crash fails cleanly: the
# service is killed mid-job, the job's input is moved away, and the service
# is started again. The job ends "failed" (wait exits 5) with an error naming
# the input, and like any failed run it leaves nothing next to its output:
# no output and no temporary file from the crashed run (README: "a failed or
# interrupted run leaves nothing at OUTPUT"), nothing in the work dir. The
# service goes on with the next job.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 10 1
svc_make_input "$PWD/in/b.mkv" 4 2

svc_start
svc_worker w1
svc_until 15 "the worker to join" svc_joined_at_least 1

id=$(svc_submit "$PWD/in/a.mkv" -o "$PWD/out/a.mkv" -c ffv1 --segment 1 "${SVC_SLOW[@]}")
midway() {
  local st seg
  read -r st seg < <(svc_job "$id") || return 1
  [[ "$st" == running && "$seg" -ge 2 ]]
}
svc_until 30 "job $id to have 2 segments done" midway
svc_kill
log "temporary files next to the output after the kill: $(find out -name '.*' -printf '%f ' )"
mv "$PWD/in/a.mkv" "$PWD/in/moved.mkv"

svc_start
grep -qE "resuming job $id\$" "$SVC_LOG" ||
  fail "the restarted service did not log 'resuming job $id': $(svc_tail "$SVC_LOG")"
svc_wait "$id" 5 30
err=$(svc_field "$id" error)
[[ "$err" == *"$PWD/in/a.mkv"* ]] || fail "the error of job $id does not name its input: $err"
[[ ! -e "$PWD/out/a.mkv" ]] || fail "failed job $id left its output"
[[ ! -e "$SVC_WORKDIR/job-$id" ]] || fail "failed job $id left $SVC_WORKDIR/job-$id"

# The service goes on.
id2=$(svc_submit "$PWD/in/b.mkv" -o "$PWD/out/b.mkv" -c ffv1 --segment 1)
svc_wait "$id2" 0 60
svc_check_output "$PWD/in/b.mkv" "$PWD/out/b.mkv"
svc_finish

_check_no_temp "$PWD/out" "job $id, failed when resumed after the crash"
