#!/usr/bin/env python3
# bench_monitor.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""What pp-monitor costs while it watches a busy program: 64 workers and
5,000 jobs/s. The program is a feeder that owns a real
org.ppglib.PpClient.p<PID>_1 name on a private session bus and exports the
real org.ppglib.PpClient1 interface (data/org.ppglib.PpClient1.xml): its
Status, Nodes and Queue properties, and JobsStarted/JobsFinished batches
at the 10 per second the library sends them (500 jobs each way per
batch). pp-monitor, the real binary under Xvfb, selects it at start and
shows one view; the script reads the app's CPU time from /proc and the
frame rate its task stream keeps (PPM_FRAME_STATS).

Goal (issue 11): under 10% of one core, and the task stream keeps up with
the frame clock.

Run: ./dev.sh build && /usr/bin/python3 bench/bench_monitor.py [--quick] [--json PATH]
     (it re-runs itself under dbus-run-session and xvfb-run)
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BUILD = os.environ.get("PP_BUILD_DIR", os.path.join(TOP, "_build"))
APP = os.path.join(BUILD, "pp-monitor", "pp-monitor")
XML = os.path.join(TOP, "data", "org.ppglib.PpClient1.xml")

WORKERS = 64
RATE = 5000          # jobs/s
BATCHES = 10         # signals per second, as libpp-glib sends them


