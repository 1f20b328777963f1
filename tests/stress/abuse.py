#!/usr/bin/env python3
# abuse.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The attacks of the trust issue against a real ppd on loopback, while a
legitimate pp client runs jobs through it the whole time.

  a. idle pre-authentication sockets (1,000+ from many addresses, re-opened
     as ppd drops them): a new client still gets in, jobs flow;
  b. a wrong-secret flood (N attempts a second for T seconds);
  c. an authenticated client that submits jobs with large results and never
     reads them: ppd's memory plateaus, then recovers when it leaves;
  d. huge frames: a 1 GiB length field before and after authentication, a
     2 MiB header, a 100 MiB function source;
  e. the HTTP port: 1,000 connections, headers a byte a second, a WebSocket
     event reader that never reads.

For each: what ppd held at the peak (file descriptors, resident memory,
sockets), the legitimate client's latency and throughput before and during,
the time ppd took to recover after the attack (its descriptors back to the
baseline and a fresh client served at once). The limits ppd promises
(README "A hostile network next to ppd", ppd(1)) are printed first and
checked: a broken promise is a FAIL (exit status 1).

  ./dev.sh env /usr/bin/python3 tests/stress/abuse.py [--smoke] [--only a,b,...]
"""

import argparse
import hashlib
import hmac
import json
import os
import re
import resource
import selectors
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import sampling  # tests/stress/sampling.py, beside this script

TOP = Path(__file__).resolve().parents[2]
SECRET = "abuse-secret-6f1c0e2a9d"
# Under AddressSanitizer (the suite's ASan run) ppd's memory carries the
# sanitizer's shadow and allocator caches too: the memory bounds get this
# much more room (MiB).
ASAN_SLACK = 64 if "ASAN_OPTIONS" in os.environ else 0
LIMITS = """\
limits (README, ppd(1)): handshake within 5 s; 256 connections in their handshake,
  10 per address (a newcomer displaces the oldest); failed handshakes answered after
  0.1 s doubling to 5 s per address, 10 waiting at most per address; listen backlog 1024;
  an authenticated client is not read while 16 MiB of its results wait or 130 jobs
  per worker are unanswered, and none of its jobs goes to a worker while 16 MiB wait; frame headers <= 1 MiB (4 KiB before auth), bodies <= 512 MiB;
  HTTP: 32 connections per address, 256 in all, headers within 10 s, 16 event readers,
  a reader 4 MiB behind is closed (1008)"""

FULL = dict(idle_sockets=1200, idle_seconds=15, flood_rate=400, flood_seconds=15,
            nonreader_seconds=20, big_source_mib=100, http_conns=1000, http_seconds=15,
            reader_seconds=60)
SMOKE = dict(idle_sockets=400, idle_seconds=3, flood_rate=150, flood_seconds=3,
             nonreader_seconds=4, big_source_mib=8, http_conns=300, http_seconds=3,
             reader_seconds=0)


# ---- frames and the handshake ----------------------------------------------

def frame(header, body=b""):
    data = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">II", len(data), len(body)) + data + body


def recv_exact(sock, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def read_frame(sock):
    hlen, blen = struct.unpack(">II", recv_exact(sock, 8))
    return json.loads(recv_exact(sock, hlen)), recv_exact(sock, blen)


def proof(secret, label, first, second):
    return hmac.new(secret.encode(), label + b"\0" + first.encode() + b"\0" + second.encode()
                    + b"\0", hashlib.sha256).hexdigest()


def hello():
    return {"t": "hello", "proto": 1, "nonce": os.urandom(32).hex(), "agent": "abuse"}


def handshake(port, secret=SECRET, timeout=10, source=None):
    """A connection authenticated with secret (raises on refusal)."""
    sock = socket.socket()
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    mine = hello()
    sock.sendall(frame(mine))
    challenge, _ = read_frame(sock)
    if challenge.get("t") != "challenge":
        sock.close()
        raise ConnectionError("no challenge: %r" % challenge)
    sock.sendall(frame({"t": "auth", "proof": proof(secret, b"pp-glib client", challenge["nonce"],
                                                      mine["nonce"])}))
    welcome, _ = read_frame(sock)
    if welcome.get("t") != "welcome":
        sock.close()
        raise ConnectionError("refused: %r" % welcome)
    sock.settimeout(None)
    return sock


def function_def(name, source):
    key = hashlib.sha256(name.encode() + b"\0" + b"\0" + source).hexdigest()
    return key, frame({"t": "def", "key": key, "name": name, "modules": []}, source)


def probe_job(port, timeout=10):
    """A fresh client: handshake, a def, a job, its result. Seconds taken."""
    start = time.monotonic()
    sock = handshake(port, timeout=timeout)
    try:
        sock.settimeout(timeout)
        key, define = function_def("probe", b"def probe(x):\n    return x + 1\n")
        sock.sendall(define + frame({"t": "job", "id": 1, "key": key, "fmt": "json"}, b"[41]"))
        while True:
            header, body = read_frame(sock)
            if header.get("t") == "res":
                break
        if not header.get("ok") or body[header.get("olen", 0):] != b"42":
            raise ConnectionError("probe job failed: %r" % header)
    finally:
        sock.close()
    return time.monotonic() - start


# ---- ppd and what it holds ---------------------------------------------------

class Ppd:
    LISTENING = re.compile(rb"listening on 127\.0\.0\.1:(\d+)")
    HTTP = re.compile(rb"HTTP on http://127\.0\.0\.1:(\d+)/")

    def __init__(self, exe, workdir):
        self.log = workdir / "ppd.log"
        env = dict(os.environ, PP_SECRET=SECRET, XDG_CONFIG_HOME=str(workdir),
                   XDG_RUNTIME_DIR=str(workdir))
        if "ASAN_OPTIONS" in env:
            # ASan keeps freed memory aside (256 MB by default): RSS would
            # measure its quarantine, not ppd.
            env["ASAN_OPTIONS"] += ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
        with open(self.log, "wb") as stderr:
            self.proc = subprocess.Popen(
                [exe, "-p", "0", "-i", "127.0.0.1", "-w", "2", "--no-dbus", "--http-port", "0",
                 "-P", str(workdir / "ppd.pid"), "--python", sys.executable],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr)
        self.token = subprocess.run([exe, "--print-http-token"], env=env, capture_output=True,
                                    text=True, check=True).stdout.strip()
        deadline = time.monotonic() + 60
        while True:
            text = self.log.read_bytes()
            port, http = self.LISTENING.search(text), self.HTTP.search(text)
            if port and http:
                self.port, self.http_port = int(port.group(1)), int(http.group(1))
                break
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise SystemExit("RESULT: FAIL ppd did not start:\n" + text.decode(errors="replace"))
            time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def fds(self):
        try:
            return len(os.listdir("/proc/%d/fd" % self.proc.pid))
        except OSError:
            return 0

    def sockets(self):
        n = 0
        try:
            for fd in os.listdir("/proc/%d/fd" % self.proc.pid):
                try:
                    n += os.readlink("/proc/%d/fd/%s" % (self.proc.pid, fd)).startswith("socket:")
                except OSError:
                    pass
        except OSError:
            pass
        return n

    def rss_mib(self, pid=None):
        try:
            with open("/proc/%d/status" % (pid or self.proc.pid)) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def workers_rss_mib(self):
        total = 0.0
        try:
            for tid in os.listdir("/proc/%d/task" % self.proc.pid):
                with open("/proc/%d/task/%s/children" % (self.proc.pid, tid)) as f:
                    total += sum(self.rss_mib(int(pid)) for pid in f.read().split())
        except OSError:
            pass
        return total

    def metrics(self, tries=20):
        """/metrics as a dict (sample name with labels: value)."""
        for attempt in range(tries):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.http_port,
                                            timeout=10) as answer:
                    text = answer.read().decode()
                break
            except OSError:
                if attempt == tries - 1:
                    raise
                time.sleep(0.5)
        return {m.group(1): float(m.group(2))
                for m in re.finditer(r"^(\w+(?:\{[^}]*\})?) (\S+)$", text, re.M)}

    def status(self):
        request = urllib.request.Request("http://127.0.0.1:%d/api/v1/status" % self.http_port,
                                         headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def log_text(self):
        return self.log.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self.proc.wait()


class Sampler(threading.Thread):
    """ppd's fds, sockets and RSS every 0.1 s; peaks per phase."""

    def __init__(self, ppd):
        super().__init__(daemon=True)
        self.ppd = ppd
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.reset()

    def reset(self):
        with self.lock:
            self.peak = {"fds": 0, "sockets": 0, "rss": 0.0, "workers_rss": 0.0}
            self.rss_series = []

    def run(self):
        while not self.stopping.wait(0.1):
            now = {"fds": self.ppd.fds(), "sockets": self.ppd.sockets(),
                   "rss": self.ppd.rss_mib(), "workers_rss": self.ppd.workers_rss_mib()}
            with self.lock:
                for k, v in now.items():
                    self.peak[k] = max(self.peak[k], v)
                self.rss_series.append((time.monotonic(), now["rss"]))


