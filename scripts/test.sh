#!/usr/bin/env bash
# Install dependencies, build, and run the whole test suite (unit + integration).
#   scripts/test.sh                      the plain build (build/)
#   scripts/test.sh --sanitize address   AddressSanitizer + UndefinedBehaviorSanitizer (build-address/)
#   scripts/test.sh --sanitize thread    ThreadSanitizer (build-thread/)
#   scripts/test.sh --all                all three, one after another (what CI runs)
# A sanitizer report makes the process that hit it fail, and so its test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

run_suite() {
  local sanitize=$1 dir=build
  local -a build_args=()
  if [[ -n "$sanitize" ]]; then
    dir=build-$sanitize
    build_args=(--type Debug --sanitize "$sanitize")
  fi
  echo "test.sh: building ${sanitize:-plain} ($dir)"
  scripts/build.sh "${build_args[@]}"
  echo "test.sh: running the tests in $dir"
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:halt_on_error=1" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir "$dir" --output-on-failure -j2
}

mode=plain
case "${1:-}" in
  "") ;;
  --all) mode=all ;;
  --sanitize)
    [[ $# -ge 2 && ( $2 == address || $2 == thread ) ]] || { echo "usage: $0 [--all | --sanitize address|thread]" >&2; exit 2; }
    mode=$2 ;;
  *) echo "usage: $0 [--all | --sanitize address|thread]" >&2; exit 2 ;;
esac

scripts/setup.sh
case "$mode" in
  plain) run_suite "" ;;
  all) run_suite "" && run_suite address && run_suite thread ;;
  *) run_suite "$mode" ;;
esac
