# pp/_executor.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``pp.Executor``: a :class:`concurrent.futures.Executor` over a pp server.

Re-exported by :mod:`pp`.  Each ``submit()`` is one pp job; its future is
completed by the job's completion hook (:meth:`pp.Job._add_done_callback`)
in the server's callback thread: no thread per job.
"""

import collections
import concurrent.futures
import functools
import itertools
import _thread
import threading
import time
import types

from ._job import _NOT_READY, _VALUE
from ._backend import Pp
from ._map import _pp_call_kw, _pp_map_chunk, by_name

_base = concurrent.futures._base
# The C lock itself: threading.RLock() is a Python function around it.
_RLock = getattr(_thread, "RLock", threading.RLock)
_allocate_lock = threading.Lock
_DIRECT = (types.FunctionType, types.MethodType)
_QUEUED = Pp.JobState.QUEUED
_RUNNING_JOB = Pp.JobState.RUNNING
_DONE_JOB = Pp.JobState.DONE
_CANCELLED_JOB = Pp.JobState.CANCELLED
_PENDING = _base.PENDING
_RUNNING = _base.RUNNING
_FINISHED = _base.FINISHED
_future_result = concurrent.futures.Future.result


class _Condition:
    """The part of :class:`threading.Condition` that futures use, on an
    RLock.  threading.Condition allocates a deque and five bound methods per
    instance: with 20,000 futures alive, collecting them doubled the cost of
    a submit."""

    __slots__ = ("_lock", "_waiters")

    def __init__(self):
        self._lock = _RLock()
        self._waiters = None        # a deque once a thread waits

    def __enter__(self):
        return self._lock.__enter__()

    def __exit__(self, *args):
        return self._lock.__exit__(*args)

    def acquire(self, *args, **kwargs):
        return self._lock.acquire(*args, **kwargs)

    def release(self):
        self._lock.release()

    def wait(self, timeout=None):
        lock = self._lock
        if not lock._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _allocate_lock()
        waiter.acquire()
        if self._waiters is None:
            self._waiters = collections.deque()
        self._waiters.append(waiter)
        saved = lock._release_save()
        gotit = False
        try:
            if timeout is None:
                waiter.acquire()
                gotit = True
            elif timeout > 0:
                gotit = waiter.acquire(True, timeout)
            else:
                gotit = waiter.acquire(False)
            return gotit
        finally:
            lock._acquire_restore(saved)
            if not gotit:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass

    def notify(self, n=1):
        if not self._lock._is_owned():
            raise RuntimeError("cannot notify on un-acquired lock")
        waiters = self._waiters
        while waiters and n > 0:
            try:
                waiters.popleft().release()
            except RuntimeError:
                continue
            n -= 1

    def notify_all(self):
        self.notify(len(self._waiters or ()))


# What concurrent.futures.Future.__init__ sets; _Future sets the same
# itself (with a _Condition), unless this Python's Future sets more.
_FUTURE_FIELDS = {"_condition", "_state", "_result", "_exception", "_waiters",
                  "_done_callbacks"}
_LEAN_INIT = set(vars(concurrent.futures.Future())) <= _FUTURE_FIELDS


class _LazyList:
    """An attribute whose value is a list made on first use, kept in the
    instance's ``__dict__`` under *key*."""

    __slots__ = ("key",)

    def __init__(self, key):
        self.key = key

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        values = obj.__dict__
        try:
            return values[self.key]
        except KeyError:
            return values.setdefault(self.key, [])

    def __set__(self, obj, value):
        obj.__dict__[self.key] = value


