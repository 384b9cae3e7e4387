# shellcheck shell=bash
# Thirty-two remote worker processes (`vtpool worker -j 1`, oversubscribed
# 16 to a core on this machine) and one service finish 20 jobs, submitted at
# once, frame-exact, and nothing is sent twice:
#  - all 32 workers join, and none leaves or is declared dead or unreachable;
#  - every segment of every job goes to a worker exactly once (the service's
#    -vv line "job J segment S: to a worker" appears once per segment, and
#    the number of such lines is the sum of the jobs' segments);
#  - no worker finds the service silent and reconnects.
# This tests correctness with many peers, not speed.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

WORKERS=32
JOBS=20
INPUTS=4

mkdir -p in out
for ((k = 1; k <= INPUTS; k++)); do
  svc_make_input "$PWD/in/$k.mkv" 2 "$k"
done

svc_start -v
for ((w = 1; w <= WORKERS; w++)); do
  svc_worker "w$w" >/dev/null
done
svc_until 120 "$WORKERS workers to join" svc_joined_at_least "$WORKERS"
log "$WORKERS workers joined"

ids=()
for ((n = 1; n <= JOBS; n++)); do
  k=$(((n - 1) % INPUTS + 1))
  ids+=("$(svc_submit "$PWD/in/$k.mkv" -o "$PWD/out/$n.mkv" -c ffv1 --segment 0.5)")
done
for id in "${ids[@]}"; do
  svc_wait "$id" 0 600
done

again=$(grep -E 'stopped answering|could not be reached|sending it again|failed [0-9]+ times' "$SVC_LOG" || true)
[[ -z "$again" ]] || fail "segments sent twice or workers lost: $(tr '\n' ';' <<<"$again" | head -c 600)"
silent=$(grep -l 'dispatcher silent' w*.log || true)
[[ -z "$silent" ]] || fail "workers found the service silent: $(tr '\n' ' ' <<<"$silent")"
assert_eq "$(svc_joined)" "$WORKERS" "workers joined (a worker that rejoined would count twice)"

sends=$(grep -oE 'job [0-9]+ segment [0-9]+: to a worker' "$SVC_LOG" | sort)
dup=$(uniq -d <<<"$sends")
[[ -z "$dup" ]] || fail "segments sent more than once: $(tr '\n' ';' <<<"$dup" | head -c 600)"
planned=0
for id in "${ids[@]}"; do
  planned=$((planned + $(svc_job "$id" | awk '{ print $2 }')))
done
assert_eq "$(wc -l <<<"$sends")" "$planned" "segments sent (one per segment of the $JOBS jobs)"

log "$planned segments of $JOBS jobs on $WORKERS workers, each sent once"

for ((n = 1; n <= JOBS; n++)); do
  k=$(((n - 1) % INPUTS + 1))
  svc_check_output "$PWD/in/$k.mkv" "$PWD/out/$n.mkv"
done
svc_finish
