# shellcheck shell=bash
# Helpers for the vtpool integration cases. Sourced by run.sh; every case runs
# in its own fresh temporary directory (the current directory) with
# `set -euo pipefail` in effect.
#
# Conventions:
#   fail MSG          stop the case, reported as "FAIL CASE: MSG"
#   log MSG           progress note on stderr (shown by ctest on failure)
#   vtpool ARGS...    runs "$VTPOOL" ARGS under a timeout ($VTPOOL_TIMEOUT s)
#   gen ARGS...       ffmpeg -hide_banner -loglevel error -nostdin -y ARGS...

# A hang, not a slow run: sanitizers make vtpool 5 to 15 times slower
# (scale_raw_3gb takes 3 minutes under ThreadSanitizer on a quiet machine,
# and its encode alone ran past 300 s on a loaded one).
if [[ -n "${VTP_SANITIZE:-}" ]]; then
  : "${VTPOOL_TIMEOUT:=1200}"
else
  : "${VTPOOL_TIMEOUT:=300}"
fi
# Tolerance when comparing timestamps in seconds (Matroska keeps milliseconds).
: "${VTP_TIME_TOL:=0.0011}"

FFMPEG_Q=(-hide_banner -loglevel error -nostdin)

log() {
  printf '# %s\n' "$*" >&2
}

# fail MSG: record the reason (first one wins) and stop the case.
fail() {
  local msg="$*"
  if [[ -n "${VTP_FAIL_FILE:-}" && ! -s "$VTP_FAIL_FILE" ]]; then
    printf '%s\n' "$msg" >"$VTP_FAIL_FILE"
  fi
  printf '# FAIL: %s\n' "$msg" >&2
  exit 1
}

# _oneline FILE: the first 1000 bytes of FILE on one line (" | " between lines).
_oneline() {
  head -c 1000 "$1" | awk 'NR > 1 { printf " | " } { printf "%s", $0 } END { print "" }'
}

# vtpool ARGS...: the program under test, bounded in time. A hang gives
# status 124 (or 137 when it ignores SIGTERM), which no assertion accepts.
vtpool() {
  timeout -k 10 "$VTPOOL_TIMEOUT" "$VTPOOL" "$@"
}

# run_vtpool ARGS...: like vtpool, but logs the command and fails the case
# with the exit status and vtpool's stderr when it does not succeed. With
# "--progress none" among ARGS, a successful run must also print nothing on
# stderr.
run_vtpool() {
  local rc=0 errf quiet=0 prev='' a
  for a in "$@"; do
    [[ "$prev" == --progress && "$a" == none ]] && quiet=1
    prev=$a
  done
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  log "vtpool $*"
  vtpool "$@" 2>"$errf" || rc=$?
  if ((rc != 0)); then
    local err
    err=$(_oneline "$errf")
    rm -f "$errf"
    fail "vtpool $* exited $rc: ${err:-<no stderr>}"
  fi
  if ((quiet)) && [[ -s "$errf" ]]; then
    local err
    err=$(_oneline "$errf")
    rm -f "$errf"
    fail "vtpool $* succeeded but printed on stderr with --progress none: $err"
  fi
  cat "$errf" >&2
  rm -f "$errf"
}

# gen ARGS...: ffmpeg wrapper for making test media.
gen() {
  ffmpeg "${FFMPEG_Q[@]}" -y "$@" || fail "ffmpeg $* failed"
}

# probe FILE ARGS...: ffprobe -v error ARGS... FILE
probe() {
  local f=$1
  shift
  ffprobe -v error "$@" "$f"
}

# stream_field FILE SELECTOR FIELD: one stream field, e.g.
#   stream_field out.mkv v:0 pix_fmt
stream_field() {
  ffprobe -v error -select_streams "$2" -show_entries "stream=$3" -of csv=p=0 "$1" | awk 'NR == 1'
}

# count_frames FILE: number of video packets in stream v:0 (no decoding).
# (MPEG-TS and HLS list each stream twice, under programs and streams: the
# first line; read to the end, so that ffprobe never writes into a closed
# pipe.)
count_frames() {
  ffprobe -v error -select_streams v:0 -count_packets \
    -show_entries stream=nb_read_packets -of csv=p=0 "$1" | awk -F, 'NR == 1 { print $1 }'
}

