# shellcheck shell=bash
# A full disk is an output error, cleanly. The output folders live on small
# tmpfs mounts (2 MiB; the case runs as root and FAILS when mounting is
# refused), unmounted at exit.
# `vtpool encode`:
#  - a 9 MB ffv1 output on an empty 2 MiB tmpfs, on a tmpfs with no free
#    page at all, and on one with exactly one 4 KiB page too few for the
#    finished file (Matroska ffv1 and MP4 x264: the disk fills while the
#    index/trailer is written): exit 4, exactly one "vtpool: " line on
#    stderr that says the disk is full, nothing at OUT, no temporary file
#    (.NAME.vtpool-tmp-*), and every page of the tmpfs free again;
#  - an existing OUT overwritten with -y on a full disk stays as it was;
#  - one page more than the file needs: exit 0, frame-exact (the sizes above
#    are right).
# `vtpool serve` (queue on the normal disk):
#  - its --workdir (finished segments) on a full tmpfs: the jobs end
#    "failed" with an error that says the disk is full, or stay queued or
#    running; the service keeps running and answering, no job disappears
#    from the list, a failed job leaves no segments; once space is freed a
#    new job completes frame-exact;
#  - the output folder on a full tmpfs: the same, and a failed job leaves
#    neither its output nor a temporary file there.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

MOUNTS=()
# shellcheck disable=SC2317  # called by the EXIT trap
hd_cleanup() {
  svc__cleanup
  local m
  for m in "${MOUNTS[@]}"; do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}
trap hd_cleanup EXIT

# small_fs DIR: a 2 MiB tmpfs mounted on DIR.
small_fs() {
  mkdir -p "$1"
  local err
  err=$(mount -t tmpfs -o size=2M,mode=0755 tmpfs "$1" 2>&1) ||
    fail "cannot mount a 2 MiB tmpfs on $1 (this case needs root and mount permission): ${err:-mount failed}"
  MOUNTS+=("$1")
  local total
  total=$(stat -f -c '%b %S' "$1")
  assert_eq "$total" "512 4096" "blocks and block size of the tmpfs on $1"
}

# free_pages DIR: free 4 KiB pages of DIR's filesystem.
free_pages() {
  stat -f -c %f "$1"
}

# leave_free DIR PAGES: a filler file DIR/.filler leaves exactly PAGES free.
leave_free() {
  local dir=$1 want=$2 free
  rm -f "$dir/.filler"
  free=$(free_pages "$dir")
  ((free >= want)) || fail "leave_free: only $free pages free on $dir, $want wanted"
  head -c $(((free - want) * 4096)) /dev/zero >"$dir/.filler" ||
    fail "leave_free: cannot write the filler on $dir"
  assert_eq "$(free_pages "$dir")" "$want" "free pages on $dir after the filler"
}

# pages_for FILE: 4 KiB pages a copy of FILE takes.
pages_for() {
  echo $((($(stat -c %s "$1") + 4095) / 4096))
}

# disk_full_fails OUT CMD...: like assert_fails 4, and the line says why.
disk_full_fails() {
  local out=$1 errf rc=0
  shift
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  "$@" >/dev/null 2>"$errf" || rc=$?
  _check_failure 4 "$rc" "$errf" "$*"
  grep -qiE 'no space|disk (is )?full|full disk|ENOSPC' "$errf" ||
    fail "$*: the error does not say that the disk is full: $(_oneline "$errf")"
  rm -f "$errf"
  [[ ! -e "$out" && ! -L "$out" ]] || fail "$*: output $out exists after failure"
  local left
  left=$(find "$(dirname -- "$out")" -maxdepth 1 -name '*vtpool-tmp*' -printf '%f ')
  [[ -z "$left" ]] || fail "$*: temporary file left next to $out: $left"
  _check_no_temp "$(dirname -- "$out")" "$*"
}

# ---- inputs ----
mkdir -p in ref
gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=4,noise=alls=30:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
  -map 0:v -map 1:a -c:v libx264 -preset ultrafast -g 25 -pix_fmt yuv420p -c:a aac -b:a 64k in/big.mkv
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -map 0:v -map 1:a -c:v libx264 -preset veryfast -g 25 -pix_fmt yuv420p -c:a aac -b:a 64k in/small.mkv

