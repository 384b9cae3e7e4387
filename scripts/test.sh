#!/usr/bin/env bash
# Install dependencies, build, and run the whole test suite (unit + integration).
#   scripts/test.sh                      the plain build (build/)
#   scripts/test.sh --sanitize address   AddressSanitizer + UndefinedBehaviorSanitizer (build-address/)
#   scripts/test.sh --sanitize thread    ThreadSanitizer (build-thread/)
#   scripts/test.sh --all                all three, one after another
#   scripts/test.sh --ffmpeg 7.1|9       the plain build and every test inside a
#                                        Debian trixie (FFmpeg 7.1) or sid (9.x)
#                                        root (scripts/debian-root.sh), then the
#                                        same lossless round trips compared with
#                                        this machine's FFmpeg (tests/cross/)
# CI (.ci/run) runs --all, then --ffmpeg 7.1 and --ffmpeg 9.
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
  LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/tests/tsan.supp" \
    ctest --test-dir "$dir" --output-on-failure -j2
}

# The same lossless round trips with this machine's FFmpeg and with the
# root's, compared frame for frame, time for time and byte for byte.
cross_check() {
  local version=$1 dir=build/cross
  echo "test.sh: comparing FFmpeg $version with this machine's FFmpeg ($dir)"
  scripts/build.sh >/dev/null
  rm -rf "$dir/ffmpeg-$version"
  tests/cross/roundtrip.sh inputs "$dir/inputs"
  tests/cross/roundtrip.sh digest build/vtpool "$dir/inputs" "$dir/host"
  scripts/debian-root.sh "$version" --run \
    "tests/cross/roundtrip.sh digest build-ffmpeg-$version/vtpool $dir/inputs $dir/ffmpeg-$version"
  tests/cross/roundtrip.sh compare "$dir/host" "$dir/ffmpeg-$version"
}

usage() {
  echo "usage: $0 [--all | --sanitize address|thread | --ffmpeg 7.1|9]" >&2
  exit 2
}

mode=plain
case "${1:-}" in
  "") ;;
  --all) mode=all ;;
  --sanitize)
    [[ $# -ge 2 && ( $2 == address || $2 == thread ) ]] || usage
    mode=$2 ;;
  --ffmpeg)
    [[ $# -ge 2 && ( $2 == 7.1 || $2 == 9 ) ]] || usage
    mode=ffmpeg-$2 ;;
  *) usage ;;
esac

scripts/setup.sh
case "$mode" in
  plain) run_suite "" ;;
  all) run_suite "" && run_suite address && run_suite thread ;;
  ffmpeg-*)
    scripts/debian-root.sh "${mode#ffmpeg-}"
    cross_check "${mode#ffmpeg-}" ;;
  *) run_suite "$mode" ;;
esac
