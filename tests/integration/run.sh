#!/usr/bin/env bash
# Run one vtpool integration case:  tests/integration/run.sh CASE
# Runs cases/CASE.sh in a fresh temporary directory with lib.sh loaded.
# Needs $VTPOOL (default: build/vtpool under the repository root).
# Prints "PASS CASE" or "FAIL CASE: reason" and exits 0 or 1. VTP_KEEP=1
# keeps the directory of a case that fails.
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

if (($# != 1)); then
  names=()
  for f in "$here"/cases/*.sh; do
    f=${f##*/}
    names+=("${f%.sh}")
  done
  echo "usage: $0 CASE   (one of: ${names[*]})" >&2
  exit 2
fi
case_name=${1%.sh}
case_file=$here/cases/$case_name.sh
if [[ ! -f "$case_file" ]]; then
  echo "FAIL $case_name: no such case $case_file"
  exit 1
fi

VTPOOL=${VTPOOL:-$root/build/vtpool}
# Resolve a relative path now: cases run in another directory.
if [[ "$VTPOOL" != /* ]]; then
  if [[ "$VTPOOL" == */* ]]; then
    VTPOOL=$PWD/$VTPOOL
  else
    VTPOOL=$(command -v "$VTPOOL" || echo "$VTPOOL")
  fi
fi
export VTPOOL
if [[ ! -x "$VTPOOL" ]]; then
  echo "FAIL $case_name: vtpool not found or not executable: $VTPOOL"
  exit 1
fi
for tool in ffmpeg ffprobe; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "FAIL $case_name: $tool not installed (run scripts/setup.sh)"
    exit 1
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/vtpool-it-$case_name.XXXXXX")
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local rc=$?
  chmod -R u+rwX "$work" 2>/dev/null || true
  # VTP_KEEP=1 keeps a failed case's directory (logs, media) to look at.
  if ((rc != 0)) && [[ -n "${VTP_KEEP:-}" ]]; then
    echo "kept $work" >&2
    return
  fi
  rm -rf "$work"
}
trap cleanup EXIT

VTP_FAIL_FILE=$work/.fail-reason
: >"$VTP_FAIL_FILE"
export VTP_FAIL_FILE
# vtpool's own temporary files go here, so leftovers can be noticed.
mkdir -p "$work/tmp" "$work/case" "$work/memo"
export TMPDIR=$work/tmp
# What lib.sh's frame_times and frame_md5s worked out, per file.
export VTP_MEMO=$work/memo

start=$(date +%s)
# Not "( ... ) || rc=$?": bash ignores set -e inside a subshell whose status
# is tested, so the case would run on past failures.
set +e
(
  set -Eeuo pipefail
  cd "$work/case"
  # shellcheck source=lib.sh
  source "$here/lib.sh"
  # An unexpected failing command stops the case (set -e); record which.
  # shellcheck disable=SC2317  # called by the ERR trap
  vtp__on_err() {
    if [[ ! -s "$VTP_FAIL_FILE" ]]; then
      printf 'command failed (status %s) at %s:%s: %s\n' "$1" "${3##*/}" "$2" "$4" >"$VTP_FAIL_FILE"
    fi
  }
  trap 'vtp__on_err "$?" "$LINENO" "${BASH_SOURCE[0]}" "$BASH_COMMAND"' ERR
  # shellcheck source=/dev/null
  source "$case_file"
)
rc=$?
set -e
elapsed=$(($(date +%s) - start))

left=$(find "$work/tmp" -mindepth 1 -maxdepth 1 ! -name 'stderr.*' -print 2>/dev/null | head -n5)
if [[ -n "$left" ]]; then
  echo "# warning: files left in TMPDIR by vtpool: $left" >&2
fi

if ((rc == 0)); then
  echo "# $case_name took ${elapsed}s" >&2
  echo "PASS $case_name"
  exit 0
fi
reason=$(head -n1 "$VTP_FAIL_FILE" 2>/dev/null || true)
echo "# $case_name took ${elapsed}s" >&2
echo "FAIL $case_name: ${reason:-case exited with status $rc}"
exit 1
