# pp/_progress.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Progress bars: ``Server.wait(progress=True)``, ``map(..., progress=True)``.

``progress`` is True (standard error), False, or a stream to write to.
Nothing is shown unless that stream is a terminal.  The bar is tqdm's when
tqdm can be imported (Debian: python3-tqdm) and the environment variable
``PP_PROGRESS`` is not ``plain``; otherwise one plain line redrawn in place
at most ten times a second.
"""

import os
import sys
import time

# Redraws of the plain bar, at most one per this many seconds.
PLAIN_INTERVAL = 0.1
# server.wait(progress=True) looks at the number of active jobs this often
# (seconds).
WAIT_SLICE = 0.05


class _NoBar:
    """What a progress bar is when nothing is shown."""

    total = None

    def update(self, n=1):
        pass

    def set_total(self, total):
        pass

    def close(self):
        pass


_NO_BAR = _NoBar()


class _PlainBar:
    """``desc: 1234/10000 (12%) 5678/s`` on one line, redrawn with \\r."""

    def __init__(self, stream, total, desc):
        self.stream = stream
        self.total = total
        self.desc = desc
        self.n = 0
        self.start = time.monotonic()
        self.last = 0.0
        self.closed = False
        self.draw()

    def draw(self):
        now = time.monotonic()
        self.last = now
        elapsed = now - self.start
        rate = self.n / elapsed if elapsed > 0 else 0.0
        if self.total:
            text = "%s: %d/%d (%d%%) %.0f/s" % (
                self.desc, self.n, self.total, 100 * self.n // self.total, rate)
        else:
            text = "%s: %d %.0f/s" % (self.desc, self.n, rate)
        try:
            self.stream.write("\r" + text + "\x1b[K")
            self.stream.flush()
        except (OSError, ValueError):
            self.closed = True

    def update(self, n=1):
        self.n += n
        if not self.closed and time.monotonic() - self.last >= PLAIN_INTERVAL:
            self.draw()

    def set_total(self, total):
        self.total = total

    def close(self):
        if self.closed:
            return
        self.draw()
        self.closed = True
        try:
            self.stream.write("\n")
            self.stream.flush()
        except (OSError, ValueError):
            pass


class _TqdmBar:
    def __init__(self, tqdm, stream, total, desc):
        self.bar = tqdm(total=total, desc=desc, file=stream, unit="it",
                        dynamic_ncols=True, leave=True)

    @property
    def total(self):
        return self.bar.total

    def update(self, n=1):
        self.bar.update(n)

    def set_total(self, total):
        self.bar.total = total
        self.bar.refresh()

    def close(self):
        self.bar.close()


def _stream(progress):
    if progress is True:
        return sys.stderr
    if progress is False or progress is None:
        return None
    if callable(getattr(progress, "write", None)):
        return progress
    raise TypeError("progress must be True, False or a stream, not %r"
                    % (progress,))


def _isatty(stream):
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _tqdm():
    if os.environ.get("PP_PROGRESS") == "plain":
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def bar(progress, total, desc):
    """A progress bar (``update(n)``, ``set_total(n)``, ``close()``) for
    *progress* (True, False or a stream): a no-op unless a terminal."""
    stream = _stream(progress)
    if stream is None or not _isatty(stream):
        return _NO_BAR
    tqdm = _tqdm()
    if tqdm is not None:
        return _TqdmBar(tqdm, stream, total, desc)
    return _PlainBar(stream, total, desc)


def wait(server, group, progress):
    """Waits for the jobs of *group* (all when None) of the
    :class:`pp.Server` *server*, showing how many have finished; the
    caller's ordinary wait follows."""
    total = server.get_active_jobs(group)
    progress_bar = bar(progress, total, "pp jobs")
    if progress_bar is _NO_BAR:
        return
    try:
        finished = 0
        while True:
            active = server.get_active_jobs(group)
            if finished + active > total:      # jobs submitted meanwhile
                total = finished + active
                progress_bar.set_total(total)
            now = total - active
            if now > finished:
                progress_bar.update(now - finished)
                finished = now
            if not active:
                return
            time.sleep(WAIT_SLICE)
    finally:
        progress_bar.close()
