# pp/_aio.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``await job``: pp jobs in asyncio.

:meth:`pp.Job.__await__` delegates here.  No thread per job: the job's
completion hook (:meth:`pp.Job._add_done_callback`, run by the server's
callback thread) reads the result there and hands the job to the event
loop with ``loop.call_soon_threadsafe``.  Cancelling the awaiting task
(``task.cancel()``, ``asyncio.wait_for`` running out of time) cancels the
job too.
"""

import asyncio


def _settle(fut, job):
    # In the event loop's thread.
    if fut.done():          # the awaiting task was cancelled meanwhile
        return
    if job._state == 1:     # _job._VALUE
        fut.set_result(job._value)
    else:
        fut.set_exception(job._value)


def _hook(loop, fut):
    def done(job):
        # In the server's callback thread: the unpickling happens here,
        # not in the event loop.
        job._finalize()
        try:
            loop.call_soon_threadsafe(_settle, fut, job)
        except RuntimeError:
            pass            # the loop has been closed: nobody waits
    return done


def await_job(job):
    """The generator behind ``await job``."""
    if job._state != 0 or job._job.is_finished():   # _job._NOT_READY
        return job()
    loop = asyncio.get_running_loop()
    fut = loop.create_future()
    job._add_done_callback(_hook(loop, fut))
    try:
        return (yield from fut)
    except asyncio.CancelledError:
        # The awaiting task was cancelled (or timed out in wait_for).
        job.cancel()
        raise
