# pp/_callbacks.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The thread that runs job callbacks (``submit(callback=...)``).

One dispatcher per :class:`pp.Server`, started with its first callback.
"""

import collections
import sys
import threading
import time
import traceback

from ._errors import CancelledError, DestroyedError
from ._backend import GLib, Pp
from ._job import _VALUE

_monotonic = time.monotonic
# pp._ppcore's batched completion (None with PyGObject).
_Completion = getattr(Pp, "Completion", None)
# watch(): hand-overs closer together than this are batched (seconds).
BURST_WINDOW = 0.002


class _Dispatcher:
    """Runs job callbacks in one thread with its own GLib main context.

    ``Pp.Job.wait_async()`` is started from that context (through
    ``g_main_context_invoke``) so its completion, and the callback, run in
    the dispatcher thread as soon as the job finishes.
    """

    def __init__(self, srv=None):
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        self.cond = threading.Condition(threading.Lock())
        self.incoming = collections.deque()
        self.watched = collections.deque()     # (job, fn): done hooks
        self.last_drain = 0.0
        self.scheduled = False
        self.pending = collections.Counter()
        self.total = 0
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,),
                                       name="pp-callbacks", daemon=True)
        self.thread.start()
        started.wait()
        # watch(): with _ppcore, the server hands finished jobs to this
        # thread in batches (no Pp.Job.wait_async() per job).
        self.completion = None
        if srv is not None and _Completion is not None:
            self.completion = _Completion(srv, self.ctx, _run_watched)

    def _run(self, started):
        self.ctx.push_thread_default()
        try:
            started.set()
            self.loop.run()
        finally:
            self.ctx.pop_thread_default()

    def add(self, job):
        with self.cond:
            self.pending[job.group] += 1
            self.total += 1
            self.incoming.append(job)
            if self.scheduled:
                return
            self.scheduled = True
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, self._drain)

    def watch(self, job, fn):
        """Calls fn(job) in this thread once *job* has finished (promptly
        if it already has): :meth:`pp.Job._add_done_callback`.

        A lone job is handed over at once; in a burst (the previous hand-
        over less than BURST_WINDOW ago) they are handed over once per
        millisecond, so that a submit loop does not wake this thread, and
        compete with it for the GIL, once per job.  With _ppcore, the
        server's batched completion does it all in C."""
        completion = self.completion
        if completion is not None:
            completion.watch(job._job, (job, fn))
            return
        with self.cond:
            self.watched.append((job, fn))
            if self.scheduled:
                return
            self.scheduled = True
            burst = _monotonic() - self.last_drain < BURST_WINDOW
        if burst:
            source = GLib.timeout_source_new(1)
            source.set_callback(self._drain)
            source.attach(self.ctx)
        else:
            self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, self._drain)

    def _drain(self, *unused):
        self.last_drain = _monotonic()
        with self.cond:
            jobs = list(self.incoming)
            self.incoming.clear()
            watched = list(self.watched)
            self.watched.clear()
            self.scheduled = False
        for job in jobs:
            job._job.wait_async(None, self._done, job)
        done = self._watched_done
        for entry in watched:
            entry[0]._job.wait_async(None, done, entry)
        return False

    @staticmethod
    def _watched_done(pjob, result, entry):
        try:
            pjob.wait_finish(result)
        except GLib.Error:
            pass
        _run_watched((entry,))

    def _done(self, pjob, result, job):
        try:
            try:
                pjob.wait_finish(result)
            except GLib.Error:
                pass
            _run_callback(job)
        finally:
            with self.cond:
                self.pending[job.group] -= 1
                if not self.pending[job.group]:
                    del self.pending[job.group]
                self.total -= 1
                self.cond.notify_all()

    def _close_completion(self, *unused):
        # The done hooks of finished jobs whose batch has not come yet
        # (those of a destroyed server) run now.
        completion, self.completion = self.completion, None
        if completion is not None:
            completion.close()
        return False

    def wait_idle(self, group=None, timeout=None):
        """Wait until the callbacks of *group* (or all) have run."""
        if threading.current_thread() is self.thread:
            return True
        with self.cond:
            if group is None:
                return self.cond.wait_for(lambda: self.total == 0, timeout)
            return self.cond.wait_for(lambda: not self.pending.get(group), timeout)

    def stop(self, timeout=2.0):
        self.wait_idle(None, timeout)
        # Done hooks a burst left for the next hand-over run before the end.
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, self._drain)
        if self.completion is not None:
            self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, self._close_completion)
        self.ctx.invoke_full(GLib.PRIORITY_LOW, lambda *a: self.loop.quit() or False)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)


def _run_watched(entries):
    """Runs the done hooks fn(job) of the (job, fn) *entries*."""
    for job, fn in entries:
        try:
            fn(job)
        except Exception:
            sys.stderr.write("pp: exception in the done callback %r of job %d:\n"
                             % (fn, job.id))
            traceback.print_exc()


def _run_callback(job):
    try:
        job._finalize()
        if job._state == _VALUE:
            job.callback(*(job.callbackargs + (job._value,)))
            return
        exc = job._value
        if isinstance(exc, (CancelledError, DestroyedError)):
            return
        # Like pp, whose failed jobs return None: the error is printed and
        # the callback gets None for the result.
        sys.stderr.write("pp: job %d failed; its callback %r gets None:\n"
                         % (job.id, job.callback))
        traceback.print_exception(type(exc), exc, exc.__traceback__)
        job.callback(*(job.callbackargs + (None,)))
    except Exception:
        sys.stderr.write("pp: exception in the callback %r of job %d:\n"
                         % (job.callback, job.id))
        traceback.print_exc()

