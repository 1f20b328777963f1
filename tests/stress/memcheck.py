#!/usr/bin/env python3
# memcheck.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Memory checking of the C code: valgrind memcheck, or LeakSanitizer.

In a plain build (_build): every C test executable of the suite
(tests/test-*.c, with the environment and arguments meson gives it) runs
under valgrind memcheck with full leak checking, GLib's suppressions
(/usr/share/glib-2.0/valgrind/glib.supp) and ours (tests/valgrind/
pp-glib.supp, each entry saying why it is not our bug), G_SLICE=always-malloc
and G_DEBUG=gc-friendly; then ppd itself, under valgrind, serves a real pp
client's jobs (results, exceptions, output, a crashed worker, a function
defined again, the HTTP API and its event stream), is stopped with SIGTERM
and reports its leaks. The Python workers are not traced.

In an ASan build (valgrind and ASan do not mix) the valgrind part is skipped,
and ppd runs the same client session under LeakSanitizer instead
(ASAN_OPTIONS=detect_leaks=1): a leak makes it exit with status 23. The C
tests themselves run with LeakSanitizer on in `./dev.sh asan`.

Prints per program: errors, definitely lost bytes, wall time; then
"RESULT: ok" or "RESULT: FAIL <why>", and exits 1 on failure.

  ./dev.sh env /usr/bin/python3 tests/stress/memcheck.py [--smoke] [--build DIR] [TEST...]

--smoke: two fast C tests and a short ppd session.
"""

import argparse
import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sampling  # tests/stress/sampling.py, beside this script

TOP = Path(__file__).resolve().parents[2]
SECRET = "memcheck-secret-0123456789"
GLIB_SUPP = "/usr/share/glib-2.0/valgrind/glib.supp"
OUR_SUPP = TOP / "tests" / "valgrind" / "pp-glib.supp"
ERROR_EXIT = 99     # valgrind's status when it found errors
LSAN_EXIT = 23      # LeakSanitizer's
SMOKE_TESTS = ("test-messages", "test-ppd-submit")
# Slow under valgrind (20-50x the CPU): their own time limit times this.
TIMEOUT_FACTOR = 12
# The test cases that measure time itself (a timeout fires within N s, a
# slow reader is not dropped), whose bounds valgrind's slowness breaks: skipped
# under valgrind only; the suite runs them normally and under ASan. The rest of
# each test program runs.
TIMING_CASES = {
    "test-connection": ["/connection/%s/%s" % (kind, name) for kind in ("tcp", "tls")
                        for name in ("timeout", "timeout-ms", "timeout-slow-reader",
                                     "timeout-stuck-reader")]
                       # 2 x 35 MB through GnuTLS: beyond its 40 s wait under valgrind
                       # (the tcp variant runs the same PpConnection code)
                       + ["/connection/tls/frames"],
    "test-node-service": ["/node-service/timeout", "/node-service/slow-handshake",
                          "/node-service/heartbeat-missed", "/node-service/heartbeat-keeps-client",
                          "/node-service/backpressure-timeout"],
}
# Their clients ping every heartbeat and are dropped after 5 missed: a test
# program stalled by valgrind for a second would lose them.
EXTRA_ENV = {"test-node-service": {"PP_TEST_HEARTBEAT_MS": "5000"}}

LEAK_RE = re.compile(r"definitely lost: ([\d,]+) bytes in ([\d,]+) blocks")
ERRORS_RE = re.compile(r"ERROR SUMMARY: ([\d,]+) errors")
LSAN_RE = re.compile(r"SUMMARY: AddressSanitizer: (\d+) byte\(s\) leaked in (\d+) allocation")


def build_dir(arg):
    path = Path(arg or os.environ.get("PP_BUILD_DIR") or TOP / "_build")
    if not (path / "meson-info" / "intro-tests.json").exists():
        raise SystemExit("RESULT: FAIL no configured build in %s (./dev.sh build)" % path)
    return path


def sanitized(build):
    for option in json.loads((build / "meson-info" / "intro-buildoptions.json").read_text()):
        if option["name"] == "b_sanitize":
            return option["value"] not in ("none", "", [])
    return False


def c_tests(build):
    """The suite's C tests (tests/test-*.c): name, command, env, timeout."""
    tests = []
    for test in json.loads((build / "meson-info" / "intro-tests.json").read_text()):
        exe = Path(test["cmd"][0])
        if exe.parent == build / "tests" and exe.name.startswith("test-"):
            tests.append(test)
    return tests


