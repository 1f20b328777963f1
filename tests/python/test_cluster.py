# test_cluster.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A pp client spreading jobs over real ppd nodes on loopback: load
balancing, a node killed mid-run, reconnection, TLS, wrong secrets, and a
node on another (namespaced) host."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

pp = pytest.importorskip("pp")

SECRET = "cluster-test-secret"
SOURCE_ROOT = os.environ.get("PP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
TEST_DATA = os.path.join(SOURCE_ROOT, "tests", "data")


def _ppd_path():
    path = os.environ.get("PPD")
    if path and os.access(path, os.X_OK):
        return path
    pytest.skip("ppd is not built (set PPD)")


pytestmark = pytest.mark.usefixtures("subreaper")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError("ppd did not listen on port %d" % port)


class Node:
    """One ppd process."""

    def __init__(self, port=None, workers=1, secret=SECRET, extra=(), env=None):
        self.port = port or free_port()
        env = dict(os.environ, PP_SECRET=secret, **(env or {}))
        self.proc = subprocess.Popen(
            [_ppd_path(), "-p", str(self.port), "-i", "127.0.0.1", "-w", str(workers), *extra],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_port(self.port)

    @property
    def address(self):
        return "127.0.0.1:%d" % self.port

    def kill(self):
        self.proc.kill()
        self.proc.wait(timeout=10)

    def stop(self):
        if self.proc.stderr.closed:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr = self.proc.stderr.read()
        self.proc.stderr.close()


@pytest.fixture
def nodes():
    started = []

    def start(*args, **kwargs):
        node = Node(*args, **kwargs)
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


@pytest.fixture
def servers():
    made = []

    def make(*args, **kwargs):
        srv = pp.Server(*args, **kwargs)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.destroy()


def wait_active(srv, count, timeout=30):
    deadline = time.time() + timeout
    while len(srv.get_active_nodes()) < count:
        if time.time() > deadline:
            raise TimeoutError("only %r active" % srv.get_active_nodes())
        time.sleep(0.05)


def square_and_parent(x):
    import os
    return x * x, os.getppid()


def nap_square(x):
    import os, time
    time.sleep(0.02)
    return x * x, os.getppid()


def test_jobs_spread_over_three_nodes_and_local(nodes, servers):
    cluster = [nodes() for _ in range(3)]
    srv = servers(1, ppservers=tuple(n.address for n in cluster), secret=SECRET)
    wait_active(srv, 4)
    assert srv.get_active_nodes() == dict([("local", 1)] + [(n.address, 1) for n in cluster])

    jobs = [srv.submit(nap_square, (i,)) for i in range(2000)]
    results = [job() for job in jobs]

    assert [r[0] for r in results] == [i * i for i in range(2000)]
    parents = {r[1] for r in results}
    assert parents == {os.getpid()} | {n.proc.pid for n in cluster}
    stats = srv.get_stats()
    assert sum(st.njobs for st in stats.values()) == 2000
    assert all(stats[n.address].njobs > 0 for n in cluster)
    table = _captured_stats(srv)
    for n in cluster:
        assert ("| %s\n" % n.address) in table


def _captured_stats(srv):
    import io
    import contextlib
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        srv.print_stats()
    return out.getvalue()


def where_after(seconds):
    import os, time
    time.sleep(seconds)
    return os.getppid()


def test_a_node_does_not_hoard_jobs_that_turn_out_long(nodes, servers):
    """After a fast warm-up the function looks short, so its jobs are
    prefetched; a node still takes only its share of the queue."""
    node = nodes(workers=1)
    srv = servers(1, ppservers=(node.address,), secret=SECRET)
    wait_active(srv, 2)
    srv.submit(where_after, (0.001,))()
    pids = [job() for job in [srv.submit(where_after, (0.3,)) for _ in range(8)]]
    assert pids.count(os.getpid()) >= 3 and pids.count(node.proc.pid) >= 3, pids


def test_remote_only_with_ncpus_zero(nodes, servers):
    node = nodes(workers=2)
    srv = servers(0, ppservers=(node.address,), secret=SECRET)
    results = [j() for j in [srv.submit(square_and_parent, (i,)) for i in range(300)]]
    assert [r[0] for r in results] == [i * i for i in range(300)]
    assert {r[1] for r in results} == {node.proc.pid}


def test_node_killed_mid_run_loses_no_job_and_comes_back(nodes, servers):
    a, b = nodes(), nodes()
    srv = servers(1, ppservers=(a.address, b.address), secret=SECRET, socket_timeout=5)
    wait_active(srv, 3)

    jobs = [srv.submit(nap_square, (i,)) for i in range(300)]
    while srv.get_stats()[a.address].njobs < 5:
        time.sleep(0.01)
    a.kill()
    results = [job() for job in jobs]

    assert [r[0] for r in results] == [i * i for i in range(300)]
    stats = srv.get_stats()
    assert sum(st.njobs for st in stats.values()) == 300
    assert stats[a.address].njobs < 300
    assert a.address not in srv.get_active_nodes()

    # The same node starts again: the client reconnects and uses it.
    a2 = nodes(port=a.port)
    wait_active(srv, 3, timeout=60)
    more = [srv.submit(nap_square, (i,)) for i in range(200)]
    parents = {job()[1] for job in more}
    assert a2.proc.pid in parents


def test_silent_node_is_dropped_after_missed_heartbeats(nodes, servers, monkeypatch):
    """A node that stops answering (SIGSTOP: no crash, no closed socket) is
    detected by the heartbeats (every 0.5 s here, lost after 5 missed:
    2.5 s), however long socket_timeout is; its jobs run elsewhere."""
    monkeypatch.setenv("PP_HEARTBEAT_MS", "500")
    frozen, healthy = nodes(), nodes()
    srv = servers(0, ppservers=(frozen.address, healthy.address), secret=SECRET)
    wait_active(srv, 3)
    jobs = [srv.submit(nap_square, (i,)) for i in range(100)]
    while srv.get_stats()[frozen.address].njobs < 3:
        time.sleep(0.01)
    frozen.proc.send_signal(signal.SIGSTOP)
    start = time.time()
    try:
        results = [job() for job in jobs]
    finally:
        frozen.proc.send_signal(signal.SIGCONT)
    assert [r[0] for r in results] == [i * i for i in range(100)]
    assert time.time() - start < 10
    assert frozen.address not in srv.get_active_nodes()


def run_once(path, seconds):
    """Appends a line to path, then naps: a re-run shows as a second line."""
    import os, time
    with open(path, "a") as f:
        f.write("%d\n" % os.getpid())
    time.sleep(seconds)
    return seconds, os.getppid()


def _long_job_runs_once(nodes, servers, capfd, tmp_path, seconds, node_args=(), **timeouts):
    """A job of @seconds, longer than every timeout involved, runs on the
    node once and finishes; a second client, idle all that time, stays
    connected and its next job runs without a reconnection."""
    node = nodes(env={"G_MESSAGES_DEBUG": "Pp"}, extra=node_args)
    busy = servers(0, ppservers=(node.address,), secret=SECRET, **timeouts)
    idle = servers(0, ppservers=(node.address,), secret=SECRET, **timeouts)
    wait_active(busy, 1)
    wait_active(idle, 1)
    runs = tmp_path / "runs"

    job = busy.submit(run_once, (str(runs), seconds))
    deadline = time.time() + seconds + 20
    while not job.finished and time.time() < deadline:
        time.sleep(0.2)
    assert job.finished, "the job did not finish: it ran %d times" % len(runs.read_text().split())
    assert job() == (seconds, node.proc.pid)
    assert len(runs.read_text().split()) == 1
    assert busy.get_stats()[node.address].njobs == 1

    assert idle.submit(square_and_parent, (7,))() == (49, node.proc.pid)
    assert node.address in idle.get_active_nodes()
    busy.destroy()
    idle.destroy()
    node.stop()
    # One handshake per client: no node was dropped and reconnected.
    assert node.stderr.count(": authenticated") == 2, node.stderr
    assert "retrying" not in capfd.readouterr().err


def test_long_job_with_short_timeouts_runs_once(nodes, servers, capfd, tmp_path, monkeypatch):
    """socket_timeout 2 s, ppd -k 2, heartbeats every 0.5 s (lost after
    2.5 s) and a job of 8 s."""
    monkeypatch.setenv("PP_HEARTBEAT_MS", "500")
    _long_job_runs_once(nodes, servers, capfd, tmp_path, 8, node_args=("-k", "2"),
                        socket_timeout=2)


def test_job_longer_than_30_s_runs_once(nodes, servers, capfd, tmp_path):
    """With every default: the connect timeout (30 s) once stayed on the
    socket and re-ran such a job forever."""
    _long_job_runs_once(nodes, servers, capfd, tmp_path, 35)


def test_wrong_secret_node_is_never_used(nodes, servers, capfd):
    # The node proves itself first: the client sees the wrong proof and
    # never sends its own, nor any job.
    node = nodes()
    srv = servers(1, ppservers=(node.address,), secret="not-the-secret")
    assert [srv.submit(square_and_parent, (i,))()[0] for i in range(20)] == [i * i for i in range(20)]
    assert srv.get_active_nodes() == {"local": 1}
    deadline = time.time() + 10
    err = ""
    while "could not prove the shared secret" not in err and time.time() < deadline:
        time.sleep(0.1)
        err += capfd.readouterr().err
    assert "Node %s" % node.address in err and "could not prove the shared secret" in err


@pytest.mark.skipif(not os.path.exists(os.path.join(TEST_DATA, "test-cert.pem")),
                    reason="no test certificate")
def test_tls_on_and_off(nodes, servers):
    tls = ["--tls-certificate", os.path.join(TEST_DATA, "test-cert.pem"),
           "--tls-key", os.path.join(TEST_DATA, "test-key.pem")]
    secure = nodes(workers=2, extra=tls)
    plain = nodes(workers=2)
    over_tls = servers(0, ppservers=(secure.address,), secret=SECRET, tls=True)
    over_tcp = servers(0, ppservers=(plain.address,), secret=SECRET)
    assert [over_tls.submit(square_and_parent, (i,))()[0] for i in range(50)] == [i * i for i in range(50)]
    assert [over_tcp.submit(square_and_parent, (i,))()[0] for i in range(50)] == [i * i for i in range(50)]

    # A plain client cannot talk to a TLS node.
    mismatched = servers(1, ppservers=(secure.address,), secret=SECRET)
    assert mismatched.submit(square_and_parent, (3,))()[0] == 9
    assert mismatched.get_active_nodes() == {"local": 1}


NETNS_CLIENT = r"""
import os, sys
import pp

def where(x):
    import socket
    return x + 1, socket.gethostname(), os.getppid()

srv = pp.Server(0, ppservers=(sys.argv[1],), secret=os.environ["PP_SECRET"])
print(sorted({j()[0] for j in [srv.submit(where, (i,)) for i in range(100)]}) == list(range(1, 101)))
srv.destroy()
"""


def _run(*cmd, check=True):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=30)


def test_two_hosts_in_network_namespaces(tmp_path):
    """ppd in one network namespace, the client in another, over a veth."""
    ip = shutil.which("ip")
    if os.geteuid() != 0 or ip is None:
        pytest.skip("network namespaces need root and iproute2")
    tag = "pp%d" % os.getpid()
    ns_node, ns_client = tag + "n", tag + "c"
    if _run(ip, "netns", "add", ns_node, check=False).returncode != 0:
        pytest.skip("this machine does not allow network namespaces")
    node_proc = None
    try:
        _run(ip, "netns", "add", ns_client)
        _run(ip, "link", "add", tag + "a", "type", "veth", "peer", "name", tag + "b")
        _run(ip, "link", "set", tag + "a", "netns", ns_node)
        _run(ip, "link", "set", tag + "b", "netns", ns_client)
        for ns, dev, addr in ((ns_node, tag + "a", "10.231.7.1/24"), (ns_client, tag + "b", "10.231.7.2/24")):
            _run(ip, "-n", ns, "addr", "add", addr, "dev", dev)
            _run(ip, "-n", ns, "link", "set", dev, "up")
            _run(ip, "-n", ns, "link", "set", "lo", "up")
        env = dict(os.environ, PP_SECRET=SECRET)
        node_proc = subprocess.Popen([ip, "netns", "exec", ns_node, _ppd_path(), "-i", "10.231.7.1",
                                      "-p", "60000", "-w", "2"],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        script = tmp_path / "client.py"
        script.write_text(NETNS_CLIENT)
        deadline = time.time() + 30
        while True:
            out = subprocess.run([ip, "netns", "exec", ns_client, sys.executable, str(script),
                                  "10.231.7.1:60000"], env=env, capture_output=True, text=True,
                                 timeout=60)
            if out.stdout.strip() == "True" or time.time() > deadline:
                break
            time.sleep(0.5)
        assert out.stdout.strip() == "True", out.stderr
    finally:
        if node_proc is not None:
            node_proc.terminate()
            try:
                node_proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node_proc.kill()
                node_proc.wait()
            node_proc.stderr.close()
        _run(ip, "netns", "del", ns_node, check=False)
        _run(ip, "netns", "del", ns_client, check=False)


def test_function_evicted_from_the_node_still_runs(nodes, servers, tmp_path, monkeypatch):
    """ppd keeps about 16 MiB of a client's definitions: after four 5 MiB
    functions the first is gone there, and the client defines it again."""
    padding = "x" * (5 << 20)
    (tmp_path / "bigfuncs.py").write_text("".join(
        "def f%d(x):\n    # %s\n    return x + %d\n\n" % (n, padding, n) for n in range(4)))
    monkeypatch.syspath_prepend(str(tmp_path))
    import bigfuncs
    node = nodes(workers=1)
    srv = servers(0, ppservers=(node.address,), secret=SECRET)
    for n in range(4):
        assert srv.submit(getattr(bigfuncs, "f%d" % n), (10,))() == 10 + n
    assert srv.submit(bigfuncs.f0, (1,))() == 1
    assert srv.submit(bigfuncs.f1, (1,))() == 2