class _Future(concurrent.futures.Future):
    """A future whose ``cancel()`` cancels its pp job.

    Its job's completion only marks it finished (and wakes its waiters):
    the result is read from the job, unpickled and the job's output
    printed, the first time ``_result`` or ``_exception`` is looked at,
    by ``result()``, ``exception()`` or ``repr()``, in that thread.  So
    the callbacks thread does little per job, and the caller's thread
    does the rest without waiting for it.
    """

    _pp_job = None          # the job, kept for cancel() and running()
    _pp_unread = None       # the finished job, until its result is read
    _state = _PENDING       # until it changes

    def __init__(self):
        if not _LEAN_INIT:
            super().__init__()
        self._condition = _Condition()

    # Created on first use, which concurrent.futures makes under the
    # condition (dict.setdefault() is atomic anyway): most futures never
    # need them, and 20,000 futures alive make the collector work.
    _waiters = _LazyList("_pp_waiters")
    _done_callbacks = _LazyList("_pp_done_callbacks")

    def _pp_read(self):
        job = self._pp_unread
        if job is not None:
            if job._state == _NOT_READY:
                job._finalize()
            if job._state == _VALUE:
                self.__dict__["_pp_result"] = job._value
            else:
                self.__dict__["_pp_exception"] = job._value
            self._pp_unread = None

    def result(self, timeout=None):
        # A finished future's value without its condition (the state does
        # not change once FINISHED); the rest as concurrent.futures does.
        # Without a timeout, a pending future waits for its job itself and
        # settles it (rather than sleep until the callbacks thread does).
        job = self._pp_job
        if timeout is None and job is not None and self._state == _PENDING:
            job.wait()
            _settle(self, job)
        if self._state == _FINISHED:
            job = self._pp_unread
            if job is not None:
                # _pp_read(), inline: once per job
                if job._state == _NOT_READY:
                    job._finalize()
                if job._state == _VALUE:
                    self.__dict__["_pp_result"] = job._value
                else:
                    self.__dict__["_pp_exception"] = job._value
                self._pp_unread = None
            values = self.__dict__
            if values.get("_pp_exception") is None:
                return values.get("_pp_result")
        return _future_result(self, timeout)

    result.__doc__ = concurrent.futures.Future.result.__doc__

    @property
    def _result(self):
        self._pp_read()
        return self.__dict__.get("_pp_result")

    @_result.setter
    def _result(self, value):
        self.__dict__["_pp_result"] = value

    @property
    def _exception(self):
        self._pp_read()
        return self.__dict__.get("_pp_exception")

    @_exception.setter
    def _exception(self, value):
        self.__dict__["_pp_exception"] = value

    def _pp_finished(self, job, failed):
        """The job has finished: settles the future, unread.  (The
        condition's lock taken directly: this runs once per job.)"""
        condition = self._condition
        lock = condition._lock
        lock.acquire()
        try:
            if self._state != _PENDING and self._state != _RUNNING:
                return              # cancelled, or settled, meanwhile
            self._pp_unread = job
            self._state = _FINISHED
            values = self.__dict__
            for waiter in values.get("_pp_waiters", ()):
                if failed:
                    waiter.add_exception(self)
                else:
                    waiter.add_result(self)
            if condition._waiters:
                condition.notify_all()
        finally:
            lock.release()
        if values.get("_pp_done_callbacks"):
            self._invoke_callbacks()

    def cancel(self):
        with self._condition:
            state = self._state
            if state != _PENDING and state != _RUNNING:
                return state != _base.FINISHED
        job = self._pp_job
        # Like concurrent.futures, only a job that has not started can be
        # cancelled (pp's Job.cancel() would also stop a running one).
        if job is not None and (job.state != _QUEUED or not job.cancel()):
            return False
        return _cancel(self)

    def running(self):
        job = self._pp_job
        if job is None or self.done():
            return False
        return job.state == _RUNNING_JOB


def _cancel(fut):
    """Cancels *fut* and wakes its waiters (concurrent.futures.wait() and
    as_completed() take a cancelled future for done only once notified)."""
    if not concurrent.futures.Future.cancel(fut):
        return False
    with fut._condition:
        if fut._state == _base.CANCELLED:
            fut.set_running_or_notify_cancel()
    return True


def _settle(fut, job):
    """*job* has finished: settles *fut* from its state (once)."""
    state = job.state
    if state == _CANCELLED_JOB:
        # Job.cancel() (by _Future.cancel() or directly).
        _cancel(fut)
    else:
        fut._pp_finished(job, state != _DONE_JOB)


def _completer(executor):
    pop = executor._futures.pop

    def done(job):
        # The server's callback thread: one look at the job's state.  (A
        # dict's pop() is atomic: no lock.)
        fut = pop(job, None)
        # FINISHED is final: result() may have settled it already.
        if fut is not None and fut._state != _FINISHED:
            _settle(fut, job)
    return done


