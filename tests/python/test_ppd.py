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

    def __init__(self, *args, secret=SECRET, env=None):
        env = dict(env or base_env())
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


def run_client(env, *ppservers, timeout=60):
    """pp.Server(1, ppservers) in a fresh interpreter, with no secret given:
    the sum of 2 * i over ten jobs, or its error."""
    code = ("import pp, sys\n"
            "def double(x):\n    return 2 * x\n"
            "srv = pp.Server(0, ppservers=tuple(sys.argv[1:]))\n"
            "print(sum(j() for j in [srv.submit(double, (i,)) for i in range(10)]))\n"
            "print(sorted(srv.get_stats()))\n"
            "srv.destroy()\n")
    return subprocess.run(["/usr/bin/python3", "-c", code, *ppservers], env=env,
                          capture_output=True, text=True, timeout=timeout)


def user_env(tmp_path):
    """base_env() with an XDG_CONFIG_HOME of its own."""
    env = base_env()
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    return env


def test_empty_secret_refused(ppd):
    for args, source in ((["-s", ""], "-s"), (["--secret="], "-s")):
        result = run_ppd("-p", "0", *args)
        assert result.returncode == 2
        assert "The secret given with %s is empty" % source in result.stderr
    daemon = ppd()
    with Client(daemon.port) as client:
        nonce = os.urandom(32).hex()
        client.send(frame({"t": "hello", "proto": 1, "nonce": nonce, "agent": "x"}))
        challenge, _ = client.recv()
        client.send(frame({"t": "auth",
                           "proof": proof("", b"pp-glib client", challenge["nonce"], nonce)}))
        frames = client.recv_until_closed()
    assert [f[0]["t"] for f in frames] == ["error"], frames
    assert daemon.stop() == 0
    assert "connected" not in daemon.text()


def test_without_a_secret_ppd_and_pp_use_the_per_user_file(tmp_path):
    """No secret anywhere: ppd creates $XDG_CONFIG_HOME/pp-glib/secret (0600,
    its directory 0700, 64 hex digits), listens on 127.0.0.1, and pp.Server
    of the same user proves it out of the box; a client without it is
    refused."""
    env = user_env(tmp_path)
    path = tmp_path / "config" / "pp-glib" / "secret"
    with Ppd("-p", "0", "-w", "1", "--no-dbus", secret=None, env=env) as daemon:
        daemon.wait_for(r"No secret given: clients must prove the one in %s; listening on "
                        r"127\.0\.0\.1 only" % re.escape(str(path)))
        assert os.stat(path).st_mode & 0o777 == 0o600
        assert os.stat(path.parent).st_mode & 0o777 == 0o700
        text = path.read_text()
        assert re.fullmatch(r"[0-9a-f]{64}\n", text), text
        secret = text.strip()
        check_serves(daemon.port, secret=secret)
        with Client(daemon.port) as client:
            with pytest.raises(AssertionError):
                client.handshake("")            # the node cannot prove ""
        result = run_client(env, "127.0.0.1:%d" % daemon.port)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == "90", result.stdout + result.stderr
        assert path.read_text() == text         # the same file, not a new one
        assert daemon.stop() == 0
    assert secret not in daemon.text()


