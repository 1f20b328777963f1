# tests/python/test_discovery.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Discovery: ppd -a announces, Pp.Browser and ppservers=("*",) find.

Every test runs in hermetic hosts (tests/python/netns.py): network
namespaces of their own with a private system bus and a real avahi-daemon
restricted to their interfaces (or none, for pp's UDP fallback, on
127.255.255.255 only). The clients (tests/python/discovery_client.py) run
inside the hosts and report as JSON lines; every wait has a deadline.
"""

import ast
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netns  # noqa: E402
from netns import wait_for  # noqa: E402
from test_ppd import PPD, SANITIZER_REPORT, base_env  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT = os.path.join(HERE, "discovery_client.py")
SECRET = "discovery secret"
PYTHON = "/usr/bin/python3"

REASON = netns.unavailable_reason() if PPD else "ppd is not built (set PPD)"
if REASON is None and os.geteuid() != 0:
    REASON = "namespaces and avahi-daemon need root"
pytestmark = [pytest.mark.skipif(REASON is not None, reason=REASON or ""),
              pytest.mark.usefixtures("subreaper")]


def isprime(n):
    return n >= 2 and all(n % x for x in range(2, int(n ** 0.5) + 1))


def sum_primes(n):
    return sum(x for x in range(2, n) if isprime(x))


class Lines:
    """A child's stdout, one JSON object a line, read by a thread."""

    def __init__(self, proc):
        self.proc = proc
        self.queue = queue.Queue()
        self.last = None
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.queue.put(json.loads(line))
        self.queue.put(None)

    def wait(self, predicate, timeout, what):
        """The first state (the latest one included) for which *predicate*
        holds."""
        deadline = time.monotonic() + timeout
        if self.last is not None and predicate(self.last):
            return self.last
        while True:
            try:
                state = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError("timed out after %.0f s waiting for %s; last: %s"
                                     % (timeout, what, self.last)) from None
            if state is None:
                raise AssertionError("the client exited waiting for %s (status %s)"
                                     % (what, self.proc.wait()))
            if "results" not in state:
                self.last = state
            if predicate(state):
                return state


class Lab:
    """The hosts of a test, their ppd and clients; all stopped at the end."""

    def __init__(self, tmp_path):
        self.tmp = tmp_path
        self.hosts = []
        self.logs = []

    def host(self, name, avahi=True, bus=True):
        host = netns.Host(self.tmp, name)
        self.hosts.append(host)
        if bus or avahi:
            host.start_bus()
        if avahi:
            host.start_avahi()
        return host

    def env(self, host, **extra):
        env = base_env()
        env.update(DBUS_SYSTEM_BUS_ADDRESS="unix:path=" + netns.DBUS_SOCKET,
                   XDG_STATE_HOME=str(self.tmp / host.name / "state"),
                   STATE_DIRECTORY=str(self.tmp / host.name / "system-state"))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.update(extra)
        return env

    def ppd(self, host, port, *args, secret=SECRET, wait=True, **env):
        log = self.tmp / ("ppd-%s-%d-%d.log" % (host.name, port, len(self.logs)))
        self.logs.append(log)
        with open(log, "w") as out:
            proc = host.spawn([PPD, "-a", "-p", str(port), "-w", "1", *args],
                              name="ppd", env=self.env(host, PP_SECRET=secret, **env),
                              stdout=out, stderr=subprocess.STDOUT)
        proc.log = log
        if wait:
            wait_for(lambda: "listening on" in log.read_text() or proc.poll() is not None,
                     20, "ppd on port %d" % port)
            assert proc.poll() is None, log.read_text()
        return proc

    def client(self, host, *args, **env):
        err = self.tmp / ("client-%s-%d.err" % (host.name, len(self.logs)))
        self.logs.append(err)
        with open(err, "w") as errfile:
            proc = host.spawn([PYTHON, CLIENT, *args], name="client",
                              env=self.env(host, **env), stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=errfile, text=True)
        lines = Lines(proc)
        lines.stderr = err
        return lines

    def close(self):
        try:
            for host in reversed(self.hosts):
                for proc, name in list(host.children):
                    if name == "client" and proc.stdin and not proc.stdin.closed:
                        proc.stdin.close()
                        try:
                            proc.wait(timeout=10)
                        except subprocess.TimeoutExpired:
                            pass
                host.close()
        finally:
            for log in self.logs:
                if os.path.exists(log):
                    text = open(log, errors="replace").read()
                    assert not SANITIZER_REPORT.search(text), text