def feeder():
    """The synthetic pp program on the bus (runs in a child process)."""
    from gi.repository import Gio, GLib

    with open(XML) as f:
        iface = Gio.DBusNodeInfo.new_for_xml(f.read()).interfaces[0]
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    name = "org.ppglib.PpClient.p%d_1" % os.getpid()
    start = time.monotonic()
    state = {"next": 1, "done": 0, "last": []}
    pids = [100000 + i for i in range(WORKERS)]

    def node():
        return {"name": GLib.Variant("s", "local"), "local": GLib.Variant("b", True),
                "discovered": GLib.Variant("b", False), "host": GLib.Variant("s", ""),
                "port": GLib.Variant("u", 0), "tls": GLib.Variant("b", False),
                "state": GLib.Variant("s", "ready"), "ncpus": GLib.Variant("u", WORKERS),
                "busy": GLib.Variant("u", WORKERS), "held": GLib.Variant("u", 0),
                "jobs-done": GLib.Variant("t", state["done"]), "jobs-failed": GLib.Variant("t", 0),
                "job-time": GLib.Variant("d", state["done"] * WORKERS / RATE),
                "last-error": GLib.Variant("s", "")}

    def status():
        up = time.monotonic() - start
        return json.dumps({
            "kind": "client", "version": 1, "library_version": "0.1.0", "program": "bench-feeder",
            "pid": os.getpid(), "uptime": up, "ncpus": WORKERS,
            "nodes": [{"name": "local", "local": True, "discovered": False, "host": "", "port": 0,
                       "tls": False, "state": "ready", "ncpus": WORKERS, "busy": WORKERS, "held": 0,
                       "jobs_done": state["done"], "jobs_failed": 0,
                       "job_time": state["done"] * WORKERS / RATE, "last_error": None}],
            "queue": {"queued": 1000, "running": WORKERS, "groups": [{"group": "batch", "active": 1064}]},
            "stats": [{"node": "local", "ncpus": WORKERS, "jobs": state["done"],
                       "time": state["done"] * WORKERS / RATE, "time_per_job": WORKERS / RATE,
                       "active": 1064}]})

    def get_property(conn, sender, path, iface_name, prop):
        values = {
            "Program": GLib.Variant("s", "bench-feeder"),
            "Pid": GLib.Variant("u", os.getpid()),
            "LibraryVersion": GLib.Variant("s", "0.1.0"),
            "Uptime": GLib.Variant("d", time.monotonic() - start),
            "Ncpus": GLib.Variant("u", WORKERS),
            "Nodes": GLib.Variant("aa{sv}", [node()]),
            "Queue": GLib.Variant("(uua(su))", (1000, WORKERS, [("batch", 1064)])),
            "Stats": GLib.Variant("a(sutddu)", [("local", WORKERS, state["done"],
                                                 state["done"] * WORKERS / RATE, WORKERS / RATE, 1064)]),
            "Status": GLib.Variant("s", status()),
        }
        return values.get(prop)

    def method_call(conn, sender, path, iface_name, method, params, invocation):
        invocation.return_dbus_error("org.freedesktop.DBus.Error.AccessDenied", "bench feeder")

    bus.register_object("/org/ppglib/PpClient", iface, method_call, get_property, None)
    per_batch = RATE // BATCHES

    def tick():
        first = state["next"]
        started = [(i, "batch", "f%d" % (i % 3), pids[i % WORKERS], "local") for i in range(first, first + per_batch)]
        state["next"] += per_batch
        bus.emit_signal(None, "/org/ppglib/PpClient", "org.ppglib.PpClient1", "JobsStarted",
                        GLib.Variant("(a(tssus)u)", (started, 0)))
        finished = [(i, "batch", "f%d" % (i % 3), "done") for i in state["last"]]
        bus.emit_signal(None, "/org/ppglib/PpClient", "org.ppglib.PpClient1", "JobsFinished",
                        GLib.Variant("(a(tsss)u)", (finished, 0)))
        state["done"] += len(finished)
        state["last"] = [j[0] for j in started]
        return True

    Gio.bus_own_name_on_connection(bus, name, Gio.BusNameOwnerFlags.NONE, None, None)
    GLib.timeout_add(1000 // BATCHES, tick)
    print(name, flush=True)
    GLib.MainLoop().run()


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(view, seconds, warmup):
    feed = subprocess.Popen([sys.executable, __file__, "--feeder"], stdout=subprocess.PIPE, text=True)
    name = feed.stdout.readline().strip()
    env = dict(os.environ, PPM_FRAME_STATS="1", PPM_NO_DISCOVERY="1", GSETTINGS_BACKEND="memory",
               GSK_RENDERER=os.environ.get("GSK_RENDERER", "cairo"), GTK_A11Y="none",
               GSETTINGS_SCHEMA_DIR=os.path.join(BUILD, "data"))
    app = subprocess.Popen([APP, "--source", name, "--view", view], env=env,
                           stderr=subprocess.PIPE, text=True)
    fps = []

    def read_stats():
        for line in app.stderr:
            m = re.search(r"frame-stats fps=([\d.]+) bars=(\d+) lanes=(\d+) aggregated=(\d)", line)
            if m:
                fps.append((float(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4))))

    reader = threading.Thread(target=read_stats, daemon=True)
    reader.start()
    try:
        time.sleep(warmup)
        app_cpu0, feed_cpu0, t0 = cpu_seconds(app.pid), cpu_seconds(feed.pid), time.monotonic()
        time.sleep(seconds)
        app_cpu1, feed_cpu1, t1 = cpu_seconds(app.pid), cpu_seconds(feed.pid), time.monotonic()
    finally:
        app.terminate()
        feed.terminate()
        app.wait(timeout=10)
        feed.wait(timeout=10)
    reader.join(timeout=5)
    wall = t1 - t0
    steady = [f for f in fps[1:]] or fps
    return {
        "view": view,
        "app_cpu_percent": round(100 * (app_cpu1 - app_cpu0) / wall, 1),
        "feeder_cpu_percent": round(100 * (feed_cpu1 - feed_cpu0) / wall, 1),
        "fps_min": min((f[0] for f in steady), default=None),
        "fps_mean": round(sum(f[0] for f in steady) / len(steady), 1) if steady else None,
        "lanes": steady[-1][2] if steady else None,
        "aggregated": bool(steady[-1][3]) if steady else None,
        "seconds": round(wall, 1),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10 s per view instead of 30")
    parser.add_argument("--json", help="write the figures there too")
    parser.add_argument("--feeder", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.feeder:
        return feeder()
    if not os.path.exists(APP):
        sys.exit("pp-monitor is not built (%s): ./dev.sh build" % APP)
    if not args.inner:
        for tool in ("dbus-run-session", "xvfb-run"):
            if shutil.which(tool) is None:
                sys.exit("%s is needed (packages dbus, xvfb, xauth)" % tool)
        os.execvp("dbus-run-session", ["dbus-run-session", "--", "xvfb-run", "-a", "-s",
                                       "-screen 0 1280x1024x24", sys.executable, __file__, "--inner"]
                  + (["--quick"] if args.quick else []) + (["--json", args.json] if args.json else []))
    seconds, warmup = (10, 4) if args.quick else (30, 6)
    rows = [measure(view, seconds, warmup) for view in ("stream", "throughput", "balance")]
    print("pp-monitor watching %d workers, %d jobs/s (%s renderer, Xvfb)" %
          (WORKERS, RATE, os.environ.get("GSK_RENDERER", "cairo")))
    print("%-11s %10s %12s %9s %9s %6s %11s" % ("view", "app CPU %", "feeder CPU %", "fps min",
                                                "fps mean", "lanes", "aggregated"))
    for r in rows:
        print("%-11s %10s %12s %9s %9s %6s %11s" % (r["view"], r["app_cpu_percent"], r["feeder_cpu_percent"],
                                                    r["fps_min"], r["fps_mean"], r["lanes"], r["aggregated"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"workers": WORKERS, "rate": RATE, "rows": rows}, f, indent=2)


if __name__ == "__main__":
    main()
