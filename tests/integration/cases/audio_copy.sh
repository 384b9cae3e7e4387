# shellcheck shell=bash
# Audio is copied wherever the output container holds it, as its muxer says
# (not a fixed list); --audio copy that cannot be honoured is refused before
# any work; the default says when it encodes instead; an unknown audio
# encoder is refused even for an input with no audio; --on-error skip covers
# damaged audio too.

gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -c:v mpeg4 -q:v 3 -c:a adpcm_ima_wav ima.avi
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -c:v libx264 -preset ultrafast -c:a aac aac.mp4
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" -c:v libx264 -preset ultrafast silent.mkv
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -c:v libx264 -preset ultrafast -c:a flac flac.mkv
# Damaged FLAC packets (about one byte in 20 changed).
gen -i flac.mkv -map 0 -c copy -bsf:a noise=amount=20 damaged.mkv

# IMA ADPCM into Matroska: not in Matroska's codec table, but its muxer
# writes it (A_MS/ACM), so it is copied, packet for packet.
err=$(vtpool encode ima.avi -o ima.mkv -c ffv1 -j 2 --segment 1 -v --progress none 2>&1) ||
  fail "ima.avi -> ima.mkv failed: $err"
[[ "$err" != *"encoded with"* ]] || fail "IMA ADPCM was encoded, not copied: $err"
assert_eq "$(stream_field ima.mkv a:0 codec_name)" adpcm_ima_wav "ima.mkv audio codec"
assert_same_audio ima.avi ima.mkv

# AAC into WebM: --audio copy cannot be honoured (exit 2, nothing written);
# the default encodes with WebM's usual codec and -v says so.
rc=0
err=$(vtpool encode aac.mp4 -o copy.webm -c libvpx-vp9 --audio copy --progress none 2>&1) || rc=$?
((rc == 2)) || fail "--audio copy into WebM: exit $rc (expected 2): $err"
[[ "$err" == *"--audio copy: webm files cannot hold the input's aac audio"* ]] ||
  fail "--audio copy into WebM: unclear refusal: $err"
[[ ! -e copy.webm ]] || fail "--audio copy into WebM left copy.webm"
err=$(vtpool encode aac.mp4 -o auto.webm -c libvpx-vp9 -x deadline=realtime -x cpu-used=8 \
  -j 2 --segment 1 -v --progress none 2>&1) || fail "aac.mp4 -> auto.webm failed: $err"
[[ "$err" == *"audio stream #1: webm files cannot hold aac; encoded with libopus"* ]] ||
  fail "-v did not say the audio was encoded: $err"
assert_eq "$(stream_field auto.webm a:0 codec_name)" opus "auto.webm audio codec"

# MP3 in AVI counts its times in whole MP3 frames (1152 samples): encoded
# to AAC (1024 a frame) every frame keeps an exact, rising time.
gen -f lavfi -i "testsrc2=size=160x120:rate=25:duration=2" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=2" \
  -c:v mpeg4 -q:v 3 -c:a libmp3lame mp3.avi
run_vtpool encode mp3.avi -o mp3.mp4 -c libx264 --preset ultrafast --audio aac -j 2 --segment 1 \
  --progress none
d_in=$(stream_field mp3.avi a:0 duration)
d_out=$(stream_field mp3.mp4 a:0 duration)
awk -v a="$d_in" -v b="$d_out" 'BEGIN { d = a - b; exit !(d < 0.05 && d > -0.05) }' ||
  fail "MP3 in AVI to AAC: $d_in s of audio became $d_out s"

# An unknown audio encoder is a usage error even with no audio to encode.
assert_fails 2 nope.mkv vtpool encode silent.mkv -o nope.mkv -c ffv1 --audio nosuchcodec

# Damaged audio that must be decoded: an error (3) by default; dropped and
# counted with --on-error skip, the video whole.
assert_fails 3 bad.mkv vtpool encode damaged.mkv -o bad.mkv -c ffv1 --audio aac
err=$(vtpool encode damaged.mkv -o skip.mkv -c ffv1 --audio aac --on-error skip -j 2 \
  --segment 1 --progress none 2>&1) || fail "--on-error skip with damaged audio failed: $err"
[[ "$err" == *"damaged frames or packets of the input were dropped"* ]] ||
  fail "--on-error skip did not report the dropped audio: $err"
# (Frame times compared as they are: the encoded AAC's priming starts
# before the video, which moves assert_same_frames' origin.)
[[ "$(frame_sums damaged.mkv)" == "$(frame_sums skip.mkv)" ]] ||
  fail "skip.mkv's video differs from damaged.mkv's"
