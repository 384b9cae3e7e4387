# shellcheck shell=bash
# The service on the web (serve --http, with a token and --root): a job
# submitted with curl runs to "done" as the API reports it, frame-exact;
# the events stream tells its states as they change; HTTPS works with
# --http-cert and --http-key; a second job is
# cancelled through the API; the refusals carry the right status (400 for
# bad JSON, a bad option, an unreadable input or one outside --root; 401
# without or with a wrong token; 404, 405, 413, 415); /metrics passes
# `promtool check metrics` and counts what was done (and scripts/deploy's
# Prometheus config, rules and Grafana dashboard are valid and use only
# metrics it serves); 1,000 hostile requests
# leave the service serving with the queue as it was; a non-loopback
# address without a token is refused at start.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

for tool in curl jq promtool openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/setup.sh)"
done

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 6 1
svc_make_input "$PWD/in/long.mkv" 12 2
head -c 48 /dev/urandom | base64 | tr -d '/+=\n' >token
TOKEN=$(cat token)

# Refused at start: a network address without a token.
rc=0
timeout 20 "$VTPOOL" serve --db "$PWD/x.db" --workdir "$PWD/x" -j 0 --http 0.0.0.0:0 \
  --listen "tcp://127.0.0.1:$(svc_pick_port)" --control "tcp://127.0.0.1:$(svc_pick_port)" \
  2>refused.log || rc=$?
assert_eq "$rc" 2 "serve --http 0.0.0.0:0 without --http-token: exit status"
grep -q 'needs --http-token' refused.log || fail "no reason given: $(cat refused.log)"

# HTTPS: the same server over TLS, with a self-signed certificate.
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >openssl.log 2>&1 ||
  fail "openssl could not make a certificate: $(tail -c 300 openssl.log)"
"$VTPOOL" serve --db "$PWD/tls.db" --workdir "$PWD/tls" -j 0 --http 127.0.0.1:0 \
  --http-cert cert.pem --http-key key.pem --listen "tcp://127.0.0.1:$(svc_pick_port)" \
  --control "tcp://127.0.0.1:$(svc_pick_port)" >tls.log 2>&1 &
tls_pid=$!
SVC_PIDS+=("$tls_pid")
svc_until 15 "the HTTPS server to start" grep -q 'dashboard and API on https://' tls.log
tls_port=$(sed -n 's|.*on https://127.0.0.1:\([0-9]*\)/.*|\1|p' tls.log)
code=$(curl -sS -o api.out -w '%{http_code}' --cacert cert.pem "https://127.0.0.1:$tls_port/api/v1/jobs")
assert_eq "$code" 200 "GET /api/v1/jobs over HTTPS"
jq -e '.jobs == []' api.out >/dev/null || fail "over HTTPS: $(head -c 300 api.out)"
code=$(curl -sS -o api.out -w '%{http_code}' "http://127.0.0.1:$tls_port/api/v1/jobs" 2>/dev/null) || true
[[ "$code" != 200 ]] || fail "the HTTPS server answered plain HTTP"
kill "$tls_pid"
wait "$tls_pid" 2>/dev/null || true

svc_start --http 127.0.0.1:0 --http-token "$PWD/token" --root "$PWD"
port=$(sed -n 's|.*dashboard and API on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$SVC_LOG" | head -n 1)
[[ -n "$port" ]] || fail "the service did not say where it serves HTTP: $(svc_tail "$SVC_LOG")"
BASE=http://127.0.0.1:$port
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

# api METHOD PATH [CURL ARGS...]: the request with the token; the status in
# $code, the body in api.out.
api() {
  local method=$1 path=$2
  shift 2
  code=$(curl -sS -o api.out -w '%{http_code}' --max-time 30 -X "$method" \
    -H "Authorization: Bearer $TOKEN" "$@" "$BASE$path") || fail "curl $method $path failed"
}
# expect CODE WHAT: the last answer had status CODE and a JSON error.
expect() {
  [[ "$code" == "$1" ]] || fail "$2: status $code, expected $1: $(head -c 300 api.out)"
  if (($1 >= 400)); then
    jq -e '.error | type == "string" and length > 0' api.out >/dev/null ||
      fail "$2: no JSON error in the answer: $(head -c 300 api.out)"
  fi
}
job_json() { printf '{"input":"%s","output":"%s","encoder":"ffv1","segment":1%s}' "$1" "$2" "${3:-}"; }

# The event stream, from before the first job until the end.
curl -sS -N --max-time 120 -H "Authorization: Bearer $TOKEN" "$BASE/api/v1/events" >events.txt 2>events.err &
events_pid=$!
SVC_PIDS+=("$events_pid")
svc_until 10 "the event stream to open" grep -q '^event: workers' events.txt

# Submit, then follow it through the API to "done".
api POST /api/v1/jobs -H 'Content-Type: application/json' --data "$(job_json "$PWD/in/a.mkv" "$PWD/out/a.mkv")"
expect 201 "POST /api/v1/jobs"
id=$(jq -r .id api.out)
[[ "$id" =~ ^[0-9]+$ ]] || fail "POST /api/v1/jobs: no id in $(cat api.out)"
log "submitted job $id through the API"
job_done() {
  api GET "/api/v1/jobs/$id"
  [[ "$code" == 200 ]] || fail "GET /api/v1/jobs/$id: status $code: $(head -c 300 api.out)"
  [[ "$(jq -r .state api.out)" == done ]]
}
svc_until 90 "job $id to be done (GET /api/v1/jobs/$id)" job_done
jq -e '.percent == 100 and .frames == 150 and .fps > 0 and .finished >= .started and .started >= .submitted
       and .eta == null and .spec.input != null' api.out >/dev/null ||
  fail "GET /api/v1/jobs/$id when done: $(cat api.out)"
svc_check_output "$PWD/in/a.mkv" "$PWD/out/a.mkv"
api GET "/api/v1/jobs?state=done&limit=10"
expect 200 "GET /api/v1/jobs?state=done"
jq -e --argjson id "$id" '[.jobs[].id] == [$id]' api.out >/dev/null || fail "done jobs: $(cat api.out)"

api GET /api/v1/workers
expect 200 "GET /api/v1/workers"
jq -e '(.workers | length) == 2 and .slots == 2 and all(.workers[]; .address == "127.0.0.1"
       and .slots == 1 and .last_heartbeat > 0) and ([.workers[].segments] | add) >= 6' api.out \
  >/dev/null || fail "GET /api/v1/workers: $(jq -c 'del(.workers[].encoders)' api.out)"

