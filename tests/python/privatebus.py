# tests/python/privatebus.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A dbus-daemon of a test's own, as a session bus in a temporary
directory, letting every user in (test_dbus.py, test_client_bus.py), and
quit_program() for the programs the tests drive on it."""

import os
import shutil
import subprocess
import tempfile
import time

from gi.repository import Gio, GLib

DBUS_DAEMON = shutil.which("dbus-daemon")

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <keep_umask/>
  <listen>{listen}</listen>
  <auth>EXTERNAL</auth>
{servicedirs}
  <policy context="default">
    <allow user="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
{limits}
</busconfig>
"""

# Far above what the defaults allow, for test_dbus.py's floods.
HIGH_LIMITS = """  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">1000000000</limit>
  <limit name="service_start_timeout">30000</limit>
  <limit name="max_match_rules_per_connection">50000</limit>
  <limit name="max_replies_per_connection">50000</limit>"""


class PrivateBus:
    """dbus-daemon on unix:path=DIR/bus. *env* (given the bus address) is
    the environment for the processes that should use it, the daemon's
    own too (so that of the services it activates); conn is our own
    connection; log() what the daemon and its services printed."""

    def __init__(self, env, prefix, timeout, servicedir=None, limits="", mode=None):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        if mode is not None:
            os.chmod(self.dir, mode)
        self.timeout = timeout
        self.address = "unix:path=" + os.path.join(self.dir, "bus")
        config = os.path.join(self.dir, "session.conf")
        dirs = "  <servicedir>%s</servicedir>" % servicedir if servicedir else ""
        with open(config, "w") as f:
            f.write(BUS_CONFIG.format(listen=self.address, servicedirs=dirs, limits=limits))
        self.env = dict(env, DBUS_SESSION_BUS_ADDRESS=self.address)
        self.log_path = os.path.join(self.dir, "dbus-daemon.log")
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen(
                [DBUS_DAEMON, "--config-file=" + config, "--nofork", "--print-address=1"],
                env=self.env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while "unix:" not in self.log():
            assert self.proc.poll() is None, "dbus-daemon exited: " + self.log()
            assert time.monotonic() < deadline, "dbus-daemon did not start: " + self.log()
            time.sleep(0.01)
        self.conn = Gio.DBusConnection.new_for_address_sync(
            self.address,
            Gio.DBusConnectionFlags.AUTHENTICATION_CLIENT
            | Gio.DBusConnectionFlags.MESSAGE_BUS_CONNECTION,
            None, None)

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def bus_call(self, method, args=None, reply="(b)"):
        """A method of the bus itself (org.freedesktop.DBus)."""
        return self.conn.call_sync(
            "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
            method, args, GLib.VariantType(reply), Gio.DBusCallFlags.NONE,
            int(self.timeout * 1000), None).unpack()[0]

    def close(self):
        try:
            self.conn.close_sync(None)
        except GLib.Error:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log_text = self.log()      # with what activated services printed
        shutil.rmtree(self.dir, ignore_errors=True)


def quit_program(proc, timeout):
    """Ends proc, a program driven line by line on its stdin (text): a
    "quit" line and stdin closed, then killed if it has not exited within
    timeout s. Its exit status."""
    if proc.poll() is None:
        try:
            proc.stdin.write("quit\n")
            proc.stdin.close()
        except (BrokenPipeError, ValueError):   # ValueError: stdin closed before
            pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode
