# tests/python/test_client_bus.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Every pp program on the session bus: a running Python pp program (a
subprocess, with a real ppd node) owns org.ppglib.PpClient.p<PID>_<N> and
exports org.ppglib.PpClient1 (data/org.ppglib.PpClient1.xml), seen through
the gdbus command-line client and a Gio.DBusConnection of the test.

Every test runs its own dbus-daemon (a private session bus in a temporary
directory, letting every user in, as test_dbus.py's) and reaps every
process it starts.

    PPD=$PWD/_build/ppd/ppd ./dev.sh env /usr/bin/python3 -m pytest -q tests/python/test_client_bus.py
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

gi = pytest.importorskip("gi")
pp = pytest.importorskip("pp")
from gi.repository import Gio, GLib  # noqa: E402

from privatebus import PrivateBus, quit_program  # noqa: E402
from test_cluster import SECRET, nodes  # noqa: E402,F401 (fixture)

SRCDIR = os.environ.get("PP_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = os.path.join(SRCDIR, "docs", "status.schema.json")
IFACE = "org.ppglib.PpClient1"
OBJECT_PATH = "/org/ppglib/PpClient"
PREFIX = "org.ppglib.PpClient."
ACCESS_DENIED = "org.freedesktop.DBus.Error.AccessDenied"
TIMEOUT = 30.0

GDBUS = shutil.which("gdbus")
DBUS_DAEMON = shutil.which("dbus-daemon")

pytestmark = [
    pytest.mark.skipif(GDBUS is None or DBUS_DAEMON is None,
                       reason="gdbus and dbus-daemon are needed (libglib2.0-bin, dbus)"),
    pytest.mark.skipif(not os.environ.get("PPD"), reason="ppd is not built (set PPD)"),
    pytest.mark.usefixtures("subreaper"),
]

# The pp program: a pp.Server, driven line by line on stdin.
PROGRAM = r'''
import os, sys, time
import pp
from pp._gi import Pp

def nap(t):
    import time
    time.sleep(t)
    return t

mode, ppservers = sys.argv[1], tuple(a for a in sys.argv[2].split(",") if a)
if mode == "property":
    srv = None
    raw = Pp.Server(ncpus=1, export_on_bus=False)
    raw.init(None)
else:
    srv = pp.Server(1, ppservers=ppservers, secret=os.environ.get("PP_SECRET"),
                    bus=(mode != "python-off"))
    raw = srv._srv
expect_name = mode == "on" and not os.environ.get("PP_NO_BUS")
deadline = time.monotonic() + (20 if expect_name else 0.5)
name = None
while name is None and time.monotonic() < deadline:
    name = raw.dup_bus_name()
    time.sleep(0.01)
print("NAME", name, flush=True)
slow = []
for line in sys.stdin:
    words = line.split()
    if words[0] == "run":
        jobs = [srv.submit(nap, (float(words[2]),), group="batch") for _ in range(int(words[1]))]
        srv.wait("batch")
        print("RAN", " ".join(str(job.id) for job in jobs), flush=True)
    elif words[0] == "slow":
        slow = [srv.submit(nap, (60.0,), group="slow") for _ in range(int(words[1]))]
        print("SUBMITTED", " ".join(str(job.id) for job in slow), flush=True)
    elif words[0] == "states":
        start = time.monotonic()
        srv.wait("slow")
        print("STATES %.1f" % (time.monotonic() - start),
              " ".join(job._job.get_state().value_nick for job in slow), flush=True)
    elif words[0] == "ncpus":
        print("NCPUS", raw.get_ncpus(), flush=True)
    elif words[0] == "quit":
        break
if srv is not None:
    srv.destroy()
else:
    raw.destroy()
print("BYE", flush=True)
'''


class Bus(PrivateBus):
    """A private session bus: env for the processes that use it, conn ours."""

    def __init__(self):
        env = dict(os.environ, PP_SECRET=SECRET)
        env.pop("PP_NO_BUS", None)
        # 0o755: for the other user
        super().__init__(env, "pp-client-bus-", TIMEOUT, mode=0o755)

    def clients(self):
        return sorted(n for n in self.bus_call("ListNames", None, "(as)") if n.startswith(PREFIX))

    def has_owner(self, name):
        return self.bus_call("NameHasOwner", GLib.Variant("(s)", (name,)))

    def get(self, name, prop):
        return self.conn.call_sync(name, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
                                   GLib.Variant("(ss)", (IFACE, prop)), GLib.VariantType("(v)"),
                                   Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None).unpack()[0]


@pytest.fixture
def bus():
    b = Bus()
    yield b
    b.close()


class Program:
    """The pp program, a subprocess on the bus."""

    def __init__(self, bus_env, tmp_path, mode="on", ppservers=(), env=None):
        script = tmp_path / "client.py"
        script.write_text(PROGRAM)
        env = dict(bus_env, **(env or {}))
        for name in [name for name, value in env.items() if value is None]:
            del env[name]
        self.proc = subprocess.Popen([sys.executable, str(script), mode, ",".join(ppservers)],
                                     env=env, cwd=str(tmp_path), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.name = self.expect("NAME")[0]

    def expect(self, word):
        line = self.proc.stdout.readline().split()
        assert line and line[0] == word, (line, self.proc.stderr.read() if not line else "")
        return line[1:]

    def send(self, line, answer):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.expect(answer)

    def close(self):
        if self.proc.stdout.closed:
            return self.proc.returncode
        quit_program(self.proc, TIMEOUT)
        self.stdout = self.proc.stdout.read()
        self.stderr = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return self.proc.returncode


@pytest.fixture
def programs(bus, tmp_path):
    started = []

    def start(*args, **kwargs):
        program = Program(bus.env, tmp_path, *args, **kwargs)
        started.append(program)
        return program

    yield start
    for program in started:
        program.close()


def gdbus(env, *args, prefix=()):
    return subprocess.run([*prefix, GDBUS, *args], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)


def gdbus_call(env, name, method, *args, prefix=()):
    return gdbus(env, "call", "-e", "-d", name, "-o", OBJECT_PATH, "-m", method, *args,
                 prefix=prefix)


def validate(document):
    jsonschema = pytest.importorskip("jsonschema")
    with open(SCHEMA) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator(schema).validate(document)
    return document


def iterate_until(predicate, timeout=TIMEOUT, what="condition"):
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        while context.pending():
            context.iteration(False)
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting for " + what
        time.sleep(0.01)


class Signals:
    """Every signal of @name's PpClient1 object, with when it came."""

    def __init__(self, bus, name):
        self.got = []
        self.conn = bus.conn
        self.ids = [self.conn.signal_subscribe(name, interface, None, OBJECT_PATH, None,
                                               Gio.DBusSignalFlags.NONE, self._on_signal)
                    for interface in (IFACE, "org.freedesktop.DBus.Properties")]
        bus.get(name, "Pid")        # the match rules are in place

    def _on_signal(self, conn, sender, path, interface, signal, params):
        self.got.append((time.monotonic(), signal, params.unpack()))

    def of(self, signal):
        return [(when, args) for when, name, args in self.got if name == signal]

    def close(self):
        for i in self.ids:
            self.conn.signal_unsubscribe(i)


def send_while_iterating(program, line, answer):
    """Sends a command and waits for its answer in a thread while signals
    are dispatched here, as they come."""
    reply = []
    thread = threading.Thread(target=lambda: reply.append(program.send(line, answer)))
    thread.start()
    iterate_until(lambda: not thread.is_alive(), what="the program's answer")
    thread.join()
    return [int(i) for i in reply[0]]


def node_by_name(nodes, name):
    return next((node for node in nodes if node["name"] == name), None)


def test_a_running_program_on_the_bus(bus, programs, nodes, tmp_path):
    """gdbus finds the program, its properties list its nodes (a real ppd
    among them), its signals report its jobs in batches at most 10 a
    second, and another process changes it: SetNcpus, AddNode,
    CancelGroup. The name goes when the server does."""
    node = nodes(workers=1)
    program = programs(ppservers=(node.address,))
    name = program.name
    assert re.fullmatch(r"org\.ppglib\.PpClient\.p%d_1" % program.proc.pid, name), name
    assert bus.clients() == [name]          # ppd's own pool is not a pp program

    listed = gdbus(bus.env, "call", "-e", "-d", "org.freedesktop.DBus", "-o",
                   "/org/freedesktop/DBus", "-m", "org.freedesktop.DBus.ListNames")
    assert name in listed.stdout
    introspected = gdbus(bus.env, "introspect", "-e", "-d", name, "-o", OBJECT_PATH)
    assert introspected.returncode == 0, introspected.stderr
    for word in ("interface org.ppglib.PpClient1", "SetNcpus(", "AddNode(", "CancelGroup(", "CancelJob(",
                 "JobsStarted(", "JobsFinished(", "NodeAdded(", "readonly aa{sv} Nodes",
                 "readonly s Status"):
        assert word in introspected.stdout, word

    assert bus.get(name, "Pid") == program.proc.pid
    assert bus.get(name, "Program") == "client.py"
    iterate_until(lambda: (node_by_name(bus.get(name, "Nodes"), node.address) or {})
                  .get("state") == "ready", what="the ppd node ready")
    listed_nodes = bus.get(name, "Nodes")
    assert [n["name"] for n in listed_nodes] == ["local", node.address]
    assert listed_nodes[0]["local"] and listed_nodes[0]["ncpus"] == 1
    remote = listed_nodes[1]
    assert (remote["host"], remote["port"], remote["local"], remote["ncpus"]) == \
        ("127.0.0.1", node.port, False, 1)
    status = validate(json.loads(bus.get(name, "Status")))
    assert status["pid"] == program.proc.pid and status["program"] == "client.py"
    assert [n["name"] for n in status["nodes"]] == ["local", node.address]
    assert status["nodes"][1]["state"] == "ready"

    # Jobs, reported in batches
    signals = Signals(bus, name)
    ids = send_while_iterating(program, "run 400 0.004", "RAN")
    finished = lambda: {job[0] for _, (jobs, _) in signals.of("JobsFinished") for job in jobs}
    iterate_until(lambda: set(ids) <= finished(), what="JobsFinished for every job")
    started = signals.of("JobsStarted")
    assert {job[0] for _, (jobs, _) in started for job in jobs} == set(ids)
    for _, (jobs, missed) in started:
        assert missed == 0
        for job_id, group, function, pid, node_name in jobs:
            assert (group, function) == ("batch", "nap")
            # the node each job went to: the local pool's have a worker pid
            assert node_name == ("local" if pid else node.address), (pid, node_name)
    for name_of in ("JobsStarted", "JobsFinished"):
        times = [when for when, _ in signals.of(name_of)]
        assert len(times) >= 2, name_of     # the run takes over 0.5 s
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) > 0.07, (name_of, gaps)     # at most 10 a second
    by_pid = {job[3] for _, (jobs, _) in started for job in jobs}
    assert 0 in by_pid and len(by_pid) >= 2, by_pid      # the node ran some, the pool some
    assert any(args[0]["name"] == node.address for _, args in signals.of("NodeChanged"))
    status = validate(json.loads(bus.get(name, "Status")))
    assert sum(row["jobs"] for row in status["stats"]) == 400

    # SetNcpus from another process
    result = gdbus_call(bus.env, name, IFACE + ".SetNcpus", "3")
    assert result.returncode == 0, result.stderr
    assert program.send("ncpus", "NCPUS") == ["3"]
    assert bus.get(name, "Ncpus") == 3
    iterate_until(lambda: any("Ncpus" in args[1] for _, args in signals.of("PropertiesChanged")),
                  what="PropertiesChanged for Ncpus")
    result = gdbus_call(bus.env, name, IFACE + ".SetNcpus", "5000")
    assert "InvalidArgs" in result.stderr
    assert program.send("ncpus", "NCPUS") == ["3"]

    # AddNode: a second ppd
    second = nodes(workers=2)
    result = gdbus_call(bus.env, name, IFACE + ".AddNode", second.address)
    assert result.returncode == 0 and second.address in result.stdout, result.stderr
    iterate_until(lambda: any(args[0]["name"] == second.address
                              for _, args in signals.of("NodeAdded")), what="NodeAdded")
    iterate_until(lambda: (node_by_name(bus.get(name, "Nodes"), second.address) or {})
                  .get("ncpus") == 2, what="the second node ready")
    result = gdbus_call(bus.env, name, IFACE + ".AddNode", second.address)
    assert "InvalidArgs" in result.stderr and "already" in result.stderr
    result = gdbus_call(bus.env, name, IFACE + ".AddNode", "127.0.0.1:70000")
    assert "InvalidArgs" in result.stderr

    # CancelGroup: queued and running jobs
    slow = [int(i) for i in program.send("slow 6", "SUBMITTED")]
    iterate_until(lambda: bus.get(name, "Queue")[1] >= 1, what="a slow job running")
    result = gdbus_call(bus.env, name, IFACE + ".CancelGroup", "slow")
    assert result.returncode == 0 and result.stdout.strip() == "(uint32 6,)", result.stdout
    took, *states = program.send("states", "STATES")
    assert states == ["cancelled"] * 6 and float(took) < 10
    iterate_until(lambda: {job[0]: job[3] for _, (jobs, _) in signals.of("JobsFinished")
                           for job in jobs if job[0] in slow} == dict.fromkeys(slow, "cancelled"),
                  what="JobsFinished with the cancelled jobs")
    assert gdbus_call(bus.env, name, IFACE + ".CancelGroup", "slow").stdout.strip() == \
        "(uint32 0,)"

    # CancelJob: one running job, by its id; the other stays for CancelGroup
    slow = [int(i) for i in program.send("slow 2", "SUBMITTED")]
    iterate_until(lambda: slow[0] in {job[0] for _, (jobs, _) in signals.of("JobsStarted")
                                      for job in jobs}, what="the first slow job started")
    result = gdbus_call(bus.env, name, IFACE + ".CancelJob", str(slow[0]))
    assert result.returncode == 0 and result.stdout.strip() == "(true,)", result.stderr
    result = gdbus_call(bus.env, name, IFACE + ".CancelJob", str(slow[0]))
    assert "InvalidArgs" in result.stderr and "queued or running" in result.stderr, result.stderr
    result = gdbus_call(bus.env, name, IFACE + ".CancelJob", "18446744073709551615")
    assert "InvalidArgs" in result.stderr, result.stderr
    assert gdbus_call(bus.env, name, IFACE + ".CancelGroup", "slow").stdout.strip() == \
        "(uint32 1,)"
    took, *states = program.send("states", "STATES")
    assert states == ["cancelled"] * 2 and float(took) < 10
    validate(json.loads(bus.get(name, "Status")))
    signals.close()

    # The name goes with the server
    assert program.close() == 0, program.stderr
    assert "BYE" in program.stdout
    assert not bus.has_owner(name)
    assert bus.clients() == []


def vmrss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_a_stopped_bus_holds_nothing_up(bus, programs):
    """A bus that takes nothing (its dbus-daemon stopped): the program's jobs
    run on at full speed, it does not buffer signals without bound, and it
    ends in a few seconds."""
    program = programs()
    program.send("run 200 0", "RAN")
    os.kill(bus.proc.pid, signal.SIGSTOP)
    try:
        before = vmrss_kb(program.proc.pid)
        start = time.monotonic()
        for _ in range(10):
            program.send("run 2000 0", "RAN")
        took = time.monotonic() - start
        grown = vmrss_kb(program.proc.pid) - before
        start = time.monotonic()
        assert program.close() == 0, program.stderr
        closing = time.monotonic() - start
    finally:
        os.kill(bus.proc.pid, signal.SIGCONT)
    print("stopped bus: %.2f s for the jobs, RSS +%d kB, %.2f s to end" % (took, grown, closing))
    assert took < 20, took
    if "libasan" in os.environ.get("LD_PRELOAD", ""):
        print("RSS not checked: AddressSanitizer's quarantine keeps freed memory")
    else:
        assert grown < 30 * 1024, grown     # kB
    assert closing < 6, closing
    assert "BYE" in program.stdout


def user_args(user):
    return ["--reuid", str(user.uid), "--regid", str(user.gid), "--clear-groups"]


def test_another_user_may_look_but_not_change(bus, programs, other_user):
    """A bus that lets other users in: they may read a program's properties,
    but its methods answer them AccessDenied."""
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv, to call as another user")
    program = programs()
    env = other_user.env(DBUS_SESSION_BUS_ADDRESS=bus.address)
    prefix = ("setpriv", *user_args(other_user))
    result = gdbus_call(env, program.name, "org.freedesktop.DBus.Properties.Get", IFACE, "Ncpus",
                        prefix=prefix)
    assert result.returncode == 0 and "uint32 1" in result.stdout, result.stderr
    for args in ([IFACE + ".SetNcpus", "4"], [IFACE + ".AddNode", "127.0.0.1:1"],
                 [IFACE + ".CancelGroup", "default"], [IFACE + ".CancelJob", "1"]):
        result = gdbus_call(env, program.name, *args, prefix=prefix)
        assert result.returncode != 0 and ACCESS_DENIED in result.stderr, (args, result.stderr)
    assert program.send("ncpus", "NCPUS") == ["1"]
    assert [n["name"] for n in bus.get(program.name, "Nodes")] == ["local"]
    # and the same calls from the program's own user work
    assert gdbus_call(bus.env, program.name, IFACE + ".SetNcpus", "2").returncode == 0
    assert program.send("ncpus", "NCPUS") == ["2"]


@pytest.mark.parametrize("mode, env", [("python-off", {}), ("property", {}),
                                       ("on", {"PP_NO_BUS": "1"})],
                         ids=["bus=False", "export-on-bus=FALSE", "PP_NO_BUS=1"])
def test_export_off(bus, programs, mode, env):
    """With the export off there is no name; two servers with it on in one
    process would each have theirs."""
    program = programs(mode, env=env)
    assert program.name == "None"
    assert bus.clients() == []
    assert program.close() == 0, program.stderr


def test_bus_of_the_runtime_directory(bus, programs):
    """Without DBUS_SESSION_BUS_ADDRESS, the session bus is
    $XDG_RUNTIME_DIR/bus, as for sd-bus and GLib."""
    program = programs(env={"DBUS_SESSION_BUS_ADDRESS": None, "XDG_RUNTIME_DIR": bus.dir})
    assert program.name.startswith(PREFIX)
    assert bus.clients() == [program.name]


def test_no_bus_at_all(tmp_path):
    """Without a session bus (none set, or one that is gone) a pp program runs
    as ever: nothing is printed, nothing waits."""
    script = tmp_path / "nobus.py"
    script.write_text("import pp, time\n"
                      "def f(x):\n    return x + 1\n"
                      "start = time.monotonic()\n"
                      "s = pp.Server(1)\n"
                      "assert [s.submit(f, (i,))() for i in range(3)] == [1, 2, 3]\n"
                      "assert s.bus_name is None\n"
                      "s.destroy()\n"
                      "print('%.2f' % (time.monotonic() - start))\n")
    runtime = tmp_path / "runtime"
    runtime.mkdir()
    for address in (None, "unix:path=" + str(tmp_path / "gone")):
        env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime))
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        env.pop("PP_NO_BUS", None)
        if address:
            env["DBUS_SESSION_BUS_ADDRESS"] = address
        result = subprocess.run([sys.executable, str(script)], env=env, capture_output=True,
                                text=True, timeout=TIMEOUT)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert float(result.stdout) < 10


