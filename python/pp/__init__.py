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

The engine is libpp-glib, used here through pp's own extension module
``pp._ppcore`` (no PyGObject needed), or through PyGObject and the ``Pp``
1.0 typelib with ``PP_BACKEND=gi``.

The package, one concern per module (this one re-exports them):
``_errors`` (the exceptions), ``_job`` (:class:`Job`), ``_callbacks``
(the thread that runs job callbacks), ``_server`` (:class:`Server`,
:class:`Template`), ``_nodes`` (:class:`NodeInfo`, statistics),
``_ppservers`` (node addresses), ``_source`` (functions to source code)
and ``_backend`` (the way to libpp-glib: ``_ppcore``, or ``_gi``); on top
of them, ``_executor``
(:class:`Executor`, a ``concurrent.futures`` executor), ``_aio``
(``await job``), ``_map`` (:meth:`Server.map`, :meth:`Server.imap`,
:meth:`Server.imap_unordered`) and ``_progress`` (progress bars).
"""

# The standard modules pp has always had as attributes (pp.os, pp.sys ...):
# dir(pp) stays what it was before the split.
import builtins  # noqa: F401
import collections  # noqa: F401
import ipaddress  # noqa: F401
import logging  # noqa: F401
import os  # noqa: F401
import re  # noqa: F401
import sys  # noqa: F401
import threading  # noqa: F401
import traceback  # noqa: F401
import types  # noqa: F401
import weakref  # noqa: F401

from . import _source  # noqa: F401
from ._backend import GLib, Pp, PP_ERROR_DOMAIN  # noqa: F401
from ._errors import (  # noqa: F401
    CancelledError, DestroyedError, DestroyedServerError, JobError,
    JobExitError, PPError, RemoteTraceback, WorkerCrashedError,
    _EXIT_CLASSES, _EXIT_TYPES, _pp_error, _raised)
from ._job import (  # noqa: F401
    Job, _EXCEPTION, _NOT_READY, _VALUE, _WAIT_SLICE_USEC, _final_lock,
    _wait_interruptibly)
from ._callbacks import _Dispatcher, _run_callback  # noqa: F401
from ._nodes import NodeInfo, _node_info, _Statistics  # noqa: F401
from ._ppservers import (  # noqa: F401
    _HOST_LABEL_RE, _PORT_RE, _format_ppserver, _ipv6_host, _is_ipv6,
    _parse_ppserver, _ppserver_port)
from ._server import (  # noqa: F401
    Server, Template, _ncpus_value, _python_path, _shutdown, logger)
from ._executor import Executor  # noqa: F401

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
    "Executor",
]

version = __version__ = getattr(Pp, "VERSION_S", None) or "0.1.0"

copyright = "Copyright 2026 The pp-glib developers"

