# pp/__init__.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Parallel Python on pp-glib.

``pp`` runs Python functions in parallel in persistent worker processes,
with the API of the classic Parallel Python module::

    import math, pp

    def isprime(n):
        ...

    def sum_primes(n):
        return sum(x for x in range(2, n) if isprime(x))

    job_server = pp.Server()                  # one worker per processor
    jobs = [job_server.submit(sum_primes, (n,), (isprime,), ("math",))
            for n in (100000, 100100, 100200)]
    print([job() for job in jobs])            # job() waits for the result
    job_server.print_stats()

How it works: :meth:`Server.submit` sends the *source code* of the
function, of the functions it depends on and of the classes of the objects
passed as arguments to a worker process (each worker compiles it once),
together with the pickled arguments.  The worker runs the function and
sends back the pickled result, which ``job()`` returns.

What differs from the original pp:

* an exception raised by a job is raised again by ``job()`` with its
  original type, the remote traceback attached as ``__cause__``
  (:class:`RemoteTraceback`); see also :class:`JobError`,
  :class:`WorkerCrashedError`, :class:`CancelledError` and
  :class:`DestroyedError`; a ``BaseException`` that is not an
  ``Exception`` (``sys.exit()``, ``KeyboardInterrupt`` ...) is raised as
  :class:`JobExitError` instead;
* functions, classes and modules used by the submitted function and defined
  in the same module (or ``__main__``) are found and sent automatically;
* functions without a source file (typed at the interactive prompt, read
  from stdin, made with ``exec``) are sent as compiled code, which works
  because the workers run the same interpreter; lambdas and built-in
  functions cannot be submitted (``TypeError``);
* jobs can be cancelled with :meth:`Job.cancel`;
* jobs also run on remote ``ppd`` nodes (``ppservers``), authenticated by
  a shared secret; a node that dies mid-run gives its jobs back.

