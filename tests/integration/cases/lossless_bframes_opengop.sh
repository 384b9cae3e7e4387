# shellcheck shell=bash
# H.264 with B-frames, B-pyramid and open GOPs (lossless FLAC audio) in
# Matroska, re-encoded losslessly with FFV1 in 1 s segments on 2 workers:
# every decoded frame, every frame time and every audio packet must survive.
#
# With x264, open-gop only yields leading pictures (B-frames decoded after a
# keyframe but shown before it, referencing the previous GOP) when the
# keyframe falls where the fixed B-frame pattern puts a P-frame: keyint 24 with
# b-adapt=0 and 3 B-frames gives 3 leading B-frames at every keyframe
# (keyframes every 0.96 s, non-IDR I-frames with a recovery point).

gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=8,noise=alls=20:allf=t" \
  -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=8" \
  -map 0:v -map 1:a \
  -c:v libx264 -preset veryfast -pix_fmt yuv420p \
  -x264-params keyint=24:min-keyint=24:bframes=3:b-adapt=0:b-pyramid=normal:open-gop=1:scenecut=0 \
  -c:a flac in.mkv

# Generator sanity: the input really has B-frames, and open GOPs.
pict_types in.mkv | grep -qx B || fail "generator: input has no B-frames"
assert_eq "$(keyframe_times in.mkv | wc -l)" 9 "generator: keyframes in input"
(($(leading_frames in.mkv) > 0)) || fail "generator: input has no open-GOP leading frames"

run_vtpool encode in.mkv -o out.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_eq "$(stream_field out.mkv v:0 codec_name)" ffv1 "output video codec"
assert_same_frames in.mkv out.mkv
assert_same_audio in.mkv out.mkv
