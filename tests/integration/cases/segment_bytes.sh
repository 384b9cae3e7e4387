# shellcheck shell=bash
# A segment never grows past its byte limit, whatever its planned length:
# uncompressed or intra-only video at high rates would otherwise make
# segments over a message's 2 GiB (10 s of raw 4K is 3 GB). The limit is
# 512 MiB; VTPOOL_SEGMENT_MAX_BYTES lowers it here so that 10 s of raw
# 160x120 (28,800 bytes a frame), planned in segments of seconds, is cut
# once 500,000 bytes are held, at the next frame (every one is a keyframe):
# no segment has more than 18 frames. -v counts those cuts; the lossless
# round trip gives back every frame at its time.

gen -f lavfi -i testsrc2=s=160x120:r=25:d=10 -c:v rawvideo -pix_fmt yuv420p raw.nut
err=$(VTPOOL_SEGMENT_MAX_BYTES=500000 vtpool encode raw.nut -o out.mkv -c ffv1 -j 2 \
  --segment 30 --progress none -vvv 2>&1) || fail "vtpool encode failed: $(tail -n 3 <<<"$err")"
n=$(sed -n 's/.* \([0-9]*\) where a segment was full.*/\1/p' <<<"$err")
[[ -n "$n" ]] || fail "-v did not count the cuts where a segment was full: $(grep cuts <<<"$err")"
log "$(grep cuts <<<"$err")"
((n >= 8)) || fail "only $n cuts where a segment was full"
most=$(sed -n 's/.*job 1 segment [0-9]*: packets .* \([0-9]*\) packets .*/\1/p' <<<"$err" | sort -n | tail -n1)
[[ -n "$most" ]] || fail "-vvv listed no segment"
((most <= 18)) || fail "a segment of $most frames: over 500,000 bytes and one frame"
assert_same_frames raw.nut out.mkv
assert_same_frame_times raw.nut out.mkv
