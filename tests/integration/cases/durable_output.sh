# shellcheck shell=bash
# The output is on disk before it is in place, and in place before it
# counts as done: vtpool flushes the finished temporary file, renames it,
# then flushes the directory. When either flush fails, the encode fails
# with an output error and leaves nothing behind, not a file a power cut
# could truncate. fsync() and rename() are watched, and made to fail, by an
# LD_PRELOAD shim built here.

tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
cc -shared -fPIC -o shim.so "$tools/fsync_shim.c" -ldl || fail "cannot build the fsync shim"
# A sanitized vtpool wants its runtime first; the shim only wraps two calls.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
gen -f lavfi -i testsrc2=s=160x120:r=25:d=3 -c:v libx264 -preset ultrafast -g 25 in.mkv
mkdir out
dir=$(cd out && pwd -P)

VTP_SHIM_LOG=$PWD/calls.txt LD_PRELOAD=$PWD/shim.so \
  vtpool encode in.mkv -o out/ok.mkv -c ffv1 -j 2 --progress none || fail "encode failed"
assert_same_frames in.mkv out/ok.mkv
# In order: the temporary output flushed, renamed to ok.mkv, the directory flushed.
order=$(awk -v d="$dir" '
  $1 == "fsync" && $2 ~ /\.ok\.mkv\.vtpool-tmp-/ && !f { f = NR }
  $1 == "rename" && $2 ~ /\.ok\.mkv\.vtpool-tmp-/ && $3 ~ /\/ok\.mkv$/ && !r { r = NR }
  $1 == "fsync" && $2 == d && r && !g { g = NR }
  END { print (f && r && g && f < r && r < g) ? "ok" : "file " f ", rename " r ", directory " g }' calls.txt)
[[ "$order" == ok ]] || fail "flush, rename, flush not done in order ($order): $(tr '\n' ';' <calls.txt)"

# The file's flush fails: exit 4, no output, no temporary file.
VTP_SHIM_FAIL=.vtpool-tmp- LD_PRELOAD=$PWD/shim.so \
  assert_fails 4 out/a.mkv vtpool encode in.mkv -o out/a.mkv -c ffv1 -j 2 --progress none
# The directory's flush fails: the renamed output is taken back.
VTP_SHIM_FAIL=$dir LD_PRELOAD=$PWD/shim.so \
  assert_fails 4 out/b.mkv vtpool encode in.mkv -o out/b.mkv -c ffv1 -j 2 --progress none
