# pp-runner.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later

"""The persistent pp-glib worker process.

A PpServer starts one of these per local worker as

    /usr/bin/python3 -u pp-runner.py [--max-body BYTES] [--cache-bytes BYTES]

with a socket (or pipes) on stdin and stdout (stderr is inherited) and
talks to it with the frames described in docs/protocol.md:

    u32 BE header_len | u32 BE body_len | JSON header | body

The runner answers with a "hello" frame, then reads "env", "def", "job" and
"skip" frames and sends exactly one "res" frame per "job", in order.  It uses
only the standard library and runs on Python 3.9 or later.

Behaviour worth knowing on the server side:

- Start-up moves the protocol to private, close-on-exec descriptors and
  points fd 0 at /dev/null and fd 1 at fd 2, so nothing a job writes (print,
  os.write(1, ...), C extensions, child processes) can corrupt the stream.
- Everything a job writes to sys.stdout or sys.stderr while it runs is
  captured and returned at the front of the result body ("olen" bytes).
- Each function key gets a namespace of its own, a fresh module named
  "__main__" that holds its modules, its source and nothing else, as if it
  were a module of its own: two keys that both define "helper" never see
  each other's.  While a key is being defined and while its jobs run
  (arguments decoded, function called, result encoded), that module is
  sys.modules["__main__"], so pickles that refer to "__main__.X" resolve
  against the sources sent with that key.
- Definitions are cached least recently used first out, bounded by an
  estimate of the memory they hold (twice the source, plus 64 bytes per
  line of it): by default 64 MiB, or --cache-bytes BYTES, or the
  environment variable PP_WORKER_CACHE_BYTES.
  The definition just received is never evicted to make room for itself,
  so the job sent right after it always finds it.  A job whose key is not
  defined (evicted, or never sent) is answered with a failed "res" that
  carries "undefined": true (etype "LookupError"): the server then sends the
  "def" again, followed by the job.
- Any failure (bad arguments, a raising function, an unencodable result, an
  unknown key) becomes a failed "res"; only a malformed frame ends the
  process, with a message on stderr and exit status 3.  End of file on the
  input ends it with status 0.  SIGINT is ignored: the terminal's Ctrl-C is
  meant for the client, and the library stops its workers itself.
- --max-body (default 512 MiB) bounds incoming bodies; a result whose body
  would exceed it is reported as a failed job ("OverflowError") instead of
  being sent, since the server would reject the frame and kill the worker.
- Numbers in frame headers are checked: a job or skip "id" must be an
  integer (not a bool or a float) in [0, 2**64 - 1]; anything else is a
  malformed frame.
- Work stealing: {"t":"skip","id":N} withdraws job N if it has been
  received and not started; it is then answered, in its place in the
  order, with {"t":"res","id":N,"ok":false,"skipped":true} and an empty
  body (no "fmt" or "time").  A skip for a job that already started or
  finished, or that never came, is ignored and leaves nothing behind, so a
  job id the server sends again later is not affected.  A skip whose "id"
  is not an integer is a malformed frame.

Reading, parsing and running are separate steps.  Each read appends to a
byte buffer.  Frames are parsed from its front a few at a time (PARSE_AHEAD
bytes) into a queue of (kind, header, body) entries, and the queue runs in
order, so a burst of tiny jobs keeps only a few parsed headers alive.
"skip" frames are applied as soon as they are read, whatever still waits
before them: each read is searched for SKIP_MARK, and when it occurs every
complete frame is parsed into the queue at once, which replaces the queued
job a skip names by a "skipped" entry (a skip spelled so that the search
misses it still works, only later: when it is parsed in order).  Between
two queued frames, once more than POLL_INTERVAL (1 ms) has passed since the
last read, the runner polls its input without blocking and reads what has
arrived (poll() with a zero timeout), so a skip overtakes the jobs queued
before it and takes effect within one job's run time; the other new frames
wait behind the queue.  Tiny jobs pay for this only with a clock
comparison, and the search costs a few tens of nanoseconds per job
frame.  A malformed frame found while parsing is raised once the frames
before it have run, as if it had been found when its turn came.
"""

import atexit
import builtins
import collections
import gc
import importlib
import io
import json
import json.scanner
import linecache
import os
import pickle
import select
import signal
import struct
import sys
import time
import traceback
import types

