# pp/_map.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``Server.map``, ``Server.imap`` and ``Server.imap_unordered``.

Items go in chunks, one job per chunk.  The iterable is read lazily: at
most a few chunks per worker are in flight, so a generator of any length
runs in constant memory.  Without ``chunksize`` the size follows the
measured run time: chunks start with one item and grow (at most 4x per
result) until one takes about ``TARGET_SECONDS`` in a worker, within
``MAX_CHUNK`` items, and, when the iterable has a length, small enough to
give every worker several chunks.

The job functions below are sent to the workers as source, like any job
function: they must stay self-contained (no globals of this module).
"""

import collections
import inspect
import itertools
import os
import queue
import sys
import sysconfig
import types

from . import _progress

# A chunk should run this long in its worker: long enough that the fixed
# cost of a job (~10-20 us round trip) is noise, short enough to balance.
TARGET_SECONDS = 0.02
# At most this many items per chunk: bounds the memory of the chunks in
# flight (arguments and results, client and workers).
MAX_CHUNK = 8192
# Chunks in flight: this many per worker (at least MIN_IN_FLIGHT).
IN_FLIGHT_PER_WORKER = 2
MIN_IN_FLIGHT = 4


# -- the job functions (shipped as source) -----------------------------------

# fn is the function, or the name of one sent along as a depfunc (a
# function of an importable module would otherwise travel by reference,
# which a ppd node cannot always import).

def _pp_call_kw(fn, args, kwargs):
    if type(fn) is str:
        fn = globals()[fn]
    return fn(*args, **kwargs)


def _pp_map_chunk(fn, items, star=False):
    """fn(item), or fn(*item) with *star*, for each item of the chunk."""
    from time import perf_counter
    if type(fn) is str:
        fn = globals()[fn]
    out = []
    append = out.append
    start = perf_counter()
    try:
        # One loop each, so that the call per item does not test *star*.
        if star:
            for item in items:
                append(fn(*item))
        else:
            for item in items:
                append(fn(item))
    except BaseException as exc:
        # Where it happened, and the results before it, travel with it.
        try:
            exc._pp_map = (len(out), out)
        except Exception:
            pass
        raise
    return out, perf_counter() - start


# -- the client side ---------------------------------------------------------

def _library_dirs():
    paths = sysconfig.get_paths()
    dirs = {os.path.realpath(paths[k]) + os.sep
            for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")):
            dirs.add(os.path.realpath(entry) + os.sep)
    return tuple(dirs)


_LIBRARY_DIRS = _library_dirs()


def _user_code(fn):
    """Whether fn is the user's (``__main__``, a module outside the
    interpreter's library directories): it then goes as source, as a job
    function does; a library's function goes by reference."""
    module = sys.modules.get(getattr(fn, "__module__", None) or "")
    if module is None or fn.__module__ == "__main__":
        return True
    path = getattr(module, "__file__", None)
    return not path or not os.path.realpath(path).startswith(_LIBRARY_DIRS)


def by_name(fn, depfuncs):
    """What the job functions above get for *fn*, and the depfuncs: the
    user's Python function goes as source (a depfunc), under its name."""
    inner = inspect.unwrap(fn) if hasattr(fn, "__wrapped__") else fn
    if type(inner) is types.FunctionType and "<" in inner.__qualname__:
        raise TypeError(
            "%s is a lambda or a nested function: pp sends functions to its "
            "workers as source code, and such a function has none of its "
            "own; define it at the top level of a module" % inner.__qualname__)
    if type(inner) is types.FunctionType and inner.__name__.isidentifier() \
            and "<" not in inner.__qualname__ and _user_code(inner) \
            and getattr(fn, "__name__", None) == inner.__name__:
        return inner.__name__, (fn,) + tuple(depfuncs)
    return fn, tuple(depfuncs)


def _partial(exc):
    """The results a failed chunk computed before *exc*; removes them
    from the exception."""
    for candidate in (exc, getattr(exc, "__context__", None)):
        info = getattr(candidate, "__dict__", {}).pop("_pp_map", None)
        if info is not None:
            return info[1]
    return ()