# A long job, slowed, cancelled through the API while it runs.
api POST /api/v1/jobs -H 'Content-Type: application/json' \
  --data "$(job_json "$PWD/in/long.mkv" "$PWD/out/long.mkv" ',"vf":"realtime=speed=2"')"
expect 201 "POST /api/v1/jobs (long)"
long=$(jq -r .id api.out)
long_running() {
  api GET "/api/v1/jobs/$long"
  [[ "$(jq -r .state api.out)" == running ]]
}
svc_until 30 "job $long to run" long_running
api POST "/api/v1/jobs/$long/cancel"
expect 200 "POST /api/v1/jobs/$long/cancel"
jq -e --argjson id "$long" '.id == $id and .changed == true' api.out >/dev/null || fail "cancel: $(cat api.out)"
api GET "/api/v1/jobs/$long"
assert_eq "$(jq -r .state api.out)" cancelled "state of job $long after the cancel"
api POST "/api/v1/jobs/$long/cancel"
jq -e '.changed == false' api.out >/dev/null || fail "a second cancel: $(cat api.out)"

# The stream told each change of the first job, and the totals.
svc_until 10 "the cancel in the event stream" \
  grep -q "^data: {\"id\":$long,\"state\":\"cancelled\"" events.txt
for state in queued running done; do
  grep -q "^data: {\"id\":$id,\"state\":\"$state\"" events.txt ||
    fail "no '$state' event of job $id in the stream: $(grep -c '^event' events.txt) events"
done
grep -q '^event: stats' events.txt || fail "no stats event in the stream"
grep '^data: ' events.txt | sed 's/^data: //' | jq -e . >/dev/null ||
  fail "an event's data is not JSON"

# Refusals.
api POST /api/v1/jobs -H 'Content-Type: application/json' --data '{"input": '
expect 400 "bad JSON"
api POST /api/v1/jobs -H 'Content-Type: application/json' --data '[1, 2]'
expect 400 "a JSON array"
api POST /api/v1/jobs -H 'Content-Type: application/json' \
  --data "$(printf '{"input":"%s","output":"%s","encoder":"no-such-encoder"}' "$PWD/in/a.mkv" "$PWD/out/x.mkv")"
expect 400 "an unknown encoder"
grep -q 'no-such-encoder' api.out || fail "the unknown encoder is not named: $(cat api.out)"
api POST /api/v1/jobs -H 'Content-Type: application/json' --data "$(job_json "$PWD/in/none.mkv" "$PWD/out/x.mkv")"
expect 400 "an input that does not exist"
api POST /api/v1/jobs -H 'Content-Type: application/json' --data "$(job_json /etc/hostname "$PWD/out/x.mkv")"
expect 400 "an input outside --root"
# A reason cut inside a character (a long name of two-byte characters) is
# still answered, at once.
for prefix in x xy; do       # one of the two cuts inside a character
  long_name=$PWD/in/$prefix$(printf 'é%.0s' $(seq 600)).mkv
  api POST /api/v1/jobs -H 'Content-Type: application/json' --max-time 10 \
    --data "$(job_json "$long_name" "$PWD/out/x.mkv")"
  expect 400 "an input with a long name of two-byte characters ($prefix)"
