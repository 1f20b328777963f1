# tests/python/test_completion.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""pp._ppcore.Completion, the server's batched completion that the done
hooks (Job._add_done_callback, behind Executor futures and ``await job``)
run on: each hook once, in the callbacks thread, after its job finished,
whether it was watched before or after the job finished; close() hands
over what a destroyed server left; bad input is refused.  And the
Executor paths built on it: result() settling a pending future itself,
futures completed with no caller waiting, hooks that raise."""

import concurrent.futures
import threading
import time

import pytest

from conftest import PP, needs_pp, needs_ppcore, wait_running

pytestmark = needs_pp

if PP is not None:
    import pp
    from pp._backend import GLib, Pp


def square(x):
    return x * x


# Never run before their test: a function with no measured run time is not
# sent ahead to a busy worker, so its job stays queued (cancellable).
def cube(x):
    return x ** 3


def negate(x):
    return -x


def sleepy(seconds):
    import time
    time.sleep(seconds)
    return seconds


class Loop:
    """A GLib main loop in a thread, with a Completion on it."""

    def __init__(self, srv):
        self.ctx = GLib.MainContext.new()
        self.loop = GLib.MainLoop.new(self.ctx, False)
        self.batches = []
        self.threads = set()
        self.cond = threading.Condition()
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,),
                                       name="completion-test")
        self.thread.start()
        started.wait()
        self.completion = Pp.Completion(srv, self.ctx, self._drain)

    def _run(self, started):
        self.ctx.push_thread_default()
        started.set()
        self.loop.run()
        self.ctx.pop_thread_default()

    def _drain(self, entries):
        with self.cond:
            self.threads.add(threading.current_thread().name)
            self.batches.append(list(entries))
            self.cond.notify_all()

    def entries(self):
        return [e for batch in self.batches for e in batch]

    def wait_for(self, n, timeout=30):
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.entries()) >= n, timeout), \
                self.entries()

    def close(self):
        done = threading.Event()

        def close(*unused):
            self.completion.close()
            done.set()
            return False
        self.ctx.invoke_full(GLib.PRIORITY_DEFAULT, close)
        assert done.wait(30)
        self.ctx.invoke_full(GLib.PRIORITY_LOW, lambda *a: self.loop.quit() or False)
        self.thread.join(30)
        assert not self.thread.is_alive()


def submit(server, x):
    return server.submit(square, (x,))


@needs_ppcore
def test_each_entry_once_in_the_loop_thread_before_or_after_finishing():
    with pp.Server(2) as server:
        loop = Loop(server._srv)
        try:
            early = [submit(server, i) for i in range(200)]
            for job in early:
                loop.completion.watch(job._job, ("early", job.id))
            late = [submit(server, i) for i in range(50)]
            for job in late:
                job.wait()
                loop.completion.watch(job._job, ("late", job.id))
                loop.completion.watch(job._job, ("late twice", job.id))
            loop.wait_for(300)
            time.sleep(0.2)         # nothing more comes
            got = loop.entries()
            assert sorted(got) == sorted(
                [("early", j.id) for j in early] + [("late", j.id) for j in late]
                + [("late twice", j.id) for j in late])
            assert loop.threads == {"completion-test"}
            # batches, not one hand-over per job
            assert len(loop.batches) < len(got)
        finally:
            loop.close()
        with pytest.raises(RuntimeError, match="closed"):
            loop.completion.watch(early[0]._job, "after close")


@needs_ppcore
def test_close_hands_over_the_finished_jobs_of_a_destroyed_server():
    server = pp.Server(1)
    loop = Loop(server._srv)
    blocked = threading.Event()
    # The loop thread is held, so the batch of the destroyed jobs cannot
    # come before close().
    loop.ctx.invoke_full(GLib.PRIORITY_DEFAULT, lambda *a: blocked.wait(30) and False)
    jobs = [server.submit(sleepy, (5,)) for _ in range(3)]
    for job in jobs:
        loop.completion.watch(job._job, job.id)
    server.destroy()
    assert all(job.finished for job in jobs)
    blocked.set()
    loop.close()
    assert sorted(loop.entries()) == sorted(job.id for job in jobs)


@needs_ppcore
def test_unfinished_entries_are_dropped_at_close():
    with pp.Server(1) as server:
        loop = Loop(server._srv)
        job = server.submit(sleepy, (3,))
        entry = ["kept only by the completion"]
        loop.completion.watch(job._job, entry)
        loop.close()
        assert loop.entries() == []
        job.cancel()


@needs_ppcore
def test_bad_arguments_are_refused():
    with pp.Server(1) as server:
        ctx = GLib.MainContext.new()
        with pytest.raises(TypeError, match="server must be a pp._ppcore.Server"):
            Pp.Completion("server", ctx, print)
        with pytest.raises(TypeError, match="context must be a pp._ppcore.MainContext"):
            Pp.Completion(server._srv, None, print)
        with pytest.raises(TypeError, match="drain must be callable"):
            Pp.Completion(server._srv, ctx, 42)
        with pytest.raises(TypeError):
            Pp.Completion(server._srv, ctx)
        loop = Loop(server._srv)
        try:
            with pytest.raises(TypeError, match="job must be a pp._ppcore.Job"):
                loop.completion.watch("job", 1)
            with pytest.raises(TypeError):
                loop.completion.watch(submit(server, 1)._job)
            with pytest.raises(RuntimeError, match="already initialized"):
                loop.completion.__init__(server._srv, ctx, print)
            # one per server: a second would take the server's batches
            with pytest.raises(RuntimeError, match="already has a Completion"):
                Pp.Completion(server._srv, ctx, print)
            job = submit(server, 5)
            loop.completion.watch(job._job, "still works")
            loop.wait_for(1)
        finally:
            loop.close()
        assert loop.entries() == ["still works"]
        # once closed, the server can have another
        Loop(server._srv).close()


def test_done_hooks_run_once_in_the_callbacks_thread():
    seen = []
    lock = threading.Lock()

    def hook(job):
        with lock:
            seen.append((job.id, job.finished, threading.current_thread().name))

    with pp.Server(2) as server:
        jobs = [submit(server, i) for i in range(300)]
        for job in jobs[:150]:
            job._add_done_callback(hook)
        for job in jobs[150:]:
            job.wait()
            job._add_done_callback(hook)
        server.wait()
        deadline = time.monotonic() + 30
        while len(seen) < len(jobs) and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.1)
    assert sorted(i for i, _, _ in seen) == sorted(j.id for j in jobs)
    assert all(finished for _, finished, _ in seen)
    assert {name for _, _, name in seen} == {"pp-callbacks"}


def test_a_raising_hook_is_reported_and_the_others_run(capfd):
    ran = []

    def bad(job):
        raise ValueError("hook trouble")

    with pp.Server(1) as server:
        jobs = [submit(server, i) for i in range(5)]
        for job in jobs:
            job._add_done_callback(bad)
            job._add_done_callback(ran.append)
        server.wait()
        deadline = time.monotonic() + 30
        while len(ran) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
    assert sorted(j.id for j in ran) == sorted(j.id for j in jobs)
    err = capfd.readouterr().err
    assert err.count("ValueError: hook trouble") == 5 and "exception in the done callback" in err


def test_executor_futures_complete_without_a_waiter():
    """No result() call: the callbacks thread settles every future, and
    done callbacks run once."""
    called = []
    with pp.Executor(2) as ex:
        futures = [ex.submit(square, i) for i in range(300)]
        for fut in futures:
            fut.add_done_callback(called.append)
        deadline = time.monotonic() + 30
        while not all(f.done() for f in futures) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert all(f.done() for f in futures)
        assert [f.result() for f in futures] == [i * i for i in range(300)]
        done, _ = concurrent.futures.wait(futures, timeout=30)
        assert done == set(futures)
    assert sorted(map(id, called)) == sorted(map(id, futures))


def test_executor_result_settles_a_pending_future_once():
    """result() waits for the job itself; the callbacks thread, coming
    later, finds the future settled; its done callbacks ran once."""
    calls = []
    with pp.Executor(1) as ex:
        fut = ex.submit(sleepy, 0.3)
        fut.add_done_callback(calls.append)
        assert fut.result() == 0.3
        assert fut.done() and fut.exception() is None
        failing = ex.submit(square, "x")
        with pytest.raises(TypeError):
            failing.result()
        blocker = ex.submit(sleepy, 0.5)
        wait_running(blocker)
        queued = ex.submit(cube, 3)
        assert queued.cancel()
        with pytest.raises(concurrent.futures.CancelledError):
            queued.result()
        assert blocker.result(timeout=30) == 0.5
        time.sleep(0.2)
    assert calls == [fut]


def test_executor_result_of_a_job_cancelled_directly():
    with pp.Executor(1) as ex:
        blocker = ex.submit(sleepy, 0.5)
        wait_running(blocker)
        fut = ex.submit(negate, 4)
        assert fut._pp_job.cancel()
        with pytest.raises(concurrent.futures.CancelledError):
            fut.result()
        assert fut.cancelled()
        assert blocker.result() == 0.5


class Entry:
    pass


@needs_ppcore
def test_entries_are_released_once_handed_over_or_dropped():
    import gc
    import weakref
    with pp.Server(2) as server:
        loop = Loop(server._srv)
        try:
            refs = []
            jobs = [submit(server, i) for i in range(100)]
            for i, job in enumerate(jobs):
                entry = Entry()
                refs.append(weakref.ref(entry))
                loop.completion.watch(job._job, entry)
                if i % 2:
                    loop.completion.watch(job._job, entry)
            del entry
            loop.wait_for(150)
            loop.batches.clear()
            gc.collect()
            assert all(r() is None for r in refs)
        finally:
            slow = server.submit(sleepy, (3,))
            entry = Entry()
            dropped = weakref.ref(entry)
            loop.completion.watch(slow._job, entry)
            del entry
            loop.close()
            slow.cancel()
        gc.collect()
        assert dropped() is None


@needs_ppcore
def test_a_hook_that_destroys_the_server_gets_every_hook_run_once():
    """destroy() from a done hook closes the completion inside its own
    hand-over: the hooks left run then, each once, and the thread ends.
    (PyGObject's wait_async() path stops with the loop: hooks still
    pending then are not run.)"""
    seen = []
    server = pp.Server(2)

    def hook(job):
        seen.append(job.id)
        if len(seen) == 5:
            server.destroy()

    jobs = [submit(server, i) for i in range(50)]
    for job in jobs:
        job._add_done_callback(hook)
    deadline = time.monotonic() + 30
    while len(seen) < len(jobs) and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    assert sorted(seen) == sorted(j.id for j in jobs)
    deadline = time.monotonic() + 30
    while any(t.name == "pp-callbacks" for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
