#!/usr/bin/env bash
# tests/stress/run.sh — run the stress scripts of tests/stress, one after the
# other, and sum up their RESULT lines.
#
#   tests/stress/run.sh [--smoke] [NAME...]
#
# NAME is a script of this directory without its extension (NAME.py runs
# with /usr/bin/python3, NAME.sh directly); the default is every one of
# chaos soak scale abuse memcheck. --smoke passes --smoke to each (their short
# versions). Expects the build tree's environment: run it as
# `./dev.sh stress [--smoke] [NAME...]`, which builds first and sets it up.
#
# Each script prints its figures and ends with "RESULT: ok" or
# "RESULT: FAIL <why>"; its whole output is also kept in
# $STRESS_LOG_DIR/NAME.log (default _build/stress-logs). The exit status is
# 0 when every script exited 0 and printed "RESULT: ok", else 1 (2: usage).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
py=/usr/bin/python3
all=(chaos soak scale abuse memcheck)

smoke=()
names=()
for arg in "$@"; do
  case "$arg" in
    --smoke) smoke=(--smoke) ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $arg" >&2; exit 2 ;;
    *) names+=("$arg") ;;
  esac
done
((${#names[@]})) || names=("${all[@]}")

# Every name must name a script before anything runs.
scripts=()
for name in "${names[@]}"; do
  if [[ ! $name =~ ^[A-Za-z0-9_-]+$ ]]; then
    echo "run.sh: bad stress script name '$name'" >&2; exit 2
  elif [ -f "$here/$name.py" ]; then
    scripts+=("$here/$name.py")
  elif [ -f "$here/$name.sh" ]; then
    scripts+=("$here/$name.sh")
  else
    echo "run.sh: no stress script '$name' (no $here/$name.py or .sh)" >&2; exit 2
  fi
done

logdir=${STRESS_LOG_DIR:-${PP_BUILD_DIR:-$top/_build}/stress-logs}
mkdir -p "$logdir"

results=()
failed=0
for i in "${!names[@]}"; do
  name=${names[$i]}
  script=${scripts[$i]}
  log="$logdir/$name.log"
  printf '\n\033[1m==> stress %s (%s)\033[0m\n' "$name" "${script#"$top"/}"
  start=$(date +%s)
  if [[ $script == *.py ]]; then
    "$py" "$script" "${smoke[@]}" 2>&1 | tee "$log"
  else
    "$script" "${smoke[@]}" 2>&1 | tee "$log"
  fi
  status=${PIPESTATUS[0]}
  seconds=$(($(date +%s) - start))
  result=$(grep -a '^RESULT: ' "$log" | tail -n 1)
  if [ -z "$result" ]; then
    result="RESULT: FAIL no RESULT line (exit status $status)"
  elif [ "$status" -ne 0 ] && [[ $result == "RESULT: ok"* ]]; then
    result="RESULT: FAIL exit status $status after '$result'"
  fi
  [[ $result == "RESULT: ok"* ]] || failed=$((failed + 1))
  results+=("$(printf '%-10s %6ss  %s' "$name" "$seconds" "$result")")
done

printf '\n\033[1m==> stress summary (logs in %s)\033[0m\n' "$logdir"
printf '%s\n' "${results[@]}"
echo "stress: $((${#names[@]} - failed)) ok, $failed failed"
((failed == 0))
