# shellcheck shell=bash
# Helpers for the service_* integration cases: a `vtpool serve` and its
# workers as background processes of the case, and its clients.
#
# Source it from a case (after lib.sh, which run.sh loads):
#   source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"
#
# Sourcing sets an EXIT trap that SIGKILLs every process started here (also
# stopped ones) and reaps them, whatever way the case ends.
#
#   svc_start [SERVE ARGS...]   start `serve -j 0 -v` (first call picks free
#                               ports; later calls reuse ports, db and workdir)
#   svc_kill                    SIGKILL the service and reap it
#   svc_worker NAME [ARGS...]   start `worker -j 1 --connect $SVC_LISTEN ARGS`
#   svc_spawn NAME CMD...       start any command in the background (logged)
#   svc_spawn_group NAME CMD... the same in a process group of its own
#   svc_submit ARGS...          `vtpool submit`; prints the new job's id
#   svc_wait ID CODE [SECONDS]  `vtpool wait ID` must exit CODE
#   svc_until SECONDS WHAT CMD...  poll CMD every 0.1 s until it succeeds
#   svc_jobs                    "ID STATE SEGMENTS" per job, by id
#   svc_job ID                  "STATE SEGMENTS" of one job
#   svc_field ID FIELD          one field of `vtpool status ID --json`
#   svc_joined                  "worker joined" lines in the current log
#   svc_check_logs              no sanitizer report in any log
#   svc_finish                  SIGTERM all, each exits in 15 s, svc_check_logs
#   svc_make_input FILE SECONDS [SEED]   320x240 25 fps noisy x264 + FLAC
#
# Every client call is bounded by `timeout`; every poll by svc_until.

# Where the service keeps its state; cases may change these before svc_start.
SVC_DB=$PWD/svc/queue.db
SVC_WORKDIR=$PWD/svc/work
SVC_LISTEN=
SVC_CONTROL=
SVC_PID=
SVC_LOG=
SVC_STARTS=0
SVC_LAST_PID=
SVC_PIDS=()         # every background process, killed at exit
SVC_GROUPS=()       # process groups of svc_spawn_group, killed at exit
# A client request waits at most 10 s for an answer; allow for that.
: "${SVC_CLIENT_TIMEOUT:=30}"

# shellcheck disable=SC2317  # called by the EXIT trap
svc__cleanup() {
  local p
  for p in "${SVC_GROUPS[@]}"; do
    kill -9 -- "-$p" 2>/dev/null || true
  done
  for p in "${SVC_PIDS[@]}"; do
    kill -9 "$p" 2>/dev/null || true
  done
  for p in "${SVC_PIDS[@]}"; do
    wait "$p" 2>/dev/null || true
  done
}
trap svc__cleanup EXIT

# svc_state PID: the state letter of a process (R, S, T, Z, ...) or "gone".
svc_state() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
    echo gone
    return 0
  }
  stat=${stat##*) }
  echo "${stat%% *}"
}

# svc_running PID: the process exists and has not exited (not a zombie).
svc_running() {
  local s
  s=$(svc_state "$1")
  [[ "$s" != gone && "$s" != Z && "$s" != X ]]
}

# svc_tail FILE: the last lines of a log, on one line.
svc_tail() {
  [[ -e "$1" ]] || {
    echo "<no $1>"
    return 0
  }
  tail -n 8 "$1" | awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }'
}

# svc_alive: fails the case when the service has exited.
svc_alive() {
  [[ -n "$SVC_PID" ]] || return 0
  svc_running "$SVC_PID" || fail "the service (pid $SVC_PID) exited; ${SVC_LOG##*/}: $(svc_tail "$SVC_LOG")"
}

# svc_until SECONDS WHAT CMD...: runs CMD until it succeeds, 0.1 s apart;
# fails the case after SECONDS, or as soon as the service has exited.
svc_until() {
  local limit=$1 what=$2 start
  shift 2
  start=$(date +%s%N)
  until "$@"; do
    svc_alive
    if (($(date +%s%N) - start > limit * 1000000000)); then
      fail "timed out after ${limit}s waiting for $what"
    fi
    sleep 0.1
  done
}

# svc_port_free PORT: nothing is bound to 127.0.0.1:PORT.
svc_port_free() {
  python3 -c '
import socket, sys
s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
' "$1"
}

# svc_pick_port: a free port below the kernel's ephemeral range (so that no
# client connection takes it while the service restarts).
svc_pick_port() {
  local lo hi p i
  read -r lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || lo=32768
  hi=$((lo > 21000 ? lo - 1 : 60000))
  for ((i = 0; i < 100; i++)); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % (hi - 20000)))
    if svc_port_free "$p"; then
      echo "$p"
      return 0
    fi
  done
  fail "no free TCP port found on 127.0.0.1"
}

# svc_spawn NAME CMD...: runs CMD in the background, output to NAME.log;
# SVC_LAST_PID is its pid (CMD should exec the real program).
svc_spawn() {
  local name=$1
  shift
  "$@" >"$PWD/$name.log" 2>&1 </dev/null &
  SVC_LAST_PID=$!
  SVC_PIDS+=("$SVC_LAST_PID")
}

