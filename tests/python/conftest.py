# tests/python/conftest.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared set-up for the tests of the Python pp package.

Run with the build tree's environment, e.g.::

    GI_TYPELIB_PATH=_build/libpp-glib LD_LIBRARY_PATH=_build/libpp-glib \
    PP_RUNNER=libpp-glib/pp-runner.py PYTHONPATH=python \
    /usr/bin/python3 -m pytest tests/python

Without that environment, a build in <source>/_build is used when there
is one.  Tests that need libpp-glib are skipped (with the reason) when the
Pp-1.0 typelib cannot be loaded.
"""

import ctypes
import importlib.util
import os
import sys
import time

import pytest

SRCDIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYDIR = os.path.join(SRCDIR, "python")


def _use_source_tree():
    if importlib.util.find_spec("pp") is None:
        sys.path.insert(0, PYDIR)
    builddir = os.environ.get("PP_BUILDDIR") or os.path.join(SRCDIR, "_build")
    libdir = os.path.join(builddir, "libpp-glib")
    if "GI_TYPELIB_PATH" in os.environ or not os.path.exists(
            os.path.join(libdir, "Pp-1.0.typelib")):
        return
    os.environ["GI_TYPELIB_PATH"] = libdir
    # for child processes; this process is told through GIRepository below
    ld = os.environ.get("LD_LIBRARY_PATH")
    os.environ["LD_LIBRARY_PATH"] = libdir + (os.pathsep + ld if ld else "")
    os.environ.setdefault("PP_RUNNER", os.path.join(SRCDIR, "libpp-glib", "pp-runner.py"))
    try:
        import gi
        gi.require_version("GIRepository", "2.0")
        from gi.repository import GIRepository
        GIRepository.Repository.prepend_library_path(libdir)
    except Exception:
        pass


_use_source_tree()


def _load_pp():
    try:
        import gi
    except ImportError as e:
        return None, "PyGObject (gi) is not available in %s: %s" % (sys.executable, e)
    try:
        gi.require_version("Pp", "1.0")
    except ValueError as e:
        return None, "the Pp-1.0 typelib cannot be loaded (%s); set GI_TYPELIB_PATH" % e
    try:
        import pp
    except ImportError as e:
        return None, "import pp failed: %s" % e
    return pp, None


PP, PP_SKIP_REASON = _load_pp()


def load_source_module():
    """pp._source, importable even when libpp-glib is missing."""
    if PP is not None:
        return PP._source
    path = os.path.join(PYDIR, "pp", "_source.py")
    if not os.path.exists(path):
        import pp._source  # an installed copy
        return pp._source
    spec = importlib.util.spec_from_file_location("_pp_source_standalone", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


needs_pp = pytest.mark.skipif(PP is None, reason=PP_SKIP_REASON or "")


@pytest.fixture(scope="module")
def subreaper():
    """Processes orphaned by a killed ppd or dbus-daemon (their workers,
    activated services) become this process's children, so that they are
    reaped too: PID 1 may not reap here. Modules opt in with
    ``pytestmark = pytest.mark.usefixtures("subreaper")``."""
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_CHILD_SUBREAPER = 36
    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    yield
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.05)


def process_gone(pid, timeout):
    """Whether @pid ends (or is a zombie) within @timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.waitpid(pid, os.WNOHANG)     # when it was reparented to us
        except ChildProcessError:
            pass
        try:
            with open("/proc/%d/stat" % pid) as stat:
                state = stat.read().rpartition(")")[2].split()[0]
        except FileNotFoundError:
            return True
        if state in ("Z", "X"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
