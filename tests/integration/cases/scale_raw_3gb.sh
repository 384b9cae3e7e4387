# shellcheck shell=bash
# A 3 GB input: 1000 frames of raw 1080p (3,110,400 bytes each) in NUT,
# encoded with --segment 30. Thirty seconds of it would be 2.3 GB, over a
# message's 2 GiB, so a segment is cut once it holds 512 MiB (at the next
# frame: each is a keyframe), and the input's offsets pass the 2 GiB where
# a 32-bit size would wrap. It completes
# frame-exact, every frame at its time; -v counts a cut made where a segment
# was full, and no segment has more than 173 frames (512 MiB, reached by
# its last frame).
# Memory stays within what the limits allow, whatever the input's length:
# the read-ahead window (2 GiB), the segment being read (512 MiB), one
# segment in each of the 2 workers (512 MiB each) and 512 MiB for the
# program and its codecs: a peak resident set under 4 GiB. ThreadSanitizer
# keeps shadow memory several times the program's own beside it (10.7 GiB
# measured): under it, the bound is 14 GiB.
FRAMES=1000

gen -f lavfi -i "testsrc2=size=1920x1080:rate=25" -frames:v "$FRAMES" -c:v rawvideo \
  -pix_fmt yuv420p in.nut
size=$(stat -c %s in.nut)
((size > 3000000000)) || fail "generator: in.nut is $size bytes, not over 3 GB"

rc=0
/usr/bin/time -f '%M' -o rss.txt timeout -k 10 "$VTPOOL_TIMEOUT" "$VTPOOL" encode in.nut -o out.mkv \
  -c ffv1 -j 2 --segment 30 --progress none -vvv 2>err.txt || rc=$?
((rc == 0)) || fail "vtpool encode exited $rc: $(grep -v 'job 1 segment' err.txt | tail -n 3 | tr '\n' ' ')"
cuts=$(grep 'cuts:' err.txt || true)
full=$(sed -n 's/.* \([0-9]*\) where a segment was full.*/\1/p' <<<"$cuts")
[[ -n "$full" ]] || fail "-v did not count the cuts where a segment was full: $cuts"
((full >= 1)) || fail "no cut where a segment was full: $cuts"
most=$(sed -n 's/.*job 1 segment [0-9]*: packets .* \([0-9]*\) packets .*/\1/p' err.txt | sort -n | tail -n1)
[[ -n "$most" ]] || fail "-vvv listed no segment"
((most <= 173)) || fail "a segment of $most frames: over 512 MiB and one frame"
peak_kb=$(tail -n 1 rss.txt)
log "in.nut: $size bytes; $cuts; at most $most frames a segment; peak resident set $((peak_kb / 1024)) MiB"
bound_mb=4096
[[ "${VTP_SANITIZE:-}" != thread ]] || bound_mb=14336
((peak_kb < bound_mb * 1024)) || fail "peak resident set $((peak_kb / 1024)) MiB: not under $bound_mb MiB"

assert_same_frames in.nut out.mkv
assert_same_frame_times in.nut out.mkv
