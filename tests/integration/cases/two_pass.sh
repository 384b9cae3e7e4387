# shellcheck shell=bash
# Two-pass encoding (--pass 2): 10 s of a still picture, then 10 s of busy
# noise, with audio. One pass with -b gives every segment the same rate.
# Two passes share it by what each segment cost in the first pass, as one
# two-pass encoder does: the busy half gets nearly all the bits, with the
# quality ffmpeg's own two passes give it; the whole averages -b, every
# frame keeps its time, the audio is copied, and nothing of the first pass
# is left behind.

gen -f lavfi -i "testsrc2=s=320x240:r=25:d=0.04,loop=249:1,setpts=N/25/TB[a];testsrc2=s=320x240:r=25:d=10,noise=alls=30:allf=t[b];[a][b]concat=n=2" \
  -f lavfi -i "sine=f=440:d=20" -c:v libx264 -preset ultrafast -g 50 -qp 10 -c:a aac in.mkv
mkdir tmp
export TMPDIR=$PWD/tmp

# Video bits of FILE at pts < 10 s and after, and its rate in bit/s.
halves() {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,size -of csv=p=0 "$1" |
    awk -F, 'NF >= 2 { if ($1 < 10) s += 8 * $2; else b += 8 * $2 } END { print s, b, (s + b) / 20 }'
}
# PSNR of FILE against in.mkv over the busy half.
busy_psnr() {
  ffmpeg -hide_banner -nostdin -i "$1" -i in.mkv -lavfi "[0:v]trim=10,setpts=PTS-STARTPTS[o];[1:v]trim=10,setpts=PTS-STARTPTS[i];[o][i]psnr" \
    -f null - 2>&1 | sed -n 's/.*PSNR.* average:\([0-9.inf]*\).*/\1/p'
}

err=$(vtpool encode in.mkv -o two.mp4 -c libx264 --preset ultrafast -b 300k --pass 2 -j 2 \
  --segment 4 --progress none -vv 2>&1) || fail "vtpool encode --pass 2 failed: $err"
log "$(grep -i 'pass' <<<"$err")"
# ffmpeg's own two passes over the whole input, the same settings (each
# frame once: with frames duplicated in one pass x264 falls back to a
# constant quantizer).
ffmpeg -hide_banner -loglevel error -nostdin -y -i in.mkv -an -fps_mode passthrough -c:v libx264 \
  -preset ultrafast -b:v 300k -pass 1 -passlogfile ff -f null - || fail "ffmpeg -pass 1 failed"
ffmpeg -hide_banner -loglevel error -nostdin -y -i in.mkv -an -fps_mode passthrough -c:v libx264 \
  -preset ultrafast -b:v 300k -pass 2 -passlogfile ff ff.mp4 || fail "ffmpeg -pass 2 failed"
rm -f ff-0.log*

assert_same_frame_times in.mkv two.mp4
assert_eq "$(stream_field two.mp4 a:0 codec_name)" aac "two.mp4 audio"
assert_same_audio in.mkv two.mp4

read -r still busy rate < <(halves two.mp4)
read -r still_ff busy_ff rate_ff < <(halves ff.mp4)
log "vtpool: still $still bits, busy $busy bits, $rate bit/s; ffmpeg: still $still_ff, busy $busy_ff, $rate_ff bit/s"
awk -v r="$rate" 'BEGIN { exit !(r > 300000 * 0.95 && r < 300000 * 1.05) }' ||
  fail "two.mp4 averages $rate bit/s, not 300k within 5%"
awk -v s="$still" -v b="$busy" 'BEGIN { exit !(b > 10 * s) }' ||
  fail "the busy half got $busy bits and the still half $still: not shared by cost"
p2=$(busy_psnr two.mp4)
pf=$(busy_psnr ff.mp4)
log "PSNR of the busy half: $p2 dB (vtpool), $pf dB (ffmpeg)"
awk -v a="$p2" -v b="$pf" 'BEGIN { d = a - b; exit !(d > -0.5 && d < 0.5) }' ||
  fail "the busy half is $p2 dB in vtpool's two passes, $pf dB in ffmpeg's"

# Nothing of the first pass left: neither the workers' files nor the records.
left=$(find tmp . -maxdepth 1 \( -name '*vtpool*' -o -name 'vtpool-pass-*' \) -print)
[[ -z "$left" ]] || fail "left behind: $left"

# x265 too, and into a container without global headers.
vtpool encode in.mkv -o two265.mkv -c libx265 --preset ultrafast -b 200k --pass 2 -j 2 \
  --segment 4 --progress none || fail "vtpool encode --pass 2 -c libx265 failed"
assert_same_frame_times in.mkv two265.mkv

# What two passes cannot do is refused before any work.
assert_fails 2 a.mp4 vtpool encode in.mkv -o a.mp4 -c libx264 --pass 2
assert_fails 2 b.mkv vtpool encode in.mkv -o b.mkv -c ffv1 -b 1M --pass 2
assert_fails 2 c.mp4 vtpool encode in.mkv -o c.mp4 -c libx264 -b 1M --pass 3
assert_fails 2 d.mp4 vtpool submit in.mkv -o d.mp4 -c libx264 -b 1M --pass 2
