#!/usr/bin/env bash
# Installs pp-glib into a temporary prefix and runs a pp program against the
# installed copy only: library, typelib, runner and Python package.
set -euo pipefail
src=${PP_SOURCE_ROOT:?}
tmp=$(mktemp -d)
ppd_pid=
cleanup() {
  if [ -n "$ppd_pid" ]; then kill "$ppd_pid" 2>/dev/null || true; wait "$ppd_pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
unset PP_RUNNER PYTHONPATH GI_TYPELIB_PATH LD_LIBRARY_PATH LD_PRELOAD PP_SECRET PP_PPCORE PP_BACKEND
# The per-user secret and the pidfile of this test only.
export XDG_CONFIG_HOME="$tmp/config" XDG_RUNTIME_DIR="$tmp/run"
mkdir -m 700 "$XDG_RUNTIME_DIR"

meson setup "$tmp/build" "$src" --prefix="$tmp/prefix" -Dtests=false >/dev/null
ninja -C "$tmp/build" >/dev/null
meson install -C "$tmp/build" >/dev/null

libdir=$(find "$tmp/prefix" -name 'libpp-glib-1.0.so.0' -printf '%h\n' | head -n1)
site=$(find "$tmp/prefix" -type d -name pp -path '*-packages/pp' -printf '%h\n' | head -n1)
test -f "$tmp/prefix/libexec/pp-glib/pp-runner.py"
test -f "$tmp/prefix/include/pp-glib-1.0/pp-glib.h"
test -f "$libdir/pkgconfig/pp-glib-1.0.pc"
test -f "$libdir/girepository-1.0/Pp-1.0.typelib"
# pp-monitor's desktop integration, where GTK is there to build it.
if pkg-config --exists 'gtk4 >= 4.8' 'libadwaita-1 >= 1.2' libsecret-1; then
  share="$tmp/prefix/share"
  test -f "$share/applications/org.ppglib.Monitor.desktop"
  test -f "$share/metainfo/org.ppglib.Monitor.metainfo.xml"
  test -f "$share/glib-2.0/schemas/gschemas.compiled"
  test -f "$share/icons/hicolor/scalable/apps/org.ppglib.Monitor.svg"
  test -f "$share/icons/hicolor/symbolic/apps/org.ppglib.Monitor-symbolic.svg"
  test -f "$share/man/man1/pp-monitor.1"
  grep -qx "Exec=$tmp/prefix/bin/pp-monitor --gapplication-service" \
    "$share/dbus-1/services/org.ppglib.Monitor.service"
  GSETTINGS_BACKEND=memory XDG_DATA_DIRS="$share" \
    gsettings get org.ppglib.Monitor history-window | grep -qx "'1m'"
  echo "pp-monitor's desktop entry, metainfo, schema, icons and D-Bus service installed"
fi

cd "$tmp"
out=$(LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 - <<'PYEOF'
import pp, os, sys
assert pp._backend.NAME == "ppcore" and "gi" not in sys.modules
assert os.path.dirname(pp._ppcore.__file__) == os.path.dirname(pp.__file__)
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

# Through PyGObject: pp/_gi.py finds the installed typelib by itself.
gi_out=$(PP_BACKEND=gi LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 - <<'PYEOF'
import pp
import gi.repository.Pp as Pp

def power(x):
    return 2 ** x

server = pp.Server(1)
print(server.submit(power, (10,))(), Pp.Server.__module__)
server.destroy()
PYEOF
)
test "$gi_out" = "1024 gi.repository.Pp"

# The classic example, unchanged, against the installed copy.
cp "$src/examples/sum_primes.py" "$tmp/"
example=$(LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 "$tmp/sum_primes.py" 2 2000)
echo "$example" | grep -qx "Sum of primes below 100 is 1060"
echo "$example" | grep -qx "Sum of primes below 2000 is 277050"
echo "$example" | grep -q "^ job count | % of all jobs | job time sum | time per job | job server$"
echo "examples/sum_primes.py ran against the installed copy"

# The installed ppd runs with LD_LIBRARY_PATH unset (its RUNPATH finds the
# library, as for D-Bus activation), and serves a pp client of the same
# user out of the box: both use the per-user secret file.
ppd="$tmp/prefix/bin/ppd"
"$ppd" --version | grep -Eqx 'ppd [0-9]+\.[0-9]+\.[0-9]+'
# ppd speaks the user's language, from the installed translations (po/).
help=$(LANGUAGE=zh_CN LC_ALL=C.UTF-8 "$ppd" --help)
echo "$help" | grep -q '^在本机处理器上为 pp 和 pp-glib 客户端运行 Python 作业'
echo "$help" | grep -q -- '--port=端口 *监听端口（默认 60000；0 表示自动选择空闲端口）'
usage=$(LANGUAGE=zh_CN LC_ALL=C.UTF-8 "$ppd" -p 70000 2>&1 || true)
echo "$usage" | grep -q -- '-p/--port 必须在 0 到 65535 之间，而不是 70000'
usage=$(LANGUAGE=zh_CN LC_ALL=C.UTF-8 "$ppd" --no-such-option 2>&1 || true)
echo "$usage" | grep -q '请尝试执行“ppd --help”获取更多信息。'
echo "ppd's messages are translated (LANGUAGE=zh_CN)"
"$ppd" -p 0 -w 1 --no-dbus 2>"$tmp/ppd.log" &
ppd_pid=$!
port=
for _ in $(seq 150); do
  port=$(sed -n 's/.* listening on 127\.0\.0\.1:\([0-9]*\) with .*/\1/p' "$tmp/ppd.log")
  [ -n "$port" ] && break
  kill -0 "$ppd_pid" 2>/dev/null || { cat "$tmp/ppd.log"; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/ppd.log"; exit 1; }
test "$(cat "$XDG_RUNTIME_DIR/ppd.pid")" = "$ppd_pid"
remote=$(LD_LIBRARY_PATH="$libdir" PYTHONPATH="$site" /usr/bin/python3 - "$port" <<'PYEOF'
import os, sys
import pp

def pid_and_square(x):
    return os.getppid(), x * x

server = pp.Server(0, ppservers=("127.0.0.1:%s" % sys.argv[1],))
jobs = [server.submit(pid_and_square, (i,), modules=("os",)) for i in range(5)]
results = [job() for job in jobs]
server.destroy()
print(results[0][0], sum(r[1] for r in results))
PYEOF
)
echo "installed ppd computed: $remote"
test "$remote" = "$ppd_pid 30"
kill "$ppd_pid"
wait "$ppd_pid"
ppd_pid=
grep -q "Stopped" "$tmp/ppd.log"
