#!/usr/bin/env bash
# run-fuzzers.sh — build the libFuzzer targets with clang and run each one,
# one after the other, for a bounded time or number of executions, starting
# from the corpus the last run left; then print a table of figures.
#
#   tests/fuzz/run-fuzzers.sh                      20 s per target
#   FUZZ_SECONDS=600 tests/fuzz/run-fuzzers.sh     longer
#   FUZZ_RUNS=10000000 tests/fuzz/run-fuzzers.sh   ten million executions
#                                                  each (FUZZ_SECONDS, if
#                                                  set too, bounds the time)
#   tests/fuzz/run-fuzzers.sh frame http           only these targets
#   FUZZ_BUILD_DIR=/tmp/fuzz tests/fuzz/run-fuzzers.sh
#   tests/fuzz/run-fuzzers.sh --merge [TARGET...]  add what the kept corpus
#                                                  covers beyond the seeds to
#                                                  tests/fuzz/corpus/ (commit it)
#
# The fuzzers run under nice -n ${FUZZ_NICE:-19}, one process at a time,
# with AddressSanitizer (LeakSanitizer on), UBSan and fatal criticals.
#
# Each target reads the seeds in tests/fuzz/corpus/<target>/ and the corpus
# kept in $FUZZ_BUILD_DIR/fuzz-corpus/<target>/, where its new entries go:
# each run starts where the last one ended, and the tree is only written by
# --merge (libFuzzer -merge=1 on edges: only inputs that reach new code, so
# it stays small). Exits non-zero if a target crashes; the input that crashed it is
# kept in $FUZZ_BUILD_DIR/fuzz-artifacts/ (reproduce: <target> <file>); copy
# it into tests/fuzz/corpus/<target>/ with the fix, and the meson tests
# fuzz-corpus-<target> replay it on every run of the suite. Each run's
# libFuzzer log is $FUZZ_BUILD_DIR/fuzz-logs/<target>.log, its row of the
# table <target>.row there, and the table of this run figures.md.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build="${FUZZ_BUILD_DIR:-$top/_build-fuzz}"
runs="${FUZZ_RUNS:-}"
seconds="${FUZZ_SECONDS:-}"
[ -n "$runs" ] || seconds="${seconds:-20}"
all_targets=(frame handshake messages job-args dbus http discovery worker)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

merge=false
if [ "${1:-}" = --merge ]; then
  merge=true
  shift
fi
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")
for target in "${targets[@]}"; do
  [ -f "$top/tests/fuzz/fuzz-$target.c" ] || { echo "run-fuzzers.sh: no target “$target” (${all_targets[*]})" >&2; exit 2; }
done

if ! command -v clang >/dev/null; then
  echo "run-fuzzers.sh: clang is not installed (apt-get install clang)" >&2
  exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  log "Configuring $build with clang"
  CC=clang meson setup "$build" "$top" -Db_sanitize=none -Dintrospection=disabled
fi
nice -n "${FUZZ_NICE:-19}" ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}"

artifacts="$build/fuzz-artifacts"
kept="$build/fuzz-corpus"
logs="$build/fuzz-logs"
mkdir -p "$artifacts" "$logs"

# Criticals (a failed g_return_if_fail) count as crashes too. GSlice's
# caches would unbalance each run's mallocs and frees: libFuzzer would run
# LeakSanitizer after nearly every input (8 times slower), and ASan would not
# see into slices.
export G_DEBUG=fatal-criticals G_SLICE=always-malloc

if $merge; then
  for target in "${targets[@]}"; do
    mkdir -p "$kept/$target"
    log "Merging new coverage of $target into tests/fuzz/corpus/$target"
    # Edges only (no hit counters): a few small files per new edge.
    "$build/tests/fuzz/fuzz-$target" -merge=1 -use_counters=0 \
      "$top/tests/fuzz/corpus/$target" "$kept/$target" \
      2>&1 | grep -E '^MERGE-OUTER: [0-9]+ new files' >&2 || true
  done
  exit 0
fi

# One row of the table from a libFuzzer log: executions, exec/s, the last
# coverage line's cov, ft and corpus, and the result.
figures() { # target log status
  local target=$1 file=$2 status=$3 execs rate cov ft corp result
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$file" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$file" | tail -n 1)
  cov=$(grep -Eo 'cov: [0-9]+' "$file" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -Eo 'ft: [0-9]+' "$file" | tail -n 1 | cut -d' ' -f2)
  corp=$(grep -Eo 'corp: [0-9]+/[0-9]+[a-zA-Z]*' "$file" | tail -n 1 | cut -d' ' -f2)
  if [ "$status" != 0 ]; then
    result="CRASH ($(grep -Eo '(ERROR|WARNING): [A-Za-z]+Sanitizer: [a-z-]+|runtime error|deadly signal|out-of-memory|timeout' "$file" | head -n 1))"
  elif [ -n "$runs" ] && [ "${execs:-0}" -lt "$runs" ]; then
    result="stopped at ${seconds} s"
  else
    result="ok"
  fi
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' \
    "$target" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
}

table="$logs/figures.md"
{
  echo "| target | executions | exec/s | cov | ft | corpus (files/bytes) | result |"
  echo "|---|---:|---:|---:|---:|---:|---|"
} >"$table"

limits=()
[ -n "$runs" ] && limits+=(-runs="$runs")
[ -n "$seconds" ] && limits+=(-max_total_time="$seconds")
status=0
for target in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz-$target"
  mkdir -p "$kept/$target"
  log "Fuzzing $target (${runs:+$runs runs}${runs:+${seconds:+, }}${seconds:+$seconds s}; corpus: $kept/$target)"
  target_status=0
  nice -n "${FUZZ_NICE:-19}" "$exe" "${limits[@]}" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-" "$kept/$target" "$top/tests/fuzz/corpus/$target" \
    >"$logs/$target.log" 2>&1 || target_status=$?
  if [ "$target_status" = 0 ]; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+.*DONE)' \
      "$logs/$target.log" >&2 || true
  else
    tail -n 60 "$logs/$target.log" >&2
    log "fuzz-$target crashed; the input is in $artifacts/"
    status=1
  fi
  figures "$target" "$logs/$target.log" "$target_status" >"$logs/$target.row"
  cat "$logs/$target.row" >>"$table"
done
log "Figures (also in $table)"
cat "$table"
exit $status