The engine is libpp-glib (GObject-Introspection namespace ``Pp`` 1.0),
used here through PyGObject.
"""

import builtins
import collections
import inspect as _inspect
import ipaddress
import logging
import os
import pickle as _pickle
import re
import sys
import threading
import traceback
import types
import weakref

from . import _source
from ._gi import GLib, Pp, PP_ERROR_DOMAIN

__all__ = [
    "Server",
    "Template",
    "Job",
    "PPError",
    "JobError",
    "JobExitError",
    "RemoteTraceback",
    "WorkerCrashedError",
    "CancelledError",
    "DestroyedError",
    "DestroyedServerError",
    "NodeInfo",
    "version",
]

version = __version__ = getattr(Pp, "VERSION_S", None) or "0.1.0"

copyright = "Copyright 2026 The pp-glib developers"

logger = logging.getLogger("pp")

_FunctionType = types.FunctionType
_GlobalKinds = (types.ModuleType, types.FunctionType, type)
_MethodType = types.MethodType
_ATOMIC = _source.ATOMIC_TYPES
_PICKLE = Pp.PayloadFormat.PICKLE
_PROTOCOL = _source.PICKLE_PROTOCOL
_dumps = _pickle.dumps
_loads = _pickle.loads
_Bytes_new = GLib.Bytes.new


# ---------------------------------------------------------------------------
# Exceptions


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


# Blocking waits go to C in slices, so that Ctrl-C (KeyboardInterrupt) and
# other signal handlers run while a script waits for its jobs.
_WAIT_SLICE_USEC = 200000


def _wait_interruptibly(wait_timeout):
    while not wait_timeout(_WAIT_SLICE_USEC):
        pass


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
            exc = _source.loads_result(data.get_data(), registry)
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


# ---------------------------------------------------------------------------
# Jobs

_NOT_READY, _VALUE, _EXCEPTION = 0, 1, 2
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

    def _finalize(self):
        job = self._job
        _wait_interruptibly(job.wait_timeout)
        try:
            job.wait(None)
            err = None
        except GLib.Error as e:
            err = e
        output = job.dup_output()
        if err is None:
            try:
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


# ---------------------------------------------------------------------------
# Callbacks


class _Dispatcher:
    """Runs job callbacks in one thread with its own GLib main context.

    ``Pp.Job.wait_async()`` is started from that context (through
    ``g_main_context_invoke``) so its completion, and the callback, run in
    the dispatcher thread as soon as the job finishes.
    """

    def __init__(self):
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        self.cond = threading.Condition(threading.Lock())
        self.incoming = collections.deque()
        self.scheduled = False
        self.pending = collections.Counter()
        self.total = 0
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,),
                                       name="pp-callbacks", daemon=True)
        self.thread.start()
        started.wait()

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

    def _drain(self, *unused):
        with self.cond:
            jobs = list(self.incoming)
            self.incoming.clear()
            self.scheduled = False
        for job in jobs:
            job._job.wait_async(None, self._done, job)
        return False

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
        self.ctx.invoke_full(GLib.PRIORITY_LOW, lambda *a: self.loop.quit() or False)
        if threading.current_thread() is not self.thread:
            self.thread.join(timeout)


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


# ---------------------------------------------------------------------------
# Server


class _Statistics:
    """Execution statistics of one node (pp's ``_Statistics``)."""

    __slots__ = ("ncpus", "time", "njobs", "rworker")

    def __init__(self, ncpus, time=0.0, njobs=0, rworker=None):
        self.ncpus = ncpus
        self.time = time
        self.njobs = njobs
        self.rworker = rworker

    def __repr__(self):
        return "<pp._Statistics ncpus=%d njobs=%d time=%.4f>" % (
            self.ncpus, self.njobs, self.time)


NodeInfo = collections.namedtuple("NodeInfo", (
    "name", "is_local", "host", "port", "state", "ncpus", "busy", "held",
    "jobs_done", "jobs_failed", "job_time", "tls", "last_error"))
NodeInfo.__doc__ = """A snapshot of one node of a :class:`Server` (``Server.nodes``).

``name`` is ``"local"`` or ``"host:port"``; ``state`` is ``"connecting"``,
``"ready"``, ``"lost"`` (reconnecting), ``"refused"`` (another secret or
protocol version) or ``"removed"``; ``ncpus`` the jobs it runs at once (0
while a remote node is not ready); ``busy`` the jobs it runs, ``held`` those
sent ahead, not started; ``jobs_done`` the jobs it answered (pp's job
count), ``jobs_failed`` those that failed there; ``job_time`` their time
sum in seconds; ``last_error`` why the node was last lost or refused
(``None`` while ready).  The fields of ``Pp.Node`` in libpp-glib."""


def _node_info(node):
    return NodeInfo(
        node.get_name(), node.get_is_local(), node.get_host(), node.get_port(),
        node.get_state().value_nick, node.get_ncpus(), node.get_busy(),
        node.get_held(), node.get_jobs_done(), node.get_jobs_failed(),
        node.get_job_time(), node.get_tls(), node.dup_last_error())


def _ncpus_value(ncpus):
    if isinstance(ncpus, str) and ncpus == "autodetect":
        return Pp.NCPUS_AUTODETECT if hasattr(Pp, "NCPUS_AUTODETECT") else -1
    if not isinstance(ncpus, int) or isinstance(ncpus, bool):
        raise TypeError("ncpus must have 'int' type or be \"autodetect\", not %r"
                        % (ncpus,))
    if ncpus < 0:
        raise ValueError("ncpus must be an integer >= 0")
    return ncpus


_PORT_RE = re.compile(r"[0-9]{1,5}\Z")
_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\Z")


def _ppserver_port(entry, port):
    if not _PORT_RE.match(port) or not 1 <= int(port) <= 65535:
        raise ValueError("ppservers entry %r: the port must be a number from "
                         "1 to 65535, not %r" % (entry, port))
    return int(port)


def _is_ipv6(text):
    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


def _ipv6_host(entry, host):
    # No zone indices ("fe80::1%eth0"): libpp-glib does not take them either.
    if "%" in host or not _is_ipv6(host):
        raise ValueError("ppservers entry %r: %r is not an IPv6 address"
                         % (entry, host))
    return str(ipaddress.IPv6Address(host))


def _parse_ppserver(entry, default_port):
    """(host, port) of a ``ppservers`` entry, or ValueError naming it.

    The forms are those libpp-glib accepts (PpServer:ppservers):
    ``"host"``, ``"host:port"``, ``"192.0.2.7[:port]"``, ``"[2001:db8::7]"``,
    ``"[2001:db8::7]:port"``, a bare IPv6 address (default port), pp's
    ``"*"`` / ``"*:port"``, and pp's ``""`` / ``":port"`` for this machine
    (127.0.0.1).  Ports go from 1 to 65535; host names are ASCII
    (punycode for international names)."""
    if not isinstance(entry, str):
        raise TypeError("ppservers entries must be strings, not %r" % (entry,))
    if entry.startswith("["):
        host, sep, rest = entry[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError("ppservers entry %r: expected \"[IPv6 address]\" or "
                             "\"[IPv6 address]:port\"" % (entry,))
        host = _ipv6_host(entry, host)
        return host, _ppserver_port(entry, rest[1:]) if rest else default_port
    if entry.count(":") > 1:
        if "[" in entry or "]" in entry or "%" in entry or \
                not _is_ipv6(entry):
            raise ValueError("ppservers entry %r is neither \"host:port\" nor an "
                             "IPv6 address (with a port: \"[IPv6 address]:port\")"
                             % (entry,))
        return str(ipaddress.IPv6Address(entry)), default_port
    host, sep, port = entry.partition(":")
    port = _ppserver_port(entry, port) if sep else default_port
    if host == "*":
        return host, port
    if host == "":              # pp's ('',): this machine
        return "127.0.0.1", port
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253 or \
            not all(_HOST_LABEL_RE.match(label) for label in name.split(".")):
        raise ValueError("ppservers entry %r: %r is not a host name or an IPv4 "
                         "address (IPv6 addresses go in brackets: \"[::1]:60000\")"
                         % (entry, host))
    return host, port


def _format_ppserver(host, port):
    if ":" in host:
        return "[%s]:%d" % (host, port)
    return "%s:%d" % (host, port)


def _python_path():
    cwd = os.getcwd()
    seen = set()
    path = []
    for p in sys.path + [cwd]:
        if not isinstance(p, str):
            continue
        p = os.path.abspath(p) if p else cwd
        if p not in seen:
            seen.add(p)
            path.append(p)
    return path


def _shutdown(srv, holder):
    try:
        srv.destroy()
    finally:
        dispatcher = holder[0]
        if dispatcher is not None:
            dispatcher.stop()


_log_handler = None


class Server:
    """A Parallel Python job server: runs submitted jobs in worker processes.

    ``ncpus`` is the number of local worker processes, ``"autodetect"`` for
    one per processor, 0 to run jobs on remote nodes only.  ``ppservers``
    lists remote ``ppd`` nodes (``"host"`` or ``"host:port"``, default port
    60000; IPv6 as ``"[::1]:41000"`` or ``"::1"``; a malformed entry or a
    port outside 1-65535 raises ``ValueError``) that share ``secret`` (or
    ``$PP_SECRET``, else the per-user secret file ``~/.config/pp-glib/secret``
    that ``ppd`` uses too, created on first use and refused if others can
    read it); jobs go to whichever
    node has a free core, and a node that is lost gives its jobs back.
    ``socket_timeout`` bounds connecting to a node and the handshake (30 s
    at most); once connected, a node is pinged every 2 s and counts as lost
    when nothing comes from it for 10 s, however long its jobs run.  ``tls=True`` encrypts the connections.  ``proto`` is accepted
    for compatibility.  With ``restart=True`` every job runs in a fresh
    worker process.  ``loglevel`` and ``logstream`` (pp 1.5) set the level
    and the stream of the ``"pp"`` logger.

    Workers use this interpreter (``sys.executable``, or ``$PP_PYTHON``),
    start in the current directory and see this process's ``sys.path``, so
    they import the same modules.  The server is destroyed by :meth:`destroy`, when used as a
    context manager, or at interpreter exit.
    """

    default_port = 60000
    default_secret = None

    def __init__(self, ncpus="autodetect", ppservers=(), secret=None,
                 restart=False, proto=2, socket_timeout=3600,
                 loglevel=None, logstream=None, tls=False):
        if not isinstance(ppservers, (tuple, list)):
            raise TypeError("ppservers argument must be a tuple")
        if secret is not None and not isinstance(secret, str):
            raise TypeError("secret must be of a string type")
        if secret is not None and "\0" in secret:
            # libpp-glib would keep only what comes before it.
            raise ValueError("secret must not contain NUL characters")
        ncpus = _ncpus_value(ncpus)
        self._setup_logging(loglevel, logstream)

        self.secret = secret
        self.proto = proto
        self.socket_timeout = socket_timeout
        self.restart = bool(restart)
        self.ppservers = [_parse_ppserver(entry, self.default_port)
                          for entry in ppservers]

        props = dict(ncpus=ncpus, restart=self.restart,
                     working_directory=os.getcwd(), python_path=_python_path(),
                     ppservers=[_format_ppserver(*hp) for hp in self.ppservers],
                     socket_timeout=max(1, int(socket_timeout)), use_tls=bool(tls))
        if secret is not None:
            props["secret"] = secret
        # The workers run this interpreter (a virtualenv's packages are
        # there), unless PP_PYTHON names another.
        python = os.environ.get("PP_PYTHON") or sys.executable
        if python:
            props["python"] = python
        srv = Pp.Server(**props)
        try:
            srv.init(None)
        except GLib.Error as e:
            msg = "cannot start the pp server: %s" % e.message
            if e.domain == PP_ERROR_DOMAIN:
                raise _pp_error(e.code, msg) from None
            raise PPError(msg) from None

        self._srv = srv
        self._submit_data = srv.submit_data
        self._builder = _source.FunctionBuilder()
        self._functions = {}        # submit's key -> (Pp.Function, registry)
        self._destroyed = False
        self._dispatcher_lock = threading.Lock()
        self._holder = [None]
        self._finalizer = weakref.finalize(self, _shutdown, srv, self._holder)
        logger.debug("pp server started with %d workers", srv.get_ncpus())

    @staticmethod
    def _setup_logging(loglevel, logstream):
        # Like pp 1.5: loglevel/logstream configure the "pp" logger.  Left
        # alone when neither is given, so the application's logging
        # configuration applies.
        global _log_handler
        if loglevel is None and logstream is None:
            return
        if _log_handler is None:
            _log_handler = logging.StreamHandler(logstream or sys.stderr)
            _log_handler.setFormatter(logging.Formatter("%(name)s %(levelname)s: %(message)s"))
            logger.addHandler(_log_handler)
            logger.propagate = False
        elif logstream is not None:
            _log_handler.setStream(logstream)
        logger.setLevel(logging.WARNING if loglevel is None else loglevel)


    # -- jobs --------------------------------------------------------------

    def submit(self, func, args=(), depfuncs=(), modules=(), callback=None,
               callbackargs=(), group="default", globals=None):
        """Submit ``func(*args)`` for execution and return a :class:`Job`.

        func         -- function or method to run (methods run with their
                        instance, which is pickled)
        args         -- tuple of arguments for func
        depfuncs     -- tuple of functions and classes func uses (those of
                        func's own module are found automatically)
        modules      -- tuple of module names (``"math"``) or import
                        statements (``"import numpy as np"``) to run first
        callback     -- called as ``callback(*callbackargs, result)`` in a
                        pp thread as soon as the job finishes; when the job
                        fails (it raised, its worker crashed), the error is
                        printed and result is None, as in pp (not called
                        for cancelled jobs and those of a destroyed server)
        callbackargs -- tuple of extra arguments for callback
        group        -- job group, for :meth:`wait` (group)
        globals      -- dict (e.g. ``globals()``) whose modules are imported
                        and whose functions and classes are sent along
        """
        if self._destroyed:
            raise DestroyedError("cannot submit jobs: the server has been destroyed")
        targs = type(args)
        if targs is not tuple:
            if targs is list:
                args = tuple(args)
            else:
                raise TypeError("args argument must be a tuple")
        if type(depfuncs) is not tuple:
            if not isinstance(depfuncs, (tuple, list)):
                raise TypeError("depfuncs argument must be a tuple")
            depfuncs = tuple(depfuncs)
        if type(modules) is not tuple:
            if not isinstance(modules, (tuple, list)):
                raise TypeError("modules argument must be a tuple")
            modules = tuple(modules)
        for m in modules:
            if not isinstance(m, str):
                raise TypeError("modules argument must be a tuple of strings")
        if not isinstance(callbackargs, tuple):
            raise TypeError("callbackargs argument must be a tuple")
        if callback is not None and not callable(callback):
            raise TypeError("callback must be callable")
        if not isinstance(group, str):
            raise TypeError("group must be a string")
        if globals is not None and not isinstance(globals, dict):
            raise TypeError("globals argument must be a dictionary")

        tfunc = type(func)
        if tfunc is _FunctionType:
            fkey = func
            home = func.__module__
        elif tfunc is _MethodType:
            inner = func.__func__
            owner = func.__self__
            fkey = (inner, owner if isinstance(owner, type) else type(owner))
            home = getattr(inner, "__module__", None)
            args = (owner,) + args
        elif (callable(func) and hasattr(func, "__wrapped__")
              and type(_inspect.unwrap(func)) is _FunctionType):
            fkey = func  # e.g. a functools.lru_cache-decorated function
            home = _inspect.unwrap(func).__module__
        else:
            raise TypeError(
                "func must be a function or a method written in Python, not %s"
                % (_source.describe(func),))

        for a in args:
            if type(a) not in _ATOMIC:
                data, found = _source.dumps_args(
                    args, home, _source.module_names(modules) if modules else ())
                break
        else:
            data, found = _dumps(args, _PROTOCOL), ()

        if globals is not None:
            gkey = tuple((k, id(v)) for k, v in globals.items()
                         if isinstance(v, _GlobalKinds))
        else:
            gkey = None
        key = (fkey, depfuncs, modules, gkey, found)
        try:
            function, registry = self._functions[key]
        except KeyError:
            function, registry = self._function(func, depfuncs, modules, globals, found, key)
        except TypeError:  # unhashable in depfuncs
            function, registry = self._function(func, depfuncs, modules, globals, found, None)

        try:
            pjob = self._submit_data(function, data, _PICKLE, group)
        except GLib.Error as e:
            if e.domain == PP_ERROR_DOMAIN:
                raise _pp_error(e.code, e.message) from None
            raise PPError(e.message) from None
        job = Job(self, pjob, group, callback, callbackargs, registry)
        if callback is not None:
            self._callbacks().add(job)
        return job

    def _function(self, func, depfuncs, modules, globs, found, key):
        bundle = self._builder.bundle(func, depfuncs, modules, globs, found)
        function = Pp.Function.new(bundle.name, bundle.source, list(bundle.modules))
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("function %s (key %s):\n%s", bundle.name,
                         function.get_key(), bundle.source)
        entry = (function, bundle.registry)
        if key is not None:
            self._functions[key] = entry
        return entry

    def _callbacks(self):
        dispatcher = self._holder[0]
        if dispatcher is None:
            with self._dispatcher_lock:
                dispatcher = self._holder[0]
                if dispatcher is None:
                    dispatcher = self._holder[0] = _Dispatcher()
        return dispatcher

    def wait(self, group=None):
        """Wait until all jobs of *group* (all jobs if omitted) have
        finished and their callbacks have run."""
        if self._destroyed:
            return
        _wait_interruptibly(lambda slice_: self._srv.wait_timeout(group, slice_))
        dispatcher = self._holder[0]
        if dispatcher is not None:
            dispatcher.wait_idle(group)

    # -- workers and statistics ---------------------------------------------

    def get_ncpus(self):
        """Return the number of local worker processes."""
        return self._srv.get_ncpus()

    def set_ncpus(self, ncpus="autodetect"):
        """Set the number of local worker processes (``"autodetect"``: one
        per processor).  Can be changed while jobs run."""
        self._srv.set_ncpus(_ncpus_value(ncpus))

    def get_active_nodes(self):
        """Return the active nodes as a dict {node: ncpus}; the local
        computer is ``"local"``."""
        nodes = {"local": self.get_ncpus()}
        for st in self._srv.list_stats():
            if not st.get_is_local() and st.get_ncpus() > 0:
                nodes[st.get_name()] = st.get_ncpus()
        return nodes

    def get_stats(self):
        """Return the execution statistics as a dict {node: stats}; each
        stats object has ``njobs``, ``time`` (job time sum, seconds),
        ``ncpus`` and ``rworker``."""
        stats = {}
        for st in self._srv.list_stats():
            name = "local" if st.get_is_local() else st.get_name()
            stats[name] = _Statistics(st.get_ncpus(), st.get_time(), st.get_njobs())
        if "local" not in stats:
            stats["local"] = _Statistics(self.get_ncpus())
        return stats

    def print_stats(self):
        """Print the job execution statistics (pp's table)."""
        sys.stdout.write(self._srv.format_stats())

    def get_uptime(self):
        """Seconds since the server was created."""
        return self._srv.get_uptime()

    def get_active_jobs(self, group=None):
        """The number of jobs of *group* (all if omitted) not finished yet."""
        return self._srv.get_active_jobs(group)

    # -- nodes ---------------------------------------------------------------

    @property
    def nodes(self):
        """The nodes jobs run on, the local workers first, as a list of
        :class:`NodeInfo` snapshots."""
        model = self._srv.get_nodes()
        return [_node_info(model.get_item(i)) for i in range(model.get_n_items())]

    def _node_error(self, e):
        if e.domain == PP_ERROR_DOMAIN and e.code in (
                Pp.Error.INVALID_ARGUMENT, Pp.Error.NOT_SUPPORTED):
            return ValueError(e.message)
        if e.domain == PP_ERROR_DOMAIN:
            return _pp_error(e.code, e.message)
        return PPError(e.message)

    def add_node(self, address):
        """Add a remote ``ppd`` node while jobs run: ``"host"`` or
        ``"host:port"``, the forms of ``ppservers`` (``ValueError`` when
        malformed or already a node).  It connects in the background with
        this server's secret and takes jobs once ready.  Returns its
        :class:`NodeInfo`."""
        host, port = _parse_ppserver(address, self.default_port)
        if host == "*":
            raise ValueError("add_node(%r): discovery is not available; give a "
                             "node's address" % (address,))
        try:
            node = self._srv.add_node(_format_ppserver(host, port))
        except GLib.Error as e:
            raise self._node_error(e) from None
        return _node_info(node)

    def remove_node(self, node):
        """Remove a remote node while jobs run: *node* is its name
        (``"host:port"``, or ``"host"`` for the default port) or a
        :class:`NodeInfo` from :attr:`nodes`.  The jobs it held run
        elsewhere, each once.  Returns its last :class:`NodeInfo` (state
        ``"removed"``).  ``ValueError`` for the local workers (use
        ``set_ncpus(0)``) and for a name that is not a node of this
        server."""
        name = node.name if isinstance(node, NodeInfo) else node
        if not isinstance(name, str):
            raise TypeError("remove_node() takes a node name or a NodeInfo, not %r" % (node,))
        if name != "local":
            name = _format_ppserver(*_parse_ppserver(name, self.default_port))
        model = self._srv.get_nodes()
        for i in range(model.get_n_items()):
            item = model.get_item(i)
            if item.get_name() == name:
                try:
                    self._srv.remove_node(item)
                except GLib.Error as e:
                    raise self._node_error(e) from None
                return _node_info(item)
        raise ValueError("%r is not a node of this server" % (node,))

    # -- life cycle ----------------------------------------------------------

    def destroy(self):
        """Stop the workers.  Jobs that have not finished fail with
        :class:`DestroyedError`.  Called at interpreter exit too."""
        if self._destroyed:
            return
        self._destroyed = True
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.destroy()

    def __repr__(self):
        state = "destroyed" if self._destroyed else "%d workers" % self.get_ncpus()
        return "<pp.Server %s>" % state


class Template:
    """Submit the same function with the same settings many times.

    ``Template(job_server, func, depfuncs, modules, callback, callbackargs,
    group, globals)`` keeps everything but the arguments;
    ``template.submit(*args)`` submits ``func(*args)``.
    """

    def __init__(self, job_server, func, depfuncs=(), modules=(),
                 callback=None, callbackargs=(), group="default", globals=None):
        self.job_server = job_server
        self.func = func
        self.depfuncs = depfuncs
        self.modules = modules
        self.callback = callback
        self.callbackargs = callbackargs
        self.group = group
        self.globals = globals

    def submit(self, *args):
        """Submit ``func(*args)``; returns a :class:`Job`."""
        return self.job_server.submit(self.func, args, self.depfuncs,
                                      self.modules, self.callback,
                                      self.callbackargs, self.group,
                                      self.globals)


# Live servers are destroyed at exit by their weakref.finalize (which runs
# at interpreter exit through atexit).
