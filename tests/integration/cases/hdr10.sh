# shellcheck shell=bash
# HDR10 static metadata (mastering display, content light level), carried
# by the input's bitstream (SEI) only: through libx265 it is in the output
# bitstream of every segment and in the container's stream side data; into
# FFV1, which takes none, it is in the container, and -v says so.

md='G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)'
gen -f lavfi -i "testsrc2=size=320x240:rate=25:duration=3" \
  -c:v libx265 -preset ultrafast -pix_fmt yuv420p10le \
  -color_primaries bt2020 -color_trc smpte2084 -colorspace bt2020nc \
  -x265-params "log-level=error:keyint=25:master-display=$md:max-cll=1000,400" hdr.mkv

# hdr_of FILE WHERE: the HDR10 fields ffprobe shows, one "key=value" a line;
# WHERE is "frames" (the first frame's side data) or "stream".
hdr_of() {
  if [[ $2 == frames ]]; then
    probe "$1" -select_streams v:0 -read_intervals '%+#1' -show_frames
  else
    probe "$1" -select_streams v:0 -show_streams
  fi | grep -E '^(red_x|green_y|white_point_x|max_luminance|min_luminance|max_content|max_average)=' |
    sort -u
}
want=$(hdr_of hdr.mkv frames)
[[ $(wc -l <<<"$want") -eq 7 ]] || fail "generator: hdr.mkv's frames carry no HDR10 metadata: $want"

# normalised FIELDS: each fraction as a decimal, so 34000/50000 == 17/25.
normalised() {
  awk -F= '{ split($2, q, "/"); v = (q[2] == "" ? q[1] : q[1] / q[2]); printf "%s=%.5f\n", $1, v }'
}

err=$(vtpool encode hdr.mkv -o x265.mkv -c libx265 --preset ultrafast -j 2 --segment 1 -v \
  --progress none 2>&1) || fail "vtpool encode hdr.mkv -o x265.mkv failed: $err"
[[ "$err" == *"HDR10 metadata (mastering display, content light) goes to libx265"* ]] ||
  fail "-v did not say where the HDR10 metadata goes: $err"
assert_same_frame_times hdr.mkv x265.mkv
assert_eq "$(hdr_of x265.mkv frames | normalised)" "$(normalised <<<"$want")" "x265.mkv first frame's HDR10"
assert_eq "$(hdr_of x265.mkv stream | normalised)" "$(normalised <<<"$want")" "x265.mkv stream's HDR10"
# The last segment's first frame (2 s, a keyframe) carries it too.
late=$(probe x265.mkv -select_streams v:0 -read_intervals '2%+#1' -show_frames |
  grep -c '^side_data_type=Mastering display metadata' || true)
((late >= 1)) || fail "the frame at 2 s carries no mastering display metadata"

err=$(vtpool encode hdr.mkv -o ffv1.mkv -c ffv1 -j 2 --segment 1 -v --progress none 2>&1) ||
  fail "vtpool encode hdr.mkv -o ffv1.mkv failed: $err"
[[ "$err" == *"ffv1 takes no HDR10 metadata: it is written to the container only"* ]] ||
  fail "-v did not say ffv1 takes no HDR10 metadata: $err"
assert_same_frames hdr.mkv ffv1.mkv
assert_eq "$(hdr_of ffv1.mkv stream | normalised)" "$(normalised <<<"$want")" "ffv1.mkv stream's HDR10"
