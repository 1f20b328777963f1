# tests/python/test_ppcore.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp._ppcore, pp's own way to libpp-glib (no PyGObject), and the backend
choice (pp/_backend.py): bad input raises clear errors, blocking calls
release the GIL, callbacks run in the dispatcher thread, and the module is
chosen as documented."""

import os
import subprocess
import sys
import threading
import time

import pytest

from conftest import PP, needs_pp, needs_ppcore

pytestmark = needs_pp

if PP is not None:
    import pp
    from pp import _backend
    from pp._backend import GLib, Pp, PP_ERROR_DOMAIN


def square(x):
    return x * x


def sleepy(seconds):
    import time
    time.sleep(seconds)
    return seconds


def run_python(code, **env_changes):
    env = dict(os.environ)
    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(pp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkgdir] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)


@needs_ppcore
def test_the_default_backend_is_ppcore_without_gi():
    proc = run_python("import sys, pp; print(pp._backend.NAME, 'gi' in sys.modules, "
                      "type(pp.Server(1)._srv).__module__)", PP_BACKEND=None)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ppcore", "False", "pp._ppcore"]


def test_pp_backend_gi_uses_pygobject():
    proc = run_python("import sys, pp; print(pp._backend.NAME, type(pp.Server(1)._srv).__module__)",
                      PP_BACKEND="gi")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["gi", "gi.repository.Pp"]


def test_unknown_backend_is_refused():
    proc = run_python("import pp", PP_BACKEND="ctypes")
    assert proc.returncode != 0
    assert "PP_BACKEND='ctypes'" in proc.stderr and "'ppcore'" in proc.stderr


def test_a_broken_pp_ppcore_says_which_file(tmp_path):
    bogus = tmp_path / "_ppcore.cpython-311-x86_64-linux-gnu.so"
    bogus.write_bytes(b"not an ELF file")
    proc = run_python("import pp", PP_BACKEND=None, PP_PPCORE=str(bogus))
    assert proc.returncode != 0
    assert "pp cannot load its _ppcore module %s (PP_PPCORE)" % bogus in proc.stderr


def test_a_missing_ppcore_says_what_to_do(tmp_path):
    # The package's sources alone: no module beside them, none named.
    proc = run_python("import pp", PP_BACKEND=None, PP_PPCORE=None)
    assert proc.returncode != 0
    assert "pp cannot load its _ppcore module" in proc.stderr
    assert "PP_BACKEND=gi" in proc.stderr


@needs_ppcore
def test_bad_arguments_raise_clear_errors():
    with pytest.raises(TypeError, match="no writable property bogus"):
        Pp.Server(bogus=1)
    with pytest.raises(TypeError, match="keywords only"):
        Pp.Server(2)
    with pytest.raises(TypeError):
        Pp.Server(ncpus="two")
    with pytest.raises(OverflowError, match="socket-timeout"):
        Pp.Server(socket_timeout=-1)
    with pytest.raises(TypeError, match="a list of strings"):
        Pp.Server(python_path=5)
    with pytest.raises(TypeError):
        Pp.Server(python_path=["ok", 5])
    with pytest.raises(TypeError):
        Pp.Function.new("f", "def f(): pass\n", [1])
    with pytest.raises(ValueError):
        Pp.Function.new("f", "def f(): pass\0", [])
    from pp import _ppcore
    for name in ("Job", "Function", "Node", "NodeStats", "ListModel", "AsyncResult", "Bytes",
                 "MainContext", "MainLoop"):
        with pytest.raises(TypeError, match="cannot create"):
            getattr(_ppcore, name)()  # only the library makes them
    with pytest.raises(TypeError):
        GLib.MainLoop.new(object(), False)
    srv = Pp.Server(ncpus=0)
    with pytest.raises(RuntimeError):
        srv.__init__(ncpus=1)
    with pytest.raises(GLib.Error) as info:
        Pp.Server(ncpus=0, ppservers=["bad:99999"]).init(None)
    assert info.value.domain == PP_ERROR_DOMAIN
    assert info.value.code == Pp.Error.INVALID_ARGUMENT
    assert "99999" in info.value.message and "99999" in str(info.value)


@needs_ppcore
def test_bad_calls_on_a_running_server():
    with pp.Server(1) as server:
        srv = server._srv
        function = Pp.Function.new("square", "def square(x):\n    return x * x\n", [])
        with pytest.raises(TypeError, match="function must be a pp._ppcore.Function"):
            srv.submit_data("square", b"", 0, "default")
        with pytest.raises(TypeError):
            srv.submit_data(function, "not bytes", 0, "default")
        with pytest.raises(ValueError):
            srv.set_ncpus(-7)
        with pytest.raises(TypeError, match="node must be a pp._ppcore.Node"):
            srv.remove_node("local")
        with pytest.raises(GLib.Error):
            srv.add_node("no port here:x")
        job = srv.submit_data(function, b"\x80\x04K\x07\x85\x94.", 0, "default")  # (7,)
        assert job.wait(None) is True
        with pytest.raises(TypeError, match="callable"):
            job.wait_async(None, 42, None)
        with pytest.raises(TypeError, match="result must be a pp._ppcore.AsyncResult"):
            job.wait_finish(object())
        assert job.get_state() == Pp.JobState.DONE and job.get_state().value_nick == "done"
        assert srv.get_python() == (os.environ.get("PP_PYTHON") or sys.executable)
        assert srv.get_working_directory() == os.getcwd()
        assert os.getcwd() in srv.get_python_path()
        assert srv.get_ppservers() == [] and srv.get_restart() is False
        assert srv.get_use_tls() is False and srv.get_socket_timeout() == 3600
        assert srv.get_queued_jobs() == 0 and srv.get_max_payload_size() > 0
        assert srv.get_runner().endswith("pp-runner.py")
        model = srv.get_nodes()
        assert model.get_item(model.get_n_items()) is None
        assert model.get_item(0).get_state().value_nick == "ready"


def test_waiting_releases_the_gil():
    """Another Python thread runs while job() and server.wait() block."""
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.005)

    with pp.Server(1) as server:
        thread = threading.Thread(target=ticker)
        thread.start()
        try:
            start = len(ticks)
            assert server.submit(sleepy, (0.5,))() == 0.5
            during_job = len(ticks) - start
            server.submit(sleepy, (0.5,))
            start = len(ticks)
            server.wait()
            during_wait = len(ticks) - start
        finally:
            stop.set()
            thread.join()
    assert during_job > 20 and during_wait > 20, (during_job, during_wait)


def test_callbacks_run_in_the_dispatcher_thread():
    seen = []
    done = threading.Event()

    def callback(tag, result):
        seen.append((tag, result, threading.current_thread().name))
        if len(seen) == 20:
            done.set()

    with pp.Server(2) as server:
        for i in range(20):
            server.submit(square, (i,), callback=callback, callbackargs=("t",))
        assert done.wait(30)
        server.wait()
    assert sorted(r for _, r, _ in seen) == sorted(i * i for i in range(20))
    assert {name for _, _, name in seen} == {"pp-callbacks"}


def test_the_backend_names_are_the_same_on_both():
    for name in ("Server", "Function", "JobState", "NodeState", "PayloadFormat", "Error",
                 "NCPUS_AUTODETECT"):
        assert hasattr(Pp, name), name
    for name in ("Error", "MainContext", "MainLoop", "PRIORITY_DEFAULT", "PRIORITY_LOW"):
        assert hasattr(GLib, name), name
    assert Pp.Error.JOB_RAISED == 1 and Pp.JobState.CANCELLED == 4
    assert Pp.PayloadFormat.PICKLE == 0
    assert PP_ERROR_DOMAIN == "pp-error-quark"
    assert _backend.NAME in ("ppcore", "gi")


def test_bench_backend_runs_both_backends(tmp_path):
    """bench/bench_backend.py, in a small size: both backends, figures."""
    out = tmp_path / "bench.json"
    script = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "bench", "bench_backend.py")
    env = dict(os.environ)
    pkgdir = os.path.dirname(os.path.dirname(os.path.abspath(pp.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([pkgdir] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    proc = subprocess.run([sys.executable, script, "--jobs", "300", "--rounds", "1",
                           "--json", str(out)], env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    import json
    report = json.loads(out.read_text())
    assert report["jobs"] == 300
    for backend in ("ppcore", "gi"):
        assert report["samples"][backend][0]["backend"] == backend
        assert 0 < report["figures"][backend]["total_us"] < 1e6
    assert "gi / ppcore per job" in proc.stdout


def printing(x):
    print("said", x)
    return x


@needs_ppcore
def test_done_result_reads_a_successful_job_in_one_call():
    import pickle
    with pp.Server(1) as server:
        job = server.submit(printing, (7,))
        job.wait()
        raw, output = job._job.done_result()
        assert pickle.loads(raw) == 7 and output == "said 7\n"
        quiet = server.submit(square, (3,))
        quiet.wait()
        assert pickle.loads(quiet._job.done_result()[0]) == 9
        assert quiet._job.done_result()[1] in (None, "")
        failed = server.submit(square, ("x",))
        failed.wait()
        assert failed._job.done_result() is None
        with pytest.raises(TypeError):
            failed()
        slow = server.submit(sleepy, (5,))
        assert slow._job.done_result() is None       # not finished
        slow.cancel()
        assert slow._job.done_result() is None       # cancelled
        assert job() == 7 and quiet() == 9
