# tests/python/test_http.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppd over HTTP (--http-port): the API, the events WebSocket, /metrics and
the live page, through curl, a PyGObject Soup.Session, raw sockets and
headless Chromium, against real ppd processes on 127.0.0.1 that each test
starts and reaps. Every status document is validated against
docs/status.schema.json; /metrics is checked with promtool.

    PPD=_build/ppd/ppd /usr/bin/python3 -m pytest -q tests/python/test_http.py
"""

import base64
import hashlib
import hmac
import json
import os
import re
import resource
import shutil
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import PP, needs_pp
from test_ppd import PPD, SECRET, SRCDIR, Ppd, base_env, run_ppd

TIMEOUT = 30
SCHEMA_PATH = os.path.join(SRCDIR, "docs", "status.schema.json")
TOKEN = hmac.new(SECRET.encode(), b"pp-glib ppd HTTP API token v1", hashlib.sha256).hexdigest()

pytestmark = [pytest.mark.skipif(PPD is None, reason="ppd is not built (set PPD)"),
              pytest.mark.usefixtures("subreaper")]

try:
    import jsonschema
except ImportError:  # pragma: no cover
    jsonschema = None

try:
    import gi
    gi.require_version("Soup", "3.0")
    from gi.repository import GLib, Soup
except (ImportError, ValueError):  # pragma: no cover
    Soup = None


def need(tool):
    path = shutil.which(tool)
    if path is None:
        pytest.skip("%s is not installed" % tool)
    return path


def validate(document, definition=None):
    if jsonschema is None:
        pytest.skip("python3-jsonschema is not installed")
    with open(SCHEMA_PATH) as f:
        schema = json.load(f)
    if definition is not None:
        schema = {"$schema": schema["$schema"], "$defs": schema["$defs"],
                  "$ref": "#/$defs/" + definition}
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(document)


class HttpPpd(Ppd):
    """A ppd with --http-port 0; .http is its HTTP port."""

    def __init__(self, *extra, workers=2, env=None):
        super().__init__("-p", "0", "-i", "127.0.0.1", "-w", str(workers), "--no-dbus",
                         "--http-port", "0", *extra, env=env)
        self.http = int(self.wait_for(r"HTTP on https?://127\.0\.0\.1:(\d+)/").group(1))
        self.base = "http://127.0.0.1:%d" % self.http

    def rss(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            return int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1)) * 1024


@pytest.fixture
def daemon():
    started = []

    def start(*args, **kwargs):
        d = HttpPpd(*args, **kwargs)
        started.append(d)
        return d

    yield start
    for d in started:
        d.close()
        assert "CRITICAL" not in d.text() and "WARNING" not in d.text(), d.text()


@pytest.fixture
def servers():
    made = []

    def make(ppd):
        srv = PP.Server(ncpus=0, ppservers=("127.0.0.1:%d" % ppd.port,), secret=SECRET)
        made.append(srv)
        return srv

    yield make
    for srv in made:
        srv.destroy()


def tool_env():
    """The environment for curl, promtool and chromium: without the
    sanitizer runtime the suite preloads for Python under ASan."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS")}


def curl(url, *args, token=TOKEN):
    """(status, headers, body) of curl on url."""
    command = [need("curl"), "-sS", "-i", "--max-time", "10", *args]
    if token is not None:
        command += ["-H", "Authorization: Bearer " + token]
    result = subprocess.run(command + [url], capture_output=True, timeout=20, env=tool_env())
    head, _, body = result.stdout.partition(b"\r\n\r\n")
    match = re.match(rb"HTTP/\S+ (\d+)", head)
    return (int(match.group(1)) if match else None), head.decode("latin-1"), body


def curl_json(url, token=TOKEN):
    status, _, body = curl(url, token=token)
    assert status == 200, (status, body)
    return json.loads(body)


def soup_get(url, token=TOKEN):
    """(status, body) of a GET through a Soup.Session."""
    session = Soup.Session()
    message = Soup.Message.new("GET", url)
    if token is not None:
        message.get_request_headers().append("Authorization", "Bearer " + token)
    body = session.send_and_read(message, None)
    return message.get_status(), body.get_data()


def nap(t):
    import time
    time.sleep(t)
    return t


def square(x):
    return x * x


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# Token and authentication

def test_print_http_token_is_an_hmac_of_the_secret_not_the_secret():
    env_result = subprocess.run([PPD, "--print-http-token"], env=dict(base_env(), PP_SECRET=SECRET),
                                capture_output=True, text=True, timeout=TIMEOUT)
    assert env_result.returncode == 0, env_result.stderr
    assert env_result.stdout.strip() == TOKEN
    assert SECRET not in env_result.stdout
    other = subprocess.run([PPD, "--print-http-token"], env=dict(base_env(), PP_SECRET="other"),
                           capture_output=True, text=True, timeout=TIMEOUT)
    assert other.stdout.strip() != TOKEN and re.fullmatch(r"[0-9a-f]{64}\n", other.stdout)


