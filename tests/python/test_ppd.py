# tests/python/test_ppd.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tests of the ppd daemon: its command line, pidfile, signals, and how it
treats good and bad clients on the wire (docs/protocol.md).

Every test starts its own ppd on 127.0.0.1 (port 0: ppd picks a free port
and names it in its start-up log line) and reaps it.  The raw-socket tests
speak the protocol by hand, including the HMAC-SHA256 handshake.

The daemon is $PPD, else <build>/ppd/ppd next to the library directory that
LD_LIBRARY_PATH names first, else <source>/_build/ppd/ppd.

    PPD=_build/ppd/ppd PP_RUNNER=libpp-glib/pp-runner.py \\
    /usr/bin/python3 -m pytest -q tests/python/test_ppd.py
"""

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest

from conftest import process_gone

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "test-secret-7f3a"
TIMEOUT = 15.0
PREFIX = struct.Struct(">II")
ADD_SOURCE = "def add(a, b):\n    return a + b\n"
NAP_SOURCE = "def nap(t):\n    import time\n    time.sleep(t)\n    return t\n"
GETPID_SOURCE = "def getpid():\n    return os.getpid()\n"
GETENV_SOURCE = "def getenv(name):\n    return os.environ.get(name)\n"


def find_ppd():
    candidates = [os.environ.get("PPD")]
    ld_path = os.environ.get("LD_LIBRARY_PATH", "").split(os.pathsep)[0]
    if ld_path:
        candidates.append(os.path.join(os.path.dirname(os.path.abspath(ld_path)), "ppd", "ppd"))
    candidates.append(os.path.join(SRCDIR, "_build", "ppd", "ppd"))
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    return None


PPD = find_ppd()
pytestmark = pytest.mark.skipif(PPD is None, reason="ppd is not built (set PPD)")


def base_env():
    env = dict(os.environ)
    env.pop("PP_SECRET", None)
    env.pop("G_MESSAGES_DEBUG", None)
    env.setdefault("PP_RUNNER", os.path.join(SRCDIR, "libpp-glib", "pp-runner.py"))
    if not env.get("PP_PYTHON") and os.path.exists("/usr/bin/python3"):
        env["PP_PYTHON"] = "/usr/bin/python3"
    return env


SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")


def run_ppd(*args, timeout=TIMEOUT):
    """Runs a ppd that is expected to exit by itself."""
    result = subprocess.run([PPD, *args], env=base_env(), capture_output=True,
                            text=True, timeout=timeout)
    assert not SANITIZER_REPORT.search(result.stderr), result.stderr
    return result


class Ppd:
    """A ppd process, its log lines collected as they come."""

    def __init__(self, *args, secret=SECRET):
        env = base_env()
        if secret is not None:
            env["PP_SECRET"] = secret
        self.proc = subprocess.Popen([PPD, *args], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.cond = threading.Condition()
        self.out = {"stdout": [], "stderr": []}
        self.threads = [threading.Thread(target=self._read, args=(name,), daemon=True)
                        for name in self.out]
        for thread in self.threads:
            thread.start()
        match = self.wait_for(r"listening on 127\.0\.0\.1:(\d+) with \d+ worker")
        self.port = int(match.group(1))

    def _read(self, name):
        for line in getattr(self.proc, name):
            with self.cond:
                self.out[name].append(line.decode("utf-8", "replace"))
                self.cond.notify_all()
        with self.cond:
            self.out[name].append(None)      # end of stream
            self.cond.notify_all()

    def text(self, name="stderr"):
        with self.cond:
            return "".join(line for line in self.out[name] if line)

    def wait_for(self, pattern, name="stderr", timeout=TIMEOUT):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.out[name]:
                    match = line and regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.out[name] and self.out[name][-1] is None):
                    raise AssertionError("ppd never logged /%s/ on %s; it wrote:\n%s"
                                         % (pattern, name, self.text(name)))
                self.cond.wait(left)

    def wait(self, timeout=TIMEOUT):
        status = self.proc.wait(timeout)
        for thread in self.threads:
            thread.join(timeout)
        return status

    def stop(self, sig=signal.SIGTERM, timeout=TIMEOUT):
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert not SANITIZER_REPORT.search(self.text()), self.text()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@pytest.fixture
def ppd():
    daemons = []

    def start(*args, **kwargs):
        daemon = Ppd("-p", "0", "-w", "1", "-i", "127.0.0.1", *args, **kwargs)
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.close()


# ---------------------------------------------------------------------------
# A client speaking docs/protocol.md by hand

def frame(header, body=b""):
    if isinstance(header, dict):
        header = json.dumps(header).encode("utf-8")
    return PREFIX.pack(len(header), len(body)) + header + body


def proof(secret, label, first, second):
    message = label + b"\0" + first.encode() + b"\0" + second.encode() + b"\0"
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def function_key(name, modules, source):
    data = b"\0".join((name.encode(), "\n".join(modules).encode(), source.encode()))
    return hashlib.sha256(data).hexdigest()


class Client:
    def __init__(self, port=None, sock=None):
        self.sock = sock or socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        self.buf = b""
        self.next_id = 1

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                return False
            self.buf += chunk
        return True

    def recv(self):
        """The next frame as (header, body), or None at end of file."""
        if not self._fill(PREFIX.size):
            return None
        header_len, body_len = PREFIX.unpack(self.buf[:PREFIX.size])
        if not self._fill(PREFIX.size + header_len + body_len):
            return None
        end = PREFIX.size + header_len
        header = json.loads(self.buf[PREFIX.size:end])
        body, self.buf = self.buf[end:end + body_len], self.buf[end + body_len:]
        return header, body

    def recv_until_closed(self):
        """Every frame up to the node closing the connection."""
        frames = []
        try:
            while (f := self.recv()) is not None:
                frames.append(f)
        except ConnectionResetError:
            pass
        return frames

    def handshake(self, secret=SECRET):
        nonce = os.urandom(32).hex()
        self.send(frame({"t": "hello", "proto": 1, "nonce": nonce, "agent": "test_ppd"}))
        challenge, _ = self.recv()
        assert challenge["t"] == "challenge", challenge
        assert challenge["proof"] == proof(secret, b"pp-glib node", nonce, challenge["nonce"])
        self.send(frame({"t": "auth",
                         "proof": proof(secret, b"pp-glib client", challenge["nonce"], nonce)}))
        welcome, _ = self.recv()
        assert welcome["t"] == "welcome", welcome
        return welcome

    def define(self, name, source, modules=()):
        key = function_key(name, modules, source)
        self.send(frame({"t": "def", "key": key, "name": name, "modules": list(modules)},
                        source.encode()))
        return key

    def submit(self, key, *args):
        job_id, self.next_id = self.next_id, self.next_id + 1
        self.send(frame({"t": "job", "id": job_id, "key": key, "fmt": "json"},
                        json.dumps(args).encode()))
        return job_id

    def result(self):
        header, body = self.recv()
        assert header["t"] == "res" and header["ok"], (header, body)
        return header["id"], json.loads(body[header.get("olen", 0):])

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def check_serves(port, secret=SECRET):
    """A good client still gets a job done."""
    with Client(port) as client:
        client.handshake(secret)
        client.submit(client.define("add", ADD_SOURCE), 20, 22)
        assert client.result() == (1, 42)


# ---------------------------------------------------------------------------
# Command line

def test_help_and_version():
    result = run_ppd("--help")
    assert result.returncode == 0
    for text in ("--port", "--secret-file", "--socket-timeout", "PP_SECRET", "SIGUSR1"):
        assert text in result.stdout
    result = run_ppd("--version")
    assert result.returncode == 0
    assert re.fullmatch(r"ppd \d+\.\d+\.\d+\n", result.stdout)


def test_bad_command_line():
    for args in (["--port", "http"], ["-w", "0"], ["-p", "70000"], ["stray"],
                 ["--tls-certificate", "/nonexistent"]):
        result = run_ppd(*args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("ppd: "), result.stderr


def test_refuses_other_interfaces_without_secret():
    result = run_ppd("-i", "0.0.0.0", "-p", "0")
    assert result.returncode == 2
    assert "Refusing to listen on 0.0.0.0 without a secret" in result.stderr
    assert "--secret-file" in result.stderr


def test_loopback_only_without_secret():
    with Ppd("-p", "0", "-w", "1", secret=None) as daemon:
        daemon.wait_for(r"No secret given: listening on 127\.0\.0\.1 only")
        check_serves(daemon.port, secret="")
        assert daemon.stop() == 0


def test_secret_file_permissions(tmp_path, ppd):
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    path.chmod(0o644)
    result = run_ppd("-p", "0", "--secret-file", str(path))
    assert result.returncode == 2
    assert "accessible by other users (mode 0644)" in result.stderr
    assert "chmod 600" in result.stderr

    path.chmod(0o600)
    daemon = ppd("--secret-file", str(path), secret=None)
    check_serves(daemon.port)        # the trailing newline is not part of it
    assert daemon.stop() == 0


def test_secret_not_on_command_line(ppd):
    secret = "cmdline-secret-91d2"
    daemon = ppd("-s", secret, secret=None)
    with open("/proc/%d/cmdline" % daemon.proc.pid, "rb") as f:
        cmdline = f.read()
    assert b"-s" in cmdline and secret.encode() not in cmdline
    daemon.wait_for(r"WARNING.*-s.*--secret-file FILE or the PP_SECRET")
    with Client(daemon.port) as client:
        client.handshake(secret)
    assert daemon.stop() == 0
    assert secret not in daemon.text()


def test_pidfile(tmp_path, ppd):
    pidfile = tmp_path / "ppd.pid"
    daemon = ppd("-P", str(pidfile))
    assert pidfile.read_text() == "%d\n" % daemon.proc.pid

    second = run_ppd("-p", "0", "-P", str(pidfile))
    assert second.returncode == 1
    assert "Another ppd (pid %d) is running" % daemon.proc.pid in second.stderr
    assert pidfile.read_text() == "%d\n" % daemon.proc.pid

    assert daemon.stop() == 0
    assert not pidfile.exists()

    # A pidfile naming a process that is gone is replaced.
    dead = subprocess.Popen(["true"])
    dead.wait()
    pidfile.write_text("%d\n" % dead.pid)
    daemon = ppd("-P", str(pidfile))
    daemon.wait_for(r"Removing the stale pidfile")
    assert pidfile.read_text() == "%d\n" % daemon.proc.pid
    assert daemon.stop(signal.SIGINT) == 0
    assert not pidfile.exists()


def test_idle_timeout(ppd):
    daemon = ppd("-t", "1")
    check_serves(daemon.port)
    start = time.monotonic()
    assert daemon.wait() == 0
    assert 0.5 < time.monotonic() - start < 8
    daemon.wait_for(r"No client and no job for 1 s \(-t\)")


def test_sigusr1_prints_stats(ppd):
    daemon = ppd()
    check_serves(daemon.port)
    daemon.proc.send_signal(signal.SIGUSR1)
    daemon.wait_for(r"job count \| % of all jobs \| job time sum \| time per job \| job server",
                    name="stdout")
    daemon.wait_for(r"^\s+1 \|\s+100\.00 \|", name="stdout")
    assert daemon.stop() == 0


@pytest.mark.parametrize("restart", [False, True])
def test_restart(ppd, restart):
    daemon = ppd(*(["-r"] if restart else []))
    if restart:
        daemon.wait_for(r"with 1 worker, a fresh worker for each job")
    with Client(daemon.port) as client:
        client.handshake()
        key = client.define("getpid", GETPID_SOURCE, ["os"])
        pids = set()
        for _ in range(3):
            client.submit(key)
            pids.add(client.result()[1])
    assert len(pids) == (3 if restart else 1)
    assert daemon.stop() == 0


def test_debug_logging(ppd):
    quiet = ppd()
    check_serves(quiet.port)
    assert quiet.stop() == 0
    assert "DEBUG" not in quiet.text()

    daemon = ppd("-d")
    check_serves(daemon.port)
    daemon.wait_for(r"Pp-(INFO|DEBUG): client 127\.0\.0\.1:\d+: ")
    assert daemon.stop() == 0
    assert "ppd-DEBUG" in daemon.text()


def test_auto_discovery_flags_ignored(ppd):
    daemon = ppd("-a", "-b", "127.255.255.255")
    daemon.wait_for(r"auto-discovery \(-a/-b\) arrives with the DNS-SD release; ignored")
    assert daemon.text().count("auto-discovery") == 1
    assert daemon.stop() == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_tls(tmp_path, ppd):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=ppd",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    result = run_ppd("-p", "0", "--tls-certificate", str(cert), "--tls-key", str(tmp_path))
    assert result.returncode == 2 and "Cannot load the TLS certificate" in result.stderr

    daemon = ppd("--tls-certificate", str(cert), "--tls-key", str(key))
    daemon.wait_for(r"listening on .* with 1 worker, TLS")
    context = ssl.create_default_context(cafile=str(cert))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", daemon.port), timeout=TIMEOUT) as raw:
        with context.wrap_socket(raw) as tls:
            # the proofs are bound to the TLS channel, which Python's ssl
            # cannot export: check that the handshake starts over TLS
            tls.sendall(frame({"t": "hello", "proto": 1, "nonce": os.urandom(32).hex()}))
            assert Client(sock=tls).recv()[0]["t"] == "challenge"
    assert daemon.stop() == 0


# ---------------------------------------------------------------------------
# Clients on the wire

def test_good_client(ppd):
    daemon = ppd()
    with Client(daemon.port) as client:
        welcome = client.handshake()
        assert welcome["ncpus"] == 1
        key = client.define("add", ADD_SOURCE)
        ids = [client.submit(key, i, 1) for i in range(5)]
        results = dict(client.result() for _ in ids)
        assert results == {i + 1: i + 1 for i in range(5)}
        # ppd keeps PP_SECRET from its workers
        job = client.submit(client.define("getenv", GETENV_SOURCE, ["os"]), "PP_SECRET")
        assert client.result() == (job, None)
    daemon.wait_for(r"client 127\.0\.0\.1:\d+ connected")
    daemon.wait_for(r"client 127\.0\.0\.1:\d+ disconnected")
    assert daemon.stop() == 0


def refused(daemon, data, reason, code=None):
    """Sends @data; expects the connection closed (after an "error" frame with
    @code), one log line matching @reason, and ppd still serving."""
    with Client(daemon.port) as client:
        client.send(data)
        frames = client.recv_until_closed()
        port = client.sock.getsockname()[1]
    if code is not None:
        assert [f[0]["t"] for f in frames] == ["error"], frames
        assert frames[0][0]["code"] == code
    else:
        assert all(f[0]["t"] == "error" for f in frames), frames
    line = daemon.wait_for(r"client 127\.0\.0\.1:%d: (.*)" % port).group(1)
    assert re.search(reason, line), line
    check_serves(daemon.port)


def test_wrong_secret_refused(ppd):
    daemon = ppd()
    with Client(daemon.port) as client:
        nonce = os.urandom(32).hex()
        client.send(frame({"t": "hello", "proto": 1, "nonce": nonce}))
        challenge, _ = client.recv()
        assert challenge["proof"] != proof("wrong", b"pp-glib node", nonce, challenge["nonce"])
        client.send(frame({"t": "auth", "proof": proof("wrong", b"pp-glib client",
                                                        challenge["nonce"], nonce)}))
        frames = client.recv_until_closed()
    assert [f[0]["code"] for f in frames] == ["auth"]
    daemon.wait_for(r"client 127\.0\.0\.1:\d+: .*wrong secret")
    check_serves(daemon.port)
    assert "wrong" not in daemon.text().replace("wrong secret", "")


def test_garbage_refused(ppd):
    daemon = ppd()
    refused(daemon, PREFIX.pack(12, 0) + b"\x00\xffnot json!!", r"[Mm]alformed frame header")
    refused(daemon, frame(b"[1, 2, 3]"), r"[Mm]alformed frame header")
    refused(daemon, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", r"exceeds the limit")


def test_oversized_length_prefix_refused(ppd):
    daemon = ppd()
    refused(daemon, PREFIX.pack(0xFFFFFFF0, 0xFFFFFFF0), r"header of 4294967280 bytes exceeds")
    refused(daemon, PREFIX.pack(100, 1 << 30) + b"x" * 100, r"body of 1073741824 bytes exceeds")


def test_job_before_auth_refused(ppd):
    daemon = ppd()
    key = function_key("add", (), ADD_SOURCE)
    refused(daemon, frame({"t": "job", "id": 1, "key": key, "fmt": "json"}),
            r"expected a \W?hello\W? frame", "protocol")


def test_truncated_handshake_refused(ppd):
    """Half a hello, then the client hangs up: logged, nothing else hurt."""
    daemon = ppd()
    hello = frame({"t": "hello", "proto": 1, "nonce": os.urandom(32).hex()})
    for cut in (3, PREFIX.size + 10, len(hello) - 1):
        with Client(daemon.port) as client:
            client.send(hello[:cut])
            client.sock.shutdown(socket.SHUT_WR)
            frames = client.recv_until_closed()
            port = client.sock.getsockname()[1]
        assert all(f[0]["t"] == "error" for f in frames), frames
        line = daemon.wait_for(r"client 127\.0\.0\.1:%d: (.*)" % port).group(1)
        assert re.search(r"end of (stream|file)|closed the connection", line), line
    check_serves(daemon.port)
    assert daemon.stop() == 0


def test_silent_client_dropped(ppd):
    daemon = ppd("-k", "1")
    start = time.monotonic()
    with Client(daemon.port) as client:
        frames = client.recv_until_closed()
    assert 0.5 < time.monotonic() - start < 8
    assert [f[0]["code"] for f in frames] == ["timeout"]
    daemon.wait_for(r"client 127\.0\.0\.1:\d+: authentication timed out after 1 s")
    check_serves(daemon.port)
    assert daemon.stop() == 0


def test_sigterm_lets_running_job_finish(ppd):
    daemon = ppd()
    with Client(daemon.port) as client:
        client.handshake()
        job = client.submit(client.define("nap", NAP_SOURCE), 1.0)
        client.send(frame({"t": "ping", "n": 7}))     # answered once the job is queued
        assert client.recv()[0] == {"t": "pong", "n": 7}
        daemon.proc.send_signal(signal.SIGTERM)
        assert client.result() == (job, 1.0)
        frames = client.recv_until_closed()
    assert [(f[0]["t"], f[0]["code"]) for f in frames] == [("error", "shutdown")]
    assert daemon.wait() == 0
    daemon.wait_for(r"SIGTERM received: stopping once the 1 running job finishes")
    daemon.wait_for(r"Stopped")


# ---------------------------------------------------------------------------
# Names and processes of one client stay its own (issue 7, items 2 and 9)

def names_source(tag):
    return ("OWNER = %r\n"
            "def helper():\n    return %r\n"
            "def run():\n"
            "    return helper(), sorted(n for n in globals() if not n.startswith('__'))\n"
            % (tag, tag))


def test_two_clients_do_not_see_each_others_names(ppd):
    # One worker runs the jobs of both clients: each sees its own helper
    # and OWNER and none of the other's names, whichever ran last.
    daemon = ppd()
    with Client(daemon.port) as one, Client(daemon.port) as two:
        one.handshake()
        two.handshake()
        key_one = one.define("run", names_source("one"))
        key_two = two.define("run", names_source("two"))
        names = ["OWNER", "helper", "run"]
        for _ in range(2):
            job = one.submit(key_one)
            assert one.result() == (job, ["one", names])
            job = two.submit(key_two)
            assert two.result() == (job, ["two", names])
        peek = two.define("peek", "def peek():\n    return globals().get('OWNER')\n")
        job = two.submit(peek)
        assert two.result() == (job, None)


SPIN_SOURCE = """\
def spin(path):
    import os
    with open(path + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(path + ".tmp", path)
    while True:
        pass
"""


def test_workers_die_with_a_killed_ppd(ppd, tmp_path):
    daemon = ppd()
    pidfile = tmp_path / "worker.pid"
    worker = None
    try:
        with Client(daemon.port) as client:
            client.handshake()
            client.submit(client.define("spin", SPIN_SOURCE), str(pidfile))
            deadline = time.monotonic() + TIMEOUT
            while not pidfile.exists():
                assert time.monotonic() < deadline, "the job never started"
                time.sleep(0.05)
            worker = int(pidfile.read_text())
            daemon.proc.kill()
            daemon.wait()
            assert process_gone(worker, 5), "worker %d outlived ppd" % worker
    finally:
        if worker is not None and not process_gone(worker, 0):
            os.kill(worker, signal.SIGKILL)