ENC=(-j 2 --segment 0.5 --progress none)
# Reference outputs on the normal disk: their sizes tell how much room the
# same runs need.
run_vtpool encode in/small.mkv -o ref/small.mkv -c ffv1 "${ENC[@]}"
run_vtpool encode in/small.mkv -o ref/small.mp4 -c libx264 --preset ultrafast "${ENC[@]}"
run_vtpool encode in/small.mkv -o ref/small2.mp4 -c libx264 --preset ultrafast "${ENC[@]}"
assert_eq "$(stat -c %s ref/small2.mp4)" "$(stat -c %s ref/small.mp4)" \
  "generator: size of two identical x264 runs"

# ---- vtpool encode ----
small_fs "$PWD/full"
disk_full_fails full/out.mkv vtpool encode in/big.mkv -o full/out.mkv -c ffv1 "${ENC[@]}"
assert_eq "$(free_pages full)" 512 "free pages after the failed 9 MB write"

leave_free full 0
disk_full_fails full/out.mkv vtpool encode in/small.mkv -o full/out.mkv -c ffv1 "${ENC[@]}"

for ext in mkv mp4; do
  if [[ "$ext" == mkv ]]; then
    codec=(-c ffv1)
  else
    codec=(-c libx264 --preset ultrafast)
  fi
  need=$(pages_for "ref/small.$ext")
  leave_free full $((need - 1))
  log "$ext: $need pages needed, $((need - 1)) free"
  disk_full_fails "full/out.$ext" vtpool encode in/small.mkv -o "full/out.$ext" "${codec[@]}" "${ENC[@]}"
  assert_eq "$(free_pages full)" $((need - 1)) "free pages after the failed $ext write"
  leave_free full $((need + 1))
  run_vtpool encode in/small.mkv -o "full/out.$ext" "${codec[@]}" "${ENC[@]}"
  if [[ "$ext" == mkv ]]; then
    assert_same_frames in/small.mkv full/out.mkv
  else
    assert_same_frame_times in/small.mkv full/out.mp4
  fi
  rm -f "full/out.$ext"
done

# An existing OUT, overwritten with -y on a full disk, is left as it was.
rm -f full/.filler
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=1" -c:v ffv1 full/keep.mkv
sum=$(file_md5 full/keep.mkv)
leave_free full 2
rc=0
vtpool encode in/big.mkv -o full/keep.mkv -c ffv1 "${ENC[@]}" -y 2>keep.err || rc=$?
_check_failure 4 "$rc" keep.err "vtpool encode in/big.mkv -o full/keep.mkv -y (disk full)"
[[ -f full/keep.mkv ]] || fail "a -y run on a full disk removed the existing full/keep.mkv"
assert_eq "$(file_md5 full/keep.mkv)" "$sum" "md5 of full/keep.mkv after a -y run on a full disk"
_check_no_temp full "-y run on a full disk"
rm -f full/keep.mkv full/.filler

# ---- vtpool serve ----
small_fs "$PWD/wdfs"
small_fs "$PWD/outfs"
SVC_WORKDIR=$PWD/wdfs/work
mkdir -p sout
svc_start
svc_worker w1
W1=$SVC_LAST_PID
svc_until 15 "the worker to join" svc_joined_at_least 1

# settle ID SECONDS: waits until job ID is done, failed or cancelled, for at
# most SECONDS; prints its state then (queued or running when it is still
# waiting for space).
settle() {
  local id=$1 secs=$2 t0 st
  t0=$(date +%s)
  while :; do
    svc_alive
    st=$(svc_field "$id" state)
    case "$st" in
      done | failed | cancelled) break ;;
    esac
    (($(date +%s) - t0 < secs)) || break
    sleep 0.2
  done
  echo "$st"
}

