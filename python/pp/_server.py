# pp/_server.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The job server (:class:`pp.Server`) and :class:`pp.Template`.

Re-exported by :mod:`pp`.
"""

import inspect as _inspect
import json as _json
import logging
import os
import pickle as _pickle
import sys
import threading
import types
import weakref

from . import _map, _progress, _source
from ._callbacks import _Dispatcher
from ._errors import DestroyedError, PPError, _pp_error
from ._backend import GLib, Pp, PP_ERROR_DOMAIN
from ._job import Job, _wait_interruptibly
from ._nodes import NodeInfo, _node_info, _Statistics
from ._ppservers import _format_ppserver, _parse_ppserver

logger = logging.getLogger("pp")

_FunctionType = types.FunctionType
_GlobalKinds = (types.ModuleType, types.FunctionType, type)
_MethodType = types.MethodType
_ATOMIC = _source.ATOMIC_TYPES
_PICKLE = Pp.PayloadFormat.PICKLE
_PROTOCOL = _source.PICKLE_PROTOCOL
_dumps = _pickle.dumps


def _ncpus_value(ncpus):
    if isinstance(ncpus, str) and ncpus == "autodetect":
        return Pp.NCPUS_AUTODETECT if hasattr(Pp, "NCPUS_AUTODETECT") else -1
    if not isinstance(ncpus, int) or isinstance(ncpus, bool):
        raise TypeError("ncpus must have 'int' type or be \"autodetect\", not %r"
                        % (ncpus,))
    if ncpus < 0:
        raise ValueError("ncpus must be an integer >= 0")
    return ncpus

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
    ``"*"`` (pp's own form) uses every node that ``ppd -a`` announces on
    the local network as it comes and goes, ``"*:port"`` those on that
    port (see the README's "Discovery").
    ``socket_timeout`` bounds connecting to a node and the handshake (30 s
    at most); once connected, a node is pinged every 2 s and counts as lost
    when nothing comes from it for 10 s, however long its jobs run.  ``tls=True`` encrypts the connections.  ``proto`` is accepted
    for compatibility.  With ``restart=True`` every job runs in a fresh
    worker process.  ``loglevel`` and ``logstream`` (pp 1.5) set the level
    and the stream of the ``"pp"`` logger.  With a session bus, the server
    is visible on it as ``org.ppglib.PpClient.p<PID>_<N>`` (see README.md,
    "Watching pp programs on the session bus"); ``bus=False`` (or
    ``PP_NO_BUS=1``) turns that off.

    Workers use this interpreter (``sys.executable``, or ``$PP_PYTHON``),
    start in the current directory and see this process's ``sys.path``, so
    they import the same modules.  The server is destroyed by :meth:`destroy`, when used as a
    context manager, or at interpreter exit.
    """

    default_port = 60000
    default_secret = None

    def __init__(self, ncpus="autodetect", ppservers=(), secret=None,
                 restart=False, proto=2, socket_timeout=3600,
                 loglevel=None, logstream=None, tls=False, bus=True):
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
                     # "*" finds nodes on any port, "*:port" on that one.
                     ppservers=["*" if entry == "*" else _format_ppserver(*hp)
                                for entry, hp in zip(ppservers, self.ppservers)],
                     socket_timeout=max(1, int(socket_timeout)), use_tls=bool(tls),
                     export_on_bus=bool(bus))
        if GLib.get_prgname() is None and sys.argv and sys.argv[0]:
            # the program's name on the session bus and in its status
            GLib.set_prgname(os.path.basename(sys.argv[0]))
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

    def wait(self, group=None, progress=False):
        """Wait until all jobs of *group* (all jobs if omitted) have
        finished and their callbacks have run.  ``progress=True`` shows a
        progress bar on standard error when it is a terminal (or give the
        stream to show it on)."""
        if self._destroyed:
            return
        if progress:
            _progress.wait(self, group, progress)
        _wait_interruptibly(lambda slice_: self._srv.wait_timeout(group, slice_))
        dispatcher = self._holder[0]
        if dispatcher is not None:
            dispatcher.wait_idle(group)

    # -- map -----------------------------------------------------------------

    def imap(self, func, iterable, chunksize=None, depfuncs=(), modules=(),
             ordered=True, progress=False):
        """Return an iterator of ``func(item)`` for each item of
        *iterable*, in order, computed in chunks of items, one job per
        chunk.  The iterable is read lazily, a few chunks per worker
        ahead, so its length does not matter.  Without *chunksize*, the
        chunk size follows the measured run time.  When ``func`` raises,
        the results before that item come first, then the exception.
        ``depfuncs`` and ``modules`` are those of :meth:`submit`;
        ``progress=True`` shows a progress bar on a terminal."""
        return _map.imap(self, func, iterable, chunksize, depfuncs, modules,
                         ordered, progress)

    def imap_unordered(self, func, iterable, chunksize=None, depfuncs=(),
                       modules=(), progress=False):
        """Like :meth:`imap`, the results in the order they come."""
        return _map.imap(self, func, iterable, chunksize, depfuncs, modules,
                         False, progress)

    def map(self, func, iterable, chunksize=None, depfuncs=(), modules=(),
            ordered=True, progress=False):
        """Return the list of ``func(item)`` for each item of *iterable*:
        ``list(imap(...))`` (``ordered=False``: in the order they come)."""
        return list(_map.imap(self, func, iterable, chunksize, depfuncs,
                              modules, ordered, progress))

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

    def status(self):
        """The server's status document as a dict: its program, nodes, queue
        and pp's statistics (``docs/status.schema.json``, kind "client"), the
        same document its session bus name shows."""
        return _json.loads(self._srv.dup_status())

    @property
    def bus_name(self):
        """The name this server owns on the session bus, or None."""
        return self._srv.dup_bus_name()

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
            raise ValueError("add_node(%r): discovery is for ppservers=(\"*\",); "
                             "give a node's address" % (address,))
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


# pp's own: pickles, reprs and the documentation name pp.Server, as before
# pp/__init__.py was split.
Server.__module__ = "pp"
Template.__module__ = "pp"
