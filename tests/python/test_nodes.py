# test_nodes.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Nodes as objects from Python: Pp.Server's GListModel of Pp.Node through
PyGObject, and pp's Server.nodes, add_node() and remove_node(), against
real ppd processes on loopback."""

import os
import time

import pytest

pp = pytest.importorskip("pp")
from pp._gi import GLib, Pp  # noqa: E402

from test_cluster import SECRET, nodes, servers  # noqa: E402,F401 (fixtures)

pytestmark = pytest.mark.usefixtures("subreaper")


def iterate_until(condition, timeout=30):
    context = GLib.MainContext.default()
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        context.iteration(False)
        time.sleep(0.01)


def test_list_model_from_pygobject(nodes):
    node_proc = nodes(workers=2)
    srv = Pp.Server(ncpus=1, secret=SECRET)
    srv.init(None)
    try:
        model = srv.get_nodes()
        assert model.get_item_type() == Pp.Node.__gtype__
        assert [n.props.name for n in model] == ["local"]
        assert model[0].props.is_local and model[0].props.state == Pp.NodeState.READY

        changes = []
        model.connect("items-changed", lambda m, pos, removed, added:
                      changes.append((pos, removed, added)))
        node = srv.add_node(node_proc.address)
        assert changes == [(1, 0, 1)]
        assert len(model) == 2 and model[1] == node
        assert node.props.host == "127.0.0.1" and node.props.port == node_proc.port

        states = []
        node.connect("notify::state", lambda n, pspec: states.append(n.props.state))
        iterate_until(lambda: states and states[-1] == Pp.NodeState.READY)
        assert node.props.ncpus == 2
        assert node.props.last_error is None

        workers = node.dup_workers().unpack()
        assert len(workers) == 2 and all(w["state"] == "idle" for w in workers)
        local_workers = model[0].dup_workers().unpack()
        assert len(local_workers) == 1 and local_workers[0]["pid"] > 0

        assert srv.remove_node(node)
        assert changes[-1] == (1, 1, 0) and len(model) == 1
        iterate_until(lambda: states[-1] == Pp.NodeState.REMOVED)
        with pytest.raises(GLib.Error) as info:
            srv.remove_node(model[0])
        assert info.value.code == Pp.Error.NOT_SUPPORTED
    finally:
        srv.destroy()


def test_server_nodes_snapshots(nodes, servers):
    node_proc = nodes(workers=1)
    srv = servers(1, secret=SECRET)
    assert [n.name for n in srv.nodes] == ["local"]
    local = srv.nodes[0]
    assert local.is_local and local.state == "ready" and local.ncpus == 1
    assert local.host is None and local.port == 0 and local.last_error is None

    info = srv.add_node(node_proc.address)
    assert isinstance(info, pp.NodeInfo)
    assert info.name == node_proc.address and not info.is_local
    assert [n.name for n in srv.nodes] == ["local", node_proc.address]
    deadline = time.monotonic() + 30
    while srv.nodes[1].state != "ready":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert srv.get_active_nodes() == {"local": 1, node_proc.address: 1}

    with pytest.raises(ValueError):
        srv.add_node(node_proc.address)
    for bad in ("host:0", "[::1", "*"):
        with pytest.raises(ValueError):
            srv.add_node(bad)
    with pytest.raises(ValueError):
        srv.remove_node("local")
    with pytest.raises(ValueError):
        srv.remove_node("127.0.0.1:1")

    srv.remove_node(srv.nodes[1])
    assert [n.name for n in srv.nodes] == ["local"]
    assert node_proc.address not in srv.get_active_nodes()


def nap_square(x):
    import os, time
    time.sleep(0.05)
    return x * x, os.getppid()


def test_remove_node_while_jobs_run(nodes, servers):
    a, b = nodes(workers=2), nodes(workers=2)
    srv = servers(0, secret=SECRET)
    srv.add_node(a.address)
    srv.add_node(b.address)
    deadline = time.monotonic() + 30
    while srv.get_active_nodes() != {"local": 0, a.address: 2, b.address: 2}:
        assert time.monotonic() < deadline
        time.sleep(0.05)

    calls = []
    jobs = [srv.submit(nap_square, (i,), callback=calls.append) for i in range(60)]
    while srv.get_stats()[a.address].njobs < 4:
        time.sleep(0.01)
    removed = srv.remove_node(a.address)
    assert removed.state == "removed" and removed.busy == removed.held == 0
    results = [job() for job in jobs]
    srv.wait()

    assert [r[0] for r in results] == [i * i for i in range(60)]
    assert sorted(r[0] for r in calls) == [i * i for i in range(60)]
    # The removed node's unfinished jobs ran on the other one.
    assert {r[1] for r in results} <= {a.proc.pid, b.proc.pid}
    stats = srv.get_stats()
    assert a.address not in stats
    assert stats[b.address].njobs > 0
    # Each job counted once, on the node that answered it.
    assert removed.jobs_done + stats[b.address].njobs == 60


def test_cancel_a_job_running_on_a_node(nodes):
    """Cancelling a job a remote node runs has the node stop it: its only
    worker is free for the next job at once, not after the 60 s sleep."""
    node_proc = nodes(workers=1)
    srv = Pp.Server(ncpus=0, secret=SECRET, ppservers=[node_proc.address])
    srv.init(None)
    try:
        sleepy = Pp.Function.new("sleepy", "def sleepy():\n    import time\n    time.sleep(60)\n", None)
        quick = Pp.Function.new("quick", "def quick():\n    return 7\n", None)
        job = srv.submit_json(sleepy, "[]", None)
        iterate_until(lambda: job.get_state() == Pp.JobState.RUNNING)
        time.sleep(1)  # the node's worker starts it
        assert job.cancel()
        assert job.get_state() == Pp.JobState.CANCELLED
        assert not job.cancel()

        start = time.monotonic()
        second = srv.submit_json(quick, "[]", None)
        assert second.wait_timeout(20 * 1000000)
        assert second.wait(None)
        assert bytes(second.dup_result().get_data()) == b"7"
        assert time.monotonic() - start < 20
    finally:
        srv.destroy()
