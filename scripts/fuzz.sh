#!/usr/bin/env bash
# Fuzz the network message decoders and the job spec parser with libFuzzer.
#
#   scripts/fuzz.sh [SECONDS]      fuzz each target for SECONDS (default 600)
#
# Builds build-fuzz/fuzz_proto and build-fuzz/fuzz_jobspec with clang
# (-fsanitize=fuzzer,address,undefined), runs both at the same time (one
# process each) on their corpus in tests/fuzz/corpus/, then minimises each
# corpus together with what the run found (-merge=1) and writes the result
# back to tests/fuzz/corpus/ (the named seeds are always kept).
# A finding (crash, leak, timeout, out of memory) is copied to
# tests/fuzz/crashes/<target>/ and makes the script exit 1.
#
# Environment: FUZZ_TARGETS (default "proto jobspec"), CC (default clang),
# FUZZ_ARGS (more libFuzzer options). Installs nothing; it needs the
# Debian packages clang and libclang-rt-14-dev (the libFuzzer runtime),
# pkg-config, libavcodec-dev, libavformat-dev, libavutil-dev, libzmq3-dev
# and libjansson-dev.
#
# To replay one input: build-fuzz/fuzz_proto FILE (or the replay binaries
# of the ctest tests fuzz_corpus_proto / fuzz_corpus_jobspec).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=${1:-600}
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || { echo "usage: $0 [SECONDS]" >&2; exit 2; }
targets=${FUZZ_TARGETS:-proto jobspec}
cc=${CC:-clang}
out=build-fuzz

# ---- what it needs ----
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "fuzz.sh: '$cc' not found: install the Debian packages clang and libclang-rt-14-dev" >&2
  echo "         (apt-get install clang libclang-rt-14-dev), or set CC to a clang" >&2
  exit 2
fi
mkdir -p "$out"
probe=$out/probe
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' > "$probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2> "$probe.log"; then
  sed 's/^/  /' "$probe.log" >&2
  echo "fuzz.sh: $cc cannot build a libFuzzer target: install the Debian package" >&2
  echo "         libclang-rt-14-dev (the libFuzzer and sanitizer runtimes of clang 14)" >&2
  exit 2
fi
rm -f "$probe" "$probe.c" "$probe.log"
if ! command -v pkg-config >/dev/null 2>&1; then
  echo "fuzz.sh: pkg-config not found: install the Debian package pkg-config" >&2
  exit 2
fi
for pc in libavcodec:libavcodec-dev libavutil:libavutil-dev libavformat:libavformat-dev \
          libzmq:libzmq3-dev jansson:libjansson-dev; do
  if ! pkg-config --exists "${pc%%:*}"; then
    echo "fuzz.sh: pkg-config does not know ${pc%%:*}: install the Debian package ${pc#*:}" >&2
    exit 2
  fi
done

# ---- build ----
# Only the sources each target needs (the decoders are self-contained: no
# logging, no sockets).
declare -A sources=(
  [proto]="common/buf.c common/proto.c common/codecpar.c common/segment.c common/options.c"
  [jobspec]="common/jobspec.c common/options.c common/buf.c"
)
declare -A libs=(
  [proto]="libavcodec libavutil"
  [jobspec]="libavcodec libavutil jansson"
)
# shellcheck disable=SC2054  # the commas are clang's
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Wall -Wextra -Iinclude)

for t in $targets; do
  [[ -n ${sources[$t]:-} ]] || { echo "fuzz.sh: unknown target '$t'" >&2; exit 2; }
  echo "fuzz.sh: building $out/fuzz_$t"
  # shellcheck disable=SC2046,SC2086
  "$cc" "${cflags[@]}" $(pkg-config --cflags ${libs[$t]}) tests/fuzz/fuzz_$t.c ${sources[$t]} \
    $(pkg-config --libs ${libs[$t]}) -lm -lpthread -o "$out/fuzz_$t"
done

# Seeds, when a corpus is missing (they are committed; see make_seeds.c).
for t in $targets; do
  if [[ -z $(ls -A "tests/fuzz/corpus/$t" 2>/dev/null) ]]; then
    echo "fuzz.sh: corpus of $t is empty: writing the seeds"
    mkdir -p tests/fuzz/corpus/proto tests/fuzz/corpus/jobspec
    # shellcheck disable=SC2046
    "$cc" -std=c11 -D_GNU_SOURCE -g -Iinclude tests/fuzz/make_seeds.c common/buf.c common/proto.c \
      common/codecpar.c common/segment.c common/options.c common/jobspec.c common/error.c \
      common/compat.c $(pkg-config --cflags --libs libavformat libavcodec libavutil jansson) \
      -lm -o "$out/make_seeds"
    "$out/make_seeds" tests/fuzz/corpus
  fi
