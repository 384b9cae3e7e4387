# shellcheck shell=bash
# Jobs the service must refuse or fail, and what stays usable after them:
#  - submit refuses (one "vtpool: " line, nothing queued, no output; exit 3
#    for a missing input, 4 for an existing output without -y, 2 for an
#    unknown encoder or option or bad JSON), also in jobs files with one bad
#    line;
#  - cancel on a queued job: wait exits 6, and the job never runs;
#  - a job whose encoder cannot take its input (10-bit input, libx264
#    profile=baseline: valid options, but the encoder cannot open) ends
#    "failed" when it starts, with an error naming the encoder and the
#    settings, wait exits 5, it leaves no output; a good job then completes
#    frame-exact;
#  - with no service, list exits 7 within ~12 s with one line on stderr.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

mkdir -p in out
svc_make_input "$PWD/in/good.mkv" 6 1
gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=4" -c:v ffv1 -pix_fmt yuv420p10le \
  -g 25 "$PWD/in/ten.mkv"
assert_eq "$(stream_field "$PWD/in/ten.mkv" v:0 pix_fmt)" yuv420p10le "generator: 10-bit input"

svc_start   # no worker yet: whatever is accepted stays queued

njobs() {
  svc_jobs | grep -c . || true
}

# ---- refused submits ----
assert_fails 3 "$PWD/out/r1.mkv" svc_client submit "$PWD/in/missing.mkv" -o "$PWD/out/r1.mkv" -c ffv1
assert_fails 2 "$PWD/out/r2.mkv" svc_client submit "$PWD/in/good.mkv" -o "$PWD/out/r2.mkv" -c nosuchcodec
assert_fails 2 "$PWD/out/r3.mkv" svc_client submit "$PWD/in/good.mkv" -o "$PWD/out/r3.mkv" \
  -c libx264 -x nosuchoption=1
# What encode refuses before any work, submit refuses too.
assert_fails 2 "$PWD/out/r4.webm" svc_client submit "$PWD/in/good.mkv" -o "$PWD/out/r4.webm" \
  -c libx264
assert_fails 2 "$PWD/out/r5.nosuchformat" svc_client submit "$PWD/in/good.mkv" \
  -o "$PWD/out/r5.nosuchformat" -c ffv1
assert_fails 2 "$PWD/out/r6.mkv" svc_client submit "$PWD/in/good.mkv" -o "$PWD/out/r6.mkv" \
  -c ffv1 --audio nosuchcodec
cp "$PWD/in/good.mkv" "$PWD/out/exists.mkv"
assert_fails_keeps 4 "$PWD/out/exists.mkv" svc_client submit "$PWD/in/good.mkv" \
  -o "$PWD/out/exists.mkv" -c ffv1
assert_eq "$(njobs)" 0 "jobs queued after the refused submits"

