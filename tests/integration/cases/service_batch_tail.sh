# shellcheck shell=bash
# With jobs waiting, no tail is cut finer: workers freed at the end of one
# job take the next, so extra cuts (and keyframes) would buy nothing. Two
# 8 s jobs queued at once on two workers with 1 s segments and a keyframe a
# second: the first is cut at its keyframes only (8 segments), the last,
# with nothing behind it, has its tail cut finer. Both come out frame-exact.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 8 1
svc_make_input "$PWD/in/b.mkv" 8 2

svc_start
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

for n in a b; do
  printf '{"input": "%s", "output": "%s", "encoder": "ffv1", "segment": 1}\n' \
    "$PWD/in/$n.mkv" "$PWD/out/$n.mkv"
done >jobs.jsonl
mapfile -t ids < <(svc_client submit --file jobs.jsonl)
((${#ids[@]} == 2)) || fail "submit --file: expected 2 job ids, got: ${ids[*]}"
log "submitted jobs ${ids[*]} at once"
svc_wait "${ids[0]}" 0 60
svc_wait "${ids[1]}" 0 60

first=$(svc_field "${ids[0]}" segments)
last=$(svc_field "${ids[1]}" segments)
log "segments: ${ids[0]}: $first, ${ids[1]}: $last"
assert_eq "$first" 8 "segments of job ${ids[0]} (another job waited behind it)"
((last > 8)) || fail "job ${ids[1]}, the last, went through $last segments: its tail was not cut finer"
svc_check_output "$PWD/in/a.mkv" "$PWD/out/a.mkv"
svc_check_output "$PWD/in/b.mkv" "$PWD/out/b.mkv"
svc_finish