def valgrind_args(log):
    args = ["valgrind", "--tool=memcheck", "--leak-check=full",
            "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
            "--error-exitcode=%d" % ERROR_EXIT, "--num-callers=40",
            "--suppressions=" + GLIB_SUPP, "--log-file=" + str(log)]
    if OUR_SUPP.exists():
        args.append("--suppressions=" + str(OUR_SUPP))
    return args


def valgrind_env(env):
    env = dict(env)
    env.update(G_SLICE="always-malloc", G_DEBUG="gc-friendly")
    return env


def parse_valgrind(log):
    text = Path(log).read_text(errors="replace")
    errors = ERRORS_RE.findall(text)
    leaked = LEAK_RE.findall(text)
    return (int(errors[-1].replace(",", "")) if errors else None,
            int(leaked[-1][0].replace(",", "")) if leaked else 0, text)


def run_test(test, workdir):
    name = test["name"]
    log = workdir / (name + ".valgrind.log")
    env = valgrind_env(dict(os.environ, **test["env"], **EXTRA_ENV.get(name, {})))
    skips = [arg for case in TIMING_CASES.get(name, []) for arg in ("-s", case)]
    # Each test's own deadline knows nothing of valgrind's slowness.
    timeout = (test["timeout"] or 30) * TIMEOUT_FACTOR
    start = time.monotonic()
    out = workdir / (name + ".out")
    with open(out, "wb") as f:
        proc = subprocess.Popen(valgrind_args(log) + test["cmd"] + skips, env=env, stdout=f,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=test["workdir"] or None, start_new_session=True)
        try:
            status = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            status = "timeout after %d s" % timeout
    elapsed = time.monotonic() - start
    errors, lost, text = parse_valgrind(log)
    problems = []
    if status == ERROR_EXIT or (errors or 0) > 0:
        problems.append("%s valgrind errors" % errors)
    elif status != 0:
        problems.append("exit status %s" % status)
    if errors is None:
        problems.append("no valgrind summary")
    print("%-18s errors %-3s definitely lost %7d bytes  %6.1f s  %s" % (
        name + (" (-%d)" % (len(skips) // 2) if skips else ""),
        errors if errors is not None else "?", lost, elapsed,
        "ok" if not problems else "FAIL (%s; %s, %s)" % ("; ".join(problems), log, out)),
        flush=True)
    if problems and errors:
        sys.stdout.write(first_errors(text))
    return problems


def first_errors(text, limit=3):
    """The first few error reports of a valgrind log, for the output."""
    blocks = re.split(r"\n==\d+== \n", text)
    picked = [b for b in blocks if re.search(r"Invalid|uninitialised|definitely lost|"
                                              r"Mismatched|overlap|Syscall param", b)]
    return "".join(b.strip() + "\n\n" for b in picked[:limit])


# ---- ppd serving a real client ----------------------------------------------

def crash_me(x):
    import os
    os._exit(7)


def square(x):
    return x * x


def chatty(x):
    print("job", x, "says hello")
    return x + 1


def failing(x):
    raise ValueError("bad value %d" % x)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ppd(exe, wrapper, env, workdir, http_port, python):
    log = workdir / "ppd.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(wrapper + [exe, "-p", "0", "-i", "127.0.0.1", "-w", "2", "--no-dbus",
                                           "-P", str(workdir / "ppd.pid"),
                                           "--python", python,
                                           "--http-port", str(http_port)],
                                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=stderr)
    deadline = time.monotonic() + 120
    while True:
        found = re.search(rb"listening on 127\.0\.0\.1:(\d+)", log.read_bytes())
        if found:
            return proc, int(found.group(1)), log
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            raise RuntimeError("ppd did not start:\n" + log.read_text(errors="replace"))
        time.sleep(0.1)


