# shellcheck shell=bash
# Ctrl-C (SIGINT) and SIGTERM stop `vtpool encode` within a second: it
# exits 130 or 143 within 1.5 s of the signal, prints at most one line on
# stderr (starting with "vtpool: "), leaves nothing at OUT and no temporary
# file next to OUT (.NAME.vtpool-tmp-*) or in TMPDIR. The input (320x240,
# 30 s, noisy, x264 + AAC) takes several seconds to encode with libx264
# --preset medium on two workers; the signal comes once the first --progress
# json line is out and the encode has run ~1 s, and also right at the start
# (0.2 s) and later (~3 s). An interrupted -y run leaves an existing OUT as
# it was. Then `vtpool serve` gets SIGTERM while a job is running: it exits 0
# within 5 s, and started again on the same queue it still lists every job
# (done, running, queued), and the unfinished ones complete frame-exact.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=30,noise=alls=30:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=30" \
  -map 0:v -map 1:a -c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -c:a aac -b:a 64k long.mkv

tmp_listing() {
  find "$TMPDIR" -mindepth 1 -maxdepth 1 ! -name 'stderr.*' -printf '%f\n' 2>/dev/null | sort
}

# interrupt SIGNAL EXPECTED OUT DELAY_MS [ARGS...]: starts the encode of
# long.mkv to OUT (json progress on stdout), waits for its first progress
# line and until DELAY_MS have passed since the start (DELAY_MS "early":
# 200 ms after the start, whatever it printed), sends SIGNAL and checks
# how it ends.
interrupt() {
  local sig=$1 want=$2 out=$3 delay=$4 pid t_start t_sig t_end rc=0 ms st n line before
  shift 4
  rm -f sig.json sig.err
  before=$(tmp_listing)
  log "vtpool encode long.mkv -o $out -c libx264 --preset medium -j 2 --progress json $*; SIG$sig at ${delay/%[0-9]/& ms}"
  # Asynchronous commands of a script ignore SIGINT: give the signals
  # their default disposition, as an interactive shell would.
  env --default-signal=INT,TERM "$VTPOOL" encode long.mkv -o "$out" -c libx264 --preset medium \
    -j 2 --progress json "$@" >sig.json 2>sig.err </dev/null &
  pid=$!
  SVC_PIDS+=("$pid")
  t_start=$(date +%s%N)
  if [[ "$delay" == early ]]; then
    sleep 0.2
  else
    # The first progress line says it started.
    until [[ -s sig.json ]]; do
      svc_running "$pid" || break
      (($(date +%s%N) - t_start < 20000000000)) || fail "no progress line within 20 s: $(_oneline sig.err)"
      sleep 0.02
    done
    while (($(date +%s%N) - t_start < delay * 1000000)); do
      sleep 0.02
    done
  fi
  svc_running "$pid" || fail "the encode ended before SIG$sig could be sent ($(($(date +%s%N) - t_start)) ns): make the input longer; $(_oneline sig.err)"
  t_sig=$(date +%s%N)
  kill -s "$sig" "$pid"
  while svc_running "$pid"; do
    if (($(date +%s%N) - t_sig > 10000000000)); then
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      fail "vtpool encode still running 10 s after SIG$sig"
    fi
    sleep 0.005
  done
  t_end=$(date +%s%N)
  wait "$pid" || rc=$?
  ms=$(((t_end - t_sig) / 1000000))
  st=$(((t_sig - t_start) / 1000000))
  log "SIG$sig at ${st} ms: exit $rc after ${ms} ms; $(wc -l <sig.json) progress lines; stderr: $(_oneline sig.err)"
  ((rc == want)) || fail "SIG$sig at ${st} ms: vtpool encode exited $rc, expected $want; stderr: $(_oneline sig.err)"
  ((ms <= 1500)) || fail "SIG$sig at ${st} ms: vtpool encode took ${ms} ms to exit (at most 1500 allowed)"
  n=$(grep -c . sig.err || true)
  ((n <= 1)) || fail "SIG$sig: $n lines on stderr (at most one): $(_oneline sig.err)"
  if ((n == 1)); then
    line=$(head -n1 sig.err)
    [[ "$line" == "vtpool: "?* ]] || fail "SIG$sig: stderr line does not start with 'vtpool: ': $line"
  fi
  _check_no_temp "$(dirname -- "$out")" "SIG$sig at ${st} ms"
  local left
  left=$(find "$(dirname -- "$out")" -maxdepth 1 -name ".$(basename -- "$out").vtpool-tmp-*" -printf '%f ')
  [[ -z "$left" ]] || fail "SIG$sig at ${st} ms: temporary file left next to OUT: $left"
  [[ "$(tmp_listing)" == "$before" ]] ||
    fail "SIG$sig at ${st} ms: file left in TMPDIR: $(comm -13 <(printf '%s\n' "$before") <(tmp_listing) | tr '\n' ' ')"
  LAST_MS=$ms
}