MAX_HEADER = 1 << 20            # PP_FRAME_MAX_HEADER
DEFAULT_MAX_BODY = 512 << 20    # PP_FRAME_DEFAULT_MAX_BODY
# Reads go into one preallocated buffer: os.read(fd, 1 MiB) would allocate
# (mmap, mremap, munmap) 1 MiB for every read, tripling the syscalls of a
# lone job.
READ_CHUNK = 1 << 20
# Protocol 5 is readable by every supported Python (3.8+); a fixed value
# keeps results loadable by an older client when a newer Python runs here.
PICKLE_PROTOCOL = min(5, pickle.HIGHEST_PROTOCOL)
MAX_TEXT = 32 * 1024            # characters kept of emsg / tb
MAX_ID = (1 << 64) - 1          # job ids are unsigned 64-bit integers
# Function definitions kept, least recently used first out, bounded by an
# estimate of their memory in bytes (_definition_size()): --cache-bytes,
# PP_WORKER_CACHE_BYTES.
DEFAULT_CACHE_BYTES = 64 << 20
LINE_COST = 64                  # a str object and its slot in a list
# Once definitions of this many bytes (as counted in the cache) have been
# dropped, they are collected; after that, and after a definition of at
# least this many bytes, free memory goes back to the system (_trim_heap()).
TRIM_AFTER = 1 << 20
CACHE_BYTES_ENV = "PP_WORKER_CACHE_BYTES"

# Between queued frames, the input is polled without blocking once this long
# has passed since the last read, so that "skip" frames are seen in time;
# not while this much input is already buffered (the socket then applies
# back-pressure, as when the runner is busy without polling).
POLL_INTERVAL = 0.001
POLL_MAX_BUFFERED = 16 << 20
# Frames are parsed from the input buffer a few at a time, up to this many
# bytes ahead of the one that runs: parsing a whole 1 MiB read of tiny jobs
# up front keeps thousands of headers alive and costs ~12% of throughput.
PARSE_AHEAD = 4096
# Every skip frame header contains this ("t":"skip"), so new input is
# searched for it and parsed ahead only when it occurs.  The search runs at
# about 4 GB/s over job frames (20-25 ns per tiny job), four times faster
# than for '"skip"', whose last byte is common in JSON.
SKIP_MARK = b'"skip'

# Result batching.  read_frames() runs every queued frame before it blocks
# in a read again, and jobs queue their "res" frames instead of writing
# them; the queue goes out in one write() once the frame queue is drained
# (and before a "def", which may import for a while).  So one job costs one
# write, and a burst of pipelined jobs costs one write per read, or, while
# polls keep the queue filled, about one per FLUSH_MAX_WAIT.  To keep a
# finished result from waiting behind a slow job, job() writes the queue out
# before running a job when any of these holds:
FLUSH_SLOW_CALL = 0.001         # the function's previous call took longer
                                # than this, or it has not run here yet;
FLUSH_MAX_WAIT = 0.001          # the oldest queued result is older;
FLUSH_MAX_BYTES = 256 * 1024    # the queue is larger;
FLUSH_BIG_ARGS = 64 * 1024      # the job's own body is larger.
# A result therefore waits at most about 1 ms plus the one job that follows
# it, and only when that job was fast the previous time it ran.

PREFIX = struct.Struct(">II")
PID = os.getpid()
PYTHON_VERSION = "%d.%d.%d" % sys.version_info[:3]

# Stands in the frame queue for a job withdrawn by a "skip" frame.
SKIPPED = object()
RES_SKIPPED = b'{"t":"res","id":%d,"ok":false,"skipped":true}'

RES_OK = {
    fmt: (b'{"t":"res","id":%d,"ok":true,"fmt":"' + fmt.encode() +
          b'","time":%.9f}',
          b'{"t":"res","id":%d,"ok":true,"fmt":"' + fmt.encode() +
          b'","time":%.9f,"olen":%d}')
    for fmt in ("pickle", "json")
}

_json_loads = json.loads
_scan_json = json.scanner.make_scanner(json.JSONDecoder())
_json_encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False,
                                separators=(",", ":")).encode
