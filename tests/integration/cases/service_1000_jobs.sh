# shellcheck shell=bash
# 1000 jobs submitted by 10 concurrent clients are all accepted and listed,
# and survive a SIGKILL of the service. With -j 0 and no worker every job
# stays queued. Each client submits 100 jobs: one jobs file of 90 lines and
# 10 single submits. Every submit returns the ids of its jobs, the 1000 ids
# are distinct, `vtpool list --json` shows exactly those jobs (id, state
# "queued", output), and so does a service restarted on the same queue.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

NCLIENTS=10
NFILE=90
NSINGLE=10
mkdir -p in out
svc_make_input "$PWD/in/in.mkv" 1 1
svc_start

# One client: prints "ID OUTPUT" lines for the jobs it queued; exits non-zero
# at the first refusal.
cat >client.sh <<'EOF'
set -euo pipefail
c=$1 vtpool=$2 server=$3 in=$4 dir=$5 nfile=$6 nsingle=$7
: >"$dir/c$c.outputs"
for ((i = 1; i <= nfile; i++)); do
  out=$dir/out/c$c-f$i.mkv
  printf '{"input": "%s", "output": "%s", "encoder": "ffv1", "segment": 1}\n' "$in" "$out" >>"$dir/c$c.jsonl"
  echo "$out" >>"$dir/c$c.outputs"
done
timeout -k 5 60 "$vtpool" submit --server "$server" --file "$dir/c$c.jsonl" >"$dir/c$c.ids" ||
  { echo "client $c: submit --file exited $?" >&2; exit 1; }
for ((i = 1; i <= nsingle; i++)); do
  out=$dir/out/c$c-s$i.mkv
  echo "$out" >>"$dir/c$c.outputs"
  timeout -k 5 30 "$vtpool" submit --server "$server" "$in" -o "$out" -c ffv1 --segment 1 \
    >>"$dir/c$c.ids" || { echo "client $c: single submit $i exited $?" >&2; exit 2; }
done
paste -d' ' "$dir/c$c.ids" "$dir/c$c.outputs" >"$dir/c$c.submitted"
EOF

t0=$(date +%s%N)
clients=()
for ((c = 0; c < NCLIENTS; c++)); do
  svc_spawn_group "client$c" bash client.sh "$c" "$VTPOOL" "$SVC_CONTROL" "$PWD/in/in.mkv" "$PWD" \
    "$NFILE" "$NSINGLE"
  clients+=("$SVC_LAST_PID")
done
clients_ended() {
  local p
  for p in "${clients[@]}"; do
    svc_running "$p" && return 1
  done
  return 0
}
svc_until 180 "the $NCLIENTS clients to finish" clients_ended
for ((c = 0; c < NCLIENTS; c++)); do
  rc=0
  wait "${clients[c]}" || rc=$?
  ((rc == 0)) || fail "client $c exited $rc: $(svc_tail "client$c.log")"
  n=$(grep -c . "c$c.ids" || true)
  ((n == NFILE + NSINGLE)) || fail "client $c got $n ids for $((NFILE + NSINGLE)) jobs"
done
log "$NCLIENTS clients submitted $((NCLIENTS * (NFILE + NSINGLE))) jobs in $((($(date +%s%N) - t0) / 1000000)) ms"

total=$((NCLIENTS * (NFILE + NSINGLE)))
cat c*.submitted | sort -n >submitted.txt
bad=$(grep -cvE '^[1-9][0-9]* /' submitted.txt || true)
((bad == 0)) || fail "$bad submitted lines are not 'ID OUTPUT': $(grep -vE '^[1-9][0-9]* /' submitted.txt | head -n3 | tr '\n' ';')"
assert_eq "$(awk '{ print $1 }' submitted.txt | sort -u | grep -c .)" "$total" "distinct job ids returned"

# listed: "ID STATE OUTPUT" for every job.
listed() {
  local json
  json=$(svc_client list --json) || fail "vtpool list --json failed"
  python3 -c '
import json, sys
for j in json.loads(sys.stdin.read()):
    print(j["id"], j["state"], j["spec"]["output"])
' <<<"$json" | sort -n
}
check_listed() {
  local what=$1 got
  listed >"$what.txt"
  got=$(grep -c . "$what.txt" || true)
  ((got == total)) || fail "$what: vtpool list shows $got jobs, expected $total"
  awk '{ print $1, "queued", $2 }' submitted.txt | diff -q - "$what.txt" >/dev/null ||
    fail "$what: the listed jobs differ from those submitted: $(awk '{ print $1, "queued", $2 }' submitted.txt | diff - "$what.txt" | head -n4 | tr '\n' ';')"
  log "$what: vtpool list shows the $total jobs submitted, all queued"
}
check_listed listed-before

svc_kill
svc_start
check_listed listed-after-restart

# --limit N: the N newest jobs; --state: only that state.
assert_eq "$(svc_jobs --limit 7 | awk '{ print $1 }' | tr '\n' ' ')" \
  "$(awk '{ print $1 }' submitted.txt | tail -n 7 | tr '\n' ' ')" "vtpool list --limit 7"
assert_eq "$(svc_jobs --state queued | grep -c .)" "$total" "vtpool list --state queued"
assert_eq "$(svc_jobs --state running | grep -c . || true)" 0 "vtpool list --state running"
svc_finish
