#!/usr/bin/env bash
# run-fuzzers.sh — build the libFuzzer targets with clang and run each one
# for a bounded time, starting from the corpus the last run left.
#
#   tests/fuzz/run-fuzzers.sh                    20 s per target
#   FUZZ_SECONDS=600 tests/fuzz/run-fuzzers.sh   longer
#   FUZZ_BUILD_DIR=/tmp/fuzz tests/fuzz/run-fuzzers.sh
#   tests/fuzz/run-fuzzers.sh --merge            add what the kept corpus
#                                                covers beyond the seeds to
#                                                tests/fuzz/corpus/ (commit it)
#
# Each target reads the seeds in tests/fuzz/corpus/<target>/ and the corpus
# kept in $FUZZ_BUILD_DIR/fuzz-corpus/<target>/, where its new entries go:
# each run starts where the last one ended, and the tree is only written by
# --merge (libFuzzer -merge=1 on edges: only inputs that reach new code, so
# it stays small). Exits non-zero if a target crashes; the input that crashed it is
# kept in $FUZZ_BUILD_DIR/fuzz-artifacts/ (reproduce: <target> <file>); copy
# it into tests/fuzz/corpus/<target>/ with the fix, and the meson tests
# fuzz-corpus-<target> replay it on every run of the suite.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build="${FUZZ_BUILD_DIR:-$top/_build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"
targets=(frame handshake messages)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v clang >/dev/null; then
  echo "run-fuzzers.sh: clang is not installed (apt-get install clang)" >&2
  exit 1
fi

if [ ! -f "$build/build.ninja" ]; then
  log "Configuring $build with clang"
  CC=clang meson setup "$build" "$top" -Db_sanitize=none -Dintrospection=disabled
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz-}"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
artifacts="$build/fuzz-artifacts"
kept="$build/fuzz-corpus"
mkdir -p "$artifacts"

# Criticals (a failed g_return_if_fail) count as crashes too.
export G_DEBUG=fatal-criticals

if [ "${1:-}" = --merge ]; then
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

status=0
for target in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz-$target"
  mkdir -p "$kept/$target"
  log "Fuzzing $target for $seconds s (corpus: $kept/$target)"
  if "$exe" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$artifacts/$target-" "$kept/$target" "$top/tests/fuzz/corpus/$target" \
       >"$work/$target.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+.*DONE)' \
      "$work/$target.log" >&2 || true
  else
    tail -n 60 "$work/$target.log" >&2
    log "fuzz-$target crashed; the input is in $artifacts/"
    status=1
  fi
done
exit $status
