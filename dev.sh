#!/usr/bin/env bash
# dev.sh — set up, build and run pp-glib on Debian 12.
#
#   ./dev.sh demo     install what is missing, build, run examples/sum_primes.py
#   ./dev.sh test     install what is missing, build, run the whole test suite
#   ./dev.sh asan     the whole test suite again under GCC AddressSanitizer/UBSan
#   ./dev.sh fuzz     the libFuzzer targets (FUZZ_SECONDS each, default 20, or FUZZ_RUNS; --merge)
#   ./dev.sh bench    the benchmark of bench/bench.py (figures, not pass/fail)
#   ./dev.sh bench-cluster  the same across ppd nodes on loopback
#   ./dev.sh bench-modern   Executor, await, map/imap against the stdlib (bench/bench_modern.py)
#   ./dev.sh stress [--smoke] [NAME...]  the stress scripts of tests/stress (chaos soak scale abuse memcheck)
#   ./dev.sh build    install what is missing and build only
#   ./dev.sh docs     the API reference (gi-docgen), in _build/docs/Pp-1.0/
#   ./dev.sh env CMD  run CMD with the build tree's library, typelib and runner
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
build="${PP_BUILD_DIR:-$top/_build}"
asan_build="$top/_build-asan"
py=/usr/bin/python3

packages=(
  meson ninja-build pkg-config gcc
  libglib2.0-dev libjson-glib-dev
  gobject-introspection libgirepository1.0-dev
  python3 python3-gi python3-pytest gjs
  glib-networking iproute2
  clang libclang-rt-14-dev
  dbus libglib2.0-bin gi-docgen libxml2-utils
  python3-dev python3-venv python3-pip python3-mesonpy
  python3-tqdm
  libsoup-3.0-dev gir1.2-soup-3.0 chromium prometheus python3-jsonschema curl python3-websocket
  avahi-daemon avahi-utils libavahi-client-dev libavahi-glib-dev util-linux
  libgtk-4-dev libadwaita-1-dev libsecret-1-dev xvfb xauth desktop-file-utils appstream gettext fonts-noto-cjk
  valgrind
)

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  log "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure() { # dir [meson args...]
  local dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    log "Configuring $dir"
    meson setup "$dir" "$top" "$@"
  fi
}

build() { # dir [meson args...]
  ensure_packages
  configure "$@"
  log "Building $1"
  ninja -C "$1"
}

build_env() { # dir
  export GI_TYPELIB_PATH="$1/libpp-glib${GI_TYPELIB_PATH:+:$GI_TYPELIB_PATH}"
  export LD_LIBRARY_PATH="$1/libpp-glib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  export PYTHONPATH="$top/python${PYTHONPATH:+:$PYTHONPATH}"
  export PP_RUNNER="$top/libpp-glib/pp-runner.py"
  # pp's extension module, built in the build tree (pp/_backend.py).
  local ppcore
  for ppcore in "$1"/python/ppcore/_ppcore*.so; do export PP_PPCORE="$ppcore"; done
}

# Runs the suite and ends with one plain "N passed, N failed" line.
run_suite() { # dir [meson test args...]
  local dir=$1; shift
  local status=0
  meson test -C "$dir" --print-errorlogs "$@" || status=$?
  "$py" - "$dir/meson-logs/testlog.json" <<'PYEOF'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    result = json.loads(line)["result"]
    if result in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif result == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"tests: {passed} passed, {failed} failed, {skipped} skipped")
PYEOF
  return $status
}

cmd=${1:-}
shift || true
case "$cmd" in
  build)
    build "$build" -Ddocs=enabled
    ;;
  docs)
    build "$build" -Ddocs=enabled
    log "API reference: $build/docs/Pp-1.0/index.html"
    ;;
  demo)
    build "$build" -Ddocs=enabled
    build_env "$build"
    log "Running examples/sum_primes.py"
    cd "$top/examples" && exec "$py" sum_primes.py "$@"
    ;;
  test)
    build "$build" -Ddocs=enabled
    run_suite "$build" "$@"
    ;;
  fuzz)
    ensure_packages
    exec "$top/tests/fuzz/run-fuzzers.sh" "$@"
    ;;
  asan)
    # g-ir-scanner links its dumper with LDFLAGS: with the sanitizers there,
    # ASan starts (preinit) before any library constructor; else
    # libgpg-error's (avahi-client -> libsystemd -> libgcrypt) runs first,
    # ASan starts inside it and breaks glibc's gettext lock: a hang. Only for
    # the build: the tests' own builds (an installed prefix, a wheel) are
    # plain ones.
    (
      export LDFLAGS="-fsanitize=address,undefined${LDFLAGS:+ $LDFLAGS}"
      build "$asan_build" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
    )
    run_suite "$asan_build" --timeout-multiplier 3 "$@"
    ;;
  bench)
    build "$build"
    build_env "$build"
    exec "$py" "$top/bench/bench.py" "$@"
    ;;
  bench-cluster)
    build "$build"
    build_env "$build"
    exec "$py" "$top/bench/bench_cluster.py" "$@"
    ;;
  bench-modern)
    build "$build"
    build_env "$build"
    exec "$py" "$top/bench/bench_modern.py" "$@"
    ;;
  stress)
    build "$build"
    build_env "$build"
    exec "$top/tests/stress/run.sh" "$@"
    ;;
  env)
    build_env "$build"
    exec "$@"
    ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
