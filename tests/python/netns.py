# tests/python/netns.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hermetic hosts for the discovery tests: network namespaces of their own.

A :class:`Host` is ``unshare -n -m -p --fork --kill-child`` around a
sleeping keeper: a network namespace with only ``lo`` (brought up), a mount
namespace with a tmpfs on ``/run`` (so avahi-daemon's fixed pid file and
the system bus socket are its own), a pid namespace that dies with the
keeper. Programs run in it through ``nsenter``, as children of the test
process, which waits for every one of them. A host may run a private
system bus (``dbus-daemon`` with a permissive system-type configuration, at
the default system bus address inside the host) and a real ``avahi-daemon``
restricted to the host's interfaces. Two hosts are joined by a veth pair.

Nothing leaves the namespaces: no other network is touched.
"""

import os
import random
import shutil
import signal
import subprocess
import time

DBUS_SOCKET = "/run/dbus/system_bus_socket"

_DBUS_CONF = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
""" % DBUS_SOCKET

_AVAHI_CONF = """[server]
host-name=%(host_name)s
use-ipv4=yes
use-ipv6=yes
allow-interfaces=%(interfaces)s
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
publish-addresses=yes
[reflector]
[rlimits]
"""


def wait_for(predicate, timeout, what, interval=0.05):
    """Polls *predicate* until it is true; AssertionError naming *what*
    after *timeout* seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.1f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def unavailable_reason():
    """Why namespaces cannot be made here, or None."""
    for tool in ("unshare", "nsenter", "ip", "dbus-daemon", "avahi-daemon", "avahi-browse"):
        if shutil.which(tool) is None:
            return "%s is not installed" % tool
    try:
        subprocess.run(["unshare", "-n", "-m", "-p", "--fork", "true"], check=True,
                       timeout=10, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    except (subprocess.SubprocessError, OSError) as e:
        return "cannot create namespaces (unshare -n -m -p): %s" % e
    return None


def ensure_avahi_user():
    """avahi-daemon wants its system user even with --no-drop-root."""
    if subprocess.run(["getent", "passwd", "avahi"], stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir",
                        "/run/avahi-daemon", "--shell", "/usr/sbin/nologin", "avahi"],
                       check=True, timeout=30)


class Host:
    """One hermetic host; see the module's documentation."""

    def __init__(self, workdir, name):
        self.name = name
        self.dir = os.path.join(str(workdir), name)
        os.makedirs(self.dir, exist_ok=True)
        self.children = []          # (Popen, name), stopped in reverse order
        self.avahi = None
        self.interfaces = ["lo"]
        script = ("set -e; ip link set lo up; mount -t tmpfs -o mode=755 tmpfs /run; "
                  "mkdir -p /run/dbus /run/avahi-daemon; echo ready; exec sleep 3600")
        self.keeper = subprocess.Popen(
            ["unshare", "-n", "-m", "-p", "--fork", "--kill-child", "--propagation", "private",
             "sh", "-c", script], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        line = self.keeper.stdout.readline()
        if line.strip() != b"ready":
            self.close()
            raise RuntimeError("host %s did not start" % name)
        self.pid = wait_for(self._inner_pid, 10, "the namespace of host %s" % name)

    def _inner_pid(self):
        try:
            with open("/proc/%d/task/%d/children" % (self.keeper.pid, self.keeper.pid)) as f:
                pids = f.read().split()
        except OSError:
            return None
        return int(pids[0]) if pids else None

    def env(self, **extra):
        """The environment of the host's own programs (the bus, avahi, the
        tools): without the sanitizer runtime a sanitized suite preloads."""
        env = dict(os.environ)
        env["DBUS_SYSTEM_BUS_ADDRESS"] = "unix:path=" + DBUS_SOCKET
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("LD_PRELOAD", None)
        env.update(extra)
        return env

    def command(self, argv):
        return ["nsenter", "-t", str(self.pid), "-n", "-m", "--wd=" + os.getcwd(), "--"] + list(argv)

    def run(self, argv, timeout=30, **kwargs):
        """Runs *argv* in the host to its end (bounded by *timeout*)."""
        kwargs.setdefault("env", self.env())
        return subprocess.run(self.command(argv), timeout=timeout, **kwargs)

    def spawn(self, argv, name=None, **kwargs):
        """Starts *argv* in the host; stopped by :meth:`close` at the latest."""
        kwargs.setdefault("env", self.env())
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(self.command(argv), **kwargs)
        self.children.append((proc, name or argv[0]))
        return proc

    def stop(self, proc, sig=signal.SIGTERM, timeout=10):
        """Signals *proc* and waits for it (SIGKILL past *timeout*)."""
        if proc.poll() is None:
            try:
                proc.send_signal(sig)
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        self.children = [(p, n) for p, n in self.children if p is not proc]
        return proc.returncode

    def start_bus(self):
        conf = os.path.join(self.dir, "dbus.conf")
        with open(conf, "w") as f:
            f.write(_DBUS_CONF)
        self.spawn(["dbus-daemon", "--nofork", "--nopidfile", "--config-file=" + conf],
                   name="dbus-daemon", stdout=subprocess.DEVNULL)
        wait_for(lambda: self.run(["test", "-S", DBUS_SOCKET]).returncode == 0, 10,
                 "the system bus of host %s" % self.name)

    def start_avahi(self):
        conf = os.path.join(self.dir, "avahi.conf")
        log = os.path.join(self.dir, "avahi.log")
        with open(conf, "w") as f:
            f.write(_AVAHI_CONF % {"interfaces": ",".join(self.interfaces),
                                   "host_name": self.name})
        self.run(["rm", "-f", "/run/avahi-daemon/pid"])
        logfile = open(log, "ab")
        self.avahi = self.spawn(["avahi-daemon", "-f", conf, "--no-drop-root", "--no-chroot",
                                 "--no-rlimits"], name="avahi-daemon",
                                stdout=logfile, stderr=subprocess.STDOUT)
        logfile.close()
        start = os.path.getsize(log) if os.path.exists(log) else 0

        def ready():
            if self.avahi.poll() is not None:
                raise AssertionError("avahi-daemon exited: %s" % open(log).read())
            with open(log, "rb") as f:
                f.seek(start)
                return b"Server startup complete" in f.read()
        wait_for(ready, 15, "avahi-daemon in host %s" % self.name)

    def stop_avahi(self):
        if self.avahi is not None:
            self.stop(self.avahi)
            self.avahi = None

    def link(self, other, subnet):
        """Joins this host and *other* by a veth pair: SUBNET.1 here,
        SUBNET.2 there (a /24). Returns the two interface names."""
        tag = "%04x" % random.randrange(0x10000)
        here, there = "ppa" + tag, "ppb" + tag
        subprocess.run(["ip", "link", "add", here, "type", "veth", "peer", "name", there],
                       check=True, timeout=10)
        subprocess.run(["ip", "link", "set", here, "netns", str(self.pid)], check=True, timeout=10)
        subprocess.run(["ip", "link", "set", there, "netns", str(other.pid)], check=True,
                       timeout=10)
        for host, ifname, address in ((self, here, subnet + ".1"), (other, there, subnet + ".2")):
            host.run(["ip", "addr", "add", address + "/24", "dev", ifname], check=True)
            host.run(["ip", "link", "set", ifname, "up"], check=True)
            host.interfaces.append(ifname)
        return here, there

    def close(self):
        for proc, _ in reversed(list(self.children)):
            self.stop(proc)
        if self.keeper.poll() is None:
            self.keeper.kill()     # --kill-child: the namespace's processes die
        self.keeper.wait(timeout=10)
        if self.keeper.stdout:
            self.keeper.stdout.close()