# _memo NAME FILE FUNCTION: FUNCTION FILE's output, worked out once per case
# for each version of FILE (its device, inode, size and modification time
# name it under $VTP_MEMO): a file compared several times is decoded once.
# A failed run is not kept.
_memo() {
  local name=$1 file=$2 fn=$3 key
  if [[ -z "${VTP_MEMO:-}" ]]; then
    "$fn" "$file"
    return
  fi
  key=$(stat -L -c '%d.%i.%s.%.9Y' "$file") || fail "$name: cannot stat $file"
  if [[ ! -f "$VTP_MEMO/$name.$key" ]]; then
    # A part of its own: two subshells may work the same file out at once.
    local part=$VTP_MEMO/$name.$key.part.$BASHPID
    "$fn" "$file" >"$part" || {
      rm -f "$part"
      return 1
    }
    mv "$part" "$VTP_MEMO/$name.$key"
  fi
  cat "$VTP_MEMO/$name.$key"
}

# frame_times FILE: presentation time (s) of each decoded frame of v:0, in
# output order, one per line. Uses pts_time, or best_effort_timestamp_time
# when the frame has no pts.
frame_times() {
  [[ -e "$1" ]] || fail "frame_times: no such file: $1"
  _memo frame_times "$1" _frame_times
}
_frame_times() {
  ffprobe -v error -select_streams v:0 \
    -show_entries frame=pts_time,best_effort_timestamp_time -of flat "$1" |
    awk -F= '
      # frames.frame.N.KEY="VALUE"; side data lines have more dots: skip them.
      {
        if (split($1, k, ".") != 4 || k[1] != "frames" || k[2] != "frame") next
        v = $2; gsub(/"/, "", v)
        n = k[3] + 0
        if (n > max) max = n
        cnt++
        if (k[4] == "pts_time") pts[n] = v
        else if (k[4] == "best_effort_timestamp_time") be[n] = v
      }
      END {
        if (!cnt) exit
        for (i = 0; i <= max; i++) {
          t = pts[i]
          if (t == "" || t == "N/A") t = be[i]
          if (t == "") t = "N/A"
          print t
        }
      }'
}

# frame_md5s FILE: md5 of each decoded frame of v:0 (raw, native pixel format).
# framemd5 columns: stream, dts, pts, duration, size, hash[, S=n, size, hash of
# side data]: the frame's hash is the 6th field, not always the last.
frame_md5s() {
  _memo frame_md5s "$1" _frame_md5s
}
_frame_md5s() {
  ffmpeg "${FFMPEG_Q[@]}" -i "$1" -map 0:v:0 -fps_mode passthrough -f framemd5 - |
    awk -F, '/^#/ { next } NF >= 6 { v = $6; gsub(/ /, "", v); print v }'
}

# frame_sums FILE: "pts_time md5" for every decoded frame of v:0.
frame_sums() {
  local f=$1 times md5s nt nm
  [[ -e "$f" ]] || fail "frame_sums: no such file: $f"
  times=$(frame_times "$f") || fail "frame_sums: ffprobe failed on $f"
  md5s=$(frame_md5s "$f") || fail "frame_sums: ffmpeg framemd5 failed on $f"
  nt=$(printf '%s' "$times" | grep -c . || true)
  nm=$(printf '%s' "$md5s" | grep -c . || true)
  ((nt == nm)) || fail "frame_sums: $f: ffprobe sees $nt frames, ffmpeg framemd5 $nm"
  ((nt > 0)) || fail "frame_sums: $f: no video frames"
  paste -d' ' <(printf '%s\n' "$times") <(printf '%s\n' "$md5s")
}

# time_origin FILE: the earliest presentation time (s) of any audio or video
# packet (dts when a packet has no pts), 0 when there is none. Unlike the
# container's start_time this sees e.g. AAC priming packets at negative times.
time_origin() {
  ffprobe -v error -show_entries packet=codec_type,pts_time,dts_time -of csv=p=0 "$1" |
    awk -F, '
      $1 == "video" || $1 == "audio" {
        t = $2; if (t == "" || t == "N/A") t = $3
        if (t == "" || t == "N/A") next
        if (!seen || t + 0 < m) { m = t + 0; seen = 1 }
      }
      END { if (seen) printf "%.6f\n", m; else print 0 }'
}

# _time_refs IN OUT FIRST_IN FIRST_OUT: prints "REF_IN REF_OUT" per $VTP_TIME_REF.
_time_refs() {
  case "${VTP_TIME_REF:-origin}" in
    origin) printf '%s %s\n' "$(time_origin "$1")" "$(time_origin "$2")" ;;
    absolute) printf '0 0\n' ;;
    first) printf '%s %s\n' "$3" "$4" ;;
    *) fail "bad VTP_TIME_REF=${VTP_TIME_REF}" ;;
  esac
}

