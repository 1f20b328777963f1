# tests/python/discovery_client.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A client for the discovery tests, run inside a test's network namespace.

    discovery_client.py browse PORT
        a Pp.Browser; prints {"items": [...], "dns_sd": ..., "broadcast": ...}
        whenever that changes
    discovery_client.py server SECRET NCPUS ENTRY...
        pp.Server(ncpus=NCPUS, ppservers=ENTRIES, secret=SECRET); prints
        {"nodes": [...]} whenever they change; the command "run N" on stdin
        runs N sum_primes jobs and prints {"results": [...]}, "slow N S" N
        jobs of S seconds each

One JSON object a line on stdout; ends at the end of stdin.
"""

import json
import math
import os
import queue
import sys
import threading
import time

import gi
gi.require_version("Pp", "1.0")
from gi.repository import GLib, Pp  # noqa: E402


def isprime(n):
    if n < 2:
        return False
    if n == 2:
        return True
    for x in range(2, int(math.sqrt(n)) + 1):
        if n % x == 0:
            return False
    return True


def sum_primes(n):
    return sum([x for x in range(2, n) if isprime(x)])


def nap(x, seconds):
    time.sleep(seconds)
    return x * x


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=True) + "\n")
    sys.stdout.flush()


def read_commands(commands):
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put(None)


def item_dict(item):
    return {
        "id": item.get_id(), "name": item.get_name(), "host": item.get_host(),
        "port": item.get_port(), "address": item.get_address(),
        "addresses": list(item.get_addresses()), "ncpus": item.get_ncpus(),
        "tls": item.get_tls(), "secret_required": item.get_secret_required(),
        "proto": item.lookup_txt("proto"), "txtvers": item.lookup_txt("txtvers"),
        "txt_secret": item.lookup_txt("secret"), "mechanism": item.get_mechanism(),
        "connect": item.dup_connect_address(),
    }


def browse(port):
    loop = GLib.MainLoop()
    browser = Pp.Browser.new(port)
    last = [None]

    def report(*_):
        n = browser.get_n_items()
        items = [item_dict(browser.get_item(i)) for i in range(n)] if n <= 20 else []
        state = {"items": items, "count": n,
                 "dns_sd": browser.get_dns_sd(), "broadcast": browser.get_broadcast()}
        if state != last[0]:
            last[0] = state
            emit(state)

    browser.connect("items-changed", report)   # before start(): nothing missed
    browser.connect("notify::dns-sd", report)
    browser.connect("notify::broadcast", report)
    browser.start()
    report()
    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()

    def poll():
        try:
            if commands.get_nowait() is None:
                loop.quit()
                return False
        except queue.Empty:
            pass
        report()
        return True

    GLib.timeout_add(50, poll)
    loop.run()
    browser.stop()


def node_dict(node):
    return dict(node._asdict())


def serve(secret, ncpus, entries):
    import pp
    server = pp.Server(ncpus=ncpus, ppservers=tuple(entries), secret=secret)
    loop = GLib.MainLoop()
    last = [None]
    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()

    def report():
        state = {"nodes": [node_dict(n) for n in server.nodes],
                 # the status document (pp-monitor, the session bus) agrees
                 "status": sorted([n["port"], n["discovered"]]
                                  for n in server.status()["nodes"] if not n["local"])}
        if state != last[0]:
            last[0] = state
            emit(state)

    def run(n):
        inputs = [1000 + 100 * i for i in range(n)]
        jobs = [server.submit(sum_primes, (x,), (isprime,), ("math",)) for x in inputs]
        emit({"results": [[x, job()] for x, job in zip(inputs, jobs)]})

    def run_slow(n, seconds):
        jobs = [server.submit(nap, (x, seconds), (), ("time",)) for x in range(n)]
        emit({"results": [job() for job in jobs]})

    def poll():
        try:
            command = commands.get_nowait()
        except queue.Empty:
            command = ""
        if command is None:
            loop.quit()
            return False
        if command.startswith("run "):
            run(int(command.split()[1]))
        elif command.startswith("slow "):
            run_slow(int(command.split()[1]), float(command.split()[2]))
        report()
        return True

    GLib.timeout_add(50, poll)
    loop.run()
    server.destroy()


def main(argv):
    if argv[1] == "browse":
        browse(int(argv[2]))
    elif argv[1] == "server":
        serve(argv[2], int(argv[3]), argv[4:])
    else:
        raise SystemExit("usage: see the module's documentation")


if __name__ == "__main__":
    sys.stdout = os.fdopen(sys.stdout.fileno(), "w", buffering=1)
    main(sys.argv)