def test_bad_http_options_are_refused():
    for args, message in ((["--http-port", "70000"], "--http-port must be between"),
                          (["--http-port", "-5"], "--http-port must be between"),
                          (["--http-address", "127.0.0.1"], "--http-address needs --http-port"),
                          (["--http-port", "0", "--http-address", "example.org"],
                           "must be an IP address")):
        result = run_ppd("-p", "0", "--no-dbus", *args)
        assert result.returncode == 2 and message in result.stderr, (args, result.stderr)


def test_401_without_or_with_a_wrong_token_logged_summed_up(daemon):
    d = daemon()
    for path in ("/api/v1/status", "/api/v1/jobs", "/api/v1/events"):
        status, head, body = curl(d.base + path, token=None)
        assert status == 401 and "WWW-Authenticate: Bearer" in head, (path, head)
        assert b"token" in json.loads(body)["error"].encode()
        assert curl(d.base + path, token="0" * 64)[0] == 401
        assert curl(d.base + path, token=TOKEN[:-1])[0] == 401
        assert curl(d.base + path, token=SECRET)[0] == 401
    if Soup is not None:
        assert soup_get(d.base + "/api/v1/status", token=None)[0] == 401
        assert soup_get(d.base + "/api/v1/status", token="nope")[0] == 401
    for _ in range(19):
        curl(d.base + "/api/v1/status", token="wrong")
    curl(d.base + "/api/v1/%0Afake%20log%20line", token="wrong")
    metrics = curl(d.base + "/metrics", token=None)[2].decode()
    expected = 3 * 4 + (2 if Soup is not None else 0) + 20
    assert re.search(r"^ppd_http_auth_failures_total %d$" % expected, metrics, re.M), metrics
    assert len(re.findall(r"HTTP: 401 for", d.text())) == 5, d.text()
    assert "more are summed up" in d.text()
    assert not re.search(r"^fake log line", d.text(), re.M)
    # The page holds no data: it loads without a token.
    assert curl(d.base + "/", token=None)[0] == 200


# ---------------------------------------------------------------------------
# The documents

@needs_pp
def test_status_and_jobs_are_schema_valid_and_tell_no_secrets(daemon, servers):
    d = daemon()
    status = curl_json(d.base + "/api/v1/status")
    validate(status)
    validate(status, "node")
    assert status["kind"] == "node" and status["pid"] == d.proc.pid and status["port"] == d.port
    assert status["announce_name"] is None and len(status["workers"]) == 2
    assert all(w["rss"] > 0 and w["cpu_time"] >= 0 for w in status["workers"])

    srv = servers(d)
    assert [j() for j in [srv.submit(square, (i,)) for i in range(20)]] == \
        [i * i for i in range(20)]
    # A client sends a node as many jobs as it has workers: two clients
    # make it queue some.
    other = servers(d)
    long_jobs = [srv.submit(nap, (3,)) for _ in range(2)] + [other.submit(nap, (3,))
                                                             for _ in range(2)]

    def busy():
        s = curl_json(d.base + "/api/v1/status")
        return len([w for w in s["workers"] if w["state"] == "busy"]) == 2 and \
            s["queue"]["queued"] == 2
    wait_until(busy, what="two busy workers and two queued jobs")
    status = curl_json(d.base + "/api/v1/status")
    validate(status)
    running = [w for w in status["workers"] if w["job"] is not None]
    assert running and all(w["function"] == "nap" for w in running)
    assert status["counters"]["jobs_done"] >= 20
    assert status["counters"]["bytes_in"] > 0 and status["counters"]["bytes_out"] > 0
    assert len(status["clients"]) == 2 and max(c["jobs_done"] for c in status["clients"]) >= 20

    queued = curl_json(d.base + "/api/v1/jobs?state=queued")
    assert queued["state"] == "queued" and [j["function"] for j in queued["jobs"]] == ["nap"] * 2
    assert queued["jobs"][0]["client"].startswith("127.0.0.1:")
    running_jobs = curl_json(d.base + "/api/v1/jobs?state=running")["jobs"]
    assert len(running_jobs) == 2 and all(j["worker"] for j in running_jobs)
    done = curl_json(d.base + "/api/v1/jobs?state=done&limit=5")["jobs"]
    assert len(done) == 5 and all(j["state"] == "done" and j["run_time"] >= 0 for j in done)
    assert [j["finished"] for j in done] == sorted((j["finished"] for j in done), reverse=True)
    for listing in (queued, curl_json(d.base + "/api/v1/jobs?state=running"),
                    curl_json(d.base + "/api/v1/jobs?state=done&limit=1000")):
        validate(listing, "jobs")
    everything = json.dumps([queued, running_jobs, done])
    for word in ("time.sleep", "def ", "return", "args", "result", "output"):
        assert word not in everything
    assert set(done[0]) == {"id", "state", "function", "group", "client", "worker", "started",
                            "finished", "wait_time", "run_time"}
    for query in ("state=lost", "limit=0", "limit=1001", "limit=x", "state=", "state=%zz"):
        status_code, _, body = curl(d.base + "/api/v1/jobs?" + query)
        assert status_code == 400, query
        assert query == "state=%zz" or json.loads(body)["error"], query

    if Soup is not None:
        code, body = soup_get(d.base + "/api/v1/status")
        assert code == 200
        validate(json.loads(body))
    for job in long_jobs:
        assert job() == 3


