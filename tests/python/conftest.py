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
import types

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
    ppcore = os.path.join(builddir, "python", "ppcore")
    for name in sorted(os.listdir(ppcore)) if os.path.isdir(ppcore) else ():
        if name.startswith("_ppcore") and name.endswith(".so"):
            os.environ.setdefault("PP_PPCORE", os.path.join(ppcore, name))
    try:
        import gi
        gi.require_version("GIRepository", "2.0")
        from gi.repository import GIRepository
        GIRepository.Repository.prepend_library_path(libdir)
    except Exception:
        pass


_use_source_tree()


def _private_user_dirs():
    """ppd and pp.Server without a secret use the per-user secret file
    ($XDG_CONFIG_HOME/pp-glib/secret) and the session ppd writes
    $XDG_RUNTIME_DIR/ppd.pid: the tests use their own directories, never
    the developer's (GLib reads them once per process, so this runs before
    anything loads it)."""
    import atexit
    import shutil
    import tempfile
    root = tempfile.mkdtemp(prefix="pp-glib-tests-")
    atexit.register(shutil.rmtree, root, True)
    for name in ("XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "XDG_STATE_HOME"):
        path = os.path.join(root, name.lower())
        os.mkdir(path, 0o700)
        os.environ[name] = path


_private_user_dirs()


def _load_pp():
    if os.environ.get("PP_BACKEND") == "gi":  # else pp's own _ppcore module
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
    # pp/_source.py re-exports its sibling modules (relative imports): load
    # it in a stand-in package whose __init__.py (which needs libpp-glib)
    # does not run.
    package = types.ModuleType("_pp_standalone")
    package.__path__ = [os.path.dirname(path)]
    sys.modules[package.__name__] = package
    return importlib.import_module("_pp_standalone._source")


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


class OtherUser:
    """A second local user, created for a test: its name, uid, gid and
    private home directory (its XDG_CONFIG_HOME is home/.config)."""

    def __init__(self, name, home):
        import pwd
        entry = pwd.getpwnam(name)
        self.name, self.uid, self.gid, self.home = name, entry.pw_uid, entry.pw_gid, home
        self.config_home = os.path.join(home, ".config")

    def env(self, **extra):
        """This process's environment for that user: its own home and
        configuration directory, no secret."""
        env = dict(os.environ)
        for name in ("PP_SECRET", "XDG_RUNTIME_DIR", "G_MESSAGES_DEBUG"):
            env.pop(name, None)
        env.update(HOME=self.home, USER=self.name, LOGNAME=self.name,
                   XDG_CONFIG_HOME=self.config_home)
        env.update(extra)
        return env

    def run(self, args, env=None, timeout=60, **kwargs):
        """Runs args as that user (runuser), to completion."""
        import shutil
        import subprocess
        runuser = shutil.which("runuser")
        return subprocess.run([runuser, "-u", self.name, "--", *args],
                              env=env or self.env(), capture_output=True, text=True,
                              timeout=timeout, **kwargs)


@pytest.fixture
def other_user():
    """A second real user (useradd), deleted afterwards. Skipped, with the
    reason, unless this runs as root with useradd and runuser."""
    import shutil
    import subprocess
    import tempfile
    if os.geteuid() != 0:
        pytest.skip("needs root, to create a second user (useradd) and run as it (runuser)")
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            pytest.skip("needs %s, to create a second user and run as it" % tool)
    name = "pptest" + os.urandom(4).hex()
    home = tempfile.mkdtemp(prefix="pp-glib-user-")
    result = subprocess.run([shutil.which("useradd"), "--no-create-home", "--home-dir", home,
                             "--shell", "/bin/false", "--user-group", name],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip("useradd failed: %s" % result.stderr.strip())
    try:
        user = OtherUser(name, home)
        os.chown(home, user.uid, user.gid)
        os.chmod(home, 0o700)
        yield user
    finally:
        subprocess.run([shutil.which("userdel"), name], capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


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
