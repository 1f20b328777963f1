# test_runner.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""Protocol tests for libpp-glib/pp-runner.py.

Each test starts the real runner with pipes on stdin and stdout and speaks
the frames of docs/protocol.md to it.  Set PP_RUNNER to test another copy
of the runner (an installed one, for example), and PP_RUNNER_PYTHON to run
it with another interpreter (default /usr/bin/python3).

    /usr/bin/python3 -m pytest -q tests/test_runner.py
"""

import hashlib
import json
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.environ.get("PP_RUNNER") or \
    os.path.join(HERE, os.pardir, "libpp-glib", "pp-runner.py")
PYTHON = os.environ.get("PP_RUNNER_PYTHON") or \
    ("/usr/bin/python3" if os.path.exists("/usr/bin/python3")
     else sys.executable)
TIMEOUT = 30.0
PREFIX = struct.Struct(">II")


def frame(header, body=b""):
    """Encodes one frame; header is a dict or raw bytes."""
    if isinstance(header, dict):
        header = json.dumps(header).encode("utf-8")
    return PREFIX.pack(len(header), len(body)) + header + body


def function_key(name, modules, source):
    data = b"\0".join((name.encode(), "\n".join(modules).encode(),
                       source.encode()))
    return hashlib.sha256(data).hexdigest()


class Worker:
    """One runner process and the client end of its pipes."""

    def __init__(self, args=()):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([PYTHON, "-u", RUNNER, *args],
                                     stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=self.stderr)
        self.buf = bytearray()
        self.next_id = 1
        self.hello = None

    # -- low level -------------------------------------------------------

    def send(self, data):
        try:
            self.proc.stdin.write(data)
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass                    # the runner exited; tests check why

    def send_in_background(self, data):
        thread = threading.Thread(target=self.send, args=(data,), daemon=True)
        thread.start()
        return thread

    def close_input(self):
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass

    def _fill(self, need, deadline):
        fd = self.proc.stdout.fileno()
        while len(self.buf) < need:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no frame from the runner in time")
            ready, _, _ = select.select([fd], [], [], remaining)
            if ready:
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    raise EOFError("the runner closed its output")
                self.buf += chunk

    def read_frame(self, timeout=TIMEOUT):
        """Returns the next (header dict, body bytes) from the runner."""
        deadline = time.monotonic() + timeout
        self._fill(8, deadline)
        hlen, blen = PREFIX.unpack_from(self.buf, 0)
        assert 2 <= hlen <= 1 << 20
        self._fill(8 + hlen + blen, deadline)
        header = json.loads(self.buf[8:8 + hlen].decode("utf-8"))
        body = bytes(self.buf[8 + hlen:8 + hlen + blen])
        del self.buf[:8 + hlen + blen]
        assert isinstance(header, dict)
        return header, body

    def wait(self, timeout=TIMEOUT):
        return self.proc.wait(timeout)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode("utf-8", "replace")

    def reap(self):
        """Ends the process (politely, then by force) and waits for it."""
        if self.proc.poll() is None:
            self.close_input()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.stderr.close()

    # -- protocol --------------------------------------------------------

    def define(self, name, source, modules=()):
        modules = list(modules)
        key = function_key(name, modules, source)
        self.send(frame({"t": "def", "key": key, "name": name,
                         "modules": modules}, source.encode("utf-8")))
        return key

    def job_frame(self, key, args=(), fmt="pickle", jid=None):
        if jid is None:
            jid = self.next_id
            self.next_id += 1
        if fmt == "pickle":
            body = pickle.dumps(tuple(args))
        else:
            body = json.dumps(list(args)).encode("utf-8")
        return frame({"t": "job", "id": jid, "key": key, "fmt": fmt}, body)

    def call(self, key, *args, fmt="pickle"):
        """Runs one job; returns (header, captured output, payload)."""
        jid = self.next_id
        self.send(self.job_frame(key, args, fmt))
        header, body = self.read_frame()
        assert header["t"] == "res"
        assert header["id"] == jid
        assert header["fmt"] == fmt
        assert isinstance(header["time"], float) and header["time"] >= 0
        olen = header.get("olen", 0)
        assert olen != 0 or "olen" not in header
        return header, body[:olen], body[olen:]

    def result(self, key, *args, fmt="pickle"):
        """Runs one job that must succeed; returns its decoded value."""
        header, _, payload = self.call(key, *args, fmt=fmt)
        assert header["ok"] is True, header
        if fmt == "pickle":
            return pickle.loads(payload)
        return json.loads(payload.decode("utf-8"))


@pytest.fixture
def spawn():
    """Starts runners; every one is reaped when the test ends."""
    workers = []

    def start(args=(), hello=True):
        worker = Worker(args)
        workers.append(worker)
        if hello:
            worker.hello = worker.read_frame()
        return worker

    yield start
    for worker in workers:
        worker.reap()


@pytest.fixture
def worker(spawn):
    return spawn()


# -- start-up and environment -------------------------------------------

def test_hello(worker):
    header, body = worker.hello
    assert header["t"] == "hello"
    assert header["pid"] == worker.proc.pid
    assert header["python"].count(".") == 2
    if PYTHON == sys.executable:
        assert header["python"] == "%d.%d.%d" % sys.version_info[:3]
    assert body == b""


def test_eof_exits_zero(worker):
    worker.close_input()
    assert worker.wait() == 0
    assert worker.stderr_text() == ""


def test_eof_after_jobs_exits_zero(worker):
    key = worker.define("f", "def f(x):\n    return x + 1\n")
    assert worker.result(key, 1) == 2
    worker.close_input()
    assert worker.wait() == 0


def test_eof_with_running_thread(worker):
    source = ("def f():\n"
              "    threading.Thread(target=time.sleep, args=(600,)).start()\n"
              "    return 1\n")
    key = worker.define("f", source, ["threading", "time"])
    assert worker.result(key) == 1
    worker.close_input()
    assert worker.wait(10) == 0


def test_forked_child_returning(worker):
    source = ("def f():\n"
              "    pid = os.fork()\n"
              "    if pid == 0:\n"
              "        return 'child'\n"
              "    os.waitpid(pid, 0)\n"
              "    return 'parent'\n")
    key = worker.define("f", source, ["os"])
    assert worker.result(key) == "parent"
    assert worker.result(key) == "parent"


def test_env(worker, tmp_path):
    mods = tmp_path / "mods"
    mods.mkdir()
    (mods / "pp_test_env_mod.py").write_text("VALUE = 42\n")
    worker.send(frame({"t": "env", "cwd": str(tmp_path),
                       "path": [str(mods), "/usr/lib"]}))
    source = ("def f():\n"
              "    return os.getcwd(), sys.path[:2], "
              "pp_test_env_mod.VALUE\n")
    key = worker.define("f", source, ["os", "sys", "pp_test_env_mod"])
    cwd, path, value = worker.result(key)
    assert os.path.samefile(cwd, tmp_path)
    assert path[0] == str(mods)
    assert value == 42
    # The runner's own directory is not on sys.path.
    source = "def g():\n    return sys.path\n"
    key = worker.define("g", source, ["sys"])
    runner_dir = os.path.dirname(os.path.abspath(RUNNER))
    assert runner_dir not in worker.result(key)


def test_env_missing_cwd(worker):
    worker.send(frame({"t": "env", "cwd": "/nonexistent/pp-glib",
                       "path": []}))
    key = worker.define("f", "def f():\n    return 1\n")
    assert worker.result(key) == 1


# -- definitions and jobs -----------------------------------------------

def test_pickle_job(worker):
    key = worker.define("add", "def add(a, b):\n    return a + b\n")
    header, output, payload = worker.call(key, 2, 3)
    assert header["ok"] is True
    assert "olen" not in header and output == b""
    assert pickle.loads(payload) == 5
    assert worker.result(key, [1], [2]) == [1, 2]
    assert worker.result(key, "a", "b") == "ab"


def test_json_job(worker):
    key = worker.define("f", "def f(a, b):\n    return {'sum': a + b, "
                        "'list': [a, b, None, True, 'é']}\n")
    value = worker.result(key, 1, 2.5, fmt="json")
    assert value == {"sum": 3.5, "list": [1, 2.5, None, True, "é"]}


def test_no_arguments(worker):
    key = worker.define("f", "def f():\n    return 'none'\n")
    assert worker.result(key) == "none"
    assert worker.result(key, fmt="json") == "none"


def test_function_cache(worker):
    source = ("calls = []\n"
              "def f(x):\n"
              "    calls.append(x)\n"
              "    return len(calls)\n")
    key = worker.define("f", source)
    assert worker.result(key, "a") == 1
    assert worker.result(key, "b") == 2   # one definition, state kept


def test_each_key_has_its_own_namespace(worker):
    # A definition sees only its own source and modules: "helper" of
    # another key is not one of its names.
    worker.define("helper", "def helper(x):\n    return x * 10\n")
    key = worker.define("f", "def f(x):\n    return helper(x) + 1\n")
    header, _, _ = worker.call(key, 4)
    assert header["ok"] is False and header["etype"] == "NameError"
    # While its jobs run, its namespace is __main__.
    source = "def g():\n    import sys\n    return __name__, " \
             "sys.modules['__main__'].g is g, 'f' in globals()\n"
    key = worker.define("g", source)
    assert worker.result(key) == ("__main__", True, False)


def test_modules(worker):
    modules = ["math", "os.path", "from os import path as p",
               "import json as j"]
    source = ("def f(x):\n"
              "    return (math.sqrt(x), os.path.join('a', 'b'),\n"
              "            p.basename('/x/y'), j.dumps([x]))\n")
    key = worker.define("f", source, modules)
    assert worker.result(key, 16) == (4.0, "a/b", "y", "[16]")


def test_job_raises(worker):
    source = ("def check(x):\n"
              "    if x < 0:\n"
              "        raise ValueError('negative: %d' % x)\n"
              "    return x\n")
    key = worker.define("check", source)
    header, output, payload = worker.call(key, -42)
    assert header["ok"] is False
    assert header["etype"] == "ValueError"
    assert header["emsg"] == "negative: -42"
    assert "compile" not in header
    assert "check" in header["tb"]
    assert "raise ValueError" in header["tb"]      # source lines quoted
    assert header["tb"].rstrip().endswith("ValueError: negative: -42")
    assert "pp-runner" not in header["tb"]
    exc = pickle.loads(payload)
    assert isinstance(exc, ValueError) and exc.args == ("negative: -42",)
    assert worker.result(key, 5) == 5              # the worker goes on


def test_job_raises_json(worker):
    key = worker.define("f", "def f():\n    raise KeyError('k')\n")
    header, output, payload = worker.call(key, fmt="json")
    assert header["ok"] is False
    assert header["etype"] == "KeyError"
    assert header["emsg"] == "'k'"
    assert payload == b""


def test_unpicklable_exception(worker):
    source = ("class Odd(Exception):\n"
              "    def __init__(self, a, b):\n"
              "        super().__init__(a)\n"
              "def f():\n"
              "    raise Odd(1, 2)\n")
    key = worker.define("f", source)
    header, _, payload = worker.call(key)
    assert header["ok"] is False
    assert header["etype"] == "Odd"
    assert payload == b""


def test_wrong_argument_count(worker):
    key = worker.define("f", "def f(x):\n    return x\n")
    header, _, payload = worker.call(key, 1, 2)
    assert header["ok"] is False
    assert header["etype"] == "TypeError"
    assert isinstance(pickle.loads(payload), TypeError)


def test_system_exit_is_a_failure(worker):
    key = worker.define("f", "def f():\n    sys.exit(4)\n", ["sys"])
    header, _, _ = worker.call(key)
    assert header["ok"] is False
    assert header["etype"] == "SystemExit"
    assert worker.proc.poll() is None


def test_compile_error(worker):
    key = worker.define("f", "def f(:\n    return 1\n")
    for fmt in ("pickle", "json"):
        header, _, payload = worker.call(key, fmt=fmt)
        assert header["ok"] is False
        assert header["compile"] is True
        assert header["etype"] == "SyntaxError"
        assert "SyntaxError" in header["tb"]
        if fmt == "pickle":
            assert isinstance(pickle.loads(payload), SyntaxError)
        else:
            assert payload == b""
    # The worker still serves other functions.
    key = worker.define("g", "def g():\n    return 7\n")
    assert worker.result(key) == 7


def test_import_error(worker):
    key = worker.define("f", "def f():\n    return 1\n",
                        ["pp_glib_no_such_module"])
    header, _, payload = worker.call(key)
    assert header["ok"] is False
    assert header["compile"] is True
    assert header["etype"] == "ModuleNotFoundError"
    assert "pp_glib_no_such_module" in header["emsg"]
    assert isinstance(pickle.loads(payload), ImportError)


def test_runtime_error_in_source(worker):
    key = worker.define("f", "x = 1 / 0\ndef f():\n    return 1\n")
    header, _, _ = worker.call(key)
    assert header["compile"] is True
    assert header["etype"] == "ZeroDivisionError"


def test_name_missing(worker):
    key = worker.define("f", "def g():\n    return 1\n")
    header, _, _ = worker.call(key)
    assert header["ok"] is False
    assert header["compile"] is True
    assert header["etype"] == "NameError"


def test_unknown_key(worker):
    header, _, payload = worker.call("0" * 64)
    assert header["ok"] is False
    assert header["etype"] == "LookupError"
    assert "0" * 64 in header["emsg"]
    assert "def" in header["emsg"]
    assert "compile" not in header
    assert isinstance(pickle.loads(payload), LookupError)


def test_bad_arguments_body(worker):
    key = worker.define("f", "def f(*a):\n    return a\n")
    worker.send(frame({"t": "job", "id": 99, "key": key, "fmt": "pickle"},
                      b"not a pickle"))
    header, _ = worker.read_frame()
    assert header["id"] == 99 and header["ok"] is False
    worker.send(frame({"t": "job", "id": 100, "key": key, "fmt": "json"},
                      b'{"a": 1}'))
    header, _ = worker.read_frame()
    assert header["id"] == 100 and header["ok"] is False
    assert header["etype"] == "TypeError"
    assert worker.result(key, 1) == (1,)


# -- captured output ----------------------------------------------------

def test_captured_output(worker):
    source = ("def f(x):\n"
              "    print('out', x)\n"
              "    sys.stderr.write('err ✓\\n')\n"
              "    return x\n")
    key = worker.define("f", source, ["sys"])
    header, output, payload = worker.call(key, 3)
    assert header["ok"] is True
    expected = "out 3\nerr ✓\n".encode("utf-8")
    assert header["olen"] == len(expected)
    assert output == expected
    assert pickle.loads(payload) == 3
    # The next job starts with an empty buffer.
    key = worker.define("g", "def g():\n    return 1\n")
    header, output, _ = worker.call(key)
    assert "olen" not in header and output == b""


def test_captured_output_json_and_failure(worker):
    source = ("def f():\n"
              "    print('before')\n"
              "    raise RuntimeError('after')\n")
    key = worker.define("f", source)
    for fmt in ("json", "pickle"):
        header, output, payload = worker.call(key, fmt=fmt)
        assert header["ok"] is False
        assert output == b"before\n"
        assert header["olen"] == len(b"before\n")
        if fmt == "pickle":
            assert isinstance(pickle.loads(payload), RuntimeError)
        else:
            assert payload == b""


def test_raw_fd_writes_do_not_corrupt(worker):
    source = ("def f():\n"
              "    os.write(1, b'raw-fd-1\\n')\n"
              "    print('dunder', file=sys.__stdout__, flush=True)\n"
              "    return 'fine'\n")
    key = worker.define("f", source, ["os", "sys"])
    header, output, payload = worker.call(key)
    assert header["ok"] is True
    assert pickle.loads(payload) == "fine"
    assert output == b""
    assert worker.result(key) == "fine"
    worker.close_input()
    assert worker.wait() == 0
    assert "raw-fd-1" in worker.stderr_text()
    assert "dunder" in worker.stderr_text()


def test_stdin_is_dev_null(worker):
    key = worker.define("f", "def f():\n    return os.read(0, 10)\n",
                        ["os"])
    assert worker.result(key) == b""


def test_closed_stdout(worker):
    key = worker.define("f", "def f():\n    sys.stdout.close()\n"
                        "    return 1\n", ["sys"])
    assert worker.result(key) == 1
    key = worker.define("g", "def g():\n    print('hi')\n    return 2\n")
    header, output, payload = worker.call(key)
    assert output == b"hi\n" and pickle.loads(payload) == 2


# -- unencodable results ------------------------------------------------

def test_unpicklable_result(worker):
    key = worker.define("f", "def f():\n    return threading.Lock()\n",
                        ["threading"])
    header, output, payload = worker.call(key)
    assert header["ok"] is False
    assert header["etype"] == "TypeError"
    assert "pickle" in header["emsg"]
    assert "f()" in header["tb"]
    assert isinstance(pickle.loads(payload), TypeError)
    assert worker.proc.poll() is None
    key = worker.define("g", "def g():\n    return 'alive'\n")
    assert worker.result(key) == "alive"


@pytest.mark.parametrize("expr, etype", [
    ("{1, 2}", "TypeError"),
    ("float('nan')", "ValueError"),
    ("object()", "TypeError"),
])
def test_json_unencodable_result(worker, expr, etype):
    key = worker.define("f", "def f():\n    return %s\n" % expr)
    header, _, payload = worker.call(key, fmt="json")
    assert header["ok"] is False
    assert header["etype"] == etype
    assert payload == b""
    assert worker.proc.poll() is None


def test_result_over_max_body(spawn):
    worker = spawn(["--max-body", "1000"])
    key = worker.define("f", "def f(n):\n    return b'x' * n\n")
    assert worker.result(key, 10) == b"x" * 10
    header, _, _ = worker.call(key, 5000)
    assert header["ok"] is False
    assert header["etype"] == "OverflowError"


# -- pickles referring to __main__ --------------------------------------

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y


def test_main_class_arguments(worker, monkeypatch):
    source = ("class Point:\n"
              "    def __init__(self, x, y):\n"
              "        self.x = x\n"
              "        self.y = y\n"
              "def norm1(p):\n"
              "    return p.x + p.y, Point(p.y, p.x)\n")
    key = worker.define("norm1", source)
    # Pickle a __main__.Point like a client script would.
    monkeypatch.setattr(Point, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "Point", Point,
                        raising=False)
    total, swapped = worker.result(key, Point(3, 4))
    assert total == 7
    assert isinstance(swapped, Point)
    assert (swapped.x, swapped.y) == (4, 3)


def test_same_name_in_two_keys(worker):
    # moda.fa and modb.fb each come with their module's "helper": on one
    # worker, in either order, each calls its own.
    fa = worker.define("fa", "def helper(x):\n    return 'a%d' % x\n"
                             "def fa(x):\n    return helper(x)\n")
    fb = worker.define("fb", "def helper(x):\n    return 'b%d' % x\n"
                             "def fb(x):\n    return helper(x)\n")
    assert worker.result(fa, 1) == "a1"
    assert worker.result(fb, 2) == "b2"
    assert worker.result(fa, 3) == "a3"
    assert worker.result(fb, 4) == "b4"


def test_state_and_modules_stay_in_their_key(worker):
    one = worker.define("f", "calls = []\ndef f():\n    calls.append(1)\n"
                             "    return len(calls), 'json' in globals()\n",
                        ["json"])
    two = worker.define("g", "def g():\n    return sorted(n for n in "
                             "globals() if not n.startswith('__'))\n")
    assert worker.result(one) == (1, True)
    assert worker.result(two) == ["g"]
    assert worker.result(one) == (2, True)


def test_main_class_arguments_per_key(worker, monkeypatch):
    # Two keys define their own Point: a pickled __main__.Point resolves
    # to the one of the job's key, in arguments and in results.
    def source(tag):
        return ("class Point:\n"
                "    def __init__(self, x, y):\n"
                "        self.x = x\n"
                "        self.y = y\n"
                "    def tag(self):\n"
                "        return %r\n"
                "def norm1(p):\n"
                "    return p.tag(), Point(p.y, p.x)\n" % tag)
    first = worker.define("norm1", source("first"))
    second = worker.define("norm1", source("second"))
    monkeypatch.setattr(Point, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "Point", Point,
                        raising=False)
    for key, tag in ((first, "first"), (second, "second"), (first, "first")):
        got, swapped = worker.result(key, Point(3, 4))
        assert got == tag
        assert isinstance(swapped, Point) and (swapped.x, swapped.y) == (4, 3)


# -- the cache of definitions -------------------------------------------

def sized_source(name, nbytes, tag=0):
    """A function whose source is about nbytes long, in few lines."""
    return "DATA = %r\ndef %s():\n    return len(DATA), %d\n" % (
        "x" * nbytes, name, tag)


def test_least_recently_used_definition_is_evicted(spawn):
    # Each definition counts about twice its source: two fit, not three.
    worker = spawn(["--cache-bytes", "300000"])
    keys = []
    for i in range(3):
        keys.append(worker.define("f", sized_source("f", 60000, i)))
        assert worker.result(keys[i]) == (60000, i)
    # Key 0 went to make room for key 2: the job says "undefined" (and,
    # for older servers, fails with LookupError as before).
    header, _, payload = worker.call(keys[0])
    assert header["ok"] is False and header["undefined"] is True
    assert header["etype"] == "LookupError" and keys[0] in header["emsg"]
    assert isinstance(pickle.loads(payload), LookupError)
    # Sent again, it runs; key 1, used least recently, is the one evicted.
    worker.send(frame({"t": "def", "key": keys[0], "name": "f",
                       "modules": []}, sized_source("f", 60000, 0).encode()))
    assert worker.result(keys[0]) == (60000, 0)
    assert worker.result(keys[2]) == (60000, 2)
    assert worker.call(keys[1])[0].get("undefined") is True


def test_newest_definition_is_kept_even_when_too_large(spawn):
    worker = spawn(["--cache-bytes", "1000"])
    small = worker.define("g", "def g():\n    return 'g'\n")
    big = worker.define("f", sized_source("f", 5000))
    assert worker.result(big) == (5000, 0)
    assert worker.call(small)[0].get("undefined") is True


def test_cache_size_from_the_environment(spawn, monkeypatch):
    monkeypatch.setenv("PP_WORKER_CACHE_BYTES", "300000")
    worker = spawn()
    keys = [worker.define("f", sized_source("f", 60000, i)) for i in range(3)]
    assert worker.result(keys[2]) == (60000, 2)
    assert worker.result(keys[1]) == (60000, 1)
    assert worker.call(keys[0])[0].get("undefined") is True


def test_evicted_failure_is_forgotten_too(spawn):
    worker = spawn(["--cache-bytes", "300000"])
    bad = worker.define("f", "def f(:\n" + "#" * 60000 + "\n")
    assert worker.call(bad)[0]["etype"] == "SyntaxError"
    worker.define("g", sized_source("g", 60000))
    worker.define("h", sized_source("h", 60000))
    assert worker.call(bad)[0].get("undefined") is True


def vm_rss_mib(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


@pytest.mark.skipif("libasan" in os.environ.get("LD_PRELOAD", ""),
                    reason="AddressSanitizer's allocator keeps freed memory "
                           "in quarantine")
@pytest.mark.parametrize("lines", [False, True])
def test_memory_stays_bounded(spawn, lines):
    # 20 distinct sources (5 MiB in one long line, or 1 MiB in 131,072
    # short lines): the runner used to keep them all and grew by 121 and
    # 102 MiB; with a 16 MiB cache it grows by about 16 and 22 MiB.
    worker = spawn(["--cache-bytes", str(16 << 20)])
    start = vm_rss_mib(worker.proc.pid)
    keys = []
    for i in range(20):
        if lines:
            source = ("DATA = [\n" + "    %d,\n" % (i % 10) * (1 << 17) +
                      "]\ndef f():\n    return len(DATA)\n")
        else:
            source = sized_source("f", 5 << 20, i)
        keys.append(worker.define("f", source))
        assert worker.call(keys[-1])[0]["ok"] is True
    grown = vm_rss_mib(worker.proc.pid) - start
    assert grown < 60, "the runner grew by %.0f MiB" % grown
    # The first one is gone, the last one still runs.
    assert worker.call(keys[0])[0].get("undefined") is True
    assert worker.call(keys[-1])[0]["ok"] is True


@pytest.mark.parametrize("args", [
    ["--cache-bytes", "-5"], ["--cache-bytes", "1e6"], ["--cache-bytes", ""],
    ["--cache-bytes= 12"], ["--cache-bytes", "1_000"], ["--cache-bytes"],
    ["--cache-bytes", "1" * 30], ["--max-body", "0"], ["--max-body", "-1"],
    ["--max-body", "4294967296"], ["--max-body", "+5"], ["--max-body", "0x10"],
    ["--max-body", "\u0661\u0662"],
])
def test_bad_sizes_on_the_command_line(spawn, args):
    worker = spawn(args, hello=False)
    assert worker.wait() == 2
    assert "pp-runner:" in worker.stderr_text()


@pytest.mark.parametrize("value", ["-1", "lots", "1.5", "99999999999999999999999"])
def test_bad_cache_size_in_the_environment(spawn, monkeypatch, value):
    monkeypatch.setenv("PP_WORKER_CACHE_BYTES", value)
    worker = spawn(hello=False)
    assert worker.wait() == 2
    assert "PP_WORKER_CACHE_BYTES" in worker.stderr_text()


# -- pipelining and latency ---------------------------------------------

def test_pipelining(worker):
    key = worker.define("f", "def f(x):\n    return x * 2\n")
    count = 1000
    data = b"".join(worker.job_frame(key, (i,), jid=i) for i in range(count))
    sender = worker.send_in_background(data)
    for i in range(count):
        header, body = worker.read_frame()
        assert header["id"] == i
        assert header["ok"] is True
        assert pickle.loads(body) == i * 2
    sender.join(TIMEOUT)


def test_pipelining_mixed(worker):
    ok = worker.define("ok", "def ok(x):\n    return x\n")
    bad = worker.define("bad", "def bad(x):\n    raise ValueError(x)\n")
    frames = []
    for i in range(200):
        frames.append(worker.job_frame(bad if i % 3 == 0 else ok, (i,),
                                       fmt="json" if i % 2 else "pickle",
                                       jid=i))
    frames.insert(100, frame({"t": "job", "id": 1000, "key": "f" * 64,
                              "fmt": "pickle"}, b""))
    sender = worker.send_in_background(b"".join(frames))
    ids = []
    for _ in range(201):
        header, _ = worker.read_frame()
        ids.append(header["id"])
        if header["id"] < 1000:
            assert header["ok"] is (header["id"] % 3 != 0)
    sender.join(TIMEOUT)
    assert ids == list(range(100)) + [1000] + list(range(100, 200))


def test_slow_job_does_not_hold_back_results(worker):
    fast = worker.define("fast", "def fast():\n    return 'fast'\n")
    slow = worker.define("slow", "def slow():\n    time.sleep(3)\n"
                         "    return 'slow'\n", ["time"])
    assert worker.result(fast) == "fast"          # fast is known as fast
    worker.send(worker.job_frame(fast, jid=1) + worker.job_frame(slow, jid=2))
    started = time.monotonic()
    header, _ = worker.read_frame()
    assert header["id"] == 1
    assert time.monotonic() - started < 2.0
    header, _ = worker.read_frame()
    assert header["id"] == 2


def test_sigint_is_ignored(worker):
    key = worker.define("f", "def f():\n    return 1\n")
    assert worker.result(key) == 1
    worker.proc.send_signal(signal.SIGINT)
    time.sleep(0.2)
    assert worker.proc.poll() is None
    assert worker.result(key) == 1


def test_unknown_frame_type_is_ignored(worker):
    worker.send(frame({"t": "future-thing", "x": 1}))
    key = worker.define("f", "def f():\n    return 1\n")
    assert worker.result(key) == 1


def test_large_arguments(worker):
    key = worker.define("f", "def f(data):\n    return len(data)\n")
    data = os.urandom(3 << 20)
    thread = worker.send_in_background(worker.job_frame(key, (data,)))
    header, body = worker.read_frame()
    thread.join(TIMEOUT)
    assert pickle.loads(body) == len(data)


# -- work stealing: skip frames -----------------------------------------

SLEEP_SOURCE = ("def nap(seconds):\n"
                "    time.sleep(seconds)\n"
                "    return seconds\n")


def skip_frame(jid):
    return frame({"t": "skip", "id": jid})


def assert_skipped(header, body, jid):
    assert header == {"t": "res", "id": jid, "ok": False, "skipped": True}
    assert body == b""


def assert_ran(worker, jid, value):
    header, body = worker.read_frame()
    assert header["t"] == "res" and header["id"] == jid, header
    assert header["ok"] is True, header
    assert "skipped" not in header
    assert pickle.loads(body) == value


def nap_definition():
    """Returns the key of nap() and its "def" frame, to send along with
    the first jobs in one write."""
    key = function_key("nap", ["time"], SLEEP_SOURCE)
    return key, frame({"t": "def", "key": key, "name": "nap",
                       "modules": ["time"]}, SLEEP_SOURCE.encode("utf-8"))


def test_skip_queued_job(worker):
    key, define = nap_definition()
    worker.send(define + worker.job_frame(key, (0.3,), jid=1) +
                worker.job_frame(key, (0,), jid=2) +
                worker.job_frame(key, (0,), jid=3))
    time.sleep(0.05)                # job 1 is running, 2 and 3 are queued
    worker.send(skip_frame(2))
    assert_ran(worker, 1, 0.3)
    assert_skipped(*worker.read_frame(), 2)
    assert_ran(worker, 3, 0)
    worker.close_input()
    assert worker.wait() == 0


def test_skip_in_the_same_read_as_the_job(worker):
    key, define = nap_definition()
    worker.send(define + worker.job_frame(key, (0.1,), jid=1) +
                worker.job_frame(key, (0,), jid=2) + skip_frame(2) +
                worker.job_frame(key, (0,), jid=3) + skip_frame(3))
    assert_ran(worker, 1, 0.1)
    assert_skipped(*worker.read_frame(), 2)
    assert_skipped(*worker.read_frame(), 3)
    assert worker.result(key, 0) == 0


def test_skip_deep_in_the_queue(worker):
    # Far more queued input than the runner parses ahead of the running job.
    key, define = nap_definition()
    jobs = [worker.job_frame(key, (0.3,), jid=0)]
    jobs += [worker.job_frame(key, (0,), jid=i) for i in range(1, 400)]
    worker.send(define + b"".join(jobs))
    time.sleep(0.05)
    worker.send(skip_frame(350) + skip_frame(399) + skip_frame(5))
    assert_ran(worker, 0, 0.3)
    for i in range(1, 400):
        header, body = worker.read_frame()
        if i in (5, 350, 399):
            assert_skipped(header, body, i)
        else:
            assert header["id"] == i and header["ok"] is True


def test_skip_split_across_reads(worker):
    # The skip frame arrives in two pieces that the runner reads between
    # different jobs, cut inside its "t" member.
    key, define = nap_definition()
    jobs = [worker.job_frame(key, (0.15,), jid=1),
            worker.job_frame(key, (0.15,), jid=2)]
    jobs += [worker.job_frame(key, (0,), jid=i) for i in range(3, 60)]
    worker.send(define + b"".join(jobs))
    skip = skip_frame(3)
    cut = skip.index(b'"skip') + 3
    time.sleep(0.05)                # job 1 runs
    worker.send(skip[:cut])
    time.sleep(0.2)                 # job 2 runs
    worker.send(skip[cut:])
    assert_ran(worker, 1, 0.15)
    assert_ran(worker, 2, 0.15)
    assert_skipped(*worker.read_frame(), 3)
    for i in range(4, 60):
        assert_ran(worker, i, 0)


def test_skip_after_large_arguments(worker):
    # A large job body arrives over many reads between a skip that is not
    # for a queued job and one that is.
    source = ("def g(seconds, data=b''):\n"
              "    time.sleep(seconds)\n"
              "    return len(data)\n")
    key = function_key("g", ["time"], source)
    data = os.urandom(3 << 20)
    stream = [frame({"t": "def", "key": key, "name": "g",
                     "modules": ["time"]}, source.encode("utf-8")),
              worker.job_frame(key, (0.2,), jid=1),
              skip_frame(1000),
              worker.job_frame(key, (0.2, data), jid=2),
              worker.job_frame(key, (0,), jid=3)]
    stream += [worker.job_frame(key, (0,), jid=i) for i in range(4, 80)]
    stream += [skip_frame(3), worker.job_frame(key, (0,), jid=80)]
    sender = worker.send_in_background(b"".join(stream))
    assert_ran(worker, 1, 0)
    assert_ran(worker, 2, len(data))
    assert_skipped(*worker.read_frame(), 3)
    for i in range(4, 81):
        assert_ran(worker, i, 0)
    sender.join(TIMEOUT)


def test_skip_with_escaped_type(worker):
    # "t" spelled with a JSON escape: applied when parsed, in order.
    key, define = nap_definition()
    escaped = frame(b'{"t": "\\u0073kip", "id": 2}')
    worker.send(define + worker.job_frame(key, (0.05,), jid=1) +
                worker.job_frame(key, (0,), jid=2) + escaped)
    assert_ran(worker, 1, 0.05)
    assert_skipped(*worker.read_frame(), 2)


def test_skip_of_running_job_is_ignored(worker, tmp_path):
    started = tmp_path / "started"
    source = ("def mark(path):\n"
              "    open(path, 'w').close()\n"
              "    time.sleep(0.3)\n"
              "    return path\n")
    key = function_key("mark", ["time"], source)
    worker.send(frame({"t": "def", "key": key, "name": "mark",
                       "modules": ["time"]}, source.encode("utf-8")) +
                worker.job_frame(key, (str(started),), jid=1) +
                worker.job_frame(key, (str(started),), jid=2))
    deadline = time.monotonic() + TIMEOUT
    while not started.exists():
        assert time.monotonic() < deadline
        time.sleep(0.005)
    worker.send(skip_frame(1))              # job 1 is running
    assert_ran(worker, 1, str(started))
    assert_ran(worker, 2, str(started))


def test_skip_of_finished_or_unknown_job_is_ignored(worker):
    key = worker.define("f", "def f(x):\n    return x + 1\n")
    worker.send(worker.job_frame(key, (1,), jid=1))
    assert_ran(worker, 1, 2)
    # Job 1 is done, 7 was never sent: nothing happens, nothing is
    # answered, and nothing is remembered against a later job 7.
    worker.send(skip_frame(1) + skip_frame(7))
    worker.send(worker.job_frame(key, (2,), jid=2) +
                worker.job_frame(key, (3,), jid=7) +
                worker.job_frame(key, (4,), jid=1))
    assert_ran(worker, 2, 3)
    assert_ran(worker, 7, 4)
    assert_ran(worker, 1, 5)


def test_skip_is_not_answered_by_itself(worker):
    worker.send(skip_frame(1))
    key = worker.define("f", "def f():\n    return 1\n")
    assert worker.result(key) == 1          # the first frame is this res
    worker.close_input()
    assert worker.wait() == 0
    assert worker.stderr_text() == ""


def test_skip_marker_in_arguments(worker):
    # Arguments that look like a skip frame must not disturb anything.
    key = worker.define("f", "def f(x):\n    return x\n")
    text = '{"t":"skip","id":2}'
    frames = [worker.job_frame(key, (text,), fmt="json", jid=i)
              for i in range(1, 4)]
    worker.send(b"".join(frames))
    for i in range(1, 4):
        header, body = worker.read_frame()
        assert header["id"] == i and header["ok"] is True
        assert json.loads(body) == text


# -- malformed input ----------------------------------------------------

BAD_FRAMES = {
    "short-header-len": PREFIX.pack(1, 0) + b"{",
    "zero-header-len": PREFIX.pack(0, 0),
    "oversized-header": PREFIX.pack((1 << 20) + 1, 0),
    "oversized-body": PREFIX.pack(2, 0xFFFFFFFF) + b"{}",
    "garbage-header": PREFIX.pack(10, 0) + b"not json!!",
    "invalid-utf8": PREFIX.pack(4, 0) + b'"\xff"}',
    "array-header": frame(b"[1, 2]"),
    "no-type": frame({"id": 1}),
    "job-without-id": frame({"t": "job", "key": "k", "fmt": "pickle"}),
    "def-without-key": frame({"t": "def", "name": "f", "modules": []},
                             b"def f(): pass\n"),
    "env-bad-path": frame({"t": "env", "cwd": "/", "path": "nope"}),
    "skip-without-id": frame({"t": "skip"}),
    "skip-string-id": frame({"t": "skip", "id": "2"}),
    "skip-float-id": frame({"t": "skip", "id": 2.0}),
    "skip-bool-id": frame({"t": "skip", "id": True}),
    # Ids are unsigned 64-bit integers (issue 14: hostile numbers).
    "skip-negative-id": frame({"t": "skip", "id": -3}),
    "skip-huge-id": frame({"t": "skip", "id": 1 << 64}),
    "skip-nan-id": frame(b'{"t":"skip","id":NaN}'),
    "skip-exponent-id": frame(b'{"t":"skip","id":1e3}'),
    "job-negative-id": frame({"t": "job", "id": -1, "key": "k",
                              "fmt": "pickle"}),
    "job-huge-id": frame({"t": "job", "id": 1 << 64, "key": "k",
                          "fmt": "pickle"}),
    "job-float-id": frame({"t": "job", "id": 1.0, "key": "k",
                           "fmt": "pickle"}),
    "job-bool-id": frame({"t": "job", "id": False, "key": "k",
                          "fmt": "pickle"}),
    "job-string-id": frame({"t": "job", "id": "1", "key": "k",
                            "fmt": "pickle"}),
    "job-infinite-id": frame(b'{"t":"job","id":Infinity,"key":"k",'
                             b'"fmt":"pickle"}'),
    "job-giant-id": frame(b'{"t":"job","id":' + b"9" * 5000 +
                          b',"key":"k","fmt":"pickle"}'),
}

TRUNCATED_FRAMES = {
    "truncated-prefix": b"\0\0\0",
    "truncated-header": PREFIX.pack(20, 0) + b'{"t":',
    "truncated-body": PREFIX.pack(12, 100) + b'{"t":"job"}' + b"x" * 10,
}


@pytest.mark.parametrize("name", sorted(BAD_FRAMES))
def test_malformed_frame_exits_3(spawn, name):
    worker = spawn()
    worker.send(BAD_FRAMES[name])
    assert worker.wait() == 3
    assert "protocol error" in worker.stderr_text()


@pytest.mark.parametrize("name", sorted(TRUNCATED_FRAMES))
def test_truncated_frame_exits_3(spawn, name):
    worker = spawn()
    worker.send(TRUNCATED_FRAMES[name])
    worker.close_input()
    assert worker.wait() == 3
    assert "protocol error" in worker.stderr_text()


def test_malformed_after_good_frames(worker):
    key = worker.define("f", "def f():\n    return 1\n")
    worker.send(worker.job_frame(key, jid=5) + PREFIX.pack(0, 0))
    header, _ = worker.read_frame()
    assert header["id"] == 5 and header["ok"] is True
    assert worker.wait() == 3


def test_job_ids_span_64_bits(worker):
    key = worker.define("f", "def f():\n    return 1\n")
    for jid in (0, (1 << 64) - 1):
        worker.send(worker.job_frame(key, jid=jid))
        header, body = worker.read_frame()
        assert header["id"] == jid and header["ok"] is True
    worker.send(skip_frame((1 << 64) - 1))     # unknown: ignored
    assert worker.result(key) == 1


def test_bad_skip_after_queued_jobs(worker):
    # The jobs before the malformed skip run (job 2 is not skipped by it).
    key, define = nap_definition()
    worker.send(define + worker.job_frame(key, (0.1,), jid=1) +
                worker.job_frame(key, (0,), jid=2))
    time.sleep(0.03)
    worker.send(frame({"t": "skip", "id": "2"}))
    assert_ran(worker, 1, 0.1)
    assert_ran(worker, 2, 0)
    assert worker.wait() == 3
    assert "skip" in worker.stderr_text()
