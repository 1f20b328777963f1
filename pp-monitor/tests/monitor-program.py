# monitor-program.py: the pp program test-monitor-gui watches: a pp.Server
# with one local worker and the test's ppd (argv[1], "host:port"), running
# batches of short jobs until its stdin closes. A line "long" on stdin
# submits a 60 s job (group "long"): "LONG <id>" once submitted, "LONG
# <state>" once it finished (cancelled, if the monitor cancelled it).
import os
import sys
import threading

import pp


def work(seconds):
    import time
    time.sleep(seconds)
    return seconds


srv = pp.Server(1, ppservers=(sys.argv[1],), secret=os.environ["PP_SECRET"])
stop = threading.Event()


def long_job():
    job = srv.submit(work, (60.0,), group="long")
    print("LONG", job.id, flush=True)
    job.wait()
    print("LONG", job.state.value_nick, flush=True)


def read_commands():
    for line in sys.stdin:
        if line.split() == ["long"]:
            threading.Thread(target=long_job, daemon=True).start()
    stop.set()


threading.Thread(target=read_commands, daemon=True).start()
print("READY", flush=True)
while not stop.is_set():
    jobs = [srv.submit(work, (0.3,), group="batch") for _ in range(4)]
    for job in jobs:
        job()
srv.destroy()
print("BYE", flush=True)
