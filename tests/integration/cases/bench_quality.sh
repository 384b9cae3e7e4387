# shellcheck shell=bash
# vtpool bench: the sweep prints a row per worker count, and --quality plan
# prints four points for the single encode and for each count, then a
# BD-rate per count; a clip this still and short costs bits, never saves
# many. Figures are not judged here (BENCHMARKS.md holds them), only that
# they are there and sane.

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=3" -c:v libx264 -preset ultrafast \
  -pix_fmt yuv420p in.mkv

out=$(vtpool bench in.mkv --cores 1,2 -c libx264 --preset ultrafast 2>&1) ||
  fail "bench --cores 1,2 failed: $out"
log "$out"
for w in 1 2; do
  grep -Eq "^ *$w +[0-9.]+ " <<<"$out" || fail "bench: no row for $w workers: $out"
done

out=$(vtpool bench in.mkv --quality plan --cores 2,3 -c libx264 --preset ultrafast 2>&1) ||
  fail "bench --quality plan failed: $out"
log "$out"
for w in whole 2 3; do
  n=$(grep -Ec "^ *$w +(19|23|27|31) +[0-9.]+ +[0-9.]+ +0\.[0-9]+$" <<<"$out" || true)
  assert_eq "$n" 4 "quality points for $w"
done
for w in 2 3; do
  bd=$(awk -v w="$w" '$1 == w && $2 ~ /%$/ { print $2 }' <<<"$out")
  [[ -n "$bd" ]] || fail "no BD-rate for $w workers: $out"
  awk -v b="${bd%\%}" 'BEGIN { exit !(b > -5 && b < 100) }' || fail "BD-rate for $w workers: $bd"
done
assert_fails 2 none.mkv vtpool bench in.mkv --quality plan --cores 0 -c libx264
