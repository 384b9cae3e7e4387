# shellcheck shell=bash
# A codec that crashes takes down at most its worker process, never the
# service: serve -j 1 runs its worker in a child process; with the test-only
# switch VTPOOL_FAULT_CRASH=JOB:SEGMENT that worker aborts on one segment.
# The segment is retried (alone, once suspect) and its job fails with an error
# naming it; the other job finishes frame-exact; the service keeps serving.
# shellcheck source=../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

svc_make_input in.mkv 4
export VTPOOL_FAULT_CRASH=1:2
# svc_start runs serve -j 0; a later -j wins with getopt.
svc_start -j 1 --heartbeat 200 --liveness 3
unset VTPOOL_FAULT_CRASH

bad=$(svc_submit in.mkv -o bad.mkv -c ffv1 --segment 1)
good=$(svc_submit in.mkv -o good.mkv -c ffv1 --segment 1)
svc_wait "$bad" 5 60
err=$(svc_field "$bad" error)
[[ $err == *"segment 2 "* ]] || fail "the failed job's error does not name segment 2: $err"
svc_wait "$good" 0 60
svc_check_output in.mkv good.mkv
[[ ! -e bad.mkv ]] || fail "the failed job left an output"
svc_alive
n=$(grep -c 'local worker process died' "$SVC_LOG" || true)
((n >= 3)) || fail "expected the worker process to die 3 times, the log says $n"

# Still serving.
again=$(svc_submit in.mkv -o again.mkv -c ffv1 --segment 2)
svc_wait "$again" 0 60
svc_check_output in.mkv again.mkv