_pickle_loads = pickle.loads
_pickle_dumps = pickle.dumps
_perf_counter = time.perf_counter
_pack = PREFIX.pack
_sys_modules = sys.modules


class ProtocolError(Exception):
    """The server sent something that is not a valid frame."""


def _protocol_error(message):
    raise ProtocolError(message)


def _shutdown(status):
    """Exits without waiting for threads a job may have left running."""
    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr, sys.__stderr__):
            try:
                stream.flush()
            except Exception:
                pass
    finally:
        os._exit(status)


def _setup_fds():
    """Moves the protocol to private fds; returns (read_fd, write_fd)."""
    rfd = os.dup(0)             # os.dup() results are close-on-exec
    wfd = os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    sys.stdout = sys.stderr     # outside jobs, print() goes to stderr
    return rfd, wfd


def _parse_header(data):
    """Decodes a frame header: a JSON object in UTF-8."""
    try:
        text = data.decode("utf-8")
        try:
            # The C scanner alone is twice as fast as json.loads().
            header, end = _scan_json(text, 0)
        except StopIteration:
            end = -1
        if end != len(text):
            header = _json_loads(text)   # whitespace, or a precise error
    except Exception as exc:
        _protocol_error("header is not UTF-8 JSON (%s)" % exc)
    if type(header) is not dict:
        _protocol_error("header is not a JSON object")
    return header


def _frame(header, body=b""):
    """Serialises one frame; header is a dict or encoded JSON bytes."""
    if not isinstance(header, bytes):
        header = json.dumps(header, ensure_ascii=False).encode("utf-8",
                                                               "replace")
    return _pack(len(header), len(body)) + header + body


