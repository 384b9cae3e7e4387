# shellcheck shell=bash
# Interlaced input, top and bottom field first: through libx264 it is
# encoded interlaced (the frames say so, with the input's field dominance),
# the container is marked with the input's field order, and every frame is
# there at its time; -v says so. Through libx265 the frames are coded
# woven, with a warning, and the field order is still marked.

# fields FILE: "ORDER INTERLACED TFF" of the stream and its first frame.
fields() {
  local order frame
  order=$(probe "$1" -select_streams v:0 -show_entries stream=field_order -of default=nw=1:nk=1 |
    head -1)
  frame=$(probe "$1" -select_streams v:0 -read_intervals '%+#1' \
    -show_entries frame=interlaced_frame,top_field_first -of default=nw=1:nk=1 | head -2 |
    paste -sd' ')
  echo "$order $frame"
}

for top in 1 0; do
  name=top$top
  gen -f lavfi -i "testsrc2=size=720x576:rate=25:duration=3" \
    -vf "setfield=$([[ $top == 1 ]] && echo tff || echo bff)" -flags +ildct+ilme \
    -c:v mpeg2video -q:v 3 -g 12 "$name.ts"
  want=$([[ $top == 1 ]] && echo "tt 1 1" || echo "bb 1 0")
  assert_eq "$(fields "$name.ts")" "$want" "generator: $name.ts fields"

  err=$(vtpool encode "$name.ts" -o "$name.mkv" -c libx264 --preset ultrafast -j 2 --segment 1 \
    -v --progress none 2>&1) || fail "vtpool encode $name.ts failed: $err"
  [[ "$err" == *"is interlaced ("*"field first): libx264 encodes it interlaced"* ]] ||
    fail "-v did not say the input is encoded interlaced: $err"
  assert_eq "$(fields "$name.mkv")" "$want" "$name.mkv fields"
  assert_same_frame_times "$name.ts" "$name.mkv"
done

# x265 has no way to take the woven frames as fields here: -v says so, and
# the container still carries the field order.
err=$(vtpool encode top1.ts -o x265.mkv -c libx265 --preset ultrafast -j 2 --segment 1 -v \
  --progress none 2>&1) || fail "vtpool encode top1.ts with libx265 failed: $err"
[[ "$err" == *"is interlaced: libx265 codes the woven frames as progressive pictures"* ]] ||
  fail "x265 on interlaced input: no warning: $err"
assert_eq "$(stream_field x265.mkv v:0 field_order)" tt "x265.mkv field order"
assert_same_frame_times top1.ts x265.mkv