BLOCK_SOURCE = ("def block(path):\n"
                "    import os, time\n"
                "    while not os.path.exists(path):\n"
                "        time.sleep(0.02)\n"
                "    return 1\n")


@needs_pp
def test_queued_jobs_of_dbus_and_tcp_clients_are_all_listed(servers, tmp_path):
    """/api/v1/jobs?state=queued lists every queued job of the node, in
    the order they will run: those submitted over D-Bus (client null) as
    well as a TCP client's."""
    from test_dbus import Bus, Ppd as BusPpd, gdbus_call, gdbus_submit
    go = tmp_path / "go"
    bus = Bus()
    try:
        d = BusPpd(bus, workers=1, secret=SECRET, extra=("--http-port", "0"))
        try:
            base = "http://127.0.0.1:%d" % int(
                d.wait_for(r"HTTP on http://127\.0\.0\.1:(\d+)/").group(1))
            # One group of control characters (json-glib writes U+001F
            # raw), quotes and non-ASCII: every document stays valid JSON.
            groups = ["g0", "g1", "g2\x1f\x01\"\\\u00fc\u2028", "g3"]
            ids = [gdbus_submit(bus, BLOCK_SOURCE, "block", [str(go)], group=group)
                   for group in groups]
            srv = PP.Server(ncpus=0, ppservers=("127.0.0.1:%d" % d.port,), secret=SECRET)
            try:
                tcp_job = srv.submit(square, (7,))
                wait_until(lambda: curl_json(base + "/api/v1/status")["queue"]["queued"] == 4,
                           what="3 D-Bus jobs and a TCP client's queued")
                listing = curl_json(base + "/api/v1/jobs?state=queued")
                validate(listing, "jobs")
                jobs = listing["jobs"]
                assert [j["function"] for j in jobs] == ["block"] * 3 + ["square"], jobs
                assert [j["group"] for j in jobs[:3]] == groups[1:]
                assert [j["client"] for j in jobs[:3]] == [None] * 3
                assert jobs[3]["client"].startswith("127.0.0.1:")
                assert all(j["state"] == "queued" and j["worker"] is None and
                           j["started"] is None for j in jobs)
                assert [j["id"] for j in jobs] == sorted(j["id"] for j in jobs)
                running = curl_json(base + "/api/v1/jobs?state=running")["jobs"]
                assert [(j["function"], j["group"], j["client"]) for j in running] == \
                    [("block", "g0", None)]
                assert curl_json(base + "/api/v1/jobs?state=queued&limit=2")["jobs"] == jobs[:2]

                go.touch()
                assert tcp_job() == 49
                for job_id in ids:
                    (state,) = gdbus_call(bus, "WaitJob", str(job_id))
                    assert state["state"] == "done", state
                assert curl_json(base + "/api/v1/jobs?state=queued")["jobs"] == []
                done = curl_json(base + "/api/v1/jobs?state=done")["jobs"]
                assert sorted(j["group"] for j in done if j["function"] == "block") == \
                    sorted(groups)
            finally:
                srv.destroy()
        finally:
            d.close()
    finally:
        bus.close()


@needs_pp
def test_dbus_get_status_says_what_http_says(servers):
    from test_dbus import Bus, Ppd as BusPpd, gdbus_call
    bus = Bus()
    try:
        d = BusPpd(bus, workers=2, secret=SECRET, extra=("--http-port", "0"))
        try:
            http = int(d.wait_for(r"HTTP on http://127\.0\.0\.1:(\d+)/").group(1))
            (text,) = gdbus_call(bus, "GetStatus")
            over_dbus = json.loads(text)
            validate(over_dbus)
            over_http = curl_json("http://127.0.0.1:%d/api/v1/status" % http)
            for key in ("kind", "version", "pid", "port", "library_version", "announce_name"):
                assert over_dbus[key] == over_http[key]
            assert {w["pid"] for w in over_dbus["workers"]} == \
                {w["pid"] for w in over_http["workers"]}
        finally:
            d.close()
    finally:
        bus.close()


