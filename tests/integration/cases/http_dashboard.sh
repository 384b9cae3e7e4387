# shellcheck shell=bash
# The dashboard in real browsers: headless Chromium, then Firefox, driven
# through puppeteer-core (tools/dashboard.js), each opens the page of serve --http with
# a token, submits a job from its form and watches its progress bar reach
# 100% and its state "done", submits a long second job and cancels it with
# its button; no error on the page's console, no sideways scrolling at
# phone width. The first job's output has every frame; the second's state
# is "cancelled" in the queue too. The screenshots are kept beside the
# vtpool binary (build/dashboard.png, dashboard-phone.png: Chromium's, for
# the README; dashboard-firefox.png).
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

command -v node >/dev/null || fail "node is not installed (scripts/setup.sh)"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/setup.sh)"
command -v firefox-esr >/dev/null || fail "firefox-esr is not installed (scripts/setup.sh)"
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
# drive BROWSER: the whole walk through the page in that browser, with two
# new jobs; screenshots BROWSER.png and BROWSER-phone.png.
drive() {
  local browser=$1 profile rc=0 job1 job2
  profile=$(mktemp -d "$PWD/$browser.XXXXXX")
  HOME=$profile TMPDIR=$profile VTPOOL_NPM_DIR=$libs timeout -k 5 200 node \
    "$(dirname "${BASH_SOURCE[0]}")/../tools/dashboard.js" --browser "$browser" \
    --url "http://127.0.0.1:$port/" --token "$(cat token)" \
    --job1-input "$PWD/in/a.mkv" --job1-output "$PWD/out/$browser-a.mkv" \
    --job2-input "$PWD/in/long.mp4" --job2-output "$PWD/out/$browser-long.mp4" \
    --screenshot "$PWD/$browser.png" --phone-screenshot "$PWD/$browser-phone.png" \
    --timeout-s 150 >"$browser.json" 2>"$browser.log" || rc=$?
  rm -rf "$profile"
  log "$browser: $(cat "$browser.json")"
  ((rc == 0)) || fail "$browser: the dashboard test failed ($rc): $(cat "$browser.json") $(tail -c 600 "$browser.log")"
  jq -e '.ok == true and .max_percent_seen == 100 and .phone_overflow == false
         and (.job1_states | index("done")) != null' "$browser.json" >/dev/null ||
    fail "$browser: the report: $(cat "$browser.json")"
  job1=$(jq -r .job1 "$browser.json")
  job2=$(jq -r .job2 "$browser.json")
  assert_eq "$(svc_field "$job1" state)" done "state of job $job1 (submitted from the form in $browser)"
  assert_eq "$(svc_field "$job2" state)" cancelled "state of job $job2 (cancelled with its button in $browser)"
  assert_eq "$(count_frames "$PWD/out/$browser-a.mkv")" "$(count_frames "$PWD/in/a.mkv")" \
    "frames of job $job1's output"
  [[ ! -e "$PWD/out/$browser-long.mp4" ]] || fail "the job cancelled in $browser left its output"
  assert_file "$browser.png"
  assert_file "$browser-phone.png"
}

drive chromium
cp chromium.png "$shots/dashboard.png" 2>/dev/null || log "could not keep dashboard.png beside $VTPOOL"
cp chromium-phone.png "$shots/dashboard-phone.png" 2>/dev/null || true
drive firefox
cp firefox.png "$shots/dashboard-firefox.png" 2>/dev/null || true
svc_finish