def http_get(port, path, token=None):
    import urllib.request
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path))
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as answer:
        return answer.read()


def client_session(port, http_port, token, jobs):
    """A pp client's jobs through ppd; returns a list of problems."""
    import pp
    problems = []
    ws = None
    try:
        import websocket
        ws = websocket.create_connection("ws://127.0.0.1:%d/api/v1/events" % http_port,
                                         header=["Authorization: Bearer " + token], timeout=60)
    except ImportError:
        print("(python3-websocket missing: no event reader)")
    server = pp.Server(0, ppservers=("127.0.0.1:%d" % port,), secret=SECRET, socket_timeout=60)
    try:
        deadline = time.monotonic() + 120
        while len(server.get_active_nodes()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        squares = [server.submit(square, (i,)) for i in range(jobs)]
        chats = [server.submit(chatty, (i,)) for i in range(jobs // 10 + 1)]
        fails = [server.submit(failing, (i,)) for i in range(jobs // 10 + 1)]
        crash = server.submit(crash_me, (0,))
        if [j() for j in squares] != [i * i for i in range(jobs)]:
            problems.append("wrong squares")
        with contextlib.redirect_stdout(io.StringIO()) as printed:
            chatted = [j() for j in chats]
        if chatted != [i + 1 for i in range(len(chats))] or "says hello" not in printed.getvalue():
            problems.append("wrong chatty results")
        for job in fails:
            try:
                if job() is not None:
                    problems.append("a failing job returned a value")
            except ValueError:
                pass
        try:
            crash()
        except Exception:  # noqa: BLE001 (the worker crashed twice: pp.WorkerCrashed or so)
            pass
        # One more round after the crash: the node replaced its worker.
        if [j() for j in [server.submit(square, (i,)) for i in range(10)]] != \
                [i * i for i in range(10)]:
            problems.append("wrong squares after the crash")
        for path in ("/metrics", "/api/v1/status", "/api/v1/jobs?state=done&limit=50", "/"):
            http_get(http_port, path, token)
        try:
            http_get(http_port, "/api/v1/status", "wrong-token")
            problems.append("a wrong HTTP token was accepted")
        except Exception:
            pass
        if ws is not None:
            events = 0
            ws.settimeout(5)
            try:
                while events < 20:
                    ws.recv()
                    events += 1
            except Exception:
                pass
            if events == 0:
                problems.append("no events on the WebSocket")
    finally:
        server.destroy()
        if ws is not None:
            ws.close()
    return problems


def run_ppd(build, workdir, mode, jobs):
    exe = str(build / "ppd" / "ppd")
    env = dict(os.environ, PP_SECRET=SECRET, XDG_CONFIG_HOME=str(workdir),
               XDG_RUNTIME_DIR=str(workdir))
    if mode == "valgrind":
        vlog = workdir / "ppd.valgrind.log"
        env = valgrind_env(env)
        env.pop("LD_PRELOAD", None)
        wrapper = valgrind_args(vlog)
    else:
        # LeakSanitizer at exit; the workers it starts are Python.
        env["ASAN_OPTIONS"] = "detect_leaks=1:exitcode=%d" % LSAN_EXIT
        wrapper = []
    # The workers are Python, neither traced nor leak-checked.
    python = workdir / "python-worker"
    python.write_text("#!/bin/sh\nexec env -u LD_PRELOAD -u ASAN_OPTIONS %s \"$@\"\n" % sys.executable)
    python.chmod(0o755)
    token = subprocess.run([exe, "--print-http-token"], env=dict(env, ASAN_OPTIONS="detect_leaks=0"),
                           capture_output=True, text=True, check=True).stdout.strip()
    start = time.monotonic()
    proc, port, log = start_ppd(exe, wrapper, env, workdir, 0, str(python))
    problems = []
    try:
        http_port = http_port_from_log(log)
        problems += client_session(port, http_port, token, jobs)
    except Exception as error:  # noqa: BLE001 (reported as a failure)
        problems.append("client session: %r" % error)
    proc.send_signal(signal.SIGTERM)
    try:
        status = proc.wait(timeout=300)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        status = "killed: no exit 300 s after SIGTERM"
    elapsed = time.monotonic() - start
    text = log.read_text(errors="replace")
    if mode == "valgrind":
        errors, lost, vtext = parse_valgrind(vlog)
        if status == ERROR_EXIT or (errors or 0) > 0:
            problems.append("%s valgrind errors" % errors)
        elif status != 0:
            problems.append("exit status %s" % status)
        print("%-18s errors %-3s definitely lost %7d bytes  %6.1f s  %s" % (
            "ppd (%d jobs)" % jobs, errors if errors is not None else "?", lost, elapsed,
            "ok" if not problems else "FAIL (%s; %s, %s)" % ("; ".join(problems), vlog, log)),
            flush=True)
        if errors:
            sys.stdout.write(first_errors(vtext))
    else:
        leaked = LSAN_RE.findall(text)
        lost = sum(int(b) for b, _ in leaked)
        if status == LSAN_EXIT or leaked:
            problems.append("LeakSanitizer: %d bytes leaked" % lost)
        elif status != 0:
            problems.append("exit status %s" % status)
        print("%-18s LeakSanitizer leaked %7d bytes  %6.1f s  %s" % (
            "ppd (%d jobs)" % jobs, lost, elapsed,
            "ok" if not problems else "FAIL (%s; %s)" % ("; ".join(problems), log)), flush=True)
        if leaked:
            sys.stdout.write(text[text.find("ERROR: LeakSanitizer"):][:6000] + "\n")
    return problems


def http_port_from_log(log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(rb"HTTP on http://127\.0\.0\.1:(\d+)/", log.read_bytes())
        if found:
            return int(found.group(1))
        time.sleep(0.1)
    raise RuntimeError("no HTTP port in ppd's log:\n" + log.read_text(errors="replace"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="two fast C tests and a short ppd run")
    parser.add_argument("--build", help="the build directory (default _build)")
    parser.add_argument("--keep", action="store_true", help="keep the logs' directory")
    parser.add_argument("tests", nargs="*", help="only these C tests (names), and no ppd run "
                        "unless 'ppd' is one of them")
    args = parser.parse_args()
    build = build_dir(args.build)
    asan = sanitized(build)
    workdir = Path(tempfile.mkdtemp(prefix="pp-memcheck-"))
    failures = []
    start = time.monotonic()
    try:
        if asan:
            print("valgrind part skipped: %s is a sanitizer build (valgrind and ASan do not mix); "
                  "ppd runs under LeakSanitizer instead" % build, flush=True)
        elif not shutil.which("valgrind"):
            print("RESULT: FAIL valgrind is not installed (apt-get install valgrind)")
            return 1
        else:
            tests = c_tests(build)
            names = set(args.tests) - {"ppd"} or (set(SMOKE_TESTS) if args.smoke else None)
            if names:
                unknown = names - {t["name"] for t in tests}
                if unknown:
                    raise SystemExit("RESULT: FAIL unknown C tests: %s" % ", ".join(sorted(unknown)))
                tests = [t for t in tests if t["name"] in names]
            print("valgrind %s, suppressions %s%s; G_SLICE=always-malloc G_DEBUG=gc-friendly" % (
                subprocess.run(["valgrind", "--version"], capture_output=True,
                               text=True).stdout.strip(),
                GLIB_SUPP, " " + str(OUR_SUPP.relative_to(TOP)) if OUR_SUPP.exists() else ""),
                flush=True)
            for name, cases in TIMING_CASES.items():
                print("skipped under valgrind (they measure time, or outgrow their waits): %s %s"
                      % (name, " ".join(cases)))
            for test in tests:
                for problem in run_test(test, workdir):
                    failures.append("%s: %s" % (test["name"], problem))
        if not args.tests or "ppd" in args.tests:
            jobs = 40 if args.smoke else 400
            for problem in run_ppd(build, workdir, "lsan" if asan else "valgrind", jobs):
                failures.append("ppd: %s" % problem)
    finally:
        if args.keep or failures:
            print("logs in %s" % workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("total %.1f s" % (time.monotonic() - start))
    return sampling.result(failures)


if __name__ == "__main__":
    sys.exit(main())
