#!/usr/bin/env bash
# Installs what the browser tests drive from npm by name into a cache
# directory (once; pinned versions; under a lock, as test cases run in
# parallel), and prints the directory, whose node_modules holds them: the web
# players hls.js and dash.js, and puppeteer-core (tools/dashboard.js drives
# the system's chromium with it; puppeteer-core never downloads a browser, and
# install scripts are off besides).
#   scripts/player-libs.sh [DIR]   (default ~/.cache/vtpool/npm)
set -euo pipefail
hlsjs=hls.js@1.7.4
dashjs=dashjs@4.7.4
puppeteer=puppeteer-core@24.43.1 # 24.x: 25.x needs Node >= 22.12
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/vtpool/npm}
mkdir -p "$dir"
(
  flock 9
  if [[ ! -s "$dir/node_modules/hls.js/dist/hls.min.js" ||
    ! -s "$dir/node_modules/dashjs/dist/dash.all.min.js" ||
    ! -s "$dir/node_modules/puppeteer-core/package.json" ||
    "$(cat "$dir/.versions" 2>/dev/null)" != "$hlsjs $dashjs $puppeteer" ]]; then
    PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$dir" --no-audit --no-fund --no-save --silent \
      --ignore-scripts "$hlsjs" "$dashjs" "$puppeteer" >&2 || {
      echo "player-libs.sh: npm could not install $hlsjs, $dashjs and $puppeteer into $dir" >&2
      exit 1
    }
    echo "$hlsjs $dashjs $puppeteer" >"$dir/.versions"
  fi
) 9>"$dir.lock"
echo "$dir"