# svc_spawn_group NAME CMD...: like svc_spawn, but CMD leads a process group
# of its own, and the whole group is killed at exit (for client scripts
# that start processes of their own).
svc_spawn_group() {
  local name=$1
  shift
  setsid "$@" >"$PWD/$name.log" 2>&1 </dev/null &
  SVC_LAST_PID=$!
  SVC_PIDS+=("$SVC_LAST_PID")
  SVC_GROUPS+=("$SVC_LAST_PID")
}

# svc_start [ARGS...]: starts `vtpool serve -j 0 -v ARGS` on $SVC_DB and
# $SVC_WORKDIR and waits until it serves. The first start picks the ports
# (and tries others if they are taken meanwhile); later starts reuse them.
# shellcheck disable=SC2120  # arguments are optional
svc_start() {
  local tries=1 t
  mkdir -p "$(dirname "$SVC_DB")"
  if [[ -z "$SVC_CONTROL" ]]; then
    tries=5
  fi
  for ((t = 0; t < tries; t++)); do
    if ((SVC_STARTS == 0)); then
      SVC_LISTEN=tcp://127.0.0.1:$(svc_pick_port)
      SVC_CONTROL=tcp://127.0.0.1:$(svc_pick_port)
      [[ "$SVC_LISTEN" != "$SVC_CONTROL" ]] || continue
    fi
    SVC_STARTS=$((SVC_STARTS + 1))
    SVC_LOG=$PWD/serve-$SVC_STARTS.log
    log "vtpool serve --listen $SVC_LISTEN --control $SVC_CONTROL -j 0 -v $* (${SVC_LOG##*/})"
    svc_spawn "serve-$SVC_STARTS" "$VTPOOL" serve --listen "$SVC_LISTEN" --control "$SVC_CONTROL" \
      --db "$SVC_DB" --workdir "$SVC_WORKDIR" -j 0 -v "$@"
    SVC_PID=$SVC_LAST_PID
    local start
    start=$(date +%s%N)
    while svc_running "$SVC_PID" && ! grep -q 'serving: ' "$SVC_LOG"; do
      (($(date +%s%N) - start < 15000000000)) || fail "the service did not start serving within 15 s: $(svc_tail "$SVC_LOG")"
      sleep 0.05
    done
    if svc_running "$SVC_PID"; then
      return 0
    fi
    if ((tries > 1)) && grep -q 'Address already in use' "$SVC_LOG"; then
      log "ports taken meanwhile, trying others: $(svc_tail "$SVC_LOG")"
      SVC_STARTS=0
      SVC_LISTEN=
      SVC_CONTROL=
      continue
    fi
    break
  done
  fail "vtpool serve exited at start: $(svc_tail "$SVC_LOG")"
}

# svc_kill: SIGKILL the service and reap it.
svc_kill() {
  [[ -n "$SVC_PID" ]] || fail "svc_kill: no service"
  log "SIGKILL service (pid $SVC_PID)"
  kill -9 "$SVC_PID" 2>/dev/null || true
  wait "$SVC_PID" 2>/dev/null || true
  SVC_PID=
}

# svc_worker NAME [ARGS...]: starts `vtpool worker -j 1 -v ARGS` connected
# to the service; SVC_LAST_PID is its pid, NAME.log its log.
svc_worker() {
  local name=$1
  shift
  svc_spawn "$name" "$VTPOOL" worker --connect "$SVC_LISTEN" -j 1 -v "$@"
  log "started $name (pid $SVC_LAST_PID): worker --connect $SVC_LISTEN -j 1 $*"
}

# svc_client ARGS...: "$VTPOOL" ARGS --server $SVC_CONTROL, bounded in time.
svc_client() {
  local cmd=$1
  shift
  timeout -k 5 "$SVC_CLIENT_TIMEOUT" "$VTPOOL" "$cmd" --server "$SVC_CONTROL" "$@"
}

# svc_submit ARGS...: submits one job; prints its id. Fails the case unless
# it is accepted with exactly one id on stdout.
svc_submit() {
  local rc=0 out errf
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  out=$(svc_client submit "$@" 2>"$errf") || rc=$?
  if ((rc != 0)); then
    local err
    err=$(_oneline "$errf")
    rm -f "$errf"
    fail "vtpool submit $* exited $rc: ${err:-<no stderr>}"
  fi
  rm -f "$errf"
  [[ "$out" =~ ^[1-9][0-9]*$ ]] || fail "vtpool submit $*: expected one job id, got '$out'"
  log "submitted job $out: $*"
  echo "$out"
}