def readme_block(marker):
    with open(os.path.join(SRCDIR, "README.md")) as f:
        text = f.read()
    block = text.split(marker, 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    return "\n".join(line for line in block.splitlines() if not line.startswith("#>"))


def test_readme_examples(bus, programs, nodes):
    """README.md's "Watching pp programs on the session bus" runs as it is
    (its node address replaced by a real ppd's)."""
    node = nodes(workers=1)
    program = programs()
    script = "set -e -o pipefail\n" + readme_block("<!-- client-bus-example -->") \
        .replace("127.0.0.1:60000", node.address)
    result = subprocess.run(["bash", "-c", script], env=bus.env, capture_output=True, text=True,
                            timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    for expected in (program.name, "interface org.ppglib.PpClient1", "'name': <'local'>",
                     '"kind":"client"', "('%s',)" % node.address, "(uint32 0,)"):
        assert expected in result.stdout, (expected, result.stdout)
    assert program.send("ncpus", "NCPUS") == ["4"]
    assert [n["name"] for n in bus.get(program.name, "Nodes")] == ["local", node.address]


def test_bench_bus_quick(bus, tmp_path):
    """bench/bench_bus.py --quick completes on this bus and reports every
    figure (the goal is for humans on a quiet machine, not checked here)."""
    out = tmp_path / "bus.json"
    result = subprocess.run([sys.executable, os.path.join(SRCDIR, "bench", "bench_bus.py"),
                             "--quick", "--json", str(out)], env=bus.env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text())
    for mode in ("off", "on", "watched"):
        assert figures["bus_%s_jobs_per_s" % mode] > 0
        assert len(figures["bus_%s_samples" % mode]) == 7
    assert "on, gdbus monitor watching" in result.stdout


def test_status_from_python():
    """pp.Server.status() is the client document of the schema, in the
    process, with or without a bus: its nodes, its queue and pp's figures."""
    import pp

    def inc(x):
        return x + 1

    server = pp.Server(2, bus=False)
    try:
        assert [server.submit(inc, (i,))() for i in range(4)] == [1, 2, 3, 4]
        document = validate(server.status())
        assert document["kind"] == "client" and document["pid"] == os.getpid()
        assert document["nodes"][0]["local"] and document["ncpus"] == 2
        assert sum(row["jobs"] for row in document["stats"]) == 4
    finally:
        server.destroy()


def test_status_escapes_every_control_character():
    """A group named with control characters (json-glib 1.6 writes U+001F
    raw, which no JSON parser takes) still gives valid JSON."""
    import pp

    def hold(path):
        import os
        import time
        while not os.path.exists(path):
            time.sleep(0.01)
        return 1

    odd = "odd\x1f\x01\"\\\u00fc"
    go = "/tmp/pp-test-status-go-%d" % os.getpid()
    server = pp.Server(1, bus=False)
    try:
        jobs = [server.submit(hold, (go,), group=odd) for _ in range(2)]
        text = server._srv.dup_status()
        assert "\x1f" not in text and "\\u001f" in text
        document = validate(json.loads(text))
        assert odd in [row["group"] for row in document["queue"]["groups"]], document["queue"]
        open(go, "w").close()
        assert [job() for job in jobs] == [1, 1]
    finally:
        if os.path.exists(go):
            os.unlink(go)
        server.destroy()
