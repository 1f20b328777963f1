# pp/_errors.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp's exceptions, and the exception ``job()`` raises for a failed job.

Re-exported by :mod:`pp`.
"""

import builtins

from ._backend import Pp
from ._pickling import loads_result


class PPError(Exception):
    """Base class of the errors raised by pp.

    ``code`` is the ``Pp.Error`` code of the underlying libpp-glib error,
    or ``None``.
    """

    code = None


class JobError(PPError):
    """A job raised an exception that could not be sent back as itself
    (it could not be pickled or unpickled).

    ``etype`` is the name of the remote exception's type, ``message`` its
    message and ``traceback`` the remote traceback as text.
    """

    def __init__(self, etype, message, traceback):
        super().__init__(etype, message, traceback)
        self.etype = etype
        self.message = message
        self.traceback = traceback

    def __str__(self):
        if self.message:
            return "%s: %s" % (self.etype, self.message)
        return str(self.etype)


class JobExitError(JobError):
    """A job raised a :class:`BaseException` that is not an
    :class:`Exception`: ``SystemExit`` (``sys.exit()``),
    ``KeyboardInterrupt``, ``GeneratorExit`` or another direct subclass of
    ``BaseException`` (one of the caller's own is recognised only when it
    can be unpickled here; otherwise the job raises a plain
    :class:`JobError`, whose ``etype`` names it).

    Raised again as itself, it would end the calling script (with status 0
    for ``sys.exit(0)``) or pass for a Ctrl-C, so ``job()`` raises this
    instead.  Besides ``etype``, ``message`` and ``traceback`` (see
    :class:`JobError`), ``exit_code`` is the ``SystemExit``'s code
    (``sys.exit(3)`` gives 3; None for the other types) and ``exception``
    the original exception object, or None when it could not be unpickled.
    """

    def __init__(self, etype, message, traceback, exception=None):
        super().__init__(etype, message, traceback)
        self.exception = exception
        self.exit_code = exception.code if isinstance(exception, SystemExit) else None

    def __str__(self):
        return "the job raised %s" % super().__str__()


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker.

    Attached as ``__cause__`` to the exceptions ``job()`` raises again, so
    a printed traceback shows where the job failed in the worker (like
    :mod:`concurrent.futures`).  ``tb`` is the traceback text.
    """

    def __init__(self, tb):
        super().__init__(tb)
        self.tb = tb

    def __str__(self):
        return '\n"""\n%s"""' % (self.tb if self.tb.endswith("\n") else self.tb + "\n")


class WorkerCrashedError(PPError):
    """The worker process running the job died (``os._exit()``, a signal,
    a crash in a C extension ...), and so did the fresh worker the job was
    retried on."""


class CancelledError(PPError):
    """The job was cancelled (:meth:`Job.cancel`) before it finished."""


class DestroyedError(PPError):
    """The server was destroyed before the job finished, or a job was
    submitted to a destroyed server."""


#: The name pp 1.6 used for :class:`DestroyedError`.
DestroyedServerError = DestroyedError


def _pp_error(code, message):
    E = Pp.Error
    if code == E.WORKER_CRASHED:
        exc = WorkerCrashedError(message)
    elif code == E.DESTROYED:
        exc = DestroyedError(message)
    elif code == E.CANCELLED:
        exc = CancelledError(message)
    else:
        exc = PPError(message)
    exc.code = code
    return exc


# The built-in BaseExceptions that are not Exceptions (SystemExit ...), by
# name: what an exception that could not be unpickled is recognised by.
_EXIT_TYPES = frozenset(
    name for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
    and not issubclass(value, Exception))
# An exception that is an Exception too (class E(SystemExit, Exception))
# would still end the calling script (or pass for a Ctrl-C) if raised again.
_EXIT_CLASSES = (SystemExit, KeyboardInterrupt, GeneratorExit)


def _raised(job, err, registry):
    """The exception to raise for a job that raised *err* in the worker."""
    etype = job.dup_exception_type() or "Exception"
    tb = job.dup_traceback() or ""
    message = job.dup_exception_message()
    if message is None:
        message = err.message or ""
    exc = None
    data = job.dup_result()
    if data is not None and data.get_size():
        try:
            exc = loads_result(data.get_data(), registry)
        except KeyboardInterrupt:
            raise
        except BaseException:  # even a SystemExit raised by unpickling
            exc = None
    if not isinstance(exc, BaseException):
        exc = (JobExitError if etype in _EXIT_TYPES else JobError)(etype, message, tb)
        exc.code = err.code
    elif not isinstance(exc, Exception) or isinstance(exc, _EXIT_CLASSES):
        exc = JobExitError(etype, message, tb, exc)
        exc.code = err.code
    if tb:
        exc.__cause__ = RemoteTraceback(tb)
    return exc


# pp's own: pickles, reprs and the documentation name pp.PPError, as before
# pp/__init__.py was split.
PPError.__module__ = "pp"
JobError.__module__ = "pp"
JobExitError.__module__ = "pp"
RemoteTraceback.__module__ = "pp"
WorkerCrashedError.__module__ = "pp"
CancelledError.__module__ = "pp"
DestroyedError.__module__ = "pp"