# svc_wait ID CODE [SECONDS]: `vtpool wait ID --timeout SECONDS` (default
# 60) must exit CODE (0 done, 5 failed, 6 cancelled).
svc_wait() {
  local id=$1 want=$2 secs=${3:-60} rc=0 errf t0
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  t0=$(date +%s)
  timeout -k 5 $((secs + 20)) "$VTPOOL" wait "$id" --server "$SVC_CONTROL" --timeout "$secs" \
    >/dev/null 2>"$errf" || rc=$?
  if ((rc != want)); then
    local err
    err=$(_oneline "$errf")
    rm -f "$errf"
    fail "vtpool wait $id exited $rc, expected $want: ${err:-<no stderr>}; status: $(svc_client status "$id" --json 2>&1 | head -c 600); ${SVC_LOG##*/}: $(svc_tail "$SVC_LOG")"
  fi
  log "vtpool wait $id: exit $rc after $(($(date +%s) - t0)) s $(head -c 300 "$errf")"
  rm -f "$errf"
}

# svc__summary: "ID STATE SEGMENTS" for each job object of the JSON on
# stdin (a list or one job), in the order given. (Quotes inside JSON strings
# are escaped, so these patterns only match the job objects' own keys.)
svc__summary() {
  grep -oE '\{"id":[0-9]+,"state":"[a-z]+"|"segments":[0-9]+' |
    awk -F'[{}:,"]+' '$2 == "id" { id = $3; st = $5 } $2 == "segments" { print id, st, $3 }'
}

# svc_jobs [LIST ARGS...]: "ID STATE SEGMENTS" for each job, sorted by id.
# Returns non-zero when the service does not answer.
# shellcheck disable=SC2120  # arguments are optional
svc_jobs() {
  local json
  json=$(svc_client list --json "$@") || return 1
  svc__summary <<<"$json" | sort -n
}

# svc_job ID: "STATE SEGMENTS" of one job; non-zero when there is no answer.
svc_job() {
  local json line
  json=$(svc_client status "$1" --json) || return 1
  line=$(svc__summary <<<"$json")
  [[ -n "$line" ]] || return 1
  echo "${line#* }"
}

# svc_field ID FIELD: one field of the job's status (JSON text for objects).
svc_field() {
  local json
  json=$(svc_client status "$1" --json) || fail "vtpool status $1 --json failed"
  python3 -c '
import json, sys
v = json.loads(sys.stdin.read()).get(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v))
' "$2" <<<"$json"
}

# svc_joined: how many times a worker joined, per the current service log.
svc_joined() {
  grep -c 'worker joined' "$SVC_LOG" || true
}

# svc_joined_at_least N: whether at least N workers have joined (for svc_until).
svc_joined_at_least() {
  (($(svc_joined) >= $1))
}

# svc_check_logs: no sanitizer report (ASan, UBSan, TSan, LSan) in the log
# of any service or worker started here (a worker that hit one may have died
# without failing a job: others took its segments).
svc_check_logs() {
  local f hit
  for f in "$PWD"/*.log; do
    [[ -e "$f" ]] || continue
    hit=$(grep -m1 -E 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:' "$f" || true)
    [[ -z "$hit" ]] || fail "sanitizer report in ${f##*/}: $hit"
  done
}

# svc_finish: the orderly end of a case: SIGTERM (after SIGCONT) to every
# process still running, each must exit within 15 s, and no log may hold a
# sanitizer report (leaks are reported only at such an exit).
svc_finish() {
  local p start
  for p in "${SVC_PIDS[@]}"; do
    svc_running "$p" || continue
    kill -CONT "$p" 2>/dev/null || true
    kill -TERM "$p" 2>/dev/null || true
  done
  start=$(date +%s%N)
  for p in "${SVC_PIDS[@]}"; do
    while svc_running "$p"; do
      if (($(date +%s%N) - start > 15000000000)); then
        fail "pid $p ($(tr '\0' ' ' <"/proc/$p/cmdline" | head -c 200)) did not exit within 15 s of SIGTERM"
      fi
      sleep 0.05
    done
  done
  SVC_PID=
  svc_check_logs
}

# svc_make_input FILE SECONDS [SEED]: 320x240, 25 fps, noisy testsrc2 in
# x264 with a keyframe every 25 frames, and FLAC audio, in Matroska.
svc_make_input() {
  local file=$1 secs=$2 seed=${3:-1}
  gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=$secs,noise=alls=20:allf=t:all_seed=$seed" \
    -f lavfi -i "sine=frequency=$((300 + seed * 110)):sample_rate=48000:duration=$secs" \
    -map 0:v -map 1:a -c:v libx264 -preset veryfast -pix_fmt yuv420p \
    -x264-params keyint=25:min-keyint=25:scenecut=0 -c:a flac "$file"
}

# svc_check_output IN OUT: frame-exact video and identical audio.
svc_check_output() {
  assert_same_frames "$1" "$2"
  assert_same_audio "$1" "$2"
}

# The identity filter that makes workers slow without using the CPU: each
# frame is passed on no sooner than its time at SVC_SPEED x real time, so a
# one-second segment takes 1/SVC_SPEED s. It changes no pixel.
: "${SVC_SPEED:=4}"
# shellcheck disable=SC2034  # used by the cases
SVC_SLOW=(--vf "realtime=speed=$SVC_SPEED")