# check_full_job ID WHAT: job ID either failed with an error saying the
# disk is full (and left no segments), or is still queued or running.
check_full_job() {
  local id=$1 what=$2 st err
  st=$(settle "$id" 30)
  case "$st" in
    failed)
      err=$(svc_field "$id" error)
      log "job $id ($what): failed: $err"
      grep -qiE 'no space|disk (is )?full|full disk|ENOSPC' <<<"$err" ||
        fail "job $id ($what) failed, but its error does not say that the disk is full: $err"
      [[ ! -e "$SVC_WORKDIR/job-$id" ]] || fail "failed job $id ($what) left $SVC_WORKDIR/job-$id"
      ;;
    queued | running)
      log "job $id ($what): still $st after 30 s"
      ;;
    *)
      fail "job $id ($what) ended '$st' (expected failed, or still queued or running)"
      ;;
  esac
}

# 1. The work directory is full.
leave_free wdfs 4
idx=$(svc_submit "$PWD/in/big.mkv" -o "$PWD/sout/x.mkv" -c ffv1 --segment 1)
idy=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/sout/y.mkv" -c ffv1 --segment 0.5)
idz=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/sout/z.mkv" -c ffv1 --segment 0.5)
check_full_job "$idx" "9 MB of segments, work dir full"
check_full_job "$idy" "work dir full"
check_full_job "$idz" "work dir full"
svc_alive
jobs=$(svc_jobs) || fail "vtpool list does not answer with the work dir full"
log "jobs with the work dir full: $(tr '\n' ';' <<<"$jobs")"
assert_eq "$(awk '{ print $1 }' <<<"$jobs" | tr '\n' ' ')" "$idx $idy $idz " "jobs listed with the work dir full"
_check_no_temp "$PWD/sout" "jobs with the work dir full"

rm -f wdfs/.filler
log "work dir: $(free_pages wdfs) pages free again"
idn=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/sout/n.mkv" -c ffv1 --segment 0.5)
svc_wait "$idn" 0 60
svc_check_output "$PWD/in/small.mkv" "$PWD/sout/n.mkv"
# Jobs that were waiting for space end one way or the other now.
for name in y z; do
  [[ "$name" == y ]] && id=$idy || id=$idz
  st=$(settle "$id" 60)
  log "job $id after space was freed: $st"
  [[ "$st" == "done" || "$st" == failed ]] || fail "job $id is still '$st' 60 s after space was freed"
  if [[ "$st" == "done" ]]; then
    svc_check_output "$PWD/in/small.mkv" "$PWD/sout/$name.mkv"
  fi
done
st=$(settle "$idx" 30)
log "job $idx (9 MB of segments on a 2 MiB work dir) at the end: $st"
if [[ "$st" == failed ]]; then
  [[ ! -e "$SVC_WORKDIR/job-$idx" ]] || fail "failed job $idx left $SVC_WORKDIR/job-$idx"
fi

# 2. The output folder is full.
leave_free outfs 4
ido=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/outfs/o.mkv" -c ffv1 --segment 0.5)
idq=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/sout/q.mkv" -c ffv1 --segment 0.5 --priority -1)
check_full_job "$ido" "output folder full"
st=$(svc_field "$ido" state)
if [[ "$st" == failed ]]; then
  [[ ! -e outfs/o.mkv ]] || fail "failed job $ido left its output outfs/o.mkv"
  _check_no_temp outfs "failed job $ido"
  assert_eq "$(free_pages outfs)" 4 "free pages on the output tmpfs after job $ido failed"
fi
svc_alive
jobs=$(svc_jobs) || fail "vtpool list does not answer with the output folder full"
log "jobs with the output folder full: $(tr '\n' ';' <<<"$jobs")"
for id in "$idx" "$idy" "$idz" "$idn" "$ido" "$idq"; do
  grep -q "^$id " <<<"$jobs" || fail "job $id is no longer listed"
done
svc_wait "$idq" 0 60
svc_check_output "$PWD/in/small.mkv" "$PWD/sout/q.mkv"

rm -f outfs/.filler
idp=$(svc_submit "$PWD/in/small.mkv" -o "$PWD/outfs/p.mkv" -c ffv1 --segment 0.5)
svc_wait "$idp" 0 60
svc_check_output "$PWD/in/small.mkv" "$PWD/outfs/p.mkv"
svc_running "$W1" || fail "worker w1 exited: $(svc_tail w1.log)"
svc_finish
