# shellcheck shell=bash
# Damaged input never crashes or hangs `vtpool encode`, and never leaves
# anything behind. Seven small valid inputs (160x120, 2 s, 25 fps: h264 +
# aac in mkv and in mp4 with the index first and last, mpeg2video + mp2 in
# ts, mpeg4 + pcm in avi, vp9 + opus in webm, ffv1 + flac in mkv) give 31
# damaged copies each (tools/corrupt_media.py: truncations, bit flips,
# zeroed and garbage ranges, random bytes, header only, duplicated halves;
# fixed seed). Each copy is encoded to ffv1 with --on-error fail, then with
# --on-error skip:
#  - exit 0: OUT exists, ffprobe reads it and its video decodes without
#    error; fail mode prints nothing on stderr, skip mode only
#    "vtpool: warning: ..." lines (e.g. "... dropped (--on-error skip)");
#    fail mode must not accept an input cut off a quarter or more before
#    the duration its header states (a truncated input is exit 3);
#  - exit 2, 3 or 5: exactly one stderr line starting with "vtpool: ",
#    nothing at OUT, no temporary file next to it (.out.mkv.vtpool-tmp-*);
#    exit 4 (output error) is wrong here: OUT's folder is writable;
#  - anything else is a failure: a signal death (>= 128), a hang (over 60 s),
#    exit 1 (internal error) or a sanitizer report.
# vtpool must leave nothing in TMPDIR either. All problems are collected;
# the case prints a summary and then fails with the first problem, if any.

tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
: "${VTP_CORRUPT_SEED:=20240601}"
: "${VTP_CORRUPT_TIMEOUT:=60}"

# ---- the valid inputs ----
V="testsrc2=size=160x120:rate=25:duration=2"
A="sine=frequency=440:sample_rate=48000:duration=2"
mkdir -p good bad
gen -f lavfi -i "$V" -f lavfi -i "$A" -map 0:v -map 1:a -c:v libx264 -preset veryfast \
  -pix_fmt yuv420p -g 12 -c:a aac -b:a 64k good/h264.mkv
gen -i good/h264.mkv -map 0 -c copy -movflags +faststart good/h264_moovfirst.mp4
gen -i good/h264.mkv -map 0 -c copy good/h264_moovlast.mp4
gen -f lavfi -i "$V" -f lavfi -i "$A" -map 0:v -map 1:a -c:v mpeg2video -g 12 -bf 2 \
  -c:a mp2 good/mpeg2.ts
gen -f lavfi -i "$V" -f lavfi -i "$A" -map 0:v -map 1:a -c:v mpeg4 -g 12 \
  -c:a pcm_s16le good/mpeg4.avi
gen -f lavfi -i "$V" -f lavfi -i "$A" -map 0:v -map 1:a -c:v libvpx-vp9 -deadline realtime \
  -cpu-used 8 -g 12 -c:a libopus good/vp9.webm
gen -f lavfi -i "$V" -f lavfi -i "$A" -map 0:v -map 1:a -c:v ffv1 -g 12 -c:a flac good/ffv1.mkv

# Generator sanity: where the MP4 index lies (top-level boxes in order).
mp4_boxes() {
  ffprobe -v trace "$1" 2>&1 | sed -n "s/.*type:'\([a-z]*\)' parent:'root'.*/\1/p" | tr '\n' ' '
}
top=$(mp4_boxes good/h264_moovfirst.mp4)
[[ "$top" == *moov*mdat* ]] || fail "generator: h264_moovfirst.mp4 has top-level boxes: $top"
top=$(mp4_boxes good/h264_moovlast.mp4)
[[ "$top" == *mdat*moov* ]] || fail "generator: h264_moovlast.mp4 has top-level boxes: $top"

