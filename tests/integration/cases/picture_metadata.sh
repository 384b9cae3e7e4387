# shellcheck shell=bash
# What players need to show the picture right is kept: an anamorphic
# sample aspect ratio (PAL 16:9 in 720x576, SAR 64:45), full-range YUV,
# colour primaries, transfer and matrix (BT.709) and chroma location
# (top-left, as in BT.2020 masters), through x264 into Matroska and MP4, and
# through FFV1 losslessly (anamorphic and full range, every frame at its time).

# fields FILE: the stream's SAR, range, primaries, transfer, matrix and
# chroma location, comma-separated.
fields() {
  probe "$1" -select_streams v:0 -show_entries \
    stream=sample_aspect_ratio,color_range,color_primaries,color_transfer,color_space,chroma_location \
    -of csv=p=0 | head -n1
}

gen -f lavfi -i "testsrc2=size=720x576:rate=25:duration=3,setsar=64/45" \
  -c:v libx264 -preset ultrafast -pix_fmt yuv420p -color_range pc -color_primaries bt709 \
  -color_trc bt709 -colorspace bt709 -chroma_sample_location topleft -g 25 in.mkv
# What the container says depends on the FFmpeg that wrote and reads it
# (7.1 and later leave transfer and matrix to x264's VUI): the outputs must
# say what the input says, and the input must at least be anamorphic and
# full range.
want=$(fields in.mkv)
[[ "$want" == 64:45,pc,* ]] || fail "generator: in.mkv is not anamorphic full range: $want"
run_vtpool encode in.mkv -o out.mkv -c libx264 --preset ultrafast -j 2 --progress none
assert_eq "$(fields out.mkv)" "$want" "out.mkv (x264)"
assert_same_frame_times in.mkv out.mkv
run_vtpool encode in.mkv -o out.mp4 -c libx264 --preset ultrafast -j 2 --progress none
# MP4 stores the chroma location only in the bitstream (x264's VUI).
assert_eq "$(fields out.mp4 | cut -d, -f1-5)" "$(cut -d, -f1-5 <<<"$want")" "out.mp4 (x264)"
# FFV1, losslessly: anamorphic and full range still (FFV1 itself stores
# neither; the container does), every frame at its time. The pixels are
# compared with ffmpeg's own FFV1 transcode where that keeps full range
# (FFmpeg 7.1 and later squeeze it into limited range, vtpool does not).
run_vtpool encode in.mkv -o lossless.mkv -c ffv1 -j 2 --segment 1 --progress none
assert_same_frame_times in.mkv lossless.mkv
gen -i in.mkv -c:v ffv1 ref.mkv
# (FFmpeg 5.1's FFV1 marks every output limited range, ffmpeg's own too.)
got=$(fields lossless.mkv | cut -d, -f1-2)
[[ "$got" == 64:45,pc || "$got" == "$(fields ref.mkv | cut -d, -f1-2)" ]] ||
  fail "lossless.mkv (FFV1): $got, where the input is 64:45,pc"
if [[ "$(fields ref.mkv | cut -d, -f2)" == pc ]]; then
  # (framemd5 converts full-range input before hashing: ffmpeg's FFV1
  # transcode holds the pixels as they are.)
  [[ "$(frame_md5s ref.mkv)" == "$(frame_md5s lossless.mkv)" ]] ||
    fail "lossless.mkv: the frames differ from ffmpeg's own FFV1 transcode"
fi
