# shellcheck shell=bash
# Every kind of bad input, bad option and bad output path fails with the
# documented exit status, one "vtpool: " line on stderr, and no output file.

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=4" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=4" \
  -map 0:v -map 1:a -c:v libx264 -preset veryfast -pix_fmt yuv420p -g 25 \
  -c:a flac good.mkv
# Same content in MP4 with the index (moov) written at the end.
gen -i good.mkv -map 0 -c:v copy -c:a aac -b:a 64k good.mp4
gen -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" -c:a flac audio_only.mkv

printf 'this is not a video\n%.0s' {1..200} >text.mp4
mkdir adir.mkv

size=$(stat -c %s good.mkv)
head -c $((size * 6 / 10)) good.mkv >trunc.mkv

# Generator sanity: the MP4 index is at the end, so a cut file lacks it.
top=$(ffprobe -v trace good.mp4 2>&1 | sed -n "s/.*type:'\([a-z]*\)' parent:'root'.*/\1/p" | tr '\n' ' ')
[[ "$top" == *mdat*moov* ]] || fail "generator: good.mp4 does not have moov after mdat (top-level boxes: $top)"
size=$(stat -c %s good.mp4)
head -c $((size * 6 / 10)) good.mp4 >trunc.mp4

# Input errors (3).
assert_fails 3 out1.mkv vtpool encode missing.mkv -o out1.mkv -c ffv1
assert_fails 3 out2.mkv vtpool encode adir.mkv -o out2.mkv -c ffv1
assert_fails 3 out3.mkv vtpool encode text.mp4 -o out3.mkv -c ffv1
assert_fails 3 out4.mkv vtpool encode audio_only.mkv -o out4.mkv -c ffv1
assert_fails 3 out5.mkv vtpool encode trunc.mkv -o out5.mkv -c ffv1 -j 2 --segment 1
assert_fails 3 out6.mkv vtpool encode trunc.mp4 -o out6.mkv -c ffv1

# Usage errors (2).
assert_fails 2 out7.mkv vtpool encode good.mkv -o out7.mkv -c nosuchcodec
assert_fails 2 out8.mkv vtpool encode good.mkv -o out8.mkv -c libx264 -x nosuchoption=1
assert_fails 2 out9.mkv vtpool encode good.mkv -o out9.mkv -c libx264 --crf abc
assert_fails 2 out10.mkv vtpool encode good.mkv -o out10.mkv -c ffv1 --no-such-flag
assert_fails 2 out11.mkv vtpool encode good.mkv -o out11.mkv -c ffv1 -j abc
assert_fails 2 out12.mkv vtpool encode good.mkv -o out12.mkv -c ffv1 --progress sometimes
assert_fails 2 out13.mkv vtpool encode good.mkv -c ffv1
assert_fails 2 out14.mkv vtpool no-such-command good.mkv -o out14.mkv

# Output errors (4).
assert_fails 4 /nonexistent/out.mkv vtpool encode good.mkv -o /nonexistent/out.mkv -c ffv1
cp good.mp4 existing.mkv
assert_fails_keeps 4 existing.mkv vtpool encode good.mkv -o existing.mkv -c ffv1

# The input as the output, even with -y and under another name: refused
# (2) and left as it was.
cp good.mkv self.mkv
ln self.mkv self-hardlink.mkv
assert_fails_keeps 2 self.mkv vtpool encode self.mkv -o self.mkv -y -c ffv1
assert_fails_keeps 2 self.mkv vtpool encode self.mkv -o ./self-hardlink.mkv -y -c ffv1