@pytest.fixture
def lab(tmp_path):
    netns.ensure_avahi_user()
    lab = Lab(tmp_path)
    yield lab
    lab.close()


def discovered(state, ready=True):
    return [n for n in state["nodes"]
            if n["discovered"] and (n["state"] == "ready" or not ready)]


def stop(host, proc, sig=signal.SIGTERM):
    host.stop(proc, sig)


def gdbus_get(host, prop):
    out = host.run(["gdbus", "call", "--system", "--dest", "org.ppglib.Ppd", "--object-path",
                    "/org/ppglib/Ppd", "--method", "org.freedesktop.DBus.Properties.Get",
                    "org.ppglib.Ppd1", prop], capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def avahi_browse(host):
    return host.run(["avahi-browse", "-rtp", "_ppd._tcp"], capture_output=True, text=True,
                    timeout=20).stdout


# -- DNS-SD -------------------------------------------------------------------

def test_txt_record_dbus_properties_and_avahi_restarts(lab):
    host = lab.host("hosta")
    ppd = lab.ppd(host, 61001, "--system", "-b", "127.255.255.255", "--http-port", "0")
    wait_for(lambda: "'dns-sd+broadcast'" in gdbus_get(host, "Discovery"), 15,
             "ppd announced over DNS-SD")
    assert gdbus_get(host, "Announced") == "(<true>,)"
    name = re.match(r"\(<'(.*)'>,\)", gdbus_get(host, "AnnouncedName")).group(1)
    assert name.startswith("ppd on ")

    lines = wait_for(lambda: [l for l in avahi_browse(host).splitlines()
                              if l.startswith("=") and ";61001;" in l], 15, "avahi-browse")
    txt = dict(field.strip('"').split("=", 1) for field in lines[0].split(";")[9].split(" "))
    assert txt["txtvers"] == "1" and txt["proto"] == "1" and txt["ncpus"] == "1"
    assert txt["tls"] == "0" and txt["secret"] == "1"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}",
                        txt["id"])
    assert ";lo;IPv4;" in lines[0] and ";127.0.0.1;61001;" in lines[0]
    assert SECRET not in avahi_browse(host)     # never the secret
    # ppd's HTTP port is in the record, and its status shows the name.
    http_port = re.search(r"HTTP on http://127\.0\.0\.1:(\d+)/", ppd.log.read_text()).group(1)
    assert txt["http"] == http_port
    out = host.run(["gdbus", "call", "--system", "--dest", "org.ppglib.Ppd", "--object-path",
                    "/org/ppglib/Ppd", "--method", "org.ppglib.Ppd1.GetStatus"],
                   capture_output=True, text=True, timeout=10).stdout
    assert json.loads(ast.literal_eval(out)[0])["announce_name"] == name

    # The TXT record follows the workers.
    host.run(["gdbus", "call", "--system", "--dest", "org.ppglib.Ppd", "--object-path",
              "/org/ppglib/Ppd", "--method", "org.ppglib.Ppd1.SetWorkers", "2"],
             check=True, capture_output=True, timeout=10)
    wait_for(lambda: '"ncpus=2"' in avahi_browse(host), 15, "ncpus=2 in the TXT record")

    # avahi-daemon goes away: UDP only; it comes back: announced again.
    host.stop_avahi()
    wait_for(lambda: "'broadcast'" in gdbus_get(host, "Discovery"), 15, "the fallback")
    host.start_avahi()
    wait_for(lambda: "'dns-sd+broadcast'" in gdbus_get(host, "Discovery"), 20,
             "DNS-SD again")
    wait_for(lambda: ";61001;" in avahi_browse(host), 15, "avahi-browse after the restart")
    log = ppd.log.read_text()
    assert log.count("announcing again when avahi-daemon is back") == 1, log

    stop(host, ppd)
    assert "Announcement withdrawn" in ppd.log.read_text()
    assert "No stable node id" not in ppd.log.read_text()