class _Chunker:
    """Chooses the size of the next chunk."""

    def __init__(self, chunksize, total, workers):
        self.fixed = chunksize is not None
        self.size = chunksize or 1
        self.cap = MAX_CHUNK
        if total is not None:
            # Several chunks per worker, for balance.
            self.cap = max(1, min(MAX_CHUNK, -(-total // (4 * workers))))

    def measured(self, count, elapsed):
        if self.fixed:
            return
        want = TARGET_SECONDS * count / elapsed if elapsed > 0 else self.cap
        # Shrink at once when items are slow; grow at most 4x of what was
        # measured (a chunk sent before the last growth does not shrink it).
        self.size = max(1, int(min(want, self.cap, max(self.size, 4 * count))))


def _workers(server):
    try:
        return max(1, sum(server.get_active_nodes().values()))
    except Exception:
        return 1


class _Map:
    """State shared by the ordered and unordered generators."""

    def __init__(self, server, func, iterable, chunksize, depfuncs, modules,
                 progress, star):
        if not callable(func):
            raise TypeError("map() needs a callable, not %r" % (func,))
        if chunksize is not None and (not isinstance(chunksize, int)
                                      or isinstance(chunksize, bool)
                                      or chunksize < 1):
            raise ValueError("chunksize must be None or an integer >= 1, "
                             "not %r" % (chunksize,))
        try:
            total = len(iterable)
        except (TypeError, AttributeError):
            total = None
        self.it = iter(iterable)
        self.server = server
        self.func, self.depfuncs = by_name(func, depfuncs)
        self.modules = tuple(modules)
        self.star = bool(star)
        workers = _workers(server)
        self.limit = max(MIN_IN_FLIGHT, IN_FLIGHT_PER_WORKER * workers)
        self.chunker = _Chunker(chunksize, total, workers)
        self.exhausted = False
        self.progress = progress
        self.total = total

    def next_chunk(self):
        """Submits the next chunk; returns (job, count) or None at the end."""
        if self.exhausted:
            return None
        items = list(itertools.islice(self.it, self.chunker.size))
        if not items:
            self.exhausted = True
            return None
        job = self.server.submit(_pp_map_chunk, (self.func, items, self.star),
                                 self.depfuncs, self.modules)
        return job, len(items)

    def result(self, job, count):
        """The results of a chunk, or (partial results, exception)."""
        try:
            out, elapsed = job()
        except BaseException as exc:
            return _partial(exc), exc
        self.chunker.measured(count, elapsed)
        return out, None


def _fill(m, inflight):
    """Submits chunks until m.limit are in flight or the input ends."""
    while len(inflight) < m.limit:
        entry = m.next_chunk()
        if entry is None:
            break
        inflight.append(entry)


def _ordered(m):
    inflight = collections.deque()
    bar = _progress.bar(m.progress, m.total, "pp map")
    try:
        while True:
            _fill(m, inflight)
            if not inflight:
                return
            job, count = inflight.popleft()
            out, exc = m.result(job, count)
            job = None
            if exc is None:
                # Keep the workers busy while the caller takes these.
                _fill(m, inflight)
            bar.update(len(out))
            yield from out
            if exc is not None:
                raise exc
    finally:
        for job, _ in inflight:
            job.cancel()
        bar.close()


def _unordered(m):
    done = queue.SimpleQueue()
    inflight = {}
    bar = _progress.bar(m.progress, m.total, "pp map")
    try:
        while True:
            while len(inflight) < m.limit:
                entry = m.next_chunk()
                if entry is None:
                    break
                job, count = entry
                inflight[job] = count
                job._add_done_callback(done.put)
            if not inflight:
                return
            job = done.get()
            count = inflight.pop(job)
            out, exc = m.result(job, count)
            job = None
            bar.update(len(out))
            yield from out
            if exc is not None:
                raise exc
    finally:
        for job in inflight:
            job.cancel()
        bar.close()


def imap(server, func, iterable, chunksize=None, depfuncs=(), modules=(),
         ordered=True, progress=False, star=False):
    """The iterator of :meth:`pp.Server.imap` (``ordered=False``:
    :meth:`pp.Server.imap_unordered`)."""
    m = _Map(server, func, iterable, chunksize, depfuncs, modules, progress,
             star)
    return _ordered(m) if ordered else _unordered(m)