# ---- the legitimate client (a process of its own) ---------------------------

def legit_main(port):
    """Runs in a child: one job alone (its latency), then a batch of 20
    (throughput), over and over; a JSON line per round on stdout."""
    sys.path.insert(0, str(TOP / "python"))
    import pp
    server = pp.Server(0, ppservers=("127.0.0.1:%d" % port,), secret=SECRET, socket_timeout=30)
    deadline = time.monotonic() + 30
    while len(server.get_active_nodes()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps({"ready": True}), flush=True)
    i = 0
    while True:
        try:
            t0 = time.monotonic()
            assert server.submit(legit_job, (i,))() == i + 1
            latency = time.monotonic() - t0
            t1 = time.monotonic()
            jobs = [server.submit(legit_job, (k,)) for k in range(20)]
            assert [j() for j in jobs] == [k + 1 for k in range(20)]
            print(json.dumps({"t": time.time(), "lat": latency, "n": 21,
                              "dt": time.monotonic() - t0, "bt": time.monotonic() - t1}),
                  flush=True)
        except Exception as error:  # noqa: BLE001 (reported to the parent)
            print(json.dumps({"t": time.time(), "error": repr(error)}), flush=True)
            time.sleep(0.1)
        i += 1


def legit_job(x):
    return x + 1


