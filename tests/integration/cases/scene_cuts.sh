# shellcheck shell=bash
# A long-GOP input (one keyframe in 40 s) made of seven scenes, 6.12 s
# each: the dispatcher decodes it, and where a scene changes near the
# planned end of a segment it cuts there (a keyframe the encoder would put
# there anyway) instead of in the middle of a scene. -v says how many cuts
# fell where; each cut is a keyframe of the output.

scenes="testsrc2=s=320x240:r=25:d=6.12[a];smptebars=s=320x240:r=25:d=6.12[b]"
scenes+=";testsrc=s=320x240:r=25:d=6.12,format=yuv420p[c]"
scenes+=";rgbtestsrc=s=320x240:r=25:d=6.12,format=yuv420p[d]"
scenes+=";testsrc2=s=320x240:r=25:d=6.12,hflip,negate[e];smptehdbars=s=320x240:r=25:d=6.12[f]"
scenes+=";testsrc=s=320x240:r=25:d=4,negate,format=yuv420p[g]"
gen -filter_complex "$scenes;[a][b][c][d][e][f][g]concat=n=7,format=yuv420p[v]" -map "[v]" \
  -c:v libx264 -preset ultrafast -x264-params keyint=infinite:scenecut=0 in.mkv
assert_eq "$(keyframe_times in.mkv | wc -l)" 1 "generator: keyframes in in.mkv"

err=$(vtpool encode in.mkv -o out.mkv -c libx264 --preset ultrafast -j 2 --progress none -v 2>&1) ||
  fail "vtpool encode failed: $err"
log "$err"
n=$(sed -n 's/.* \([0-9]*\) at scene changes.*/\1/p' <<<"$err")
[[ -n "$n" ]] || fail "-v did not say where the cuts fell: $err"
((n >= 1)) || fail "no cut at a scene change: $err"
# The output's keyframes: every scene-change cut is one, on a scene's
# first frame (multiples of 6.12 s).
on_scene=$(keyframe_times out.mkv | awk '{ k = $1 / 6.12; d = k - int(k + 0.5); if (d < 0) d = -d
  if ($1 > 0 && d * 6.12 < 0.001) n++ } END { print n + 0 }')
((on_scene >= n)) || fail "$n scene-change cuts, but only $on_scene keyframes on a scene's first frame: $(keyframe_times out.mkv | tr '\n' ' ')"
assert_same_frame_times in.mkv out.mkv
