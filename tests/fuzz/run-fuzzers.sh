#!/usr/bin/env bash
# run-fuzzers.sh — build the libFuzzer targets with clang and run each one
# for a bounded time on a copy of its seed corpus.
#
#   tests/fuzz/run-fuzzers.sh                    20 s per target
#   FUZZ_SECONDS=600 tests/fuzz/run-fuzzers.sh   longer
#   FUZZ_BUILD_DIR=/tmp/fuzz tests/fuzz/run-fuzzers.sh
#
# Exits non-zero if a target crashes; the input that crashed it is kept in
# $FUZZ_BUILD_DIR/fuzz-artifacts/ (reproduce: <target> <file>). New corpus
# entries go to a temporary directory, never into the repository.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
build="${FUZZ_BUILD_DIR:-$top/_build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"
targets=(frame handshake)

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
mkdir -p "$artifacts"

status=0
for target in "${targets[@]}"; do
  exe="$build/tests/fuzz/fuzz-$target"
  cp -r "$top/tests/fuzz/corpus/$target" "$work/$target"
  log "Fuzzing $target for $seconds s"
  # Criticals (a failed g_return_if_fail) count as crashes too.
  if G_DEBUG=fatal-criticals "$exe" -max_total_time="$seconds" -print_final_stats=1 \
       -artifact_prefix="$artifacts/$target-" "$work/$target" >"$work/$target.log" 2>&1; then
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|#[0-9]+.*DONE)' \
      "$work/$target.log" >&2 || true
  else
    tail -n 60 "$work/$target.log" >&2
    log "fuzz-$target crashed; the input is in $artifacts/"
    status=1
  fi
done
exit $status