@needs_pp
def test_a_dbus_job_has_one_id_everywhere(tmp_path):
    """A job submitted over D-Bus has one id: Submit's reply, JobStarted,
    JobFinished, ListWorkers, GetStatus's worker, /api/v1/jobs (queued,
    running, done) and the WebSocket events all tell it. A TCP client's
    job (numbered by the same pool, here before the D-Bus ones) is no job
    to a D-Bus caller: GetJob, WaitJob and CancelJob answer as for an id
    never given."""
    if Soup is None:
        pytest.skip("gir1.2-soup-3.0 is not installed")
    from test_dbus import Bus, Monitor, Ppd as BusPpd, gdbus_call, gdbus_error, gdbus_submit
    go = tmp_path / "go"
    bus = Bus()
    try:
        d = BusPpd(bus, workers=1, secret=SECRET, extra=("--http-port", "0"))
        mon = Monitor(bus)
        events = None
        try:
            base = "http://127.0.0.1:%d" % int(
                d.wait_for(r"HTTP on http://127\.0\.0\.1:(\d+)/").group(1))
            events = SoupEvents(base)
            assert events.error is None, events.error
            srv = PP.Server(ncpus=0, ppservers=("127.0.0.1:%d" % d.port,), secret=SECRET)
            try:
                assert srv.submit(square, (7,))() == 49
            finally:
                srv.destroy()
            (tcp,) = curl_json(base + "/api/v1/jobs?state=done")["jobs"]
            assert tcp["client"].startswith("127.0.0.1:"), tcp

            running_id, queued_id = (gdbus_submit(bus, BLOCK_SOURCE, "block", [str(go)], group=g)
                                     for g in ("first", "second"))
            assert tcp["id"] < running_id < queued_id
            assert mon.wait_signal("JobStarted", lambda a: a[0] == running_id)[0] == running_id
            queued = curl_json(base + "/api/v1/jobs?state=queued")["jobs"]
            assert [(j["id"], j["group"]) for j in queued] == [(queued_id, "second")], queued
            running = curl_json(base + "/api/v1/jobs?state=running")["jobs"]
            assert [(j["id"], j["group"]) for j in running] == [(running_id, "first")], running
            worker = running[0]["worker"]
            status = json.loads(gdbus_call(bus, "GetStatus")[0])
            validate(status)
            assert [(w["pid"], w["job"]) for w in status["workers"]] == [(worker, running_id)]
            assert [(w[0], w[2]) for w in gdbus_call(bus, "ListWorkers")[0]] == \
                [(worker, running_id)]
            assert gdbus_call(bus, "GetJob", str(queued_id))[0]["state"] == "queued"

            # The TCP client's id is unknown on D-Bus, word for word as an
            # id never given.
            for method in ("GetJob", "WaitJob", "CancelJob"):
                unknown = [gdbus_error(bus, method, str(job_id)) for job_id in (tcp["id"], 999999)]
                assert unknown[0][0] == unknown[1][0] == "org.ppglib.Ppd1.Error.UnknownJob"
                assert unknown[0][1].replace("No job %d:" % tcp["id"], "No job N:") == \
                    unknown[1][1].replace("No job 999999:", "No job N:"), unknown

            go.touch()
            for job_id in (running_id, queued_id):
                assert gdbus_call(bus, "WaitJob", str(job_id))[0]["state"] == "done"
            for job_id in (running_id, queued_id):
                mon.wait_signal("JobStarted", lambda a: a[0] == job_id)
                assert mon.wait_signal("JobFinished", lambda a: a[0] == job_id)[1] is True
            done = curl_json(base + "/api/v1/jobs?state=done")["jobs"]
            assert sorted((j["id"], j["group"]) for j in done if j["function"] == "block") == \
                [(running_id, "first"), (queued_id, "second")], done
            events.pump(lambda: sum(m["type"] == "job-finished" for m in events.messages) >= 3)
            told = [(m["type"], m["job"], m["group"]) for m in events.messages
                    if m["type"] in ("job-started", "job-finished") and m["function"] == "block"]
            assert sorted(told) == sorted((kind, job_id, group)
                                          for kind in ("job-started", "job-finished")
                                          for job_id, group in ((running_id, "first"),
                                                                (queued_id, "second"))), told
        finally:
            if events is not None:
                events.close()
            mon.close()
            d.close()
    finally:
        bus.close()


@needs_pp
def test_metrics_pass_promtool_and_need_no_token_on_loopback(daemon, servers):
    promtool = need("promtool")
    d = daemon()
    srv = servers(d)
    jobs = [srv.submit(square, (i,)) for i in range(50)] + [srv.submit(nap, ("x",))]
    for job in jobs[:-1]:
        job()
    with pytest.raises(Exception):
        jobs[-1]()
    status, head, body = curl(d.base + "/metrics", token=None)
    assert status == 200 and "text/plain; version=0.0.4" in head
    text = body.decode()
    check = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                           timeout=TIMEOUT, env=tool_env())
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r'^ppd_jobs_total\{state="done"\} 50$', text, re.M), text
    assert re.search(r'^ppd_jobs_total\{state="failed"\} 1$', text, re.M), text
    assert re.search(r'^ppd_job_duration_seconds_count 51$', text, re.M), text
    assert re.search(r'^ppd_job_duration_seconds_bucket\{le="\+Inf"\} 51$', text, re.M)
    assert re.search(r'^ppd_function_jobs_total\{function="square",state="done"\} 50$', text, re.M)
    assert re.search(r'^ppd_workers\{state="idle"\} 2$', text, re.M), text
    for family in ("ppd_queue_length", "ppd_clients", "ppd_received_bytes_total",
                   "ppd_sent_bytes_total", "ppd_http_auth_failures_total", "ppd_uptime_seconds"):
        assert re.search(r"^%s " % family, text, re.M), family
    assert "job=" not in text and "id=" not in text