# Every valid input encodes: the harness itself is sound.
for f in good/*; do
  run_vtpool encode "$f" -o "good-out.mkv" -c ffv1 -j 2 --segment 0.5 --progress none -y
  rm -f good-out.mkv
done

# ---- the damaged copies ----
python3 "$tools/corrupt_media.py" bad "$VTP_CORRUPT_SEED" good/* >bad.list ||
  fail "corrupt_media.py failed"
mapfile -t files <bad.list
((${#files[@]} >= 200)) || fail "generator: only ${#files[@]} damaged files"
log "${#files[@]} damaged files from $(find good -type f | wc -l) inputs (seed $VTP_CORRUPT_SEED)"

declare -A count=()   # MODE:OUTCOME -> number of files
problems=()
crashes=0
hangs=0

# problem MODE FILE KIND TEXT: records a failure (the case fails at the
# end); KIND groups them in the summary.
declare -A kinds=()
first_severe=
problem() {
  problems+=("$1 mode, bad/$2: $4")
  if [[ -z "$first_severe" && ("$3" == crash || "$3" == hang) ]]; then
    first_severe="$1 mode, bad/$2: $4"
  fi
  kinds[$3]=$((${kinds[$3]:-0} + 1))
  log "PROBLEM ($3): $1 mode, bad/$2: $4"
}

# tmp_listing: what is in TMPDIR (vtpool's own temporary files), sorted.
tmp_listing() {
  find "$TMPDIR" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort
}
tmp_before=$(tmp_listing)

# leftovers: temporary files of vtpool next to OUT.
leftovers() {
  find . -maxdepth 1 \( -name '.out.mkv.vtpool-tmp-*' -o \( -iname '*vtpool*' -iname '*tmp*' \) \) \
    -printf '%f ' 2>/dev/null
}

# check_cut_off FILE: a truncated input that --on-error fail encoded (exit 0)
# must not have lost a quarter or more of the duration its header states.
check_cut_off() {
  local f=$1 stated end
  stated=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "bad/$f" 2>/dev/null | head -n1) || true
  [[ "$stated" =~ ^[0-9]+(\.[0-9]+)?$ ]] || return 0
  end=$(ffprobe -v error -show_entries packet=pts_time,duration_time -of csv=p=0 "bad/$f" 2>/dev/null |
    awk -F, '$1 != "N/A" && $1 != "" { t = $1 + ($2 == "N/A" ? 0 : $2); if (t > m) m = t } END { printf "%.3f\n", m }') || true
  if awk -v s="$stated" -v e="$end" 'BEGIN { exit !(s - e > 0.25 && s - e >= s / 4) }'; then
    problem fail "$f" truncated-accepted "a truncated input (packets end at ${end} s of the ${stated} s its header states) was encoded with exit 0 under --on-error fail (expected exit 3)"
  fi
}

# check_run MODE FILE: encodes bad/FILE in MODE and checks the outcome.
check_run() {
  local mode=$1 f=$2 rc=0 t0 ms nlines line left tmp_now outcome
  rm -f out.mkv run.err
  t0=$(date +%s%N)
  timeout -k 5 "$VTP_CORRUPT_TIMEOUT" "$VTPOOL" encode "bad/$f" -o out.mkv -c ffv1 -j 2 \
    --segment 0.5 --progress none --on-error "$mode" </dev/null >run.out 2>run.err || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  local err
  err=$(_oneline run.err)

  if grep -qE 'ERROR: (Address|Leak)Sanitizer|WARNING: ThreadSanitizer|runtime error:|AddressSanitizer' run.err; then
    crashes=$((crashes + 1))
    outcome=crash
    problem "$mode" "$f" crash "sanitizer report (exit $rc): $err"
  elif ((rc == 124 || rc == 137)); then
    hangs=$((hangs + 1))
    outcome=hang
    problem "$mode" "$f" hang "hang: still running after ${VTP_CORRUPT_TIMEOUT}s (exit $rc)"
  elif ((rc >= 128)); then
    crashes=$((crashes + 1))
    outcome=crash
    problem "$mode" "$f" crash "crash: exit $rc (signal $((rc - 128))): $err"
  elif ((rc == 0)); then
    outcome=encoded
    if [[ ! -s out.mkv ]]; then
      problem "$mode" "$f" bad-output "exit 0 but no out.mkv (stderr: $err)"
    elif ! ffprobe -v error -select_streams v:0 -show_entries stream=codec_name -of csv=p=0 \
      out.mkv >probe.out 2>probe.err || [[ "$(head -n1 probe.out)" != ffv1 ]]; then
      problem "$mode" "$f" bad-output "exit 0 but ffprobe cannot read out.mkv: $(_oneline probe.err)"
    elif ! ffmpeg "${FFMPEG_Q[@]}" -xerror -i out.mkv -map 0:v:0 -f null - 2>dec.err; then
      problem "$mode" "$f" bad-output "exit 0 but the video of out.mkv does not decode: $(_oneline dec.err)"
    fi
    if [[ "$mode" == fail && -s run.err ]]; then
      problem "$mode" "$f" stderr "exit 0 with --progress none but printed on stderr: $err"
    elif [[ "$mode" == skip && -s run.err ]]; then
      if grep -qv '^vtpool: warning: ' run.err; then
        problem "$mode" "$f" stderr "exit 0 but stderr has lines other than 'vtpool: warning: ...': $err"
      fi
      if grep -q 'dropped (--on-error skip)' run.err; then
        outcome=encoded-dropped
      fi
    fi
    if [[ "$mode" == fail && "$f" == *.trunc-p* ]]; then
      check_cut_off "$f"
    fi
  else
    outcome="exit$rc"
    if ((rc == 1 || rc > 5)); then
      problem "$mode" "$f" unclear-exit "exit $rc is not a clear error (expected 2..5): $err"
    elif ((rc == 4)); then
      # out.mkv is in a writable folder with space: a damaged input that
      # makes the muxer fail is an input error (3), not an output error.
      problem "$mode" "$f" exit4-for-input "exit 4 (output error) for a damaged input written to a writable folder (expected 3): $err"
    fi
    nlines=$(wc -l <run.err)
    if [[ -s run.err && -n "$(tail -c1 run.err)" ]]; then
      nlines=$((nlines + 1))
    fi
    line=$(head -n1 run.err)
    if ((nlines != 1)); then
      problem "$mode" "$f" stderr "exit $rc with $nlines lines on stderr (expected one): $err"
    elif [[ "$line" != "vtpool: "?* ]]; then
      problem "$mode" "$f" stderr "exit $rc, stderr line does not start with 'vtpool: ': $line"
    fi
    if [[ -e out.mkv || -L out.mkv ]]; then
      problem "$mode" "$f" leftover "exit $rc but out.mkv exists"
    fi
  fi
  left=$(leftovers)
  if [[ -n "$left" ]]; then
    problem "$mode" "$f" leftover "temporary file left next to OUT after exit $rc: $left"
    rm -f ./.out.mkv.vtpool-tmp-*
  fi
  tmp_now=$(tmp_listing)
  if [[ "$tmp_now" != "$tmp_before" ]]; then
    problem "$mode" "$f" leftover "file left in TMPDIR after exit $rc: $(comm -13 <(printf '%s\n' "$tmp_before") <(printf '%s\n' "$tmp_now") | tr '\n' ' ')"
    tmp_before=$tmp_now
  fi
  if ((ms > 20000)); then
    log "slow: $mode mode, bad/$f took $ms ms (exit $rc)"
  fi
  count[$mode:$outcome]=$((${count[$mode:$outcome]:-0} + 1))
  printf '%s\t%s\t%s\t%s\t%s\n' "$mode" "$f" "$rc" "$ms" "$(head -n1 run.err)" >>results.tsv
}

: >results.tsv
t_start=$(date +%s)
for f in "${files[@]}"; do
  check_run fail "$f"
  check_run skip "$f"
  if ((hangs >= 3)); then
    log "three hangs: stopping early"
    break
  fi
done
t_total=$(($(date +%s) - t_start))

# summary MODE: "150 refused (exit 3), 2 refused (exit 5), 62 encoded"
summary() {
  local mode=$1 k out=() n
  for k in $(printf '%s\n' "${!count[@]}" | grep "^$mode:" | sort); do
    n=${count[$k]}
    case "${k#*:}" in
      exit*) out+=("$n refused (exit ${k#*:exit})") ;;
      encoded) out+=("$n encoded") ;;
      encoded-dropped) out+=("$n encoded with frames dropped") ;;
      *) out+=("$n ${k#*:}") ;;
    esac
  done
  local IFS=,
  printf '%s' "${out[*]}" | sed 's/,/, /g'
}
line="corrupt media: ${#files[@]} files, fail mode: $(summary fail); skip mode: $(summary skip); $crashes crashes, $hangs hangs; ${t_total}s"
log "$line"
echo "$line" >&2

# Messages given for refused files, by kind (for the log).
log "fail-mode messages: $(awk -F'\t' '$1 == "fail" && $3 != 0 { m = $5; gsub(/bad\/[^ :]*/, "F", m); print $3 " " substr(m, 1, 90) }' results.tsv |
  sort | uniq -c | sort -rn | head -n 8 | tr -s ' ' | tr '\n' ';')"

if ((${#problems[@]} > 0)); then
  log "${#problems[@]} problems; the first ones:"
  for ((i = 0; i < ${#problems[@]} && i < 15; i++)); do
    log "  ${problems[i]}"
  done
  by_kind=$(for k in "${!kinds[@]}"; do printf '%s %s, ' "${kinds[$k]}" "$k"; done)
  fail "${#problems[@]} problems (${by_kind%, }); first: ${first_severe:-${problems[0]}}"
fi
