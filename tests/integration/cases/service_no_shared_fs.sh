# shellcheck shell=bash
# A worker needs no shared filesystem: it runs in its own mount namespace
# where the input folder, the output folder and the service's work dir are
# empty tmpfs mounts, and it is the only one that encodes (serve -j 0). The
# job completes, frame-exact with the input's audio.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

DIR_IN=$PWD/in
DIR_OUT=$PWD/out
mkdir -p "$DIR_IN" "$DIR_OUT" "$SVC_WORKDIR"
svc_make_input "$DIR_IN/in.mkv" 8 1

# The worker's view: tmpfs over the three folders, then exec the worker from
# "/" (so that no relative path reaches the real folders either).
# shellcheck disable=SC2016  # expanded by that sh
hide='mount -t tmpfs none "$1" && mount -t tmpfs none "$2" && mount -t tmpfs none "$3" &&
  [ ! -e "$1/in.mkv" ] && cd / && shift 3 && exec "$@"'

# Fail, do not skip, when this machine does not allow it.
rc=0
# shellcheck disable=SC2016
probe=$(unshare --mount --propagation private sh -c "$hide" sh "$DIR_IN" "$DIR_OUT" "$SVC_WORKDIR" \
  sh -c 'ls -A "$1"' sh "$DIR_IN" 2>&1) || rc=$?
((rc == 0)) || fail "cannot hide folders from the worker: 'unshare --mount' + 'mount -t tmpfs' failed (status $rc, run as root with CAP_SYS_ADMIN): $probe"
[[ -z "$probe" ]] || fail "the input folder is still visible inside the mount namespace: $probe"
[[ -e "$DIR_IN/in.mkv" ]] || fail "the tmpfs mount leaked out of the namespace: $DIR_IN/in.mkv is gone"

svc_start
svc_spawn worker unshare --mount --propagation private sh -c "$hide" sh \
  "$DIR_IN" "$DIR_OUT" "$SVC_WORKDIR" "$VTPOOL" worker --connect "$SVC_LISTEN" -j 2 -v
W=$SVC_LAST_PID
log "started the hidden worker (pid $W)"

joined() {
  svc_running "$W" || fail "the worker in its own mount namespace exited: $(svc_tail worker.log)"
  (($(svc_joined) >= 1))
}
svc_until 15 "the hidden worker to join" joined

# It is the worker process itself (sh and unshare exec'd), in another mount
# namespace, and the folders are empty there.
# (Files are compared by device and inode: inside a chroot, the paths that
# /proc shows for a process of another mount namespace are the host's.)
[[ "/proc/$W/exe" -ef "$VTPOOL" ]] ||
  fail "pid $W is $(readlink "/proc/$W/exe"), not vtpool"
[[ "$(readlink "/proc/$W/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]] ||
  fail "the worker shares this mount namespace"
for d in "$DIR_IN" "$DIR_OUT" "$SVC_WORKDIR"; do
  seen=$(ls -A "/proc/$W/root$d")
  [[ -z "$seen" ]] || fail "the worker sees files in $d: $seen"
done
[[ "/proc/$W/cwd" -ef "/proc/$W/root" ]] || fail "the worker's cwd is $(readlink "/proc/$W/cwd"), not /"

id=$(svc_submit "$DIR_IN/in.mkv" -o "$DIR_OUT/out.mkv" -c ffv1 --segment 1)
svc_wait "$id" 0 60
# 8 s in 1 s segments, the last stretch cut finer for the 2 worker threads.
nseg=$(svc_field "$id" segments)
((nseg >= 8)) || fail "job $id went through $nseg segments, expected at least 8"
svc_running "$W" || fail "the worker exited: $(svc_tail worker.log)"
svc_check_output "$DIR_IN/in.mkv" "$DIR_OUT/out.mkv"
_check_no_temp "$DIR_OUT" "after the job"
svc_finish