done
api POST /api/v1/jobs -H 'Content-Type: text/plain' --data "$(job_json "$PWD/in/a.mkv" "$PWD/out/x.mkv")"
expect 415 "a job as text/plain"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >big.json
api POST /api/v1/jobs -H 'Content-Type: application/json' --data-binary @big.json
expect 413 "a body over 1 MiB"
api POST /api/v1/jobs -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @big.json
expect 413 "a chunked body over 1 MiB"
api GET /api/v1/jobs/999999
expect 404 "an unknown job"
api POST /api/v1/jobs/999999/cancel
expect 404 "cancelling an unknown job"
api GET /api/v1/nothing
expect 404 "an unknown path"
api DELETE /api/v1/jobs
expect 405 "DELETE /api/v1/jobs"
api GET "/api/v1/jobs/$id/cancel"
expect 405 "cancel by GET"
api GET "/api/v1/jobs?limit=-3"
expect 400 "a negative limit"
code=$(curl -sS -o api.out -w '%{http_code}' "$BASE/api/v1/jobs")
expect 401 "no token"
code=$(curl -sS -o api.out -w '%{http_code}' -H "Authorization: Bearer ${TOKEN}x" "$BASE/api/v1/jobs")
expect 401 "a wrong token"
code=$(curl -sS -o api.out -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data "$(job_json "$PWD/in/a.mkv" "$PWD/out/x.mkv")" "$BASE/api/v1/jobs")
expect 401 "a submit without the token"
code=$(curl -sS -o api.out -w '%{http_code}' "$BASE/")
[[ "$code" == 200 ]] && grep -q '<title>vtpool' api.out || fail "the dashboard page: status $code"
api GET /api/v1/openapi.json
expect 200 "the OpenAPI description"
jq -e '.openapi and .paths["/api/v1/jobs"] and .paths["/api/v1/events"]' api.out >/dev/null ||
  fail "the OpenAPI description is not one: $(head -c 200 api.out)"

# Metrics.
api GET /metrics
expect 200 "GET /metrics"
promtool check metrics <api.out >promtool.out 2>&1 || fail "promtool check metrics: $(head -c 600 promtool.out)"
metric() { awk -v m="$1" '$1 == m { print $2 }' api.out; }
assert_eq "$(metric 'vtpool_jobs{state="done"}')" 1 "vtpool_jobs{state=done}"
assert_eq "$(metric 'vtpool_jobs{state="cancelled"}')" 1 "vtpool_jobs{state=cancelled}"
assert_eq "$(metric vtpool_workers_connected)" 2 "vtpool_workers_connected"
assert_eq "$(metric vtpool_slots)" 2 "vtpool_slots"
frames=$(metric vtpool_frames_encoded_total)
((frames >= 150)) || fail "vtpool_frames_encoded_total is $frames, under the 150 frames of job $id"
[[ -n "$(metric 'vtpool_encode_seconds_total{encoder="ffv1"}')" ]] || fail "no encode seconds for ffv1"
(($(metric vtpool_dispatcher_loop_seconds_count) > 0)) || fail "the loop histogram is empty"
# scripts/deploy: the Prometheus config and rules are valid, and every
# metric they and the Grafana dashboard use is one the service serves.
deploy=$(dirname "${BASH_SOURCE[0]}")/../../../scripts/deploy
promtool check config "$deploy/prometheus.yml" >promtool.out 2>&1 ||
  fail "promtool check config scripts/deploy/prometheus.yml: $(tail -c 600 promtool.out)"
jq -e '.panels | length > 0' "$deploy/grafana-dashboard.json" >/dev/null ||
  fail "scripts/deploy/grafana-dashboard.json has no panels"
served=$(awk '/^# TYPE / { print $3 }' api.out | sort -u)
for name in $(grep -ohE 'vtpool_[a-z_]+' "$deploy/grafana-dashboard.json" "$deploy/vtpool-alerts.yml" | sort -u); do
  base=$(sed -E 's/_(bucket|sum|count)$//' <<<"$name")
  grep -qx "$base" <<<"$served" || fail "scripts/deploy uses $name, which /metrics does not serve"
done

# 1,000 hostile requests: the service keeps serving, and the queue is as it was.
api GET "/api/v1/jobs?limit=1000"
before=$(jq -c '[.jobs[] | {id, state}]' api.out)
python3 "$(dirname "${BASH_SOURCE[0]}")/../tools/http_fuzz.py" 127.0.0.1 "$port" 1000 7 --token "$TOKEN" \
  >fuzz.json 2>fuzz.err || fail "the hostile requests left the service unable to answer: $(tail -c 400 fuzz.err)"
log "hostile requests: $(cat fuzz.json)"
svc_alive
jq -e '.bad == 0 and .requests == 1000' fuzz.json >/dev/null || fail "5xx or malformed answers: $(cat fuzz.json)"
api GET "/api/v1/jobs?limit=1000"
assert_eq "$(jq -c '[.jobs[] | {id, state}]' api.out)" "$before" "the queue after the hostile requests"

# And it still works: one more job, to the end.
api POST /api/v1/jobs -H 'Content-Type: application/json' \
  --data "$(job_json "$PWD/in/a.mkv" "$PWD/out/b.mkv")"
expect 201 "POST /api/v1/jobs after the hostile requests"
id=$(jq -r .id api.out)
svc_until 90 "job $id to be done" job_done
svc_check_output "$PWD/in/a.mkv" "$PWD/out/b.mkv"

kill "$events_pid" 2>/dev/null || true
wait "$events_pid" 2>/dev/null || true
svc_finish
