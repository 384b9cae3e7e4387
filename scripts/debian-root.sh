#!/usr/bin/env bash
# Build vtpool and run its whole test suite inside a Debian root of another
# release, to cover the FFmpeg that release ships.
#   scripts/debian-root.sh 5.1|7.1|9 [ctest arguments...]
#   scripts/debian-root.sh 5.1|7.1|9 --run COMMAND   any command, in /src
#   scripts/debian-root.sh 5.1|7.1|9 --prepare       make the root, install
#       the packages and fetch the real clips; build and run nothing
# 5.1 is bookworm, 7.1 trixie and 9 sid (unstable). The root is made once with
# mmdebstrap from the Debian archive and kept in ~/.cache/vtpool/roots/SUITE;
# scripts/setup.sh runs inside it, so the package list lives in one place. The
# source tree is bind-mounted at /src in a private mount namespace (nothing
# stays mounted when the run ends) and built into build-ffmpeg-VERSION/.
# Needs root (mmdebstrap, chroot, mounts).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

usage() { echo "usage: $0 5.1|7.1|9 [ctest arguments... | --run COMMAND | --prepare]" >&2; exit 2; }
[[ $# -ge 1 ]] || usage
version=$1
shift
case "$version" in
  5.1) suite=bookworm ;;
  7.1) suite=trixie ;;
  9) suite=sid ;;
  *) usage ;;
esac
[[ $(id -u) -eq 0 ]] || { echo "debian-root.sh: needs root (mmdebstrap, chroot)" >&2; exit 1; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/vtpool/roots
root=$cache/$suite
mirror=${VTP_DEBIAN_MIRROR:-http://deb.debian.org/debian}

scripts/setup.sh --root-tools

if [[ ! -e $root/.vtpool-root-ready ]]; then
  echo "debian-root.sh: making a $suite root in $root (once; it is cached)"
  rm -rf "$root" "$root.new"
  mkdir -p "$cache"
  # A mirror snapshot of unstable may carry Release files past their
  # Valid-Until date; the root's own apt is told to accept them, and only the
  # root's.
  aptopts=()
  if [[ $suite == sid ]]; then
    aptopts+=(--aptopt='Acquire::Check-Valid-Until "false"')
  fi
  mmdebstrap --quiet --variant=apt "${aptopts[@]}" \
    --include=ca-certificates "$suite" "$root.new" "$mirror"
  touch "$root.new/.vtpool-root-ready"
  mv "$root.new" "$root"
fi

# The web players of the browser tests come from npm, over TLS that the
# root may not be set up for: they are installed here, into the host's
# cache, and the root sees that directory as its own cache.
npm_dir=$(scripts/player-libs.sh) || npm_dir=

builddir=build-ffmpeg-$version
mkdir -p "$root/src"
# The run inside the root: install the packages, build with deprecations as
# errors, run every test.
if [[ ${1:-} == --run ]]; then
  [[ $# -eq 2 ]] || usage
  inner="set -euo pipefail; cd /src; $2"
elif [[ ${1:-} == --prepare ]]; then
  [[ $# -eq 1 ]] || usage
  inner="set -euo pipefail; cd /src; scripts/setup.sh
tests/integration/real/fetch.sh \$HOME/.cache/vtpool/real >/dev/null"
else
ctest_args=$(printf '%q ' "$@")
inner=$(cat <<EOF
set -euo pipefail
cd /src
scripts/setup.sh
echo "debian-root.sh: libavcodec \$(pkg-config --modversion libavcodec) in $suite"
cmake -S . -B $builddir -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build $builddir -j\$(nproc)
ctest --test-dir $builddir --output-on-failure -j2 $ctest_args
EOF
)
fi
unshare --mount --propagation private -- bash -c '
  set -euo pipefail
  root=$1 src=$2 inner=$3 npm=$4
  # The root is a mount point of its own, so that tests may make mount
  # namespaces of their own inside it (unshare --mount).
  mount --bind "$root" "$root"
  mount --rbind /dev "$root/dev"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount -t tmpfs tmpfs "$root/tmp"
  mount --bind "$src" "$root/src"
  if [[ -n "$npm" ]]; then
    mkdir -p "$root/root/.cache/vtpool/npm"
    mount --bind "$npm" "$root/root/.cache/vtpool/npm"
  fi
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    LANG=C.UTF-8 CI="${CI:-}" /bin/bash -c "$inner"
' bash "$root" "$PWD" "$inner" "$npm_dir"
