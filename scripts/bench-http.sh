#!/usr/bin/env bash
# What serve --http costs: one job run end to end by `vtpool serve -j 2`,
# with or without the web server watched the way a dashboard and Prometheus
# watch it; or the API's own latency.
#   scripts/bench-http.sh job INPUT [--http]
#       starts `serve -j 2` (a fresh queue in a temporary folder), submits
#       INPUT -> x264 medium crf 23, waits for it, stops the service. With
#       --http: also --http 127.0.0.1:0, a client reading /api/v1/events
#       all along, and /metrics fetched every second. Time it whole, each
#       way, over several runs (BENCHMARKS.md, "The web server").
#   scripts/bench-http.sh latency [N]
#       an idle `serve -j 0 --http`: N (default 2000) GET /api/v1/jobs/1,
#       then N GET /metrics, on one keep-alive connection; prints the
#       median and 99th percentile in ms of each.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VTPOOL=${VTPOOL:-$root/build/vtpool}
usage() { sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
mode=$1
shift

work=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-bench-http.XXXXXX")
pids=()
# shellcheck disable=SC2317  # called by the EXIT trap
finish() {
  for p in "${pids[@]}"; do pkill -P "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap finish EXIT

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# serve ARGS...: starts the service in $work; sets $control and, with
# --http, $base.
serve() {
  control=tcp://127.0.0.1:$(port)
  "$VTPOOL" serve --db "$work/q.db" --workdir "$work/w" --listen "tcp://127.0.0.1:$(port)" \
    --control "$control" -v "$@" >"$work/serve.log" 2>&1 &
  pids+=($!)
  for ((i = 0; i < 100; i++)); do
    grep -qs 'serving: ' "$work/serve.log" && break
    sleep 0.05
  done
  base=http://127.0.0.1:$(sed -n 's|.*on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$work/serve.log")
}

case "$mode" in
  job)
    [[ $# -ge 1 ]] || usage
    input=$(realpath "$1")
    http=${2:-}
    if [[ "$http" == --http ]]; then
      serve -j 2 --http 127.0.0.1:0
      curl -sN "$base/api/v1/events" >/dev/null &
      pids+=($!)
      (while sleep 1; do curl -s "$base/metrics" >/dev/null; done) &
      pids+=($!)
    else
      serve -j 2
    fi
    id=$("$VTPOOL" submit --server "$control" "$input" -o "$work/out.mkv" -c libx264 \
      --preset medium --crf 23)
    "$VTPOOL" wait "$id" --server "$control" >/dev/null
    ;;
  latency)
    n=${1:-2000}
    serve -j 0 --http 127.0.0.1:0
    # A job that stays queued (no workers): GET /api/v1/jobs/1 finds it.
    "$VTPOOL" submit --server "$control" "$0" -o "$work/x.mkv" >/dev/null
    python3 - "$base" "$n" <<'PY'
import http.client, statistics, sys, time, urllib.parse
base, n = sys.argv[1], int(sys.argv[2])
u = urllib.parse.urlsplit(base)
c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
for path in ("/api/v1/jobs/1", "/metrics"):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    print("%-16s %d requests (status %d): median %.3f ms, p99 %.3f ms" %
          (path, n, r.status, statistics.median(times), times[int(0.99 * (n - 1))]))
PY
    ;;
  *) usage ;;
esac