def _clip(text, limit=MAX_TEXT, keep_tail=False):
    """Bounds a string so that result headers stay far below 1 MiB."""
    if len(text) <= limit:
        return text
    omitted = "\n[... %d characters omitted ...]\n" % (len(text) - limit)
    if keep_tail:
        return text[:limit // 4] + omitted + text[-(limit - limit // 4):]
    return text[:limit] + omitted


def _strip_runner_frames(tb):
    """Drops the leading traceback entries that belong to this file."""
    here = _strip_runner_frames.__code__.co_filename
    while tb is not None and tb.tb_frame.f_code.co_filename == here:
        tb = tb.tb_next
    return tb


def _pickle_exception(exc):
    """Pickles exc, or returns b"" when it would not load again."""
    try:
        data = _pickle_dumps(exc, PICKLE_PROTOCOL)
        _pickle_loads(data)
        return data
    except BaseException:       # even sys.exit() from a __reduce__
        return b""


class _Failure:
    """A remembered error: what a failed "res" frame reports."""

    __slots__ = ("etype", "emsg", "tb", "pickled", "compile", "undefined")

    def __init__(self, exc, tb=None, prefix="", compile_=False,
                 undefined=False):
        self.etype = _clip(type(exc).__qualname__, 1024)
        # BaseException: a __str__ calling sys.exit() must not end the worker.
        try:
            self.emsg = _clip(str(exc))
        except BaseException:
            self.emsg = "<exception str() failed>"
        try:
            text = "".join(traceback.format_exception(type(exc), exc, tb))
        except BaseException:
            text = "%s: %s\n" % (self.etype, self.emsg)
        self.tb = _clip(prefix + text, keep_tail=True)
        self.pickled = _pickle_exception(exc)
        self.compile = compile_
        self.undefined = undefined

    def header(self, jid, fmt, elapsed, olen):
        header = {"t": "res", "id": jid, "ok": False, "fmt": fmt,
                  "time": elapsed, "etype": self.etype, "emsg": self.emsg,
                  "tb": self.tb}
        if self.compile:
            header["compile"] = True
        if self.undefined:
            header["undefined"] = True
        if olen:
            header["olen"] = olen
        return json.dumps(header, ensure_ascii=False).encode("utf-8",
                                                             "replace")

    def frame(self, jid, fmt, elapsed, output):
        payload = self.pickled if fmt == "pickle" else b""
        header = self.header(jid, fmt, elapsed, len(output))
        return _pack(len(header), len(output) + len(payload)) + header + \
            output + payload


class _Function:
    """A defined key: the callable, or the failure that replaced it, and
    the module that is its namespace."""

    __slots__ = ("fn", "name", "failure", "last_call", "module", "size",
                 "filename")

    def __init__(self, fn, name, module, size, filename, failure=None):
        self.fn = fn
        self.name = name
        self.failure = failure
        # Duration of the previous call; None until it has run once.
        self.last_call = None if failure is None else 0.0
        self.module = module        # installed as __main__ while it runs
        self.size = size            # what it counts for in the cache
        self.filename = filename    # its linecache entry


def _check_id(header, kind):
    """Returns the job id of a "job" or "skip" header, or raises a
    ProtocolError when it is not an integer that fits in 64 bits."""
    jid = header.get("id")
    if type(jid) is not int:
        _protocol_error("%s: \"id\" is not an integer (%s)"
                        % (kind, _clip(repr(jid), 64)))
    if jid < 0 or jid > MAX_ID:
        _protocol_error("%s: \"id\" %s is outside [0, 2**64 - 1]"
                        % (kind, _clip(repr(jid), 64)))
    return jid


def _definition_size(key, name, modules, body):
    """What a definition counts for in the cache: an estimate of the memory
    it holds.  Its source twice (the code compiled from it, and the lines
    kept in linecache for tracebacks) plus LINE_COST bytes per line (each
    line is a str object of its own), its name, key and modules."""
    return 2 * len(body) + LINE_COST * (body.count(b"\n") + 1) + len(key) + \
        len(name) + sum(len(entry) for entry in modules)


def _trim_heap():
    """Gives the C heap's free memory back to the system (glibc only).

    Compiling a large source takes several times its size for a moment,
    and evicted definitions free theirs: without this, glibc keeps it all
    (a worker stayed at 228 MiB after 5 MiB sources instead of 72 MiB)."""
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes
            _malloc_trim = ctypes.CDLL(None).malloc_trim
            _malloc_trim.argtypes = (ctypes.c_size_t,)
        except (ImportError, OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def _new_main():
    """A fresh, empty module named "__main__": one key's namespace."""
    module = types.ModuleType("__main__")
    module.__dict__["__builtins__"] = builtins
    return module


def _check_args(args, kind):
    if type(args) is tuple:
        return args
    if type(args) is list:
        return tuple(args)
    raise TypeError("job arguments must be %s, not %s"
                    % (kind, type(args).__name__))


def _decode_args(fmt, body):
    """Decodes a job body; an empty body means no arguments."""
    if not body:
        return ()
    if fmt == "pickle":
        return _check_args(_pickle_loads(body), "a pickled tuple")
    return _check_args(_json_loads(body), "a JSON array")


class _Runner:
    """The worker state and the frame loop."""

    def __init__(self, rfd, wfd, max_body, cache_bytes=DEFAULT_CACHE_BYTES):
        self.rfd = rfd
        self.wfd = wfd
        self.max_body = max_body
        # key -> _Function, least recently used first.
        self.functions = collections.OrderedDict()
        self.cache_bytes = cache_bytes
        self.cached_bytes = 0       # sum of the sizes of self.functions
        self.freed_bytes = 0        # sizes dropped since the last collection
        self.last_func = None       # the function of the latest job
        # Nothing refers to the runner's own globals as __main__.
        sys.modules["__main__"] = _new_main()
        self.capture = io.StringIO()
        self.pending = []           # result frames not yet written
        self.pending_bytes = 0
        self.pending_since = 0.0    # end time of the oldest pending job
        self.last_end = 0.0         # end time of the latest job or def
        self.forked = False
        # Input side: bytes read but not yet parsed (complete frames, then
        # a partial one), and before them the parsed frames not yet run, as
        # (kind, header, body).
        self.buf = bytearray()
        self.scratch = bytearray(READ_CHUNK)
        self.frames = collections.deque()
        self.scanned = 0            # buf[:scanned] holds no unseen skip
        self.eof = False            # a poll read end of file
        self.error = None           # a ProtocolError found while parsing
        # poll() with a zero timeout is the cheapest non-blocking check:
        # about 0.6-0.9 us against 1.1-1.4 us for select() and 2-2.5 us for
        # toggling O_NONBLOCK around the read (measured on Linux).
        if hasattr(select, "poll"):
            self.poller = select.poll()
            self.poller.register(rfd, select.POLLIN)
        else:
            self.poller = None
        os.register_at_fork(after_in_child=self._after_fork_in_child)

    def _after_fork_in_child(self):
        self.forked = True

    # -- output ----------------------------------------------------------

    def write_all(self, data):
        try:
            written = os.write(self.wfd, data)
            if written < len(data):
                view = memoryview(data)
                while written < len(data):
                    written += os.write(self.wfd, view[written:])
        except (BrokenPipeError, ConnectionResetError):
            # The server closed our output: it is gone, like end of file.
            _shutdown(0)

    def flush(self):
        pending = self.pending
        if pending:
            data = pending[0] if len(pending) == 1 else b"".join(pending)
            pending.clear()
            self.pending_bytes = 0
            self.write_all(data)

    def queue(self, data):
        if not self.pending:
            self.pending_since = self.last_end
        self.pending.append(data)
        self.pending_bytes += len(data)

    # -- frames ----------------------------------------------------------

    def serve(self):
        """Reads frames until end of file or a malformed frame; exits."""
        self.write_all(_frame({"t": "hello", "pid": PID,
                               "python": PYTHON_VERSION}))
        try:
            self.read_frames()
        except ProtocolError as exc:
            # Results of the jobs that did run still go out.
            self.flush()
            sys.__stderr__.write("pp-runner[%d]: protocol error: %s; "
                                 "exiting\n" % (PID, exc))
            _shutdown(3)

    def read_frames(self):
        """Serves frames until end of file; never returns normally."""
        rfd = self.rfd
        scratch = self.scratch
        scratch_view = memoryview(scratch)
        readv = os.readv
        buf = self.buf
        frames = self.frames
        popleft = frames.popleft
        received = self.received
        parse = self.parse
        job = self.job
        dispatch = self.dispatch
        while True:
            try:
                count = readv(rfd, (scratch,))
            except ConnectionResetError:
                count = 0               # the server went away: as end of file
            if not count:
                self.end_of_input()
            # Poll the input once a job ends after this.
            poll_after = _perf_counter() + POLL_INTERVAL
            buf += scratch_view[:count]
            received()
            while True:
                if not frames:
                    parse(PARSE_AHEAD)
                    if not frames:
                        break
                if self.last_end > poll_after:
                    # Between jobs: look for "skip" frames.
                    poll_after = self.poll_input() + POLL_INTERVAL
                kind, header, body = popleft()
                if kind == "job":
                    job(header, body)
                else:
                    dispatch(kind, header, body)
            if self.error is not None:
                raise self.error
            if self.eof:
                self.end_of_input()
            self.flush()

    def end_of_input(self):
        """Handles end of file on the input, once every frame has run."""
        self.flush()
        if self.buf:
            _protocol_error("end of file inside a frame (%d bytes of a "
                            "partial frame pending)" % len(self.buf))
        _shutdown(0)

    def poll_input(self):
        """Reads what has arrived without blocking and returns the time of
        the attempt."""
        if not self.eof and self.error is None and \
                len(self.buf) < POLL_MAX_BUFFERED:
            if self.poller is not None:
                ready = self.poller.poll(0)
            else:
                ready = select.select([self.rfd], [], [], 0)[0]
            if ready:
                try:
                    count = os.readv(self.rfd, (self.scratch,))
                except ConnectionResetError:
                    count = 0
                if count:
                    self.buf += memoryview(self.scratch)[:count]
                    self.received()
                else:
                    self.eof = True     # handled once the queue has run
        return _perf_counter()

    def received(self):
        """Applies the "skip" frames among the bytes just read.

        Looks for SKIP_MARK in the bytes not searched yet; only when it
        occurs (a skip frame, or by chance a job's arguments) are all the
        complete frames parsed, which applies the skips."""
        buf = self.buf
        start = self.scanned
        if buf.find(SKIP_MARK, start if start > 0 else 0) < 0:
            # Another read may complete a mark that this one ends inside.
            start = len(buf) - (len(SKIP_MARK) - 1)
            if start > self.scanned:
                self.scanned = start
        else:
            self.scanned = 0
            self.parse(len(buf))

    def parse(self, limit):
        """Moves complete frames from the front of the input buffer to the
        frame queue until one starts at or after offset limit; applies
        "skip" frames on the way.  A malformed frame ends parsing for
        good: it is kept in self.error, to be raised once the frames before
        it have run."""
        buf = self.buf
        append = self.frames.append
        max_body = self.max_body
        unpack_from = PREFIX.unpack_from
        size = len(buf)
        stop = min(limit, size - 7)
        pos = 0
        try:
            while pos < stop:
                hlen, blen = unpack_from(buf, pos)
                if hlen < 2 or hlen > MAX_HEADER:
                    _protocol_error("header length %d is outside [2, %d]"
                                    % (hlen, MAX_HEADER))
                if blen > max_body:
                    _protocol_error("body length %d exceeds the limit of %d "
                                    "bytes" % (blen, max_body))
                start = pos + 8 + hlen
                end = start + blen
                if end > size:
                    # A partial frame.  Once its header is in and is not a
                    # skip, its body need not be searched for SKIP_MARK.
                    if end > self.scanned and start <= size and \
                            buf.find(SKIP_MARK, pos + 8, start) < 0:
                        self.scanned = end
                    break
                header = _parse_header(buf[pos + 8:start])
                body = buf[start:end] if blen else b""
                pos = end
                kind = header.get("t")
                if kind == "skip":
                    self.skip(header)
                else:
                    append((kind, header, body))
        except ProtocolError as exc:
            self.error = exc
            buf.clear()                 # nothing after it is read
            return
        if pos:
            del buf[:pos]               # O(1) at the front of a bytearray
            self.scanned -= pos

    def skip(self, header):
        """Applies a "skip" frame to the queued, not yet started jobs."""
        jid = _check_id(header, "skip")
        frames = self.frames
        for index, (kind, queued, _) in enumerate(frames):
            if kind == "job" and queued.get("id") == jid and \
                    type(queued.get("id")) is int:
                frames[index] = (SKIPPED, queued, b"")
                return
        # Already started, finished, or never received: nothing to do.

    def dispatch(self, kind, header, body):
        if kind is SKIPPED:
            head = RES_SKIPPED % header["id"]
            self.queue(_pack(len(head), 0) + head)
        elif kind == "def":
            self.flush()            # a definition may import for a while
            self.define(header, body)
            self.last_end = _perf_counter()
        elif kind == "env":
            self.env(header)
        elif type(kind) is str:
            sys.__stderr__.write("pp-runner[%d]: ignoring unknown frame "
                                 "type %r\n" % (PID, kind))
        else:
            _protocol_error("header has no string member \"t\"")

    def env(self, header):
        cwd = header.get("cwd")
        path = header.get("path", [])
        if cwd is not None and type(cwd) is not str:
            _protocol_error("env: \"cwd\" is not a string")
        if type(path) is not list or \
                not all(type(entry) is str for entry in path):
            _protocol_error("env: \"path\" is not an array of strings")
        if cwd and os.path.isdir(cwd):
            os.chdir(cwd)
        missing = []
        for entry in path:
            if entry not in sys.path and entry not in missing:
                missing.append(entry)
        sys.path[0:0] = missing
        importlib.invalidate_caches()

    def define(self, header, body):
        key = header.get("key")
        name = header.get("name")
        modules = header.get("modules", [])
        if type(key) is not str:
            _protocol_error("def: \"key\" is not a string")
        if type(name) is not str:
            _protocol_error("def: \"name\" is not a string")
        if type(modules) is not list or \
                not all(type(entry) is str for entry in modules):
            _protocol_error("def: \"modules\" is not an array of strings")
        module = _new_main()
        filename = "<pp function %s %s>" % (name, key[:12])
        size = _definition_size(key, name, modules, body)
        # The source runs as __main__, so that what it pickles at import
        # time (or its classes' __module__) refers to its own namespace.
        sys.modules["__main__"] = module
        try:
            fn = self._define(module.__dict__, name, modules, body, filename)
            func = _Function(fn, name, module, size, filename)
        except BaseException as exc:
            tb = _strip_runner_frames(exc.__traceback__)
            failure = _Failure(exc, tb, compile_=True)
            func = _Function(None, name, None, size, filename, failure)
            exc = tb = None
        self.forget(key)            # a key defined again replaces itself
        self.functions[key] = func
        self.last_func = func       # the newest is the most recently used
        self.cached_bytes += size
        if self.evict() or len(body) >= TRIM_AFTER:
            _trim_heap()

    def forget(self, key):
        """Drops the definition of key, if any."""
        func = self.functions.pop(key, None)
        if func is not None:
            self.cached_bytes -= func.size
            self.freed_bytes += func.size
            linecache.cache.pop(func.filename, None)
            if func is self.last_func:
                self.last_func = None

    def evict(self):
        """Drops the least recently used definitions while the cache holds
        more than cache_bytes, but never the newest one.  Returns whether
        it collected garbage."""
        functions = self.functions
        while self.cached_bytes > self.cache_bytes and len(functions) > 1:
            self.forget(next(iter(functions)))
        if self.freed_bytes < TRIM_AFTER:
            return False
        # A namespace is a reference cycle (its functions' __globals__ is
        # itself): collect the dropped ones now rather than at the next
        # full collection, so that their memory is reused at once; but
        # only once they add up to TRIM_AFTER, since a full collection
        # takes long in a large heap.
        self.freed_bytes = 0
        gc.collect()
        return True

    @staticmethod
    def _define(ns, name, modules, body, filename):
        for entry in modules:
            statement = entry.strip()
            if statement.split(None, 1)[0:1] not in (["import"], ["from"]):
                statement = "import " + statement
            exec(compile(statement, "<pp modules of %s>" % name, "exec",
                         dont_inherit=True), ns)
        source = bytes(body).decode("utf-8")
        code = compile(source, filename, "exec", dont_inherit=True)
        # Lets tracebacks quote the source lines.
        linecache.cache[filename] = (len(source), None,
                                     source.splitlines(True), filename)
        exec(code, ns)
        try:
            fn = ns[name]
        except KeyError:
            raise NameError("the source does not define %r" % name) from None
        if not callable(fn):
            raise TypeError("%r is a %s, not a function"
                            % (name, type(fn).__name__))
        return fn

    def job(self, header, body):
        """Runs one job and queues its "res" frame."""
        jid = header.get("id")
        key = header.get("key")
        fmt = header.get("fmt")
        if type(jid) is not int or jid < 0 or jid > MAX_ID:
            _check_id(header, "job")
        if type(key) is not str:
            _protocol_error("job: \"key\" is not a string")
        func = self.functions.get(key)
        if func is not self.last_func and func is not None:
            self.functions.move_to_end(key)     # most recently used
            self.last_func = func
        if func is None or func.failure is not None or \
                (fmt != "pickle" and fmt != "json"):
            self.queue(self.refuse(jid, key, fmt, func))
            return
        if self.pending:
            last = func.last_call
            if last is None or last > FLUSH_SLOW_CALL or \
                    self.pending_bytes > FLUSH_MAX_BYTES or \
                    len(body) > FLUSH_BIG_ARGS or \
                    self.last_end - self.pending_since > FLUSH_MAX_WAIT:
                self.flush()
        # Inlined call: this is the hot path of the whole runner.
        capture = self.capture
        stdout = sys.stdout
        stderr = sys.stderr
        elapsed = 0.0
        sys.stdout = sys.stderr = capture
        _sys_modules["__main__"] = func.module
        try:
            if fmt == "pickle" and body:
                args = _pickle_loads(body)
                if type(args) is not tuple:
                    args = _check_args(args, "a pickled tuple")
            else:
                args = _decode_args(fmt, body)
            start = _perf_counter()
            try:
                value = func.fn(*args)
            finally:
                end = _perf_counter()
                elapsed = end - start
                self.last_end = end
                func.last_call = elapsed
            payload = None
        except BaseException as exc:
            payload = _Failure(exc, _strip_runner_frames(exc.__traceback__))
            exc = None
        finally:
            sys.stdout = stdout
            sys.stderr = stderr
        if self.forked:
            # A child the job forked came back here instead of exiting:
            # it must not answer for its parent.
            os._exit(0)
        output = self.take_output() \
            if capture.closed or capture.tell() else b""
        if payload is None:
            payload = self.encode(func, fmt, value, len(output))
            value = None
        if type(payload) is bytes:
            if output:
                head = RES_OK[fmt][1] % (jid, elapsed, len(output))
                payload = output + payload
            else:
                head = RES_OK[fmt][0] % (jid, elapsed)
            frame = _pack(len(head), len(payload)) + head + payload
        else:
            frame = payload.frame(jid, fmt, elapsed, output)
        self.queue(frame)

    def refuse(self, jid, key, fmt, func):
        """Returns the failed "res" frame of a job that cannot run."""
        if fmt != "pickle" and fmt != "json":
            exc = ValueError("unknown job format %r (expected \"pickle\" or "
                             "\"json\")" % (fmt,))
            return _Failure(exc).frame(jid, str(fmt)[:64], 0.0, b"")
        if func is None:
            # Evicted (or never defined): "undefined" asks the server to
            # send the definition again, then the job.
            exc = LookupError("no function with key %r is defined on this "
                              "worker (pid %d): a \"def\" frame must come "
                              "before the first job that uses it, and again "
                              "after an \"undefined\" answer" % (key, PID))
            return _Failure(exc, undefined=True).frame(jid, fmt, 0.0, b"")
        return func.failure.frame(jid, fmt, 0.0, b"")

    def encode(self, func, fmt, value, olen):
        """Encodes a return value, or returns the _Failure explaining why
        it cannot be sent."""
        try:
            if fmt == "pickle":
                payload = _pickle_dumps(value, PICKLE_PROTOCOL)
            else:
                payload = _json_encode(value).encode("utf-8")
            if olen + len(payload) > self.max_body:
                raise OverflowError(
                    "the result is %d bytes, more than the %d byte limit"
                    % (olen + len(payload), self.max_body))
            return payload
        except BaseException as exc:
            prefix = "the value returned by %s() cannot be encoded as %s:\n" \
                % (func.name, fmt)
            return _Failure(exc, None, prefix)

    def take_output(self):
        """Returns and clears what the last job wrote, as UTF-8."""
        capture = self.capture
        try:
            text = capture.getvalue()
            capture.seek(0)
            capture.truncate()
        except ValueError:          # the job closed sys.stdout
            self.capture = io.StringIO()
            return b""
        return text.encode("utf-8", "backslashreplace")


def _parse_size(text, what, minimum, maximum):
    """A byte count from the command line or the environment: decimal
    digits only (no sign, no "_", no spaces), in [minimum, maximum]."""
    if not (text.isascii() and text.isdigit()) or len(text) > 20 or \
            not minimum <= int(text) <= maximum:
        sys.stderr.write("pp-runner: bad %s %r (expected a number of bytes "
                         "from %d to %d)\n" % (what, text, minimum, maximum))
        sys.exit(2)
    return int(text)


def _parse_args(argv, environ):
    """Returns (max_body, cache_bytes) from the arguments and environment."""
    max_body = DEFAULT_MAX_BODY
    cache_bytes = environ.get(CACHE_BYTES_ENV)
    if cache_bytes:
        cache_bytes = _parse_size(cache_bytes, CACHE_BYTES_ENV, 0, MAX_ID)
    else:
        cache_bytes = DEFAULT_CACHE_BYTES
    args = list(argv)
    while args:
        arg = args.pop(0)
        name, eq, value = arg.partition("=")
        if name not in ("--max-body", "--cache-bytes"):
            sys.stderr.write("pp-runner: unknown argument %r\n" % arg)
            sys.exit(2)
        if not eq:
            if not args:
                sys.stderr.write("pp-runner: %s needs a value\n" % name)
                sys.exit(2)
            value = args.pop(0)
        if name == "--max-body":
            # The frame prefix holds body lengths in 32 bits.
            max_body = _parse_size(value, name, 1, 0xFFFFFFFF)
        else:
            cache_bytes = _parse_size(value, name, 0, MAX_ID)
    return max_body, cache_bytes


def main():
    max_body, cache_bytes = _parse_args(sys.argv[1:], os.environ)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The runner's own directory is never useful on sys.path, and could
    # shadow the caller's modules.
    here = os.path.dirname(os.path.abspath(__file__))
    if sys.path and sys.path[0] and os.path.abspath(sys.path[0]) == here:
        del sys.path[0]
    rfd, wfd = _setup_fds()
    _Runner(rfd, wfd, max_body, cache_bytes).serve()


if __name__ == "__main__":
    main()
