# test_executor.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp.Executor: the concurrent.futures semantics, on real worker processes."""

import asyncio
import concurrent.futures as cf
import functools
import json
import os
import textwrap
import threading
import time

import pytest

from conftest import wait_for_file, wait_running

pp = pytest.importorskip("pp")

pytestmark = pytest.mark.usefixtures("subreaper")


def add(a, b=0, *, c=0):
    return a + b + c


def fail(message):
    raise ValueError(message)


def getpid():
    import os
    return os.getpid()


@pytest.fixture(scope="module")
def executor(subreaper):  # torn down before subreaper waits for children
    with pp.Executor(2) as ex:
        yield ex


@pytest.fixture
def gate(tmp_path):
    """A file whose creation releases wait_for_file() jobs."""
    path = tmp_path / "gate"
    yield str(path)
    path.touch()


def test_is_a_concurrent_futures_executor(executor):
    assert isinstance(executor, cf.Executor)
    fut = executor.submit(add, 1, 2)
    assert isinstance(fut, cf.Future)
    assert fut.result(timeout=30) == 3
    assert fut.done() and not fut.cancelled() and not fut.running()


def test_args_and_kwargs_reach_the_function(executor):
    assert executor.submit(add, 1, b=2, c=3).result(timeout=30) == 6
    assert executor.submit(add, a=5).result(timeout=30) == 5
    # Module functions, built-ins and partials travel too.
    assert executor.submit(textwrap.indent, "x\ny", "> ").result(timeout=30) == "> x\n> y"
    assert executor.submit(json.dumps, [1], indent=None).result(timeout=30) == "[1]"
    assert executor.submit(pow, 2, 10).result(timeout=30) == 1024
    assert executor.submit(functools.partial(add, 1, c=10), 2).result(timeout=30) == 13


def test_jobs_run_in_workers(executor):
    pids = {executor.submit(getpid).result(timeout=30) for _ in range(4)}
    assert os.getpid() not in pids


def test_exception(executor):
    fut = executor.submit(fail, "boom")
    exc = fut.exception(timeout=30)
    assert isinstance(exc, ValueError) and str(exc) == "boom"
    with pytest.raises(ValueError, match="boom"):
        fut.result()
    # A call that cannot be sent fails in submit(), like pickling errors in
    # ProcessPoolExecutor's result().
    with pytest.raises(TypeError):
        executor.submit(lambda: 1)


def test_as_completed_and_wait(executor):
    futs = [executor.submit(add, i, 1) for i in range(50)]
    assert sorted(f.result() for f in cf.as_completed(futs, timeout=30)) == list(range(1, 51))
    done, not_done = cf.wait(futs, timeout=30)
    assert len(done) == 50 and not not_done


