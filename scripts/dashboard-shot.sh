#!/usr/bin/env bash
# The README's picture of the dashboard: `serve -j 2 --http` with a few jobs
# in every state (one done, one cancelled, one running, one queued), shot in
# headless Chromium (puppeteer-core, scripts/player-libs.sh) once the
# running job has gone a while.
#   scripts/dashboard-shot.sh [OUT.png]   (default docs/dashboard.png)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$(realpath -m "${1:-$root/docs/dashboard.png}")
VTPOOL=${VTPOOL:-$root/build/vtpool}
libs=$("$root/scripts/player-libs.sh")
work=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-shot.XXXXXX")
pid=
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
  [[ -z "$pid" ]] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap finish EXIT
cd "$work"
mkdir media out
gen() { ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=size=$1:rate=25:duration=$2" \
  -c:v libx264 -preset veryfast -g 50 "$3"; }
gen 640x360 8 media/intro.mkv
gen 1280x720 60 media/talk.mkv
cp media/talk.mkv media/panel.mkv
cp media/talk.mkv media/keynote.mkv

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
control=tcp://127.0.0.1:$(port)
"$VTPOOL" serve --db q.db --workdir w -j 2 --listen "tcp://127.0.0.1:$(port)" --control "$control" \
  --http 127.0.0.1:0 >serve.log 2>&1 &
pid=$!
for ((i = 0; i < 100; i++)); do
  grep -qs 'serving: ' serve.log && break
  sleep 0.05
done
url=http://127.0.0.1:$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)/.*|\1|p' serve.log)/
submit() { "$VTPOOL" submit --server "$control" "$@"; }
submit "$PWD/media/intro.mkv" -o "$PWD/out/intro.mp4" -c libx264 --crf 23 >/dev/null
sleep 3
id=$(submit "$PWD/media/panel.mkv" -o "$PWD/out/panel.mp4" -c libx265 --crf 28 --preset fast)
sleep 1
"$VTPOOL" cancel --server "$control" "$id" >/dev/null
submit "$PWD/media/talk.mkv" -o "$PWD/out/talk.mp4" -c libx264 --crf 23 --preset medium >/dev/null
submit "$PWD/media/keynote.mkv" -o "$PWD/out/keynote.mp4" -c libx265 --crf 28 --priority -1 >/dev/null

NPM=$libs node - "$url" "$out" <<'JS'
const path = require("path");
const puppeteer = require(path.join(process.env.NPM, "node_modules/puppeteer-core"));
(async () => {
  const browser = await puppeteer.launch({executablePath: "/usr/bin/chromium", headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]});
  const page = await browser.newPage();
  await page.setViewport({width: 1280, height: 760});
  await page.emulateMediaFeatures([{name: "prefers-reduced-motion", value: "reduce"}]);
  await page.goto(process.argv[2]);
  await new Promise((r) => setTimeout(r, 20000));    // the chart fills, the job moves on
  await page.screenshot({path: process.argv[3]});
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
JS
echo "dashboard-shot.sh: wrote $out"