# Jobs files with three good lines and one bad: none of them is queued.
good_line() {
  printf '{"input": "%s", "output": "%s", "encoder": "ffv1", "segment": 1}\n' "$PWD/in/good.mkv" "$1"
}
# Each refused with the exit status of its bad line (as `vtpool encode`).
bad_codes=(3 2 2 4 2 2)
bad_lines=(
  '{"input": "'"$PWD"'/in/missing.mkv", "output": "'"$PWD"'/out/fx.mkv", "encoder": "ffv1"}'
  '{"input": "'"$PWD"'/in/good.mkv", "output": "'"$PWD"'/out/fx.mkv", "encoder": "nosuchcodec"}'
  '{"input": "'"$PWD"'/in/good.mkv", "output": "'"$PWD"'/out/fx.mkv", "encoder": "libx264", "options": {"nosuchoption": "1"}}'
  '{"input": "'"$PWD"'/in/good.mkv", "output": "'"$PWD"'/out/exists.mkv", "encoder": "ffv1"}'
  '{"input": "'"$PWD"'/in/good.mkv", "output": '
  '{"input": "'"$PWD"'/in/good.mkv", "output": "'"$PWD"'/out/fx.mkv", "no_such_key": 1}'
)
for ((b = 0; b < ${#bad_lines[@]}; b++)); do
  {
    good_line "$PWD/out/f$b-1.mkv"
    good_line "$PWD/out/f$b-2.mkv"
    printf '%s\n' "${bad_lines[b]}"
    good_line "$PWD/out/f$b-3.mkv"
  } >"bad$b.jsonl"
  assert_fails "${bad_codes[b]}" "$PWD/out/f$b-1.mkv" svc_client submit --file "$PWD/bad$b.jsonl"
  assert_eq "$(njobs)" 0 "jobs queued after refusing bad$b.jsonl (bad line: ${bad_lines[b]})"
done

# ---- cancel a queued job ----
idc=$(svc_submit "$PWD/in/good.mkv" -o "$PWD/out/cancelled.mkv" -c ffv1 --segment 1)
assert_eq "$(svc_field "$idc" state)" queued "state of job $idc with no worker"
out=$(svc_client cancel "$idc") || fail "vtpool cancel $idc failed"
log "vtpool cancel $idc: $out"
assert_eq "$(svc_field "$idc" state)" cancelled "state of job $idc after cancel"
svc_wait "$idc" 6 20

# ---- workers; a job that fails on every worker ----
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

idf=$(svc_submit "$PWD/in/ten.mkv" -o "$PWD/out/fails.mp4" -c libx264 -x profile=baseline --segment 1)
svc_wait "$idf" 5 60
err=$(svc_field "$idf" error)
log "job $idf error: $err"
[[ "$err" == *libx264*baseline* ]] || fail "the error of failed job $idf does not name the encoder and setting: $err"
[[ ! -e "$PWD/out/fails.mp4" ]] || fail "failed job $idf left its output"
_check_no_temp "$PWD/out" "failed job $idf"
[[ ! -e "$SVC_WORKDIR/job-$idf" ]] || fail "failed job $idf left $SVC_WORKDIR/job-$idf"
rc=0
timeout -k 5 40 "$VTPOOL" wait "$idf" --server "$SVC_CONTROL" --timeout 10 >/dev/null 2>wait.err || rc=$?
_check_failure 5 "$rc" wait.err "vtpool wait $idf (failed job)"
grep -q "libx264" wait.err || fail "vtpool wait $idf does not say what failed: $(_oneline wait.err)"

# ---- the service still works ----
idg=$(svc_submit "$PWD/in/good.mkv" -o "$PWD/out/good.mkv" -c ffv1 --segment 1)
svc_wait "$idg" 0 60
svc_check_output "$PWD/in/good.mkv" "$PWD/out/good.mkv"

# The cancelled job never ran, though workers came.
assert_eq "$(svc_field "$idc" state)" cancelled "state of cancelled job $idc at the end"
[[ ! -e "$PWD/out/cancelled.mkv" ]] || fail "cancelled job $idc wrote its output"
out=$(svc_client cancel "$idg") || fail "vtpool cancel $idg (done) failed"
assert_eq "$(svc_field "$idg" state)" "done" "state of done job $idg after a cancel"
assert_eq "$(njobs)" 3 "jobs in the queue"

# `list` for people: a header row, then one line a job; a state it does not
# know is a usage error in the user's words.
table=$(svc_client list) || fail "vtpool list failed"
[[ "$(head -1 <<<"$table")" == "ID     STATE      DONE     FPS      ETA  INPUT -> OUTPUT" ]] ||
  fail "vtpool list has no header row: $(head -1 <<<"$table")"
assert_eq "$(($(wc -l <<<"$table") - 1))" 3 "job lines of vtpool list"
rc=0
err=$(svc_client list --state bogus 2>&1) || rc=$?
((rc == 2)) || fail "vtpool list --state bogus: exit $rc (expected 2): $err"
[[ "$err" == *"--state takes queued, running, done, failed or cancelled, not 'bogus'"* ]] ||
  fail "vtpool list --state bogus: unclear refusal: $err"

# ---- no service ----
port=$(svc_pick_port)
t0=$(date +%s%N)
assert_fails 7 "$PWD/out/none" timeout -k 5 40 "$VTPOOL" list --server "tcp://127.0.0.1:$port"
ms=$((($(date +%s%N) - t0) / 1000000))
log "vtpool list with no service: exit 7 after $ms ms"
((ms <= 13000)) || fail "vtpool list with no service took $ms ms (expected ~10 s at most)"
svc_finish
