#!/usr/bin/env bash
# Installs the web players the browser tests drive, hls.js and dash.js, from
# npm by name into a cache directory (once; pinned versions; under a lock, as
# test cases run in parallel), and prints the directory, whose node_modules
# holds them.
#   scripts/player-libs.sh [DIR]   (default ~/.cache/vtpool/npm)
set -euo pipefail
hlsjs=hls.js@1.7.4
dashjs=dashjs@4.7.4
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/vtpool/npm}
mkdir -p "$dir"
(
  flock 9
  if [[ ! -s "$dir/node_modules/hls.js/dist/hls.min.js" ||
    ! -s "$dir/node_modules/dashjs/dist/dash.all.min.js" ||
    "$(cat "$dir/.versions" 2>/dev/null)" != "$hlsjs $dashjs" ]]; then
    npm install --prefix "$dir" --no-audit --no-fund --no-save --silent "$hlsjs" "$dashjs" >&2 || {
      echo "player-libs.sh: npm could not install $hlsjs and $dashjs into $dir" >&2
      exit 1
    }
    echo "$hlsjs $dashjs" >"$dir/.versions"
  fi
) 9>"$dir.lock"
echo "$dir"