class Executor(concurrent.futures.Executor):
    """Runs calls as pp jobs: ``concurrent.futures`` on pp-glib.

    ``Executor(max_workers=None, *, server=None, depfuncs=(), modules=(),
    **server_kwargs)``: with ``server`` it uses that :class:`pp.Server`
    (and leaves it running at :meth:`shutdown`); otherwise it creates one
    from ``server_kwargs`` (those of :class:`pp.Server`: ``ppservers``,
    ``secret`` ...), with ``max_workers`` local workers (one per processor
    when None; 0 runs jobs on ``ppservers`` only), and destroys it at
    :meth:`shutdown`.  ``depfuncs`` and ``modules`` go with every job, as
    in :meth:`pp.Server.submit`.

    ``submit(fn, /, *args, **kwargs)`` returns a
    :class:`concurrent.futures.Future`; ``cancel()`` on it cancels the job
    if it has not started.  Works with ``as_completed``, ``wait``,
    ``loop.run_in_executor`` and everything else that takes an executor.
    """

    def __init__(self, max_workers=None, *, server=None, depfuncs=(),
                 modules=(), **server_kwargs):
        if server is not None:
            if max_workers is not None or server_kwargs:
                raise TypeError("Executor(server=...) takes no other server "
                                "arguments")
            self._server = server
            self._owned = False
        else:
            from ._server import Server
            if max_workers is not None:
                if "ncpus" in server_kwargs:
                    raise TypeError("give max_workers or ncpus, not both")
                server_kwargs["ncpus"] = max_workers
            self._server = Server(**server_kwargs)
            self._owned = True
        self._depfuncs = tuple(depfuncs)
        self._modules = tuple(modules)
        self._lock = threading.Lock()
        self._futures = {}          # job -> future, until it is settled
        self._shutdown = False
        self._done = _completer(self)

    @property
    def server(self):
        """The :class:`pp.Server` the jobs run on."""
        return self._server

    @functools.cached_property
    def _watch(self):
        # Job._add_done_callback(self._done) is _watch(job, self._done),
        # one call shorter per submit; the callbacks thread starts with the
        # first submit.
        return self._server._callbacks().watch

    def submit(self, fn, /, *args, **kwargs):
        """Schedules ``fn(*args, **kwargs)`` as a pp job; returns a Future."""
        if not kwargs:
            try:
                return self._submit(fn, args, self._depfuncs)
            except TypeError:
                if type(fn) in _DIRECT:
                    raise
        # Keyword arguments, built-in functions, functools.partial ...: the
        # job calls fn, which travels as source or pickled.
        fn, depfuncs = by_name(fn, self._depfuncs)
        return self._submit(_pp_call_kw, (fn, args, kwargs), depfuncs)

    submit.__doc__ = concurrent.futures.Executor.submit.__doc__

    def _submit(self, fn, args, depfuncs):
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        job = self._server.submit(fn, args, depfuncs, self._modules)
        fut = _Future()
        fut._pp_job = job
        # No lock (this runs once per job): shutdown() sets _shutdown, then
        # lists the futures, so either it lists this one or this sees it.
        futures = self._futures
        futures[job] = fut
        if self._shutdown:
            futures.pop(job, None)
            job.cancel()
            raise RuntimeError("cannot schedule new futures after shutdown")
        self._watch(job, self._done)
        return fut

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        """Returns an iterator of ``fn(*args)`` for args taken from
        *iterables* in turn, like :func:`map`.  With ``chunksize`` > 1,
        that many calls go in each job.  Like concurrent.futures, every
        call is submitted at once."""
        if chunksize < 1:
            raise ValueError("chunksize must be >= 1.")
        if chunksize == 1:
            return super().map(fn, *iterables, timeout=timeout)
        if timeout is not None:
            end_time = timeout + time.monotonic()
        it = zip(*iterables)
        fn, depfuncs = by_name(fn, self._depfuncs)
        futures = [self._submit(_pp_map_chunk, (fn, chunk, True), depfuncs)
                   for chunk in iter(lambda: tuple(itertools.islice(it, chunksize)), ())]

        def results():
            try:
                futures.reverse()
                while futures:
                    fut = futures.pop()
                    if timeout is None:
                        chunk = fut.result()
                    else:
                        chunk = fut.result(end_time - time.monotonic())
                    yield from chunk[0]
            finally:
                for fut in futures:
                    fut.cancel()
        return results()

    def shutdown(self, wait=True, *, cancel_futures=False):
        """No more submissions; with ``cancel_futures`` the jobs not
        started are cancelled; with ``wait`` waits for the others.  A
        server this executor created is then destroyed."""
        with self._lock:
            self._shutdown = True
            pending = list(self._futures.values())
        if cancel_futures:
            for fut in pending:
                fut.cancel()
        holder = getattr(self._server, "_holder", None)
        dispatcher = holder[0] if holder else None
        if threading.current_thread() is getattr(dispatcher, "thread", None):
            # From a done callback: the futures waited for are completed by
            # this very thread.
            wait = False
        if wait:
            concurrent.futures.wait(pending)
            if self._owned:
                self._server.destroy()
        elif self._owned:
            # Destroyed once the last job has finished.
            threading.Thread(target=self._destroy_when_done, args=(pending,),
                             name="pp-executor-shutdown", daemon=True).start()

    def _destroy_when_done(self, pending):
        concurrent.futures.wait(pending)
        self._server.destroy()

    def __repr__(self):
        state = "shut down" if self._shutdown else repr(self._server)
        return "<pp.Executor %s>" % state


Executor.__module__ = "pp"
