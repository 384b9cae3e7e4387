# shellcheck shell=bash
# A job cancelled while it runs leaves no file: two slowed workers are
# encoding a 12 s job in half-second segments, several segments are done
# (stored in the service's work directory, and the joined output started
# beside its final name); `vtpool cancel` answers "changed", `wait` exits 6,
# and once the segments the workers still held have come back, there is no
# output, no temporary output, and nothing of the job in the work directory.
# The workers stay, and the next job completes frame-exact.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 12 1
svc_make_input "$PWD/in/b.mkv" 4 2

svc_start
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

# In real time: 24 segments of 0.5 s on two workers take 6 s.
id=$(svc_submit "$PWD/in/a.mkv" -o "$PWD/out/a.mkv" -c ffv1 --segment 0.5 --vf realtime)
some_done() {
  local st seg
  read -r st seg < <(svc_job "$id") || return 1
  [[ "$st" == running && "$seg" -ge 4 ]]
}
svc_until 60 "job $id to have 4 segments done" some_done
stored=$(find "$SVC_WORKDIR" -type f | wc -l)
log "job $id: $(svc_job "$id"); $stored files in the work directory"
((stored > 0)) || fail "no stored segment in the work directory while job $id ran"
tmp_out=$(find out -name '.a.mkv.vtpool-tmp-*' | wc -l)
((tmp_out == 1)) || fail "job $id has $tmp_out temporary outputs beside out/a.mkv while it runs, not 1"

out=$(svc_client cancel "$id") || fail "vtpool cancel $id failed"
assert_eq "$out" "job $id cancelled" "vtpool cancel $id"
svc_wait "$id" 6 20
assert_eq "$(svc_field "$id" state)" cancelled "state of job $id"

# Both workers held a segment of the job when it was cancelled; their
# results come back to a job that is gone. Give them time to, then look.
sleep 2
left=$(find "$SVC_WORKDIR" -mindepth 1 -print | sed "s|^$SVC_WORKDIR/||" | tr '\n' ' ')
[[ -z "$left" ]] || fail "the cancelled job left files in the work directory: $left"
left=$(find out -mindepth 1 -print | tr '\n' ' ')
[[ -z "$left" ]] || fail "the cancelled job left files beside its output: $left"

id2=$(svc_submit "$PWD/in/b.mkv" -o "$PWD/out/b.mkv" -c ffv1 --segment 1)
svc_wait "$id2" 0 60
svc_check_output "$PWD/in/b.mkv" "$PWD/out/b.mkv"
svc_finish