def test_secret_file_created_once_by_racing_processes(tmp_path):
    """Eight processes asking for the per-user secret at once all get the one
    file that appeared, whole."""
    env = user_env(tmp_path)
    code = ("import gi, sys, time\ngi.require_version('Pp', '1.0')\n"
            "from gi.repository import Pp\n"
            "time.sleep(max(0, float(sys.argv[1]) - time.time()))\n"
            "print(Pp.secret_load_default())\n")
    start = str(time.time() + 1.5)
    procs = [subprocess.Popen(["/usr/bin/python3", "-c", code, start], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert all(proc.returncode == 0 for proc in procs), outputs
    secrets = {out.strip() for out, _ in outputs}
    path = tmp_path / "config" / "pp-glib" / "secret"
    assert secrets == {path.read_text().strip()}, outputs
    assert sorted(os.listdir(path.parent)) == ["secret"]    # no temporary file left


def test_per_user_secret_readable_by_others_is_refused(tmp_path):
    env = user_env(tmp_path)
    path = tmp_path / "config" / "pp-glib" / "secret"
    path.parent.mkdir(parents=True, mode=0o700)
    path.write_text("0123456789abcdef" * 4 + "\n")
    path.chmod(0o644)
    result = subprocess.run([PPD, "-p", "0", "--no-dbus"], env=env, capture_output=True,
                            text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert ("ppd: No secret given: The secret file “%s” is accessible by other users "
            "(mode 0644); make it private with “chmod 600 %s”" % (path, path)) in result.stderr
    result = run_client(env, "127.0.0.1:1")
    assert result.returncode != 0
    assert "accessible by other users (mode 0644)" in result.stderr, result.stderr
    # A directory others may write in (they could swap the file) is refused.
    path.unlink()
    path.parent.chmod(0o777)
    result = subprocess.run([PPD, "-p", "0", "--no-dbus"], env=env, capture_output=True,
                            text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert "other users may write there" in result.stderr
    assert not path.exists()


def test_system_ppd_uses_its_state_directory(tmp_path):
    """ppd --system without a secret uses (and creates) secret in systemd's
    StateDirectory=, never the per-user file."""
    env = user_env(tmp_path)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    env["STATE_DIRECTORY"] = str(state)
    env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    with Ppd("-p", "0", "-w", "1", "--system", secret=None, env=env) as daemon:
        daemon.wait_for(r"clients must prove the one in %s" % re.escape(str(state / "secret")))
        secret = (state / "secret").read_text().strip()
        assert re.fullmatch(r"[0-9a-f]{64}", secret)
        assert os.stat(state / "secret").st_mode & 0o777 == 0o600
        assert not (tmp_path / "config").exists()
        check_serves(daemon.port, secret=secret)
        assert daemon.stop() == 0


INTRUDER = r"""
import hashlib, hmac, json, os, socket, struct, sys
P = struct.Struct(">II")
port = int(sys.argv[1])

def frame(header, body=b""):
    header = json.dumps(header).encode()
    return P.pack(len(header), len(body)) + header + body

class Conn:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
    def recv(self):
        try:
            while len(self.buf) < 8 or len(self.buf) < 8 + sum(P.unpack(self.buf[:8])):
                chunk = self.sock.recv(65536)
                if not chunk:
                    return None
                self.buf += chunk
        except (ConnectionResetError, socket.timeout):
            return None
        hlen, blen = P.unpack(self.buf[:8])
        header = json.loads(self.buf[8:8 + hlen])
        self.buf = self.buf[8 + hlen + blen:]
        return header["t"]

def proof(secret, label, first, second):
    message = label + b"\0" + first.encode() + b"\0" + second.encode() + b"\0"
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

def attempt(secret):
    conn = Conn()
    nonce = os.urandom(32).hex()
    conn.sock.sendall(frame({"t": "hello", "proto": 1, "nonce": nonce, "agent": "intruder"}))
    conn.buf = b""
    raw = conn.sock.recv(65536)
    conn.buf = raw
    hlen, _ = P.unpack(conn.buf[:8])
    challenge = json.loads(conn.buf[8:8 + hlen])
    conn.buf = b""
    try:
        conn.sock.sendall(frame({"t": "auth", "proof": proof(secret, b"pp-glib client",
                                                              challenge["nonce"], nonce)}))
        conn.sock.sendall(frame({"t": "def", "key": "k", "name": "f", "modules": []},
                                b"def f():\n    return 1\n"))
        conn.sock.sendall(frame({"t": "job", "id": 1, "key": "k", "fmt": "json"}, b"[]"))
    except (BrokenPipeError, ConnectionResetError):
        pass
    frames = []
    while (t := conn.recv()) is not None:
        frames.append(t)
    return frames

def no_hello():
    conn = Conn()
    try:
        conn.sock.sendall(frame({"t": "job", "id": 1, "key": "k", "fmt": "json"}, b"[]"))
    except (BrokenPipeError, ConnectionResetError):
        pass
    frames = []
    while (t := conn.recv()) is not None:
        frames.append(t)
    return frames

import gi
gi.require_version("Pp", "1.0")
from gi.repository import Pp
own = Pp.secret_load_default()
path = Pp.secret_get_default_path()
try:
    open(sys.argv[2]).read()
    stolen = "read"
except PermissionError:
    stolen = "PermissionError"
print(json.dumps({"empty": attempt(""), "own": attempt(own), "no_hello": no_hello(),
                  "mode": oct(os.stat(path).st_mode & 0o777), "owner": os.stat(path).st_uid,
                  "own_len": len(own), "stolen": stolen}))
"""


def test_another_user_is_refused_over_tcp(tmp_path, other_user):
    """ppd started with no secret by root: another local user, with no
    secret, the empty one or its own per-user one, runs nothing."""
    env = user_env(tmp_path)
    marker = tmp_path / "ran"
    with Ppd("-p", "0", "-w", "1", "--no-dbus", secret=None, env=env) as daemon:
        secret_path = tmp_path / "config" / "pp-glib" / "secret"
        result = other_user.run(["/usr/bin/python3", "-c", INTRUDER, str(daemon.port),
                                 str(secret_path)])
        assert result.returncode == 0, result.stderr
        seen = json.loads(result.stdout)
        assert seen["empty"] == ["error"] and seen["own"] == ["error"], seen
        assert seen["no_hello"] in ([], ["error"]), seen
        assert seen["mode"] == "0o600" and seen["owner"] == other_user.uid, seen
        assert seen["own_len"] == 64 and seen["stolen"] == "PermissionError", seen

        # pp.Server of that user, out of the box: the node is never used.
        code = ("import pp, sys, time\n"
                "def touch(path):\n    open(path, 'w').close()\n    return 1\n"
                "srv = pp.Server(0, ppservers=(sys.argv[1],))\n"
                "job = srv.submit(touch, (sys.argv[2],))\n"
                "time.sleep(3)\n"
                "print(srv.get_active_nodes())\n"
                "srv.destroy()\n")
        result = other_user.run(["/usr/bin/python3", "-c", code, "127.0.0.1:%d" % daemon.port,
                                 str(marker)])
        assert "could not prove the shared secret" in result.stderr, result.stderr
        assert "connected" not in daemon.text()
        assert not marker.exists()
        # While root's own client, with no secret either, is served.
        result = run_client(env, "127.0.0.1:%d" % daemon.port)
        assert result.stdout.splitlines()[:1] == ["90"], result.stdout + result.stderr
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


def test_secret_file_of_another_user_is_refused(tmp_path, other_user):
    """Another user could change it at will: refused, even by root."""
    path = tmp_path / "theirs"
    path.write_text("0123456789abcdef" * 4 + "\n")
    path.chmod(0o600)
    os.chown(path, other_user.uid, other_user.gid)
    result = run_ppd("-p", "0", "--secret-file", str(path))
    assert result.returncode == 2
    assert ("The secret file “%s” belongs to another user (uid %d)"
            % (path, other_user.uid)) in result.stderr


def test_secret_file_that_is_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "secret"
    os.mkfifo(fifo, 0o600)
    result = run_ppd("-p", "0", "--secret-file", str(fifo), timeout=10)
    assert result.returncode == 2
    assert "The secret file “%s” is not a regular file" % fifo in result.stderr


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


def test_default_pidfile_for_the_man_page(tmp_path):
    """ppd(1): `kill -USR1 $(cat /run/user/$UID/ppd.pid)` prints the
    statistics of the session ppd started with no -P: $XDG_RUNTIME_DIR/ppd.pid.
    A second ppd of the user runs without a pidfile; --system writes none."""
    env = base_env()
    run = tmp_path / "run"
    run.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(run)
    pidfile = run / "ppd.pid"
    with Ppd("-p", "0", "-w", "1", "-i", "127.0.0.1", "--no-dbus", env=env) as daemon:
        assert pidfile.read_text() == "%d\n" % daemon.proc.pid
        subprocess.run(["sh", "-c", 'kill -USR1 $(cat "$XDG_RUNTIME_DIR/ppd.pid")'], env=env,
                       check=True, timeout=TIMEOUT)
        daemon.wait_for(r"job count \| % of all jobs \| job time sum", name="stdout")
        with Ppd("-p", "0", "-w", "1", "-i", "127.0.0.1", "--no-dbus", env=env) as second:
            second.wait_for(r"No pidfile \(-P FILE names one\): Another ppd \(pid %d\) is "
                            r"running with the pidfile" % daemon.proc.pid)
            assert second.stop() == 0
        assert pidfile.read_text() == "%d\n" % daemon.proc.pid
        assert daemon.stop() == 0
    assert not pidfile.exists()
    env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    with Ppd("-p", "0", "-w", "1", "-i", "127.0.0.1", "--system", env=env) as daemon:
        assert not pidfile.exists()
        assert daemon.stop() == 0


def write_config(path, text, mode=0o600):
    path.write_text(text)
    path.chmod(mode)
    return str(path)


def test_ppserver_config_file(tmp_path):
    """-c FILE: ppserver.py's configuration; the command line overrides it."""
    env = base_env()
    pidfile = tmp_path / "from-config.pid"
    config = write_config(tmp_path / "ppserver.conf", (
        "# ppserver.py configuration\n"
        "[general]\nsecret = config-secret-0b7e\ndebug = no\nworkers = 2\nproto = 2\n"
        "restart = False\npid_file = %s\n"
        "[network]\nautodiscovery = off\ninterface = 127.0.0.1\nport = 0\ntimeout = 0\n"
        "socket_timeout = 600\n" % pidfile))
    with Ppd("-c", config, "--no-dbus", secret=None, env=env) as daemon:
        daemon.wait_for(r"listening on 127\.0\.0\.1:\d+ with 2 workers")
        assert pidfile.read_text() == "%d\n" % daemon.proc.pid
        check_serves(daemon.port, secret="config-secret-0b7e")
        assert daemon.stop() == 0
    # The command line wins: -w, -P, -r, and PP_SECRET over the file's secret.
    other = tmp_path / "cmdline.pid"
    with Ppd("-c", config, "-w", "1", "-P", str(other), "-r", "--no-dbus", "-i", "127.0.0.1",
             env=env) as daemon:
        daemon.wait_for(r"with 1 worker, a fresh worker for each job")
        assert other.exists() and not pidfile.exists()
        check_serves(daemon.port, secret=SECRET)
        assert daemon.stop() == 0
    # autodiscovery and broadcast are taken (test_discovery.py tests them).
    config = write_config(tmp_path / "discovery.conf",
                          "[network]\nautodiscovery = yes\nbroadcast = 127.255.255.255\n")
    with Ppd("-c", config, "-p", "0", "-w", "1", "-i", "127.0.0.1", "--no-dbus",
             env=env) as daemon:
        daemon.wait_for(r"by UDP to 127\.255\.255\.255 port \d+")
        assert daemon.stop() == 0


@pytest.mark.parametrize("text, message", [
    ("[general]\nworkers = 0\n", "[general] workers: the number of workers must be between 1 "
                                 "and 4096 (or -1: one per processor), not 0"),
    ("[general]\nworkers = 4097\n", "[general] workers: the number of workers must be"),
    ("[general]\nworkers = 99999999999999999999\n", "[general] workers: must be a number"),
    ("[general]\nworkers = two\n", "[general] workers: must be a number of workers"),
    ("[network]\nport = 65536\n", "[network] port: must be a whole number between 0 and 65535"),
    ("[network]\nport = -1\n", "[network] port: must be a whole number"),
    ("[network]\nport = 0x10\n", "[network] port: must be a whole number"),
    ("[network]\ntimeout = -5\n", "[network] timeout: must be a whole number"),
    ("[network]\nsocket_timeout = 0\n", "[network] socket_timeout: must be a whole number "
                                        "between 1 and"),
    ("[network]\nsocket_timeout = 1e9\n", "[network] socket_timeout: must be a whole number"),
    ("[general]\nproto = 9\n", "[general] proto: must be a whole number between 0 and 5"),
    ("[general]\ndebug = maybe\n", "[general] debug: must be true or false"),
    ("[general]\nsecret =\n", "[general] secret: is empty"),
    ("[general]\nworkerz = 2\n", "[general] workerz: unknown key"),
    ("[server]\nport = 1\n", "unknown section [server]"),
    ("port = 1\n", "Cannot read the configuration file"),
    ("[general]\npid_file =\n", "[general] pid_file: must not be empty"),
])
def test_ppserver_config_file_hostile_values(tmp_path, text, message):
    config = write_config(tmp_path / "bad.conf", text)
    result = run_ppd("-c", config)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr, result.stderr


def test_ppserver_config_file_secret_must_be_private(tmp_path):
    config = write_config(tmp_path / "open.conf", "[general]\nsecret = s3cr3t-1234\n", 0o644)
    result = run_ppd("-c", config)
    assert result.returncode == 2
    assert ("[general] secret: the file holds a secret but other users can read it; make it "
            "private with “chmod 600 %s”" % config) in result.stderr
    assert "s3cr3t" not in result.stderr
    assert "No such file" in run_ppd("-c", str(tmp_path / "missing")).stderr


def test_one_rule_for_the_number_of_workers(ppd):
    """-w: -1 is ppserver.py's autodetect (one per processor), 0 and over
    4096 are refused, as in the configuration file and D-Bus SetWorkers."""
    for value in ("0", "4097", "-2"):
        result = run_ppd("-p", "0", "-w", value)
        assert result.returncode == 2
        assert ("-w/--workers must be between 1 and 4096 (or -1: one per processor), not %s"
                % value) in result.stderr
    daemon = ppd("-w", "-1")
    daemon.wait_for(r"with %d worker" % os.cpu_count())
    assert daemon.stop() == 0


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


def test_auto_discovery_flags(ppd, tmp_path):
    env = base_env()   # never the machine's avahi-daemon (test_discovery.py has its own)
    env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    daemon = ppd("-a", "-b", "127.255.255.255", env=env)
    daemon.wait_for(r"by UDP to 127\.255\.255\.255 port \d+")
    assert daemon.stop() == 0
    assert "Announcement withdrawn" in daemon.text()
    daemon = ppd("-b", "127.255.255.255", env=env)
    daemon.wait_for(r"-b \(broadcast address\) ignored without -a")
    assert daemon.stop() == 0
    assert "Announced" not in daemon.text()


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



def test_pp_client_with_a_wrong_secret_is_logged_as_such(ppd):
    """A real client refuses the node's proof first; it still tells the
    node, whose log names the wrong secret (ppd.1, LOGGING)."""
    daemon = ppd()
    script = ("import gi\n"
              "gi.require_version('Pp', '1.0')\n"
              "from gi.repository import Pp\n"
              "import time\n"
              "s = Pp.Server(ncpus=0, ppservers=['127.0.0.1:%d'], secret='not-the-secret')\n"
              "s.init(None)\n"
              "time.sleep(1.5)\n" % daemon.port)
    subprocess.run(["/usr/bin/python3", "-c", script], timeout=TIMEOUT, check=True,
                   capture_output=True)
    daemon.wait_for(r"client 127\.0\.0\.1:\d+: .*wrong secret \(the client refused")

def test_garbage_refused(ppd):
    daemon = ppd()
    refused(daemon, PREFIX.pack(12, 0) + b"\x00\xffnot json!!", r"[Mm]alformed frame header")
    refused(daemon, frame(b"[1, 2, 3]"), r"[Mm]alformed frame header")
    refused(daemon, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", r"exceeds the limit")
    # What JSON-GLib would read as a hello (its first value), leaking the
    # rest (found by fuzz-worker, fuzz-job-args): refused before it.
    hello = json.dumps({"t": "hello", "proto": 1, "nonce": os.urandom(32).hex()}).encode()
    refused(daemon, frame(hello + b'{"x": [1, 2, 3]}'), r"[Mm]alformed frame header")
    refused(daemon, frame(hello[:-1] + b', "agent": "\\ud800\\u0041"}'), r"[Mm]alformed frame header")


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
    """The handshake has 5 s, whatever the socket timeout (-k)."""
    daemon = ppd("-k", "60")
    start = time.monotonic()
    with Client(daemon.port) as client:
        frames = client.recv_until_closed()
    assert 4.5 < time.monotonic() - start < 8
    assert [f[0]["code"] for f in frames] == ["timeout"]
    daemon.wait_for(r"client 127\.0\.0\.1:\d+: authentication timed out after 5 s")
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
# Hostile crowds and greedy clients (issue 7)

def vm_rss(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for %d" % pid)


def sanitized(pid):
    """Whether the process runs under AddressSanitizer, whose quarantine of
    freed memory makes its RSS meaningless."""
    with open("/proc/%d/maps" % pid) as maps:
        return "libasan" in maps.read()


def raise_fd_limit():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def connect_from(port, source):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(TIMEOUT)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def timed_serve(port, source):
    """Seconds a right-secret client from @source takes to get a job done."""
    start = time.monotonic()
    with Client(sock=connect_from(port, source)) as client:
        client.handshake()
        client.submit(client.define("add", ADD_SOURCE), 20, 22)
        assert client.result() == (1, 42)
    return time.monotonic() - start


def test_idle_crowd_does_not_lock_clients_out(ppd):
    """1,000 idle unauthenticated sockets, half from the client's own
    address, half from 100 others: a client from either is served at once."""
    if raise_fd_limit() < 1200:
        pytest.skip("not enough file descriptors")
    daemon = ppd()
    idle = []
    try:
        start = time.monotonic()
        for i in range(1000):
            idle.append(connect_from(daemon.port, "127.0.0.1" if i % 2 else
                                     "127.0.0.%d" % (2 + i // 2 % 100)))
        connect_time = time.monotonic() - start
        assert connect_time < 5, connect_time
        same = timed_serve(daemon.port, "127.0.0.1")
        other = timed_serve(daemon.port, "127.0.0.50")
        print("1,000 idle connects: %.2f s; client served in %.3f s (same address), "
              "%.3f s (other address)" % (connect_time, same, other))
        assert same < 2 and other < 2, (same, other)
    finally:
        for sock in idle:
            sock.close()
    daemon.wait_for(r"dropped to make room")
    check_serves(daemon.port)
    lines = [l for l in daemon.text().splitlines() if "Pp: client 127.0.0.1:" in l]
    assert len(lines) <= 5, "\n".join(lines)
    assert daemon.stop() == 0
    lines = [l for l in daemon.text().splitlines() if " Pp: " in l]
    print("log lines about 1,000 idle connections: %d" % len(lines))
    assert len(lines) <= 50, "\n".join(lines)


def wrong_secret_attempt(port, source="127.0.0.1"):
    """One handshake with a wrong secret; the node's answer."""
    with Client(sock=connect_from(port, source)) as client:
        nonce = os.urandom(32).hex()
        client.send(frame({"t": "hello", "proto": 1, "nonce": nonce}))
        challenge = client.recv()
        if challenge is None:
            return None
        client.send(frame({"t": "auth", "proof": proof("wrong", b"pp-glib client",
                                                        challenge[0]["nonce"], nonce)}))
        frames = client.recv_until_closed()
    return [f[0].get("code") for f in frames]


def test_wrong_secret_flood_is_slowed_and_summarised(ppd):
    daemon = ppd()
    stop = time.monotonic() + 4
    answers = []

    def attacker():
        while time.monotonic() < stop:
            try:
                answers.append(wrong_secret_attempt(daemon.port))
            except OSError:
                answers.append(None)

    threads = [threading.Thread(target=attacker) for _ in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(1)
    served = timed_serve(daemon.port, "127.0.0.2")
    for thread in threads:
        thread.join(TIMEOUT)
    print("wrong-secret attempts in 4 s with 10 connections: %d; another address served "
          "in %.3f s" % (len(answers), served))
    assert served < 2, served
    assert 10 <= len(answers) < 80, len(answers)
    assert all(a == ["auth"] for a in answers), answers
    assert daemon.stop() == 0
    lines = [l for l in daemon.text().splitlines() if " Pp: " in l and "127.0.0.1" in l]
    print("log lines about the attacker: %d" % len(lines))
    assert len(lines) <= 7, "\n".join(lines)
    assert re.search(r"\d+ more failed handshakes from 127\.0\.0\.1 in the last \d+ s",
                     daemon.text()), daemon.text()


def test_nul_in_type_is_not_hello(ppd):
    daemon = ppd()
    nonce = os.urandom(32).hex()
    refused(daemon, frame(b'{"t":"hello\\u0000x","proto":1,"nonce":"%s"}' % nonce.encode()),
            r"expected a hello frame during the handshake, got hello\W", "protocol")


def test_job_and_def_with_body_before_auth_refused(ppd):
    daemon = ppd()
    key = function_key("add", (), ADD_SOURCE)
    refused(daemon, frame({"t": "job", "id": 1, "key": key, "fmt": "json"}, b"[1, 2]"),
            r"exceeds the limit of 0 bytes", "protocol")
    refused(daemon, frame({"t": "def", "key": key, "name": "add", "modules": []},
                          ADD_SOURCE.encode()),
            r"exceeds the limit of 0 bytes", "protocol")


BIG_SOURCE = "def big(i):\n    return 'x' * 10000\n"


def test_unread_results_are_bounded(ppd):
    """A client submits 10,000 jobs with 10 KB results and reads nothing: ppd
    stops reading it near 16 MiB of unsent results, then delivers them all."""
    daemon = ppd()
    count = 10000
    with Client(daemon.port) as client:
        client.handshake()
        key = client.define("big", BIG_SOURCE)
        check_serves(daemon.port)
        before = vm_rss(daemon.proc.pid)
        data = b"".join(frame({"t": "job", "id": i, "key": key, "fmt": "json"},
                              json.dumps([i]).encode()) for i in range(count))
        sender = threading.Thread(target=client.send, args=(data,))
        sender.start()
        peak, last, still = before, before, 0
        deadline = time.monotonic() + 60
        while still < 6 and time.monotonic() < deadline:
            time.sleep(0.5)
            rss = vm_rss(daemon.proc.pid)
            still = still + 1 if abs(rss - last) < (1 << 20) else 0
            peak, last = max(peak, rss), rss
        print("ppd VmRSS %.1f MiB before, %.1f MiB at most while the client did not read"
              % (before / 2**20, peak / 2**20))
        if not sanitized(daemon.proc.pid):
            assert peak - before < 28 << 20, (before, peak)
        ids = set()
        for _ in range(count):
            header, body = client.recv()
            assert header["t"] == "res" and header["ok"], header
            assert json.loads(body) == "x" * 10000
            ids.add(header["id"])
        sender.join(TIMEOUT)
        assert ids == set(range(count))


def big_source(n):
    return "def f%d():\n    return %d\n# %s\n" % (n, n, "x" * (5 << 20))


def test_definitions_are_bounded(ppd):
    """20 distinct 5 MiB sources: ppd keeps about 16 MiB of them; a job whose
    definition went is answered "undefined" and runs once defined again."""
    daemon = ppd()
    with Client(daemon.port) as client:
        client.handshake()
        check_serves(daemon.port)
        before = vm_rss(daemon.proc.pid)
        keys = []
        for n in range(20):
            keys.append(client.define("f%d" % n, big_source(n)))
            job = client.submit(keys[-1])
            assert client.result() == (job, n)
        after = vm_rss(daemon.proc.pid)
        print("ppd VmRSS %.1f MiB before, %.1f MiB after 20 x 5 MiB definitions"
              % (before / 2**20, after / 2**20))
        if not sanitized(daemon.proc.pid):
            assert after - before < 48 << 20, (before, after)
        job = client.submit(keys[0])
        header, _ = client.recv()
        assert header["id"] == job and not header["ok"], header
        assert header["undefined"] is True and header["etype"] == "LookupError", header
        assert client.define("f0", big_source(0)) == keys[0]
        job = client.submit(keys[0])
        assert client.result() == (job, 0)


def test_address_with_ten_failures_waiting_is_refused(ppd):
    """Failed handshakes wait for their answer outside the pending slots, 10
    per address at most: beyond that the address is refused, others are not."""
    daemon = ppd()
    waiting = []

    def fail_without_waiting():
        client = Client(sock=connect_from(daemon.port, "127.0.0.1"))
        nonce = os.urandom(32).hex()
        try:
            client.send(frame({"t": "hello", "proto": 1, "nonce": nonce}))
            challenge = client.recv()
        except ConnectionResetError:
            challenge = None
        if challenge is None:
            client.close()
            return False
        client.send(frame({"t": "auth", "proof": proof("wrong", b"pp-glib client",
                                                        challenge[0]["nonce"], nonce)}))
        waiting.append(client)
        return True

    try:
        for _ in range(10):
            assert fail_without_waiting()
        time.sleep(2)       # the first few answers (0.1 s doubling) came
        tries = 0
        while fail_without_waiting():
            tries += 1
            assert tries <= 10
        assert timed_serve(daemon.port, "127.0.0.2") < 2
        for client in waiting:
            assert [f[0]["code"] for f in client.recv_until_closed()] == ["auth"]
    finally:
        for client in waiting:
            client.close()
    assert daemon.stop() == 0
    daemon.wait_for(r"\d+ more failed handshakes from 127\.0\.0\.1 in the last \d+ s")


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


COUNTER_SOURCE = """\
COUNT = 0
def bump():
    global COUNT
    COUNT += 1
    return COUNT
"""


def test_two_clients_with_the_same_source_keep_their_own_state(ppd):
    # The same function (the same key) from two clients runs on ppd's one
    # worker under a key salted per connection: each client's module-level
    # state is its own, as if each had a node to itself.
    daemon = ppd()
    with Client(daemon.port) as one, Client(daemon.port) as two:
        one.handshake()
        two.handshake()
        key_one = one.define("bump", COUNTER_SOURCE)
        key_two = two.define("bump", COUNTER_SOURCE)
        assert key_one == key_two
        for expected in (1, 2, 3):
            job = one.submit(key_one)
            assert one.result() == (job, expected)
        job = two.submit(key_two)
        assert two.result() == (job, 1)


def test_ppserver_config_file_read_as_configobj_reads_it(tmp_path):
    """ppserver.py reads its file with ConfigObj: quotes come off and "#"
    starts a comment, so the secret is the one pp's clients use."""
    config = write_config(tmp_path / "quoted.conf", (
        "[general]\n"
        "secret = \"my secret # not a comment\"   # the secret, quoted\n"
        "workers = 1  # one\n"
        "[network]\n"
        "interface = '127.0.0.1'\n"
        "port = 0 # any\n"))
    with Ppd("-c", config, "--no-dbus", secret=None, env=base_env()) as daemon:
        daemon.wait_for(r"listening on 127\.0\.0\.1:\d+ with 1 worker\n")
        check_serves(daemon.port, secret="my secret # not a comment")
        assert daemon.stop() == 0
    config = write_config(tmp_path / "triple.conf", "[general]\nsecret = '''it's'''\n"
                          "[network]\ninterface = 127.0.0.1\nport = 0\n")
    with Ppd("-c", config, "--no-dbus", "-w", "1", secret=None, env=base_env()) as daemon:
        check_serves(daemon.port, secret="it's")
        assert daemon.stop() == 0
    for text, message in (
            ("secret = \"s3cr3t-open\n", "[general] secret: has no closing quote"),
            ("secret = \"s3cr3t\"x\n", "[general] secret: has text after its closing quote"),
            ("secret = s3cr3t,x\n", "[general] secret: holds a comma, which makes it a list"),
            ("secret = s3cr3t#x\n", "[general] secret: holds a \"#\": quote the value"),
            ("workers = '2\n", "[general] workers: has no closing quote")):
        result = run_ppd("-c", write_config(tmp_path / "bad.conf", "[general]\n" + text))
        assert result.returncode == 2, result.stderr
        assert message in result.stderr, result.stderr
        assert "s3cr3t" not in result.stderr


def test_readable_secret_file_of_another_user_is_said_to_be_theirs(tmp_path, other_user):
    """Told to chmod a file that is not ours, we could not: the owner comes
    first."""
    path = tmp_path / "theirs"
    path.write_text("0123456789abcdef" * 4 + "\n")
    path.chmod(0o644)
    os.chown(path, other_user.uid, other_user.gid)
    result = run_ppd("-p", "0", "--secret-file", str(path))
    assert result.returncode == 2
    assert ("The secret file “%s” belongs to another user (uid %d)"
            % (path, other_user.uid)) in result.stderr
    assert "chmod" not in result.stderr


def test_ppserver_config_file_of_another_user_gives_no_secret(tmp_path, other_user):
    """Its owner could put a secret of theirs in it: refused, even by root,
    as --secret-file is."""
    config = write_config(tmp_path / "theirs.conf", "[general]\nsecret = s3cr3t-theirs\n")
    os.chown(config, other_user.uid, other_user.gid)
    result = run_ppd("-c", config)
    assert result.returncode == 2, result.stderr
    assert ("[general] secret: the file holds a secret but belongs to another user (uid %d)"
            % other_user.uid) in result.stderr
    assert "s3cr3t" not in result.stderr
    config = write_config(tmp_path / "settings.conf", "[general]\nworkers = 1\n", 0o644)
    os.chown(config, other_user.uid, other_user.gid)
    with Ppd("-c", config, "-p", "0", "-i", "127.0.0.1", "--no-dbus") as daemon:
        daemon.wait_for(r"with 1 worker\n")       # settings without a secret are fine
        assert daemon.stop() == 0
