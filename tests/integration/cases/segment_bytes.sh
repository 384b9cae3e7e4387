# shellcheck shell=bash
# A segment never grows past its byte limit, whatever its planned length:
# uncompressed or intra-only video at high rates would otherwise make
# segments over a message's 2 GiB (10 s of raw 4K is 3 GB). The limit is
# 512 MiB; VTPOOL_SEGMENT_MAX_BYTES lowers it here so that 4 s of raw
# 320x240 (115,200 bytes a frame) in 30 s segments is cut about every 17
# frames, at the next frame (every one is a keyframe). -v counts those
# cuts; the lossless round trip gives back every frame at its time.

gen -f lavfi -i testsrc2=s=320x240:r=25:d=4 -c:v rawvideo -pix_fmt yuv420p raw.nut
err=$(VTPOOL_SEGMENT_MAX_BYTES=2000000 vtpool encode raw.nut -o out.mkv -c ffv1 -j 2 \
  --segment 30 --progress none -v 2>&1) || fail "vtpool encode failed: $err"
log "$err"
n=$(sed -n 's/.* \([0-9]*\) where a segment was full.*/\1/p' <<<"$err")
[[ -n "$n" ]] || fail "-v did not count the cuts where a segment was full: $err"
((n >= 5 && n <= 6)) || fail "$n cuts where a segment was full; 100 frames of 115,200 bytes in 2,000,000-byte segments make 5"
assert_same_frames raw.nut out.mkv
assert_same_frame_times raw.nut out.mkv
