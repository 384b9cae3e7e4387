#!/usr/bin/env bash
# Install every Debian package that building and testing vtpool needs.
# Idempotent: prints one line per action and nothing when all is present.
#   scripts/setup.sh               what the build and the tests need
#   scripts/setup.sh --root-tools  what scripts/debian-root.sh needs to make a
#                                  Debian root of another release
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  ffmpeg libavformat-dev libavcodec-dev libavutil-dev libavfilter-dev
  libswscale-dev libswresample-dev
  libzmq3-dev check libsqlite3-dev libjansson-dev
  libmicrohttpd-dev  # serve --http (app/http.c)
  util-linux mount time procps
  python3  # tests/integration/cases/progress_json.sh parses JSON with it
  python3-zmq  # tests/integration/cases/hardening_hostile_messages.sh talks ZeroMQ
  chromium  # ladder_browser.sh plays ladders in a browser; http_dashboard.sh drives the dashboard
  firefox-esr  # http_dashboard.sh drives the dashboard in Firefox too
  curl jq  # tests/integration/cases/http_*.sh speak to serve --http
  openssl  # http_api.sh makes a certificate for serve --http-cert
  prometheus  # promtool: http_api.sh checks /metrics; scripts/deploy/*.yml are checked with it
)
# Commands whose Debian package is installed only when no other package
# gives them (Node.js from NodeSource carries its own npm, which Debian's
# npm package conflicts with).
COMMANDS=(
  npm:npm  # scripts/player-libs.sh installs hls.js and dash.js (by name, into the cache)
)
case "${1:-}" in
  "") ;;
  --root-tools) PACKAGES=(mmdebstrap util-linux) COMMANDS=() ;;
  *) echo "usage: $0 [--root-tools]" >&2; exit 2 ;;
esac

missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  if [[ "$status" != "install ok installed" ]]; then
    missing+=("$pkg")
  fi
done
for entry in "${COMMANDS[@]}"; do
  command -v "${entry%%:*}" >/dev/null 2>&1 || missing+=("${entry#*:}")
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup.sh: missing packages (${missing[*]}) and not root and no sudo" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup.sh: apt-get update"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
echo "setup.sh: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
