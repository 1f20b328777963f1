# tests/stress/cluster.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Restartable ppd nodes on fixed loopback ports, for the stress scripts.

bench/bench_cluster.py starts ppd processes once and stops them once; a
stress script needs to kill one (-9), freeze it (SIGSTOP), restart it on
the port its clients know, and find its worker processes.  A `Node` is one
such ppd: the first start picks a free port (-p 0, read from its log like
bench_cluster.Nodes does), every restart binds that port again.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
import bench_cluster  # noqa: E402  (Nodes.LISTENING, SECRET, ppd_path)
from sampling import children  # noqa: E402  (tests/stress/sampling.py, beside this one)

SECRET = bench_cluster.SECRET


def ppd_path():
    return bench_cluster.ppd_path(REPO / "_build")


def cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def runner_children(pid):
    """The pp-runner.py worker processes that process pid started."""
    return [c for c in children(pid) if "pp-runner" in cmdline(c)]


class Node:
    """One ppd of `workers` workers on 127.0.0.1, logging to workdir/ppd-NAME.log
    (appended across restarts), with the secret in PP_SECRET, workdir as
    XDG_CONFIG_HOME and XDG_RUNTIME_DIR, its own pidfile and no D-Bus.
    extra_env is added to its environment (PP_HEARTBEAT_MS ...)."""

    def __init__(self, exe, name, workers, workdir, extra_env=None):
        self.exe = exe
        self.name = name
        self.workers = workers
        self.workdir = workdir
        self.env = dict(os.environ, PP_SECRET=SECRET, XDG_CONFIG_HOME=workdir,
                        XDG_RUNTIME_DIR=workdir, **(extra_env or {}))
        self.log = os.path.join(workdir, "ppd-%s.log" % name)
        self.port = 0
        self.proc = None
        self.stopped = False
        self.busy = False           # being restarted (the chaos driver's)
        self.term_since = 0.0
        self.starts = 0

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=60):
        """Starts ppd (on its port, once it has one) and returns once it
        listens; a restart whose port is still taken is tried again until
        timeout."""
        assert not self.alive()
        deadline = time.monotonic() + timeout
        while True:
            offset = os.path.getsize(self.log) if os.path.exists(self.log) else 0
            with open(self.log, "ab") as stderr:
                self.proc = subprocess.Popen(
                    [self.exe, "-p", str(self.port), "-i", "127.0.0.1", "-w", str(self.workers),
                     "--no-dbus", "-P", os.path.join(self.workdir, "ppd-%s.pid" % self.name),
                     "--python", sys.executable],
                    env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                    stderr=stderr)
            self.stopped = False
            if self._listening(offset, deadline):
                self.starts += 1
                return
            if time.monotonic() > deadline:
                raise RuntimeError("ppd %s did not start:\n%s" % (self.name, self.tail()))
            time.sleep(0.2)

    def _listening(self, offset, deadline):
        while True:
            with open(self.log, "rb") as f:
                f.seek(offset)
                found = bench_cluster.Nodes.LISTENING.search(f.read())
            if found:
                self.port = int(found.group(1))
                return True
            if self.proc.poll() is not None:
                return False
            if time.monotonic() > deadline:
                self.kill()
                return False
            time.sleep(0.02)

    def tail(self, lines=20):
        try:
            with open(self.log, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def signal(self, signum):
        if self.alive():
            self.proc.send_signal(signum)

    def freeze(self):
        self.signal(signal.SIGSTOP)
        self.stopped = True

    def thaw(self):
        self.signal(signal.SIGCONT)
        self.stopped = False

    def kill(self):
        """kill -9, and reaps it (its workers die with it: PR_SET_PDEATHSIG)."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        self.stopped = False

    def terminate(self, timeout=30):
        """SIGTERM (a frozen ppd is thawed first), SIGKILL after timeout s."""
        if self.proc is None:
            return
        if self.stopped:
            self.thaw()
        # Not bench_cluster.stop_processes: that one sets a SIGINT handler,
        # which only the main thread may do.
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def worker_pids(self):
        return runner_children(self.proc.pid) if self.alive() else []


def _client_sockets(port):
    """This process's established TCP connections to 127.0.0.1:port, as
    {socket inode: fd}."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    remote, state, inode = fields[2], fields[3], fields[9]
                    if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                        inodes.add(inode)
        except OSError:
            pass
    found = {}
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink("/proc/self/fd/" + fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            found[target[8:-1]] = int(fd)
    return found


def drop_connections(port):
    """Drops this process's TCP connections to 127.0.0.1:port, as a network
    fault would: `ss -K` (the kernel destroys the socket and resets the
    peer; needs CAP_NET_ADMIN and CONFIG_INET_DIAG_DESTROY), else, for the
    sockets still there, shutdown(SHUT_RDWR) through a duplicate of the
    library's descriptor (no privilege; the peer sees an end of stream).
    Returns {"ss -K": n, "shutdown": m}, the connections each method ended."""
    before = _client_sockets(port)
    done = {"ss -K": 0, "shutdown": 0}
    if not before:
        return done
    try:
        subprocess.run(["ss", "-K", "-t", "-n", "dst", "127.0.0.1", "dport", "=", ":%d" % port],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)
    except (OSError, subprocess.SubprocessError):
        pass
    after = _client_sockets(port)
    done["ss -K"] = len(set(before) - set(after))
    for inode, fd in after.items():
        if inode not in before:
            continue                # a new connection meanwhile
        try:
            dup = os.dup(fd)
        except OSError:
            continue
        if os.fstat(dup).st_ino != int(inode):
            os.close(dup)           # closed and reused meanwhile: not ours
            continue
        sock = socket.socket(fileno=dup)
        try:
            sock.shutdown(socket.SHUT_RDWR)
            done["shutdown"] += 1
        except OSError:
            pass
        finally:
            sock.close()
    return done
