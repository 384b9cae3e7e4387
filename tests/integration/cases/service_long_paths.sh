# shellcheck shell=bash
# The service works with long paths: its queue, its work dir, the input and
# the output all lie about 200 characters deep (deployments put them in
# volumes with long names). The service starts, restarts after a SIGKILL
# on the same queue, and a job completes frame-exact.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

deep=$PWD/$(printf 'a-rather-long-folder-name-%d/' 1 2 3 4 5 6)
deep=${deep%/}
mkdir -p "$deep/in" "$deep/out"
log "deep folder: ${#deep} characters"
((${#deep} >= 180)) || fail "generator: the deep folder has only ${#deep} characters"
SVC_DB=$deep/queue.db
SVC_WORKDIR=$deep/work
svc_make_input "$deep/in/in.mkv" 4 1

svc_start
svc_kill
svc_start
svc_worker w1
id=$(svc_submit "$deep/in/in.mkv" -o "$deep/out/out.mkv" -c ffv1 --segment 1)
svc_wait "$id" 0 60
svc_check_output "$deep/in/in.mkv" "$deep/out/out.mkv"
svc_finish