def test_nodes_come_and_go_and_come_back(lab):
    host = lab.host("hosta")
    first = lab.ppd(host, 61001, "--no-dbus")
    second = lab.ppd(host, 61002, "--no-dbus")
    browser = lab.client(host, "browse", "0")
    server = lab.client(host, "server", SECRET, "0", "*")

    state = browser.wait(lambda s: len(s["items"]) == 2, 20, "two nodes in the browser")
    names = sorted(item["name"] for item in state["items"])
    assert names[1] == names[0] + " #2", names      # the same name, renamed
    ids = {item["port"]: item["id"] for item in state["items"]}
    assert all(item["address"] == "127.0.0.1" and item["mechanism"] == "dns-sd"
               for item in state["items"])
    state = server.wait(lambda s: len(discovered(s)) == 2, 20, "two ready nodes in the server")
    assert state["status"] == [[61001, True], [61002, True]], state

    stop(host, second, signal.SIGKILL)
    t0 = time.monotonic()
    browser.wait(lambda s: [i["port"] for i in s["items"]] == [61001], 15, "the browser to drop it")
    server.wait(lambda s: [n["port"] for n in discovered(s, ready=False)] == [61001], 15,
                "the server to drop it")
    assert time.monotonic() - t0 < 15

    second = lab.ppd(host, 61002, "--no-dbus")
    state = browser.wait(lambda s: len(s["items"]) == 2, 20, "the node back in the browser")
    assert {item["port"]: item["id"] for item in state["items"]} == ids   # a stable id
    server.wait(lambda s: len(discovered(s)) == 2, 20, "the node back in the server")
    server.proc.stdin.write("run 8\n")
    server.proc.stdin.flush()
    results = server.wait(lambda s: "results" in s, 60, "the jobs")["results"]
    assert results == [[x, sum_primes(x)] for x in range(1000, 1800, 100)]
    state = server.wait(lambda s: sum(n["jobs_done"] for n in discovered(s)) == 8, 10,
                        "the figures")
    assert all(n["jobs_done"] > 0 for n in discovered(state)), state   # both used
    assert [n for n in state["nodes"] if n["is_local"]][0]["jobs_done"] == 0


def test_withdrawn_node_gives_its_jobs_back(lab):
    host = lab.host("hosta")
    keep = lab.ppd(host, 61001, "--no-dbus")
    leave = lab.ppd(host, 61002, "--no-dbus")
    server = lab.client(host, "server", SECRET, "0", "*")
    server.wait(lambda s: len(discovered(s)) == 2, 20, "two ready nodes")
    server.proc.stdin.write("slow 8 0.5\n")
    server.proc.stdin.flush()
    # SIGTERM withdraws the announcement at once; what the node does not
    # finish runs on the other one, each job once.
    time.sleep(0.7)
    stop(host, leave)
    results = server.wait(lambda s: "results" in s, 60, "the jobs")["results"]
    assert results == [x * x for x in range(8)]
    assert keep.poll() is None
    state = server.wait(lambda s: not [n for n in discovered(s, False) if n["port"] == 61002],
                        10, "the node gone")
    assert discovered(state)[0]["jobs_done"] >= 4
    # The node finishes what it runs (or gives it back as it closes the
    # connection) while its withdrawal arrives; then it is gone for good.
    err = open(server.stderr).read()
    assert "Discovered node 127.0.0.1:61002 is gone" in err, err


def test_withdrawal_alone_gives_the_jobs_back(lab):
    """avahi-daemon stops: every DNS-SD node is withdrawn while its
    connection still works; their jobs go back to the queue and run when
    the nodes are found again."""
    host = lab.host("hosta")
    for port in (61001, 61002):   # -b: so that no UDP goes to 255.255.255.255
        lab.ppd(host, port, "--no-dbus", "-b", "127.255.255.255")
    server = lab.client(host, "server", SECRET, "0", "*")
    server.wait(lambda s: len(discovered(s)) == 2, 20, "two ready nodes")
    server.proc.stdin.write("slow 6 1\n")
    server.proc.stdin.flush()
    time.sleep(0.5)
    host.stop_avahi()
    gone = re.compile(r"Discovered node 127\.0\.0\.1:6100[12] is gone; (\d+) jobs? go back")
    wait_for(lambda: len(gone.findall(open(server.stderr).read())) == 2, 15, "both nodes gone")
    assert sum(int(n) for n in gone.findall(open(server.stderr).read())) >= 2
    host.start_avahi()
    results = server.wait(lambda s: "results" in s, 60, "the jobs")["results"]
    assert results == [x * x for x in range(6)]