mkdir -p out
timings=()
interrupt INT 130 out/int.mp4 1000
[[ ! -e out/int.mp4 ]] || fail "SIGINT: out/int.mp4 exists"
timings+=("SIGINT@1s:${LAST_MS}ms")
interrupt TERM 143 out/term.mp4 1000
[[ ! -e out/term.mp4 ]] || fail "SIGTERM: out/term.mp4 exists"
timings+=("SIGTERM@1s:${LAST_MS}ms")
interrupt INT 130 out/early.mp4 early
[[ ! -e out/early.mp4 ]] || fail "early SIGINT: out/early.mp4 exists"
timings+=("SIGINT@0.2s:${LAST_MS}ms")
interrupt TERM 143 out/late.mkv 3000
[[ ! -e out/late.mkv ]] || fail "late SIGTERM: out/late.mkv exists"
timings+=("SIGTERM@3s:${LAST_MS}ms")

# An existing OUT, overwritten with -y, survives an interrupted run.
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=1" -c:v ffv1 out/keep.mkv
sum=$(file_md5 out/keep.mkv)
interrupt INT 130 out/keep.mkv 1000 -y
[[ -f out/keep.mkv ]] || fail "SIGINT of a -y run removed the existing out/keep.mkv"
assert_eq "$(file_md5 out/keep.mkv)" "$sum" "md5 of out/keep.mkv after an interrupted -y run"
timings+=("SIGINT-y:${LAST_MS}ms")
log "encode interrupted: ${timings[*]}"

# ---- vtpool serve and SIGTERM ----
mkdir -p in sout
svc_make_input "$PWD/in/a.mkv" 2 1
svc_make_input "$PWD/in/b.mkv" 8 2
svc_make_input "$PWD/in/c.mkv" 3 3
svc_start
svc_worker w1
W1=$SVC_LAST_PID
svc_until 15 "the worker to join" svc_joined_at_least 1
ida=$(svc_submit "$PWD/in/a.mkv" -o "$PWD/sout/a.mkv" -c ffv1 --segment 1)
svc_wait "$ida" 0 60
idb=$(svc_submit "$PWD/in/b.mkv" -o "$PWD/sout/b.mkv" -c ffv1 --segment 1 "${SVC_SLOW[@]}")
idc=$(svc_submit "$PWD/in/c.mkv" -o "$PWD/sout/c.mkv" -c ffv1 --segment 1 "${SVC_SLOW[@]}")
running_with_segments() {
  local st seg
  read -r st seg < <(svc_job "$idb") || return 1
  [[ "$st" == running && "$seg" -ge 1 && "$seg" -le 5 ]]
}
svc_until 30 "job $idb to be running with 1..5 segments done" running_with_segments
before=$(svc_jobs)
log "jobs before SIGTERM: $(tr '\n' ';' <<<"$before")"
t0=$(date +%s%N)
kill -TERM "$SVC_PID"
while svc_running "$SVC_PID"; do
  (($(date +%s%N) - t0 < 15000000000)) || fail "vtpool serve still running 15 s after SIGTERM: $(svc_tail "$SVC_LOG")"
  sleep 0.01
done
rc=0
wait "$SVC_PID" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
log "vtpool serve: exit $rc ${ms} ms after SIGTERM"
((rc == 0)) || fail "vtpool serve exited $rc after SIGTERM (expected 0): $(svc_tail "$SVC_LOG")"
((ms <= 5000)) || fail "vtpool serve took ${ms} ms to exit after SIGTERM (at most 5000)"
svc_check_logs
SVC_PID=

svc_start
after=$(svc_jobs) || fail "vtpool list does not answer after the restart"
log "jobs after the restart: $(tr '\n' ';' <<<"$after")"
assert_eq "$(awk '{ print $1 }' <<<"$after" | tr '\n' ' ')" "$ida $idb $idc " "job ids listed after the restart"
assert_eq "$(awk -v id="$ida" '$1 == id { print $2 }' <<<"$after")" "done" "state of job $ida after the restart"
for id in "$idb" "$idc"; do
  st=$(awk -v id="$id" '$1 == id { print $2 }' <<<"$after")
  [[ "$st" == queued || "$st" == running ]] || fail "job $id is '$st' after the restart (expected queued or running)"
done
svc_running "$W1" || fail "worker w1 exited when the service stopped: $(svc_tail w1.log)"
svc_wait "$idb" 0 90
svc_wait "$idc" 0 60
svc_check_output "$PWD/in/b.mkv" "$PWD/sout/b.mkv"
svc_check_output "$PWD/in/c.mkv" "$PWD/sout/c.mkv"
_check_no_temp "$PWD/sout" "after the restart"
svc_finish
