#!/usr/bin/env bash
# Fetches the real clips listed in clips.txt from Debian packages, once:
#   tests/integration/real/fetch.sh DIR
# Packages are downloaded with apt-get download into DIR/debs (the cache)
# and each listed file is extracted to DIR/clips/NAME. Prints one line per
# clip: NAME EXPECTATION, or "missing NAME" when this release's package no
# longer has it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=${1:?usage: fetch.sh DIR}
mkdir -p "$dir/debs" "$dir/clips" "$dir/x"

mapfile -t pkgs < <(grep -v '^#' "$here/clips.txt" | awk 'NF { print $1 }' | sort -u)
need=()
for p in "${pkgs[@]}"; do
  compgen -G "$dir/debs/${p}_*.deb" >/dev/null || need+=("$p")
done
# One at a time: a package this release lacks must not stop the others.
for p in "${need[@]}"; do
  echo "fetch.sh: downloading $p" >&2
  (cd "$dir/debs" && apt-get download -qq "$p" 2>&1 |
    grep -v '^W: Download is performed unsandboxed' >&2) || true
done
while read -r pkg path expect; do
  [[ -z "$pkg" || "$pkg" == \#* ]] && continue
  name=${path##*/}
  if [[ ! -s "$dir/clips/$name" ]]; then
    deb=$(compgen -G "$dir/debs/${pkg}_*.deb" | head -1 || true)
    if [[ -n "$deb" ]]; then
      dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir/x" ".$path" 2>/dev/null || true
      [[ -s "$dir/x$path" ]] && cp "$dir/x$path" "$dir/clips/$name"
    fi
  fi
  if [[ -s "$dir/clips/$name" ]]; then
    echo "$name $expect"
  else
    echo "missing $name"
  fi
done <"$here/clips.txt"
rm -rf "$dir/x"
