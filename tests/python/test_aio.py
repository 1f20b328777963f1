# test_aio.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""``await job``: pp jobs in asyncio, on real worker processes."""

import asyncio
import os
import threading
import time

import pytest

from conftest import wait_for_file

pp = pytest.importorskip("pp")

pytestmark = pytest.mark.usefixtures("subreaper")


def square(x):
    return x * x


def fail(message):
    raise KeyError(message)


@pytest.fixture(scope="module")
def server(subreaper):  # torn down before subreaper waits for children
    srv = pp.Server(2)
    yield srv
    srv.destroy()


def test_await_one(server):
    async def main():
        return await server.submit(square, (7,))
    assert asyncio.run(main()) == 49


def test_await_finished_job(server):
    job = server.submit(square, (3,))
    assert job() == 9

    async def main():
        return await job
    assert asyncio.run(main()) == 9


def test_gather_1000(server):
    async def main():
        before = threading.active_count()
        jobs = [server.submit(square, (i,)) for i in range(1000)]
        results = await asyncio.gather(*jobs)
        # No thread per job.
        assert threading.active_count() <= before + 1
        return results
    assert asyncio.run(main()) == [i * i for i in range(1000)]


def test_exception_comes_out_of_await(server):
    async def main():
        with pytest.raises(KeyError, match="nope"):
            await server.submit(fail, ("nope",))
        # The loop keeps working afterwards.
        return await server.submit(square, (2,))
    assert asyncio.run(main()) == 4


def test_wait_for_timeout_cancels_the_job(server, tmp_path):
    gate = str(tmp_path / "gate")

    async def main():
        job = server.submit(wait_for_file, (gate,))
        start = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(job, 0.3)
        assert time.monotonic() - start < 10
        return job
    try:
        job = asyncio.run(main())
        assert job.finished
        with pytest.raises(pp.CancelledError):
            job()
    finally:
        open(gate, "w").close()
    # Its worker was replaced: the server still runs jobs.
    assert server.submit(square, (5,))() == 25


def test_cancelling_the_task_cancels_the_job(server, tmp_path):
    gate = str(tmp_path / "gate")

    async def main():
        job = server.submit(wait_for_file, (gate,))

        async def waiter():
            return await job
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0.2)
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return job
    try:
        job = asyncio.run(main())
        deadline = time.monotonic() + 10
        while not job.finished:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with pytest.raises(pp.CancelledError):
            job()
    finally:
        open(gate, "w").close()


def test_as_completed_and_concurrency(server):
    async def main():
        jobs = [server.submit(square, (i,)) for i in range(50)]
        got = []
        for next_done in asyncio.as_completed(jobs):
            got.append(await next_done)
        return sorted(got)
    assert asyncio.run(main()) == sorted(i * i for i in range(50))


def test_loop_closed_before_the_job_ends(server, tmp_path, capfd):
    """A job whose awaiting loop is gone completes without error."""
    gate = str(tmp_path / "gate")
    job = server.submit(wait_for_file, (gate,))
    loop = asyncio.new_event_loop()
    task = loop.create_task(_await(job))
    loop.run_until_complete(asyncio.sleep(0.1))
    assert not task.done()
    loop.close()
    open(gate, "w").close()
    assert isinstance(job(), int) and job() != os.getpid()
    time.sleep(0.2)     # the completion hook runs after job() returns
    assert "done callback" not in capfd.readouterr().err
    del task


async def _await(job):
    return await job


def test_on_ppd_node():
    from test_cluster import Node, SECRET
    node = Node(workers=1)
    try:
        srv = pp.Server(0, ppservers=(node.address,), secret=SECRET)
        try:
            async def main():
                return await asyncio.gather(*(srv.submit(square, (i,)) for i in range(100)))
            assert asyncio.run(main()) == [i * i for i in range(100)]
        finally:
            srv.destroy()
    finally:
        node.stop()
