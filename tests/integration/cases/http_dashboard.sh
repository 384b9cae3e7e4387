# shellcheck shell=bash
# The dashboard in a real browser: headless Chromium, driven through
# puppeteer-core (tools/dashboard.js), opens the page of serve --http with
# a token, submits a job from its form and watches its progress bar reach
# 100% and its state "done", submits a long second job and cancels it with
# its button; no error on the page's console, no sideways scrolling at
# phone width. The first job's output has every frame; the second's state
# is "cancelled" in the queue too. The screenshots are kept beside the
# vtpool binary (build/dashboard.png, build/dashboard-phone.png) for the
# README.
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

command -v node >/dev/null || fail "node is not installed (scripts/setup.sh)"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup.sh)"
libs=$(player_libs) || exit 1

mkdir -p in out
svc_make_input "$PWD/in/a.mkv" 8 1
# Long enough that it is still at work when the button is clicked.
gen -f lavfi -i "testsrc2=size=640x360:rate=25:duration=90" -c:v libx264 -preset ultrafast \
  -g 50 "$PWD/in/long.mp4"
head -c 48 /dev/urandom | base64 | tr -d '/+=\n' >token

svc_start --http 127.0.0.1:0 --http-token "$PWD/token"
port=$(sed -n 's|.*dashboard and API on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$SVC_LOG" | head -n 1)
[[ -n "$port" ]] || fail "the service did not say where it serves HTTP: $(svc_tail "$SVC_LOG")"
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

shots=$(dirname "$VTPOOL")
profile=$(mktemp -d "$PWD/chromium.XXXXXX")
rc=0
HOME=$profile TMPDIR=$profile VTPOOL_NPM_DIR=$libs timeout -k 5 200 node \
  "$(dirname "${BASH_SOURCE[0]}")/../tools/dashboard.js" --url "http://127.0.0.1:$port/" \
  --token "$(cat token)" --job1-input "$PWD/in/a.mkv" --job1-output "$PWD/out/a.mkv" \
  --job2-input "$PWD/in/long.mp4" --job2-output "$PWD/out/long.mp4" \
  --screenshot "$PWD/dashboard.png" --phone-screenshot "$PWD/dashboard-phone.png" \
  --timeout-s 150 >report.json 2>browser.log || rc=$?
rm -rf "$profile"
log "browser: $(cat report.json)"
((rc == 0)) || fail "the dashboard test failed ($rc): $(cat report.json) $(tail -c 600 browser.log)"
jq -e '.ok == true and .max_percent_seen == 100 and .phone_overflow == false
       and (.job1_states | index("done")) != null' report.json >/dev/null ||
  fail "the browser's report: $(cat report.json)"
job1=$(jq -r .job1 report.json)
job2=$(jq -r .job2 report.json)
assert_eq "$(svc_field "$job1" state)" done "state of job $job1 (submitted from the form)"
assert_eq "$(svc_field "$job2" state)" cancelled "state of job $job2 (cancelled with its button)"
assert_eq "$(count_frames "$PWD/out/a.mkv")" "$(count_frames "$PWD/in/a.mkv")" "frames of job $job1's output"
[[ ! -e "$PWD/out/long.mp4" ]] || fail "the cancelled job left its output"

for shot in dashboard.png dashboard-phone.png; do
  assert_file "$shot"
  cp "$shot" "$shots/$shot" 2>/dev/null || log "could not keep $shot beside $VTPOOL"
done
svc_finish
