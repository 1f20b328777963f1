# tests/python/test_dbus.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppd on D-Bus: the org.ppglib.Ppd1 interface of data/org.ppglib.Ppd1.xml,
through the real gdbus command-line client (call, introspect, monitor) and
through PyGObject's Gio.DBusProxy.

Every test runs its own dbus-daemon (a private session bus listening in a
temporary directory) and, on it, its own ppd (-p 0 -i 127.0.0.1); both are
reaped at the end.  The activation test gives its bus the build tree's
service directory ($PPD_TEST_SERVICE_DIR) and starts no ppd itself.  The
examples of README.md's "Scripting ppd with gdbus" are extracted from the
README and run as they are, so the README cannot drift from what works.

    PPD=$PWD/_build/ppd/ppd ./dev.sh env /usr/bin/python3 -m pytest -q tests/python/test_dbus.py
"""

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import xml.etree.ElementTree as ET

import pytest

gi = pytest.importorskip("gi")
from gi.repository import Gio, GLib  # noqa: E402

from privatebus import HIGH_LIMITS, PrivateBus  # noqa: E402

SRCDIR = os.environ.get("PP_SOURCE_ROOT") or \
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
INTERFACE_XML = os.path.join(SRCDIR, "data", "org.ppglib.Ppd1.xml")
README = os.path.join(SRCDIR, "README.md")

NAME = "org.ppglib.Ppd"
OBJECT_PATH = "/org/ppglib/Ppd"
IFACE = "org.ppglib.Ppd1"
ERROR = IFACE + ".Error."
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
SECRET = "dbus-test-secret-5c1e"
TIMEOUT = 20.0

ADD_SOURCE = "def add(a, b):\n    return a + b\n"
NAP_SOURCE = "def nap(t):\n    import time\n    time.sleep(t)\n    return t\n"
SQUARE_SOURCE = "def square(x):\n    return x * x\n"
DIV_SOURCE = "def div(a, b):\n    return a / b\n"

GDBUS = shutil.which("gdbus")
DBUS_DAEMON = shutil.which("dbus-daemon")


def _ppd_path():
    path = os.environ.get("PPD")
    if path and os.access(path, os.X_OK):
        return os.path.abspath(path)
    path = os.path.join(SRCDIR, "_build", "ppd", "ppd")
    return path if os.access(path, os.X_OK) else None


PPD = _ppd_path()
pytestmark = [
    pytest.mark.skipif(PPD is None, reason="ppd is not built (set PPD)"),
    pytest.mark.skipif(GDBUS is None or DBUS_DAEMON is None,
                       reason="gdbus and dbus-daemon are needed (libglib2.0-bin, dbus)"),
    pytest.mark.usefixtures("subreaper"),
]


def base_env():
    env = dict(os.environ)
    for name in ("PP_SECRET", "G_MESSAGES_DEBUG", "DBUS_STARTER_ADDRESS",
                 "DBUS_STARTER_BUS_TYPE"):
        env.pop(name, None)
    env.setdefault("PP_RUNNER", os.path.join(SRCDIR, "libpp-glib", "pp-runner.py"))
    if not env.get("PP_PYTHON") and os.path.exists("/usr/bin/python3"):
        env["PP_PYTHON"] = "/usr/bin/python3"
    return env


SANITIZER_REPORT = re.compile(r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:")


def wait_until(predicate, timeout=TIMEOUT, interval=0.02, what="condition"):
    """Polls predicate() (iterating the default main context, where the
    proxies' signals arrive) until it returns something true."""
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while True:
        while context.pending():
            context.iteration(False)
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(interval)


def pump(seconds):
    """Lets signals arrive for that long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        wait_until(lambda: True)
        time.sleep(0.01)


# ---------------------------------------------------------------------------
# A private bus

class Bus(PrivateBus):
    """A dbus-daemon of our own, as a session bus: env is the environment
    for the processes that should use it, conn our own connection."""

    def __init__(self, servicedir=None):
        super().__init__(base_env(), "ppd-dbus-", TIMEOUT, servicedir=servicedir,
                         limits=HIGH_LIMITS)

    def has_owner(self, name=NAME):
        return self.bus_call("NameHasOwner", GLib.Variant("(s)", (name,)))

    def owner_pid(self, name=NAME):
        owner = self.bus_call("GetNameOwner", GLib.Variant("(s)", (name,)), "(s)")
        return self.bus_call("GetConnectionUnixProcessID", GLib.Variant("(s)", (owner,)), "(u)")


@pytest.fixture
def bus():
    b = Bus()
    yield b
    b.close()


# ---------------------------------------------------------------------------
# ppd on that bus

class Ppd:
    """A ppd process on a private bus, its log lines collected as they come."""

    def __init__(self, bus, workers=1, secret=None, extra=(), prefix=(), env=None):
        self.bus = bus
        env = dict(env or bus.env)
        if secret is not None:
            env["PP_SECRET"] = secret
        self.proc = subprocess.Popen(
            [*prefix, PPD, "-p", "0", "-i", "127.0.0.1", "-w", str(workers), *extra], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.cond = threading.Condition()
        self.lines = []
        self.threads = [threading.Thread(target=self._read, args=(stream,), daemon=True)
                        for stream in (self.proc.stdout, self.proc.stderr)]
        for thread in self.threads:
            thread.start()
        self.port = int(self.wait_for(r"listening on 127\.0\.0\.1:(\d+) with \d+ worker").group(1))
        wait_until(lambda: self.proc.poll() is not None or bus.has_owner(),
                   what="ppd to own %s" % NAME)
        assert self.proc.poll() is None, "ppd exited (%d):\n%s" % (self.proc.returncode, self.text())
        assert bus.owner_pid() == self.proc.pid

    def _read(self, stream):
        for line in stream:
            with self.cond:
                self.lines.append(line.decode("utf-8", "replace"))
                self.cond.notify_all()

    def text(self):
        with self.cond:
            return "".join(self.lines)

    def wait_for(self, pattern, timeout=TIMEOUT):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.lines:
                    match = regex.search(line)
                    if match:
                        return match
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not any(
                        t.is_alive() for t in self.threads)):
                    raise AssertionError("no %r in ppd's output:\n%s" % (pattern, "".join(self.lines)))
                self.cond.wait(min(left, 0.1))

    def alive(self):
        """ppd still runs, owns its name, and answers."""
        assert self.proc.poll() is None, "ppd died (%s):\n%s" % (self.proc.returncode, self.text())
        assert self.bus.has_owner()
        assert self.bus.owner_pid() == self.proc.pid
        return True

    def wait(self, timeout=TIMEOUT):
        status = self.proc.wait(timeout)
        for thread in self.threads:
            thread.join(timeout)
        return status

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()
        assert not SANITIZER_REPORT.search(self.text()), self.text()


@pytest.fixture
def ppd(bus):
    daemons = []

    def start(workers=1, **kwargs):
        daemon = Ppd(bus, workers, **kwargs)
        daemons.append(daemon)
        return daemon

    yield start
    for daemon in daemons:
        daemon.close()


# ---------------------------------------------------------------------------
# gdbus, the command-line client

class GdbusError(Exception):
    def __init__(self, name, stderr):
        super().__init__("%s: %s" % (name, stderr))
        self.name = name
        self.stderr = stderr


def gdbus(bus, *args, timeout=TIMEOUT):
    return subprocess.run([GDBUS, *args], env=bus.env, capture_output=True, text=True,
                          timeout=timeout)


def gdbus_call_raw(bus, method, *args, timeout=TIMEOUT):
    """gdbus call METHOD ARGS...: the reply parsed back into a GVariant
    tuple, or GdbusError with the D-Bus error's name."""
    result = gdbus(bus, "call", "--session", "--dest", NAME, "--object-path", OBJECT_PATH,
                   "--method", method, *args, timeout=timeout)
    if result.returncode != 0:
        match = re.search(r"GDBus\.Error:([A-Za-z0-9_.]+)", result.stderr)
        raise GdbusError(match.group(1) if match else None, result.stderr)
    return GLib.Variant.parse(None, result.stdout.strip(), None, None)


def gdbus_call(bus, method, *args, **kwargs):
    """An org.ppglib.Ppd1 method through gdbus call, its reply unpacked."""
    return gdbus_call_raw(bus, IFACE + "." + method, *args, **kwargs).unpack()


def gdbus_error(bus, method, *args):
    with pytest.raises(GdbusError) as info:
        gdbus_call_raw(bus, method if "." in method else IFACE + "." + method, *args)
    return info.value.name, info.value.stderr


def gdbus_get(bus, prop):
    """A property through gdbus call Properties.Get: (value, its type)."""
    variant = gdbus_call_raw(bus, "org.freedesktop.DBus.Properties.Get", IFACE, prop)
    inner = variant.get_child_value(0).get_variant()
    return inner.unpack(), inner.get_type_string()


def gdbus_set(bus, prop, value_text):
    return gdbus_call_raw(bus, "org.freedesktop.DBus.Properties.Set", IFACE, prop, value_text)


def gv(type_string, value):
    """A value in GVariant text form, for gdbus call's arguments."""
    return GLib.Variant(type_string, value).print_(False)


def gdbus_submit(bus, source, function, args, modules=(), group=""):
    (job_id,) = gdbus_call(bus, "Submit", gv("s", source), gv("s", function),
                           gv("s", json.dumps(args)), gv("as", list(modules)), gv("s", group))
    return job_id


class Monitor:
    """gdbus monitor on ppd's object, its signals parsed as they come."""

    LINE = re.compile(r"^(/\S*): ([\w.]+)\.(\w+) (\(.*\))$")

    def __init__(self, bus):
        self.proc = subprocess.Popen(
            [GDBUS, "monitor", "--session", "--dest", NAME, "--object-path", OBJECT_PATH],
            env=bus.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        self.cond = threading.Condition()
        self.lines = []
        self.signals = []
        self.times = []               # (signal name, monotonic time it came)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        # Its match rule is in place once it has asked who owns the name.
        self.wait_line(r"The name %s is owned by" % re.escape(NAME))

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            match = self.LINE.match(line)
            with self.cond:
                self.lines.append(line)
                if match:
                    args = GLib.Variant.parse(None, match.group(4), None, None).unpack()
                    self.signals.append((match.group(2), match.group(3), args))
                    self.times.append((match.group(3), time.monotonic()))
                self.cond.notify_all()

    def wait_line(self, pattern, timeout=TIMEOUT):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            while not any(regex.search(line) for line in self.lines):
                left = deadline - time.monotonic()
                assert left > 0, "gdbus monitor printed no %r:\n%s" % (pattern, "\n".join(self.lines))
                self.cond.wait(min(left, 0.1))

    def wait_signal(self, name, predicate=lambda args: True, timeout=TIMEOUT):
        """The arguments of the first signal @name whose arguments satisfy @predicate."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for iface, signal_name, args in self.signals:
                    if signal_name == name and predicate(args):
                        return args
                left = deadline - time.monotonic()
                assert left > 0, "gdbus monitor saw no matching %s:\n%s" % (name, "\n".join(self.lines))
                self.cond.wait(min(left, 0.1))

    def of(self, name):
        with self.cond:
            return [args for _, signal_name, args in self.signals if signal_name == name]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.thread.join(10)
        self.proc.stdout.close()


@pytest.fixture
def monitor(bus):
    monitors = []

    def start():
        m = Monitor(bus)
        monitors.append(m)
        return m

    yield start
    for m in monitors:
        m.close()


# ---------------------------------------------------------------------------
# Gio.DBusProxy, in this process

class Proxy:
    """A Gio.DBusProxy for org.ppglib.Ppd1 that records signals and
    property changes."""

    def __init__(self, bus):
        self.bus = bus
        self.proxy = Gio.DBusProxy.new_sync(bus.conn, Gio.DBusProxyFlags.DO_NOT_AUTO_START, None,
                                            NAME, OBJECT_PATH, IFACE, None)
        self.signals = []             # (name, args, monotonic time)
        self.changes = []             # (changed properties, invalidated, monotonic time)
        self.proxy.connect("g-signal", self._on_signal)
        self.proxy.connect("g-properties-changed", self._on_properties_changed)

    def _on_signal(self, proxy, sender, name, params):
        self.signals.append((name, params.unpack(), time.monotonic()))

    def _on_properties_changed(self, proxy, changed, invalidated):
        self.changes.append((changed.unpack(), list(invalidated), time.monotonic()))

    def call(self, method, signature=None, *args, timeout=TIMEOUT):
        params = GLib.Variant(signature, args) if signature else None
        reply = self.proxy.call_sync(method, params, Gio.DBusCallFlags.NONE,
                                     int(timeout * 1000), None)
        return reply.unpack() if reply is not None else ()

    def call_async(self, method, signature, *args, timeout=TIMEOUT):
        """Starts a call; returns a dict that gets "reply" or "error"."""
        outcome = {}

        def done(proxy, res):
            try:
                outcome["reply"] = proxy.call_finish(res).unpack()
            except GLib.Error as e:
                outcome["error"] = Gio.DBusError.get_remote_error(e) or e.message
        params = GLib.Variant(signature, args) if signature else None
        self.proxy.call(method, params, Gio.DBusCallFlags.NONE, int(timeout * 1000), None, done)
        return outcome

    def error(self, method, signature=None, *args, timeout=TIMEOUT):
        """The D-Bus error name that the call answers."""
        with pytest.raises(GLib.Error) as info:
            self.call(method, signature, *args, timeout=timeout)
        return Gio.DBusError.get_remote_error(info.value), info.value.message

    def raw_call(self, method, params):
        """A call with any parameters at all, past the proxy."""
        return self.bus.conn.call_sync(NAME, OBJECT_PATH, IFACE, method, params, None,
                                       Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None)

    def raw_error(self, method, params, iface=IFACE):
        with pytest.raises(GLib.Error) as info:
            self.bus.conn.call_sync(NAME, OBJECT_PATH, iface, method, params, None,
                                    Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None)
        return Gio.DBusError.get_remote_error(info.value)

    def cached(self, prop):
        value = self.proxy.get_cached_property(prop)
        return None if value is None else value.unpack()

    def submit(self, source, function, args, modules=(), group=""):
        (job_id,) = self.call("Submit", "(sssass)", source, function, json.dumps(args),
                              list(modules), group)
        return job_id

    def of(self, name):
        wait_until(lambda: True)
        return [args for signal_name, args, _ in self.signals if signal_name == name]

    def wait_signal(self, name, predicate=lambda args: True, timeout=TIMEOUT):
        def find():
            for args in self.of(name):
                if predicate(args):
                    return (args,)
        return wait_until(find, timeout, what="a %s signal on the proxy" % name)[0]

    def get(self, prop):
        """Properties.Get through the proxy's connection: the live value."""
        reply = self.bus.conn.call_sync(
            NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Get",
            GLib.Variant("(ss)", (IFACE, prop)), GLib.VariantType("(v)"),
            Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None)
        return reply.unpack()[0]

    def set(self, prop, value):
        self.bus.conn.call_sync(
            NAME, OBJECT_PATH, "org.freedesktop.DBus.Properties", "Set",
            GLib.Variant("(ssv)", (IFACE, prop, value)), None,
            Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None)

    def set_error(self, prop, value):
        with pytest.raises(GLib.Error) as info:
            self.set(prop, value)
        return Gio.DBusError.get_remote_error(info.value)


@pytest.fixture
def proxy(bus):
    return lambda: Proxy(bus)


# ---------------------------------------------------------------------------
# The contract

def interface_spec(xml_text):
    """{"methods": {name: [(arg, type, direction)]}, "signals": {name: [(arg, type)]},
    "properties": {name: (type, access)}} of org.ppglib.Ppd1 in @xml_text."""
    root = ET.fromstring(xml_text)
    iface = [i for i in root.iter("interface") if i.get("name") == IFACE]
    assert len(iface) == 1, "no interface %s" % IFACE
    iface = iface[0]
    return {
        "methods": {m.get("name"): [(a.get("name"), a.get("type"), a.get("direction", "in"))
                                    for a in m.findall("arg")]
                    for m in iface.findall("method")},
        "signals": {s.get("name"): [(a.get("name"), a.get("type")) for a in s.findall("arg")]
                    for s in iface.findall("signal")},
        "properties": {p.get("name"): (p.get("type"), p.get("access"))
                       for p in iface.findall("property")},
    }


with open(INTERFACE_XML) as _f:
    SPEC = interface_spec(_f.read())
PROPERTIES = SPEC["properties"]


def ppd_version():
    out = subprocess.run([PPD, "--version"], capture_output=True, text=True, timeout=TIMEOUT,
                         env=base_env()).stdout
    return out.split()[-1]


def parent_pid(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


def job_done(job):
    assert job["state"] == "done", job
    return json.loads(job["result"])


# ---------------------------------------------------------------------------
# Introspection and properties

def test_introspection_matches_the_interface_xml(bus, ppd, proxy):
    ppd()
    result = gdbus(bus, "introspect", "--session", "--dest", NAME, "--object-path", OBJECT_PATH,
                   "--xml")
    assert result.returncode == 0, result.stderr
    assert interface_spec(result.stdout) == SPEC
    names = {i.get("name") for i in ET.fromstring(result.stdout).iter("interface")}
    assert {"org.freedesktop.DBus.Properties", "org.freedesktop.DBus.Introspectable"} <= names

    text = gdbus(bus, "introspect", "--session", "--dest", NAME, "--object-path", OBJECT_PATH)
    assert "interface %s {" % IFACE in text.stdout
    assert "readwrite u Workers" in text.stdout

    (xml,) = proxy().bus.conn.call_sync(
        NAME, OBJECT_PATH, "org.freedesktop.DBus.Introspectable", "Introspect", None,
        GLib.VariantType("(s)"), Gio.DBusCallFlags.NONE, int(TIMEOUT * 1000), None).unpack()
    assert interface_spec(xml) == SPEC


def test_every_property_through_gdbus_and_the_proxy(bus, ppd, proxy):
    started = time.monotonic()
    daemon = ppd(workers=2)
    p = proxy()

    (everything,) = gdbus_call_raw(bus, "org.freedesktop.DBus.Properties.GetAll", IFACE)
    assert set(everything.keys()) == set(PROPERTIES)
    variant = gdbus_call_raw(bus, "org.freedesktop.DBus.Properties.GetAll", IFACE).get_child_value(0)
    for name, (type_string, _) in PROPERTIES.items():
        assert variant.lookup_value(name, None).get_type_string() == type_string, name
        value, got_type = gdbus_get(bus, name)
        assert got_type == type_string, name
        cached = p.proxy.get_cached_property(name)
        assert cached is not None, "%s is not in the proxy's cache" % name
        assert cached.get_type_string() == type_string, name

    assert gdbus_get(bus, "Version")[0] == ppd_version() == p.cached("Version")
    assert gdbus_get(bus, "Address")[0] == "127.0.0.1" == p.cached("Address")
    assert gdbus_get(bus, "Port")[0] == daemon.port == p.cached("Port")
    assert gdbus_get(bus, "Workers")[0] == 2 == p.cached("Workers")
    for name in ("ActiveJobs", "QueuedJobs", "JobsDone", "JobsFailed", "Clients"):
        assert gdbus_get(bus, name)[0] == 0 == p.cached(name), name
    uptime = gdbus_get(bus, "Uptime")[0]
    assert 0 <= uptime <= time.monotonic() - started + 1
    assert 0 <= p.cached("Uptime") <= time.monotonic() - started + 1

    # Two workers, children of ppd, idle once started.
    states = wait_until(lambda: [s for s in [gdbus_get(bus, "WorkerStates")[0]]
                                 if len(s) == 2 and all(st == "idle" for _, st in s)],
                        what="two idle workers in WorkerStates")[0]
    assert all(parent_pid(pid) == daemon.proc.pid for pid, _ in states)
    wait_until(lambda: sorted(p.cached("WorkerStates")) == sorted(states),
               what="the proxy's WorkerStates to follow")
    (workers,) = gdbus_call(bus, "ListWorkers")
    assert sorted(w[0] for w in workers) == sorted(pid for pid, _ in states)
    assert all(w[1] == "idle" and w[2] == 0 and w[3] == 0 and w[4] >= 0 for w in workers), workers

    # Uptime moves on.
    time.sleep(1.5)
    assert gdbus_get(bus, "Uptime")[0] > uptime


def test_set_workers_signal_property_and_list_follow(bus, ppd, monitor, proxy):
    ppd(workers=1)
    mon = monitor()
    p = proxy()

    # SetWorkers through gdbus
    assert gdbus_call(bus, "SetWorkers", "3") == ()
    assert mon.wait_signal("WorkersChanged", lambda a: a == (3,)) == (3,)
    assert p.wait_signal("WorkersChanged", lambda a: a == (3,)) == (3,)
    assert gdbus_get(bus, "Workers")[0] == 3
    wait_until(lambda: p.cached("Workers") == 3, what="the proxy's Workers to be 3")
    mon.wait_signal("PropertiesChanged", lambda a: a[0] == IFACE and a[1].get("Workers") == 3)
    wait_until(lambda: len(gdbus_call(bus, "ListWorkers")[0]) == 3, what="3 in ListWorkers")
    wait_until(lambda: len(gdbus_get(bus, "WorkerStates")[0]) == 3, what="3 in WorkerStates")

    # Setting the property through gdbus
    assert gdbus_set(bus, "Workers", "<uint32 1>").unpack() == ()
    mon.wait_signal("WorkersChanged", lambda a: a == (1,))
    p.wait_signal("WorkersChanged", lambda a: a == (1,))
    assert gdbus_get(bus, "Workers")[0] == 1
    wait_until(lambda: len(gdbus_call(bus, "ListWorkers")[0]) == 1, what="1 in ListWorkers")
    wait_until(lambda: len(p.cached("WorkerStates")) == 1, what="1 in the proxy's WorkerStates")

    # The same through the proxy
    assert p.call("SetWorkers", "(u)", 2) == ()
    mon.wait_signal("WorkersChanged", lambda a: a == (2,))
    p.wait_signal("WorkersChanged", lambda a: a == (2,))
    assert p.get("Workers") == 2
    wait_until(lambda: len(p.call("ListWorkers")[0]) == 2, what="2 in ListWorkers")
    p.set("Workers", GLib.Variant("u", 1))
    p.wait_signal("WorkersChanged", lambda a: a == (1,))
    wait_until(lambda: p.cached("Workers") == 1, what="the proxy's Workers to be 1")
    wait_until(lambda: len(p.call("ListWorkers")[0]) == 1, what="1 in ListWorkers")

    # The same number again changes nothing.
    before = len(p.of("WorkersChanged"))
    p.call("SetWorkers", "(u)", 1)
    pump(0.5)
    assert len(p.of("WorkersChanged")) == before


def test_invalid_worker_counts(bus, ppd, proxy):
    daemon = ppd(workers=1)
    p = proxy()
    for count in ("0", "4097", "4294967295"):
        name, stderr = gdbus_error(bus, "SetWorkers", count)
        assert name == ERROR + "InvalidWorkerCount", stderr
        # The rule of ppd -w and of its configuration file.
        assert "The number of workers must be between 1 and 4096, not %s" % count in stderr
        assert p.error("SetWorkers", "(u)", int(count))[0] == ERROR + "InvalidWorkerCount"
    name, stderr = gdbus_error(bus, "org.freedesktop.DBus.Properties.Set", IFACE, "Workers",
                               "<uint32 0>")
    assert name == ERROR + "InvalidWorkerCount", stderr
    assert p.set_error("Workers", GLib.Variant("u", 5000)) == ERROR + "InvalidWorkerCount"
    # A property of another type, or a read-only one
    assert p.set_error("Workers", GLib.Variant("s", "4")) == INVALID_ARGS
    assert p.set_error("Port", GLib.Variant("q", 1)) in (
        INVALID_ARGS, "org.freedesktop.DBus.Error.PropertyReadOnly")
    assert p.set_error("NoSuchProperty", GLib.Variant("u", 1)) in (
        INVALID_ARGS, "org.freedesktop.DBus.Error.UnknownProperty")
    assert gdbus_get(bus, "Workers")[0] == 1
    assert len(gdbus_call(bus, "ListWorkers")[0]) == 1
    assert daemon.alive()


# ---------------------------------------------------------------------------
# Jobs

def test_submit_get_wait_through_gdbus(bus, ppd):
    daemon = ppd(workers=1)
    job_id = gdbus_submit(bus, ADD_SOURCE, "add", [20, 22])
    assert isinstance(job_id, int) and job_id > 0
    (job,) = gdbus_call(bus, "WaitJob", str(job_id))
    assert job_done(job) == 42
    assert job["group"] == "default"
    assert job["output"] == ""
    assert job["wait_time"] >= 0 and job["run_time"] >= 0
    assert "error_type" not in job
    (again,) = gdbus_call(bus, "GetJob", str(job_id))
    assert again["state"] == "done" and json.loads(again["result"]) == 42

    # Modules, a group, printed output, and JSON that is not a number
    source = ("def describe(a, b, name):\n"
              "    print('hypot of', a, b)\n"
              "    return {'name': name, 'hypot': math.hypot(a, b), 'list': [a, b, None]}\n")
    job_id2 = gdbus_submit(bus, source, "describe", [3, 4, "d\u00e9j\u00e0 \"vu\""],
                           modules=["math"], group="geometry")
    assert job_id2 != job_id
    (job,) = gdbus_call(bus, "WaitJob", str(job_id2))
    assert job_done(job) == {"name": "d\u00e9j\u00e0 \"vu\"", "hypot": 5.0, "list": [3, 4, None]}
    assert job["group"] == "geometry"
    assert job["output"] == "hypot of 3 4\n"

    # A whole import statement as a module
    job_id3 = gdbus_submit(bus, "def j(p):\n    return join(p, 'x')\n", "j", ["a"],
                           modules=["from os.path import join"])
    assert job_done(gdbus_call(bus, "WaitJob", str(job_id3))[0]) == "a/x"

    wait_until(lambda: gdbus_get(bus, "JobsDone")[0] == 3, what="JobsDone to be 3")
    assert gdbus_get(bus, "JobsFailed")[0] == 0
    assert daemon.alive()


def test_submit_and_job_signals_through_the_proxy(bus, ppd, monitor, proxy):
    ppd(workers=2)
    mon = monitor()
    p = proxy()
    ids = [p.submit(SQUARE_SOURCE, "square", [i], group="squares") for i in range(5)]
    assert len(set(ids)) == 5
    for i, job_id in enumerate(ids):
        (job,) = p.call("WaitJob", "(t)", job_id)
        assert job_done(job) == i * i
        assert job["group"] == "squares"
        (job,) = p.call("GetJob", "(t)", job_id)
        assert job_done(job) == i * i

    worker_pids = {w[0] for w in p.call("ListWorkers")[0]}
    for job_id in ids:
        for signals in (p, mon):
            (_, pid) = signals.wait_signal("JobStarted", lambda a: a[0] == job_id)
            assert pid in worker_pids
            (_, ok, seconds) = signals.wait_signal("JobFinished", lambda a: a[0] == job_id)
            assert ok is True and seconds >= 0
    wait_until(lambda: p.cached("JobsDone") == 5, what="the proxy's JobsDone to be 5")
    assert sum(w[3] for w in p.call("ListWorkers")[0]) == 5


def test_a_job_that_raises(bus, ppd, monitor, proxy):
    daemon = ppd(workers=1)
    mon = monitor()
    p = proxy()
    job_id = gdbus_submit(bus, DIV_SOURCE, "div", [1, 0])
    for job in (gdbus_call(bus, "WaitJob", str(job_id))[0], p.call("GetJob", "(t)", job_id)[0]):
        assert job["state"] == "failed", job
        assert job["error_type"] == "ZeroDivisionError"
        assert job["error_message"] == "division by zero"
        assert "ZeroDivisionError" in job["traceback"] and "div" in job["traceback"]
        assert "result" not in job
    for signals in (mon, p):
        (_, ok, _) = signals.wait_signal("JobFinished", lambda a: a[0] == job_id)
        assert ok is False
    wait_until(lambda: gdbus_get(bus, "JobsFailed")[0] == 1, what="JobsFailed to be 1")
    assert gdbus_get(bus, "JobsDone")[0] == 0

    # The worker goes on.
    assert job_done(p.call("WaitJob", "(t)", p.submit(ADD_SOURCE, "add", [1, 1]))[0]) == 2
    assert daemon.alive()


def test_cancel_a_running_and_a_queued_job(bus, ppd, monitor, proxy):
    daemon = ppd(workers=1)
    mon = monitor()
    p = proxy()
    running = gdbus_submit(bus, NAP_SOURCE, "nap", [60])
    queued = p.submit(NAP_SOURCE, "nap", [60])
    wait_until(lambda: gdbus_call(bus, "GetJob", str(running))[0]["state"] == "running",
               what="the first job to run")
    assert p.call("GetJob", "(t)", queued)[0]["state"] == "queued"

    started = time.monotonic()
    assert p.call("CancelJob", "(t)", queued) == (True,)
    assert gdbus_call(bus, "CancelJob", str(running)) == (True,)
    for job_id in (running, queued):
        (job,) = gdbus_call(bus, "WaitJob", str(job_id))
        assert job["state"] == "cancelled", job
        assert "result" not in job
    assert time.monotonic() - started < 10
    for signals in (mon, p):
        (_, ok, _) = signals.wait_signal("JobFinished", lambda a: a[0] == running)
        assert ok is False
    # Already over: nothing to cancel.
    assert gdbus_call(bus, "CancelJob", str(running)) == (False,)
    assert p.call("CancelJob", "(t)", queued) == (False,)
    wait_until(lambda: gdbus_get(bus, "JobsFailed")[0] == 2, what="JobsFailed to be 2")

    done = p.submit(ADD_SOURCE, "add", [2, 3])
    assert job_done(p.call("WaitJob", "(t)", done)[0]) == 5
    assert p.call("CancelJob", "(t)", done) == (False,)
    assert daemon.alive()


def test_wait_job_does_not_block_ppd(bus, ppd, proxy):
    ppd(workers=1)
    p = proxy()
    job_id = p.submit(NAP_SOURCE, "nap", [2])
    outcomes = [p.call_async("WaitJob", "(t)", job_id) for _ in range(3)]
    for _ in range(5):
        before = time.monotonic()
        assert p.call("GetJob", "(t)", job_id)[0]["state"] in ("queued", "running")
        assert gdbus_get(bus, "Workers")[0] == 1
        assert time.monotonic() - before < 1.5
    wait_until(lambda: all(outcomes), what="the WaitJob replies")
    for outcome in outcomes:
        assert job_done(outcome["reply"][0]) == 2, outcome


def test_active_queued_jobs_and_worker_states(bus, ppd, monitor, proxy):
    ppd(workers=1)
    mon = monitor()
    p = proxy()
    ids = [p.submit(NAP_SOURCE, "nap", [30]) for _ in range(3)]
    wait_until(lambda: gdbus_get(bus, "ActiveJobs")[0] == 1 and gdbus_get(bus, "QueuedJobs")[0] == 2,
               what="ActiveJobs 1 and QueuedJobs 2")
    wait_until(lambda: p.cached("ActiveJobs") == 1 and p.cached("QueuedJobs") == 2,
               what="the proxy's ActiveJobs and QueuedJobs to follow")
    (pid, state) = gdbus_get(bus, "WorkerStates")[0][0]
    assert state == "busy"
    (started_id, worker) = p.wait_signal("JobStarted", lambda a: a[0] in ids)
    assert started_id == ids[0] and worker == pid
    (workers,) = gdbus_call(bus, "ListWorkers")
    assert workers[0][:3] == (pid, "busy", ids[0])
    # GetStats gives print_stats' figures, and pp's "active tasks" are
    # every job not finished yet: the same figure as in its table.
    stats = gdbus_call(bus, "GetStats")[0]
    assert "3 active tasks, 1 cores" in stats["table"], stats["table"]
    assert stats["active_jobs"] == 3, "GetStats: active_jobs %d, its table: %r" % (
        stats["active_jobs"], stats["table"])

    for job_id in reversed(ids):
        assert p.call("CancelJob", "(t)", job_id) == (True,)
    wait_until(lambda: gdbus_get(bus, "ActiveJobs")[0] == 0 and gdbus_get(bus, "QueuedJobs")[0] == 0,
               what="no active or queued job")
    wait_until(lambda: [s for _, s in gdbus_get(bus, "WorkerStates")[0]] == ["idle"],
               what="the worker to be idle again")
    mon.wait_signal("PropertiesChanged", lambda a: a[1].get("ActiveJobs") == 1)


def test_get_stats(bus, ppd, proxy):
    ppd(workers=2)
    p = proxy()
    for i in range(3):
        job_done(p.call("WaitJob", "(t)", p.submit(SQUARE_SOURCE, "square", [i]))[0])
    types = {"jobs": "t", "time": "d", "time_per_job": "d", "uptime": "d",
             "active_jobs": "u", "cores": "u", "table": "s"}
    through_gdbus = gdbus_call_raw(bus, IFACE + ".GetStats").get_child_value(0)
    through_proxy = p.proxy.call_sync("GetStats", None, Gio.DBusCallFlags.NONE,
                                      int(TIMEOUT * 1000), None).get_child_value(0)
    for stats in (through_gdbus, through_proxy):
        for key, type_string in types.items():
            value = stats.lookup_value(key, None)
            assert value is not None, "no %r in GetStats" % key
            assert value.get_type_string() == type_string, key
        s = stats.unpack()
        assert s["jobs"] == 3
        assert s["cores"] == 2
        assert s["active_jobs"] == 0
        assert s["uptime"] > 0 and s["time"] >= 0
        assert s["time_per_job"] == pytest.approx(s["time"] / 3, rel=1e-6, abs=1e-9)
        assert s["table"].startswith("Job execution statistics:"), s["table"]
        assert "local" in s["table"]


def test_at_most_max_retained_finished_jobs_are_kept(bus, ppd, proxy):
    ppd(workers=2, extra=("--max-retained-jobs", "3"))
    p = proxy()
    long_one = p.submit(NAP_SOURCE, "nap", [30])
    wait_until(lambda: p.call("GetJob", "(t)", long_one)[0]["state"] == "running",
               what="the long job to run")
    ids = [p.submit(ADD_SOURCE, "add", [i, 1]) for i in range(5)]
    wait_until(lambda: {a[0] for a in p.of("JobFinished")} >= set(ids), what="5 JobFinished")
    for job_id in ids[:2]:                  # the oldest finished are dropped
        assert p.error("GetJob", "(t)", job_id)[0] == ERROR + "UnknownJob"
        name, _ = gdbus_error(bus, "WaitJob", str(job_id))
        assert name == ERROR + "UnknownJob"
    for i, job_id in enumerate(ids[2:], 2):
        assert job_done(p.call("GetJob", "(t)", job_id)[0]) == i + 1
    # An unfinished job is never dropped.
    assert p.call("GetJob", "(t)", long_one)[0]["state"] == "running"
    assert p.call("CancelJob", "(t)", long_one) == (True,)


def test_finished_jobs_are_forgotten_after_job_retention(bus, ppd, proxy):
    ppd(workers=1, extra=("--job-retention", "1"))
    p = proxy()
    job_id = p.submit(ADD_SOURCE, "add", [1, 1])
    assert job_done(p.call("WaitJob", "(t)", job_id)[0]) == 2
    finished = time.monotonic()
    assert job_done(gdbus_call(bus, "GetJob", str(job_id))[0]) == 2
    wait_until(lambda: p.raw_error("GetJob", GLib.Variant("(t)", (job_id,))) == ERROR + "UnknownJob"
               if _gets_error(p, job_id) else False,
               timeout=15, what="the job to be forgotten")
    assert time.monotonic() - finished >= 0.9


def _gets_error(p, job_id):
    try:
        p.raw_call("GetJob", GLib.Variant("(t)", (job_id,)))
        return False
    except GLib.Error:
        return True


# ---------------------------------------------------------------------------
# pp clients over TCP

def power(x, y):
    return x ** y


def test_list_clients_and_client_signals(bus, ppd, monitor, proxy):
    pp = pytest.importorskip("pp")
    daemon = ppd(workers=1, secret=SECRET)
    mon = monitor()
    p = proxy()
    assert gdbus_call(bus, "ListClients") == ([],)

    before = time.time()
    srv = pp.Server(0, ppservers=("127.0.0.1:%d" % daemon.port,), secret=SECRET)
    try:
        (peer,) = mon.wait_signal("ClientConnected")
        assert p.wait_signal("ClientConnected") == (peer,)
        assert re.fullmatch(r"127\.0\.0\.1:\d+", peer), peer
        jobs = [srv.submit(power, (2, i)) for i in range(5)]
        assert [job() for job in jobs] == [2 ** i for i in range(5)]

        (clients,) = wait_until(lambda: [c for c in [gdbus_call(bus, "ListClients")]
                                         if c[0] and c[0][0][1] == 5],
                                what="ListClients to count 5 jobs")[0]
        assert len(clients) == 1
        address, count, since = clients[0]
        assert address == peer
        assert before - 1 <= since <= time.time() + 1
        assert p.call("ListClients") == ([(peer, 5, since)],)
        assert gdbus_get(bus, "Clients")[0] == 1
        wait_until(lambda: p.cached("Clients") == 1, what="the proxy's Clients to be 1")
        # Their jobs count, and show as signals (with the node's own ids).
        wait_until(lambda: gdbus_get(bus, "JobsDone")[0] == 5, what="JobsDone to be 5")
        mon.wait_signal("JobStarted")
        (_, ok, _) = p.wait_signal("JobFinished")
        assert ok is True
    finally:
        srv.destroy()

    (gone, reason) = mon.wait_signal("ClientDisconnected")
    assert gone == peer and reason
    assert p.wait_signal("ClientDisconnected") == (peer, reason)
    wait_until(lambda: gdbus_get(bus, "Clients")[0] == 0, what="Clients to be 0")
    assert gdbus_call(bus, "ListClients") == ([],)
    wait_until(lambda: p.cached("Clients") == 0, what="the proxy's Clients to be 0")
    assert daemon.alive()


def test_tcp_jobs_signals_are_rate_limited(bus, ppd, monitor):
    """TCP clients' jobs show as JobStarted and JobFinished, at most 100 of
    each a second; JobsDone still counts every one."""
    pp = pytest.importorskip("pp")
    daemon = ppd(workers=2, secret=SECRET)
    mon = monitor()
    srv = pp.Server(0, ppservers=("127.0.0.1:%d" % daemon.port,), secret=SECRET)
    try:
        start = time.monotonic()
        jobs = [srv.submit(power, (2, i % 8)) for i in range(1000)]
        assert [job() for job in jobs] == [2 ** (i % 8) for i in range(1000)]
        elapsed = time.monotonic() - start
    finally:
        srv.destroy()
    wait_until(lambda: gdbus_get(bus, "JobsDone")[0] == 1000, what="JobsDone to be 1000")
    pump(0.5)
    for name in ("JobStarted", "JobFinished"):
        seen = len(mon.of(name))
        print("%s: %d for 1000 jobs in %.2f s" % (name, seen, elapsed))
        assert 0 < seen <= 100 * (int(elapsed) + 2), (name, seen, elapsed)
    assert daemon.alive()


# ---------------------------------------------------------------------------
# Load

def test_200_jobs_from_a_shell_loop(bus, ppd, tmp_path):
    ppd(workers=2)
    script = r"""
set -eu
call() {
  gdbus call --session --dest org.ppglib.Ppd --object-path /org/ppglib/Ppd \
    --method org.ppglib.Ppd1."$@"
}
for i in $(seq 0 199); do
  call Submit 'def cube(x): return x * x * x' cube "[$i]" '[]' loop
done > ids.txt
for id in $(sed -E 's/^\(uint64 ([0-9]+),\)$/\1/' ids.txt); do
  call WaitJob "$id"
done > results.txt
"""
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", script], env=bus.env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    ids = [GLib.Variant.parse(None, line, None, None).unpack()[0]
           for line in (tmp_path / "ids.txt").read_text().splitlines()]
    jobs = [GLib.Variant.parse(None, line, None, None).unpack()[0]
            for line in (tmp_path / "results.txt").read_text().splitlines()]
    assert len(ids) == len(set(ids)) == 200
    assert [job_done(job) for job in jobs] == [i ** 3 for i in range(200)]
    assert all(job["group"] == "loop" for job in jobs)
    wait_until(lambda: gdbus_get(bus, "JobsDone")[0] == 200, what="JobsDone to be 200")
    print("200 jobs through gdbus in %.1f s" % (time.monotonic() - started))


def test_set_workers_while_jobs_run(bus, ppd, monitor, proxy):
    daemon = ppd(workers=1)
    mon = monitor()
    p = proxy()
    source = "def slow_square(x):\n    import time\n    time.sleep(0.05)\n    return x * x\n"
    ids = [p.submit(source, "slow_square", [i]) for i in range(160)]

    wait_until(lambda: p.cached("JobsDone") or gdbus_get(bus, "JobsDone")[0], what="a first job")
    gdbus_call(bus, "SetWorkers", "4")
    mon.wait_signal("WorkersChanged", lambda a: a == (4,))
    assert gdbus_get(bus, "Workers")[0] == 4
    wait_until(lambda: len(p.call("ListWorkers")[0]) == 4, what="4 in ListWorkers")
    wait_until(lambda: sum(1 for w in p.call("ListWorkers")[0] if w[1] == "busy") > 1,
               what="more than one busy worker")

    p.set("Workers", GLib.Variant("u", 2))
    p.wait_signal("WorkersChanged", lambda a: a == (2,))
    assert p.get("Workers") == 2
    assert gdbus_get(bus, "QueuedJobs")[0] > 0, "the resizes should happen while jobs wait"

    results = [p.call("WaitJob", "(t)", job_id)[0] for job_id in ids]
    assert [job_done(job) for job in results] == [i * i for i in range(160)]
    wait_until(lambda: len(gdbus_call(bus, "ListWorkers")[0]) == 2, what="2 in ListWorkers")
    wait_until(lambda: len(gdbus_get(bus, "WorkerStates")[0]) == 2, what="2 in WorkerStates")
    wait_until(lambda: gdbus_get(bus, "JobsDone")[0] == 160, what="JobsDone to be 160")
    assert gdbus_get(bus, "JobsFailed")[0] == 0
    assert daemon.alive()


def test_properties_changed_is_rate_limited(bus, ppd, monitor, proxy):
    ppd(workers=2)
    mon = monitor()
    p = proxy()
    start = time.monotonic()
    ids = [p.submit(SQUARE_SOURCE, "square", [i]) for i in range(600)]
    for job_id in ids:
        job_done(p.call("WaitJob", "(t)", job_id)[0])
    wait_until(lambda: p.cached("JobsDone") == 600, what="the proxy's JobsDone to reach 600")
    elapsed = time.monotonic() - start
    assert any(c[0].get("JobsDone") for c in p.changes), "no PropertiesChanged for JobsDone"
    # "a few per second at most": never more than 10 within a second, as
    # gdbus monitor saw them come
    with mon.cond:
        times = [when for name, when in mon.times if name == "PropertiesChanged" and when >= start]
    assert times, "gdbus monitor saw no PropertiesChanged"
    busiest = max(sum(1 for u in times if t <= u < t + 1) for t in times)
    print("PropertiesChanged: %d in %.1f s, at most %d within a second"
          % (len(times), elapsed, busiest))
    assert busiest <= 10, "%d PropertiesChanged within a second (%d in %.1f s)" % (
        busiest, len(times), elapsed)
    # JobStarted and JobFinished come for every D-Bus job.
    wait_until(lambda: len({a[0] for a in p.of("JobFinished")} & set(ids)) == 600,
               what="600 JobFinished signals")


# ---------------------------------------------------------------------------
# Bad input

def test_malformed_json(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    # None of these is JSON (RFC 8259); json-glib alone would let the last
    # three through, and the job would fail in the worker instead.
    accepted = []
    for bad in ("[1, 2", "not json", "", "[1,]", "[1] [2]", "[01]", "[\"\\x\"]"):
        try:
            gdbus_call(bus, "Submit", gv("s", ADD_SOURCE), "add", gv("s", bad), "[]", "''")
            accepted.append(bad)
        except GdbusError as e:
            assert e.name == ERROR + "BadJson", (bad, e.stderr)
        try:
            p.call("Submit", "(sssass)", ADD_SOURCE, "add", bad, [], "")
            accepted.append(bad)
        except GLib.Error as e:
            assert Gio.DBusError.get_remote_error(e) == ERROR + "BadJson", (bad, e.message)
    assert accepted == [], "Submit accepted malformed JSON (through gdbus, then the proxy): %r" % accepted
    # JSON, but not an array
    for not_an_array in ('{"a": 1}', "3", '"x"', "null"):
        name, stderr = gdbus_error(bus, "Submit", gv("s", ADD_SOURCE), "add", gv("s", not_an_array),
                                   "[]", "''")
        assert name == ERROR + "BadJson", (not_an_array, stderr)
    # Nested a million deep: refused, or run (and failed: add() wants two
    # arguments), but no crashed parser.
    deep = "[" * 1000000 + "]" * 1000000
    try:
        (job_id,) = p.call("Submit", "(sssass)", ADD_SOURCE, "add", deep, [], "")
    except GLib.Error as e:
        name = Gio.DBusError.get_remote_error(e)
        assert name in (ERROR + "BadJson", ERROR + "TooLarge", ERROR + "InvalidArgument"), e.message
    else:
        assert p.call("WaitJob", "(t)", job_id)[0]["state"] == "failed"
    assert daemon.alive()
    assert job_done(p.call("WaitJob", "(t)", p.submit(ADD_SOURCE, "add", [1, 2]))[0]) == 3


def test_wrong_signatures(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    # gdbus types its arguments from introspection, so a wrong signature
    # is a wrong number of arguments.
    for method, args in (("GetJob", ()), ("SetWorkers", ("2", "3")), ("Submit", ("'x'", "'x'", "'[]'")),
                         ("WaitJob", ("1", "2")), ("CancelJob", ()), ("GetStats", ("1",))):
        name, stderr = gdbus_error(bus, method, *args)
        assert name == INVALID_ARGS, (method, args, stderr)
    # Past the proxy, any types at all
    for method, params in (("SetWorkers", GLib.Variant("(s)", ("4",))),
                           ("SetWorkers", GLib.Variant("(i)", (4,))),
                           ("GetJob", GLib.Variant("(s)", ("1",))),
                           ("CancelJob", GLib.Variant("(u)", (1,))),
                           ("Submit", GLib.Variant("(sssss)", ("a", "b", "[]", "c", ""))),
                           ("Submit", GLib.Variant("(ssas)", ("a", "b", [])))):
        assert p.raw_error(method, params) == INVALID_ARGS, method
    assert p.raw_error("NoSuchMethod", None) == "org.freedesktop.DBus.Error.UnknownMethod"
    assert p.raw_error("SetWorkers", GLib.Variant("(u)", (2,)), iface="org.ppglib.Nope") in (
        "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownInterface")
    assert gdbus_get(bus, "Workers")[0] == 1
    assert daemon.alive()


def test_unknown_job_ids(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    for method in ("GetJob", "WaitJob", "CancelJob"):
        for job_id in (0, 999999, 2 ** 64 - 1):
            name, stderr = gdbus_error(bus, method, str(job_id))
            assert name == ERROR + "UnknownJob", (method, stderr)
            assert p.error(method, "(t)", job_id)[0] == ERROR + "UnknownJob"
    assert daemon.alive()


def test_source_that_does_not_compile(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    for source in ("def broken(:\n    pass\n", "def broken():\nreturn 1\n", "def broken(): return )"):
        name, stderr = gdbus_error(bus, "Submit", gv("s", source), "broken", "'[]'", "[]", "''")
        assert name == ERROR + "SyntaxError", stderr
        name, message = p.error("Submit", "(sssass)", source, "broken", "[]", [], "")
        assert name == ERROR + "SyntaxError", message
        assert "line" in message, "the message should say where: %r" % message
    assert gdbus_get(bus, "JobsFailed")[0] == 0
    assert daemon.alive()


def test_invalid_arguments(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    for function in ("", "not a name", "1st", "add; import os"):
        name, message = p.error("Submit", "(sssass)", ADD_SOURCE, function, "[1, 2]", [], "")
        assert name == ERROR + "InvalidArgument", (function, message)
    # Odd modules: refused, or tried (the source is arbitrary code anyway)
    for modules in ([""], ["math\nimport os"], ["no_such_module_7d1"]):
        try:
            (job_id,) = p.call("Submit", "(sssass)", ADD_SOURCE, "add", "[1, 2]", modules, "")
        except GLib.Error as e:
            name = Gio.DBusError.get_remote_error(e)
            assert name in (ERROR + "InvalidArgument", ERROR + "SyntaxError"), (modules, e.message)
        else:
            assert p.call("WaitJob", "(t)", job_id)[0]["state"] in ("done", "failed")
    assert daemon.alive()


def test_huge_arguments(bus, ppd, proxy):
    daemon = ppd()
    p = proxy()
    size_source = "def size(s):\n    return len(s)\n"
    # What fits on a command line (one argument: 128 KiB) goes through gdbus.
    big = "x" * 120000
    job_id = gdbus_submit(bus, size_source, "size", [big])
    assert job_done(gdbus_call(bus, "WaitJob", str(job_id))[0]) == 120000

    # 100 MB: done, or refused with TooLarge; ppd stays up either way.
    huge = '["' + "x" * 100000000 + '"]'
    try:
        (job_id,) = p.call("Submit", "(sssass)", size_source, "size", huge, [], "", timeout=60)
    except GLib.Error as e:
        assert Gio.DBusError.get_remote_error(e) == ERROR + "TooLarge", e.message
    else:
        assert job_done(p.call("WaitJob", "(t)", job_id, timeout=60)[0]) == 100000000
    del huge
    # A 100 MB source, the same
    big_source = "#" + "x" * 100000000 + "\n" + size_source
    try:
        (job_id,) = p.call("Submit", "(sssass)", big_source, "size", '["ab"]', [], "", timeout=60)
    except GLib.Error as e:
        assert Gio.DBusError.get_remote_error(e) == ERROR + "TooLarge", e.message
    else:
        assert job_done(p.call("WaitJob", "(t)", job_id, timeout=60)[0]) == 2
    del big_source
    # A huge group, too many modules, a huge module: refused, clearly
    for group, modules in (("g" * 100000, []), ("", ["math"] * 10000), ("", ["m" * 100000])):
        name, message = p.error("Submit", "(sssass)", ADD_SOURCE, "add", "[1, 2]", modules, group)
        assert name in (ERROR + "TooLarge", ERROR + "InvalidArgument"), message
    assert daemon.alive()
    assert job_done(p.call("WaitJob", "(t)", p.submit(ADD_SOURCE, "add", [1, 2]))[0]) == 3


def test_huge_results_and_output(bus, ppd, proxy):
    """A reply cannot be over 64 MiB (D-Bus arrays, the a{sv} included, are
    2**26 bytes at most): ppd must answer TooLarge, not send what the bus
    refuses (the bus would drop ppd's connection)."""
    daemon = ppd()
    p = proxy()
    for source in ("def big(n):\n    return 'x' * n\n",
                   "def big(n):\n    print('x' * n)\n"):
        job_id = p.submit(source, "big", [70000000])
        for method in ("WaitJob", "GetJob"):
            try:
                (job,) = p.call(method, "(t)", job_id, timeout=60)
            except GLib.Error as e:
                assert Gio.DBusError.get_remote_error(e) == ERROR + "TooLarge", (method, e.message)
            else:
                assert job["state"] in ("done", "failed"), job["state"]
            assert daemon.proc.poll() is None, "ppd exited:\n" + daemon.text()
            assert daemon.alive()
    assert job_done(p.call("WaitJob", "(t)", p.submit(ADD_SOURCE, "add", [1, 2]))[0]) == 3


def test_results_that_are_not_json(bus, ppd, proxy):
    ppd()
    p = proxy()
    for expression, value in (("(1, 2)", [1, 2]), ("2 ** 100", 2 ** 100), ("{1: 'a'}", {"1": "a"}),
                              ("None", None), ("'d\u00e9j\u00e0'", "d\u00e9j\u00e0")):
        job_id = p.submit("def f():\n    return %s\n" % expression, "f", [])
        assert job_done(p.call("WaitJob", "(t)", job_id)[0]) == value, expression
    for expression, error_type in (("float('nan')", "ValueError"), ("{1, 2}", "TypeError"),
                                   ("b'ab'", "TypeError")):
        job_id = p.submit("def f():\n    return %s\n" % expression, "f", [])
        (job,) = p.call("WaitJob", "(t)", job_id)
        assert job["state"] == "failed" and job["error_type"] == error_type, (expression, job)
        assert "result" not in job


# ---------------------------------------------------------------------------
# Shutdown

def test_shutdown_through_gdbus(bus, ppd):
    daemon = ppd(workers=2)
    owner_changes = Gio.DBusProxy.new_sync(bus.conn, Gio.DBusProxyFlags.NONE, None,
                                           "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", None)
    lost = []
    owner_changes.connect("g-signal", lambda _p, _s, name, args:
                          lost.append(args.unpack()) if name == "NameOwnerChanged" else None)
    assert gdbus_call(bus, "Shutdown") == ()
    assert daemon.wait(15) == 0, daemon.text()
    wait_until(lambda: any(a[0] == NAME and a[2] == "" for a in lost), what="the name to be released")
    assert not bus.has_owner()


def test_shutdown_through_the_proxy_lets_the_running_job_finish(bus, ppd, proxy):
    daemon = ppd(workers=1)
    p = proxy()
    job_id = p.submit(NAP_SOURCE, "nap", [1])
    wait_until(lambda: p.call("GetJob", "(t)", job_id)[0]["state"] == "running", what="the job to run")
    outcome = p.call_async("WaitJob", "(t)", job_id)
    assert p.call("Shutdown") == ()
    wait_until(lambda: outcome, what="WaitJob's reply")
    assert "reply" in outcome, outcome
    assert job_done(outcome["reply"][0]) == 1
    assert daemon.wait(15) == 0, daemon.text()
    wait_until(lambda: p.proxy.get_name_owner() is None, what="the proxy to see the name go")


def test_a_second_ppd_leaves_the_name_to_the_first(bus, ppd):
    first = ppd()
    proc = subprocess.Popen([PPD, "-p", "0", "-i", "127.0.0.1", "-w", "1"], env=bus.env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        log = ""
        while "org.ppglib.Ppd" not in log and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            log += line
        assert "listening on 127.0.0.1:" in log, log
        assert proc.poll() is None, log
        assert bus.owner_pid() == first.proc.pid
        assert first.alive()
    finally:
        proc.terminate()
        proc.communicate(timeout=15)
    assert proc.returncode == 0


def test_system_bus_changes_only_by_owner_or_root(tmp_path):
    """ppd --system: anyone may read the node's state, only its own uid and
    root may change it; a job is its submitter's (and root's) only."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv, to call as another user")
    b = Bus()
    daemon = None
    try:
        os.chmod(b.dir, 0o755)
        b.env["DBUS_SYSTEM_BUS_ADDRESS"] = b.address
        daemon = Ppd(b, 1, extra=("--system",))
        job_id = gdbus_submit(b, ADD_SOURCE, "add", [1, 2])
        assert job_done(gdbus_call(b, "WaitJob", str(job_id))[0]) == 3

        def as_nobody(*args):
            return subprocess.run(
                [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", GDBUS, "call",
                 "--system", "--dest", NAME, "--object-path", OBJECT_PATH, "--method", *args],
                env=b.env, capture_output=True, text=True, timeout=TIMEOUT)

        for args in ([IFACE + ".GetStats"],
                     [IFACE + ".ListWorkers"], [IFACE + ".ListClients"],
                     ["org.freedesktop.DBus.Properties.Get", IFACE, "Workers"],
                     ["org.freedesktop.DBus.Properties.GetAll", IFACE]):
            result = as_nobody(*args)
            assert result.returncode == 0, (args, result.stderr)
        for args in ([IFACE + ".SetWorkers", "2"],
                     [IFACE + ".Submit", "'def f(): return 1'", "f", "'[]'", "[]", "''"],
                     [IFACE + ".CancelJob", str(job_id)], [IFACE + ".Shutdown"],
                     [IFACE + ".GetJob", str(job_id)], [IFACE + ".WaitJob", str(job_id)],
                     ["org.freedesktop.DBus.Properties.Set", IFACE, "Workers", "<uint32 2>"]):
            result = as_nobody(*args)
            assert result.returncode != 0, args
            assert "GDBus.Error:%sPermissionDenied" % ERROR in result.stderr, (args, result.stderr)
        assert gdbus_get(b, "Workers")[0] == 1
        assert gdbus_call(b, "SetWorkers", "2") == ()          # root may
        assert gdbus_get(b, "Workers")[0] == 2
        assert daemon.alive()
    finally:
        if daemon is not None:
            daemon.close()
        b.close()


def as_user(user_args, env, bus_type, *args):
    """gdbus call as another uid (setpriv), on the bus of env."""
    return subprocess.run(
        [shutil.which("setpriv"), *user_args, "--clear-groups", GDBUS, "call", "--" + bus_type,
         "--dest", NAME, "--object-path", OBJECT_PATH, "--method", *args],
        env=env, capture_output=True, text=True, timeout=TIMEOUT)


def user_args(user):
    return ["--reuid=%d" % user.uid, "--regid=%d" % user.gid]


NOBODY = ["--reuid=65534", "--regid=65534"]


def assert_denied(result, what):
    assert result.returncode != 0, what
    assert "GDBus.Error:%sPermissionDenied" % ERROR in result.stderr, (what, result.stderr)


def test_session_bus_refuses_another_user(other_user):
    """A session bus that lets another user in (this test bus allows every
    user) does not let it run code as ppd's user, nor see its jobs."""
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv, to call as another user")
    b = Bus()
    daemon = None
    try:
        os.chmod(b.dir, 0o755)
        daemon = Ppd(b, 1)
        job_id = gdbus_submit(b, ADD_SOURCE, "add", [1, 2])
        assert job_done(gdbus_call(b, "WaitJob", str(job_id))[0]) == 3
        env = other_user.env(DBUS_SESSION_BUS_ADDRESS=b.address)
        result = as_user(user_args(other_user), env, "session", IFACE + ".GetStats")
        assert result.returncode == 0, result.stderr        # reading the node is open
        for args in ([IFACE + ".Submit", "'def f(): return 1'", "f", "'[]'", "[]", "''"],
                     [IFACE + ".GetJob", str(job_id)], [IFACE + ".WaitJob", str(job_id)],
                     [IFACE + ".CancelJob", str(job_id)], [IFACE + ".SetWorkers", "2"],
                     [IFACE + ".Shutdown"],
                     ["org.freedesktop.DBus.Properties.Set", IFACE, "Workers", "<uint32 2>"]):
            assert_denied(as_user(user_args(other_user), env, "session", *args), args)
        for args in ([IFACE + ".ListWorkers"], [IFACE + ".ListClients"],
                     ["org.freedesktop.DBus.Properties.Get", IFACE, "Workers"]):
            result = as_user(user_args(other_user), env, "session", *args)
            assert result.returncode == 0, (args, result.stderr)
        assert gdbus_get(b, "Workers")[0] == 1
        assert daemon.alive()
        assert gdbus_get(b, "JobsDone")[0] == 1
    finally:
        if daemon is not None:
            daemon.close()
        b.close()


def test_system_bus_jobs_only_for_their_submitter(other_user):
    """ppd --system running as a user of its own: it and root may submit, but
    a job's outcome is for the uid that submitted it (and root) only."""
    if shutil.which("setpriv") is None:
        pytest.skip("needs setpriv, to run as another user")
    b = Bus()
    daemon = None
    try:
        os.chmod(b.dir, 0o755)
        b.env["DBUS_SYSTEM_BUS_ADDRESS"] = b.address
        state = os.path.join(other_user.home, "state")
        env = other_user.env(DBUS_SYSTEM_BUS_ADDRESS=b.address, STATE_DIRECTORY=state)
        subprocess.run(["setpriv", *user_args(other_user), "--clear-groups", "mkdir", "-m",
                        "700", state], check=True, timeout=TIMEOUT)
        daemon = Ppd(b, 1, extra=("--system",), env=env,
                     prefix=("setpriv", *user_args(other_user), "--clear-groups"))
        assert os.stat(os.path.join(state, "secret")).st_uid == other_user.uid

        def call(who, *args):
            return as_user(who, env, "system", *args)

        result = call(user_args(other_user), IFACE + ".Submit", "'def f(): return 40'", "f",
                      "'[]'", "[]", "''")
        assert result.returncode == 0, result.stderr
        own_job = GLib.Variant.parse(None, result.stdout.strip(), None, None).unpack()[0]
        root_job = gdbus_submit_system(b, SECRET_SOURCE, "secret", [])

        # ppd's user waits for and reads its own job; root may too.
        result = call(user_args(other_user), IFACE + ".WaitJob", str(own_job))
        assert result.returncode == 0 and "'result': <'40'>" in result.stdout, result.stderr
        assert "'40'" in call([], IFACE + ".GetJob", str(own_job)).stdout

        # Nobody else sees root's job: not ppd's user, not nobody.
        assert "'\"root only\"'" in call([], IFACE + ".WaitJob", str(root_job)).stdout
        for who in (user_args(other_user), NOBODY):
            for method in ("GetJob", "WaitJob", "CancelJob"):
                result = call(who, IFACE + "." + method, str(root_job))
                assert_denied(result, (who, method))
                assert "root only" not in result.stdout + result.stderr
        for method in ("GetJob", "WaitJob", "CancelJob"):
            assert_denied(call(NOBODY, IFACE + "." + method, str(own_job)), method)
        assert_denied(call(NOBODY, IFACE + ".Submit", "'def f(): return 1'", "f", "'[]'", "[]",
                           "''"), "Submit")
        assert daemon.alive()
    finally:
        if daemon is not None:
            daemon.close()
        b.close()


SECRET_SOURCE = "def secret():\n    return 'root only'\n"


def gdbus_submit_system(bus, source, function, args):
    result = subprocess.run(
        [GDBUS, "call", "--system", "--dest", NAME, "--object-path", OBJECT_PATH, "--method",
         IFACE + ".Submit", gv("s", source), gv("s", function), gv("s", json.dumps(args)),
         gv("as", []), gv("s", "")], env=bus.env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    return GLib.Variant.parse(None, result.stdout.strip(), None, None).unpack()[0]


def test_ppd_without_a_bus_still_serves(tmp_path):
    """No session bus: ppd says so and goes on serving pp clients."""
    env = base_env()
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=%s" % (tmp_path / "no-bus")
    env.pop("DISPLAY", None)
    proc = subprocess.Popen([PPD, "-p", "0", "-i", "127.0.0.1", "-w", "1"], env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            lines.append(line)
            if "listening on" in line:
                break
        assert any("listening on 127.0.0.1:" in line for line in lines), "".join(lines)
        time.sleep(1)
        assert proc.poll() is None, "".join(lines) + proc.stderr.read()
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == 0


# ---------------------------------------------------------------------------
# D-Bus activation

def test_dbus_activation_starts_ppd():
    servicedir = os.environ.get("PPD_TEST_SERVICE_DIR")
    if not servicedir:
        pytest.skip("PPD_TEST_SERVICE_DIR is not set (the build tree's directory "
                    "holding org.ppglib.Ppd.service)")
    service = os.path.join(servicedir, NAME + ".service")
    with open(service) as f:
        text = f.read()
    assert re.search(r"^Name=%s$" % re.escape(NAME), text, re.M), text
    exec_line = re.search(r"^Exec=(\S+)", text, re.M)
    assert exec_line and os.access(exec_line.group(1), os.X_OK), text

    b = Bus(servicedir=servicedir)
    try:
        assert not b.has_owner()
        result = gdbus(b, "call", "--session", "--dest", NAME, "--object-path", OBJECT_PATH,
                       "--method", "org.freedesktop.DBus.Properties.Get", IFACE, "Version")
        assert result.returncode == 0, result.stderr + b.log()
        assert GLib.Variant.parse(None, result.stdout.strip(), None, None).unpack() == (ppd_version(),)
        assert b.has_owner()
        pid = b.owner_pid()
        assert os.path.basename(os.readlink("/proc/%d/exe" % pid)) in ("ppd", "lt-ppd")

        # It works as a started one does.
        job_id = gdbus_submit(b, ADD_SOURCE, "add", [40, 2])
        assert job_done(gdbus_call(b, "WaitJob", str(job_id))[0]) == 42
        assert gdbus_call(b, "Shutdown") == ()
        wait_until(lambda: not os.path.exists("/proc/%d" % pid) or _zombie(pid),
                   what="the activated ppd to exit")
        wait_until(lambda: not b.has_owner(), what="the name to be released")
    finally:
        b.close()
    assert not SANITIZER_REPORT.search(b.log_text), b.log_text


def _zombie(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


# ---------------------------------------------------------------------------
# README.md's "Scripting ppd with gdbus", run as it is

def readme_block(marker):
    with open(README) as f:
        text = f.read()
    match = re.search(r"<!-- %s -->\s*\n```sh\n(.*?)\n```" % re.escape(marker), text, re.S)
    assert match, "README.md has no ```sh block after <!-- %s -->" % marker
    return match.group(1) + "\n"


def expected_lines(block):
    """The "#>" lines of a block: what it prints, "..." standing for anything."""
    return [line.strip()[2:].strip() for line in block.splitlines()
            if line.strip().startswith("#>")]


def matches(expected, line):
    regex = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(regex, line.strip()) is not None


def test_readme_examples(bus, tmp_path):
    example = readme_block("dbus-example")
    monitor_command = readme_block("dbus-monitor-example")
    env = dict(bus.env)
    env["PATH"] = os.path.dirname(PPD) + os.pathsep + env.get("PATH", "")

    mon = subprocess.Popen(["bash", "-c", "exec " + monitor_command.strip()], env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    first = mon.stdout.readline()          # once it has subscribed
    assert "org.ppglib.Ppd" in first, first
    # If the example fails half-way, its background ppd goes with it.
    guard = 'trap \'kill $(jobs -p) 2>/dev/null || true\' EXIT\n'
    script = subprocess.Popen(["bash", "-e", "-c", guard + example], env=env, cwd=tmp_path,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = script.communicate(timeout=60)
    finally:
        for proc in (script, mon):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        script.wait(15)
        monitor_out = mon.communicate(timeout=15)[0]
    assert script.returncode == 0, "the README's example failed:\n" + out + err
    assert not SANITIZER_REPORT.search(err), err
    got = out.splitlines()
    want = expected_lines(example)
    assert len(got) == len(want) and all(matches(w, g) for w, g in zip(want, got)), \
        "the README's example printed:\n%s\ninstead of:\n%s\n(stderr:\n%s)" % (
            out, "\n".join(want), err)

    # The monitor's sample output names signals that it did show.
    with open(README) as f:
        sample = re.search(r"<!-- dbus-monitor-example -->.*?```text\n(.*?)\n```", f.read(), re.S)
    assert sample, "README.md shows no sample output of gdbus monitor"
    for name in set(re.findall(r"org\.ppglib\.Ppd1\.(\w+) \(", sample.group(1))):
        assert "org.ppglib.Ppd1.%s (" % name in monitor_out, (name, monitor_out)
