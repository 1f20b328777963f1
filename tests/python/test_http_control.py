# tests/python/test_http_control.py
#
# Copyright 2026 The pp-glib developers
#
# SPDX-License-Identifier: LGPL-2.1-or-later
"""ppd's one HTTP write, POST /api/v1/workers {"workers": N}: the token,
the Origin, the method, the body (JSON, small, one integer member within
ppd's limits), and a worker count that changes the node (read back from
/api/v1/status and the events WebSocket), against real ppd processes on
127.0.0.1 that each test starts and reaps.

    PPD=_build/ppd/ppd /usr/bin/python3 -m pytest -q tests/python/test_http_control.py
"""

import json
import socket

import pytest

from test_http import TOKEN, curl, curl_json, daemon, wait_until  # noqa: F401 (fixture)
from test_ppd import PPD, base_env

pytestmark = [pytest.mark.skipif(PPD is None, reason="ppd is not built (set PPD)"),
              pytest.mark.usefixtures("subreaper")]

PATH = "/api/v1/workers"


def post(d, body, *extra, token=TOKEN, content_type="application/json"):
    """(status, headers, parsed JSON body) of a POST of body (bytes or str)."""
    args = ["-X", "POST", "--data-binary", "@-" if body is None else body, *extra]
    if content_type is not None:
        args += ["-H", "Content-Type: " + content_type]
    status, head, raw = curl(d.base + PATH, *args, token=token)
    return status, head, (json.loads(raw) if raw else None)


def worker_count(d):
    return len(curl_json(d.base + "/api/v1/status")["workers"])


def test_401_without_or_with_a_wrong_token_and_nothing_changes(daemon):
    d = daemon(workers=2)
    for token in (None, "0" * 64, TOKEN[:-1]):
        status, head, body = post(d, '{"workers": 3}', token=token)
        assert status == 401 and "WWW-Authenticate: Bearer" in head, (token, status, head)
        assert "token" in body["error"]
    # A token in a cookie is no token.
    status, _, _ = post(d, '{"workers": 3}', "-H", "Cookie: token=" + TOKEN, token=None)
    assert status == 401
    assert worker_count(d) == 2
    assert "authentication" in d.text() or "token" in d.text()


def test_400_for_bad_bodies_with_the_reason(daemon):
    d = daemon(workers=2)
    cases = {
        "": "JSON object",
        "workers=3": "not JSON",
        "[3]": "JSON object",
        "3": "JSON object",
        "null": "JSON object",
        "{}": "one member",
        '{"workers": 3, "extra": 1}': "one member",
        '{"Workers": 3}': "one member",
        '{"workers": "3"}': "integer",
        '{"workers": 3.5}': "integer",
        '{"workers": true}': "integer",
        '{"workers": null}': "integer",
        '{"workers": [3]}': "integer",
        '{"workers": 0}': "between 1 and 4096",
        '{"workers": -1}': "between 1 and 4096",
        '{"workers": 4097}': "between 1 and 4096",
        '{"workers": 99999999999999999999}': "",
        '{"workers": 3': "not JSON",
        b'{"workers": "\xff"}': "JSON object",
        # JSON-GLib would take the first value (3 workers) and leak the rest.
        '{"workers": 3}{"x": 1}': "not JSON",
        '{"workers": 3} 5': "not JSON",
        '{"workers": "\\ud800"}': "not JSON",
    }
    for body, reason in cases.items():
        status, head, answer = post(d, body)
        assert status == 400, (body, status, answer)
        assert "application/json" in head and reason in answer["error"], (body, answer)
    assert worker_count(d) == 2


def test_wrong_method_type_size_and_origin_are_refused(daemon):
    d = daemon(workers=2)
    for method in ("GET", "PUT", "DELETE"):
        status, head, _ = curl(d.base + PATH, "-X", method)
        assert status == 405 and "Allow: POST" in head, (method, status, head)
    status, _, answer = post(d, '{"workers": 3}', content_type="text/plain")
    assert status == 415 and "application/json" in answer["error"]
    status, _, answer = post(d, '{"workers": 3}', content_type=None)
    assert status == 415
    status, _, answer = post(d, '{"workers": 3}' + " " * 2000)
    assert status == 413 and "too large" in answer["error"]
    status, _, answer = post(d, '{"workers": 3}', "-H", "Origin: http://evil.example")
    assert status == 403 and "Origin" in answer["error"]
    # Chunked: no Content-Length, no body read.
    status, _, answer = post(d, '{"workers": 3}', "-H", "Transfer-Encoding: chunked")
    assert status == 411
    assert worker_count(d) == 2


def test_a_huge_refused_body_is_not_kept(daemon):
    """A refused request's body is read (HTTP/1.1 has to) but not kept: 200 MB
    sent without a token, or with one to the wrong path, cost ppd no memory.
    Under ASan, its quarantine of freed memory (256 MB) is made small, else
    it is what the measure sees."""
    env = base_env()
    if env.get("ASAN_OPTIONS") is not None or "asan" in env.get("LD_PRELOAD", ""):
        env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":quarantine_size_mb=4"
    d = daemon(workers=2, env=env)
    before = d.rss()
    size = 200 * 1024 * 1024
    chunk = b"\0" * (1024 * 1024)
    for path, token, expected in ((PATH, None, b"401"), ("/api/v1/status", TOKEN, b"405"),
                                  (PATH, TOKEN, b"413")):
        with socket.create_connection(("127.0.0.1", d.http), timeout=30) as s:
            head = ("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\n" % (path, size))
            if token:
                head += "Authorization: Bearer %s\r\n" % token
            s.sendall((head + "\r\n").encode())
            try:
                for _ in range(size // len(chunk)):
                    s.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass    # answered and closed before all of it was sent: fine too
            answer = s.recv(4096)
            assert answer.split(b" ")[1] == expected, (path, answer[:200])
    assert d.rss() - before < 32 * 1024 * 1024, (before, d.rss())
    assert worker_count(d) == 2


def test_200_sets_the_workers_as_dbus_setworkers_does(daemon):
    d = daemon(workers=2)
    status, head, answer = post(d, '{"workers": 3}')
    assert status == 200 and answer == {"workers": 3}, (status, answer)
    assert "Cache-Control: no-store" in head
    wait_until(lambda: worker_count(d) == 3, what="three workers in the status")
    # Down again, with the page's own Origin (a browser on ppd's page).
    status, _, answer = post(d, ' { "workers" : 1 } ', "-H", "Origin: http://127.0.0.1:%d" % d.http)
    assert status == 200 and answer == {"workers": 1}
    wait_until(lambda: worker_count(d) == 1, what="one worker in the status")
    # The limits are ppd's: 4096 is allowed (not started here: set back).
    status, _, answer = post(d, '{"workers": 2}')
    assert status == 200 and answer == {"workers": 2}
    wait_until(lambda: worker_count(d) == 2, what="two workers in the status")
    assert "CRITICAL" not in d.text() and "WARNING" not in d.text()
