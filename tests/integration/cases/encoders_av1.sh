# shellcheck shell=bash
# AV1 through both of Debian's AV1 encoders, in short segments on 2 workers:
# the same frames at the same times, and nothing on stderr.
#  - libaom-av1 into Matroska: libaom gives its global header as side data
#    of its first packet, which must become the segments' extradata.
#  - libsvtav1 into WebM: SVT-AV1 blocks when flushed without a frame (the
#    encoder check sends one) and logs by itself, bypassing libav.

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p -x264-params keyint=25:bframes=2 in.mkv

run_vtpool encode in.mkv -o aom.mkv -c libaom-av1 -x cpu-used=8 --crf 40 -j 2 --segment 1 \
  --progress none
assert_eq "$(stream_field aom.mkv v:0 codec_name)" av1 "libaom output codec"
assert_same_frame_times in.mkv aom.mkv

run_vtpool encode in.mkv -o svt.webm -c libsvtav1 --preset 12 --crf 45 -j 2 --segment 1 \
  --progress none
assert_eq "$(stream_field svt.webm v:0 codec_name)" av1 "libsvtav1 output codec"
assert_same_frame_times in.mkv svt.webm
