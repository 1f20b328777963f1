# monitor-program.py: the pp program test-monitor-gui watches: a pp.Server
# with one local worker and the test's ppd (argv[1], "host:port"), running
# batches of short jobs until its stdin closes.
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
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
print("READY", flush=True)
while not stop.is_set():
    jobs = [srv.submit(work, (0.3,), group="batch") for _ in range(4)]
    for job in jobs:
        job()
srv.destroy()
print("BYE", flush=True)
