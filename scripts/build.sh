#!/usr/bin/env bash
# Configure and build vtpool.
#   scripts/build.sh [--type Release|Debug] [--sanitize address|thread]
# Builds into build/ (or build-<sanitizer>/ when a sanitizer is chosen).
set -euo pipefail

usage() {
  echo "usage: $0 [--type Release|Debug] [--sanitize address|thread]" >&2
  exit 2
}

type=Release
sanitize=
while (($#)); do
  case "$1" in
    --type) [[ $# -ge 2 ]] || usage; type=$2; shift 2 ;;
    --type=*) type=${1#--type=}; shift ;;
    --sanitize) [[ $# -ge 2 ]] || usage; sanitize=$2; shift 2 ;;
    --sanitize=*) sanitize=${1#--sanitize=}; shift ;;
    -h|--help) usage ;;
    *) echo "build.sh: unknown argument: $1" >&2; usage ;;
  esac
done

case "$type" in Release|Debug|RelWithDebInfo|MinSizeRel) ;; *) echo "build.sh: bad --type: $type" >&2; usage ;; esac
case "$sanitize" in ""|address|thread) ;; *) echo "build.sh: bad --sanitize: $sanitize" >&2; usage ;; esac

cd "$(dirname "${BASH_SOURCE[0]}")/.."

builddir=build
cmake_args=(-DCMAKE_BUILD_TYPE="$type")
if [[ -n "$sanitize" ]]; then
  builddir=build-$sanitize
  cmake_args+=(-DVTP_SANITIZE="$sanitize")
fi

cmake -S . -B "$builddir" "${cmake_args[@]}"
cmake --build "$builddir" -j"$(nproc)"