def test_function_labels_are_capped(daemon):
    """Twenty names at most, the others "other": a client inventing names
    cannot grow /metrics."""
    if PP is None:
        pytest.skip("pp is not importable")
    d = daemon()
    srv = PP.Server(ncpus=0, ppservers=("127.0.0.1:%d" % d.port,), secret=SECRET)
    try:
        namespace = {}
        for i in range(30):
            exec("def f%d(x):\n    return x\n" % i, namespace)
        for job in [srv.submit(namespace["f%d" % i], (i,)) for i in range(30)]:
            job()
    finally:
        srv.destroy()
    text = curl(d.base + "/metrics", token=None)[2].decode()
    names = set(re.findall(r'ppd_function_jobs_total\{function="([^"]*)",state="done"\}', text))
    assert len(names) == 21 and "other" in names, names
    assert re.search(r'function="other",state="done"\} 10$', text, re.M)


# ---------------------------------------------------------------------------
# The events WebSocket

class SoupEvents:
    """The events through a Soup.Session WebSocket, in a main context of
    its own."""

    def __init__(self, base, token=TOKEN, origin=None):
        self.context = GLib.MainContext.new()
        self.context.push_thread_default()
        self.messages, self.error, self.ws, self.closed = [], None, None, False
        session = Soup.Session()
        message = Soup.Message.new("GET", base.replace("http", "ws") + "/api/v1/events")
        if token is not None:
            message.get_request_headers().append("Authorization", "Bearer " + token)
        session.websocket_connect_async(message, origin, None, GLib.PRIORITY_DEFAULT, None,
                                        self._connected, None)
        self.session, self.message = session, message
        self.pump(lambda: self.ws is not None or self.error is not None)

    def _connected(self, session, result, data):
        try:
            self.ws = session.websocket_connect_finish(result)
        except GLib.Error as e:
            self.error = e
            return
        self.ws.connect("message", lambda ws, kind, data: self.messages.append(
            json.loads(data.get_data().decode())))
        self.ws.connect("closed", lambda ws: setattr(self, "closed", True))

    def pump(self, predicate, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("timed out; %d messages" % len(self.messages))
            self.context.iteration(False) or time.sleep(0.005)

    def close(self):
        if self.ws is not None and not self.closed:
            self.ws.close(1000, None)
            self.pump(lambda: self.closed, timeout=5)
        self.context.pop_thread_default()


@needs_pp
def test_events_of_1000_jobs_arrive_in_order_without_gap(daemon, servers):
    if Soup is None:
        pytest.skip("gir1.2-soup-3.0 is not installed")
    d = daemon()
    events = SoupEvents(d.base)
    try:
        assert events.error is None, events.error
        events.pump(lambda: events.messages)
        hello = events.messages[0]
        assert hello["type"] == "hello" and hello["version"] == 1
        srv = servers(d)
        jobs = [srv.submit(square, (i,)) for i in range(1000)]
        assert [job() for job in jobs] == [i * i for i in range(1000)]
        events.pump(lambda: sum(m["type"] == "job-finished" for m in events.messages) >= 1000)
        srv.destroy()
        events.pump(lambda: any(m["type"] == "client-left" for m in events.messages))
    finally:
        events.close()
    for message in events.messages:
        validate(message, "event")
    seqs = [m["seq"] for m in events.messages]
    assert seqs == list(range(hello["seq"], hello["seq"] + len(seqs))), "a gap or disorder"
    kinds = [m["type"] for m in events.messages[1:]]
    assert kinds[0] == "client-connected" and kinds[-1] == "client-left"
    started = [m["job"] for m in events.messages if m["type"] == "job-started"]
    finished = [m for m in events.messages if m["type"] == "job-finished"]
    assert len(started) == 1000 and len(finished) == 1000
    assert len(set(started)) == 1000 and {m["job"] for m in finished} == set(started)
    position = {m["job"]: i for i, m in enumerate(events.messages) if m["type"] == "job-started"}
    for i, m in enumerate(events.messages):
        if m["type"] == "job-finished":
            assert position[m["job"]] < i and m["state"] == "done" and m["function"] == "square"
    assert all(m["client"].startswith("127.0.0.1:") for m in finished)


def test_events_check_the_origin_and_the_token(daemon):
    websocket = pytest.importorskip("websocket")
    d = daemon()
    url = "ws://127.0.0.1:%d/api/v1/events" % d.http
    auth = ["Authorization: Bearer " + TOKEN]
    for kwargs, code in (({"header": auth, "origin": "http://evil.example"}, 403),
                         ({"header": auth, "origin": "http://127.0.0.1:1"}, 403),
                         ({}, 401),
                         ({"subprotocols": ["pp-glib.events.v1", "bearer.x"]}, 401)):
        with pytest.raises(websocket.WebSocketBadStatusException) as info:
            websocket.create_connection(url, timeout=10, **kwargs)
        assert info.value.status_code == code, kwargs
    # The page's way: its own origin, the token as a subprotocol.
    ws = websocket.create_connection(url, timeout=10, origin="http://127.0.0.1:%d" % d.http,
                                     subprotocols=["pp-glib.events.v1", "bearer." + TOKEN])
    try:
        assert json.loads(ws.recv())["type"] == "hello"
    finally:
        ws.close()


def raw_websocket(port, rcvbuf=4096):
    """A WebSocket handshake by hand on a socket with a small receive
    buffer, that will then never be read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(("GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                  "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                  "Authorization: Bearer %s\r\n\r\n" % (port, key, TOKEN)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


@needs_pp
def test_a_reader_that_stops_reading_is_dropped_and_memory_stays_bounded(daemon, servers):
    env = base_env()
    if "ASAN_OPTIONS" in env:
        # ASan keeps freed memory aside (256 MB by default): RSS would
        # measure its quarantine, not ppd.
        env["ASAN_OPTIONS"] += ":quarantine_size_mb=4:thread_local_quarantine_size_kb=64"
    d = daemon(env=env)
    sock = raw_websocket(d.http)
    try:
        srv = servers(d)
        srv.submit(square, (0,))()
        before = d.rss()
        peak = before
        # ppd keeps 4 MiB at most for a reader (some 25,000 events); 2 per job
        for _ in range(40):
            jobs = [srv.submit(square, (i,)) for i in range(1000)]
            assert [job() for job in jobs] == [i * i for i in range(1000)]
            peak = max(peak, d.rss())
            if "reader too slow" in d.text():
                break
        d.wait_for(r"closing the events of 127\.0\.0\.1: reader too slow: \d+ bytes of events behind")
        assert peak - before < 40 * 1024 * 1024, (before, peak)
        text = curl(d.base + "/metrics", token=None)[2].decode()
        assert re.search(r"^ppd_http_event_readers_dropped_total 1$", text, re.M), text
        wait_until(lambda: re.search(r"^ppd_http_event_readers 0$",
                                     curl(d.base + "/metrics", token=None)[2].decode(), re.M),
                   what="the dropped reader to be gone")
    finally:
        sock.close()


# ---------------------------------------------------------------------------
# Hostile clients

@needs_pp
def test_hostile_requests_get_4xx_or_closed_while_jobs_keep_flowing(daemon, servers):
    d = daemon()
    srv = servers(d)
    stop = threading.Event()
    done = []

    def keep_submitting():
        while not stop.is_set():
            done.append(srv.submit(square, (3,))())

    worker = threading.Thread(target=keep_submitting)
    worker.start()
    slow = socket.create_connection(("127.0.0.1", d.http))
    slow_closed = []

    def slowloris():
        start = time.monotonic()
        try:
            for byte in b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n" * 10:
                slow.send(bytes([byte]))
                time.sleep(1)
                if time.monotonic() - start > 20:
                    return
        except OSError:
            slow_closed.append(time.monotonic() - start)

    loris = threading.Thread(target=slowloris)
    loris.start()
    # A keep-alive connection left idle after one request is closed too.
    idle = socket.create_connection(("127.0.0.1", d.http))
    idle.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(65536).startswith(b"HTTP/1.1 200")
    try:
        # 64 KiB of headers
        status, _, _ = curl(d.base + "/api/v1/status", "-H", "X-Big: " + "a" * 65536)
        assert status is None or 400 <= status < 500, status
        # unknown paths and methods
        assert curl(d.base + "/nope")[0] == 404
        assert curl(d.base + "/api/v2/status")[0] == 404
        for method in ("POST", "PUT", "DELETE", "PATCH", "BREW"):
            status, head, _ = curl(d.base + "/api/v1/status", "-X", method)
            assert status == 405 and "Allow: GET, HEAD" in head, (method, status)
        # 1,000 connections at once
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
        crowd = []
        try:
            for _ in range(1000):
                crowd.append(socket.create_connection(("127.0.0.1", d.http), timeout=10))
            closed = 0
            for s in crowd:
                s.settimeout(0.01)
                try:
                    closed += s.recv(1) == b""
                except socket.timeout:
                    pass
                except OSError:
                    closed += 1
            assert closed >= 900, closed          # 32 per address at most
            n = len(done)
            wait_until(lambda: len(done) > n + 50, what="jobs to flow during the crowd")
        finally:
            for s in crowd:
                s.close()
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        wait_until(lambda: curl(d.base + "/api/v1/status")[0] == 200,
                   what="the status to be served again")
        loris.join(25)
        assert slow_closed and slow_closed[0] < 15, slow_closed
        idle.settimeout(10)
        while True:                  # what is left of the response, then the end
            if not idle.recv(65536):
                break
    finally:
        stop.set()
        worker.join(TIMEOUT)
        slow.close()
        idle.close()
    assert len(done) > 100 and set(done) == {9}
    text = curl(d.base + "/metrics", token=None)[2].decode()
    assert int(re.search(r"^ppd_http_refused_connections_total (\d+)$", text, re.M).group(1)) >= 900


# ---------------------------------------------------------------------------
# TLS and the configuration file

def test_tls_with_the_pp_ports_certificate_and_http_port_from_the_config_file(daemon, tmp_path):
    data = os.path.join(SRCDIR, "tests", "data")
    config = tmp_path / "ppd.conf"
    config.write_text("[network]\nhttp_port = 0\n")
    d = Ppd("-p", "0", "-i", "127.0.0.1", "-w", "1", "--no-dbus", "-c", str(config),
            "--tls-certificate", os.path.join(data, "test-cert.pem"),
            "--tls-key", os.path.join(data, "test-key.pem"))
    try:
        port = int(d.wait_for(r"HTTP on https://127\.0\.0\.1:(\d+)/").group(1))
        status, _, body = curl("https://127.0.0.1:%d/api/v1/status" % port, "-k")
        assert status == 200
        document = json.loads(body)
        validate(document)
        assert document["tls"] is True
        assert curl("http://127.0.0.1:%d/api/v1/status" % port)[0] != 200
        websocket = pytest.importorskip("websocket")
        ws = websocket.create_connection("wss://127.0.0.1:%d/api/v1/events" % port, timeout=10,
                                         header=["Authorization: Bearer " + TOKEN],
                                         origin="https://127.0.0.1:%d" % port,
                                         sslopt={"cert_reqs": ssl.CERT_NONE})
        try:
            assert json.loads(ws.recv())["type"] == "hello"
        finally:
            ws.close()
    finally:
        d.close()


# ---------------------------------------------------------------------------
# The live page in headless Chromium

def artifact_dir():
    root = os.environ.get("G_TEST_BUILDDIR") or os.path.join(SRCDIR, "_build", "tests")
    path = os.path.join(root, "artifacts")
    os.makedirs(path, exist_ok=True)
    return path


@needs_pp
def test_the_page_shows_a_running_job_in_a_lane(daemon, servers, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed")
    d = daemon()
    srv = servers(d)
    assert [j() for j in [srv.submit(square, (i,)) for i in range(200)]][-1] == 199 * 199
    job = srv.submit(nap, (25,))
    wait_until(lambda: any(w["state"] == "busy" for w in
                           curl_json(d.base + "/api/v1/status")["workers"]),
               what="a busy worker")
    url = d.base + "/#token=" + TOKEN
    flags = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--disable-dev-shm-usage", "--user-data-dir=" + str(tmp_path / "profile"),
             "--window-size=1100,700", "--virtual-time-budget=5000"]
    dom = subprocess.run(flags + ["--dump-dom", url], capture_output=True, text=True, timeout=90,
                         env=tool_env())
    assert 'class="lane busy"' in dom.stdout, dom.stdout[-3000:] + dom.stderr[-2000:]
    assert "nap()" in dom.stdout
    screenshot = os.path.join(artifact_dir(), "http-page.png")
    if os.path.exists(screenshot):
        os.unlink(screenshot)
    shot = subprocess.run(flags + ["--screenshot=" + screenshot, url], capture_output=True,
                          text=True, timeout=90, env=tool_env())
    assert os.path.getsize(screenshot) > 10000, shot.stderr[-2000:]


def test_ppd_stops_cleanly_with_http_clients_open(daemon):
    """SIGTERM with an event reader, an idle connection and a half-sent
    request open: ppd closes them and exits 0 (under ASan: with no
    report)."""
    websocket = pytest.importorskip("websocket")
    d = daemon()
    ws = websocket.create_connection("ws://127.0.0.1:%d/api/v1/events" % d.http, timeout=10,
                                     header=["Authorization: Bearer " + TOKEN])
    idle = socket.create_connection(("127.0.0.1", d.http))
    half = socket.create_connection(("127.0.0.1", d.http))
    half.sendall(b"GET /api/v1/status HTTP/1.1\r\nHost: x\r\n")
    try:
        assert json.loads(ws.recv())["type"] == "hello"
        assert d.stop() == 0, d.text()
        with pytest.raises(Exception):
            while True:
                ws.recv()       # the close frame, then nothing
        assert idle.recv(1) == b""
    finally:
        ws.close()
        idle.close()
        half.close()
    assert "Stopped" in d.text()


def test_the_schema_checks_producers():
    """The client document of the status contract is valid; a key too many,
    one missing or a wrong kind is not."""
    client = {
        "kind": "client", "version": 1, "library_version": "0.1.0", "program": "sum_primes.py",
        "pid": 1234, "uptime": 12.5, "ncpus": 2,
        "nodes": [{"name": "local", "local": True, "discovered": False, "host": None, "port": 0,
                   "tls": False, "state": "ready", "ncpus": 2, "busy": 0, "held": 0,
                   "jobs_done": 10, "jobs_failed": 0, "job_time": 1.25, "last_error": None}],
        "queue": {"queued": 0, "running": 0, "groups": [{"group": "default", "active": 3}]},
        "stats": [{"node": "local", "ncpus": 2, "jobs": 10, "time": 1.25, "time_per_job": 0.125,
                   "active": 0}],
    }
    validate(client)
    validate(client, "client")
    for broken in (dict(client, extra=1), {k: v for k, v in client.items() if k != "ncpus"},
                   dict(client, kind="node"), dict(client, pid="1234"),
                   dict(client, nodes=[dict(client["nodes"][0], host=3)])):
        with pytest.raises(jsonschema.ValidationError):
            validate(broken)


def client_frame(opcode, payload=b"", masked=True, length=None):
    """A WebSocket frame as a client sends it (masked)."""
    n = len(payload) if length is None else length
    head = bytes([0x80 | opcode])
    if n < 126:
        head += bytes([(0x80 if masked else 0) | n])
    else:
        head += bytes([(0x80 if masked else 0) | 126]) + n.to_bytes(2, "big")
    if not masked:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frames(sock, until, timeout=10):
    """Server frames (opcode, payload) read until until(frames) or the end."""
    sock.settimeout(timeout)
    data, frames = b"", []
    while not until(frames):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while len(data) >= 2:
            n, start = data[1] & 0x7f, 2
            if n == 126:
                n, start = int.from_bytes(data[2:4], "big"), 4
            elif n == 127:
                n, start = int.from_bytes(data[2:10], "big"), 10
            if len(data) < start + n:
                break
            frames.append((data[0] & 0x0f, data[start:start + n]))
            data = data[start + n:]
    return frames


def test_the_websocket_answers_pings_and_closes_and_refuses_bad_frames(daemon):
    d = daemon()
    sock = raw_websocket(d.http, rcvbuf=65536)
    try:
        sock.sendall(client_frame(0x9, b"are you there"))
        frames = read_frames(sock, lambda f: any(op == 0xa for op, _ in f))
        assert json.loads(frames[0][1])["type"] == "hello"
        assert (0xa, b"are you there") in frames
        sock.sendall(client_frame(0x8, (1000).to_bytes(2, "big") + b"bye"))
        frames = read_frames(sock, lambda f: any(op == 0x8 for op, _ in f))
        assert frames[-1][0] == 0x8 and frames[-1][1][:2] == (1000).to_bytes(2, "big")
        assert sock.recv(1) == b""
    finally:
        sock.close()
    for bad, code in ((client_frame(0x1, b"hi", masked=False), 1002),
                      (client_frame(0x1, b"x" * 200), 1009)):
        sock = raw_websocket(d.http, rcvbuf=65536)
        try:
            sock.sendall(bad)
            frames = read_frames(sock, lambda f: any(op == 0x8 for op, _ in f))
            assert frames[-1][0] == 0x8, frames
            assert int.from_bytes(frames[-1][1][:2], "big") == code
        finally:
            sock.close()
    wait_until(lambda: re.search(r"^ppd_http_event_readers 0$",
                                 curl(d.base + "/metrics", token=None)[2].decode(), re.M),
               what="the readers to be gone")


def test_at_most_16_event_readers(daemon):
    d = daemon()
    readers = [raw_websocket(d.http, rcvbuf=65536) for _ in range(16)]
    try:
        extra = raw_websocket(d.http, rcvbuf=65536)
        try:
            frames = read_frames(extra, lambda f: any(op == 0x8 for op, _ in f))
            assert frames and frames[-1][0] == 0x8
            assert int.from_bytes(frames[-1][1][:2], "big") == 1013
            assert b"too many event readers" in frames[-1][1]
        finally:
            extra.close()
        for sock in readers:
            assert json.loads(read_frames(sock, lambda f: f)[0][1])["type"] == "hello"
    finally:
        for sock in readers:
            sock.close()


@needs_pp
def test_a_reader_that_never_sends_outlives_the_idle_timeout(daemon, servers):
    """An events reader that only reads (as the live page does) stays
    connected past the HTTP idle timeout (30 s), which is for requests."""
    d = daemon(workers=1)
    sock = raw_websocket(d.http, rcvbuf=1 << 16)
    try:
        frames = read_frames(sock, lambda f: len(f) >= 1)
        assert json.loads(frames[0][1])["type"] == "hello"
        time.sleep(33)
        srv = servers(d)
        assert srv.submit(square, (5,))() == 25

        def job_finished(frames):
            return any(op == 0x1 and json.loads(p)["type"] == "job-finished" for op, p in frames)
        frames = read_frames(sock, job_finished)
        assert [op for op, _ in frames if op != 0x1] == [], frames
        assert job_finished(frames), frames
    finally:
        sock.close()


def test_idle_connections_from_many_addresses_do_not_lock_the_port(daemon):
    """Found by tests/stress/abuse.py: 256 idle connections (8 from each of 40
    addresses, under the per-address limit) used to keep every newcomer out
    until they timed out. A newcomer now takes the place of the one that has
    waited longest for its request; an event reader is never cut."""
    d = daemon()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    # An event reader (a WebSocket) is never displaced.
    reader = raw_websocket(d.http, rcvbuf=65536)
    crowd = []
    try:
        for i in range(320):
            s = socket.socket()
            s.bind(("127.77.%d.%d" % (i // 8 // 200, i // 8 % 200 + 2), 0))
            s.connect(("127.0.0.1", d.http))
            crowd.append(s)
        for _ in range(3):
            status, _, body = curl(d.base + "/metrics", token=None)
            assert status == 200 and b"ppd_http_connections" in body, status
        closed = 0
        for s in crowd[:64]:          # the oldest made room
            s.settimeout(5)
            try:
                closed += s.recv(1) == b""
            except OSError:
                closed += 1
        assert closed == 64, closed
        connections = int(re.search(r"^ppd_http_connections (\d+)$",
                                    curl(d.base + "/metrics", token=None)[2].decode(),
                                    re.M).group(1))
        assert connections <= 256, connections
        assert re.search(r"^ppd_http_event_readers 1$",
                         curl(d.base + "/metrics", token=None)[2].decode(), re.M)
    finally:
        for s in crowd:
            s.close()
        reader.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