class Legit:
    def __init__(self, port):
        env = dict(os.environ, PYTHONPATH=str(TOP / "python") + ":" + os.environ.get("PYTHONPATH", ""))
        self.proc = subprocess.Popen([sys.executable, __file__, "--legit", str(port)], env=env,
                                     stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        self.samples = []
        self.errors = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()
        if not self.ready.wait(60):
            self.stop()
            raise SystemExit("RESULT: FAIL the legitimate client did not connect")

    def _read(self):
        for line in self.proc.stdout:
            record = json.loads(line)
            if record.get("ready"):
                self.ready.set()
            elif "error" in record:
                self.errors.append(record)
            else:
                self.samples.append(record)

    def window(self, t0, t1):
        """Latency p50/max (ms), jobs/s and the longest gap between rounds."""
        rounds = [s for s in self.samples if t0 <= s["t"] <= t1]
        times = sorted([t0] + [s["t"] for s in rounds] + [t1])
        gap = max(b - a for a, b in zip(times, times[1:]))
        if not rounds:
            return {"p50": float("nan"), "max": float("nan"), "jobs_s": 0.0, "gap": gap,
                    "errors": sum(t0 <= e["t"] <= t1 for e in self.errors)}
        lat = [s["lat"] * 1000 for s in rounds]
        return {"p50": statistics.median(lat), "max": max(lat),
                "jobs_s": sum(s["n"] for s in rounds) / (t1 - t0), "gap": gap,
                "errors": sum(t0 <= e["t"] <= t1 for e in self.errors)}

    def stop(self):
        self.proc.kill()
        self.proc.wait()


# ---- a phase: baseline, attack, recovery -------------------------------------

class Run:
    def __init__(self, ppd, legit, sampler):
        self.ppd, self.legit, self.sampler = ppd, legit, sampler
        self.failures = []
        self.base_fds = ppd.fds()
        self.base_rss = self.phase_rss = ppd.rss_mib()

    def check(self, ok, what):
        if not ok:
            self.failures.append(what)
            print("  BROKEN: " + what, flush=True)

    def baseline(self, seconds=2.0):
        self.phase_rss = self.ppd.rss_mib()
        t0 = time.time()
        time.sleep(seconds)
        return self.legit.window(t0, time.time())

    def recover(self, base_fds, limit=30.0):
        """Seconds until ppd's fds are back to base_fds (+2) and a fresh client's
        job is served within 1 s; None when not within limit."""
        start = time.monotonic()
        while time.monotonic() - start < limit:
            if self.ppd.fds() <= base_fds + 2:
                try:
                    if probe_job(self.ppd.port, timeout=5) < 1.0:
                        return time.monotonic() - start
                except (OSError, ConnectionError):
                    pass
            time.sleep(0.05)
        return None

    def report(self, name, before, during, extra=""):
        peak = self.sampler.peak
        print("  ppd held at peak: %d fds (%d sockets), RSS %.1f MiB (%.1f before), workers %.1f MiB"
              % (peak["fds"], peak["sockets"], peak["rss"], self.phase_rss, peak["workers_rss"]))
        print("  legit client before: p50 %.1f ms, max %.1f ms, %.0f jobs/s" % (
            before["p50"], before["max"], before["jobs_s"]))
        print("  legit client during: p50 %.1f ms, max %.1f ms, %.0f jobs/s, longest gap %.2f s, "
              "%d errors" % (during["p50"], during["max"], during["jobs_s"], during["gap"],
                             during["errors"]))
        if extra:
            print("  " + extra)
        self.check(self.ppd.alive(), "%s: ppd died" % name)
        self.check(during["errors"] == 0, "%s: the legitimate client's jobs failed" % name)
        self.check(during["jobs_s"] > 0 and during["gap"] < 10,
                   "%s: the legitimate client stalled (%.1f s without a result)" % (name, during["gap"]))

    def recovery(self, name, base_fds):
        took = self.recover(base_fds)
        if took is None:
            self.check(False, "%s: ppd did not recover within 30 s (%d fds, baseline %d)" % (
                name, self.ppd.fds(), base_fds))
        else:
            print("  recovered in %.2f s (fds %d, baseline %d; a fresh client served)" % (
                took, self.ppd.fds(), base_fds), flush=True)


def sources(count):
    """count distinct loopback source addresses (127.0.0.0/8 is all ours)."""
    return ["127.%d.%d.%d" % (10 + i // 62500, (i // 250) % 250, i % 250 + 2) for i in range(count)]


def open_idle(port, source):
    sock = socket.socket()
    sock.setblocking(False)
    sock.bind((source, 0))
    try:
        sock.connect(("127.0.0.1", port))
    except BlockingIOError:
        pass
    except OSError:
        sock.close()
        return None
    return sock


class IdlePool:
    """count idle connections to 127.0.0.1:port, from addresses in turn,
    each one ppd drops re-opened from its address (by hold())."""

    def __init__(self, port, count, addresses):
        self.port = port
        self.sel = selectors.DefaultSelector()
        self.opened = self.dropped = 0
        for i in range(count):
            self._open(addresses[i % len(addresses)])

    def _open(self, source):
        sock = open_idle(self.port, source)
        if sock:
            self.sel.register(sock, selectors.EVENT_READ, source)
            self.opened += 1

    def hold(self, seconds, probe):
        """Keeps the pool full for seconds, calling probe() (a new client's
        try) every 0.5 s: the seconds of the tries that worked, and the
        errors (OSError) of those that failed."""
        probes, failures = [], []
        end = time.monotonic() + seconds
        next_probe = 0
        while time.monotonic() < end:
            for key, _ in self.sel.select(0.02):
                self.sel.unregister(key.fileobj)
                key.fileobj.close()
                self.dropped += 1
                self._open(key.data)
            if time.monotonic() >= next_probe:
                next_probe = time.monotonic() + 0.5
                start = time.monotonic()
                try:
                    probe()
                    probes.append(time.monotonic() - start)
                except OSError as error:
                    failures.append(repr(error))
        return probes, failures

    def close(self):
        for key in list(self.sel.get_map().values()):
            key.fileobj.close()
        self.sel.close()


# ---- a: idle pre-authentication sockets --------------------------------------

def attack_idle(run, p):
    print("\na. %d idle pre-authentication sockets from %d addresses for %d s, re-opened as "
          "ppd drops them" % (p["idle_sockets"], p["idle_sockets"] // 4, p["idle_seconds"]), flush=True)
    before = run.baseline()
    base_fds = run.ppd.fds()
    run.sampler.reset()
    pool = IdlePool(run.ppd.port, p["idle_sockets"], sources(p["idle_sockets"] // 4))
    t0 = time.time()
    probes, probe_failures = pool.hold(p["idle_seconds"],
                                       lambda: probe_job(run.ppd.port, timeout=10))
    during = run.legit.window(t0, time.time())
    pool.close()
    run.report("a", before, during,
               "attacker opened %d sockets, ppd closed %d of them; new clients during the attack: "
               "%d served (connect + handshake + job p50 %.0f ms, max %.0f ms), %d failed" % (
                   pool.opened, pool.dropped, len(probes),
                   1000 * statistics.median(probes) if probes else -1,
                   1000 * max(probes) if probes else -1, len(probe_failures)))
    run.check(probes and not probe_failures, "a: a new client could not get in: %s" % probe_failures[:3])
    run.check(run.sampler.peak["sockets"] < 256 + 64 + 32,
              "a: ppd held %d sockets (256 pending at most)" % run.sampler.peak["sockets"])
    # Each closed connection is freed at once, however busy ppd is (they
    # used to wait for an idle moment: 64 KiB each piled up).
    run.check(run.sampler.peak["rss"] < run.phase_rss + 32 + ASAN_SLACK,
              "a: ppd grew from %.0f to %.0f MiB while idle sockets came and went" % (
                  run.phase_rss, run.sampler.peak["rss"]))
    run.recovery("a", base_fds)


# ---- b: a wrong-secret flood -------------------------------------------------

class Flooder:
    """Handshakes with a wrong secret, rate a second from many addresses,
    driven by one selector: connect, hello, challenge, a wrong proof, the
    answer."""

    def __init__(self, port, rate, addresses):
        self.port, self.rate, self.addresses = port, rate, addresses
        self.sel = selectors.DefaultSelector()
        self.counts = {"attempts": 0, "challenged": 0, "auth_errors": 0, "closed_at_once": 0,
                       "other": 0, "unanswered": 0}
        self.answer_delays = []

    def start_one(self, i):
        source = self.addresses[i % len(self.addresses)]
        sock = open_idle(self.port, source)
        self.counts["attempts"] += 1
        if sock is None:
            self.counts["closed_at_once"] += 1
            return
        state = {"buf": b"", "hello": None, "sent_auth": None}
        self.sel.register(sock, selectors.EVENT_WRITE, state)

    def step(self, sock, state, events):
        if events & selectors.EVENT_WRITE and state["hello"] is None:
            state["hello"] = hello()
            try:
                sock.send(frame(state["hello"]))
            except OSError:
                return self.finish(sock, "closed_at_once")
            self.sel.modify(sock, selectors.EVENT_READ, state)
            return
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:
            return self.finish(sock, "closed_at_once" if state["sent_auth"] is None else "other")
        state["buf"] += data
        while len(state["buf"]) >= 8:
            hlen, blen = struct.unpack(">II", state["buf"][:8])
            if len(state["buf"]) < 8 + hlen + blen:
                return
            header = json.loads(state["buf"][8:8 + hlen])
            state["buf"] = state["buf"][8 + hlen + blen:]
            if header.get("t") == "challenge":
                self.counts["challenged"] += 1
                wrong = proof("not-the-secret", b"pp-glib client", header["nonce"],
                              state["hello"]["nonce"])
                state["sent_auth"] = time.monotonic()
                try:
                    sock.send(frame({"t": "auth", "proof": wrong}))
                except OSError:
                    return self.finish(sock, "other")
            elif header.get("t") == "error" and header.get("code") == "auth":
                self.answer_delays.append(time.monotonic() - state["sent_auth"])
                return self.finish(sock, "auth_errors")
            else:
                return self.finish(sock, "other")

    def finish(self, sock, what):
        self.counts[what] += 1
        self.sel.unregister(sock)
        sock.close()

    def run(self, seconds):
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            due = int((time.monotonic() - start) * self.rate)
            while i < due:
                self.start_one(i)
                i += 1
            for key, events in self.sel.select(0.005):
                self.step(key.fileobj, key.data, events)
        # The answers held back (up to 5 s) still come.
        end = time.monotonic() + 6
        while self.sel.get_map() and time.monotonic() < end:
            for key, events in self.sel.select(0.05):
                self.step(key.fileobj, key.data, events)
        for key in list(self.sel.get_map().values()):
            self.counts["unanswered"] += 1
            key.fileobj.close()
        self.sel.close()


def attack_flood(run, p):
    naddr = 20
    print("\nb. wrong-secret flood: %d handshakes a second for %d s from %d addresses" % (
        p["flood_rate"], p["flood_seconds"], naddr), flush=True)
    before = run.baseline()
    base_fds = run.ppd.fds()
    log_start = len(run.ppd.log_text())
    failures0 = run.ppd.metrics().get("ppd_handshake_failures_total", 0)
    run.sampler.reset()
    flooder = Flooder(run.ppd.port, p["flood_rate"], sources(naddr + 2000)[2000:])
    probes = []
    stop = threading.Event()

    def probing():
        while not stop.wait(0.5):
            try:
                probes.append(probe_job(run.ppd.port))
            except (OSError, ConnectionError) as error:
                probes.append(error)

    prober = threading.Thread(target=probing)
    t0 = time.time()
    prober.start()
    flooder.run(p["flood_seconds"])
    stop.set()
    prober.join()
    during = run.legit.window(t0, t0 + p["flood_seconds"])
    # What the flood made ppd log (not the probes' connects and disconnects).
    log = "".join(line for line in run.ppd.log_text()[log_start:].splitlines(True)
                  if not re.search(r"(?:dis)?connected", line))
    logged = len(re.findall(r"client 127\.\d+\.\d+\.\d+:\d+: .*(?:secret|auth|proof)", log, re.I))
    summed = sum(int(n) for n in re.findall(r"(\d+) more failed handshakes", log))
    ok_probes = [x for x in probes if isinstance(x, float)]
    delays = sorted(flooder.answer_delays)
    counted = run.ppd.metrics().get("ppd_handshake_failures_total", 0) - failures0
    run.report("b", before, during,
               "attempts %(attempts)d: challenged %(challenged)d, refused with 'auth' %(auth_errors)d, "
               "closed at once %(closed_at_once)d, other %(other)d, unanswered %(unanswered)d"
               % flooder.counts + "\n  refusals answered after p50 %.2f s, max %.2f s; ppd logged "
               "%d in full and %d summed up (%d lines for the flood); /metrics "
               "ppd_handshake_failures_total +%d\n  new legit clients during the flood: "
               "%d served (p50 %.0f ms), %d failed" % (
                   statistics.median(delays) if delays else -1, delays[-1] if delays else -1,
                   logged, summed, log.count("\n"), counted, len(ok_probes),
                   1000 * statistics.median(ok_probes) if ok_probes else -1,
                   len(probes) - len(ok_probes)))
    run.check(ok_probes and len(ok_probes) == len(probes),
              "b: legit clients refused during the flood: %s" % [x for x in probes if
                                                                  not isinstance(x, float)][:3])
    run.check(flooder.counts["other"] == 0 or flooder.counts["auth_errors"] > 0,
              "b: wrong secrets were not refused with 'auth'")
    refused = flooder.counts["auth_errors"] + flooder.counts["closed_at_once"]
    run.check(counted >= refused, "b: /metrics counted %d handshake failures of %d" % (
        counted, refused))
    # ppd's budget: 20 lines in full per 10 s, and the summaries (at most 6).
    budget = 26 * (1 + (p["flood_seconds"] + 10) // 10)
    run.check(log.count("\n") <= budget,
              "b: ppd logged %d lines for the flood (budget %d)" % (log.count("\n"), budget))
    run.recovery("b", base_fds)


# ---- c: a client that never reads --------------------------------------------

def attack_nonreader(run, p):
    size = p["result_kib"] * 1024
    print("\nc. an authenticated client submits jobs of %d KiB results for %d s and never reads"
          % (size // 1024, p["nonreader_seconds"]), flush=True)
    before = run.baseline()
    base_fds = run.ppd.fds()
    run.sampler.reset()
    sock = handshake(run.ppd.port, source="127.0.0.5")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    key, define = function_def("big", b"def big(n):\n    return 'x' * n\n")
    sock.sendall(define)
    sock.setblocking(False)
    t0 = time.time()
    end = time.monotonic() + p["nonreader_seconds"]
    sent = 0
    pending = b""
    while time.monotonic() < end:
        if not pending:
            pending = frame({"t": "job", "id": sent, "key": key, "fmt": "json"}, b"[%d]" % size)
            sent += 1
        try:
            n = sock.send(pending)
            pending = pending[n:]
        except BlockingIOError:
            time.sleep(0.01)
        except OSError as error:
            print("  the non-reader was disconnected: %r" % error)
            break
    t1 = time.time()
    during = run.legit.window(t0, t1)
    # The jobs ppd ran for it (the rest of what it sent waits in the
    # kernel's socket buffers).
    ran = sum(c["jobs_done"] for c in run.ppd.status()["clients"]
              if c["address"].startswith("127.0.0.5:"))
    # While 16 MiB wait, none of its jobs goes to a worker: only those the
    # 2 workers were running still end (and a few MiB of results sit in the
    # kernel's socket buffers, not in ppd).
    in_flight = 2
    bound = 16 + in_flight * size / 2**20
    with run.sampler.lock:
        series = list(run.sampler.rss_series)
    half = series[len(series) // 2:]
    plateau = (max(r for _, r in half) if half else 0.0)
    growth = (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0]) if len(half) > 2 else 0.0
    run.report("c", before, during,
               "the non-reader wrote %d jobs (most wait in the kernel's socket buffers); ppd ran "
               "%.0f of them, then stopped reading it\n  ppd's RSS over the second half: plateau "
               "%.1f MiB, slope %+.2f MiB/s; what it may hold: 16 MiB of output + %d jobs in flight "
               "x %d KiB = %.0f MiB" % (sent, ran, plateau, growth, in_flight, size // 1024, bound))
    run.check(ran <= in_flight + 16 * 2**20 // size + 8 * 2**20 // size + 2,
              "c: ppd ran %d jobs for a client that reads nothing (backpressure)" % ran)
    run.check(run.sampler.peak["rss"] < run.phase_rss + 2 * bound + 32 + ASAN_SLACK,
              "c: ppd grew to %.0f MiB for a non-reading client" % run.sampler.peak["rss"])
    run.check(abs(growth) < 1.0, "c: ppd's RSS still grew %.2f MiB/s at the end" % growth)
    closed = time.monotonic()
    sock.close()
    run.recovery("c", base_fds)
    print("  ppd's RSS %.1f s after the disconnect: %.1f MiB" % (
        time.monotonic() - closed, run.ppd.rss_mib()), flush=True)


# ---- d: huge frames ----------------------------------------------------------

def expect_refusal(sock, what, timeout=10):
    """The answer to something ppd must refuse: its error frame or the close."""
    sock.settimeout(timeout)
    start = time.monotonic()
    try:
        header, _ = read_frame(sock)
        answer = "error %s: %s" % (header.get("code"), header.get("message", "")[:90]) \
            if header.get("t") == "error" else "unexpected %r" % header
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
    except (ConnectionError, OSError) as error:
        answer = "closed (%s)" % type(error).__name__
        if isinstance(error, socket.timeout):
            answer = "NO ANSWER within %d s" % timeout
    finally:
        sock.close()
    took = time.monotonic() - start
    print("  %-46s -> %s in %.3f s" % (what, answer, took), flush=True)
    return answer, took


def attack_huge(run, p):
    print("\nd. huge frames", flush=True)
    before = run.baseline()
    base_fds = run.ppd.fds()
    run.sampler.reset()
    t0 = time.time()
    answers = []
    # Before authentication: a 1 GiB header length, then a 1 GiB body.
    sock = socket.create_connection(("127.0.0.1", run.ppd.port))
    sock.sendall(struct.pack(">II", 1 << 30, 0))
    answers.append(expect_refusal(sock, "pre-auth: header_len 1 GiB"))
    sock = socket.create_connection(("127.0.0.1", run.ppd.port))
    h = json.dumps(hello()).encode()
    sock.sendall(struct.pack(">II", len(h), 1 << 30) + h)
    answers.append(expect_refusal(sock, "pre-auth: hello with body_len 1 GiB"))
    # After: a 1 GiB body length, a 2 MiB header.
    sock = handshake(run.ppd.port)
    sock.sendall(struct.pack(">II", 20, 1 << 30) + b'{"t":"def","key":""}')
    answers.append(expect_refusal(sock, "authenticated: body_len 1 GiB"))
    sock = handshake(run.ppd.port)
    sock.sendall(struct.pack(">II", 2 << 20, 0))
    answers.append(expect_refusal(sock, "authenticated: header_len 2 MiB"))
    sock = handshake(run.ppd.port)
    sock.sendall(struct.pack(">II", 0xFFFFFFFF, 0xFFFFFFFF))
    answers.append(expect_refusal(sock, "authenticated: both lengths 4 GiB - 1"))
    for answer, took in answers:
        run.check(not answer.startswith(("NO ANSWER", "unexpected")) and took < 6,
                  "d: a huge length was not refused at once: %s" % answer)
    # A source of big_source_mib MiB, really sent, then its job.
    mib = p["big_source_mib"]
    line = b"# " + b"x" * 1021 + b"\n"
    source = b"def huge(x):\n    return x * 2\n" + line * (mib * 1024)
    sock = handshake(run.ppd.port)
    key, define = function_def("huge", source)
    start = time.monotonic()
    sock.settimeout(300)
    sock.sendall(define + frame({"t": "job", "id": 7, "key": key, "fmt": "json"}, b"[21]"))
    try:
        header, body = read_frame(sock)
        outcome = "result %s" % body[header.get("olen", 0):].decode() if header.get("ok") else \
            "refused: %s %s" % (header.get("etype") or header.get("code"),
                                (header.get("emsg") or header.get("message") or "")[:80])
    except (ConnectionError, OSError) as error:
        outcome = "connection closed (%r)" % error
    sock.close()
    print("  a %d MiB function source and its job     -> %s in %.2f s" % (
        mib, outcome, time.monotonic() - start), flush=True)
    during = run.legit.window(t0, time.time())
    run.report("d", before, during)
    run.check(run.sampler.peak["rss"] < run.phase_rss + 6 * mib + 64 + ASAN_SLACK,
              "d: ppd grew to %.0f MiB for a %d MiB source" % (run.sampler.peak["rss"], mib))
    run.recovery("d", base_fds)
    print("  ppd's RSS after: %.1f MiB" % run.ppd.rss_mib(), flush=True)


# ---- e: the HTTP port --------------------------------------------------------

def attack_http(run, p):
    port = run.ppd.http_port
    naddr = p["http_conns"] // 8
    print("\ne. HTTP port: %d idle connections from %d addresses for %d s, re-opened as ppd "
          "drops them; then 20 slow headers (a byte a second) and a WebSocket reader that never "
          "reads" % (p["http_conns"], naddr, p["http_seconds"]), flush=True)
    before = run.baseline()
    base_fds = run.ppd.fds()
    run.sampler.reset()
    m0 = run.ppd.metrics()
    pool = IdlePool(port, p["http_conns"], sources(naddr + 4000)[4000:])
    t0 = time.time()
    probes, probe_failures = pool.hold(
        p["http_seconds"],
        lambda: urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read())
    held = run.sampler.peak["sockets"]
    during = run.legit.window(t0, time.time())
    pool.close()
    m1 = run.ppd.metrics()
    run.report("e", before, during,
               "attacker opened %d connections, ppd closed %d (refused at once: %d); /metrics for "
               "127.0.0.1 during the attack: %d served (p50 %.0f ms, max %.0f ms), %d failed" % (
                   pool.opened, pool.dropped, m1.get("ppd_http_refused_connections_total", 0)
                   - m0.get("ppd_http_refused_connections_total", 0), len(probes),
                   1000 * statistics.median(probes) if probes else -1,
                   1000 * max(probes) if probes else -1, len(probe_failures)))
    run.check(not probe_failures, "e: /metrics refused to 127.0.0.1 %d times while idle "
              "connections held the port" % len(probe_failures))
    run.check(held < 256 + 64 + 64, "e: ppd held %d sockets (HTTP: 256 at most)" % held)
    run.recovery("e", base_fds)
    if p["reader_seconds"]:
        slow_headers(run, port)
        silent_reader(run, port, p["reader_seconds"])


def slow_headers(run, port):
    request = b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    slow = [open_idle(port, "127.200.0.%d" % (i + 2)) for i in range(20)]
    closed = {}
    start = time.monotonic()
    for i in range(len(request)):
        for k, sock in enumerate(slow):
            if k not in closed:
                try:
                    sock.send(request[i:i + 1])
                except OSError:
                    closed[k] = time.monotonic() - start
        if len(closed) == len(slow):
            break
        time.sleep(1)
    for sock in slow:
        sock.close()
    times = sorted(closed.values())
    print("  20 slow headers (a byte a second): %d closed by ppd, after %.1f to %.1f s" % (
        len(times), times[0] if times else -1, times[-1] if times else -1), flush=True)
    run.check(len(times) == 20 and times[-1] < 15, "e: slow headers were not cut off within 15 s")


def silent_reader(run, port, seconds):
    """A WebSocket reader with a tiny receive buffer that never reads: the
    legit client's job events pile up behind it."""
    m0 = run.ppd.metrics()
    run.sampler.reset()
    rss0 = run.ppd.rss_mib()
    reader = socket.socket()
    reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    reader.connect(("127.0.0.1", port))
    reader.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\nAuthorization: Bearer %s\r\n\r\n"
                    % run.ppd.token).encode())
    start = time.monotonic()
    dropped = None
    while time.monotonic() - start < seconds:
        m = run.ppd.metrics()
        if m.get("ppd_http_event_readers_dropped_total", 0) > m0.get(
                "ppd_http_event_readers_dropped_total", 0):
            dropped = time.monotonic() - start
            break
        time.sleep(0.5)
    reader.close()
    print("  a WebSocket reader that never reads: %s; ppd's RSS %.1f MiB before, %.1f MiB at "
          "the peak" % ("closed by ppd after %.1f s" % dropped if dropped is not None else
                         "NOT closed within %d s" % seconds, rss0, run.sampler.peak["rss"]),
          flush=True)
    run.check(dropped is not None, "e: a WebSocket reader that never reads was kept")


ATTACKS = {"a": attack_idle, "b": attack_flood, "c": attack_nonreader, "d": attack_huge,
           "e": attack_http}


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--legit":
        return legit_main(int(sys.argv[2]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="short and small attacks (< 60 s)")
    parser.add_argument("--only", default="abcde", help="the attacks to run, e.g. 'ac'")
    parser.add_argument("--result-kib", type=int, default=256,
                        help="c: the size of the non-reader's results (KiB)")
    parser.add_argument("--ppd", default=os.environ.get("PPD") or str(TOP / "_build" / "ppd" / "ppd"))
    args = parser.parse_args()
    params = dict(SMOKE if args.smoke else FULL, result_kib=args.result_kib)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < params["idle_sockets"] + params["http_conns"] + 200:
        print("RESULT: FAIL the open files limit (%d) is too low for the attack" % hard)
        return 1
    print(LIMITS)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="pp-abuse-") as workdir:
        ppd = Ppd(args.ppd, Path(workdir))
        legit = sampler = None
        try:
            legit = Legit(ppd.port)
            sampler = Sampler(ppd)
            sampler.start()
            run = Run(ppd, legit, sampler)
            print("ppd pid %d on 127.0.0.1:%d (HTTP %d), 2 workers; at rest: %d fds, RSS %.1f MiB"
                  % (ppd.proc.pid, ppd.port, ppd.http_port, run.base_fds, run.base_rss), flush=True)
            for name in args.only:
                if not ppd.alive():
                    break
                ATTACKS[name](run, params)
            failures = run.failures
            if not ppd.alive():
                failures.append("ppd died (status %s):\n%s" % (ppd.proc.returncode,
                                                              ppd.log_text()[-3000:]))
        finally:
            if sampler:
                sampler.stopping.set()
            if legit:
                legit.stop()
            status = ppd.stop()
    print("\ntotal %.1f s; ppd exited with status %s" % (time.monotonic() - started, status))
    if status != 0:
        failures.append("ppd exited with status %s" % status)
    return sampling.result(failures)


if __name__ == "__main__":
    sys.exit(main())
