# pp/_job.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The job object :meth:`pp.Server.submit` returns.

Re-exported by :mod:`pp`.
"""

import pickle
import sys
import threading

from . import _aio, _source
from ._errors import _EXIT_CLASSES, JobExitError, PPError, _pp_error, _raised
from ._backend import GLib, Pp, PP_ERROR_DOMAIN

_loads = pickle.loads

# Blocking waits go to C in slices, so that Ctrl-C (KeyboardInterrupt) and
# other signal handlers run while a script waits for its jobs.
_WAIT_SLICE_USEC = 200000


def _wait_interruptibly(wait_timeout):
    while not wait_timeout(_WAIT_SLICE_USEC):
        pass


_NOT_READY, _VALUE, _EXCEPTION = 0, 1, 2
# _ppcore's Job.done_result(): a successful job's result and output in one
# call (PyGObject has the four calls below).
_DONE_RESULT = hasattr(Pp.Job, "done_result")
_final_lock = threading.Lock()


class Job:
    """A submitted job (pp's ``_Task``); :meth:`Server.submit` returns it.

    Call it to get the result: ``result = job()``.  ``id`` (also ``tid``)
    and ``group`` identify it, ``finished`` tells whether it is done.
    """

    __slots__ = ("server", "_job", "_id", "group", "callback", "callbackargs",
                 "_state", "_value", "_registry", "__weakref__")

    def __init__(self, server, pjob, group, callback, callbackargs, registry):
        self.server = server
        self._job = pjob
        self._id = None
        self.group = group
        self.callback = callback
        self.callbackargs = callbackargs
        self._state = _NOT_READY
        self._value = None
        self._registry = registry

    @property
    def id(self):
        """The job's number, unique within its server."""
        if self._id is None:
            self._id = self._job.get_id()
        return self._id

    tid = id

    @property
    def finished(self):
        """True once the job has finished (successfully or not)."""
        return self._state != _NOT_READY or self._job.is_finished()

    @property
    def state(self):
        """The job's ``Pp.JobState`` (QUEUED, RUNNING, DONE, FAILED, CANCELLED)."""
        return self._job.get_state()

    def __call__(self, raw_result=False):
        """Wait for the job and return its result.

        Output the job printed is written to ``sys.stdout`` the first time.
        If the job raised an exception, it is raised here again (see the
        module documentation).  The result is kept: calling again returns
        the same object.  ``raw_result=True`` returns the pickled result.
        """
        if self._state == _NOT_READY:
            self._finalize()
        if raw_result:
            data = self._job.dup_result()
            return data.get_data() if data is not None else None
        if self._state == _VALUE:
            return self._value
        raise self._value

    def wait(self):
        """Wait until the job has finished, without raising its error."""
        if self._state == _NOT_READY:
            _wait_interruptibly(self._job.wait_timeout)

    def cancel(self):
        """Cancel the job if it has not finished yet.

        Returns True when it was cancelled; ``job()`` then raises
        :class:`CancelledError`.
        """
        return bool(self._job.cancel())

    def _add_done_callback(self, fn):
        """Calls ``fn(self)`` exactly once, in the server's callback
        thread, once the job has finished (promptly if it already has).
        What :class:`pp.Executor` futures and ``await job`` build on."""
        self.server._callbacks().watch(self, fn)

    def __await__(self):
        """``result = await job`` in asyncio (see :mod:`pp._aio`)."""
        return _aio.await_job(self)

    def _finalize(self):
        job = self._job
        if not job.is_finished():
            _wait_interruptibly(job.wait_timeout)
        done = job.done_result() if _DONE_RESULT else None
        if done is not None:
            raw, output = done
            err = None
        else:
            raw = None
            try:
                job.wait(None)
                err = None
            except GLib.Error as e:
                err = e
            output = job.dup_output()
        if err is None:
            try:
                if raw is None:
                    data = job.dup_result()
                    raw = data.get_data() if data is not None else b""
                registry = self._registry
                if registry:
                    value = _source.loads_result(raw, registry)
                else:
                    value = _loads(raw)
                state = _VALUE
            except KeyboardInterrupt:
                raise
            except BaseException as e:  # SystemExit raised by unpickling too
                value, state = e, _EXCEPTION
                if not isinstance(e, Exception) or isinstance(e, _EXIT_CLASSES):
                    value = JobExitError(type(e).__qualname__, str(e), "", e)
                    value.__cause__ = e
        else:
            state = _EXCEPTION
            if err.domain != PP_ERROR_DOMAIN:
                value = PPError(err.message)
            elif err.code in (Pp.Error.JOB_RAISED, Pp.Error.COMPILE):
                value = _raised(job, err, self._registry)
            else:
                value = _pp_error(err.code, err.message)
        with _final_lock:
            if self._state != _NOT_READY:
                return
            self._value = value
            self._state = state
        if output:
            sys.stdout.write(output)

    def __repr__(self):
        state = self._job.get_state().value_nick
        return "<pp.Job %d group=%r %s>" % (self.id, self.group, state)


# pp's own: pickles, reprs and the documentation name pp.Job, as before
# pp/__init__.py was split.
Job.__module__ = "pp"
