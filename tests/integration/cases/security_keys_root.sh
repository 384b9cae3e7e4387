# shellcheck shell=bash
# CURVE keys and --root confinement of `vtpool serve`:
#  - a network endpoint without keys is refused unless --insecure;
#  - a worker or client without an authorized key gets no work and no answer;
#  - authorized ones work, and the job is frame-exact;
#  - a job whose output (or input) lies outside --root is refused at submit.
# shellcheck source=../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

mkdir -p media out elsewhere auth
svc_make_input media/in.mkv 4
ln -s "$PWD/elsewhere" out/link
for k in server w1 c1 stranger; do
  "$VTPOOL" keygen "$k" >/dev/null || fail "vtpool keygen $k failed"
done
[[ $(stat -c %a c1.key) == 600 ]] || fail "c1.key is not private (mode $(stat -c %a c1.key))"
cp w1.pub c1.pub auth/

# No keys on a network address: refused, one line, exit 2.
rc=0
"$VTPOOL" serve --listen "tcp://0.0.0.0:$(svc_pick_port)" --control "tcp://127.0.0.1:$(svc_pick_port)" \
  --db nokeys.db --workdir nokeys -j 0 2>nokeys.err || rc=$?
((rc == 2)) || fail "serve on 0.0.0.0 without keys exited $rc, expected 2"
grep -q 'without keys' nokeys.err || fail "no clear refusal: $(cat nokeys.err)"

svc_start --key server.key --authorized auth --root "$PWD/media" --root "$PWD/out"
GOOD=(--key c1.key --server-key server.pub)
BAD=(--key stranger.key --server-key server.pub)

# A client without an authorized key, or without any key: no answer (7).
for who in stranger none; do
  rc=0
  if [[ $who == stranger ]]; then
    svc_client list "${BAD[@]}" >"$who.out" 2>"$who.err" || rc=$?
  else
    svc_client list >"$who.out" 2>"$who.err" || rc=$?
  fi
  ((rc == 7)) || fail "client with key '$who' exited $rc, expected 7 (no answer)"
  [[ ! -s "$who.out" ]] || fail "client with key '$who' got an answer: $(cat "$who.out")"
done

id=$(svc_submit media/in.mkv -o out/out.mkv -c ffv1 --segment 1 "${GOOD[@]}")

# A worker with an unauthorized key gets no work.
svc_worker stranger-worker "${BAD[@]}"
sleep 3
state=$(svc_client status "$id" --json "${GOOD[@]}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
[[ $state == queued ]] || fail "with only an unauthorized worker the job is '$state', expected queued"
grep -q 'not authorized' "$SVC_LOG" || fail "the service did not log the refused key"

# An authorized worker does the job.
svc_worker good-worker --key w1.key --server-key server.pub
rc=0
timeout -k 5 80 "$VTPOOL" wait "$id" --server "$SVC_CONTROL" --timeout 60 "${GOOD[@]}" 2>wait.err || rc=$?
((rc == 0)) || fail "vtpool wait exited $rc: $(cat wait.err)"
svc_check_output media/in.mkv out/out.mkv

# --root: outside, through .., through a symlink, input outside: refused (2).
cp media/in.mkv elsewhere/in.mkv
for args in "media/in.mkv -o elsewhere/o.mkv" "media/in.mkv -o out/../elsewhere/o.mkv" \
            "media/in.mkv -o out/link/o.mkv" "elsewhere/in.mkv -o out/o2.mkv"; do
  rc=0
  # shellcheck disable=SC2086  # the words of $args are the arguments
  svc_client submit $args -c ffv1 "${GOOD[@]}" >root.out 2>root.err || rc=$?
  ((rc == 2)) || fail "submit $args exited $rc, expected 2 (outside --root)"
  grep -q -- '--root' root.err || fail "submit $args: no clear reason: $(cat root.err)"
done
for f in elsewhere/* elsewhere/.[!.]*; do
  [[ ! -e $f || $f == elsewhere/in.mkv ]] || fail "something was written outside --root: $f"
done