class Opens:
    """Creates the gate file on the way out, whatever happens."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        open(self.path, "w").close()


def test_wait_first_completed(executor, gate):
    slow = executor.submit(wait_for_file, gate)
    quick = executor.submit(add, 1, 1)
    done, not_done = cf.wait([slow, quick], timeout=30, return_when=cf.FIRST_COMPLETED)
    assert quick in done and slow in not_done
    open(gate, "w").close()
    assert isinstance(slow.result(timeout=30), int)


def test_cancel_pending_future(gate):
    with pp.Executor(1) as ex, Opens(gate):
        running = ex.submit(wait_for_file, gate)
        pending = ex.submit(add, 1, 2)
        wait_running(running)
        assert pending.cancel()
        assert pending.cancelled() and pending.done()
        with pytest.raises(cf.CancelledError):
            pending.result()
        # A future whose job has started is not cancelled.
        assert not running.cancel()
        assert not running.cancelled()
        open(gate, "w").close()
        assert running.result(timeout=30) > 0
        # Nor one that has finished.
        assert not running.cancel()
        # The cancelled job never ran: the server counts it as cancelled.
        assert pending._pp_job is not None
        with pytest.raises(pp.CancelledError):
            pending._pp_job()


def test_shutdown_cancel_futures(gate):
    ex = pp.Executor(1)
    with Opens(gate):
        running = ex.submit(wait_for_file, gate)
        queued = [ex.submit(add, i) for i in range(20)]
        wait_running(running)
        threading.Timer(0.3, open, (gate, "w")).start()
        ex.shutdown(wait=True, cancel_futures=True)
    assert running.result(timeout=0) > 0
    assert all(f.cancelled() for f in queued)
    assert ex.server._destroyed


def test_use_after_shutdown():
    ex = pp.Executor(1)
    assert ex.submit(add, 1).result(timeout=30) == 1
    ex.shutdown()
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(add, 1)
    with pytest.raises(RuntimeError):
        list(ex.map(add, [1]))
    ex.shutdown()       # twice is fine


def test_context_manager_waits():
    with pp.Executor(2) as ex:
        futs = [ex.submit(add, i) for i in range(100)]
    assert all(f.done() for f in futs)
    assert [f.result() for f in futs] == list(range(100))
    assert ex.server._destroyed


def test_given_server_stays_up():
    server = pp.Server(1)
    try:
        with pp.Executor(server=server) as ex:
            assert ex.submit(add, 2, 3).result(timeout=30) == 5
        assert not server._destroyed
        assert server.submit(add, (1, 1))() == 2
        with pytest.raises(TypeError):
            pp.Executor(2, server=server)
    finally:
        server.destroy()


def test_map(executor):
    assert list(executor.map(add, range(10))) == list(range(10))
    assert list(executor.map(add, range(10), range(10, 20))) == [a + b for a, b in zip(range(10), range(10, 20))]
    assert list(executor.map(add, range(100), range(100), chunksize=7)) == [2 * i for i in range(100)]
    with pytest.raises(ValueError):
        executor.map(add, range(3), chunksize=0)
    results = executor.map(fail, ["x"])
    with pytest.raises(ValueError):
        list(results)


def test_map_timeout(gate):
    with pp.Executor(1) as ex, Opens(gate):
        results = ex.map(wait_for_file, [gate], timeout=0.2)
        with pytest.raises(cf.TimeoutError):
            list(results)
        open(gate, "w").close()


def test_run_in_executor(executor):
    async def main():
        loop = asyncio.get_running_loop()
        return await asyncio.gather(*(loop.run_in_executor(executor, add, i, 1) for i in range(100)))
    assert asyncio.run(main()) == list(range(1, 101))


def test_many_submits_no_thread_per_job(executor):
    before = threading.active_count()
    futs = [executor.submit(add, i) for i in range(2000)]
    assert threading.active_count() <= before + 1
    assert sum(f.result(timeout=60) for f in futs) == sum(range(2000))


def test_on_ppd_node():
    # The ppd fixtures live in test_cluster.py; import its Node there.
    from test_cluster import Node, SECRET
    node = Node(workers=1)
    try:
        with pp.Executor(0, ppservers=(node.address,), secret=SECRET) as ex:
            futs = [ex.submit(add, i, c=1) for i in range(50)]
            assert [f.result(timeout=60) for f in futs] == list(range(1, 51))
            assert list(ex.map(add, range(20), chunksize=5)) == list(range(20))
    finally:
        node.stop()


def shout(text):
    print(text)
    return len(text)


def test_done_callbacks_first_exception_and_output(executor, capfd):
    called = []
    got = threading.Event()

    def callback(fut):
        called.append(fut.result())
        got.set()
    fut = executor.submit(add, 40, 2)
    fut.add_done_callback(callback)
    assert got.wait(30) and called == [42]
    # A callback added after completion runs at once.
    fut.add_done_callback(lambda f: called.append(-f.result()))
    assert called == [42, -42]
    assert "finished returned int" in repr(fut)

    failing = executor.submit(fail, "first")
    fine = [executor.submit(add, i) for i in range(3)]
    done, _ = cf.wait([failing] + fine, timeout=30, return_when=cf.FIRST_EXCEPTION)
    assert failing in done
    assert "finished raised ValueError" in repr(failing)
    assert isinstance(failing.exception(), ValueError)

    # What a job prints is written when its result is read, like job().
    capfd.readouterr()
    assert executor.submit(shout, "hello from a worker").result(timeout=30) == 19
    assert "hello from a worker" in capfd.readouterr().out


@functools.lru_cache(maxsize=None)
def cached_square(x):
    return x * x


def test_decorated_function_and_shutdown_from_a_callback():
    ex = pp.Executor(1)
    assert ex.submit(cached_square, 7).result(timeout=30) == 49
    assert list(ex.map(cached_square, range(5), chunksize=2)) == [0, 1, 4, 9, 16]
    done = threading.Event()
    later = []

    def callback(fut):
        ex.shutdown(wait=True)      # must not wait for itself
        done.set()
    first = ex.submit(add, 1)
    later = [ex.submit(add, i) for i in range(5)]
    first.add_done_callback(callback)
    assert done.wait(30)
    with pytest.raises(RuntimeError):
        ex.submit(add, 1)
    assert [f.result(timeout=30) for f in later] == list(range(5))
    deadline = time.monotonic() + 30
    while not ex.server._destroyed:
        assert time.monotonic() < deadline
        time.sleep(0.01)


MAIN_SCRIPT = '''
import asyncio, sys, pp

def helper(x):
    return x + 1000

def work(x, scale=1):           # defined in __main__: sent as source
    return helper(x) * scale

class Point:
    def __init__(self, x):
        self.x = x

def norm(p):
    return Point(abs(p.x))

with pp.Executor(2) as ex:
    assert ex.submit(work, 1, scale=2).result(timeout=30) == 2002
    assert list(ex.map(work, range(5), chunksize=2)) == [1000, 1001, 1002, 1003, 1004]
    assert ex.submit(norm, Point(-3)).result(timeout=30).x == 3
    assert isinstance(ex.submit(norm, Point(-3)).result(timeout=30), Point)
    assert ex.server.map(work, range(3)) == [1000, 1001, 1002]

    async def main():
        return await ex.server.submit(work, (7,))
    assert asyncio.run(main()) == 1007
print("OK")
'''


def test_functions_of_main(tmp_path):
    import subprocess
    import sys
    script = tmp_path / "main_script.py"
    script.write_text(MAIN_SCRIPT)
    proc = subprocess.run([sys.executable, str(script)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "OK\n"


def test_server_destroyed_under_the_executor(tmp_path):
    gate = str(tmp_path / "gate")
    server = pp.Server(1)
    ex = pp.Executor(server=server)
    with Opens(gate):
        blocked = ex.submit(wait_for_file, gate)
        queued = [ex.submit(add, i) for i in range(200)]
        server.destroy()
        # Every future settles: the job's DestroyedError, or cancelled.
        done, not_done = cf.wait([blocked] + queued, timeout=30)
        assert not not_done
        for fut in [blocked] + queued:
            assert fut.cancelled() or isinstance(fut.exception(), pp.DestroyedError)
    ex.shutdown()


def test_await_after_destroy():
    server = pp.Server(1)
    jobs = [server.submit(add, (i,)) for i in range(100)]

    async def main():
        return await asyncio.gather(*jobs, return_exceptions=True)
    server.destroy()
    results = asyncio.run(main())
    assert all(r == i or isinstance(r, pp.DestroyedError) for i, r in enumerate(results))