done

corpus_size() {   # files and bytes of a directory
  local n b
  n=$(find "$1" -type f | wc -l)
  b=$(find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
  echo "$n files, $b bytes"
}

# ---- fuzz ----
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
declare -A before pid
for t in $targets; do
  before[$t]=$(corpus_size "tests/fuzz/corpus/$t")
  rm -rf "$out/new/$t" "$out/artifacts/$t"
  mkdir -p "$out/new/$t" "$out/artifacts/$t"
  dict=()
  [[ -f tests/fuzz/$t.dict ]] && dict=(-dict="tests/fuzz/$t.dict")
  echo "fuzz.sh: fuzzing $t for $seconds s (log: $out/fuzz_$t.log)"
  # New inputs go to the first directory; the committed corpus is only read.
  # shellcheck disable=SC2086
  "$out/fuzz_$t" -max_len=65536 -timeout=10 -rss_limit_mb=2048 -max_total_time="$seconds" \
    -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" "${dict[@]}" ${FUZZ_ARGS:-} \
    "$out/new/$t" "tests/fuzz/corpus/$t" > "$out/fuzz_$t.log" 2>&1 &
  pid[$t]=$!
done
declare -A status
for t in $targets; do
  if wait "${pid[$t]}"; then status[$t]=0; else status[$t]=$?; fi
done

# ---- merge ----
merge_failed=0
for t in $targets; do
  merged=$out/merged/$t
  rm -rf "$merged"
  mkdir -p "$merged"
  # The named seeds (see make_seeds.c) stay whatever they cover; libFuzzer
  # adds, named by their SHA-1, the fewest other inputs that cover the rest.
  find "tests/fuzz/corpus/$t" -maxdepth 1 -type f ! -regex '.*/[0-9a-f]\{40\}' \
    -exec cp {} "$merged/" \;
  echo "fuzz.sh: minimising the corpus of $t"
  if ! "$out/fuzz_$t" -merge=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
      "$merged" "tests/fuzz/corpus/$t" "$out/new/$t" > "$out/merge_$t.log" 2>&1 ||
     [[ -z $(ls -A "$merged") ]]; then
    echo "fuzz.sh: merging $t failed (see $out/merge_$t.log); corpus left as it was" >&2
    merge_failed=1
    continue
  fi
  rm -rf "tests/fuzz/corpus/$t"
  cp -r "$merged" "tests/fuzz/corpus/$t"
done

# ---- report ----
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -n 1; }
found=0
for t in $targets; do
  log=$out/fuzz_$t.log
  last=$(grep -E '^#[0-9]+' "$log" | grep -E 'cov: ' | tail -n 1 || true)
  echo
  echo "== $t =="
  echo "  execs:          $(final_stat "$log" number_of_executed_units) in $(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | grep -oE '[0-9]+ second' || echo "? second")s"
  echo "  execs/s:        $(final_stat "$log" average_exec_per_sec)"
  echo "  coverage:       $(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<< "$last" || echo '?')"
  echo "  new units:      $(final_stat "$log" new_units_added)"
  echo "  peak RSS (MB):  $(final_stat "$log" peak_rss_mb)"
  echo "  corpus before:  ${before[$t]}"
  echo "  corpus after:   $(corpus_size "tests/fuzz/corpus/$t")"
  shopt -s nullglob
  arts=("$out/artifacts/$t"/*)
  shopt -u nullglob
  if (( ${#arts[@]} )) || [[ ${status[$t]} != 0 ]]; then
    found=1
    mkdir -p "tests/fuzz/crashes/$t"
    for a in "${arts[@]}"; do cp "$a" "tests/fuzz/crashes/$t/"; done
    echo "  FINDING (exit ${status[$t]}): ${arts[*]:-no artifact} -- see $log"
    grep -m 3 -E '^==[0-9]+==ERROR|^SUMMARY|check failed|runtime error' "$log" | sed 's/^/    /' || true
  else
    echo "  clean"
  fi
done
(( found )) && echo && echo "fuzz.sh: FINDINGS: inputs copied to tests/fuzz/crashes/" >&2
(( found || merge_failed )) && exit 1
exit 0