# assert_same_frames IN OUT: same number of frames, same checksums in the same
# order, same presentation times within $VTP_TIME_TOL.
#
# Times are compared after subtracting each file's time_origin (earliest audio
# or video packet), so a shift of the whole timeline (MPEG-TS's 1.4 s offset, a
# muxer moving negative AAC priming to 0) is accepted while a shift of video
# against audio is not. VTP_TIME_REF=absolute compares raw times;
# VTP_TIME_REF=first compares times relative to each file's first video frame.
# A frame without any time in IN (AVI after B-frames) matches any time in OUT.
assert_same_frames() {
  local in=$1 out=$2 a b ra rb
  [[ -e "$in" ]] || fail "assert_same_frames: no such file: $in"
  [[ -e "$out" ]] || fail "assert_same_frames: no such file: $out"
  a=$(frame_sums "$in") || exit 1
  b=$(frame_sums "$out") || exit 1
  read -r ra rb < <(_time_refs "$in" "$out" "${a%% *}" "${b%% *}")
  local res
  res=$(awk -v tol="$VTP_TIME_TOL" -v ra="$ra" -v rb="$rb" -v in_name="$in" -v out_name="$out" '
    NR == FNR { at[NR] = $1; am[NR] = $2; na = NR; next }
    { bt[FNR] = $1; bm[FNR] = $2; nb = FNR }
    END {
      n = (na < nb) ? na : nb
      for (i = 1; i <= n; i++) {
        if (am[i] != bm[i]) {
          printf "frame %d (%s at %s, %s at %s): checksums differ (%s vs %s); frames %s: %d, %s: %d\n", \
            i - 1, in_name, at[i], out_name, bt[i], am[i], bm[i], in_name, na, out_name, nb
          exit 1
        }
        if (at[i] == "N/A") continue
        if (bt[i] == "N/A") {
          printf "frame %d: time %s in %s but none in %s\n", i - 1, at[i], in_name, out_name
          exit 1
        }
        if (ra == "N/A" || rb == "N/A") {
          printf "first frame has no time (use another VTP_TIME_REF)\n"
          exit 1
        }
        d = (at[i] - ra) - (bt[i] - rb)
        if (d < 0) d = -d
        if (d > tol) {
          printf "frame %d: time differs: %s has %s (relative %.6f), %s has %s (relative %.6f); frames %s: %d, %s: %d\n", \
            i - 1, in_name, at[i], at[i] - ra, out_name, bt[i], bt[i] - rb, in_name, na, out_name, nb
          exit 1
        }
      }
      if (na != nb) {
        printf "frame counts differ: %s has %d, %s has %d (first %d frames match; next frame at %s)\n", \
          in_name, na, out_name, nb, n, (na > nb) ? at[n + 1] : bt[n + 1]
        exit 1
      }
      printf "ok %d\n", na
    }' <(printf '%s\n' "$a") <(printf '%s\n' "$b")) || fail "assert_same_frames: $res"
  log "assert_same_frames $in $out: ${res#ok } frames identical"
}

# assert_same_frame_times IN OUT: same number of frames and the same times
# (as in assert_same_frames), checksums not compared (for lossy outputs).
assert_same_frame_times() {
  local in=$1 out=$2 a b ra rb res
  a=$(frame_times "$in") || fail "ffprobe failed on $in"
  b=$(frame_times "$out") || fail "ffprobe failed on $out"
  read -r ra rb < <(_time_refs "$in" "$out" "${a%%$'\n'*}" "${b%%$'\n'*}")
  res=$(awk -v tol="$VTP_TIME_TOL" -v ra="$ra" -v rb="$rb" -v in_name="$in" -v out_name="$out" '
    NR == FNR { at[NR] = $1; na = NR; next }
    { bt[FNR] = $1; nb = FNR }
    END {
      n = (na < nb) ? na : nb
      for (i = 1; i <= n; i++) {
        if (at[i] == "N/A") continue
        if (bt[i] == "N/A") {
          printf "frame %d: time %s in %s but none in %s\n", i - 1, at[i], in_name, out_name
          exit 1
        }
        d = (at[i] - ra) - (bt[i] - rb)
        if (d < 0) d = -d
        if (d > tol) {
          printf "frame %d: time differs: %s has %s (relative %.6f), %s has %s (relative %.6f); frames %s: %d, %s: %d\n", \
            i - 1, in_name, at[i], at[i] - ra, out_name, bt[i], bt[i] - rb, in_name, na, out_name, nb
          exit 1
        }
      }
      if (na != nb) {
        printf "frame counts differ: %s has %d, %s has %d\n", in_name, na, out_name, nb
        exit 1
      }
      printf "ok %d\n", na
    }' <(printf '%s\n' "$a") <(printf '%s\n' "$b")) || fail "assert_same_frame_times: $res"
  log "assert_same_frame_times $in $out: ${res#ok } frames"
}

# audio_sums FILE: md5 of each packet of the first audio stream (no decoding).
audio_sums() {
  [[ -e "$1" ]] || fail "audio_sums: no such file: $1"
  ffmpeg "${FFMPEG_Q[@]}" -i "$1" -map 0:a:0 -c copy -f framemd5 - |
    awk -F, '/^#/ { next } NF >= 6 { v = $6; gsub(/ /, "", v); print v }'
}

# assert_same_audio IN OUT: byte-identical audio packets, same count.
assert_same_audio() {
  local in=$1 out=$2 a b res
  a=$(audio_sums "$in") || fail "audio_sums failed on $in"
  b=$(audio_sums "$out") || fail "audio_sums failed on $out (no audio stream?)"
  [[ -n "$a" ]] || fail "assert_same_audio: $in has no audio packets"
  res=$(awk -v in_name="$in" -v out_name="$out" '
    NR == FNR { a[NR] = $1; na = NR; next }
    { b[FNR] = $1; nb = FNR }
    END {
      n = (na < nb) ? na : nb
      for (i = 1; i <= n; i++)
        if (a[i] != b[i]) {
          printf "audio packet %d differs; packets %s: %d, %s: %d\n", i - 1, in_name, na, out_name, nb
          exit 1
        }
      if (na != nb) {
        printf "audio packet counts differ: %s has %d, %s has %d\n", in_name, na, out_name, nb
        exit 1
      }
      printf "ok %d\n", na
    }' <(printf '%s\n' "$a") <(printf '%s\n' "${b:-}")) || fail "assert_same_audio: $res"
  log "assert_same_audio $in $out: ${res#ok } packets identical"
}

# keyframe_times FILE: pts_time of every packet of v:0 flagged K, ascending.
keyframe_times() {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,flags \
    -of csv=p=0 "$1" | awk -F, '$2 ~ /K/ { print $1 }' | sort -g
}

# leading_frames FILE: how many packets of v:0 come after a keyframe (other
# than the first) in decode order but are shown before it: the leading
# pictures of open GOPs, which need the previous GOP to decode.
leading_frames() {
  ffprobe -v error -select_streams v:0 -show_entries packet=pts_time,flags \
    -of csv=p=0 "$1" | awk -F, '
      $1 == "N/A" { next }
      $2 ~ /K/ { k = $1 + 0; nk++; next }
      nk > 1 && $1 + 0 < k { n++ }
      END { print n + 0 }'
}

# frame_deltas FILE: distinct differences between consecutive frame times,
# rounded to the millisecond, one per line.
frame_deltas() {
  frame_times "$1" | sort -g | awk 'NR > 1 { printf "%.3f\n", $1 - p } { p = $1 }' | sort -u
}

# pict_types FILE: the pict_type of each decoded frame (I, P, B, ...).
pict_types() {
  ffprobe -v error -select_streams v:0 -show_entries frame=pict_type -of csv=p=0 "$1" |
    awk -F, 'NF && $1 != "" { print $1 }'
}

# file_md5 FILE
file_md5() {
  md5sum "$1" | awk '{ print $1 }'
}

# _check_failure EXPECTED RC ERRFILE DESCRIPTION: common checks of a failed run.
_check_failure() {
  local expected=$1 rc=$2 errf=$3 what=$4 nlines line
  if ((rc != expected)); then
    fail "$what: exit status $rc, expected $expected; stderr: $(_oneline "$errf")"
  fi
  ((rc >= 1 && rc <= 123)) || fail "$what: exit status $rc out of 1..123"
  nlines=$(wc -l <"$errf")
  # A last line without newline still counts as one line.
  if [[ -s "$errf" && -n "$(tail -c1 "$errf")" ]]; then
    nlines=$((nlines + 1))
  fi
  ((nlines == 1)) || fail "$what: expected exactly one line on stderr, got $nlines: $(_oneline "$errf")"
  line=$(head -n1 "$errf")
  [[ "$line" == "vtpool: "?* ]] || fail "$what: stderr line does not start with 'vtpool: ': $line"
  log "$what: status $rc: $line"
}

# _check_no_temp DIR DESCRIPTION: no file whose name contains vtpool and tmp.
_check_no_temp() {
  local dir=$1 what=$2 left
  [[ -d "$dir" ]] || return 0
  left=$(find "$dir" -maxdepth 1 -iname '*vtpool*' -iname '*tmp*' -print 2>/dev/null | head -n5)
  [[ -z "$left" ]] || fail "$what: temporary file left behind: $left"
}

# assert_fails EXPECTED_CODE OUTPUT CMD...: CMD must exit EXPECTED_CODE with
# exactly one stderr line starting with "vtpool: ", leave no OUTPUT and no
# temporary file (name containing vtpool and tmp) next to OUTPUT.
assert_fails() {
  local expected=$1 output=$2 rc=0 errf what
  shift 2
  what="$*"
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  "$@" >/dev/null 2>"$errf" || rc=$?
  _check_failure "$expected" "$rc" "$errf" "$what"
  rm -f "$errf"
  [[ ! -e "$output" && ! -L "$output" ]] || fail "$what: output $output exists after failure"
  _check_no_temp "$(dirname -- "$output")" "$what"
}

# assert_fails_keeps EXPECTED_CODE OUTPUT CMD...: like assert_fails for an
# OUTPUT that exists beforehand: it must still exist, byte for byte unchanged.
assert_fails_keeps() {
  local expected=$1 output=$2 rc=0 errf what before after
  shift 2
  what="$*"
  [[ -f "$output" ]] || fail "assert_fails_keeps: $output must exist beforehand"
  before=$(file_md5 "$output")
  errf=$(mktemp "${TMPDIR:-/tmp}/stderr.XXXXXX")
  "$@" >/dev/null 2>"$errf" || rc=$?
  _check_failure "$expected" "$rc" "$errf" "$what"
  rm -f "$errf"
  [[ -f "$output" ]] || fail "$what: existing output $output was removed"
  after=$(file_md5 "$output")
  [[ "$before" == "$after" ]] || fail "$what: existing output $output was modified"
  _check_no_temp "$(dirname -- "$output")" "$what"
}

# assert_eq ACTUAL EXPECTED DESCRIPTION
assert_eq() {
  [[ "$1" == "$2" ]] || fail "$3: got '$1', expected '$2'"
}

# assert_file FILE: exists and is not empty.
assert_file() {
  [[ -s "$1" ]] || fail "expected a non-empty file $1"
}

# pyzmq_python: a python3 with pyzmq (the one on PATH, else Debian's,
# python3-zmq), for the tools that play hostile peers.
pyzmq_python() {
  local p
  for p in python3 /usr/bin/python3; do
    if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import zmq' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  fail "no python3 with pyzmq (install python3-zmq: scripts/setup.sh)"
}

# player_libs: a directory whose node_modules holds hls.js and dash.js, the
# players tools/player.html drives (scripts/player-libs.sh: from npm, once,
# into the cache).
player_libs() {
  "$(dirname "${BASH_SOURCE[0]}")/../../scripts/player-libs.sh" ||
    fail "the web players (hls.js, dash.js) could not be installed"
}

# play_ladder ROOT PLAYER SRC HEIGHT: plays SRC (a path under ROOT) to its end
# in headless Chromium through PLAYER (hls or dash), the rendition of that
# height forced, at 4x; prints the player's report (JSON). Fails the case
# when no report comes within 120 s.
play_ladder() {
  local root=$1 player=$2 src=$3 height=$4 libs port="" i profile
  libs=$(player_libs) || exit 1
  rm -f player.port player.json player.json.state
  python3 "$(dirname "${BASH_SOURCE[0]}")/tools/player.py" "$root" "$libs" player.port \
    player.json &
  local server=$!
  for ((i = 0; i < 100; i++)); do
    [[ -s player.port ]] && break
    sleep 0.1
  done
  port=$(cat player.port 2>/dev/null) || { kill "$server"; fail "the player's server did not start"; }
  # Chromium's own scratch files stay in the profile (HOME, TMPDIR).
  profile=$(mktemp -d "$PWD/chromium.XXXXXX")
  HOME=$profile TMPDIR=$profile chromium --headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage \
    --autoplay-policy=no-user-gesture-required --no-first-run --user-data-dir="$profile" \
    "http://127.0.0.1:$port/player.html?player=$player&src=/$src&height=$height&rate=4" \
    >/dev/null 2>&1 &
  local browser=$!
  for ((i = 0; i < 1200; i++)); do
    [[ -s player.json ]] && break
    kill -0 "$browser" 2>/dev/null || break
    sleep 0.1
  done
  kill "$browser" "$server" 2>/dev/null || true
  wait "$browser" "$server" 2>/dev/null || true
  rm -rf "$profile"
  [[ -s player.json ]] ||
    fail "$player: no report from the browser playing $src (height $height) in 120 s; last state: $(cat player.json.state 2>/dev/null || echo none)"
  cat player.json
}
