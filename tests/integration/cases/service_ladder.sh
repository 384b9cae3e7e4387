# shellcheck shell=bash
# Ladders through the job service: `submit --rendition` and a job spec's
# "renditions" array. Every (segment, rendition) result is stored with its
# segment, and a ladder whose service is killed midway resumes: nothing is
# at the master playlist until the job is done, and then every rendition
# has every frame (the first, lossless, the input's own).
# shellcheck source=SCRIPTDIR/../service_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../service_lib.sh"

NSEG=8
mkdir -p out/hls out/dash
svc_make_input "$PWD/in.mkv" "$NSEG"
frames=$(count_frames in.mkv)

svc_start
svc_worker w1
svc_worker w2
svc_until 15 "two workers to join" svc_joined_at_least 2

# At the input's pace (a second a segment), so that the kill lands midway.
id=$(svc_submit "$PWD/in.mkv" -o "$PWD/out/hls/master.m3u8" --segment 1 --vf realtime \
  --rendition 320x240,qp=0,preset=ultrafast --rendition 160x-2,crf=30,preset=veryfast)
midway() {
  local st seg
  read -r st seg < <(svc_job "$id") || return 1
  [[ "$st" == running && "$seg" -ge 2 && "$seg" -le $((NSEG - 3)) ]]
}
svc_until 60 "job $id to have 2 segments done" midway
stored=$(find "$SVC_WORKDIR" -name 'seg-*.vtpr' | wc -l)
svc_kill
log "killed with $stored stored segments"
((stored >= 1)) || fail "no stored segment at the kill"
[[ ! -e out/hls/master.m3u8 ]] || fail "the master playlist exists before the ladder is done"

svc_start
grep -qE "resuming job $id\$" "$SVC_LOG" || fail "the service did not say it resumes job $id"
svc_wait "$id" 0 120
assert_file out/hls/master.m3u8
VTP_TIME_REF=first assert_same_frames in.mkv out/hls/320x240/index.m3u8
assert_eq "$(count_frames out/hls/160x120/index.m3u8)" "$frames" "160x120 frames"
assert_eq "$(stream_field out/hls/audio/index.m3u8 a:0 codec_name)" aac "the ladder's audio"
assert_eq "$(grep -c '^seg-' out/hls/320x240/index.m3u8)" "$NSEG" "segments listed"

# A job spec's "renditions", to DASH.
cat >jobs.jsonl <<JSON
{"input": "$PWD/in.mkv", "output": "$PWD/out/dash/manifest.mpd", "segment": 2, "renditions": ["160x120,crf=28", "80x-2,crf=30"], "preset": "ultrafast"}
JSON
id2=$(svc_submit --file jobs.jsonl)
svc_wait "$id2" 0 120
for i in 0 1; do
  n=$(probe "$PWD/out/dash/manifest.mpd" -select_streams "v:$i" -count_frames \
    -show_entries stream=nb_read_frames -of csv=p=0 | awk 'NR == 1')
  assert_eq "$n" "$frames" "DASH rendition $i frames"
done
# Refused at submission: a size that cannot be, a live playlist without
# renditions.
rc=0
svc_client submit "$PWD/in.mkv" -o "$PWD/out/x.m3u8" --rendition 0x0 2>/dev/null || rc=$?
assert_eq "$rc" 2 "submit with a bad rendition"
rc=0
svc_client submit "$PWD/in.mkv" -o "$PWD/out/x.mkv" --live-playlist 2>/dev/null || rc=$?
assert_eq "$rc" 2 "submit --live-playlist without a ladder"
svc_finish