def test_wrong_secret_is_refused_once(lab):
    host = lab.host("hosta")
    lab.ppd(host, 61001, "--no-dbus", secret="another secret")
    server = lab.client(host, "server", SECRET, "1", "*")
    state = server.wait(lambda s: [n for n in discovered(s, False) if n["state"] == "refused"],
                        20, "the node refused")
    node = discovered(state, False)[0]
    assert node["last_error"] and "secret" in node["last_error"].lower(), node
    time.sleep(4)   # a retry would have come after 1 s, then 2 s
    state = server.wait(lambda s: True, 1, "the state")
    assert discovered(state, False)[0]["state"] == "refused"
    err = open(server.stderr).read()
    assert err.count("refused the connection") == 1, err
    # the local workers still run jobs
    server.proc.stdin.write("run 2\n")
    server.proc.stdin.flush()
    assert server.wait(lambda s: "results" in s, 60, "the jobs")["results"] == \
        [[1000, sum_primes(1000)], [1100, sum_primes(1100)]]


def test_port_filter_and_explicit_entries_mix(lab):
    host = lab.host("hosta")
    lab.ppd(host, 61001, "--no-dbus")
    lab.ppd(host, 61002, "--no-dbus")
    server = lab.client(host, "server", SECRET, "0", "*:61002", "127.0.0.1:61001")
    state = server.wait(lambda s: len([n for n in s["nodes"] if n["state"] == "ready"]) == 3,
                        20, "both nodes ready")
    by_port = {n["port"]: n for n in state["nodes"] if not n["is_local"]}
    assert by_port[61002]["discovered"] and not by_port[61001]["discovered"]
    assert len(by_port) == 2


def test_two_hosts_joined_by_a_veth_pair(lab):
    near = lab.host("near", avahi=False)
    far = lab.host("far", avahi=False)
    near.link(far, "10.231.7")
    near.interfaces.remove("lo")
    near.start_avahi()
    far.start_avahi()                       # on lo and the veth
    lab.ppd(far, 61001, "--no-dbus")        # a given secret: every interface
    lab.ppd(far, 61002, "--no-dbus", "-i", "10.231.7.2")
    # -i: announced where it listens only, the veth over IPv4, not lo
    lines = wait_for(lambda: [l for l in avahi_browse(far).splitlines()
                              if l.startswith("=") and ";61002;" in l], 20, "avahi-browse")
    assert all(l.split(";")[1:3] == [far.interfaces[1], "IPv4"] for l in lines), lines

    browser = lab.client(near, "browse", "61001")
    # Seen over IPv4 and IPv6 (link-local, with its scope): one node.
    state = browser.wait(lambda s: len(s["items"]) == 1 and len(s["items"][0]["addresses"]) == 2,
                         30, "the far node over IPv4 and IPv6")
    item = state["items"][0]
    assert item["address"] == "10.231.7.2" and item["connect"] == "10.231.7.2:61001"
    assert re.fullmatch(r"fe80::[0-9a-f:]+%" + near.interfaces[0], item["addresses"][1]), item
    assert item["host"] == "far.local"
    server = lab.client(near, "server", SECRET, "0", "*")
    state = server.wait(lambda s: len(discovered(s)) == 2, 30, "the far nodes ready")
    assert {n["name"] for n in discovered(state)} == {"10.231.7.2:61001", "10.231.7.2:61002"}
    server.proc.stdin.write("run 4\n")
    server.proc.stdin.flush()
    assert server.wait(lambda s: "results" in s, 60, "the jobs")["results"] == \
        [[x, sum_primes(x)] for x in range(1000, 1400, 100)]


# -- pp's fallback: UDP announcements, no avahi-daemon ----------------------

