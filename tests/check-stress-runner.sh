#!/usr/bin/env bash
# check-stress-runner.sh — tests/stress/run.sh against stand-in scripts: it
# passes --smoke on, runs .py and .sh, reports each RESULT line, fails a
# script that prints none or exits non-zero after "RESULT: ok", refuses a
# missing or malformed name before running anything, and exits 0 only when
# every script passed.
#
#   tests/check-stress-runner.sh SOURCE_ROOT
set -uo pipefail

src=${1:?usage: check-stress-runner.sh SOURCE_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/tests/stress"
cp "$src/tests/stress/run.sh" "$tmp/tests/stress/"
cd "$tmp/tests/stress"
printf 'import sys\nprint("args", sys.argv[1:])\nprint("RESULT: ok")\n' > good.py
printf '#!/bin/sh\necho "RESULT: FAIL broke $*"\nexit 1\n' > bad.sh
chmod +x bad.sh
printf 'print("no verdict")\n' > silent.py
printf 'print("RESULT: ok")\nraise SystemExit(3)\n' > liar.py
printf 'import pathlib\npathlib.Path("%s/ran").touch()\nprint("RESULT: ok")\n' "$tmp" > marker.py
export STRESS_LOG_DIR="$tmp/logs"

failures=0
check() { # what, condition...
  local what=$1; shift
  if "$@"; then echo "ok - $what"; else echo "not ok - $what"; failures=$((failures + 1)); fi
}

out=$(./run.sh --smoke good bad silent liar 2>&1); status=$?
check "a failed script makes the exit status 1" test "$status" = 1
check "--smoke reaches the scripts" grep -q "args \['--smoke'\]" <<<"$out"
check "the .sh script's RESULT is reported" grep -Eq '^bad +[0-9]+s  RESULT: FAIL broke --smoke$' <<<"$out"
check "no RESULT line is a failure" grep -Eq '^silent +[0-9]+s  RESULT: FAIL no RESULT line \(exit status 0\)$' <<<"$out"
check "a non-zero exit after RESULT: ok is a failure" grep -Eq "^liar +[0-9]+s  RESULT: FAIL exit status 3 after 'RESULT: ok'$" <<<"$out"
check "the summary counts" grep -q '^stress: 1 ok, 3 failed$' <<<"$out"
check "each output is kept in a log" test -s "$tmp/logs/good.log" -a -s "$tmp/logs/bad.log"

out=$(./run.sh good 2>&1); status=$?
check "all passed: exit status 0" test "$status" = 0
check "no --smoke unless given" grep -q "args \[\]" <<<"$out"

out=$(./run.sh marker nosuch 2>&1); status=$?
check "a missing script is a usage error" test "$status" = 2
check "it names the missing script" grep -q "no stress script 'nosuch'" <<<"$out"
check "nothing runs when a name is missing" test ! -e "$tmp/ran"
./run.sh ../good >/dev/null 2>&1; status=$?
check "a name with a slash is refused" test "$status" = 2
./run.sh --frobnicate >/dev/null 2>&1; status=$?
check "an unknown option is refused" test "$status" = 2
out=$(./run.sh 2>&1); status=$?
check "no names: every default script is required" grep -q "no stress script 'chaos'" <<<"$out"

echo "$failures failed"
((failures == 0))
