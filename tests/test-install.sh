#!/usr/bin/env bash
# Installs pp-glib into a temporary prefix and runs a pp program against the
# installed copy only: library, typelib, runner and Python package.
set -euo pipefail
src=${PP_SOURCE_ROOT:?}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
unset PP_RUNNER PYTHONPATH GI_TYPELIB_PATH LD_LIBRARY_PATH LD_PRELOAD

meson setup "$tmp/build" "$src" --prefix="$tmp/prefix" -Dtests=false >/dev/null
ninja -C "$tmp/build" >/dev/null
meson install -C "$tmp/build" >/dev/null

libdir=$(find "$tmp/prefix" -name 'libpp-glib-1.0.so.0' -printf '%h\n' | head -n1)
site=$(find "$tmp/prefix" -type d -name pp -path '*-packages/pp' -printf '%h\n' | head -n1)
test -f "$tmp/prefix/libexec/pp-glib/pp-runner.py"
test -f "$tmp/prefix/include/pp-glib-1.0/pp-glib.h"
test -f "$libdir/pkgconfig/pp-glib-1.0.pc"
test -f "$libdir/girepository-1.0/Pp-1.0.typelib"

cd "$tmp"
out=$(LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 - <<'PYEOF'
import pp, os
import gi.repository.Pp as Pp
from pp.common import b_, str_  # ppft's helpers are installed too
assert b_(str_(b"\xff")) == b"\xff"
assert os.path.dirname(pp.__file__).startswith(os.environ.get("TMPDIR", "/tmp")), pp.__file__

def square(x):
    return x * x

server = pp.Server(2)
jobs = [server.submit(square, (i,)) for i in range(10)]
print(sum(job() for job in jobs))
server.destroy()
PYEOF
)
echo "installed copy computed: $out"
test "$out" = 285

# The classic example, unchanged, against the installed copy.
cp "$src/examples/sum_primes.py" "$tmp/"
example=$(LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 "$tmp/sum_primes.py" 2 2000)
echo "$example" | grep -qx "Sum of primes below 100 is 1060"
echo "$example" | grep -qx "Sum of primes below 2000 is 277050"
echo "$example" | grep -q "^ job count | % of all jobs | job time sum | time per job | job server$"
echo "examples/sum_primes.py ran against the installed copy"