def test_udp_fallback_on_loopback(lab):
    host = lab.host("bare", avahi=False, bus=False)
    browser = lab.client(host, "browse", "61001")
    browser.wait(lambda s: s["broadcast"] and not s["dns_sd"], 20, "the browser listening")
    # Hostile datagrams first: ignored.
    junk = [b"", b"PPD-ANNOUNCE 1\n", b"PPD-ANNOUNCE 1\nid=x\nport=0\n",
            b"PPD-ANNOUNCE 1\nid=x\nport=61001\nname=a\x01b\n", b"X" * 4000,
            b"PPD-ANNOUNCE 2\nid=x\nport=61001\n", b"PPD-ANNOUNCE 1\nid=\xff\nport=61001\n"]
    host.run([PYTHON, "-c", "import socket, sys, ast\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "for d in ast.literal_eval(sys.argv[1]): s.sendto(d, ('127.0.0.1', 61001))\n",
              repr(junk)], check=True)
    ppd = lab.ppd(host, 61001, "--no-dbus", "-b", "127.255.255.255",
                  PPD_ANNOUNCE_INTERVAL_MS="300")
    state = browser.wait(lambda s: len(s["items"]) == 1, 20, "the node by UDP")
    item = state["items"][0]
    assert item["mechanism"] == "broadcast" and item["address"] == "127.0.0.1"
    assert item["port"] == 61001 and item["secret_required"] and item["ncpus"] == 1
    log = ppd.log.read_text()
    assert "Announced by UDP to 127.255.255.255 port 61001" in log, log
    assert "255.255.255.255 " not in log.replace("127.255.255.255", "")

    server = lab.client(host, "server", SECRET, "0", "*:61001")
    server.wait(lambda s: len(discovered(s)) == 1, 20, "the node ready")
    server.proc.stdin.write("run 4\n")
    server.proc.stdin.flush()
    assert server.wait(lambda s: "results" in s, 60, "the jobs")["results"] == \
        [[x, sum_primes(x)] for x in range(1000, 1400, 100)]
    for lines in (browser, server):
        err = open(lines.stderr).read()
        assert len(re.findall(r"Discovery: .*UDP announcements only", err)) == 1, err

    stop(host, ppd)                          # its goodbye: gone at once
    browser.wait(lambda s: not s["items"], 5, "the node gone")
    server.wait(lambda s: not discovered(s, False), 5, "the node gone from the server")

    # killed, it says nothing: gone when its last announcement expires (0.9 s)
    ppd = lab.ppd(host, 61001, "--no-dbus", "-b", "127.255.255.255",
                  PPD_ANNOUNCE_INTERVAL_MS="300")
    browser.wait(lambda s: len(s["items"]) == 1, 20, "the node again")
    stop(host, ppd, signal.SIGKILL)
    browser.wait(lambda s: not s["items"], 5, "the node expired")


def test_a_flood_of_announcements_is_bounded(lab):
    host = lab.host("bare", avahi=False, bus=False)
    browser = lab.client(host, "browse", "61001")
    browser.wait(lambda s: s["broadcast"], 20, "the browser listening")
    host.run([PYTHON, "-c", "import socket, time\n"
              "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
              "for i in range(1100):\n"
              "    d = 'PPD-ANNOUNCE 1\\nid=fake-%d\\nport=61001\\nexpires=600000\\n' % i\n"
              "    s.sendto(d.encode(), ('127.0.0.1', 61001))\n"
              "    time.sleep(0.002)  # within the socket's receive buffer\n"], check=True)
    browser.wait(lambda s: s["count"] == 1024, 30, "1024 fake nodes")
    with pytest.raises(AssertionError, match="timed out"):
        browser.wait(lambda s: s["count"] > 1024, 1, "more")
    assert open(browser.stderr).read().count("ignoring more") == 1


# -- the command line ---------------------------------------------------------

def test_bad_broadcast_address():
    env = base_env()
    env["PP_SECRET"] = SECRET
    for bad in ("300.1.1.1", "::1", "host"):
        result = subprocess.run([PPD, "-a", "-b", bad, "--no-dbus", "-p", "0"], env=env,
                                capture_output=True, text=True, timeout=20)
        assert result.returncode == 2, result
        assert "-b/--broadcast" in result.stderr and "not an IPv4 address" in result.stderr
